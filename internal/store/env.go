package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// FromEnv builds the Store a Lambda task uses: the bucket MEDIC_BUCKET, the
// SDK's default configuration (credentials, region, AWS_ENDPOINT_URL_S3),
// and path-style addressing when a custom endpoint is set (MinIO and
// LocalStack in practice). It returns the configuration too, for the
// task's other clients. getenv is os.Getenv in the Lambda.
func FromEnv(ctx context.Context, getenv func(string) string) (*Store, aws.Config, error) {
	bucket := getenv("MEDIC_BUCKET")
	if bucket == "" {
		return nil, aws.Config{}, errors.New("MEDIC_BUCKET is not set: it names the bucket medic keeps its data in")
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = getenv("AWS_ENDPOINT_URL_S3") != "" || getenv("AWS_ENDPOINT_URL") != ""
	})
	return New(client, bucket), cfg, nil
}
