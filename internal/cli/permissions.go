package cli

import "github.com/spf13/cobra"

func newPermissionsCmd(f *Factory) *cobra.Command {
	return notYet("permissions", "Print the IAM policy seiri needs")
}
