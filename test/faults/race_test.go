//go:build race

package faults

// raceEnabled says the tests run under the race detector, so the binary
// they build gets it too (and reuses the packages already compiled for it).
const raceEnabled = true
