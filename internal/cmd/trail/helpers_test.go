package trail

import (
	"context"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
)

// testRoot is the command tree this package's tests run.
func testRoot(f *cmdutil.Factory) *cobra.Command {
	return cmdtest.Root(f, NewCmd)
}

// runOnFake runs the trail tree with args against the fake's credentials
// and endpoint, at trailT0+3d; Athena polls do not wait.
func runOnFake(t *testing.T, fake *awsfake.Server, args ...string) (string, string, int) {
	t.Helper()
	noWait := func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	mk := func(f *cmdutil.Factory) *cobra.Command {
		return cmdtest.Root(f, func(f *cmdutil.Factory) *cobra.Command {
			return newCmd(f,
				func(o *TrailScanOptions) error { o.AthenaPoll = noWait; return trailScanRun(o) },
				func(o *TrailAthenaSetupOptions) error { o.AthenaPoll = noWait; return trailAthenaSetupRun(o) })
		})
	}
	// --workspace is given by the caller: RunWS's own comes last and wins,
	// so it is taken from args.
	ws := t.TempDir()
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--workspace" {
			ws = args[i+1]
			args = append(append([]string{}, args[:i]...), args[i+2:]...)
			break
		}
	}
	return cmdtest.RunWS(t, mk, trailT0.AddDate(0, 0, 3), fake, ws, args...)
}
