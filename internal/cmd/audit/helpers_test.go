package audit

import (
	"flag"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
)

// testRoot is the command tree this package's tests run.
func testRoot(f *cmdutil.Factory) *cobra.Command {
	return cmdtest.Root(f, NewCmd)
}

var update = flag.Bool("update", false, "rewrite the golden files under testdata")
