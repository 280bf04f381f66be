package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/spf13/pflag"

	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/localauth"
	"github.com/medic-dev/medic/internal/sfnapi"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
)

// remoteFlags choose which Step Functions API a command talks to.
type remoteFlags struct {
	aws      bool
	endpoint string
	arn      string
	outputs  string
	local    localFlags
}

func (f *remoteFlags) register(fs *pflag.FlagSet, withConfig bool) {
	fs.BoolVar(&f.aws, "aws", false, "use the deployed state machine on AWS (credentials and region from the usual AWS environment)")
	fs.StringVar(&f.endpoint, "endpoint", "", "use the Step Functions API at this URL (for example a 'medic serve' at http://127.0.0.1:8083)")
	fs.StringVar(&f.arn, "state-machine-arn", "", "the state machine to use with --aws or --endpoint (else $MEDIC_STATE_MACHINE_ARN, else Medic.StateMachineArn in the --cdk-outputs file)")
	fs.StringVar(&f.outputs, "cdk-outputs", defaultCDKOutputs, "the file written by 'cdk deploy --outputs-file', read for the state machine ARN")
	f.local.register(fs, withConfig)
}

// conn is a Step Functions API to talk to.
type conn struct {
	client *sfn.Client
	smArn  string
	// region is set for AWS, where executions have console links.
	region string
	// env is the local environment when the API is served in-process.
	env *local.Env
	// runStore opens the bucket a run names, to read what its history
	// lacks (a scale-mode run's per-target results). Nil, or a nil store,
	// when the command cannot reach that bucket.
	runStore func(ctx context.Context, bucket string) (*store.Store, error)
	close    func()
}

func (c *conn) Close() {
	if c.close != nil {
		c.close()
	}
}

// consoleLink is the Step Functions console page of an execution.
func consoleLink(region, execArn string) string {
	return fmt.Sprintf("https://%s.console.aws.amazon.com/states/home?region=%s#/v2/executions/details/%s", region, region, execArn)
}

// connect opens the API the flags choose: AWS, an endpoint, or a local
// environment served in-process on loopback, so every path goes through
// the same sfn client. prepare, if set, runs on the local environment
// before it is served (to upload the targets file).
func (f *remoteFlags) connect(ctx context.Context, prepare func(*local.Env) error) (*conn, error) {
	switch {
	case f.aws && f.endpoint != "":
		return nil, usagef("--aws and --endpoint cannot be used together")
	case f.aws:
		return f.connectAWS(ctx)
	case f.endpoint != "":
		return f.connectEndpoint(ctx)
	}
	if err := f.local.validate(); err != nil {
		return nil, err
	}
	env, err := local.Open(f.local.options())
	if err != nil {
		return nil, err
	}
	if prepare != nil {
		if err := prepare(env); err != nil {
			env.Close()
			return nil, err
		}
	}
	return connectLocal(env)
}

// connectLocal serves env's API in-process and connects to it; closing the
// conn closes env.
func connectLocal(env *local.Env) (*conn, error) {
	url, stop, err := serveInProcess(env)
	if err != nil {
		env.Close()
		return nil, err
	}
	return &conn{
		client: localClient(url, env.Credentials()),
		smArn:  env.StateMachineArn(),
		env:    env,
		runStore: func(ctx context.Context, bucket string) (*store.Store, error) {
			st, err := env.Store(ctx)
			if err != nil || st.Bucket() != bucket {
				return nil, err
			}
			return st, nil
		},
		close: func() {
			stop()
			env.Close()
		},
	}, nil
}

func (f *remoteFlags) connectAWS(ctx context.Context) (*conn, error) {
	arn, err := f.stateMachineArn()
	if err != nil {
		return nil, err
	}
	if arn == "" {
		return nil, usagef("no state machine ARN: pass --state-machine-arn, set MEDIC_STATE_MACHINE_ARN, or run 'cdk deploy --outputs-file %s' so %s has Medic.StateMachineArn", f.outputs, f.outputs)
	}
	a, err := sfnapi.ParseArn(arn)
	if err != nil || a.Resource != "stateMachine" {
		return nil, usagef("state machine ARN %q is not of the form arn:aws:states:REGION:ACCOUNT:stateMachine:NAME", arn)
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(a.Region))
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	s3api := s3.NewFromConfig(cfg, func(o *s3.Options) {
		// A custom S3 endpoint (AWS_ENDPOINT_URL_S3: MinIO, LocalStack,
		// 'medic serve') takes path-style addressing, which has no
		// environment setting.
		if os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != "" {
			o.UsePathStyle = true
		}
	})
	return &conn{
		client: sfn.NewFromConfig(cfg), smArn: arn, region: a.Region,
		runStore: func(_ context.Context, bucket string) (*store.Store, error) { return store.New(s3api, bucket), nil },
	}, nil
}

func (f *remoteFlags) connectEndpoint(ctx context.Context) (*conn, error) {
	creds, localCreds, err := f.endpointCredentials()
	if err != nil {
		return nil, err
	}
	c := localClient(f.endpoint, creds)
	arn, err := f.stateMachineArn()
	if err != nil {
		return nil, err
	}
	if arn == "" {
		out, err := c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
		if err != nil {
			return nil, fmt.Errorf("list state machines at %s: %w", f.endpoint, err)
		}
		if len(out.StateMachines) != 1 {
			return nil, usagef("%s has %d state machines: choose one with --state-machine-arn", f.endpoint, len(out.StateMachines))
		}
		arn = aws.ToString(out.StateMachines[0].StateMachineArn)
	}
	cn := &conn{client: c, smArn: arn}
	if ep := f.local.s3Endpoint; ep != "" {
		// The S3 endpoint beside the API (a 'medic serve' prints both).
		cn.runStore = func(ctx context.Context, bucket string) (*store.Store, error) {
			if !localCreds.IsZero() {
				return store.New(s3local.NewClient(ep, localCreds), bucket), nil
			}
			api, err := local.ExternalS3(ctx, ep)
			if err != nil {
				return nil, err
			}
			return store.New(api, bucket), nil
		}
	}
	return cn, nil
}

// stateMachineArn reads the ARN from the flag, the environment or the CDK
// outputs file; it is empty when none has it.
func (f *remoteFlags) stateMachineArn() (string, error) {
	if f.arn != "" {
		return f.arn, nil
	}
	if v := os.Getenv("MEDIC_STATE_MACHINE_ARN"); v != "" {
		return v, nil
	}
	b, err := os.ReadFile(f.outputs)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", usagef("read %s: %v", f.outputs, err)
	}
	var outputs map[string]map[string]any
	if err := json.Unmarshal(b, &outputs); err != nil {
		return "", usagef("%s is not a 'cdk deploy --outputs-file' file: %v", f.outputs, err)
	}
	if arn, ok := outputs["Medic"]["StateMachineArn"].(string); ok {
		return arn, nil
	}
	return "", usagef("%s has no Medic.StateMachineArn output: pass --state-machine-arn or set MEDIC_STATE_MACHINE_ARN", f.outputs)
}

// endpointCredentials are what a client of --endpoint signs with: the
// state directory's local credentials when it has them (a 'medic serve' of
// that directory checks them; also returned as localCreds), else the AWS
// environment's keys, else none.
func (f *remoteFlags) endpointCredentials() (creds aws.CredentialsProvider, localCreds localauth.Credentials, err error) {
	c, ok, err := localauth.Load(f.local.stateDir)
	if err != nil {
		return nil, localauth.Credentials{}, err
	}
	if ok {
		return c, c, nil
	}
	if id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		return credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN")), localauth.Credentials{}, nil
	}
	return aws.AnonymousCredentials{}, localauth.Credentials{}, nil
}

// localClient is an sfn client for a local or custom endpoint, signing
// with creds.
func localClient(endpoint string, creds aws.CredentialsProvider) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:       envOr("AWS_REGION", sfnapi.Region),
		BaseEndpoint: aws.String(endpoint),
		Credentials:  creds,
	})
}

// serveInProcess serves env's Step Functions API on a loopback port.
func serveInProcess(env *local.Env) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen on loopback: %w", err)
	}
	srv := &http.Server{Handler: env.APIHandler(ln.Addr()), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}
