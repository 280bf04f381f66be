package infra

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
)

// synthesized is one synthesized app: the stack, its template (as the
// assertions library and as JSON) and cdk-nag's findings.
type synthesized struct {
	stack    *Stack
	tpl      assertions.Template
	json     map[string]any
	findings []string // cdk-nag errors and warnings, "path: message"
}

// defaultSynth is the stack with the settings from DefaultSettings,
// synthesized once for the whole test process, on first use (the Lambda
// binaries are built once per process; CDK caches the bundled assets).
// Fuzz workers never synthesize.
var defaultSynth = struct {
	once sync.Once
	s    *synthesized
	err  error
}{}

// defaultStack returns the shared default synthesis.
func defaultStack(t testing.TB) *synthesized {
	t.Helper()
	defaultSynth.once.Do(func() { defaultSynth.s, defaultSynth.err = synth(nil, nil) })
	if defaultSynth.err != nil {
		t.Fatalf("synthesize the default stack: %v", defaultSynth.err)
	}
	return defaultSynth.s
}

func TestMain(m *testing.M) {
	code := func() int {
		defer jsii.Close()
		return m.Run()
	}()
	os.Exit(code)
}

// synth builds an app with context (as cdk.json or -c would give it), the
// Medic stack in env (nil: environment-agnostic) and the AwsSolutions
// checks, and synthesizes it.
func synth(context map[string]any, env *awscdk.Environment) (*synthesized, error) {
	root, err := FindRepoRoot(".")
	if err != nil {
		return nil, err
	}
	return synthAt(root, context, env)
}

// synthAt is synth with the module (tasks/, config/) at root.
func synthAt(root string, context map[string]any, env *awscdk.Environment) (*synthesized, error) {
	outdir, err := os.MkdirTemp("", "medic-cdk-out-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(outdir)
	ctx := map[string]interface{}{}
	for k, v := range context {
		ctx[k] = v
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &ctx})
	settings, err := SettingsFromContext(app.Node())
	if err != nil {
		return nil, err
	}
	st, err := NewStack(app, "Medic", &StackProps{StackProps: awscdk.StackProps{Env: env}, Settings: settings, RepoRoot: root})
	if err != nil {
		return nil, err
	}
	AddChecks(app)
	s := &synthesized{stack: st, tpl: assertions.Template_FromStack(st.Stack, nil)}
	s.json = *s.tpl.ToJSON()
	ann := assertions.Annotations_FromStack(st.Stack)
	any := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-"))
	for _, msgs := range []*[]*cxapi.SynthesisMessage{
		ann.FindError(jsii.String("*"), any),
		ann.FindWarning(jsii.String("*"), any),
	} {
		for _, m := range *msgs {
			s.findings = append(s.findings, fmt.Sprintf("%s: %v", *m.Id, m.Entry.Data))
		}
	}
	return s, nil
}

// resources returns the template's resources of type typ by logical ID.
func (s *synthesized) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.json["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// props returns the Properties of the resource with logical ID id.
func (s *synthesized) props(id string) map[string]any {
	r, ok := s.json["Resources"].(map[string]any)[id].(map[string]any)
	if !ok {
		return nil
	}
	p, _ := r["Properties"].(map[string]any)
	return p
}

// logicalID resolves the logical ID of the CloudFormation resource behind a
// construct.
func (s *synthesized) logicalID(c awscdk.IResource) string {
	cfn := c.Node().DefaultChild().(awscdk.CfnElement)
	return s.resolveString(s.stack.GetLogicalId(cfn))
}

func (s *synthesized) resolveString(v *string) string {
	r := s.stack.Resolve(v)
	str, ok := r.(string)
	if !ok {
		panic(fmt.Sprintf("resolve %v: got %#v", *v, r))
	}
	return str
}
