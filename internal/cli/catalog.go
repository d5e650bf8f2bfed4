package cli

import "github.com/spf13/cobra"

func newCatalogCmd(f *Factory) *cobra.Command {
	return notYet("catalog", "The IAM service authorization catalog")
}
