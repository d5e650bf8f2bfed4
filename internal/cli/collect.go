package cli

import "github.com/spf13/cobra"

func newCollectCmd(f *Factory) *cobra.Command {
	return notYet("collect", "Collect a read-only snapshot of IAM (and the Organization)")
}
