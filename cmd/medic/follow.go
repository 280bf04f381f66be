package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// execution is a finished (or still running) execution and its history.
type execution struct {
	desc   *sfn.DescribeExecutionOutput
	events []types.HistoryEvent
}

// history reads an execution's whole history, oldest first.
func history(ctx context.Context, c *sfn.Client, arn string) ([]types.HistoryEvent, error) {
	var events []types.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(c, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the history of %s: %w", arn, err)
		}
		events = append(events, out.Events...)
	}
	return events, nil
}

// follow polls an execution until it ends, calling onEvent once for each
// history event as it appears, in order.
func follow(ctx context.Context, c *conn, arn string, onEvent func(types.HistoryEvent)) (*execution, error) {
	interval := 50 * time.Millisecond
	if c.region != "" {
		interval = 2 * time.Second
	}
	var seen int64
	for {
		desc, err := c.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			return nil, fmt.Errorf("describe %s: %w", arn, err)
		}
		events, err := history(ctx, c.client, arn)
		if err != nil {
			return nil, err
		}
		for _, ev := range events {
			if ev.Id > seen {
				seen = ev.Id
				if onEvent != nil {
					onEvent(ev)
				}
			}
		}
		if desc.Status != types.ExecutionStatusRunning && desc.Status != types.ExecutionStatusPendingRedrive {
			return &execution{desc: desc, events: events}, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// startAndFollow starts an execution with input and follows it to its end.
func startAndFollow(ctx context.Context, c *conn, name, input string, onEvent func(types.HistoryEvent)) (*execution, error) {
	in := &sfn.StartExecutionInput{StateMachineArn: aws.String(c.smArn), Input: aws.String(input)}
	if name != "" {
		in.Name = aws.String(name)
	}
	out, err := c.client.StartExecution(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("start an execution of %s: %w", c.smArn, err)
	}
	arn := aws.ToString(out.ExecutionArn)
	x, err := follow(ctx, c, arn, onEvent)
	if err != nil && ctx.Err() != nil {
		// Interrupted: stop the execution so it does not run on unattended
		// (locally it would hold the store), then report the interruption.
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = c.client.StopExecution(stopCtx, &sfn.StopExecutionInput{ExecutionArn: aws.String(arn), Error: aws.String("medic.Interrupted"), Cause: aws.String("medic was interrupted while following the execution")})
	}
	return x, err
}
