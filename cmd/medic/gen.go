package main

// The example outputs in README.md and docs/*.md come from real runs:
// TestDocs runs every documented command and, with -update-docs, writes
// what each printed back under it.
//go:generate go test -run ^TestDocs$ -count=1 . -args -update-docs
