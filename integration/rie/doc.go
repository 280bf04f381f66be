// Package rie runs the five deployed Lambda binaries as AWS runs them: each
// tasks/<task>/bootstrap built as the stack bundles it (linux/arm64,
// lambda.norpc), executed under qemu-aarch64 behind AWS's Lambda Runtime
// Interface Emulator, and invoked over the emulator's HTTP API with the
// tasks' fixture events, against the embedded S3 server and loopback
// peers for Parameter Store, the probe's targets and a webhook channel.
//
// The test needs qemu-aarch64 (Debian: apt-get install qemu-user-static);
// without it, it is skipped, unless MEDIC_REQUIRE_QEMU=1 (as in .ci/run)
// turns the skip into a failure.
package rie
