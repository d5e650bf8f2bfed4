package daily

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/notify"
	"github.com/seiri-dev/seiri/internal/workspace/s3ws"
)

func lookupEnv(name string) string { return os.Getenv(name) }

// openS3Workspace takes the S3 workspace's lock and downloads it. Another
// runner holding the lock is exit 3 with the holder named (the run is not
// done, and a scheduler retries); bad URLs are exit 2.
func openS3Workspace(ctx context.Context, o *Options) (*s3ws.Workspace, error) {
	if _, _, err := s3ws.ParseURL(o.WorkspaceURL); err != nil {
		return nil, cmdutil.BadInput(err)
	}
	cfg, err := o.AWSConfig(ctx)
	if err != nil {
		return nil, cmdutil.BadInputf("--workspace %s: %v", o.WorkspaceURL, err)
	}
	c := s3.NewFromConfig(cfg, func(so *s3.Options) {
		if ep := o.EndpointURL; ep != "" {
			so.BaseEndpoint = aws.String(ep)
			so.UsePathStyle = true
		}
	})
	w, err := s3ws.Open(ctx, c, o.WorkspaceURL, s3ws.Options{Wait: o.LockWait, Now: o.Now})
	if err != nil {
		if _, held := err.(*s3ws.HeldError); held {
			return nil, &cmdutil.ExitError{Code: cmdutil.ExitPartial, Err: err}
		}
		return nil, &cmdutil.ExitError{Code: cmdutil.ExitInternal, Err: err}
	}
	return w, nil
}

// notifyTargets opens SSM and SNS only when a message needs them.
func notifyTargets(o *Options) notify.Clients {
	return notify.Clients{
		SSM: func(ctx context.Context) (notify.SSM, error) {
			cfg, err := o.AWSConfig(ctx)
			if err != nil {
				return nil, err
			}
			return ssm.NewFromConfig(cfg, func(so *ssm.Options) {
				if ep := o.EndpointURL; ep != "" {
					so.BaseEndpoint = aws.String(ep)
				}
			}), nil
		},
		SNS: func(ctx context.Context) (notify.SNS, error) {
			cfg, err := o.AWSConfig(ctx)
			if err != nil {
				return nil, err
			}
			return sns.NewFromConfig(cfg, func(so *sns.Options) {
				if ep := o.EndpointURL; ep != "" {
					so.BaseEndpoint = aws.String(ep)
				}
			}), nil
		},
	}
}
