//go:build !race

package faults

// raceEnabled says the tests run under the race detector.
const raceEnabled = false
