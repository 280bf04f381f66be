// Package engine runs Amazon States Language (JSONPath) state machines in
// process, as Step Functions would: the same states, paths, intrinsic
// functions, Choice rules, Retry/Catch semantics, error names, payload limit
// and history events. It knows nothing about the tasks it runs: the caller
// binds each Task resource to a Go function.
//
// Use:
//
//	m, err := engine.Parse(definition) // validates as AWS does; errors name the state and field
//	if err != nil { ... }
//	x := m.Run(ctx, json.RawMessage(`{"trigger":"schedule"}`), engine.Options{
//		Resources: map[string]engine.Func{
//			"arn:aws:lambda:us-east-1:123456789012:function:probe": engine.LambdaHandler(h.Handle),
//		},
//		Clock:         engine.NewInstantClock(start), // or engine.RealClock{}
//		ExecutionName: "run-1",
//		OnEvent:       func(e engine.Event) { ... }, // live progress
//	})
//	// x.Status is SUCCEEDED, FAILED, TIMED_OUT or ABORTED; x.Output or
//	// x.Error and x.Cause; x.Events is the GetExecutionHistory-shaped history;
//	// x.Transitions counts billed state transitions.
//
// Resources: a bare Lambda function ARN receives the state's effective input
// and its result is the task's result; arn:aws:states:::lambda:invoke sends
// Parameters.Payload to the function named by Parameters.FunctionName (matched
// by ARN or by function name) and wraps the result as Lambda's Invoke API
// does ({ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata,
// StatusCode}). LambdaHandler binds any aws-lambda-go handler with Lambda's
// own marshalling and error naming, so ErrorEquals matches the Go error
// type's name exactly as it would on AWS. A Func may also return a
// *TaskError to fail with a chosen error name and cause.
//
// Time: Wait states, retry intervals and timeouts go through Options.Clock.
// With an InstantClock nothing sleeps; a bound function can read or advance
// the execution's clock with ClockFrom(ctx). Cancelling the context of Run
// stops the execution (StopExecution): it ends ABORTED, with the error and
// cause of a cancel cause that implements StopDetails.
//
// TestState runs one state's definition once, as the TestState API does,
// and reports its status, output, next state and the data after each
// processing step.
//
// Distributed Map (ProcessorConfig.Mode DISTRIBUTED) runs each item or batch
// as a child run whose events are not in the parent's history; ItemReader
// reads a JSON array through Options.ItemReaderFunc; ResultWriter is accepted
// and ignored (results are returned as the Map's output).
//
// docs/engine.md lists what is supported and where the engine knowingly
// differs from AWS.
package engine
