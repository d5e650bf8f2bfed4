package unused

import (
	"github.com/spf13/cobra"

	auditcmd "github.com/seiri-dev/seiri/internal/cmd/audit"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	democmd "github.com/seiri-dev/seiri/internal/cmd/demo"
	policycmd "github.com/seiri-dev/seiri/internal/cmd/policy"
)

// testRoot is the command tree this package's tests run.
func testRoot(f *cmdutil.Factory) *cobra.Command {
	return cmdtest.Root(f, NewCmd, auditcmd.NewCmd, democmd.NewCmd, policycmd.NewCmd)
}
