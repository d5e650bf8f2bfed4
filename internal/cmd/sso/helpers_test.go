package sso

import (
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/demo"
)

// testRoot is the command tree this package's tests run.
func testRoot(f *cmdutil.Factory) *cobra.Command {
	return cmdtest.Root(f, NewCmd)
}

var groupsNow = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)

// groupsDemoWorkspace writes the demo snapshot into a fresh workspace.
func groupsDemoWorkspace(t *testing.T) (string, *demo.Org) {
	t.Helper()
	return cmdtest.DemoWorkspace(t, groupsNow)
}

func groupsRun(t *testing.T, fake *awsfake.Server, ws string, args ...string) (string, string, int) {
	t.Helper()
	return cmdtest.RunWS(t, testRoot, groupsNow, fake, ws, args...)
}
