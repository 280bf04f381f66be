package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func newStore(t *testing.T) *store.Store {
	t.Helper()
	srv, err := s3local.Start(s3local.Options{Buckets: []string{"medic"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return store.New(srv.Client(), "medic")
}

func alert(id string, at time.Time, channels ...string) outbox.Alert {
	a := outbox.Alert{ID: id, Target: "web", Kind: outbox.KindDown, Since: at, At: at, Text: "web is DOWN",
		Deadline: at.Add(outbox.DefaultDeadline), Deliveries: map[string]*outbox.Delivery{}}
	for _, c := range channels {
		a.Deliveries[c] = &outbox.Delivery{Status: outbox.Pending}
	}
	return a
}

func TestCreateIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := alert("web-down-1", t0, "ops")
	if created, err := outbox.Create(ctx, s, a); err != nil || !created {
		t.Fatalf("first Create = %v, %v", created, err)
	}
	b := a
	b.Text = "someone else's copy"
	if created, err := outbox.Create(ctx, s, b); err != nil || created {
		t.Fatalf("second Create = %v, %v; want false, nil", created, err)
	}
	e, err := outbox.Get(ctx, s, a.ID)
	if err != nil || e.Alert.Text != "web is DOWN" {
		t.Fatalf("Get = %+v, %v; the first alert must stay", e.Alert, err)
	}
}

func TestListOrdersOldestFirstAndPaginates(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	const n = 1003 // more than one 1,000-key page
	for i := range n {
		// IDs sort opposite to time, so the order must come from At.
		a := alert(fmt.Sprintf("a%04d", n-i), t0.Add(time.Duration(i)*time.Second), "ops")
		if _, err := outbox.Create(ctx, s, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Put(ctx, "outbox/broken.json", []byte("{not json"), store.Condition{}); err != nil {
		t.Fatal(err)
	}
	entries, err := outbox.List(ctx, s)
	if !errors.Is(err, outbox.ErrCorrupt) || !strings.Contains(err.Error(), "outbox/broken.json") {
		t.Fatalf("err = %v, want ErrCorrupt naming outbox/broken.json", err)
	}
	if len(entries) != n {
		t.Fatalf("listed %d alerts, want %d", len(entries), n)
	}
	for i := 1; i < n; i++ {
		if !entries[i-1].Alert.At.Before(entries[i].Alert.At) || entries[i].ETag == "" {
			t.Fatalf("entry %d out of order or without ETag", i)
		}
	}
}

func TestConcurrentUpdatesAreAllKept(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	channels := []string{"a", "b", "c", "d", "e", "f"}
	if _, err := outbox.Create(ctx, s, alert("x", t0, channels...)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, c := range channels {
		wg.Go(func() {
			if _, err := outbox.Update(ctx, s, "x", func(a *outbox.Alert) error {
				a.Deliveries[c].Attempts++
				return nil
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	e, err := outbox.Get(ctx, s, "x")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range channels {
		if e.Alert.Deliveries[c].Attempts != 1 {
			t.Fatalf("channel %s: %d attempts recorded, want 1 (an update was lost)", c, e.Alert.Deliveries[c].Attempts)
		}
	}
}

func TestClaim(t *testing.T) {
	live, expired := t0.Add(time.Minute), t0.Add(-time.Second)
	tests := []struct {
		name string
		d    *outbox.Delivery
		won  bool
	}{
		{name: "pending", d: &outbox.Delivery{Status: outbox.Pending}, won: true},
		{name: "absent", d: nil, won: true},
		{name: "live lease", d: &outbox.Delivery{Status: outbox.Sending, LeaseUntil: &live, Claim: "other"}, won: false},
		{name: "expired lease", d: &outbox.Delivery{Status: outbox.Sending, LeaseUntil: &expired, Claim: "crashed"}, won: true},
		{name: "delivered", d: &outbox.Delivery{Status: outbox.Delivered}, won: false},
		{name: "rejected", d: &outbox.Delivery{Status: outbox.Rejected}, won: false},
		{name: "pending, channel asked to wait", d: &outbox.Delivery{Status: outbox.Pending, NotBefore: &live}, won: false},
		{name: "pending, wait is over", d: &outbox.Delivery{Status: outbox.Pending, NotBefore: &expired}, won: true},
		{name: "pending, wait ends now", d: &outbox.Delivery{Status: outbox.Pending, NotBefore: &t0}, won: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t)
			a := alert("x", t0)
			if tt.d != nil {
				a.Deliveries["ops"] = tt.d
			}
			if _, err := outbox.Create(ctx, s, a); err != nil {
				t.Fatal(err)
			}
			e, won, err := outbox.Claim(ctx, s, "x", "ops", "me", t0, 2*time.Minute)
			if err != nil || won != tt.won {
				t.Fatalf("Claim = %v, %v; want %v", won, err, tt.won)
			}
			d := e.Alert.Deliveries["ops"]
			if tt.won && (d.Status != outbox.Sending || d.Claim != "me" || !d.LeaseUntil.Equal(t0.Add(2*time.Minute))) {
				t.Fatalf("claimed delivery = %+v", d)
			}
		})
	}
	t.Run("only one of many wins", func(t *testing.T) {
		ctx := context.Background()
		s := newStore(t)
		if _, err := outbox.Create(ctx, s, alert("x", t0, "ops")); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		wins := 0
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				_, won, err := outbox.Claim(ctx, s, "x", "ops", fmt.Sprint("run", i), t0, time.Minute)
				if err != nil {
					t.Error(err)
				}
				if won {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d runs won the claim, want 1", wins)
		}
	})
	t.Run("missing alert", func(t *testing.T) {
		_, _, err := outbox.Claim(context.Background(), newStore(t), "gone", "ops", "me", t0, time.Minute)
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestFinish(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if _, err := outbox.Create(ctx, s, alert("x", t0, "ops", "pager")); err != nil {
		t.Fatal(err)
	}
	// run1 claims ops, its lease expires, run2 claims it again.
	if _, won, _ := outbox.Claim(ctx, s, "x", "ops", "run1", t0, time.Minute); !won {
		t.Fatal("run1 did not win")
	}
	if _, won, _ := outbox.Claim(ctx, s, "x", "ops", "run2", t0.Add(2*time.Minute), time.Minute); !won {
		t.Fatal("run2 could not take over an expired lease")
	}
	// run1's late failure must not undo run2's claim.
	e, err := outbox.Finish(ctx, s, "x", "ops", "run1", outbox.Outcome{Status: outbox.Pending, Error: "timeout"})
	if err != nil || e.Alert.Deliveries["ops"].Status != outbox.Sending || e.Alert.Deliveries["ops"].Claim != "run2" {
		t.Fatalf("stale failure changed the delivery: %+v, %v", e.Alert.Deliveries["ops"], err)
	}
	// run2 fails transiently: pending again, attempt counted, error kept.
	e, err = outbox.Finish(ctx, s, "x", "ops", "run2", outbox.Outcome{Status: outbox.Pending, Error: "retryable: status 503"})
	if d := e.Alert.Deliveries["ops"]; err != nil || d.Status != outbox.Pending || d.Attempts != 1 || d.LastError != "retryable: status 503" || d.LeaseUntil != nil {
		t.Fatalf("after a transient failure: %+v, %v", d, err)
	}
	// run3 fails with a retry hint: the delivery waits until NotBefore.
	if _, won, _ := outbox.Claim(ctx, s, "x", "ops", "run3", t0.Add(2*time.Minute), time.Minute); !won {
		t.Fatal("run3 could not claim a pending delivery")
	}
	notBefore := t0.Add(3 * time.Minute)
	e, err = outbox.Finish(ctx, s, "x", "ops", "run3", outbox.Outcome{Status: outbox.Pending, Error: "retryable: status 429 (retry after 1m0s)", NotBefore: notBefore})
	if d := e.Alert.Deliveries["ops"]; err != nil || d.Status != outbox.Pending || d.Attempts != 2 || d.NotBefore == nil || !d.NotBefore.Equal(notBefore) {
		t.Fatalf("after a failure with a retry hint: %+v, %v", d, err)
	}
	if !outbox.Waiting(e.Alert.Deliveries["ops"], notBefore.Add(-time.Second)) || outbox.Waiting(e.Alert.Deliveries["ops"], notBefore) {
		t.Fatal("Waiting does not follow NotBefore")
	}
	if _, won, _ := outbox.Claim(ctx, s, "x", "ops", "early", notBefore.Add(-time.Second), time.Minute); won {
		t.Fatal("a run claimed the delivery before the channel's NotBefore")
	}
	if _, won, _ := outbox.Claim(ctx, s, "x", "ops", "run4", notBefore, time.Minute); !won {
		t.Fatal("run4 could not claim the delivery at its NotBefore")
	}
	at := t0.Add(3*time.Minute + time.Second)
	e, err = outbox.Finish(ctx, s, "x", "ops", "run4", outbox.Outcome{Status: outbox.Delivered, At: at})
	if d := e.Alert.Deliveries["ops"]; err != nil || d.Status != outbox.Delivered || d.Attempts != 3 || d.LastError != "" || !d.DeliveredAt.Equal(at) || d.NotBefore != nil {
		t.Fatalf("after delivery: %+v, %v", d, err)
	}
	if outbox.Done(e.Alert) {
		t.Fatal("Done with pager still pending")
	}
	if got := outbox.Undelivered(e.Alert); len(got) != 1 || got[0] != "pager" {
		t.Fatalf("Undelivered = %v", got)
	}
	e, _ = outbox.Update(ctx, s, "x", func(a *outbox.Alert) error { a.Deliveries["pager"].Status = outbox.Rejected; return nil })
	if !outbox.Done(e.Alert) {
		t.Fatal("not Done with every channel delivered or rejected")
	}
}

func TestDrop(t *testing.T) {
	ctx := context.Background()
	live := t0.Add(outbox.DefaultDeadline + time.Hour)
	tests := []struct {
		name   string
		a      outbox.Alert
		now    time.Time
		wantOK bool
	}{
		{name: "past deadline", a: alert("x", t0, "ops", "pager"), now: t0.Add(outbox.DefaultDeadline + time.Second), wantOK: true},
		{name: "before deadline", a: alert("x", t0, "ops"), now: t0.Add(time.Hour)},
		{name: "a run is sending", now: t0.Add(outbox.DefaultDeadline + time.Second), a: func() outbox.Alert {
			a := alert("x", t0, "ops")
			a.Deliveries["ops"] = &outbox.Delivery{Status: outbox.Sending, LeaseUntil: &live}
			return a
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			tt.a.Deliveries["done"] = &outbox.Delivery{Status: outbox.Delivered}
			if _, err := outbox.Create(ctx, s, tt.a); err != nil {
				t.Fatal(err)
			}
			rec, dropped, err := outbox.Drop(ctx, s, "x", tt.now)
			if err != nil || dropped != tt.wantOK {
				t.Fatalf("Drop = %v, %v; want %v", dropped, err, tt.wantOK)
			}
			_, getErr := outbox.Get(ctx, s, "x")
			var stored outbox.Dropped
			_, recErr := s.GetJSON(ctx, outbox.DroppedKey("x"), &stored)
			if !tt.wantOK {
				if getErr != nil || !errors.Is(recErr, store.ErrNotFound) {
					t.Fatalf("alert kept: %v; record absent: %v", getErr, recErr)
				}
				return
			}
			if !errors.Is(getErr, store.ErrNotFound) || recErr != nil {
				t.Fatalf("alert deleted: %v; record written: %v", getErr, recErr)
			}
			if strings.Join(rec.Undelivered, ",") != "ops,pager" || strings.Join(stored.Undelivered, ",") != "ops,pager" || stored.Alert.ID != "x" {
				t.Fatalf("record = %+v", stored)
			}
		})
	}
}

// TestCreateAfterSettleOrDropIsNotRaisedAgain covers a retried CheckStaleness
// re-deciding a change whose alert an overlapping run already delivered
// (settled) or gave up on (dropped): the alert must not return to the outbox.
func TestCreateAfterSettleOrDropIsNotRaisedAgain(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		retire func(s *store.Store, a outbox.Alert) error
		record string
	}{
		{"settled", func(s *store.Store, a outbox.Alert) error {
			a.Deliveries["ops"].Status = outbox.Delivered
			return outbox.Settle(ctx, s, a, t0.Add(time.Minute))
		}, outbox.SettledKey("web-down-1")},
		{"dropped", func(s *store.Store, a outbox.Alert) error {
			_, dropped, err := outbox.Drop(ctx, s, a.ID, a.Deadline.Add(time.Second))
			if err == nil && !dropped {
				err = errors.New("not dropped")
			}
			return err
		}, outbox.DroppedKey("web-down-1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			a := alert("web-down-1", t0, "ops")
			if created, err := outbox.Create(ctx, s, a); err != nil || !created {
				t.Fatalf("first Create = %v, %v", created, err)
			}
			if err := tt.retire(s, a); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, tt.record); err != nil {
				t.Fatalf("record %s: %v", tt.record, err)
			}
			created, err := outbox.Create(ctx, s, alert("web-down-1", t0, "ops"))
			if err != nil || created {
				t.Fatalf("Create after %s = %v, %v; want false, nil", tt.name, created, err)
			}
			if _, err := outbox.Get(ctx, s, a.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("alert is back in the outbox after %s (err = %v)", tt.name, err)
			}
		})
	}
}

// TestDeliveryJSON pins the stored field names: outbox objects written by
// one version are read by the next.
func TestDeliveryJSON(t *testing.T) {
	nb := t0.Add(2 * time.Minute)
	tests := []struct {
		name string
		d    outbox.Delivery
		want string
	}{
		{name: "no retry hint", d: outbox.Delivery{Status: outbox.Pending, Attempts: 1, LastError: "retryable: status 503"},
			want: `{"status":"pending","attempts":1,"lastError":"retryable: status 503"}`},
		{name: "waiting for the channel", d: outbox.Delivery{Status: outbox.Pending, Attempts: 1, NotBefore: &nb},
			want: `{"status":"pending","attempts":1,"notBefore":"2026-11-21T10:02:00Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.d)
			if err != nil || string(got) != tt.want {
				t.Fatalf("Marshal = %s, %v; want %s", got, err, tt.want)
			}
			var back outbox.Delivery
			if err := json.Unmarshal(got, &back); err != nil || (tt.d.NotBefore != nil) != (back.NotBefore != nil) ||
				(back.NotBefore != nil && !back.NotBefore.Equal(*tt.d.NotBefore)) {
				t.Fatalf("round trip = %+v, %v", back, err)
			}
		})
	}
}

func TestHold(t *testing.T) {
	until := t0.Add(2 * time.Minute)
	sooner, later := t0.Add(time.Minute), t0.Add(time.Hour)
	tests := []struct {
		name string
		d    *outbox.Delivery
		want *time.Time // the NotBefore after Hold
	}{
		{name: "pending", d: &outbox.Delivery{Status: outbox.Pending}, want: &until},
		{name: "pending, held for less", d: &outbox.Delivery{Status: outbox.Pending, NotBefore: &sooner}, want: &until},
		{name: "pending, held for longer", d: &outbox.Delivery{Status: outbox.Pending, NotBefore: &later}, want: &later},
		{name: "sending", d: &outbox.Delivery{Status: outbox.Sending, LeaseUntil: &later, Claim: "other"}, want: nil},
		{name: "delivered", d: &outbox.Delivery{Status: outbox.Delivered}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := newStore(t)
			a := alert("x", t0, "pager")
			a.Deliveries["ops"] = tt.d
			if _, err := outbox.Create(ctx, s, a); err != nil {
				t.Fatal(err)
			}
			e, err := outbox.Hold(ctx, s, "x", "ops", until)
			if err != nil {
				t.Fatal(err)
			}
			got := e.Alert.Deliveries["ops"].NotBefore
			if (got == nil) != (tt.want == nil) || (got != nil && !got.Equal(*tt.want)) {
				t.Fatalf("NotBefore = %v, want %v", got, tt.want)
			}
			if e.Alert.Deliveries["pager"].NotBefore != nil {
				t.Fatal("Hold changed another channel's delivery")
			}
			if e2, _ := outbox.Get(ctx, s, "x"); e2.ETag != e.ETag {
				t.Fatal("Hold returned a stale entry")
			}
		})
	}
	t.Run("missing alert", func(t *testing.T) {
		_, err := outbox.Hold(context.Background(), newStore(t), "gone", "ops", until)
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestDraftCommitWithdraw(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	get := func(id string) outbox.Alert {
		t.Helper()
		e, err := outbox.Get(ctx, s, id)
		if err != nil {
			t.Fatal(err)
		}
		return e.Alert
	}

	// A draft, rewritten by a later round of the same run, then committed.
	a := alert("web-down-1-r1", t0, "ops")
	if err := outbox.WriteDraft(ctx, s, a); err != nil {
		t.Fatal(err)
	}
	a.Text = "web is DOWN (decided again)"
	if err := outbox.WriteDraft(ctx, s, a); err != nil {
		t.Fatal(err)
	}
	if got := get(a.ID); !got.Draft || got.Text != a.Text {
		t.Fatalf("draft = %+v, want the second round's draft", got)
	}
	if err := outbox.Commit(ctx, s, a.ID); err != nil {
		t.Fatal(err)
	}
	if got := get(a.ID); got.Draft {
		t.Fatal("committed alert is still a draft")
	}
	// Committed: neither a new draft with its ID nor a withdrawal changes it.
	b := a
	b.Text = "someone else's copy"
	if err := outbox.WriteDraft(ctx, s, b); err != nil {
		t.Fatal(err)
	}
	if err := outbox.Withdraw(ctx, s, a.ID); err != nil {
		t.Fatal(err)
	}
	if got := get(a.ID); got.Draft || got.Withdrawn || got.Text != a.Text {
		t.Fatalf("committed alert changed: %+v", got)
	}

	// A draft withdrawn stays withdrawn; absent alerts are no error.
	c := alert("web-down-1-r2", t0, "ops")
	if err := outbox.WriteDraft(ctx, s, c); err != nil {
		t.Fatal(err)
	}
	if err := outbox.Withdraw(ctx, s, c.ID); err != nil {
		t.Fatal(err)
	}
	if got := get(c.ID); !got.Draft || !got.Withdrawn {
		t.Fatalf("withdrawn draft = %+v", got)
	}
	for _, f := range []func(context.Context, *store.Store, string) error{outbox.Commit, outbox.Withdraw} {
		if err := f(ctx, s, "absent"); err != nil {
			t.Fatalf("on an absent alert: %v", err)
		}
	}
}

func TestBeforeOrdersATargetsAlerts(t *testing.T) {
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	tests := []struct {
		name string
		a, b outbox.Alert
	}{
		{"seq within one state", outbox.Alert{Epoch: t0, Seq: 1, At: at(time.Second)}, outbox.Alert{Epoch: t0, Seq: 2, At: at(0)}},
		{"a later state's life comes after", outbox.Alert{Epoch: t0, Seq: 9}, outbox.Alert{Epoch: at(time.Hour), Seq: 1}},
		{"alerts without seq by time", outbox.Alert{At: at(0), ID: "z"}, outbox.Alert{At: at(time.Second), ID: "a"}},
		{"then by ID", outbox.Alert{At: at(0), ID: "a"}, outbox.Alert{At: at(0), ID: "b"}},
	}
	for _, tt := range tests {
		if !outbox.Before(tt.a, tt.b) || outbox.Before(tt.b, tt.a) {
			t.Errorf("%s: Before(a, b) = %v, Before(b, a) = %v", tt.name, outbox.Before(tt.a, tt.b), outbox.Before(tt.b, tt.a))
		}
	}
}
