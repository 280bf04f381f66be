package infra

import (
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

// TestStatusPage: by default nothing serves site/; with statusPage: public
// a CloudFront distribution does, through origin access control, reading
// site/ only, cdk-nag clean, and the stack outputs its address.
func TestStatusPage(t *testing.T) {
	def := defaultStack(t)
	def.tpl.ResourceCountIs(jsii.String("AWS::CloudFront::Distribution"), jsii.Number(0))
	if strings.Contains(mustMarshal(def.json["Outputs"]), "StatusPageUrl") {
		t.Error("the private default outputs a status page address")
	}

	s, err := synth(map[string]any{CtxStatusPage: StatusPagePublic}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range s.findings {
		t.Errorf("cdk-nag: %s", f)
	}
	s.tpl.ResourceCountIs(jsii.String("AWS::CloudFront::Distribution"), jsii.Number(1))
	s.tpl.ResourceCountIs(jsii.String("AWS::CloudFront::OriginAccessControl"), jsii.Number(1))
	var dist map[string]any
	for _, r := range s.resources("AWS::CloudFront::Distribution") {
		dist = r["Properties"].(map[string]any)["DistributionConfig"].(map[string]any)
	}
	origin := dist["Origins"].([]any)[0].(map[string]any)
	behavior := dist["DefaultCacheBehavior"].(map[string]any)
	if dist["DefaultRootObject"] != "index.html" || origin["OriginPath"] != "/site" || origin["OriginAccessControlId"] == nil ||
		behavior["ViewerProtocolPolicy"] != "redirect-to-https" || len(behavior["AllowedMethods"].([]any)) != 2 {
		t.Errorf("distribution %s", mustMarshal(dist))
	}
	// The bucket's policy: CloudFront may read site/* for this
	// distribution only, and nothing else of the bucket.
	var grants []string
	for _, r := range s.resources("AWS::S3::BucketPolicy") {
		for _, st := range r["Properties"].(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			if p, ok := st["Principal"].(map[string]any); !ok || p["Service"] != "cloudfront.amazonaws.com" {
				continue
			}
			grants = append(grants, mustMarshal(st))
			if st["Effect"] != "Allow" || st["Action"] != "s3:GetObject" || !strings.Contains(mustMarshal(st["Resource"]), `"/site/*"`) ||
				!strings.Contains(mustMarshal(st["Condition"]), "AWS:SourceArn") {
				t.Errorf("CloudFront's grant %s, want GetObject on site/* for the distribution", mustMarshal(st))
			}
		}
	}
	if len(grants) != 1 {
		t.Errorf("CloudFront statements in the bucket policy: %v, want exactly one", grants)
	}
	// Public access stays blocked.
	for _, r := range s.resources("AWS::S3::Bucket") {
		block := mustMarshal(r["Properties"].(map[string]any)["PublicAccessBlockConfiguration"])
		if strings.Count(block, "true") != 4 {
			t.Errorf("public access block %s", block)
		}
	}
	if !strings.Contains(mustMarshal(s.json["Outputs"]), "StatusPageUrl") {
		t.Error("no StatusPageUrl output")
	}
	if _, err := ParseSettings(map[string]any{CtxStatusPage: "open"}); err == nil || !strings.Contains(err.Error(), "context statusPage") {
		t.Errorf("statusPage: open: %v", err)
	}
}
