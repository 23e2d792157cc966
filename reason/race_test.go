//go:build race

package reason_test

// raceEnabled: the race detector slows the single-goroutine oracle tenfold and finds
// nothing more there, so it runs fewer networks under it.
const raceEnabled = true
