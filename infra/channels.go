package infra

import (
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
)

// completeSecretArnRE matches an ARN that ends with the six random
// characters Secrets Manager appends to a secret's name.
var completeSecretArnRE = regexp.MustCompile(`-[A-Za-z0-9]{6}$`)

// newTopic creates the SNS topic used by the sns channel and by the
// monitor's own alarms. Publishing requires TLS.
func newTopic(stack awscdk.Stack) awssns.Topic {
	return awssns.NewTopic(stack, jsii.String("Alerts"), &awssns.TopicProps{
		DisplayName: jsii.String("medic alerts"),
		EnforceSSL:  jsii.Bool(true),
	})
}

// newSecret creates a secret holding an empty JSON object for the operator
// to fill in, or references the one at arn when it is set. There are two:
// ChannelSecret (channel credentials, read by notify alone) and
// TargetSecret (targets' headerSecrets, read by probe alone), so neither
// function can read the other's credentials.
func newSecret(stack awscdk.Stack, id, arn, description string) awssecretsmanager.ISecret {
	if arn != "" {
		if completeSecretArnRE.MatchString(arn) {
			return awssecretsmanager.Secret_FromSecretCompleteArn(stack, jsii.String(id), jsii.String(arn))
		}
		return awssecretsmanager.Secret_FromSecretPartialArn(stack, jsii.String(id), jsii.String(arn))
	}
	return awssecretsmanager.NewSecret(stack, jsii.String(id), &awssecretsmanager.SecretProps{
		Description: jsii.String(description),
		// Not a secret: an empty object for the operator to fill in.
		SecretStringValue: awscdk.SecretValue_UnsafePlainText(jsii.String("{}")),
	})
}

// secretResource is the IAM resource for reading secret: its ARN, with the
// random suffix wildcarded when the secret was referenced by partial ARN.
func secretResource(secret awssecretsmanager.ISecret) *string {
	if full := secret.SecretFullArn(); full != nil {
		return full
	}
	return jsii.String(*secret.SecretArn() + "-??????")
}
