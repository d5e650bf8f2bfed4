package roles

import (
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/demo/demotest"
)

// testRoot is the command tree this package's tests run.
func testRoot(f *cmdutil.Factory) *cobra.Command {
	return cmdtest.Root(f, NewCmd)
}

var groupsNow = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)

// groupsDemoWorkspace is a fresh workspace with the demo's snapshot and the
// usage store its CloudTrail logs give when scanned (demotest), and an
// organization of its own (a fake made from it changes it).
func groupsDemoWorkspace(t *testing.T) (string, *demo.Org) {
	t.Helper()
	ws, _ := demotest.Workspace(t, groupsNow)
	return ws, demo.Generate(groupsNow, demo.Seed)
}

func groupsRun(t *testing.T, fake *awsfake.Server, ws string, args ...string) (string, string, int) {
	t.Helper()
	return cmdtest.RunWS(t, testRoot, groupsNow, fake, ws, args...)
}
