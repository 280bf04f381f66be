package infra

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
)

// newTopic creates the SNS topic used by the sns channel and by the
// monitor's own alarms. Publishing requires TLS.
func newTopic(stack awscdk.Stack) awssns.Topic {
	return awssns.NewTopic(stack, jsii.String("Alerts"), &awssns.TopicProps{
		DisplayName: jsii.String("medic alerts"),
		EnforceSSL:  jsii.Bool(true),
	})
}

// parameterArn is the ARN of the SSM parameter called name in the stack's
// account and region. A name with a path ("/medic/channels") is appended
// as is; a bare name after a slash.
func parameterArn(stack awscdk.Stack, name string) *string {
	return stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("ssm"),
		Resource:     jsii.String("parameter"),
		ArnFormat:    awscdk.ArnFormat_SLASH_RESOURCE_NAME,
		ResourceName: jsii.String(strings.TrimPrefix(name, "/")),
	})
}

// grantReadParameter lets a function read one SecureString parameter and
// nothing else of Parameter Store (not its neighbours, not by path). With
// the AWS managed key aws/ssm, whose key policy lets every principal of the
// account decrypt through Parameter Store, that is all it takes; with a
// customer managed key (keyArn) the role may also decrypt with that key,
// only through Parameter Store and only for this parameter.
func grantReadParameter(stack awscdk.Stack, role awsiam.IRole, name, keyArn string) {
	arn := parameterArn(stack, name)
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadSecretParameter"),
		Actions:   jsii.Strings("ssm:GetParameter"),
		Resources: jsii.Strings(*arn),
	}))
	if keyArn == "" {
		return
	}
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("DecryptSecretParameter"),
		Actions:   jsii.Strings("kms:Decrypt"),
		Resources: jsii.Strings(keyArn),
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{
				"kms:ViaService":                      awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("ssm."), stack.Region(), jsii.String(".amazonaws.com")}),
				"kms:EncryptionContext:PARAMETER_ARN": arn,
			},
		},
	}))
}
