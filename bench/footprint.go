package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Tasks are the task functions, each with a tasks/<name>/bootstrap.
var Tasks = []string{"loadtargets", "probe", "writeecho", "checkstaleness", "notify"}

// BuildBootstrap builds tasks/<task>/bootstrap into dir as Lambda does it
// (CGO_ENABLED=0 -tags lambda.norpc -trimpath -ldflags="-s -w") for
// goos/goarch and returns the binary's path.
func BuildBootstrap(ctx context.Context, task, goos, goarch, dir string) (string, error) {
	out := filepath.Join(dir, task+"-"+goos+"-"+goarch)
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, "./tasks/"+task+"/bootstrap")
	cmd.Dir = RepoRoot()
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s for %s/%s: %w\n%s", task, goos, goarch, err, b)
	}
	return out, nil
}

// TimeToReady starts a bootstrap binary with AWS_LAMBDA_RUNTIME_API
// pointing at a tiny runtime API of its own and returns the time from
// starting the process to its first GET /2018-06-01/runtime/invocation/next
// (the function is initialised and waiting for an event). The process is
// then killed.
func TimeToReady(ctx context.Context, binary string) (time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	ready := make(chan time.Time, 1)
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/2018-06-01/runtime/invocation/next" {
			select {
			case ready <- time.Now():
			default:
			}
			<-r.Context().Done() // hold the request: no event comes
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	cmd := exec.CommandContext(ctx, binary)
	cmd.Env = []string{
		"AWS_LAMBDA_RUNTIME_API=" + ln.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME=medic-bench", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/medic-bench", "AWS_LAMBDA_LOG_STREAM_NAME=bench",
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench",
		"AWS_EC2_METADATA_DISABLED=true",
		"MEDIC_BUCKET=medic", "MEDIC_ALLOW_NETWORKS=public",
		"MEDIC_SNS_TOPIC_ARN=arn:aws:sns:us-east-1:000000000000:medic",
		"HOME=" + os.TempDir(),
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", binary, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()
	select {
	case t := <-ready:
		return t.Sub(start), nil
	case err := <-exited:
		exited <- err
		return 0, fmt.Errorf("%s exited before asking for an event: %v", binary, err)
	case <-time.After(20 * time.Second):
		return 0, fmt.Errorf("%s did not ask for an event within 20 s", binary)
	}
}
