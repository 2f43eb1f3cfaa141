//go:build !race

package syncer_test

// raceDetector is whether the race detector is on (see fleet_race_test.go).
const raceDetector = false
