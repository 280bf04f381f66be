// Package bench measures medic: the engine against aws-local-stepfunctions,
// the probe against a bare HTTP GET, full local cycles over loopback
// targets, the Lambda binaries, and the counts of real local runs that feed
// the cost model (internal/cost).
//
// The benchmarks run only with -bench (see bench_test.go); the commands
// bench/cmd/cost and bench/cmd/report print the cost table and write
// BENCHMARKS.md.
package bench
