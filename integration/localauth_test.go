package integration

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"

	"github.com/medic-dev/medic/internal/local"
	"github.com/medic-dev/medic/internal/localauth"
	"github.com/medic-dev/medic/internal/store/s3local"
)

// guarded is a local environment with both endpoints up, as 'medic serve'
// runs them.
type guarded struct {
	env    *local.Env
	sfnURL string
	s3URL  string
	creds  localauth.Credentials
}

func serveGuarded(t *testing.T, origins ...string) *guarded {
	t.Helper()
	env, err := local.Open(local.Options{StateDir: t.TempDir(), Getenv: func(string) string { return "" }, CORSOrigins: origins})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Close() })
	if err := env.PutTargets(context.Background(), []byte("targets:\n  - {name: web, url: http://127.0.0.1:9/}\n")); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Config.Handler = env.APIHandler(srv.Listener.Addr())
	srv.Start()
	t.Cleanup(srv.Close)
	return &guarded{env: env, sfnURL: srv.URL, s3URL: env.S3URL(), creds: env.Credentials()}
}

func sfnClient(endpoint string, creds aws.CredentialsProvider, hc *http.Client) *sfn.Client {
	o := sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: creds}
	if hc != nil {
		o.HTTPClient = hc
	}
	return sfn.New(o)
}

func s3Client(endpoint string, creds localauth.Credentials, hc *http.Client) *s3.Client {
	return s3.New(s3local.NewClient(endpoint, creds).Options(), func(o *s3.Options) {
		if hc != nil {
			o.HTTPClient = hc
		}
	})
}

// rebinding is an HTTP client that sends every request to target whatever
// name its URL has: a browser whose DNS answer for an attacker's name was
// rebound to loopback.
func rebinding(target string) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, target)
	}}}
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestLocalEndpointsAcceptSignedRequests(t *testing.T) {
	g := serveGuarded(t)
	ctx := context.Background()
	c := s3Client(g.s3URL, g.creds, nil)
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("medic"), Key: aws.String("pulse/a b+c=d.json"), Body: strings.NewReader(`{"heartbeat":"1h"}`)}); err != nil {
		t.Fatalf("signed PutObject: %v", err)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("medic"), Prefix: aws.String("pulse/")})
	if err != nil || len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != "pulse/a b+c=d.json" {
		t.Fatalf("signed ListObjectsV2: %v %+v", err, list)
	}
	obj, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("medic"), Key: aws.String("pulse/a b+c=d.json")})
	if err != nil {
		t.Fatalf("signed GetObject: %v", err)
	}
	body, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(body) != `{"heartbeat":"1h"}` {
		t.Fatalf("GetObject body %q", body)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("medic"), Key: aws.String("pulse/a b+c=d.json")}); err != nil {
		t.Fatalf("signed DeleteObject: %v", err)
	}
	pre, err := s3.NewPresignClient(c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("medic"), Key: aws.String("config/targets.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(pre.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "name: web") {
		t.Fatalf("presigned GET: %d %s", resp.StatusCode, body)
	}
	api := sfnClient(g.sfnURL, g.creds, nil)
	if _, err := api.ListStateMachines(ctx, &sfn.ListStateMachinesInput{}); err != nil {
		t.Fatalf("signed ListStateMachines: %v", err)
	}
	start, err := api.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(g.env.StateMachineArn()), Input: aws.String(`{"targets":["web"]}`)})
	if err != nil {
		t.Fatalf("signed StartExecution: %v", err)
	}
	waitDone(t, api, start.ExecutionArn)
	// An SDK client with its default checksum settings, as a user's
	// program has it (CRC32 on every upload): also accepted.
	user := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(g.s3URL), UsePathStyle: true, Credentials: g.creds})
	if _, err := user.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("medic"), Key: aws.String("pulse/sdk.json"), Body: strings.NewReader(`{"heartbeat":"1h"}`)}); err != nil {
		t.Fatalf("PutObject with the SDK's default checksums: %v", err)
	}
	got, err := user.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("medic"), Key: aws.String("pulse/sdk.json")})
	if err != nil {
		t.Fatalf("GetObject with the SDK's default checksums: %v", err)
	}
	body, _ = io.ReadAll(got.Body)
	got.Body.Close()
	if string(body) != `{"heartbeat":"1h"}` {
		t.Fatalf("the object uploaded with default checksums reads %q", body)
	}
	// localhost names the endpoint as well as 127.0.0.1.
	if _, err := sfnClient(strings.Replace(g.sfnURL, "127.0.0.1", "localhost", 1), g.creds, rebinding(strings.TrimPrefix(g.sfnURL, "http://"))).
		ListStateMachines(ctx, &sfn.ListStateMachinesInput{}); err != nil {
		t.Fatalf("signed ListStateMachines through localhost: %v", err)
	}
}

func TestLocalEndpointsRefuseUnsignedAndForeign(t *testing.T) {
	g := serveGuarded(t)
	ctx := context.Background()
	wrong := localauth.Credentials{AccessKeyID: g.creds.AccessKeyID, SecretAccessKey: "not-the-secret-not-the-secret-1234567890"}
	other, err := localauth.Generate()
	if err != nil {
		t.Fatal(err)
	}
	const target = "config/targets.yaml"

	t.Run("wrong secret", func(t *testing.T) {
		_, err := s3Client(g.s3URL, wrong, nil).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("medic"), Key: aws.String(target), Body: strings.NewReader("targets: []")})
		if apiCode(err) != "SignatureDoesNotMatch" {
			t.Errorf("S3 PutObject with a wrong secret: %v, want SignatureDoesNotMatch", err)
		}
		_, err = sfnClient(g.sfnURL, wrong, nil).ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(g.env.StateMachineArn())})
		if apiCode(err) != "InvalidSignatureException" {
			t.Errorf("ListExecutions with a wrong secret: %v, want InvalidSignatureException", err)
		}
	})
	t.Run("another key", func(t *testing.T) {
		_, err := s3Client(g.s3URL, other, nil).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("medic"), Key: aws.String(target)})
		if apiCode(err) != "InvalidAccessKeyId" {
			t.Errorf("S3 GetObject with another key: %v, want InvalidAccessKeyId", err)
		}
		_, err = sfnClient(g.sfnURL, other, nil).StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(g.env.StateMachineArn())})
		if apiCode(err) != "UnrecognizedClientException" {
			t.Errorf("StartExecution with another key: %v, want UnrecognizedClientException", err)
		}
	})
	t.Run("DNS rebinding", func(t *testing.T) {
		// Correctly signed, but for the attacker's name.
		s3Host := strings.TrimPrefix(g.s3URL, "http://")
		_, port, _ := net.SplitHostPort(s3Host)
		_, err := s3Client("http://rebind.attacker.example:"+port, g.creds, rebinding(s3Host)).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("medic"), Key: aws.String(target)})
		if apiCode(err) != "InvalidHost" {
			t.Errorf("S3 GetObject with Host rebind.attacker.example: %v, want InvalidHost", err)
		}
		sfnHost := strings.TrimPrefix(g.sfnURL, "http://")
		_, port, _ = net.SplitHostPort(sfnHost)
		_, err = sfnClient("http://rebind.attacker.example:"+port, g.creds, rebinding(sfnHost)).StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(g.env.StateMachineArn())})
		if apiCode(err) != "InvalidHost" {
			t.Errorf("StartExecution with Host rebind.attacker.example: %v, want InvalidHost", err)
		}
	})

	raw := func(t *testing.T, method, url string, header http.Header, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	browser := http.Header{"Origin": {"https://random.example"}}
	t.Run("unsigned", func(t *testing.T) {
		for _, m := range []string{"GET", "PUT", "DELETE"} {
			if resp := raw(t, m, g.s3URL+"/medic/"+target, browser, "targets: [{name: evil, url: 'https://evil.example/'}]"); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("unsigned %s of the targets file: %d, Access-Control-Allow-Origin %q; want 403 and none", m, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
			}
		}
		h := http.Header{"X-Amz-Target": {"AWSStepFunctions.StartExecution"}, "Content-Type": {"application/x-amz-json-1.0"}, "Origin": {"https://random.example"}}
		if resp := raw(t, "POST", g.sfnURL, h, `{"stateMachineArn":"`+g.env.StateMachineArn()+`"}`); resp.StatusCode != http.StatusForbidden {
			t.Errorf("unsigned StartExecution: %d, want 403", resp.StatusCode)
		}
		// Nothing was changed or started.
		obj, err := s3Client(g.s3URL, g.creds, nil).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("medic"), Key: aws.String(target)})
		if err != nil {
			t.Fatalf("the targets file after unsigned requests: %v", err)
		}
		b, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		if !bytes.Contains(b, []byte("name: web")) {
			t.Errorf("the targets file was changed by an unsigned request: %q", b)
		}
		list, err := sfnClient(g.sfnURL, g.creds, nil).ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(g.env.StateMachineArn())})
		if err != nil || len(list.Executions) != 0 {
			t.Errorf("executions after an unsigned StartExecution: %v %d", err, len(list.Executions))
		}
	})
	t.Run("CORS preflight from a random origin", func(t *testing.T) {
		h := http.Header{"Origin": {"https://random.example"}, "Access-Control-Request-Method": {"PUT"}, "Access-Control-Request-Headers": {"authorization,x-amz-date"}}
		for _, url := range []string{g.s3URL + "/medic/" + target, g.sfnURL + "/"} {
			resp := raw(t, "OPTIONS", url, h, "")
			if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Access-Control-Allow-Methods") != "" {
				t.Errorf("preflight to %s: %d %v; want 403 without CORS headers", url, resp.StatusCode, resp.Header)
			}
		}
	})
	t.Run("signed response carries no CORS", func(t *testing.T) {
		// The embedded S3 server itself would allow every origin.
		req, _ := http.NewRequest("GET", g.s3URL+"/medic/"+target, nil)
		req.Header.Set("Origin", "https://random.example")
		pre, err := s3.NewPresignClient(s3Client(g.s3URL, g.creds, nil)).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("medic"), Key: aws.String(target)})
		if err != nil {
			t.Fatal(err)
		}
		resp := raw(t, "GET", pre.URL, browser, "")
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("presigned GET with an Origin: %d, Access-Control-Allow-Origin %q; want 200 and none", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	})
}

func TestLocalEndpointsCORSOnlyForGivenOrigins(t *testing.T) {
	g := serveGuarded(t, "http://127.0.0.1:3000")
	preflight := func(origin, url string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", url, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "GET")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, url := range []string{g.s3URL + "/medic/config/targets.yaml", g.sfnURL + "/"} {
		if resp := preflight("http://127.0.0.1:3000", url); resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:3000" {
			t.Errorf("preflight from the given origin to %s: %d %q", url, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
		if resp := preflight("https://random.example", url); resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from another origin to %s: %d %q", url, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	if _, err := local.Open(local.Options{CORSOrigins: []string{"*"}}); err == nil {
		t.Error(`CORS origin "*" was accepted`)
	}
}

// TestLocalEndpointsWithAWSCLI: the AWS CLI, given medic's credentials the
// way the docs say, works against both endpoints; without them it is refused.
func TestLocalEndpointsWithAWSCLI(t *testing.T) {
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed; install it (pip install awscli) to run this test")
	}
	g := serveGuarded(t)
	dir := t.TempDir()
	// AWS CLI v1 presigns with Signature Version 2 unless told (v2 needs nothing).
	if err := os.WriteFile(dir+"/config", []byte("[default]\ns3 =\n    signature_version = s3v4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(creds localauth.Credentials, stdin string, args ...string) (string, error) {
		cmd := exec.Command(awsCLI, args...)
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID="+creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey,
			"AWS_DEFAULT_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
			"AWS_CONFIG_FILE="+dir+"/config", "AWS_SHARED_CREDENTIALS_FILE="+dir+"/none")
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run(g.creds, `{"heartbeat":"1h"}`, "s3", "cp", "-", "s3://medic/pulse/nightly.json", "--endpoint-url", g.s3URL); err != nil {
		t.Fatalf("aws s3 cp: %v\n%s", err, out)
	}
	if out, err := run(g.creds, "", "s3", "ls", "s3://medic/", "--recursive", "--endpoint-url", g.s3URL); err != nil || !strings.Contains(out, "pulse/nightly.json") {
		t.Fatalf("aws s3 ls: %v\n%s", err, out)
	}
	file := dir + "/other.json"
	if err := os.WriteFile(file, []byte(`{"heartbeat":"2h"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := run(g.creds, "", "s3api", "put-object", "--bucket", "medic", "--key", "pulse/other.json", "--body", file, "--endpoint-url", g.s3URL); err != nil {
		t.Fatalf("aws s3api put-object: %v\n%s", err, out)
	}
	out, err := run(g.creds, "", "s3", "presign", "s3://medic/pulse/nightly.json", "--endpoint-url", g.s3URL)
	if err != nil {
		t.Fatalf("aws s3 presign: %v\n%s", err, out)
	}
	resp, err := http.Get(strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `{"heartbeat":"1h"}` {
		t.Fatalf("GET of the CLI's presigned URL: %d %s", resp.StatusCode, body)
	}
	if out, err := run(g.creds, "", "stepfunctions", "list-state-machines", "--endpoint-url", g.sfnURL); err != nil || !strings.Contains(out, g.env.StateMachineArn()) {
		t.Fatalf("aws stepfunctions list-state-machines: %v\n%s", err, out)
	}
	if out, err := run(g.creds, "", "stepfunctions", "start-execution", "--state-machine-arn", g.env.StateMachineArn(), "--input", `{"targets":["web"]}`, "--endpoint-url", g.sfnURL); err != nil || !strings.Contains(out, "executionArn") {
		t.Fatalf("aws stepfunctions start-execution: %v\n%s", err, out)
	}
	other, _ := localauth.Generate()
	if out, err := run(other, "", "s3", "ls", "s3://medic/", "--endpoint-url", g.s3URL); err == nil || !strings.Contains(out, "InvalidAccessKeyId") {
		t.Errorf("aws s3 ls with other credentials: %v\n%s", err, out)
	}
	if out, err := run(other, "", "stepfunctions", "list-state-machines", "--endpoint-url", g.sfnURL); err == nil || !strings.Contains(out, "UnrecognizedClient") {
		t.Errorf("aws stepfunctions with other credentials: %v\n%s", err, out)
	}
}
