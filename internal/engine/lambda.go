package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
)

// Func is a bound task resource: it receives the payload JSON and returns
// the result JSON. Return a *TaskError to fail with a given error name.
type Func func(ctx context.Context, payload json.RawMessage) (json.RawMessage, error)

const lambdaInvoke = "arn:aws:states:::lambda:invoke"

// LambdaHandler adapts any aws-lambda-go handler (anything lambda.NewHandler
// accepts) so that marshalling and the error name are exactly Lambda's: the
// error name is the Go error type's name without package or pointer
// (errors.New gives "errorString") and the cause is Lambda's error JSON,
// {"errorMessage": ..., "errorType": ...}. A panic becomes an error the same
// way.
func LambdaHandler(handler any) Func {
	return func(ctx context.Context, payload json.RawMessage) (out json.RawMessage, err error) {
		// A handler per call: aws-lambda-go returns bytes from a per-handler
		// buffer pool that the next call would reuse.
		h := lambda.NewHandler(handler)
		defer func() {
			if r := recover(); r != nil {
				err = lambdaError(reflectTypeName(r), fmt.Sprint(r))
			}
		}()
		b, err := h.Invoke(ctx, payload)
		if err != nil {
			var ive messages.InvokeResponse_Error
			if errors.As(err, &ive) {
				return nil, lambdaError(ive.Type, ive.Message)
			}
			return nil, lambdaError(reflectTypeName(err), err.Error())
		}
		return append(json.RawMessage(nil), b...), nil
	}
}

func reflectTypeName(v any) string {
	t := reflect.TypeOf(v)
	if t == nil {
		return "nil"
	}
	if t.Kind() == reflect.Pointer {
		return t.Elem().Name()
	}
	return t.Name()
}

func lambdaError(typ, msg string) *TaskError {
	cause := encodeValue(map[string]any{"errorMessage": msg, "errorType": typ})
	return &TaskError{Name: typ, Cause: string(cause)}
}

// resolveFunction finds the Func for a Lambda function given as an ARN
// (optionally qualified), a partial ARN or a bare name.
func (o *Options) resolveFunction(name string) (Func, bool) {
	if f, ok := o.Resources[name]; ok {
		return f, true
	}
	want := functionName(name)
	for k, f := range o.Resources {
		if functionName(k) == want {
			return f, true
		}
	}
	return nil, false
}

// functionName extracts the function name from a Lambda ARN, a partial ARN
// ("123456789012:function:name") or a name, dropping any qualifier.
func functionName(s string) string {
	if i := strings.Index(s, "function:"); i >= 0 {
		s = s[i+len("function:"):]
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	return s
}

// isLambdaARN reports whether res is a bare Lambda function ARN.
func isLambdaARN(res string) bool {
	parts := strings.Split(res, ":")
	return len(parts) >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function"
}

// The parts of the lambda:invoke wrapper that never change, shared by every
// result (values are never changed in place).
var (
	invokeStatus200      any = json.Number("200")
	invokeKeepAlive          = []any{"keep-alive"}
	invokeJSONType           = []any{"application/json"}
	invokeLatest             = []any{"$LATEST"}
	invokeRemappedLength     = []any{"0"}
)

// lambdaInvokeResult wraps a function's result as arn:aws:states:::lambda:invoke returns it.
func lambdaInvokeResult(payload any, requestID string) map[string]any {
	id := any(requestID)
	return map[string]any{
		"ExecutedVersion": "$LATEST",
		"Payload":         payload,
		"SdkHttpMetadata": map[string]any{
			"AllHttpHeaders": map[string]any{
				"Connection":                     invokeKeepAlive,
				"Content-Type":                   invokeJSONType,
				"X-Amz-Executed-Version":         invokeLatest,
				"x-amzn-Remapped-Content-Length": invokeRemappedLength,
				"x-amzn-RequestId":               []any{id},
			},
			"HttpHeaders": map[string]any{
				"Connection":                     "keep-alive",
				"Content-Type":                   "application/json",
				"X-Amz-Executed-Version":         "$LATEST",
				"x-amzn-Remapped-Content-Length": "0",
				"x-amzn-RequestId":               id,
			},
			"HttpStatusCode": invokeStatus200,
		},
		"SdkResponseMetadata": map[string]any{"RequestId": id},
		"StatusCode":          invokeStatus200,
	}
}

// invokeResultTemplate is the encoding of lambdaInvokeResult cut where the
// payload (even parts end before it) and the request id go: the wrapper's
// keys and headers never change, so its JSON is put together from the
// payload's rather than encoded each time.
var invokeResultTemplate = func() []string {
	const payloadMark, idMark = "\x00payload\x00", "\x00request-id\x00"
	enc := encodeString(lambdaInvokeResult(payloadMark, idMark))
	quotedPayload, quotedID := encodeString(payloadMark), encodeString(idMark)
	var parts []string
	for {
		i, j := strings.Index(enc, quotedPayload), strings.Index(enc, quotedID)
		switch {
		case i < 0 && j < 0:
			return append(parts, enc)
		case i >= 0 && (j < 0 || i < j):
			parts = append(parts, enc[:i], "payload")
			enc = enc[i+len(quotedPayload):]
		default:
			parts = append(parts, enc[:j], "id")
			enc = enc[j+len(quotedID):]
		}
	}
}()

// wrapInvokeResult is lambdaInvokeResult whose encoding is in the memo.
func (x *execution) wrapInvokeResult(payload any, requestID string) map[string]any {
	w := lambdaInvokeResult(payload, requestID)
	if s, ok := x.encodeInvokeResponse(payload, requestID); ok {
		x.memo.put(mapKey(w), s)
	}
	return w
}
