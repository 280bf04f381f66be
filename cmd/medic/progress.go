package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/medic-dev/medic/internal/echo"
	"github.com/medic-dev/medic/internal/store"
)

// progress shows on a terminal's stderr which state runs and, while the
// targets are probed, how many batches are done.
//
// The batches run in a Distributed Map whose child executions are not in
// the history; their count is the number of echo objects written since
// the Map Run started (each batch writes one), read from the run's
// bucket, and the total is the batch count LoadTargets reported.
type progress struct {
	w  io.Writer
	on bool
	c  *conn

	mu      sync.Mutex
	state   string
	batches int
	probed  int
	// bucket is the run's bucket; before is its echo
	// objects' ETags when the Map Run started.
	bucket   string
	before   map[string]string
	stopPoll func()
	interval time.Duration
}

func newProgress(w io.Writer, c *conn, force bool) *progress {
	interval := 200 * time.Millisecond
	if c != nil && c.region != "" {
		interval = 2 * time.Second // AWS: one LIST per poll
	}
	return &progress{w: w, on: force || isTerminal(w), c: c, interval: interval}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p *progress) event(ev types.HistoryEvent) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case ev.MapRunStartedEventDetails != nil:
		p.startPoll()
	case ev.Type == types.HistoryEventTypeMapStateExited:
		p.stopPolling()
		if p.before != nil {
			p.countWritten(context.Background())
		}
	case ev.StateExitedEventDetails != nil && aws.ToString(ev.StateExitedEventDetails.Name) == "LoadTargets":
		var lo loadOutput
		if json.Unmarshal([]byte(aws.ToString(ev.StateExitedEventDetails.Output)), &lo) == nil {
			p.batches = lo.Summary.Batches
			if lo.TargetList != nil {
				p.bucket = lo.TargetList.Bucket
			}
		}
		return
	case ev.StateEnteredEventDetails != nil:
		switch name := aws.ToString(ev.StateEnteredEventDetails.Name); name {
		case "LoadTargets", "ProbeTargets", "CheckStaleness", "Notify":
			p.state = name
		default:
			return
		}
	default:
		return
	}
	p.draw()
}

// draw writes the progress line; p.mu is held.
func (p *progress) draw() {
	line := p.state
	if p.state == "ProbeTargets" {
		line = fmt.Sprintf("ProbeTargets: %d/%d batches probed", min(p.probed, p.batches), p.batches)
		if p.bucket != "" && p.before == nil {
			line = fmt.Sprintf("ProbeTargets: %d batches in a Map Run", p.batches)
		}
	}
	fmt.Fprintf(p.w, "\r\033[K%s…", line)
}

// startPoll starts counting the echo objects of a run's
// Map Run; p.mu is held.
func (p *progress) startPoll() {
	st := p.store()
	if st == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	before, err := etags(ctx, st)
	cancel()
	if err != nil {
		return
	}
	p.before = before
	ctx, p.stopPoll = context.WithCancel(context.Background())
	done := make(chan struct{})
	stop := p.stopPoll
	p.stopPoll = func() { stop(); <-done }
	go func() {
		defer close(done)
		t := time.NewTicker(p.interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			p.mu.Lock()
			if ctx.Err() == nil {
				p.countWritten(ctx)
			}
			p.mu.Unlock()
		}
	}()
}

// stopPolling ends the poll; p.mu is held (the poller takes it, so it is
// released while waiting).
func (p *progress) stopPolling() {
	if p.stopPoll == nil {
		return
	}
	stop := p.stopPoll
	p.stopPoll = nil
	p.mu.Unlock()
	stop()
	p.mu.Lock()
}

// countWritten counts the batch echo objects written since the Map Run
// started and redraws; p.mu is held.
func (p *progress) countWritten(ctx context.Context) {
	st := p.store()
	if st == nil {
		return
	}
	now, err := etags(ctx, st)
	if err != nil {
		return
	}
	n := 0
	for k, tag := range now {
		if p.before[k] != tag {
			n++
		}
	}
	p.probed = n
	p.draw()
}

func (p *progress) store() *store.Store {
	if p.c == nil || p.c.runStore == nil || p.bucket == "" {
		return nil
	}
	st, err := p.c.runStore(context.Background(), p.bucket)
	if err != nil {
		return nil
	}
	return st
}

func etags(ctx context.Context, st *store.Store) (map[string]string, error) {
	infos, err := st.List(ctx, echo.Prefix)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(infos))
	for _, i := range infos {
		out[i.Key] = i.ETag
	}
	return out, nil
}

func (p *progress) done() {
	if !p.on {
		return
	}
	p.mu.Lock()
	p.stopPolling()
	p.mu.Unlock()
	fmt.Fprint(p.w, "\r\033[K")
}
