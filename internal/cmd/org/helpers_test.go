package org

import (
	"testing"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/org"
)

// testRoot is the command tree this package's tests run.
func testRoot(f *cmdutil.Factory) *cobra.Command {
	return cmdtest.Root(f, NewCmd)
}

// runOrg runs the test tree in dir with a workspace under it.
func runOrg(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return cmdtest.RunOrg(t, testRoot, dir, args...)
}

func orgDir(t *testing.T) string { return cmdtest.OrgDir(t) }

func editSpec(t *testing.T, dir string, change func(sp *org.Spec)) { cmdtest.EditSpec(t, dir, change) }
