package infra

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/medic-dev/medic/internal/lambdabuild"
)

// GoBuildFlags are the flags every function binary is built with
// (lambdabuild.GoBuildArgs).
var GoBuildFlags = lambdabuild.GoBuildArgs

// goBundler builds tasks/<task>/bootstrap as a linux/arm64 binary named
// bootstrap in the bundling output directory. It implements
// awscdk.ILocalBundling, so no Docker is needed.
type goBundler struct {
	// repoRoot is the module root (where go.mod is).
	repoRoot string
	// task is the tasks/<task> directory name.
	task string
}

var _ awscdk.ILocalBundling = (*goBundler)(nil)

// TryBundle builds the binary into outputDir. On failure it prints the
// compiler's output to stderr and returns false; CDK then names the asset
// that could not be bundled.
func (b *goBundler) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	if err := BuildBootstrap(b.repoRoot, b.task, *outputDir); err != nil {
		fmt.Fprintf(os.Stderr, "medic: local bundling of %s failed: %v\n", b.task, err)
		return jsii.Bool(false)
	}
	return jsii.Bool(true)
}

// BuildBootstrap compiles ./tasks/<task>/bootstrap of the module at
// repoRoot for provided.al2023 on arm64 into outDir/bootstrap.
func BuildBootstrap(repoRoot, task, outDir string) error {
	return lambdabuild.Bootstrap(context.Background(), repoRoot, task, outDir)
}

// FindRepoRoot walks up from dir to the directory holding go.mod.
func FindRepoRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find repository root from %s: %w", dir, err)
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("find repository root: no go.mod in %s or any parent", abs)
		}
	}
}
