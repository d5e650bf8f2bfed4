package athena_test

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/athena"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/trail/athena"
)

// newRunner is a Runner on a real Athena SDK client pointed at the fake,
// with instant polling waits.
func newRunner(srv *awsfake.Server) *athena.Runner {
	c := sdk.New(sdk.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: srv.Credentials(),
	})
	return &athena.Runner{API: c, Database: "seiri", Workgroup: "primary", Output: "s3://results/seiri/",
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }}
}
