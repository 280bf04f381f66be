// Package integration holds medic's end-to-end tests: the real state machine
// definition from statemachines/, run by the local engine, with the real task
// handlers, the real AWS SDK against the embedded S3 server (optionally
// behind a fault-injecting proxy), real HTTP(S) targets and webhook receivers
// on loopback, and a clock the test controls. See docs/testing.md.
package integration
