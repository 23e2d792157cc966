//go:build race

package cli

// raceEnabled: the race detector makes code several times slower; the README test then
// stands a recorded bench in for a real one (scripts/test.sh runs it without -race too).
const raceEnabled = true
