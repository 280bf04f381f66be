package infra

import (
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3deployment"
	"github.com/aws/jsii-runtime-go"
)

// Bucket prefixes (see DESIGN.md, "The bucket").
const (
	PrefixConfig = "config/"
	PrefixPulse  = "pulse/"
	PrefixEcho   = "echo/"
	PrefixState  = "state/"
	PrefixOutbox = "outbox/"
	// PrefixHistory holds every target's history (history.Prefix), and
	// PrefixSite the status page built from it (site.Prefix).
	PrefixHistory = "history/"
	PrefixSite    = "site/"
	// PrefixRuns holds the runs' target lists (loadtargets.PrefixRuns).
	PrefixRuns = "runs/"
	// HoldsKey is the object of pauses and acknowledgements
	// (internal/hold.Key); LoadTargets reads exactly it.
	HoldsKey = "state/holds.json"
	// PrefixBatchEcho holds the echo objects, one per batch (echo.Prefix).
	PrefixBatchEcho = PrefixEcho + "batch/"
)

// newBucket creates the private, TLS-only, versioned data bucket whose events
// go to EventBridge, and deploys config/targets.yaml from the repository
// into it.
func newBucket(stack awscdk.Stack, root string) awss3.Bucket {
	b := awss3.NewBucket(stack, jsii.String("Data"), &awss3.BucketProps{
		BlockPublicAccess:  awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:         jsii.Bool(true),
		MinimumTLSVersion:  jsii.Number(1.2),
		Encryption:         awss3.BucketEncryption_S3_MANAGED,
		ObjectOwnership:    awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:          jsii.Bool(true),
		EventBridgeEnabled: jsii.Bool(true),
		RemovalPolicy:      awscdk.RemovalPolicy_RETAIN,
		LifecycleRules: &[]*awss3.LifecycleRule{
			{
				// Every echo overwrite leaves a version: keep a month of
				// history, then let it go.
				Id:                                  jsii.String("expire-old-versions"),
				NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(30)),
				AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
				ExpiredObjectDeleteMarker:           jsii.Bool(true),
			},
			{
				// Anything else under echo/ (per-target echoes of releases
				// before one object per batch) is debris after 90 days.
				Id:         jsii.String("expire-abandoned-echoes"),
				Prefix:     jsii.String(PrefixEcho),
				Expiration: awscdk.Duration_Days(jsii.Number(90)),
			},
			{
				// An active echo object is rewritten every run; one left over
				// from an old batching (targets were added or removed) is
				// debris. Its old versions are not history anyone reads
				// (state/ keeps the statuses): at 1,000 objects a run they
				// would be most of the bucket.
				Id:                          jsii.String("expire-old-batch-echoes"),
				Prefix:                      jsii.String(PrefixBatchEcho),
				Expiration:                  awscdk.Duration_Days(jsii.Number(2)),
				NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(1)),
			},
			{
				// A target list is read by the run that wrote it (and by
				// later runs with the same targets, which rewrite it when it
				// has expired).
				Id:                          jsii.String("expire-target-lists"),
				Prefix:                      jsii.String(PrefixRuns),
				Expiration:                  awscdk.Duration_Days(jsii.Number(1)),
				NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(1)),
			},
			{
				// Records of delivered and dropped alerts (state/settled/,
				// state/dropped/) are an audit trail and the alerts'
				// tombstones; a tombstone only matters for the alert's
				// 24-hour deadline, so 90 days keeps plenty of history.
				Id:         jsii.String("expire-alert-records"),
				Prefix:     jsii.String(PrefixState + "settled/"),
				Expiration: awscdk.Duration_Days(jsii.Number(90)),
			},
			{
				Id:         jsii.String("expire-dropped-alert-records"),
				Prefix:     jsii.String(PrefixState + "dropped/"),
				Expiration: awscdk.Duration_Days(jsii.Number(90)),
			},
			{
				// Alerts are dropped (loudly) long before this; anything older
				// is debris.
				Id:         jsii.String("expire-old-outbox"),
				Prefix:     jsii.String(PrefixOutbox),
				Expiration: awscdk.Duration_Days(jsii.Number(30)),
			},
		},
	})
	awss3deployment.NewBucketDeployment(stack, jsii.String("Config"), &awss3deployment.BucketDeploymentProps{
		Sources: &[]awss3deployment.ISource{
			awss3deployment.Source_Asset(jsii.String(filepath.Join(root, filepath.Dir(ConfigKey))), nil),
		},
		DestinationBucket:    b,
		DestinationKeyPrefix: jsii.String(PrefixConfig),
		Include:              &[]*string{jsii.String(filepath.Base(ConfigKey))},
		Exclude:              &[]*string{jsii.String("*")},
		Prune:                jsii.Bool(false),
		RetainOnDelete:       jsii.Bool(true),
		ContentType:          jsii.String("application/yaml"),
	})
	return b
}
