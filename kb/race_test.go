//go:build race

package kb

// raceOn: the race detector makes the generated knowledge base's full size too slow for a test.
const raceOn = true
