//go:build !race

package integration

// raceDetector is true when the tests run under -race, which makes every
// execution several times slower: long stress tests run fewer rounds then.
const raceDetector = false
