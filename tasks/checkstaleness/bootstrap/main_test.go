package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestNewHandlerReadsEnvironment(t *testing.T) {
	for _, tt := range []struct {
		name, bucket, stale, err string
		want                     time.Duration
	}{
		{name: "defaults", bucket: "b"},
		{name: "stale after", bucket: "b", stale: "30m", want: 30 * time.Minute},
		{name: "no bucket", err: "MEDIC_BUCKET is not set"},
		{name: "bad stale after", bucket: "b", stale: "soon", err: `MEDIC_STALE_AFTER="soon"`},
		{name: "negative stale after", bucket: "b", stale: "-1m", err: "positive duration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("MEDIC_BUCKET", tt.bucket)
			t.Setenv("MEDIC_STALE_AFTER", tt.stale)
			t.Setenv("MEDIC_CONFIG_KEY", "config/other.yaml")
			t.Setenv("AWS_REGION", "us-east-1")
			h, err := newHandler(context.Background(), slog.Default())
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Store.Bucket() != tt.bucket || h.Load.StaleAfter != tt.want || h.Load.ConfigKey != "config/other.yaml" {
				t.Fatalf("handler = %+v", h)
			}
		})
	}
}
