package infra

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// Status page settings (context statusPage).
const (
	// StatusPagePrivate keeps site/ in the private bucket: 'medic status
	// --aws' prints a presigned link to it.
	StatusPagePrivate = "private"
	// StatusPagePublic serves site/ through CloudFront with origin access
	// control, to anyone with the distribution's address.
	StatusPagePublic = "public"
)

// newStatusPage serves site/ (the status page CheckStaleness publishes)
// through a CloudFront distribution with origin access control. The bucket
// stays private: its public access block stays on, and the one statement
// added to its policy lets this distribution, and nothing else, read
// site/* only. (The origin is the bucket as a reference, so that CDK does
// not add its own statement, which would grant every object.)
func newStatusPage(stack awscdk.Stack, bucket awss3.Bucket) awscloudfront.Distribution {
	ref := awss3.Bucket_FromBucketAttributes(stack, jsii.String("StatusPageOrigin"), &awss3.BucketAttributes{
		BucketArn:                bucket.BucketArn(),
		BucketRegionalDomainName: bucket.BucketRegionalDomainName(),
	})
	origin := awscloudfrontorigins.S3BucketOrigin_WithOriginAccessControl(ref, &awscloudfrontorigins.S3BucketOriginWithOACProps{
		OriginPath: jsii.String("/" + PrefixSite[:len(PrefixSite)-1]),
	})
	headers := awscloudfront.NewResponseHeadersPolicy(stack, jsii.String("StatusPageHeaders"), &awscloudfront.ResponseHeadersPolicyProps{
		Comment: jsii.String("medic status page: security headers"),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			ContentTypeOptions: &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			FrameOptions:       &awscloudfront.ResponseHeadersFrameOptions{FrameOption: awscloudfront.HeadersFrameOption_DENY, Override: jsii.Bool(true)},
			ReferrerPolicy:     &awscloudfront.ResponseHeadersReferrerPolicy{ReferrerPolicy: awscloudfront.HeadersReferrerPolicy_NO_REFERRER, Override: jsii.Bool(true)},
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Days(jsii.Number(365)), IncludeSubdomains: jsii.Bool(true), Override: jsii.Bool(true),
			},
		},
	})
	// The page changes every run: cache it for a minute at most.
	cache := awscloudfront.NewCachePolicy(stack, jsii.String("StatusPageCache"), &awscloudfront.CachePolicyProps{
		Comment:                    jsii.String("medic status page: a minute at most, the page changes every run"),
		DefaultTtl:                 awscdk.Duration_Seconds(jsii.Number(60)),
		MaxTtl:                     awscdk.Duration_Seconds(jsii.Number(60)),
		MinTtl:                     awscdk.Duration_Seconds(jsii.Number(0)),
		EnableAcceptEncodingGzip:   jsii.Bool(true),
		EnableAcceptEncodingBrotli: jsii.Bool(true),
	})
	dist := awscloudfront.NewDistribution(stack, jsii.String("StatusPage"), &awscloudfront.DistributionProps{
		Comment:           jsii.String("medic status page (site/ of the data bucket)"),
		DefaultRootObject: jsii.String("index.html"),
		PriceClass:        awscloudfront.PriceClass_PRICE_CLASS_100,
		HttpVersion:       awscloudfront.HttpVersion_HTTP2_AND_3,
		DefaultBehavior: &awscloudfront.BehaviorOptions{
			Origin:                origin,
			ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_REDIRECT_TO_HTTPS,
			AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_GET_HEAD(),
			CachedMethods:         awscloudfront.CachedMethods_CACHE_GET_HEAD(),
			CachePolicy:           cache,
			ResponseHeadersPolicy: headers,
			Compress:              jsii.Bool(true),
		},
	})
	distArn := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("cloudfront"), Region: jsii.String(""), Resource: jsii.String("distribution"), ResourceName: dist.DistributionId(),
	})
	bucket.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("StatusPageDistributionReadsSiteOnly"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudfront.amazonaws.com"), nil)},
		Actions:    jsii.Strings("s3:GetObject"),
		Resources:  jsii.Strings(*bucket.ArnForObjects(jsii.String(PrefixSite + "*"))),
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"AWS:SourceArn": distArn}},
	}))
	return dist
}
