package cli

import "github.com/spf13/cobra"

func newTrailCmd(f *Factory) *cobra.Command {
	return notYet("trail", "CloudTrail usage")
}
