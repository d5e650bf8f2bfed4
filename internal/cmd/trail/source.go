package trail

import (
	"context"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/trail"
)

// OpenSource returns the log source a --source value names (a directory,
// s3://bucket/prefix or lookup-events), as `seiri trail scan` opens it.
// seiri daily scans its configured sources through it.
func OpenSource(ctx context.Context, f *cmdutil.Factory, spec string) (trail.Source, error) {
	return trailSourceFactory(ctx, f, spec)
}
