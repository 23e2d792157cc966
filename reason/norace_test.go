//go:build !race

package reason_test

const raceEnabled = false
