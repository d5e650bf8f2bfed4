package cli

import "github.com/spf13/cobra"

func newDemoCmd(f *Factory) *cobra.Command {
	return notYet("demo", "Run seiri on a generated demo organization")
}
