//go:build !race

package kb

const raceOn = false
