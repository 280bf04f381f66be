package infra

import (
	"github.com/medic-dev/medic/internal/hold"

	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// statement is one IAM policy statement from the template.
type statement map[string]any

func (st statement) actions() []string { return stringsOf(st["Action"]) }

func (st statement) resources() []any {
	if r, ok := st["Resource"].([]any); ok {
		return r
	}
	return []any{st["Resource"]}
}

func (st statement) String() string {
	b, _ := json.Marshal(map[string]any(st))
	return string(b)
}

func stringsOf(v any) []string {
	switch a := v.(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, x := range a {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// statementsOf returns the statements of every policy attached to the role
// with logical ID role (AWS::IAM::Policy resources and inline policies).
func (s *synthesized) statementsOf(role string) []statement {
	ref := map[string]any{"Ref": role}
	var docs []any
	for _, p := range s.resources("AWS::IAM::Policy") {
		props := p["Properties"].(map[string]any)
		roles, _ := props["Roles"].([]any)
		if slices.ContainsFunc(roles, func(r any) bool { return reflect.DeepEqual(r, ref) }) {
			docs = append(docs, props["PolicyDocument"])
		}
	}
	if inline, ok := s.props(role)["Policies"].([]any); ok {
		for _, p := range inline {
			docs = append(docs, p.(map[string]any)["PolicyDocument"])
		}
	}
	var out []statement
	for _, d := range docs {
		for _, st := range d.(map[string]any)["Statement"].([]any) {
			out = append(out, statement(st.(map[string]any)))
		}
	}
	return out
}

// allStatements returns every identity-policy statement in the template.
func (s *synthesized) allStatements() []statement {
	var out []statement
	for id := range s.resources("AWS::IAM::Role") {
		out = append(out, s.statementsOf(id)...)
	}
	return out
}

func TestNoWildcardActions(t *testing.T) {
	s := defaultStack(t)
	for _, st := range s.allStatements() {
		for _, a := range st.actions() {
			if a == "*" || a == "s3:*" || strings.HasSuffix(a, ":*") {
				t.Errorf("statement grants %q: %v", a, st)
			}
		}
	}
	// medic's own roles (the tasks, the state machine, the triggers) name
	// every action exactly. CDK's deployment helpers are excluded: their
	// policies are CDK's (and suppressed in cdk-nag with that reason).
	own := []string{s.logicalID(s.stack.StateMachine.Role())}
	for _, task := range Tasks {
		own = append(own, s.logicalID(s.stack.Functions[task].Role()))
	}
	for id := range s.resources("AWS::IAM::Role") {
		if strings.HasPrefix(id, "SchedulerRoleForTarget") || strings.Contains(id, "EventsRole") {
			own = append(own, id)
		}
	}
	if len(own) != len(Tasks)+3 {
		t.Fatalf("found %d of medic's roles (%v), want %d", len(own), own, len(Tasks)+3)
	}
	for _, role := range own {
		if p := s.props(role); p["ManagedPolicyArns"] != nil {
			t.Errorf("role %s has managed policies %v", role, p["ManagedPolicyArns"])
		}
		for _, st := range s.statementsOf(role) {
			for _, a := range st.actions() {
				if strings.Contains(a, "*") {
					t.Errorf("role %s: wildcard action %q in %v", role, a, st)
				}
			}
			if slices.Contains(st.resources(), any("*")) {
				for _, a := range st.actions() {
					if !strings.HasPrefix(a, "xray:") && !strings.HasPrefix(a, "logs:") {
						t.Errorf("role %s: %s on Resource * (only X-Ray and log delivery need it)", role, a)
					}
				}
			}
		}
	}
}

// TestTaskS3Access derives each task role's S3 access from the template
// and compares it with what the task needs: object actions on prefixes,
// listing only with an s3:prefix condition, and nothing else of S3.
func TestTaskS3Access(t *testing.T) {
	s := defaultStack(t)
	bucketArn := map[string]any{"Fn::GetAtt": []any{s.logicalID(s.stack.Bucket), "Arn"}}
	want := map[string]map[string][]string{
		"loadtargets":    {"s3:GetObject": {"config/", "pulse/", "runs/", "state/holds.json"}, "s3:PutObject": {"runs/"}, "s3:ListBucket": {"config/", "pulse/", "runs/", "state/holds.json"}},
		"probe":          {},
		"writeecho":      {"s3:PutObject": {"echo/"}},
		"checkstaleness": {"s3:GetObject": {"config/", "echo/", "history/", "outbox/", "pulse/", "state/"}, "s3:PutObject": {"history/", "outbox/", "site/", "state/"}, "s3:DeleteObject": {"history/"}, "s3:ListBucket": {"echo/", "history/", "outbox/", "pulse/", "state/"}},
		"notify":         {"s3:GetObject": {"config/", "outbox/", "state/"}, "s3:PutObject": {"outbox/", "state/"}, "s3:DeleteObject": {"outbox/"}, "s3:ListBucket": {"outbox/", "state/"}},
	}
	for _, task := range Tasks {
		t.Run(task, func(t *testing.T) {
			got := map[string][]string{}
			for _, st := range s.statementsOf(s.logicalID(s.stack.Functions[task].Role())) {
				for _, a := range st.actions() {
					if !strings.HasPrefix(a, "s3:") {
						continue
					}
					if a == "s3:ListBucket" {
						if !reflect.DeepEqual(st.resources(), []any{bucketArn}) {
							t.Errorf("ListBucket on %v, want the bucket", st.resources())
						}
						cond, _ := st["Condition"].(map[string]any)["StringLike"].(map[string]any)
						for _, p := range stringsOf(cond["s3:prefix"]) {
							got[a] = append(got[a], strings.TrimSuffix(p, "*"))
						}
						if len(got[a]) == 0 {
							t.Errorf("ListBucket without an s3:prefix condition: %v", st)
						}
						continue
					}
					for _, r := range st.resources() {
						prefix, ok := objectPrefix(r, bucketArn)
						if !ok {
							t.Errorf("%s on %v: not an object prefix of the bucket", a, r)
							continue
						}
						got[a] = append(got[a], prefix)
					}
				}
			}
			for a := range got {
				slices.Sort(got[a])
			}
			if !reflect.DeepEqual(got, want[task]) {
				t.Errorf("S3 access = %v\nwant %v", got, want[task])
			}
		})
	}
}

// objectPrefix recognises <bucket ARN>/<prefix>/* and returns "<prefix>/".
func objectPrefix(r any, bucketArn any) (string, bool) {
	join, ok := r.(map[string]any)["Fn::Join"].([]any)
	if !ok || len(join) != 2 || join[0] != "" {
		return "", false
	}
	parts := join[1].([]any)
	if len(parts) != 2 || !reflect.DeepEqual(parts[0], bucketArn) {
		return "", false
	}
	suffix, _ := parts[1].(string)
	if suffix == "/"+HoldsKey {
		return HoldsKey, true // the one exact key a task reads
	}
	if !strings.HasPrefix(suffix, "/") || !strings.HasSuffix(suffix, "/*") || strings.Count(suffix, "/") != 2 || len(suffix) < 4 {
		return "", false
	}
	return strings.TrimSuffix(strings.TrimPrefix(suffix, "/"), "*"), true
}

// TestSecretAndTopicAccess: only notify reads the channel parameter, only
// probe the target parameter, only notify publishes to the topic, each on
// exactly that resource; with the AWS managed key aws/ssm no role has any
// KMS permission (TestSettingsReachTheStack covers a customer managed key).
func TestSecretAndTopicAccess(t *testing.T) {
	s := defaultStack(t)
	topic := map[string]any{"Ref": s.logicalID(s.stack.Topic)}
	readers := map[string]string{"notify": "parameter/medic/channels", "probe": "parameter/medic/targets"}
	for _, task := range Tasks {
		var secretReads, publishes []statement
		for _, st := range s.statementsOf(s.logicalID(s.stack.Functions[task].Role())) {
			for _, a := range st.actions() {
				switch {
				case strings.HasPrefix(a, "ssm:"), strings.HasPrefix(a, "kms:"), strings.HasPrefix(a, "secretsmanager:"):
					secretReads = append(secretReads, st)
				case strings.HasPrefix(a, "sns:"):
					publishes = append(publishes, st)
				}
			}
		}
		param, reader := readers[task]
		if !reader && len(secretReads) > 0 {
			t.Errorf("%s may use a secret: %v", task, secretReads)
		}
		if reader && (len(secretReads) != 1 || !reflect.DeepEqual(secretReads[0].actions(), []string{"ssm:GetParameter"}) ||
			len(secretReads[0].resources()) != 1 || arnText(secretReads[0].resources()[0]) != "arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:"+param) {
			t.Errorf("%s secret access = %v, want ssm:GetParameter on %s alone", task, secretReads, param)
		}
		if task != "notify" {
			if len(publishes) > 0 {
				t.Errorf("%s may use the topic: %v", task, publishes)
			}
			continue
		}
		if len(publishes) != 1 || !reflect.DeepEqual(publishes[0].actions(), []string{"sns:Publish"}) ||
			!reflect.DeepEqual(publishes[0].resources(), []any{topic}) {
			t.Errorf("notify topic access = %v, want sns:Publish on %v", publishes, topic)
		}
	}
}

// arnText renders an ARN CloudFormation builds with Fn::Join as text, each
// Ref as <name>: arn:<AWS::Partition>:ssm:<AWS::Region>:...
func arnText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if ref, ok := v["Ref"].(string); ok {
			return "<" + ref + ">"
		}
		if join, ok := v["Fn::Join"].([]any); ok && len(join) == 2 {
			var parts []string
			for _, p := range join[1].([]any) {
				parts = append(parts, arnText(p))
			}
			return strings.Join(parts, join[0].(string))
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestHoldsKeyIsTheTasksKey: the key LoadTargets may read is the one
// internal/hold reads and the CLI writes.
func TestHoldsKeyIsTheTasksKey(t *testing.T) {
	if HoldsKey != hold.Key {
		t.Fatalf("infra reads %q, the tasks use %q", HoldsKey, hold.Key)
	}
}
