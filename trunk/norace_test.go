//go:build !race

package trunk

const raceEnabled = false
