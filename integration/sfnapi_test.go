package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/medic-dev/medic/internal/clock"
	"github.com/medic-dev/medic/internal/echo"
	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/probe"
)

// serveLocal does what `medic serve` does, in-process: open the local
// environment over a state directory, upload the targets file and serve
// the Step Functions API over it. It returns a real sfn client for it.
func serveLocal(t *testing.T, targets string) (*sfn.Client, *local.Env) {
	t.Helper()
	clk := clock.NewManual(start)
	env, err := local.Open(local.Options{
		StateDir:    t.TempDir(),
		Clock:       clk,
		EngineClock: local.InstantClock(clk),
		Getenv:      func(string) string { return "" },
	})
	if err != nil {
		t.Fatalf("open local environment: %v", err)
	}
	t.Cleanup(func() { _ = env.Close() })
	if err := env.PutTargets(context.Background(), []byte(targets)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Config.Handler = env.APIHandler(srv.Listener.Addr())
	srv.Start()
	t.Cleanup(srv.Close)
	return sfn.New(sfn.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  env.Credentials(),
	}), env
}

// waitDone polls DescribeExecution until the execution is no longer RUNNING.
func waitDone(t *testing.T, c *sfn.Client, arn *string) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: arn})
		if err != nil {
			t.Fatalf("DescribeExecution: %v", err)
		}
		if out.Status != types.ExecutionStatusRunning {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution still RUNNING after 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Scenario 7: the AWS SDK's Step Functions client against `medic serve`:
// StartExecution of a targeted check, DescribeExecution until done,
// GetExecutionHistory and ListExecutions.
func TestSfnClientAgainstMedicServe(t *testing.T) {
	ctx := context.Background()
	myhost := newBodyServer(t, http.StatusOK, "ok")
	other := newBodyServer(t, http.StatusOK, "ok")
	c, env := serveLocal(t, fmt.Sprintf("targets:\n  - {name: myhost, url: %q}\n  - {name: other, url: %q}\n", myhost.URL, other.URL))

	started, err := c.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(env.StateMachineArn()),
		Name:            aws.String("check-myhost"),
		Input:           aws.String(`{"targets":["myhost"]}`),
	})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	done := waitDone(t, c, started.ExecutionArn)
	if done.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("execution %s: %s %s", done.Status, aws.ToString(done.Error), aws.ToString(done.Cause))
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(done.Output)), &out); err != nil {
		t.Fatalf("output: %v", err)
	}
	if field(out, "trigger") != "targeted" || num(out, "loaded.targets") != 1 || num(out, "statuses.UP") != 1 {
		t.Errorf("output %v, want a targeted run of 1 target, UP", out)
	}
	if myhost.requests() != 1 || other.requests() != 0 {
		t.Errorf("myhost probed %d times, other %d; want 1, 0", myhost.requests(), other.requests())
	}
	st, err := env.Store(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var echoed []probe.Result
	if _, err := st.GetJSON(ctx, echo.Key("myhost", "myhost"), &echoed); err != nil || len(echoed) != 1 || !echoed[0].Up || echoed[0].Run != "check-myhost" {
		t.Errorf("echo/batch/myhost--myhost.json = %+v (%v), want myhost up, from run check-myhost", echoed, err)
	}

	var events []types.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(c, &sfn.GetExecutionHistoryInput{ExecutionArn: started.ExecutionArn, MaxResults: 10})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("GetExecutionHistory: %v", err)
		}
		events = append(events, page.Events...)
	}
	var states []string
	for _, e := range events {
		if e.StateEnteredEventDetails != nil {
			states = append(states, aws.ToString(e.StateEnteredEventDetails.Name))
		}
	}
	if want := []string{"LoadTargets", "ProbeTargets", "CheckStaleness", "Notify"}; !slices.Equal(states, want) {
		t.Errorf("states entered %q, want %q", states, want)
	}
	if len(events) == 0 || events[0].Type != types.HistoryEventTypeExecutionStarted || events[len(events)-1].Type != types.HistoryEventTypeExecutionSucceeded {
		t.Errorf("history does not run from ExecutionStarted to ExecutionSucceeded (%d events)", len(events))
	}

	second, err := c.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(env.StateMachineArn()), Input: aws.String(`{"trigger":"schedule"}`),
	})
	if err != nil {
		t.Fatalf("second StartExecution: %v", err)
	}
	waitDone(t, c, second.ExecutionArn)
	list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(env.StateMachineArn())})
	if err != nil {
		t.Fatalf("ListExecutions: %v", err)
	}
	var arns []string
	for _, e := range list.Executions {
		arns = append(arns, aws.ToString(e.ExecutionArn))
		if e.Status != types.ExecutionStatusSucceeded {
			t.Errorf("listed %s as %s, want SUCCEEDED", aws.ToString(e.Name), e.Status)
		}
	}
	if !slices.Contains(arns, aws.ToString(started.ExecutionArn)) || !slices.Contains(arns, aws.ToString(second.ExecutionArn)) || len(arns) != 2 {
		t.Errorf("ListExecutions = %q, want both executions", arns)
	}

	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(env.StateMachineArn()), Name: aws.String("check-myhost"), Input: aws.String(`{}`),
	})
	var exists *types.ExecutionAlreadyExists
	if !errors.As(err, &exists) {
		t.Errorf("starting check-myhost again: %v, want ExecutionAlreadyExists", err)
	}
}
