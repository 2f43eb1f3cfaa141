//go:build race

package syncer_test

// raceDetector is whether the race detector is on (go test -race, as CI
// runs): it makes every sync several times costlier.
const raceDetector = true
