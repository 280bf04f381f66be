package local_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/statemachines"
)

// served is an Env behind its Step Functions API on a loopback port, as
// `medic serve` runs it, and the hosts its requests were sent to.
type served struct {
	env   *local.Env
	url   string // http://localhost:PORT
	addr  string
	mu    sync.Mutex
	hosts []string
}

func serve(t *testing.T, opts local.Options) *served {
	t.Helper()
	env, err := local.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &served{env: env, addr: ln.Addr().String()}
	api := env.APIHandler(ln.Addr())
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hosts = append(s.hosts, r.Host)
		s.mu.Unlock()
		api.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, port, _ := net.SplitHostPort(s.addr)
	s.url = "http://localhost:" + port
	return s
}

// client is the Go SDK against the server. With hostPrefix, requests keep
// the SDK's "sync-" host prefix and every host name is resolved to the
// server (as a hosts-file entry for sync-localhost would); without it, the
// prefix is turned off as docs/cli.md shows.
func (s *served) client(hostPrefix bool) *sfn.Client {
	dial := &net.Dialer{Timeout: 5 * time.Second}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dial.DialContext(ctx, network, s.addr)
	}}}
	c := s.env.Credentials()
	return sfn.New(sfn.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(s.url), HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
	}, func(o *sfn.Options) {
		if !hostPrefix {
			o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
				return st.Initialize.Add(middleware.InitializeMiddlewareFunc("NoHostPrefix",
					func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
						return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
					}), middleware.Before)
			})
		}
	})
}

func (s *served) lastHost() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hosts[len(s.hosts)-1]
}

func okServer(t *testing.T) string {
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(web.Close)
	return web.URL
}

func TestAPIStartSyncExecution(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := serve(t, local.Options{Clock: clk, EngineClock: local.InstantClock(clk)})
	if err := s.env.PutTargets(ctx, targetsFor(okServer(t))); err != nil {
		t.Fatal(err)
	}
	input := `{ "trigger": "schedule" }`
	for _, prefix := range []bool{true, false} {
		c := s.client(prefix)
		out, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(s.env.StateMachineArn()), Input: aws.String(input)})
		if err != nil {
			t.Fatalf("StartSyncExecution (host prefix %v): %v", prefix, err)
		}
		if out.Status != types.SyncExecutionStatusSucceeded || out.Output == nil || !json.Valid([]byte(*out.Output)) || aws.ToString(out.Input) != input || out.StopDate == nil || out.Name == nil {
			t.Fatalf("StartSyncExecution: %s %v %v input %q", out.Status, aws.ToString(out.Error), aws.ToString(out.Output), aws.ToString(out.Input))
		}
		if got := s.lastHost(); strings.HasPrefix(got, "sync-") != prefix {
			t.Errorf("host prefix %v: the request went to %q", prefix, got)
		}
		d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: out.ExecutionArn})
		if err != nil || d.Status != types.ExecutionStatusSucceeded {
			t.Fatalf("the synchronous execution is not recorded: %v %v", d, err)
		}
	}
	_, err := s.client(false).StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(s.env.StateMachineArn()), Input: aws.String("{")})
	var ie *types.InvalidExecutionInput
	if !errorsAs(err, &ie) {
		t.Errorf("bad input: %v, want InvalidExecutionInput", err)
	}
}

func TestAPIStateMachineForExecutionAndCreationDate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := clock.NewManual(first)
	s := serve(t, local.Options{StateDir: dir, Clock: clk, EngineClock: local.InstantClock(clk)})
	c := s.client(false)
	smArn := aws.String(s.env.StateMachineArn())
	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: smArn, Input: aws.String(`{"targets":[]}`)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: start.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: smArn})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.StateMachineArn) != *smArn || aws.ToString(got.Name) != aws.ToString(sm.Name) || aws.ToString(got.Definition) != aws.ToString(sm.Definition) ||
		aws.ToString(got.RoleArn) != aws.ToString(sm.RoleArn) || got.UpdateDate == nil || !got.UpdateDate.Equal(first) {
		t.Errorf("DescribeStateMachineForExecution = %+v", got)
	}
	if !sm.CreationDate.Equal(first) {
		t.Errorf("creationDate = %v, want %v (when the state directory was set up)", sm.CreationDate, first)
	}
	if _, err := c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String(strings.Replace(*start.ExecutionArn, ":execution:medic:", ":execution:medic:nope", 1))}); !errorsAs(err, new(*types.ExecutionDoesNotExist)) {
		t.Errorf("unknown execution: %v", err)
	}
	// A later Env on the same state directory keeps the creation date.
	clk2 := clock.NewManual(first.Add(48 * time.Hour))
	again := serve(t, local.Options{StateDir: dir, Clock: clk2, EngineClock: local.InstantClock(clk2)})
	list, err := again.client(false).ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	if err != nil || len(list.StateMachines) != 1 || !list.StateMachines[0].CreationDate.Equal(first) {
		t.Errorf("ListStateMachines after a restart: %v %+v", err, list)
	}
}

func TestAPIIncludeExecutionData(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := serve(t, local.Options{Clock: clk, EngineClock: local.InstantClock(clk)})
	if err := s.env.PutTargets(ctx, targetsFor(okServer(t))); err != nil {
		t.Fatal(err)
	}
	c := s.client(false)
	x, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(s.env.StateMachineArn()), Input: aws.String(`{"trigger":"schedule"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != types.SyncExecutionStatusSucceeded {
		t.Fatalf("status %s", x.Status)
	}
	data := func(include *bool) (n int) {
		h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: x.ExecutionArn, IncludeExecutionData: include})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range h.Events {
			if d := e.ExecutionStartedEventDetails; d != nil && d.Input != nil {
				n++
			}
			if d := e.StateEnteredEventDetails; d != nil && d.Input != nil {
				n++
			}
			if d := e.StateExitedEventDetails; d != nil && d.Output != nil {
				n++
			}
			if d := e.ExecutionSucceededEventDetails; d != nil && d.Output != nil {
				n++
			}
		}
		return n
	}
	if n := data(nil); n < 4 {
		t.Errorf("with execution data: %d inputs and outputs in the history", n)
	}
	if n := data(aws.Bool(true)); n < 4 {
		t.Errorf("includeExecutionData true: %d inputs and outputs in the history", n)
	}
	if n := data(aws.Bool(false)); n != 0 {
		t.Errorf("includeExecutionData false: %d inputs and outputs still in the history", n)
	}
	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: x.ExecutionArn, IncludedData: types.IncludedDataMetadataOnly})
	if err != nil || d.Input != nil || d.Output != nil || d.Status != types.ExecutionStatusSucceeded {
		t.Errorf("METADATA_ONLY: %v, input %v, output %v", err, d.Input, d.Output)
	}
	d, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: x.ExecutionArn})
	if err != nil || d.Input == nil || d.Output == nil {
		t.Errorf("ALL_DATA: %v, input %v, output %v", err, d.Input, d.Output)
	}
}

func TestAPIStopExecutionRecordsErrorAndCause(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	s := serve(t, local.Options{})
	if err := s.env.PutTargets(ctx, targetsFor(hang.URL)); err != nil {
		t.Fatal(err)
	}
	c := s.client(false)
	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(s.env.StateMachineArn()), Input: aws.String(`{"trigger":"schedule"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: start.ExecutionArn, Error: aws.String("Operator.Stop"), Cause: aws.String("maintenance window")}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn})
	if err != nil || d.Status != types.ExecutionStatusAborted || aws.ToString(d.Error) != "Operator.Stop" || aws.ToString(d.Cause) != "maintenance window" {
		t.Fatalf("DescribeExecution after StopExecution: %v %s %q %q", err, d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, ReverseOrder: true, MaxResults: 1})
	if err != nil {
		t.Fatal(err)
	}
	last := h.Events[0]
	if last.Type != types.HistoryEventTypeExecutionAborted || last.ExecutionAbortedEventDetails == nil ||
		aws.ToString(last.ExecutionAbortedEventDetails.Error) != "Operator.Stop" || aws.ToString(last.ExecutionAbortedEventDetails.Cause) != "maintenance window" {
		t.Errorf("last event: %s %+v", last.Type, last.ExecutionAbortedEventDetails)
	}
}

func TestAPIValidateStateMachineDefinition(t *testing.T) {
	ctx := context.Background()
	s := serve(t, local.Options{})
	c := s.client(false)
	def, err := statemachines.LocalDefault()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, def string
		result    types.ValidateStateMachineDefinitionResultCode
		codes     []string
		contains  string
	}{
		{name: "medic's definition", def: def, result: types.ValidateStateMachineDefinitionResultCodeOk},
		{name: "not JSON", def: `{"StartAt":`, result: types.ValidateStateMachineDefinitionResultCodeFail, codes: []string{"INVALID_JSON_DESCRIPTION"}},
		{name: "two problems", def: `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"},"B":{"Type":"Succeed"}}}`, result: types.ValidateStateMachineDefinitionResultCodeFail,
			codes: []string{"SCHEMA_VALIDATION_FAILED", "SCHEMA_VALIDATION_FAILED"}, contains: `"Nowhere" does not exist`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(tc.def), Type: types.StateMachineTypeStandard})
			if err != nil {
				t.Fatal(err)
			}
			if out.Result != tc.result || len(out.Diagnostics) != len(tc.codes) || aws.ToBool(out.Truncated) {
				t.Fatalf("result %s, %d diagnostics %+v", out.Result, len(out.Diagnostics), out.Diagnostics)
			}
			all := ""
			for i, d := range out.Diagnostics {
				if aws.ToString(d.Code) != tc.codes[i] || d.Severity != types.ValidateStateMachineDefinitionSeverityError || aws.ToString(d.Message) == "" {
					t.Errorf("diagnostic %d: %s %s %q", i, d.Severity, aws.ToString(d.Code), aws.ToString(d.Message))
				}
				all += aws.ToString(d.Message)
			}
			if !strings.Contains(all, tc.contains) {
				t.Errorf("diagnostics %q do not say %q", all, tc.contains)
			}
		})
	}
	out, err := c.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(cases[2].def), MaxResults: 1})
	if err != nil || len(out.Diagnostics) != 1 || !aws.ToBool(out.Truncated) {
		t.Errorf("maxResults 1: %v %+v", err, out)
	}
}

func TestAPITestState(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := serve(t, local.Options{Clock: clk, EngineClock: local.InstantClock(clk)})
	if err := s.env.PutTargets(ctx, targetsFor(okServer(t))); err != nil {
		t.Fatal(err)
	}
	loadTargets := `{"Type":"Task","Resource":"` + statemachines.LocalFunctionArn("loadtargets") + `","InputPath":"$.in","ResultSelector":{"n.$":"$.summary.batches"},"ResultPath":"$.loaded","Next":"Probe"}`
	for _, prefix := range []bool{true, false} {
		c := s.client(prefix)
		for _, level := range []types.InspectionLevel{"", types.InspectionLevelInfo, types.InspectionLevelDebug, types.InspectionLevelTrace} {
			out, err := c.TestState(ctx, &sfn.TestStateInput{Definition: aws.String(loadTargets), Input: aws.String(`{"in":{"trigger":"schedule"}}`), InspectionLevel: level,
				RoleArn: aws.String("arn:aws:iam::123456789012:role/medic")})
			if err != nil {
				t.Fatalf("TestState %s (host prefix %v): %v", level, prefix, err)
			}
			if out.Status != types.TestExecutionStatusSucceeded || aws.ToString(out.NextState) != "Probe" || !strings.Contains(aws.ToString(out.Output), `"loaded":{"n":1}`) {
				t.Fatalf("TestState %s: %s %s %q %q", level, out.Status, aws.ToString(out.NextState), aws.ToString(out.Output), aws.ToString(out.Cause))
			}
			debug := level == types.InspectionLevelDebug || level == types.InspectionLevelTrace
			if (out.InspectionData != nil) != debug {
				t.Fatalf("TestState %s: inspectionData %+v", level, out.InspectionData)
			}
			if debug {
				i := out.InspectionData
				if aws.ToString(i.AfterInputPath) != `{"trigger":"schedule"}` || !strings.Contains(aws.ToString(i.Result), `"targetList"`) || aws.ToString(i.AfterResultSelector) != `{"n":1}` || !strings.Contains(aws.ToString(i.AfterResultPath), `"loaded":{"n":1}`) {
					t.Errorf("TestState %s inspectionData: %+v", level, i)
				}
			}
			if got := s.lastHost(); strings.HasPrefix(got, "sync-") != prefix {
				t.Errorf("host prefix %v: the request went to %q", prefix, got)
			}
		}
	}
	c := s.client(false)
	out, err := c.TestState(ctx, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Fail","Error":"E","Cause":"C"}`), RoleArn: aws.String("arn:aws:iam::123456789012:role/medic")})
	if err != nil || out.Status != types.TestExecutionStatusFailed || aws.ToString(out.Error) != "E" || aws.ToString(out.Cause) != "C" {
		t.Errorf("Fail state: %v %+v", err, out)
	}
	out, err = c.TestState(ctx, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:none","Retry":[{"ErrorEquals":["States.ALL"]}],"End":true}`), RoleArn: aws.String("arn:aws:iam::123456789012:role/medic")})
	if err != nil || out.Status != types.TestExecutionStatusRetriable || aws.ToString(out.Error) != "Lambda.ResourceNotFoundException" {
		t.Errorf("retriable: %v %+v", err, out)
	}
	_, err = c.TestState(ctx, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","Nope":1,"End":true}`), RoleArn: aws.String("arn:aws:iam::123456789012:role/medic")})
	if !errorsAs(err, new(*types.InvalidDefinition)) {
		t.Errorf("invalid definition: %v", err)
	}
}

func errorsAs[T error](err error, target *T) bool { return err != nil && errors.As(err, target) }

// DescribeExecution returns the input as it was given and the output as the
// engine wrote it, after the run has ended and its record is on disk (AWS
// returns them as given, not re-indented).
func TestAPIDescribeExecutionKeepsInputAndOutputText(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	dir := t.TempDir()
	s := serve(t, local.Options{StateDir: dir, Clock: clk, EngineClock: local.InstantClock(clk)})
	if err := s.env.PutTargets(ctx, targetsFor(okServer(t))); err != nil {
		t.Fatal(err)
	}
	c := s.client(false)
	input := "{ \"trigger\" :\n  \"schedule\" }"
	x, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(s.env.StateMachineArn()), Input: aws.String(input)})
	if err != nil || x.Status != types.SyncExecutionStatusSucceeded {
		t.Fatalf("run: %v %+v", err, x)
	}
	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: x.ExecutionArn, ReverseOrder: true, MaxResults: 1})
	if err != nil || h.Events[0].ExecutionSucceededEventDetails == nil {
		t.Fatalf("history: %v %+v", err, h)
	}
	output := aws.ToString(h.Events[0].ExecutionSucceededEventDetails.Output)
	for _, c := range []*sfn.Client{c, serve(t, local.Options{StateDir: dir}).client(false)} { // this Env, then a new one on the same records
		d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: x.ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(d.Input) != input {
			t.Errorf("input = %q, want %q as given", aws.ToString(d.Input), input)
		}
		if aws.ToString(d.Output) != output || strings.Contains(output, "\n") {
			t.Errorf("output = %q, want %q", aws.ToString(d.Output), output)
		}
	}
}

// A record written before the input's text was kept (no inputText) still
// reads, with its input as stored.
func TestAPIOldRecordsStillRead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := serve(t, local.Options{StateDir: dir, Clock: clk, EngineClock: local.InstantClock(clk)})
	if err := s.env.PutTargets(ctx, targetsFor(okServer(t))); err != nil {
		t.Fatal(err)
	}
	rec, err := s.env.Run(ctx, "old", `{"trigger": "schedule"}`)
	if err != nil || rec.Status != "SUCCEEDED" {
		t.Fatalf("run: %v %s", err, rec.Status)
	}
	path := filepath.Join(dir, "executions", "old.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m["inputText"] == nil {
		t.Fatalf("the record has no inputText: %v", err)
	}
	delete(m, "inputText")
	delete(m, "outputText")
	b, _ = json.Marshal(m)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := serve(t, local.Options{StateDir: dir}).client(false).DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(rec.Arn)})
	if err != nil || d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Input) != `{"trigger":"schedule"}` || d.Output == nil {
		t.Fatalf("old record: %v %+v", err, d)
	}
}
