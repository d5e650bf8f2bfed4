package scp

import (
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	collectcmd "github.com/seiri-dev/seiri/internal/cmd/collect"
	orgcmd "github.com/seiri-dev/seiri/internal/cmd/org"
	"github.com/seiri-dev/seiri/internal/org"
)

// testRoot is the command tree this package's tests run.
func testRoot(f *cmdutil.Factory) *cobra.Command {
	return cmdtest.Root(f, NewCmd, orgcmd.NewCmd, collectcmd.NewCmd)
}

// runOrg runs the test tree in dir with a workspace under it.
func runOrg(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return cmdtest.RunOrg(t, testRoot, dir, args...)
}

func orgDir(t *testing.T) string { return cmdtest.OrgDir(t) }

func editSpec(t *testing.T, dir string, change func(sp *org.Spec)) { cmdtest.EditSpec(t, dir, change) }

// runCollect runs the test tree with args against the fake's credentials.
func runCollect(t *testing.T, fake *awsfake.Server, ws string, args ...string) (string, string, int) {
	t.Helper()
	return cmdtest.RunWS(t, testRoot, time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), fake, ws, args...)
}
