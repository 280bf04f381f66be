package integration

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// A finished execution is never reported ABORTED (issue 19): many
// executions started at once through the Step Functions API, while other
// callers list and describe them without pause. Every execution that
// succeeds must be seen as RUNNING or SUCCEEDED by every reader, at every
// moment, and never as ABORTED ("the process running it stopped").
func TestNoSucceededExecutionIsListedAsAborted(t *testing.T) {
	ctx := context.Background()
	web := newBodyServer(t, http.StatusOK, "ok")
	c, env := serveLocal(t, fmt.Sprintf("targets:\n  - {name: web, url: %q}\n", web.URL))
	sm := aws.String(env.StateMachineArn())

	const starters, perStarter = 4, 6
	var (
		mu      sync.Mutex
		arns    []*string
		wrong   []string
		readers sync.WaitGroup
	)
	seen := func(name string, status types.ExecutionStatus, how string) {
		if status == types.ExecutionStatusRunning || status == types.ExecutionStatusSucceeded {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		wrong = append(wrong, fmt.Sprintf("%s: %s by %s", name, status, how))
	}
	stop := make(chan struct{})
	for range 3 {
		readers.Add(2)
		go func() { // ListExecutions without pause
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				out, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: sm})
				if err != nil {
					t.Errorf("ListExecutions: %v", err)
					return
				}
				for _, e := range out.Executions {
					seen(aws.ToString(e.Name), e.Status, "ListExecutions")
				}
			}
		}()
		go func() { // DescribeExecution of everything started so far
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				batch := append([]*string(nil), arns...)
				mu.Unlock()
				for _, arn := range batch {
					out, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: arn})
					if err != nil {
						t.Errorf("DescribeExecution: %v", err)
						return
					}
					seen(aws.ToString(out.Name), out.Status, "DescribeExecution")
				}
			}
		}()
	}

	var starts sync.WaitGroup
	for s := range starters {
		starts.Add(1)
		go func() {
			defer starts.Done()
			for i := range perStarter {
				out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{
					StateMachineArn: sm, Name: aws.String(fmt.Sprintf("run-%d-%d", s, i)), Input: aws.String(`{"targets":["web"]}`),
				})
				if err != nil {
					t.Errorf("StartExecution: %v", err)
					return
				}
				mu.Lock()
				arns = append(arns, out.ExecutionArn)
				mu.Unlock()
				// Wait for this one before the next, as a caller of a targeted check does.
				if done := waitDone(t, c, out.ExecutionArn); done.Status != types.ExecutionStatusSucceeded {
					t.Errorf("%s ended %s: %s %s", aws.ToString(done.Name), done.Status, aws.ToString(done.Error), aws.ToString(done.Cause))
				}
			}
		}()
	}
	starts.Wait()
	close(stop)
	readers.Wait()

	out, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: sm})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Executions) != starters*perStarter {
		t.Errorf("listed %d executions, want %d", len(out.Executions), starters*perStarter)
	}
	for _, e := range out.Executions {
		if e.Status != types.ExecutionStatusSucceeded {
			t.Errorf("finally listed %s as %s, want SUCCEEDED", aws.ToString(e.Name), e.Status)
		}
	}
	for _, w := range wrong {
		t.Errorf("an execution that succeeded was reported %s", w)
	}
}
