package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/local"
)

// TestProgress runs real executions with the progress line on (as on a
// terminal): the count of probed batches goes up to the total (from the
// echo objects the Map Run writes), never "0/0".
func TestProgress(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(slow.Close)
	var cfg strings.Builder
	cfg.WriteString("targets:\n")
	for i := range 4 {
		fmt.Fprintf(&cfg, "  - name: t%d\n    url: %s/%d\n", i, slow.URL, i)
	}
	{
		t.Run("run", func(t *testing.T) {
			env, err := local.Open(local.Options{StateDir: filepath.Join(t.TempDir(), "state"), BatchSize: 1, MapConcurrency: 1})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if err := env.PutTargets(ctx, []byte(cfg.String())); err != nil {
				t.Fatal(err)
			}
			c, err := connectLocal(env)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var stdout, stderr syncBuffer
			r, err := runExecution(ctx, c, &io2{stdout: &stdout, stderr: &stderr, tty: true}, runOptions{}, execName("run", time.Now()), `{"trigger":"schedule"}`)
			if err != nil || r.Status != "SUCCEEDED" {
				t.Fatalf("run: %v %+v", err, r)
			}
			lines := regexp.MustCompile(`ProbeTargets: (\d+)/(\d+) batches probed`).FindAllStringSubmatch(stderr.String(), -1)
			if len(lines) == 0 {
				t.Fatalf("no progress count on stderr: %q", stderr.String())
			}
			seen := map[string]bool{}
			for _, l := range lines {
				if l[2] != "4" {
					t.Fatalf("progress %s/%s: the total is not 4 batches: %q", l[1], l[2], stderr.String())
				}
				seen[l[1]] = true
			}
			if last := lines[len(lines)-1]; last[1] != "4" {
				t.Errorf("the last progress line is %s/4: %q", last[1], stderr.String())
			}
			if !seen["1"] && !seen["2"] && !seen["3"] {
				t.Errorf("no count between 0 and 4 while probing: %q", stderr.String())
			}
			if !strings.HasSuffix(stderr.String(), "\r\033[K") {
				t.Errorf("the progress line is not cleared at the end: %q", stderr.String())
			}
		})
	}
}
