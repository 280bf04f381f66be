// Package lambdabuild builds a task's Lambda entry, tasks/<task>/bootstrap,
// the one way medic deploys it: a static linux/arm64 executable named
// bootstrap for the provided.al2023 runtime, without aws-lambda-go's RPC
// mode, stripped and reproducible. The stack's bundling and the tests that
// run the deployed binaries both build through it.
package lambdabuild

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The platform of every function (provided.al2023 on Graviton).
const (
	GOOS   = "linux"
	GOARCH = "arm64"
)

// GoBuildArgs are the go command's arguments for every function binary:
// static, without the RPC mode of aws-lambda-go (lambda.norpc), stripped,
// and reproducible (no paths, no VCS stamp, no build ID), so the same
// source gives the same bytes and the same asset hash.
var GoBuildArgs = []string{
	"build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false",
	"-ldflags=-s -w -buildid=",
}

// Env is what the go command's environment adds for a function binary.
var Env = []string{"GOOS=" + GOOS, "GOARCH=" + GOARCH, "CGO_ENABLED=0"}

// Bootstrap compiles ./tasks/<task>/bootstrap of the module at repoRoot
// into outDir/bootstrap. The compiler's output is part of the error.
func Bootstrap(ctx context.Context, repoRoot, task, outDir string) error {
	pkg := "./" + filepath.ToSlash(filepath.Join("tasks", task, "bootstrap"))
	args := append(append([]string{}, GoBuildArgs...), "-o", filepath.Join(outDir, "bootstrap"), pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), Env...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s for %s/%s: %w: %s", pkg, GOOS, GOARCH, err, strings.TrimSpace(out.String()))
	}
	return nil
}
