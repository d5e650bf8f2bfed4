// Package root builds seiri's command tree from one package per command
// group (internal/cmd/<group>) and runs it.
package root

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/audit"
	catalogcmd "github.com/seiri-dev/seiri/internal/cmd/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/cmd/collect"
	"github.com/seiri-dev/seiri/internal/cmd/daily"
	"github.com/seiri-dev/seiri/internal/cmd/demo"
	detectcmd "github.com/seiri-dev/seiri/internal/cmd/detect"
	"github.com/seiri-dev/seiri/internal/cmd/groups"
	"github.com/seiri-dev/seiri/internal/cmd/keys"
	"github.com/seiri-dev/seiri/internal/cmd/org"
	"github.com/seiri-dev/seiri/internal/cmd/permissions"
	"github.com/seiri-dev/seiri/internal/cmd/policy"
	reportcmd "github.com/seiri-dev/seiri/internal/cmd/report"
	riskcmd "github.com/seiri-dev/seiri/internal/cmd/risk"
	"github.com/seiri-dev/seiri/internal/cmd/roles"
	"github.com/seiri-dev/seiri/internal/cmd/scp"
	"github.com/seiri-dev/seiri/internal/cmd/snapshot"
	"github.com/seiri-dev/seiri/internal/cmd/sso"
	"github.com/seiri-dev/seiri/internal/cmd/trail"
	"github.com/seiri-dev/seiri/internal/cmd/unused"
	"github.com/seiri-dev/seiri/internal/cmd/users"
	"github.com/seiri-dev/seiri/internal/version"
)

// NewRootCmd builds the whole command tree.
func NewRootCmd(f *cmdutil.Factory) *cobra.Command {
	root := cmdutil.NewBareRoot(f)
	root.AddCommand(
		newVersionCmd(f),
		collect.NewCmd(f),
		snapshot.NewCmd(f),
		permissions.NewCmd(f, keys.NewCmdPermissions(f)),
		audit.NewCmd(f),
		demo.NewCmd(f),
		catalogcmd.NewCmd(f),
		policy.NewCmd(f),
		trail.NewCmd(f),
		org.NewCmd(f), scp.NewCmd(f),
		keys.NewCmd(f), users.NewCmd(f),
		unused.NewCmd(f), riskcmd.NewCmd(f),
		groups.NewCmd(f), roles.NewCmd(f), sso.NewCmd(f),
		detectcmd.NewCmd(f),
		daily.NewCmd(f),
		reportcmd.NewCmd(f),
	)
	cmdutil.TypeErrors(root)
	declareOutputs(root)
	return root
}

// Main runs seiri with the process's arguments and returns the exit code.
func Main() int {
	io := cmdutil.SystemIO()
	f := cmdutil.NewFactory(io)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	f.Context = ctx
	root := NewRootCmd(f)
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	err := root.ExecuteContext(ctx)
	return cmdutil.ExitCode(io, err)
}

func newVersionCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print seiri's version and the data it embeds",
		Example: `  seiri version`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(f.IO.Out, "seiri %s\n", version.String())
			fmt.Fprintln(f.IO.Out, "catalog "+catalog.EmbeddedSource().String())
			return nil
		},
	}
}
