package cli

import "github.com/spf13/cobra"

func newSnapshotCmd(f *Factory) *cobra.Command {
	return notYet("snapshot", "Work with snapshots")
}
