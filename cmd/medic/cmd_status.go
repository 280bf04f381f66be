package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/spf13/pflag"

	hist "github.com/medic-dev/medic/internal/history"
	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/sfnapi"
	"github.com/medic-dev/medic/internal/site"
	"github.com/medic-dev/medic/internal/status"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
)

var statusCommand = &command{
	name:    "status",
	summary: "every target's status and uptime, as the last run left them",
	help: `Prints every target's status, its uptime (the share of checks that passed)
over 24 hours, 7, 30 and 90 days, its last check and its open incident, as
the last run recorded them in the status page's data (site/status.json in
the bucket). A window without any check shows "-": a gap, never 100%.

Locally it reads the bucket under --state-dir (or --s3-endpoint); with
--endpoint, the S3 endpoint beside it (--s3-endpoint, as 'medic serve'
prints it); with --aws, the deployed stack's bucket (Medic.BucketName in
--cdk-outputs, or $MEDIC_BUCKET), and it prints a presigned link to the
private status page, valid for --link-expires.

A target paused or in a maintenance window shows PAUSED or MAINTENANCE;
its checks meanwhile count neither way, and it does not make the exit
code 1.

Exit codes: 0 all UP, 1 some target DOWN or STALE, 2 no status recorded
yet (or a usage error), 3 the bucket could not be read.`,
	setup: func(fs *pflag.FlagSet) func(context.Context, *io2, []string) error {
		var f remoteFlags
		f.register(fs, false)
		asJSON := fs.Bool("json", false, "print site/status.json as it is")
		expires := fs.Duration("link-expires", time.Hour, "with --aws, how long the presigned link to the page works (at most 168h; a link signed with temporary credentials stops working when they expire)")
		return func(ctx context.Context, out *io2, args []string) error {
			if len(args) > 0 {
				return usagef("status takes no arguments, got %q", args)
			}
			if *expires < time.Minute || *expires > 7*24*time.Hour {
				return usagef("--link-expires must be between 1m and 168h, got %s", *expires)
			}
			b, err := f.openBucket(ctx)
			if err != nil {
				return err
			}
			defer b.close()
			return showStatus(ctx, out, b, *asJSON, *expires)
		}
	},
}

var historyCommand = &command{
	name:    "history",
	args:    "NAME",
	summary: "a target's incidents and daily uptime over 90 days",
	help: `Prints one target's incidents of the last 90 days (when, how long, why,
the alerts raised) and its checks per UTC day: checks, failures, uptime
and latency percentiles (p50, p95, p99; read from a histogram, at most a
quarter above the true figure). Days without checks are gaps ("-"): the
monitor did not run, or the target was not checked.

It reads the bucket as 'medic status' does: locally, with --endpoint and
--s3-endpoint, or with --aws.`,
	setup: func(fs *pflag.FlagSet) func(context.Context, *io2, []string) error {
		var f remoteFlags
		f.register(fs, false)
		asJSON := fs.Bool("json", false, "print one JSON document: the target's incidents and days")
		days := fs.Int("days", hist.Days, "how many days to show, today's included (1-90)")
		return func(ctx context.Context, out *io2, args []string) error {
			if len(args) != 1 {
				return usagef("history takes one target name, got %d arguments", len(args))
			}
			if *days < 1 || *days > hist.Days {
				return usagef("--days must be between 1 and %d, got %d", hist.Days, *days)
			}
			b, err := f.openBucket(ctx)
			if err != nil {
				return err
			}
			defer b.close()
			return showHistory(ctx, out, b, args[0], *days, *asJSON)
		}
	},
}

// bucket is the bucket a status command reads.
type bucket struct {
	store *store.Store
	// presign is set for AWS: the page is private, shown by a presigned link.
	presign *s3.PresignClient
	// pageURL is the public page's address, when the stack serves one.
	pageURL string
	close   func()
}

// openBucket opens the bucket the flags name: the deployed stack's with
// --aws, the S3 endpoint beside --endpoint, else the local one.
func (f *remoteFlags) openBucket(ctx context.Context) (*bucket, error) {
	switch {
	case f.aws && f.endpoint != "":
		return nil, usagef("--aws and --endpoint cannot be used together")
	case f.aws:
		return f.openAWSBucket(ctx)
	case f.endpoint != "":
		ep := f.local.s3Endpoint
		if ep == "" {
			return nil, usagef("--endpoint needs --s3-endpoint too: the S3 endpoint beside it ('medic serve' prints both)")
		}
		_, localCreds, err := f.endpointCredentials()
		if err != nil {
			return nil, err
		}
		if !localCreds.IsZero() {
			return &bucket{store: store.New(s3local.NewClient(ep, localCreds), f.local.bucket), close: func() {}}, nil
		}
		api, err := local.ExternalS3(ctx, ep)
		if err != nil {
			return nil, err
		}
		return &bucket{store: store.New(api, f.local.bucket), close: func() {}}, nil
	}
	if err := f.local.validate(); err != nil {
		return nil, err
	}
	env, err := local.Open(f.local.options())
	if err != nil {
		return nil, err
	}
	st, err := env.Store(ctx)
	if err != nil {
		env.Close()
		return nil, err
	}
	return &bucket{store: st, close: func() { env.Close() }}, nil
}

func (f *remoteFlags) openAWSBucket(ctx context.Context) (*bucket, error) {
	outputs, err := readOutputs(f.outputs)
	if err != nil {
		return nil, err
	}
	name := outputs["BucketName"]
	if name == "" {
		name = os.Getenv("MEDIC_BUCKET")
	}
	if name == "" {
		return nil, usagef("no bucket: run 'cdk deploy --outputs-file %s' so %s has Medic.BucketName, or set MEDIC_BUCKET", f.outputs, f.outputs)
	}
	var opts []func(*awsconfig.LoadOptions) error
	if arn, err := f.stateMachineArn(); err == nil {
		if a, err := sfnapi.ParseArn(arn); err == nil {
			opts = append(opts, awsconfig.WithRegion(a.Region)) // the stack's region
		}
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	api := s3.NewFromConfig(cfg, func(o *s3.Options) {
		// A custom endpoint (AWS_ENDPOINT_URL_S3: MinIO, LocalStack, a
		// 'medic serve') is addressed path-style.
		o.UsePathStyle = os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	})
	return &bucket{store: store.New(api, name), presign: s3.NewPresignClient(api), pageURL: outputs["StatusPageUrl"], close: func() {}}, nil
}

// readOutputs reads the Medic stack's string outputs from a 'cdk deploy
// --outputs-file' file; an absent file has none.
func readOutputs(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, usagef("read %s: %v", path, err)
	}
	var outputs map[string]map[string]any
	if err := json.Unmarshal(b, &outputs); err != nil {
		return nil, usagef("%s is not a 'cdk deploy --outputs-file' file: %v", path, err)
	}
	out := map[string]string{}
	for k, v := range outputs["Medic"] {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out, nil
}

// readPage reads site/status.json.
func readPage(ctx context.Context, s *store.Store) (site.Page, []byte, error) {
	obj, err := s.Get(ctx, site.JSONKey)
	if errors.Is(err, store.ErrNotFound) {
		return site.Page{}, nil, usagef("no status recorded yet in s3://%s: run 'medic run' (or let the schedule run) first", s.Bucket())
	}
	if err != nil {
		return site.Page{}, nil, err
	}
	var p site.Page
	if err := json.Unmarshal(obj.Body, &p); err != nil {
		return site.Page{}, nil, fmt.Errorf("decode s3://%s/%s: %w", s.Bucket(), site.JSONKey, err)
	}
	return p, obj.Body, nil
}

func showStatus(ctx context.Context, out *io2, b *bucket, asJSON bool, expires time.Duration) error {
	p, raw, err := readPage(ctx, b.store)
	if err != nil {
		return err
	}
	var link string
	if b.presign != nil {
		req, err := b.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.store.Bucket()), Key: aws.String(site.PageKey)}, s3.WithPresignExpires(expires))
		if err != nil {
			return fmt.Errorf("presign the status page: %w", err)
		}
		link = req.URL
	}
	if asJSON {
		if _, err := out.stdout.Write(append(raw, '\n')); err != nil {
			return err
		}
	} else {
		printStatus(out.stdout, p)
		switch {
		case b.pageURL != "":
			fmt.Fprintf(out.stdout, "\nstatus page: %s\n", b.pageURL)
		case link != "":
			fmt.Fprintf(out.stdout, "\nstatus page (private; this link works for %s):\n%s\n", expires, link)
		default:
			fmt.Fprintf(out.stdout, "\nstatus page: s3://%s/%s ('medic serve' serves it)\n", b.store.Bucket(), site.PageKey)
		}
	}
	if link != "" && asJSON {
		fmt.Fprintf(out.stderr, "status page (private; this link works for %s):\n%s\n", expires, link)
	}
	for _, r := range p.Targets {
		if r.Held == "" && (r.State == status.Down || r.State == status.Stale) {
			return &exitError{code: exitDown}
		}
	}
	return nil
}

func printStatus(w io.Writer, p site.Page) {
	fmt.Fprintf(w, "%s (last run %s)\n\n", p.OverallText, p.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	grouped := len(p.Groups) > 0
	head := "TARGET\tSTATUS\t24H\t7D\t30D\t90D\tLAST CHECK\tOPEN INCIDENT"
	if grouped {
		head = "TARGET\tGROUP\tSTATUS\t24H\t7D\t30D\t90D\tLAST CHECK\tOPEN INCIDENT"
	}
	fmt.Fprintln(tw, head)
	for _, r := range p.Targets {
		last := "never"
		if r.LastCheckAt != nil {
			last = r.LastCheckAt.UTC().Format("2006-01-02 15:04")
		}
		inc := "-"
		if r.Incident != nil {
			inc = "since " + r.Incident.Start.UTC().Format("2006-01-02 15:04")
			if r.Incident.Reason != "" {
				inc += ": " + oneLine(r.Incident.Reason, 60)
			}
		}
		cols := []string{r.Name}
		if grouped {
			cols = append(cols, orDash(r.Group))
		}
		st := r.State
		if r.Held != "" {
			st = r.Held // paused or in maintenance: its checks count neither way
		}
		cols = append(cols, st, uptimeCell(r.Uptime.H24), uptimeCell(r.Uptime.D7), uptimeCell(r.Uptime.D30), uptimeCell(r.Uptime.D90), last, inc)
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	tw.Flush()
}

func uptimeCell(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", *v)
}

// historyDay is one day of 'medic history --json'.
type historyDay struct {
	Day      string   `json:"day"`
	Checks   int      `json:"checks"`
	Failures int      `json:"failures"`
	Uptime   *float64 `json:"uptime"`
	P50MS    *int64   `json:"p50Ms"`
	P95MS    *int64   `json:"p95Ms"`
	P99MS    *int64   `json:"p99Ms"`
}

func showHistory(ctx context.Context, out *io2, b *bucket, name string, n int, asJSON bool) error {
	snap, err := hist.Read(ctx, b.store)
	if err != nil {
		return err
	}
	now := snap.Uptime.UpdatedAt
	if _, known := snap.Uptime.Targets[name]; !known {
		return usagef("no history of a target named %s in s3://%s (a target is recorded from its first run)", name, b.store.Bucket())
	}
	dayNames, aggs, err := hist.ReadDays(ctx, b.store, name, now, n)
	if err != nil {
		return err
	}
	var incidents []hist.Incident
	for _, inc := range snap.Incidents.Incidents {
		if inc.Target == name {
			incidents = append(incidents, inc)
		}
	}
	days := make([]historyDay, len(aggs))
	for i, a := range aggs {
		d := historyDay{Day: dayNames[i], Checks: a.Checks, Failures: a.Failures}
		if a.Checks > 0 {
			up := math.Floor(10000*float64(a.Checks-a.Failures)/float64(a.Checks)) / 100
			d.Uptime = &up
		}
		if len(a.Hist) > 0 {
			p50, p95, p99 := a.Percentile(0.5), a.Percentile(0.95), a.Percentile(0.99)
			d.P50MS, d.P95MS, d.P99MS = &p50, &p95, &p99
		}
		days[i] = d
	}
	if asJSON {
		if incidents == nil {
			incidents = []hist.Incident{}
		}
		enc := json.NewEncoder(out.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"target": name, "updatedAt": now, "incidents": incidents, "days": days})
	}
	w := out.stdout
	fmt.Fprintf(w, "%s: history as of %s\n\nIncidents (last 90 days)\n", name, now.UTC().Format("2006-01-02 15:04 UTC"))
	if len(incidents) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, inc := range incidents {
		span := "ongoing (" + status.HumanDuration(inc.Duration(now)) + " so far)"
		if !inc.Open() {
			span = "to " + inc.End.UTC().Format("2006-01-02 15:04") + " (" + status.HumanDuration(inc.Duration(now)) + ")"
		}
		fmt.Fprintf(w, "  %s %s from %s %s", inc.Status, name, inc.Start.UTC().Format("2006-01-02 15:04"), span)
		if inc.Reason != "" {
			fmt.Fprintf(w, ": %s", oneLine(inc.Reason, 100))
		}
		if len(inc.Alerts) > 0 {
			fmt.Fprintf(w, " [%s]", strings.Join(inc.Alerts, ", "))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "\nDays (UTC)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "DAY\tCHECKS\tFAILED\tUPTIME\tP50\tP95\tP99\t")
	first := 0
	for first < len(days)-1 && days[first].Checks == 0 {
		first++ // from the first day with checks
	}
	for _, d := range days[first:] {
		ms := func(v *int64) string {
			if v == nil {
				return "-"
			}
			return fmt.Sprintf("%d ms", *v)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t\n", d.Day, d.Checks, d.Failures, uptimeCell(d.Uptime), ms(d.P50MS), ms(d.P95MS), ms(d.P99MS))
	}
	return tw.Flush()
}
