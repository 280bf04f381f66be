package infra

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadTargetsFile: the stack reads the targets file it deploys; a file
// every run would reject stops the synth naming each problem.
func TestReadTargetsFile(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		wantErr []string
	}{
		{name: "no header secrets", file: "targets:\n  - {name: web, url: https://example.com/}\n"},
		{name: "a bad target", file: "targets:\n  - {name: web, url: https://example.com/, tiemout: 5s}\n  - {name: ok, url: https://example.com/}\n",
			wantErr: []string{"1 problem", "config/targets.yaml: target web: tiemout", "medic validate config/targets.yaml"}},
		{name: "not YAML", file: "targets: [\n", wantErr: []string{"targets file to deploy", "config/targets.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.MkdirAll(filepath.Join(root, "config"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, "config", "targets.yaml"), []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := readTargetsFile(root, DefaultSettings())
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, want one containing %q", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Targets) == 0 {
				t.Error("no targets read")
			}
		})
	}

	if _, err := readTargetsFile(t.TempDir(), DefaultSettings()); err == nil || !strings.Contains(err.Error(), "targets file to deploy") {
		t.Errorf("a missing file: err = %v, want one naming the targets file", err)
	}
}

// TestReadTargetsFileRejectsWhatARunWould: targets that do not fit an
// inline run's payload stop the synth of the inline definition (not of the
// scale mode's), and a file over what a run reads stops it unread.
func TestReadTargetsFileRejectsWhatARunWould(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "config", "targets.yaml")
	var b strings.Builder
	b.WriteString("targets:\n")
	for i := range 1500 {
		fmt.Fprintf(&b, "  - {name: site-%04d, url: \"https://site-%04d.example.com/health/check/endpoint\"}\n", i, i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	scale := DefaultSettings()
	if _, err := readTargetsFile(root, scale); err != nil {
		t.Errorf("1,500 targets: %v", err)
	}
	ones := DefaultSettings()
	ones.BatchSize = 1
	if _, err := readTargetsFile(root, ones); err == nil || !strings.Contains(err.Error(), "every scheduled run would fail: 1500 targets make 1500 batches") {
		t.Errorf("1,500 targets in batches of 1: err = %v", err)
	}
	if err := os.Truncate(path, 20<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := readTargetsFile(root, scale); err == nil || !strings.Contains(err.Error(), "over the 16 MiB a run reads") {
		t.Errorf("a 20 MiB file: err = %v", err)
	}
}
