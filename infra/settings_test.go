package infra

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/medic-dev/medic/internal/cadence"
)

func TestParseSettingsDefaults(t *testing.T) {
	got, err := ParseSettings(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got != DefaultSettings() {
		t.Errorf("ParseSettings(nil) = %+v, want %+v", got, DefaultSettings())
	}
	want := Settings{ScheduleMinutes: 10, StaleAfter: "15m", BatchSize: 100, MapConcurrency: 10, LogRetentionDays: 30,
		SecretParameter: "/medic/channels", TargetSecretParameter: "/medic/targets", StatusPage: "private"}
	if got != want {
		t.Errorf("defaults = %+v, want %+v (keep cdk.json and docs/deploy.md in step)", got, want)
	}
}

func TestParseSettingsGood(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		check  func(Settings) bool
	}{
		{"json numbers", map[string]any{CtxScheduleMinutes: 5.0, CtxBatchSize: 1.0, CtxMapConcurrency: 40.0},
			func(s Settings) bool { return s.ScheduleMinutes == 5 && s.BatchSize == 1 && s.MapConcurrency == 40 }},
		{"strings from -c", map[string]any{CtxScheduleMinutes: "720", CtxBatchSize: " 500 ", CtxLogRetentionDays: "365"},
			func(s Settings) bool {
				return s.ScheduleMinutes == 720 && s.BatchSize == 500 && s.LogRetentionDays == 365
			}},
		{"private networks bool", map[string]any{CtxAllowPrivateNetworks: true},
			func(s Settings) bool { return s.AllowPrivateNetworks && s.ProbeNetworks() == "private" }},
		{"private networks string", map[string]any{CtxAllowPrivateNetworks: "true"},
			func(s Settings) bool { return s.AllowPrivateNetworks }},
		{"public by default", map[string]any{CtxAllowPrivateNetworks: "false"},
			func(s Settings) bool { return !s.AllowPrivateNetworks && s.ProbeNetworks() == "public" }},
		{"staleAfter", map[string]any{CtxStaleAfter: "1h30m"},
			func(s Settings) bool { return s.StaleAfter == "1h30m" }},
		{"secret parameter path", map[string]any{CtxSecretParameter: "/prod/medic/channels"},
			func(s Settings) bool {
				return s.SecretParameter == "/prod/medic/channels" && s.TargetSecretParameter == "/medic/targets"
			}},
		{"target secret parameter without a path", map[string]any{CtxTargetSecretParameter: "medic-targets"},
			func(s Settings) bool { return s.TargetSecretParameter == "medic-targets" }},
		{"customer managed key", map[string]any{CtxSecretKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
			func(s Settings) bool { return strings.HasSuffix(s.SecretKeyArn, "7890ab") }},
		{"empty key and prefix", map[string]any{CtxSecretKeyArn: "", CtxAlarmNamePrefix: ""},
			func(s Settings) bool { return s.SecretKeyArn == "" && s.AlarmNamePrefix == "" }},
		{"alarm prefix", map[string]any{CtxAlarmNamePrefix: "prod-web-"},
			func(s Settings) bool { return s.AlarmNamePrefix == "prod-web-" }},
		{"public status page", map[string]any{CtxStatusPage: "public"},
			func(s Settings) bool { return s.StatusPage == StatusPagePublic }},
		{"retention one day", map[string]any{CtxLogRetentionDays: 1.0},
			func(s Settings) bool { return s.LogRetentionDays == 1 && s.Retention() != "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSettings(tt.values)
			if err != nil {
				t.Fatalf("ParseSettings(%v): %v", tt.values, err)
			}
			if !tt.check(got) {
				t.Errorf("ParseSettings(%v) = %+v", tt.values, got)
			}
		})
	}
}

func TestParseSettingsBad(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]any
		want   []string // each must appear in the error
	}{
		{"schedule zero", map[string]any{CtxScheduleMinutes: 0.0}, []string{"context scheduleMinutes", "from 1 to 720"}},
		{"schedule too long for the alarm", map[string]any{CtxScheduleMinutes: 721.0}, []string{"scheduleMinutes", "721"}},
		{"schedule fraction", map[string]any{CtxScheduleMinutes: 2.5}, []string{"scheduleMinutes", "whole number"}},
		{"schedule word", map[string]any{CtxScheduleMinutes: "ten"}, []string{"scheduleMinutes", `"ten"`}},
		{"schedule bool", map[string]any{CtxScheduleMinutes: true}, []string{"scheduleMinutes"}},
		{"batch zero", map[string]any{CtxBatchSize: 0.0}, []string{"batchSize", "from 1 to 500"}},
		{"batch negative string", map[string]any{CtxBatchSize: "-3"}, []string{"batchSize"}},
		{"concurrency over a Distributed Map's limit", map[string]any{CtxMapConcurrency: 10001.0}, []string{"mapConcurrency", "from 1 to 10000"}},
		{"retention not offered by CloudWatch", map[string]any{CtxLogRetentionDays: 10.0}, []string{"logRetentionDays", "retention periods"}},
		{"retention string", map[string]any{CtxLogRetentionDays: "forever"}, []string{"logRetentionDays"}},
		{"staleAfter no unit", map[string]any{CtxStaleAfter: "15"}, []string{"staleAfter", `"15"`, "duration"}},
		{"staleAfter too short", map[string]any{CtxStaleAfter: "30s"}, []string{"staleAfter"}},
		{"staleAfter number", map[string]any{CtxStaleAfter: 15.0}, []string{"staleAfter", "a string"}},
		{"secret parameter an arn", map[string]any{CtxSecretParameter: "arn:aws:ssm:us-east-1:123456789012:parameter/x"}, []string{"secretParameter", "parameter name"}},
		{"secret parameter empty", map[string]any{CtxSecretParameter: ""}, []string{"secretParameter"}},
		{"secret parameter reserved", map[string]any{CtxSecretParameter: "/aws/medic"}, []string{"secretParameter", "aws or ssm"}},
		{"secret parameter space", map[string]any{CtxSecretParameter: "/medic/my channels"}, []string{"secretParameter"}},
		{"target secret parameter number", map[string]any{CtxTargetSecretParameter: 7.0}, []string{"targetSecretParameter", "a string"}},
		{"one parameter for both", map[string]any{CtxTargetSecretParameter: "/medic/channels"}, []string{"secretParameter and targetSecretParameter", "must differ"}},
		{"key not an arn", map[string]any{CtxSecretKeyArn: "alias/medic"}, []string{"context secretKeyArn", `"alias/medic"`, "KMS key ARN"}},
		{"alarm prefix control char", map[string]any{CtxAlarmNamePrefix: "a\nb"}, []string{"alarmNamePrefix"}},
		{"alarm prefix too long", map[string]any{CtxAlarmNamePrefix: strings.Repeat("a", 256)}, []string{"alarmNamePrefix"}},
		{"private networks word", map[string]any{CtxAllowPrivateNetworks: "yes please"}, []string{"allowPrivateNetworks", "true or false"}},
		{"private networks number", map[string]any{CtxAllowPrivateNetworks: 1.0}, []string{"allowPrivateNetworks"}},
		{"every error reported", map[string]any{CtxBatchSize: 0.0, CtxMapConcurrency: 0.0},
			[]string{"batchSize", "mapConcurrency"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSettings(tt.values)
			if err == nil {
				t.Fatalf("ParseSettings(%v) = %+v, want an error", tt.values, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestSettingsFromContext reads the context as `cdk synth -c key=value`
// passes it: every value a string.
func TestSettingsFromContext(t *testing.T) {
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{
		CtxScheduleMinutes:      "5",
		CtxAllowPrivateNetworks: "true",
		CtxAlarmNamePrefix:      "web-",
	}})
	got, err := SettingsFromContext(app.Node())
	if err != nil {
		t.Fatal(err)
	}
	if got.ScheduleMinutes != 5 || !got.AllowPrivateNetworks || got.AlarmNamePrefix != "web-" || got.BatchSize != 100 {
		t.Errorf("SettingsFromContext = %+v", got)
	}

	bad := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{CtxMapConcurrency: "10001"}})
	if _, err := SettingsFromContext(bad.Node()); err == nil || !strings.Contains(err.Error(), "mapConcurrency") {
		t.Errorf("SettingsFromContext with mapConcurrency=10001: err = %v, want one naming mapConcurrency", err)
	}
	removed := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]interface{}{"scaleMode": "true"}})
	if _, err := SettingsFromContext(removed.Node()); err == nil || !strings.Contains(err.Error(), "scaleMode: no longer a setting") {
		t.Errorf("SettingsFromContext with scaleMode=true: err = %v, want one saying it was removed", err)
	}
}

// FuzzParseSettings feeds arbitrary strings, as `-c key=value` would, to
// every setting: ParseSettings must not panic, and what it accepts must be
// within the documented bounds.
func FuzzParseSettings(f *testing.F) {
	// "70": a Distributed Map's MaxConcurrency may exceed the inline
	// Map's 40 (CI's fuzzing found the bound left from the inline one).
	for _, seed := range []string{"10", "70", "10001", "0", "-1", "2.5", "15m", "1h", "true", "", "/medic/channels", "arn:aws:kms:us-east-1:123456789012:key/x", "9999999999999999999"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, key := range ContextKeys {
			s, err := ParseSettings(map[string]any{key: v})
			if err != nil {
				if !strings.Contains(err.Error(), key) {
					t.Fatalf("error for %s=%q does not name the key: %v", key, v, err)
				}
				continue
			}
			if s.ScheduleMinutes < 1 || s.ScheduleMinutes > 720 || s.BatchSize < 1 || s.BatchSize > 500 ||
				s.MapConcurrency < 1 || s.MapConcurrency > 10000 || s.Retention() == "" {
				t.Fatalf("%s=%q accepted out of bounds: %+v", key, v, s)
			}
		}
	})
}

// TestScheduleIsTheCadence: the stack's default scheduleMinutes is the
// cadence `medic run --every` documents as the default (cadence.Default).
func TestScheduleIsTheCadence(t *testing.T) {
	if got := time.Duration(DefaultSettings().ScheduleMinutes) * time.Minute; got != cadence.Default {
		t.Errorf("default scheduleMinutes is %s, cadence.Default %s", got, cadence.Default)
	}
	for _, m := range []float64{1, 720} {
		s, err := ParseSettings(map[string]any{CtxScheduleMinutes: m})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cadence.Minutes(time.Duration(s.ScheduleMinutes) * time.Minute); err != nil {
			t.Errorf("scheduleMinutes %v is accepted but outside the cadence's bounds: %v", m, err)
		}
	}
}
