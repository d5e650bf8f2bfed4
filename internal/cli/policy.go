package cli

import "github.com/spf13/cobra"

func newPolicyCmd(f *Factory) *cobra.Command {
	return notYet("policy", "Validate, simulate and generate IAM policies")
}
