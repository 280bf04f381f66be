package trigger

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fixtures maps each testdata file to what it parses to; an empty Kind
// means it must be rejected with an error containing wantErr.
var fixtures = []struct {
	file    string
	want    Trigger
	wantErr string
}{
	{"schedule.json", Trigger{Kind: Schedule}, ""},
	{"empty-object.json", Trigger{Kind: Schedule}, ""},
	{"targeted.json", Trigger{Kind: Targeted, Names: []string{"myhost", "api"}}, ""},
	{"alarm-lambda-action.json", Trigger{Kind: Alarm, Names: []string{"myhost"}}, ""},
	{"alarm-lambda-action-metric-math.json", Trigger{Kind: Alarm, Names: []string{"api"}}, ""},
	{"alarm-eventbridge.json", Trigger{Kind: Alarm, Names: []string{"myhost"}}, ""},
	{"s3-eventbridge-object-created.json", Trigger{Kind: Pulse, Names: []string{"web"}}, ""},
	{"s3-records.json", Trigger{Kind: Pulse, Names: []string{"batch.job", "my+host 2"}}, ""},
	{"invalid-unknown.json", Trigger{}, `unknown keys "Comment"`},
	{"invalid-s3-outside-pulse.json", Trigger{}, `"echo/web.json", which is not under pulse/`},
}

func TestParseFixtures(t *testing.T) {
	for _, tt := range fixtures {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(b)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !IsInvalid(err) {
					t.Fatalf("err = %v, want an invalid-input error containing %q", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), Expected) {
					t.Errorf("error does not list the expected shapes: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEveryFixtureIsListed(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.json")
	listed := map[string]bool{}
	for _, f := range fixtures {
		listed[f.file] = true
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s has no expectation in fixtures", f)
		}
	}
}

func TestParseShapes(t *testing.T) {
	tests := []struct {
		name, in string
		want     Trigger
		wantErr  string
	}{
		{"empty input", "", Trigger{Kind: Schedule}, ""},
		{"null", "null", Trigger{Kind: Schedule}, ""},
		{"explicit targeted", `{"trigger":"targeted","targets":["a"]}`, Trigger{Kind: Targeted, Names: []string{"a"}}, ""},
		{"array", `["a"]`, Trigger{}, "must be a JSON object"},
		{"string", `"schedule"`, Trigger{}, "must be a JSON object"},
		{"bad json", `{"targets": [`, Trigger{}, "not valid JSON"},
		{"empty targets", `{"targets": []}`, Trigger{}, `"targets" is empty`},
		{"targets not list", `{"targets": "a"}`, Trigger{}, "must be a list of target names"},
		{"empty name", `{"targets": ["a", ""]}`, Trigger{}, "target name 2 is empty"},
		{"schedule with targets", `{"trigger":"schedule","targets":["a"]}`, Trigger{}, "a schedule run checks every target"},
		{"other trigger", `{"trigger":"hourly"}`, Trigger{}, `"trigger" is "hourly"`},
		{"targeted without targets", `{"trigger":"targeted"}`, Trigger{}, `needs "targets"`},
		{"extra key", `{"targets":["a"],"force":true}`, Trigger{}, `unknown key "force"`},
		{"other source", `{"source":"aws.ec2","detail":{}}`, Trigger{}, `event from "aws.ec2"`},
		{"s3 deleted", `{"source":"aws.s3","detail-type":"Object Deleted","detail":{"object":{"key":"pulse/a.json"}}}`, Trigger{}, `type "Object Deleted"`},
		{"s3 no key", `{"source":"aws.s3","detail-type":"Object Created","detail":{}}`, Trigger{}, "without detail.object.key"},
		{"s3 not json", `{"source":"aws.s3","detail-type":"Object Created","detail":{"object":{"key":"pulse/a.txt"}}}`, Trigger{}, "not a pulse file"},
		{"s3 key not decoded in eventbridge", `{"source":"aws.s3","detail-type":"Object Created","detail":{"object":{"key":"pulse/a+b.json"}}}`, Trigger{Kind: Pulse, Names: []string{"a+b"}}, ""},
		{"alarm no metrics", `{"source":"aws.cloudwatch","alarmData":{"alarmName":"x","configuration":{"metrics":[]}}}`, Trigger{}, `alarm "x" has no metric with a namespace`},
		{"alarm wrong detail type", `{"source":"aws.cloudwatch","detail-type":"Scheduled Event","detail":{}}`, Trigger{}, `type "Scheduled Event"`},
		{"records empty", `{"Records":[]}`, Trigger{}, `"Records" is empty`},
		{"records sqs", `{"Records":[{"eventSource":"aws:sqs","body":"x"}]}`, Trigger{}, `eventSource "aws:sqs"`},
		{"records removed", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectRemoved:Delete","s3":{"object":{"key":"pulse/a.json"}}}]}`, Trigger{}, `"ObjectRemoved:Delete" event`},
		{"records bad escape", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"object":{"key":"pulse/%zz.json"}}}]}`, Trigger{}, "not URL-encoded correctly"},
		{"records outside pulse", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"object":{"key":"config/targets.yaml"}}}]}`, Trigger{}, "not under pulse/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !IsInvalid(err) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseTooManyNames(t *testing.T) {
	names := make([]string, MaxNames+1)
	for i := range names {
		names[i] = `"n"`
	}
	_, err := Parse([]byte(`{"targets":[` + strings.Join(names, ",") + `]}`))
	if err == nil || !strings.Contains(err.Error(), "at most 1000") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"targets":["a","a",""]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		tr, err := Parse(in)
		if err != nil {
			if !IsInvalid(err) {
				t.Fatalf("error of the wrong type: %T %v", err, err)
			}
			return
		}
		switch tr.Kind {
		case Schedule:
			if len(tr.Names) != 0 {
				t.Fatalf("schedule with names %v", tr.Names)
			}
		case Targeted, Alarm, Pulse:
			if len(tr.Names) == 0 || len(tr.Names) > MaxNames {
				t.Fatalf("%s with %d names", tr.Kind, len(tr.Names))
			}
			seen := map[string]bool{}
			for _, n := range tr.Names {
				if n == "" || seen[n] {
					t.Fatalf("empty or repeated name in %v", tr.Names)
				}
				seen[n] = true
			}
		default:
			t.Fatalf("unknown kind %q", tr.Kind)
		}
	})
}
