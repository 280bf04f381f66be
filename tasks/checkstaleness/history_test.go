package checkstaleness_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/medic-dev/medic/internal/history"
	"github.com/medic-dev/medic/internal/site"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/store"
)

// TestRunRecordsHistoryAndPage: every run records the checks it counted
// and the incidents in the history, and publishes the status page.
func TestRunRecordsHistoryAndPage(t *testing.T) {
	e := newEnv(t, baseConfig)
	e.echo("db", true)
	e.run()
	e.clk.Advance(10 * time.Minute)
	e.echo("db", false)
	e.run()
	e.clk.Advance(10 * time.Minute)
	e.run() // no new echo: nothing counted again

	snap, err := history.Read(context.Background(), e.raw)
	if err != nil {
		t.Fatal(err)
	}
	pts := snap.Recent.Targets["db"].List()
	if len(pts) != 2 || !pts[0].Up || pts[1].Up || pts[1].Failure != "status 503, want 200-399" {
		t.Fatalf("db's recent points %+v, want a pass then the 503", pts)
	}
	if r := snap.Uptime.Targets["db"].UptimeOver(24*time.Hour, e.clk.Now()); r.Checks != 2 || r.Failures != 1 {
		t.Fatalf("db's 24h counts %+v, want 2 checks, 1 failure", r)
	}
	if _, ok := snap.Uptime.Targets["web"]; !ok {
		t.Fatal("web (no echo yet) is not in the history")
	}
	inc := snap.Incidents.Incidents
	if len(inc) != 1 || inc[0].Target != "db" || !inc[0].Open() || len(inc[0].Alerts) != 1 || !strings.HasPrefix(inc[0].Alerts[0], "db-down-") {
		t.Fatalf("incidents %+v, want db's open one with its DOWN alert", inc)
	}
	var page site.Page
	if _, err := e.raw.GetJSON(context.Background(), site.JSONKey, &page); err != nil {
		t.Fatal(err)
	}
	if page.Overall != status.Down || len(page.Targets) != 3 || !page.GeneratedAt.Equal(e.clk.Now()) {
		t.Fatalf("page overall %s, %d targets, made %s", page.Overall, len(page.Targets), page.GeneratedAt)
	}
	html, err := e.raw.Get(context.Background(), site.PageKey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html.Body), `<tr id="target-db" data-status="DOWN">`) {
		t.Fatalf("the page has no DOWN row for db")
	}
}

// deniedHistory refuses every write under history/, as S3 would with a
// role that lacks the permission.
type deniedHistory struct{ store.API }

func (d deniedHistory) PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if strings.HasPrefix(aws.ToString(in.Key), history.Prefix) {
		return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"}
	}
	return d.API.PutObject(ctx, in, opts...)
}

// TestHistoryFailureHoldsNoAlertBack: when the history cannot be written,
// the statuses and alerts are saved all the same, and the output says why
// the history was not.
func TestHistoryFailureHoldsNoAlertBack(t *testing.T) {
	e := newEnv(t, baseConfig)
	e.h = e.handler(deniedHistory{e.client()})
	e.echo("db", true)
	e.run()
	e.clk.Advance(time.Minute)
	e.echo("db", false)
	out := e.run()
	if !strings.Contains(out.HistoryError, "AccessDenied") || !strings.Contains(out.HistoryError, history.RecentKey) {
		t.Fatalf("historyError %q, want the denied write named", out.HistoryError)
	}
	if st := e.state().Targets["db"]; st.Status != status.Down {
		t.Fatalf("db is %s, want DOWN saved", st.Status)
	}
	if got := e.committed(); len(got) != 1 || got[0] != "db-down-2" {
		t.Fatalf("committed alerts %v, want db-down-2", got)
	}
	if _, err := e.raw.Get(context.Background(), history.RecentKey); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("recent.json: %v, want none written", err)
	}
}
