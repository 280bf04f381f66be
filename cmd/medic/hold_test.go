package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/hold"
	"github.com/medic-dev/medic/internal/localauth"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
)

// TestHoldCommandsRemote: pause, ack and resume against a 'medic serve'
// with --endpoint, and with --aws (the S3 endpoint and an STS peer on
// loopback, as the SDK finds them in AWS_ENDPOINT_URL_*): each changes
// state/holds.json in that bucket, naming the local user or the caller's
// identity.
func TestHoldCommandsRemote(t *testing.T) {
	f := newFixture(t)
	endpoint, s3Addr, _ := startServe(t, f.flags()...)
	remote := []string{"--endpoint", endpoint, "--s3-endpoint", "http://" + s3Addr, "--state-dir", f.stateDir}
	if code, out, errOut := medic(t, append([]string{"check", "web", "db"}, remote...)...); code != exitDown {
		t.Fatalf("check: exit %d\n%s%s", code, out, errOut)
	}
	t.Setenv("MEDIC_USER", "carol")
	for _, args := range [][]string{{"pause", "web", "--for", "2h"}, {"ack", "db", "--note", "on it"}} {
		if code, out, errOut := medic(t, append(args, remote...)...); code != exitOK {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	creds, ok, err := localauth.Load(f.stateDir)
	if err != nil || !ok {
		t.Fatalf("no local credentials: %v", err)
	}
	st := store.New(s3local.NewClient("http://"+s3Addr, creds), "medic")
	holds, _, err := hold.Read(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	if p := holds.Paused["web"]; p.By != "carol" || p.Until.Sub(p.At).Hours() != 2 {
		t.Fatalf("web's pause = %+v, want by carol for 2h", p)
	}
	if a := holds.Acks["db"]; a.By != "carol" || a.Note != "on it" {
		t.Fatalf("db's ack = %+v", a)
	}
	if code, _, errOut := medic(t, append([]string{"ack", "web"}, remote...)...); code != exitUsage || !strings.Contains(errOut, "web is UP: only a DOWN or STALE target can be acknowledged") {
		t.Fatalf("ack of an UP target: exit %d %q", code, errOut)
	}
	if code, _, errOut := medic(t, append([]string{"pause", "nosuch"}, remote...)...); code != exitUsage || !strings.Contains(errOut, "no target named nosuch") {
		t.Fatalf("pause of an unknown target: exit %d %q", code, errOut)
	}

	// --aws: the caller is who STS says.
	const arn = "arn:aws:sts::123456789012:assumed-role/oncall/dave"
	stsPeer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "GetCallerIdentity" || !strings.Contains(r.Header.Get("Authorization"), creds.AccessKeyID) {
			http.Error(w, "want a signed GetCallerIdentity", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>` + arn + `</Arn><UserId>AROAEXAMPLE:dave</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`))
	}))
	t.Cleanup(stsPeer.Close)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3": "http://" + s3Addr, "AWS_ENDPOINT_URL_STS": stsPeer.URL, "AWS_S3_USE_PATH_STYLE": "true",
		"AWS_ACCESS_KEY_ID": creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY": creds.SecretAccessKey, "AWS_REGION": "us-east-1",
		"AWS_EC2_METADATA_DISABLED": "true", "MEDIC_BUCKET": "medic", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
	} {
		t.Setenv(k, v)
	}
	for _, args := range [][]string{{"resume", "web", "--aws"}, {"ack", "db", "--aws", "--note", "taking over"}} {
		if code, out, errOut := medic(t, args...); code != exitOK {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	holds, _, err = hold.Read(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	if _, paused := holds.Paused["web"]; paused {
		t.Fatalf("web is still paused after 'resume --aws': %+v", holds.Paused)
	}
	if a := holds.Acks["db"]; a.By != arn || a.Note != "taking over" {
		t.Fatalf("db's ack with --aws = %+v, want by %s", a, arn)
	}
}
