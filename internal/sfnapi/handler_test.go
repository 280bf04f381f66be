package sfnapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"

	"github.com/medic-dev/medic/internal/sfnapi"
)

// recorder is a Backend that "runs" an execution by recording three events
// and finishing at once with the input as output, or failing when the input
// has "fail": true.
type recorder struct {
	mu     sync.Mutex
	now    time.Time
	sm     sfnapi.StateMachine
	execs  []sfnapi.Execution // oldest first
	events map[string][]sfnapi.HistoryEvent
}

func newRecorder() *recorder {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return &recorder{
		now:    now,
		sm:     sfnapi.StateMachine{Arn: sfnapi.StateMachineArn("medic-test"), Name: "medic-test", Definition: `{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, RoleArn: "arn:aws:iam::000000000000:role/medic", Created: now},
		events: map[string][]sfnapi.HistoryEvent{},
	}
}

func (r *recorder) StateMachines() []sfnapi.StateMachine { return []sfnapi.StateMachine{r.sm} }

func (r *recorder) Start(_ context.Context, smArn, name, input string) (sfnapi.Execution, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if smArn != r.sm.Arn {
		return sfnapi.Execution{}, fmt.Errorf("start %s: %w", smArn, sfnapi.ErrStateMachineDoesNotExist)
	}
	arn := sfnapi.ExecutionArn(smArn, name)
	for _, e := range r.execs {
		if e.Arn == arn {
			return sfnapi.Execution{}, fmt.Errorf("start %s: %w", name, sfnapi.ErrExecutionAlreadyExists)
		}
	}
	r.now = r.now.Add(time.Second)
	e := sfnapi.Execution{Arn: arn, Name: name, StateMachineArn: smArn, Status: sfnapi.StatusSucceeded, Input: input, Output: input, StartDate: r.now, StopDate: r.now.Add(time.Second)}
	if strings.Contains(input, `"fail":true`) {
		e.Status, e.Output, e.Error, e.Cause = sfnapi.StatusFailed, "", "States.TaskFailed", "asked to fail"
	}
	if strings.Contains(input, `"hang":true`) {
		e.Status, e.Output, e.StopDate = sfnapi.StatusRunning, "", time.Time{}
	}
	r.execs = append(r.execs, e)
	in, _ := json.Marshal(map[string]any{"input": input, "inputDetails": map[string]bool{"truncated": false}, "roleArn": r.sm.RoleArn})
	entered, _ := json.Marshal(map[string]string{"name": "A", "input": input})
	r.events[arn] = []sfnapi.HistoryEvent{
		{ID: 1, Timestamp: r.now, Type: "ExecutionStarted", Details: in},
		{ID: 2, PreviousEventID: 1, Timestamp: r.now, Type: "SucceedStateEntered", Details: entered},
		{ID: 3, PreviousEventID: 2, Timestamp: r.now, Type: "MapStateSucceeded"},
	}
	return e, nil
}

func (r *recorder) find(arn string) (int, error) {
	for i, e := range r.execs {
		if e.Arn == arn {
			return i, nil
		}
	}
	return 0, fmt.Errorf("find %s: %w", arn, sfnapi.ErrExecutionDoesNotExist)
}

func (r *recorder) Describe(_ context.Context, arn string) (sfnapi.Execution, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, err := r.find(arn)
	if err != nil {
		return sfnapi.Execution{}, err
	}
	return r.execs[i], nil
}

func (r *recorder) History(_ context.Context, arn string) ([]sfnapi.HistoryEvent, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.find(arn); err != nil {
		return nil, err
	}
	return r.events[arn], nil
}

func (r *recorder) List(_ context.Context, smArn string) ([]sfnapi.Execution, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if smArn != r.sm.Arn {
		return nil, fmt.Errorf("list %s: %w", smArn, sfnapi.ErrStateMachineDoesNotExist)
	}
	out := slices.Clone(r.execs)
	slices.Reverse(out)
	return out, nil
}

func (r *recorder) Stop(_ context.Context, arn, code, cause string) (sfnapi.Execution, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, err := r.find(arn)
	if err != nil {
		return sfnapi.Execution{}, err
	}
	if r.execs[i].Status == sfnapi.StatusRunning {
		r.execs[i].Status, r.execs[i].Error, r.execs[i].Cause, r.execs[i].StopDate = sfnapi.StatusAborted, code, cause, r.now.Add(time.Minute)
	}
	return r.execs[i], nil
}

func newClient(t *testing.T, b sfnapi.Backend) *sfn.Client {
	t.Helper()
	srv := httptest.NewServer(sfnapi.NewHandler(b, nil))
	t.Cleanup(srv.Close)
	return sfn.New(sfn.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("medic", "medic-local", ""),
	})
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder()
	c := newClient(t, rec)

	sms, err := c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	if err != nil {
		t.Fatalf("ListStateMachines: %v", err)
	}
	if len(sms.StateMachines) != 1 || aws.ToString(sms.StateMachines[0].Name) != "medic-test" || sms.StateMachines[0].Type != types.StateMachineTypeStandard {
		t.Fatalf("ListStateMachines = %+v", sms.StateMachines)
	}
	smArn := sms.StateMachines[0].StateMachineArn

	dsm, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: smArn})
	if err != nil {
		t.Fatalf("DescribeStateMachine: %v", err)
	}
	if aws.ToString(dsm.Definition) != rec.sm.Definition || dsm.Status != types.StateMachineStatusActive || !dsm.CreationDate.Equal(rec.sm.Created) {
		t.Fatalf("DescribeStateMachine = %+v", dsm)
	}

	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: smArn, Name: aws.String("run-1"), Input: aws.String(`{"targets":["web"]}`)})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	wantArn := "arn:aws:states:us-east-1:000000000000:execution:medic-test:run-1"
	if aws.ToString(start.ExecutionArn) != wantArn || start.StartDate == nil {
		t.Fatalf("StartExecution = %s %v, want %s", aws.ToString(start.ExecutionArn), start.StartDate, wantArn)
	}

	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn})
	if err != nil {
		t.Fatalf("DescribeExecution: %v", err)
	}
	if d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"targets":["web"]}` || aws.ToString(d.Name) != "run-1" ||
		!d.StartDate.Equal(*start.StartDate) || d.StopDate.Sub(*d.StartDate) != time.Second {
		t.Fatalf("DescribeExecution = %+v", d)
	}

	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn})
	if err != nil {
		t.Fatalf("GetExecutionHistory: %v", err)
	}
	if len(h.Events) != 3 || h.NextToken != nil {
		t.Fatalf("history has %d events (next %v), want 3", len(h.Events), h.NextToken)
	}
	ev := h.Events[0]
	if ev.Type != types.HistoryEventTypeExecutionStarted || ev.Id != 1 || ev.ExecutionStartedEventDetails == nil ||
		aws.ToString(ev.ExecutionStartedEventDetails.Input) != `{"targets":["web"]}` || !ev.Timestamp.Equal(*start.StartDate) {
		t.Fatalf("event 1 = %+v", ev)
	}
	if ev := h.Events[1]; ev.StateEnteredEventDetails == nil || aws.ToString(ev.StateEnteredEventDetails.Name) != "A" || ev.PreviousEventId != 1 {
		t.Fatalf("event 2 = %+v", ev)
	}

	if _, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: smArn, Name: aws.String("run-2"), Input: aws.String(`{"fail":true}`)}); err != nil {
		t.Fatalf("StartExecution run-2: %v", err)
	}
	l, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: smArn})
	if err != nil {
		t.Fatalf("ListExecutions: %v", err)
	}
	var names []string
	for _, e := range l.Executions {
		names = append(names, aws.ToString(e.Name)+"="+string(e.Status))
	}
	if got := strings.Join(names, ","); got != "run-2=FAILED,run-1=SUCCEEDED" {
		t.Fatalf("ListExecutions = %s", got)
	}
	failed, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: smArn, StatusFilter: types.ExecutionStatusFailed})
	if err != nil || len(failed.Executions) != 1 || aws.ToString(failed.Executions[0].Name) != "run-2" {
		t.Fatalf("ListExecutions(FAILED) = %+v, %v", failed, err)
	}
	d2, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: failed.Executions[0].ExecutionArn})
	if err != nil || aws.ToString(d2.Error) != "States.TaskFailed" || aws.ToString(d2.Cause) != "asked to fail" || d2.Output != nil {
		t.Fatalf("DescribeExecution(run-2) = %+v, %v", d2, err)
	}
}

func TestGeneratedNameAndDefaultInput(t *testing.T) {
	rec := newRecorder()
	c := newClient(t, rec)
	out, err := c.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(rec.sm.Arn)})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: out.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	if len(aws.ToString(d.Name)) != 36 || aws.ToString(d.Input) != "{}" {
		t.Fatalf("generated name %q input %q", aws.ToString(d.Name), aws.ToString(d.Input))
	}
}

func TestHistoryPaging(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder()
	c := newClient(t, rec)
	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(rec.sm.Arn), Name: aws.String("p")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		reverse bool
		want    []int64
	}{
		{"forward", false, []int64{1, 2, 3}},
		{"reverse", true, []int64{3, 2, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ids []int64
			p := sfn.NewGetExecutionHistoryPaginator(c, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, ReverseOrder: tc.reverse, MaxResults: 2})
			pages := 0
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, ev := range out.Events {
					ids = append(ids, ev.Id)
				}
			}
			if !slices.Equal(ids, tc.want) || pages != 2 {
				t.Fatalf("ids %v in %d pages, want %v in 2", ids, pages, tc.want)
			}
		})
	}
}

func TestListPaging(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder()
	c := newClient(t, rec)
	for i := range 5 {
		if _, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(rec.sm.Arn), Name: aws.String(fmt.Sprintf("r%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	p := sfn.NewListExecutionsPaginator(c, &sfn.ListExecutionsInput{StateMachineArn: aws.String(rec.sm.Arn), MaxResults: 2})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range out.Executions {
			names = append(names, aws.ToString(e.Name))
		}
	}
	if got := strings.Join(names, ","); got != "r4,r3,r2,r1,r0" {
		t.Fatalf("paged list = %s", got)
	}
}

func TestStop(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder()
	c := newClient(t, rec)
	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(rec.sm.Arn), Name: aws.String("h"), Input: aws.String(`{"hang":true}`)})
	if err != nil {
		t.Fatal(err)
	}
	stop, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: start.ExecutionArn, Error: aws.String("Operator"), Cause: aws.String("enough")})
	if err != nil || stop.StopDate == nil {
		t.Fatalf("StopExecution = %+v, %v", stop, err)
	}
	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn})
	if err != nil || d.Status != types.ExecutionStatusAborted || aws.ToString(d.Error) != "Operator" {
		t.Fatalf("after stop: %+v, %v", d, err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder()
	c := newClient(t, rec)
	sm := aws.String(rec.sm.Arn)
	if _, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm, Name: aws.String("dup")}); err != nil {
		t.Fatal(err)
	}
	missingExec := aws.String(sfnapi.ExecutionArn(rec.sm.Arn, "nope"))
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"describe missing execution", func() error {
			_, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: missingExec})
			return err
		}, "ExecutionDoesNotExist"},
		{"history of missing execution", func() error {
			_, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: missingExec})
			return err
		}, "ExecutionDoesNotExist"},
		{"stop missing execution", func() error {
			_, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: missingExec})
			return err
		}, "ExecutionDoesNotExist"},
		{"start on missing machine", func() error {
			_, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sfnapi.StateMachineArn("other"))})
			return err
		}, "StateMachineDoesNotExist"},
		{"describe missing machine", func() error {
			_, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(sfnapi.StateMachineArn("other"))})
			return err
		}, "StateMachineDoesNotExist"},
		{"malformed arn", func() error {
			_, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("not-an-arn")})
			return err
		}, "InvalidArn"},
		{"state machine arn where an execution is expected", func() error {
			_, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: sm})
			return err
		}, "InvalidArn"},
		{"duplicate name", func() error {
			_, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm, Name: aws.String("dup")})
			return err
		}, "ExecutionAlreadyExists"},
		{"bad name", func() error {
			_, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm, Name: aws.String("a b")})
			return err
		}, "InvalidName"},
		{"input not JSON", func() error {
			_, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm, Input: aws.String("{nope")})
			return err
		}, "InvalidExecutionInput"},
		{"bad status filter", func() error {
			_, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: sm, StatusFilter: "SLEEPING"})
			return err
		}, "ValidationException"},
		{"maxResults too big", func() error {
			_, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: sm, MaxResults: 1001})
			return err
		}, "ValidationException"},
		{"forged token", func() error {
			_, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: sm, NextToken: aws.String("Zm9v")})
			return err
		}, "InvalidToken"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.want {
				t.Fatalf("err = %v, want API error %s", err, tc.want)
			}
			var re interface{ HTTPStatusCode() int }
			if errors.As(err, &re) && re.HTTPStatusCode() != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", re.HTTPStatusCode())
			}
		})
	}
}

func TestUnknownOperation(t *testing.T) {
	srv := httptest.NewServer(sfnapi.NewHandler(newRecorder(), nil))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.CreateActivity")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 400 || body["__type"] != "UnknownOperationException" || !strings.Contains(body["message"], "CreateActivity") {
		t.Fatalf("status %d body %v", resp.StatusCode, body)
	}
}

func TestDetailsKey(t *testing.T) {
	for in, want := range map[string]string{
		"TaskStateEntered":        "stateEnteredEventDetails",
		"MapStateExited":          "stateExitedEventDetails",
		"TaskScheduled":           "taskScheduledEventDetails",
		"LambdaFunctionSucceeded": "lambdaFunctionSucceededEventDetails",
		"MapIterationStarted":     "mapIterationStartedEventDetails",
		"ExecutionFailed":         "executionFailedEventDetails",
	} {
		if got := sfnapi.DetailsKey(in); got != want {
			t.Errorf("DetailsKey(%s) = %s, want %s", in, got, want)
		}
	}
}
