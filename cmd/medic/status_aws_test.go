package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/site"
	"github.com/medic-dev/medic/internal/store"
	"github.com/medic-dev/medic/internal/store/s3local"
)

// TestStatusAWSPrintsAPresignedLink: 'medic status --aws' reads the
// stack's bucket and ends with a presigned link that opens the private
// page (here the embedded S3 server stands in for S3, as AWS_ENDPOINT_URL_S3
// points an SDK at any S3 endpoint; it checks presigned signatures).
func TestStatusAWSPrintsAPresignedLink(t *testing.T) {
	srv, err := s3local.Start(s3local.Options{Buckets: []string{"medic-data-1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	if err := site.Publish(context.Background(), store.New(srv.Client(), "medic-data-1"), site.Build(site.Input{})); err != nil {
		t.Fatal(err)
	}
	creds := srv.Credentials()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3": srv.URL, "AWS_ACCESS_KEY_ID": creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY": creds.SecretAccessKey,
		"AWS_SESSION_TOKEN": "", "AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"MEDIC_BUCKET": "medic-data-1", "MEDIC_STATE_MACHINE_ARN": "",
	} {
		t.Setenv(k, v)
	}
	code, out, errOut := medic(t, "status", "--aws", "--cdk-outputs", filepath.Join(dir, "none.json"), "--link-expires", "10m")
	if code != exitOK || !strings.Contains(out, "No targets yet") || !strings.Contains(out, "this link works for 10m0s") {
		t.Fatalf("status --aws: exit %d\n%s%s", code, out, errOut)
	}
	link := regexp.MustCompile(`(?m)^(http://\S+)$`).FindString(out)
	if !strings.Contains(link, "/medic-data-1/site/index.html?") || !strings.Contains(link, "X-Amz-Expires=600") || !strings.Contains(link, "X-Amz-Signature=") {
		t.Fatalf("link %q", link)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" || !strings.HasPrefix(string(body), "<!doctype html>") {
		t.Fatalf("GET the link: %d %s %.100q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	// A tampered link opens nothing.
	resp, err = http.Get(strings.Replace(link, "site/index.html", "state/status.json", 1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("the link turned to another key: %d, want 403", resp.StatusCode)
	}
}
