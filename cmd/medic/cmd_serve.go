package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/localauth"
	"github.com/medic-dev/medic/internal/site"
	"github.com/spf13/pflag"
)

var serveCommand = &command{
	name:    "serve",
	summary: "serve the Step Functions API and the S3 endpoint of a local medic",
	help: `Serves a local medic on loopback until interrupted:

  - the Step Functions API (AWS JSON 1.0: StartExecution, DescribeExecution,
    GetExecutionHistory, ListExecutions, StopExecution, ListStateMachines,
    DescribeStateMachine) on --addr, running the real definition with the
    real task handlers;
  - the embedded S3 endpoint on --s3-addr (path-style; bucket "medic"),
    unless --s3-endpoint names another one;
  - the status page on --page-addr: http://127.0.0.1:8085/ (and
    /status.json) as the last run published them, read-only and without
    credentials, so that a browser opens it.

The AWS CLI, the Go SDK and 'medic --endpoint URL' work against it as
against AWS, for example:

  aws stepfunctions start-execution --endpoint-url http://127.0.0.1:8083 \
    --state-machine-arn arn:aws:states:us-east-1:000000000000:stateMachine:medic \
    --input '{"targets":["api"]}'
  aws s3 ls s3://medic/ --recursive --endpoint-url http://127.0.0.1:8084
  medic executions --endpoint http://127.0.0.1:8083

Both endpoints accept only requests signed (AWS Signature V4) with medic's
local credentials, generated once and kept in STATE-DIR/credentials; set
them with eval "$(medic credentials)" before using the AWS CLI or an SDK.
They answer only Host names of the bound address (127.0.0.1, localhost),
and no browser origin unless --cors-origin names it.

The targets file (--config), when it exists, is uploaded to
config/targets.yaml at start; otherwise the bucket's own is used.`,
	setup: func(fs *pflag.FlagSet) func(context.Context, *io2, []string) error {
		var f localFlags
		f.register(fs, true)
		addr := fs.String("addr", "127.0.0.1:8083", "where the Step Functions API listens")
		s3Addr := fs.String("s3-addr", "127.0.0.1:8084", "where the embedded S3 endpoint listens")
		pageAddr := fs.String("page-addr", "127.0.0.1:8085", "where the status page is served")
		cors := fs.String("cors-origin", "", "browser origins (comma-separated http(s)://host[:port]) allowed to call the endpoints; none by default")
		return func(ctx context.Context, out *io2, args []string) error {
			if len(args) > 0 {
				return usagef("serve takes no arguments, got %q", args)
			}
			return serve(ctx, out, &f, *addr, *s3Addr, *pageAddr, *cors)
		}
	},
}

func serve(ctx context.Context, out *io2, f *localFlags, addr, s3Addr, pageAddr, cors string) error {
	if err := f.validate(); err != nil {
		return err
	}
	var origins []string
	if cors != "" {
		origins = strings.Split(cors, ",")
		if err := localauth.CheckOrigins(origins); err != nil {
			return usagef("--cors-origin: %v", err)
		}
	}
	var data []byte
	if _, err := os.Stat(f.config); err == nil {
		if data, err = loadTargetsFile(f.config, out.stderr); err != nil {
			return err
		}
	}
	opts := f.options()
	opts.S3Addr = s3Addr
	opts.CORSOrigins = origins
	env, err := local.Open(opts)
	if err != nil {
		return err
	}
	defer env.Close()
	if data != nil {
		if err := env.PutTargets(ctx, data); err != nil {
			return err
		}
	}
	st, err := env.Store(ctx)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usagef("listen on %s: %v (choose another address with --addr)", addr, err)
	}
	srv := &http.Server{Handler: env.APIHandler(ln.Addr()), ReadHeaderTimeout: 10 * time.Second}
	pageLn, err := net.Listen("tcp", pageAddr)
	if err != nil {
		ln.Close()
		return usagef("listen on %s: %v (choose another address with --page-addr)", pageAddr, err)
	}
	pageSrv := &http.Server{Handler: site.Handler(st, pageLn.Addr()), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprint(out.stderr, localauth.BindWarning("Step Functions API", ln.Addr()))
	if !localauth.IsLoopback(pageLn.Addr()) {
		fmt.Fprintf(out.stderr, "WARNING: the status page listens on %s, BEYOND LOOPBACK: it needs no credentials, so every machine that can reach this address can read every target's status and failures.\n", pageLn.Addr())
	}
	if a := env.S3Addr(); a != nil {
		fmt.Fprint(out.stderr, localauth.BindWarning("embedded S3 endpoint", a))
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(out.stdout, "Step Functions API  %s\n", url)
	fmt.Fprintf(out.stdout, "state machine       %s\n", env.StateMachineArn())
	s3URL := env.S3URL()
	if s3URL == "" {
		s3URL = f.s3Endpoint
	}
	fmt.Fprintf(out.stdout, "S3 endpoint         %s (bucket %s)\n", s3URL, env.Bucket())
	fmt.Fprintf(out.stdout, "status page         http://%s/\n", pageLn.Addr())
	if data != nil {
		fmt.Fprintf(out.stdout, "targets             %s → s3://%s/config/targets.yaml\n", f.config, env.Bucket())
	}
	fmt.Fprint(out.stdout, localauth.Banner(env.Credentials(), f.stateDir))
	fmt.Fprintf(out.stdout, "\nTry: medic check NAME --endpoint %s --s3-endpoint %s\nCtrl-C to stop.\n", url, s3URL)
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	go func() { errc <- pageSrv.Serve(pageLn) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := errors.Join(srv.Shutdown(shutdownCtx), pageSrv.Shutdown(shutdownCtx)); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("stop serving: %w", err)
	}
	fmt.Fprintln(out.stdout, "stopped")
	return nil
}
