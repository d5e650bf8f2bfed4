package policy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// PolicyGenerateOptions are the inputs of `policy generate` and `policy diff`.
type PolicyGenerateOptions struct {
	IO        *cmdutil.IOStreams
	Context   context.Context
	Workspace func() (*workspace.Workspace, error)
	Catalog   func() *catalog.Catalog
	Now       func() time.Time

	Principal string
	Days      int
	Format    string // json | terraform | cloudformation
	Name      string
	MaxChars  int
	Snapshot  string
	Diff      bool // policy diff: Markdown review instead of the policy
}

func newPolicyGenerateCmd(f *cmdutil.Factory) *cobra.Command { return NewCmdPolicyGenerate(f, nil) }
func newPolicyDiffCmd(f *cmdutil.Factory) *cobra.Command     { return NewCmdPolicyDiff(f, nil) }

func policyGenerateOpts(f *cmdutil.Factory) *PolicyGenerateOptions {
	return &PolicyGenerateOptions{IO: f.IO, Workspace: f.ReadWorkspace, Catalog: f.Catalog, Now: f.Now}
}

// NewCmdPolicyGenerate parses flags into PolicyGenerateOptions.
func NewCmdPolicyGenerate(f *cmdutil.Factory, runF func(*PolicyGenerateOptions) error) *cobra.Command {
	opts := policyGenerateOpts(f)
	cmd := &cobra.Command{
		Use:   "generate PRINCIPAL",
		Short: "Generate a least-privilege policy from observed usage, proven against every call",
		Long: `Generate a least-privilege identity policy for a user or role (PRINCIPAL: its
ARN) from its successful calls in the window (the usage store of seiri trail
scan). Actions are grouped by service, resources come from the events
(generalized to a prefix when there are many), "*" only for actions without
resource-level permissions. No condition is invented. iam:PassRole is kept,
and flagged for review, when granted today and a used action passes a role.

The policies fit the managed policy size (6,144 characters without
whitespace; split when needed), pass policy validate, and every observed call
is replayed through the policy engine: "covers N/N observed calls". The
policy goes to standard output; the proof, notes and what is removed compared
with today (by service and access level) to standard error.

Exit status: 0 on success, 1 when the principal made no call in the window
(nothing to generate) or a call is not covered (a bug), 2 on bad input.`,
		Example: `  seiri policy generate arn:aws:iam::123456789012:user/ci --days 180
  seiri policy generate arn:aws:iam::123456789012:role/app --format terraform > app_policy.tf`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Principal = args[0]
			opts.Context = f.Context
			if runF != nil {
				return runF(opts)
			}
			return policyGenerateRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.Days, "days", 90, "window length in days, ending now (up to the logs available)")
	fl.StringVar(&opts.Format, "format", "json", "file format of the policy; one of: json, terraform, cloudformation")
	fl.StringVar(&opts.Name, "name", "", "policy name (default <principal name>-least-privilege)")
	fl.IntVar(&opts.MaxChars, "max-chars", leastpriv.ManagedPolicyMaxChars, "size limit per policy, whitespace excluded")
	fl.StringVar(&opts.Snapshot, "snapshot", snapshot.Latest, "snapshot: a folder, a snapshot name in the workspace, or latest")
	return cmd
}

// NewCmdPolicyDiff parses flags into PolicyGenerateOptions with Diff set.
func NewCmdPolicyDiff(f *cmdutil.Factory, runF func(*PolicyGenerateOptions) error) *cobra.Command {
	opts := policyGenerateOpts(f)
	opts.Diff = true
	cmd := &cobra.Command{
		Use:   "diff PRINCIPAL",
		Short: "Current effective permissions vs the generated least-privilege policy, as Markdown",
		Example: `  seiri policy diff arn:aws:iam::111111111111:role/ci-deploy
  seiri policy diff arn:aws:iam::111111111111:user/alice --days 30`,
		Long: `Compare what PRINCIPAL is granted today (identity policies ∩ boundary ∩ SCPs)
with the policy seiri policy generate would write, by service and access
level, with the removed actions (highest risk first) and the generated policy:
Markdown for a pull request review.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Principal = args[0]
			opts.Context = f.Context
			if runF != nil {
				return runF(opts)
			}
			return policyGenerateRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.Days, "days", 90, "window length in days, ending now")
	fl.StringVar(&opts.Snapshot, "snapshot", snapshot.Latest, "snapshot: a folder, a snapshot name in the workspace, or latest")
	return cmd
}

func policyGenerateRun(opts *PolicyGenerateOptions) error {
	switch opts.Format {
	case leastpriv.FormatJSON, leastpriv.FormatTerraform, leastpriv.FormatCloudFormation, "":
	default:
		return cmdutil.BadInputf("--format %q: want json, terraform or cloudformation", opts.Format)
	}
	if opts.MaxChars < 0 {
		return cmdutil.BadInputf("--max-chars %d: must be positive", opts.MaxChars)
	}
	ws, err := opts.Workspace()
	if err != nil {
		return err
	}
	an, err := cmdutil.LoadAnalysis(opts.Context, ws, opts.Snapshot, opts.Catalog(), opts.Now(), opts.Days, opts.Principal, true)
	if err != nil {
		return err
	}
	p := an.Model.Lookup(opts.Principal)
	if p == nil {
		return cmdutil.BadInputf("principal %q: no such user or role in the snapshot", opts.Principal)
	}
	if p.ServiceLinked {
		return cmdutil.BadInputf("principal %q is a service-linked role: AWS owns its policy", opts.Principal)
	}
	g, err := an.Generate(p, leastpriv.GenerateOptions{MaxChars: opts.MaxChars, Name: opts.Name})
	if errors.Is(err, leastpriv.ErrNoUsage) {
		return &cmdutil.ExitError{Code: cmdutil.ExitFindings, Err: err}
	}
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if opts.Diff {
		err = leastpriv.WriteDiff(&out, g, an.Model.Granted(p))
	} else {
		err = leastpriv.WritePolicies(&out, g, opts.Format)
	}
	if err != nil {
		return err
	}
	if _, err := opts.IO.Out.Write(out.Bytes()); err != nil {
		return err
	}
	if !opts.Diff {
		// The policy is the document on stdout; what it was computed from
		// goes with the summary on stderr.
		fmt.Fprintln(opts.IO.ErrOut, cmdutil.SnapshotLine(an.Model.Snapshot))
		leastpriv.WriteSummary(opts.IO.ErrOut, g)
	}
	// Calls on KMS keys whose key policy was not collected are
	// undetermined (named in the summary), not uncovered.
	if n := len(g.Proof.Uncovered); n > 0 {
		return &cmdutil.ExitError{Code: cmdutil.ExitFindings, Err: fmt.Errorf("generated policy does not cover %d observed calls (%s)", n, g.Proof)}
	}
	return nil
}
