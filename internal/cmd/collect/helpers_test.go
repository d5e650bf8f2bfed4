package collect

import (
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	permissionscmd "github.com/seiri-dev/seiri/internal/cmd/permissions"
)

// testRoot is the command tree this package's tests run.
func testRoot(f *cmdutil.Factory) *cobra.Command {
	return cmdtest.Root(f, NewCmd, func(f *cmdutil.Factory) *cobra.Command { return permissionscmd.NewCmd(f) })
}

// runCollect runs the test tree with args against the fake's credentials.
func runCollect(t *testing.T, fake *awsfake.Server, ws string, args ...string) (string, string, int) {
	t.Helper()
	return cmdtest.RunWS(t, testRoot, time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), fake, ws, args...)
}
