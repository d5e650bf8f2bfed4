package daily

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	trailcmd "github.com/seiri-dev/seiri/internal/cmd/trail"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/notify"
	"github.com/seiri-dev/seiri/internal/workspace/s3ws"
)

func lookupEnv(name string) string { return os.Getenv(name) }

// awsConfig loads the SDK configuration from the global flags (profile,
// region, endpoint), as the trail sources do.
func awsConfig(ctx context.Context, f *cmdutil.Factory) (aws.Config, error) {
	return trailcmd.AWSConfig(ctx, f)
}

// openS3Workspace takes the S3 workspace's lock and downloads it. Another
// runner holding the lock is exit 3 with the holder named (the run is not
// done, and a scheduler retries); bad URLs are exit 2.
func openS3Workspace(f *cmdutil.Factory, o *Options) (*s3ws.Workspace, error) {
	ctx := f.Context
	if _, _, err := s3ws.ParseURL(f.Globals.Workspace); err != nil {
		return nil, cmdutil.BadInput(err)
	}
	cfg, err := awsConfig(ctx, f)
	if err != nil {
		return nil, cmdutil.BadInputf("--workspace %s: %v", f.Globals.Workspace, err)
	}
	c := s3.NewFromConfig(cfg, func(so *s3.Options) {
		if ep := f.Globals.AWS.EndpointURL; ep != "" {
			so.BaseEndpoint = aws.String(ep)
			so.UsePathStyle = true
		}
	})
	w, err := s3ws.Open(ctx, c, f.Globals.Workspace, s3ws.Options{Wait: o.LockWait, Now: f.Now})
	if err != nil {
		if _, held := err.(*s3ws.HeldError); held {
			return nil, &cmdutil.ExitError{Code: cmdutil.ExitPartial, Err: err}
		}
		return nil, &cmdutil.ExitError{Code: cmdutil.ExitInternal, Err: err}
	}
	return w, nil
}

// notifyTargets opens SSM and SNS only when a message needs them.
func notifyTargets(f *cmdutil.Factory, _ *config.Config) notify.Clients {
	return notify.Clients{
		SSM: func(ctx context.Context) (notify.SSM, error) {
			cfg, err := awsConfig(ctx, f)
			if err != nil {
				return nil, err
			}
			return ssm.NewFromConfig(cfg, func(so *ssm.Options) {
				if ep := f.Globals.AWS.EndpointURL; ep != "" {
					so.BaseEndpoint = aws.String(ep)
				}
			}), nil
		},
		SNS: func(ctx context.Context) (notify.SNS, error) {
			cfg, err := awsConfig(ctx, f)
			if err != nil {
				return nil, err
			}
			return sns.NewFromConfig(cfg, func(so *sns.Options) {
				if ep := f.Globals.AWS.EndpointURL; ep != "" {
					so.BaseEndpoint = aws.String(ep)
				}
			}), nil
		},
	}
}
