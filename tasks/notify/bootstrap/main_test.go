package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/medic-dev/medic/internal/channel/registry"
	"github.com/medic-dev/medic/internal/outbox"
	"github.com/medic-dev/medic/internal/probe"
	"github.com/medic-dev/medic/internal/secret"
	"github.com/medic-dev/medic/internal/target"
)

// TestNoSecretParameterReadsNoEnvironment: deployed without
// MEDIC_SECRET_PARAMETER, a
// channel's secret is missing, never read from the function's environment
// (which holds its AWS credentials).
func TestNoSecretParameterReadsNoEnvironment(t *testing.T) {
	for k, v := range map[string]string{
		"MEDIC_BUCKET": "medic", "MEDIC_SECRET_PARAMETER": "", "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_LAMBDA_FUNCTION_NAME": "medic-notify", "MEDIC_SECRET_SLACK_URL": "https://hooks.example/set-in-the-function",
	} {
		t.Setenv(k, v)
	}
	h, err := newHandler(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"AWS_SECRET_ACCESS_KEY", "SLACK_URL"} {
		v, err := h.Deps.Secrets.Secret(context.Background(), name)
		var missing *secret.MissingError
		if v != "" || !errors.As(err, &missing) {
			t.Errorf("secret %s: %q, %v; want a MissingError and no value", name, v, err)
		}
	}
}

// TestDeliveriesFollowTheAddressPolicy: a channel URL on loopback (or any
// address the probe refuses) is refused before a connection is made, on
// every redirect too; MEDIC_ALLOW_NETWORKS=all allows it.
func TestDeliveriesFollowTheAddressPolicy(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	for k, v := range map[string]string{"MEDIC_BUCKET": "medic", "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "test"} {
		t.Setenv(k, v)
	}
	hook := target.Channel{Name: "hook", Type: "webhook", URL: srv.URL + "/hook"}
	alert := outbox.Alert{ID: "a1", Target: "web", Kind: "DOWN"}
	for _, allow := range []string{"", "public", "private"} {
		t.Setenv("MEDIC_ALLOW_NETWORKS", allow)
		h, err := newHandler(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		s, err := registry.New(hook, h.Deps)
		if err != nil {
			t.Fatal(err)
		}
		err = s.Send(context.Background(), alert)
		var refused *probe.RefusedError
		if !errors.As(err, &refused) || refused.Class != "loopback" {
			t.Errorf("MEDIC_ALLOW_NETWORKS=%q: delivery to %s: %v, want a loopback refusal", allow, srv.URL, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the loopback webhook received %d deliveries", n)
	}
	t.Setenv("MEDIC_ALLOW_NETWORKS", "all")
	h, err := newHandler(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := registry.New(hook, h.Deps)
	if err := s.Send(context.Background(), alert); err != nil || hits.Load() != 1 {
		t.Fatalf("MEDIC_ALLOW_NETWORKS=all: %v, %d deliveries", err, hits.Load())
	}
	t.Setenv("MEDIC_ALLOW_NETWORKS", "everything")
	if _, err := newHandler(context.Background()); err == nil {
		t.Error("an invalid MEDIC_ALLOW_NETWORKS was accepted")
	}
}
