package permissions

import (
	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/collect"
)

// newPermissionsCmd is the `seiri permissions` group: one subcommand per
// command that calls AWS, each printing the exact IAM policy it needs.
// The other groups pass theirs in (extra).
// NewCmd is the `seiri permissions` command group.
func NewCmd(f *cmdutil.Factory, extra ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "permissions",
		Short: "Print the IAM policies seiri needs",
		Long: `Print the least-privilege IAM policy a seiri command needs, so that an operator
can create a minimal role or user for it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(newPermissionsCollectCmd(f))
	cmd.AddCommand(extra...)
	return cmd
}

// CollectOptions are the inputs of `seiri permissions collect`.
type CollectOptions struct {
	IO *cmdutil.IOStreams
	// RoleName is the role collect assumes in member accounts (--role-name,
	// global; awsclient.DefaultRoleName when empty).
	RoleName string
}

func newPermissionsCollectCmd(f *cmdutil.Factory) *cobra.Command { return NewCmdCollect(f, nil) }

// NewCmdCollect parses flags into CollectOptions and calls runF
// (collectRun when nil).
func NewCmdCollect(f *cmdutil.Factory, runF func(*CollectOptions) error) *cobra.Command {
	opts := &CollectOptions{IO: f.IO}
	return &cobra.Command{
		Use:   "collect",
		Short: "Print the read-only IAM policy `seiri collect` needs",
		Long: `Print the identity policy for the principal that runs ` + "`seiri collect`" + `: every
read-only action collect calls, and sts:AssumeRole on --role-name in member
accounts. The member-account role needs the same read actions (the
organizations ones only in the management or delegated administrator account).
The resource-policy reads (S3, KMS, SQS, SNS, Lambda, Secrets Manager, ECR) are
included; collect --no-resource-policies does not call them.`,
		Example: `  seiri permissions collect > seiri-collect.json
  aws iam create-policy --policy-name seiri-collect --policy-document file://seiri-collect.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.RoleName = f.Globals.AWS.RoleName
			if runF != nil {
				return runF(opts)
			}
			return collectRun(opts)
		},
	}
}

func collectRun(opts *CollectOptions) error {
	role := opts.RoleName
	if role == "" {
		role = awsclient.DefaultRoleName
	}
	_, err := opts.IO.Out.Write(collect.PolicyJSON(role))
	return err
}
