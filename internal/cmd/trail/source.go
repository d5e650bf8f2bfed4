package trail

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/trail"
)

// OpenSource returns the log source a --source value names (a directory,
// s3://bucket/prefix or lookup-events), as `seiri trail scan` opens it.
// seiri daily scans its configured sources through it.
func OpenSource(ctx context.Context, f *cmdutil.Factory, spec string) (trail.Source, error) {
	return trailSourceFactory(ctx, f, spec)
}

// AWSConfig is the SDK configuration of the global flags, with the
// credentials checked once (what the trail sources use).
func AWSConfig(ctx context.Context, f *cmdutil.Factory) (aws.Config, error) {
	return trailAWSConfig(ctx, f)
}
