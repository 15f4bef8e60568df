//go:build race

package main

// raceSlowdown is how much slower the race detector makes the CLI: the
// hostile-input time bound is for the real binary, so it is stretched
// under -race.
const raceSlowdown = 5
