package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/collect"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/version"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// CollectOptions are the inputs of `seiri collect`: its dependencies as
// fields, then its flags.
type CollectOptions struct {
	IO        *cmdutil.IOStreams
	Context   context.Context
	Workspace func() (*workspace.Workspace, error) // opened for writing
	Now       func() time.Time
	Log       *slog.Logger                                      // --log-level, on stderr
	AWS       func(context.Context) (*awsclient.Session, error) // awsclient.New on the global flags
	Output    string                                            // --output
	// Progress draws a bar on a terminal; Lines writes a line per account
	// (a CI log); neither with --no-progress.
	Progress, Lines bool

	Org             bool
	Accounts        []string
	Parallel        int
	NoAccessAdvisor bool
	// Regions are the regions whose resource policies are read (default:
	// the session's region); NoResourcePolicies skips them.
	Regions            []string
	NoResourcePolicies bool
	// Collect are extra core options (tests shorten the polling).
	Collect collect.Options
}

// NewCmd is the `seiri collect` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command { return NewCmdCollect(f, nil) }

// NewCmdCollect parses the flags of `seiri collect` and calls runF
// (collectRun when nil).
func NewCmdCollect(f *cmdutil.Factory, runF func(*CollectOptions) error) *cobra.Command {
	o := &CollectOptions{IO: f.IO, Workspace: f.Workspace, Now: f.Now,
		AWS: func(ctx context.Context) (*awsclient.Session, error) { return awsclient.New(ctx, f.Globals.AWS) }}
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Collect a read-only snapshot of IAM (and the Organization)",
		Long: `Collect reads IAM (users, groups, roles, policies, access keys and their last
use, MFA, login profiles, the credential report, password policy, Access
Advisor) and CloudTrail trail settings, and with --org the Organization (OU
tree, accounts, SCPs/RCPs/tag policies and their targets), into a snapshot in
the workspace. It never writes to AWS: ` + "`seiri permissions collect`" + ` prints the
exact read-only policy it needs.

Resource policies (KMS keys, SQS queues, SNS topics, Lambda functions,
Secrets Manager secrets, ECR repositories) are read in --regions (default: the
session's region); S3 bucket policies are read in every region. They are
skipped with --no-resource-policies.

Scope: the caller's account; --org: every ACTIVE account of the Organization
(run from the management or a delegated administrator account); --account:
the listed ones. Member accounts are read by assuming --role-name.

Exit codes: 0 every account collected, 3 some accounts failed (listed, and
recorded in the snapshot's manifest), 2 bad flags, 4 nothing collected.`,
		Example: `  seiri collect
  seiri collect --org --parallel 16
  seiri collect --account 111111111111,222222222222 --role-name SeiriReadOnly
  seiri collect --regions us-east-1,eu-west-1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Parallel < 1 {
				return cmdutil.BadInputf("--parallel %d: must be at least 1", o.Parallel)
			}
			for _, id := range o.Accounts {
				if !accountIDRE.MatchString(id) {
					return cmdutil.BadInputf("--account: %q is not an AWS account id (12 digits)", cmdutil.TrimValue(id))
				}
			}
			for _, r := range o.Regions {
				if !regionRE.MatchString(r) {
					return cmdutil.BadInputf("--regions: %q is not an AWS region name (like us-east-1)", cmdutil.TrimValue(r))
				}
			}
			if o.NoResourcePolicies && len(o.Regions) > 0 {
				return cmdutil.BadInputf("--regions and --no-resource-policies: --regions only chooses where resource policies are read")
			}
			o.Context, o.Output, o.Log = f.Context, f.Globals.Output, f.Logger()
			o.Progress, o.Lines = f.Progress(), !f.Progress() && !f.Globals.NoProgress
			if o.Context == nil {
				o.Context = context.Background()
			}
			if runF != nil {
				return runF(o)
			}
			return collectRun(o)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.Org, "org", false, "collect the Organization and every ACTIVE account in it")
	fl.StringSliceVar(&o.Accounts, "account", nil, "collect only these account ids (repeat the flag or separate with commas)")
	cmdutil.AliasFlag(fl, "accounts", "account")
	fl.IntVar(&o.Parallel, "parallel", 8, "accounts collected at once")
	fl.BoolVar(&o.NoAccessAdvisor, "no-access-advisor", false, "skip Access Advisor (service last accessed) for users and roles")
	fl.StringSliceVar(&o.Regions, "regions", nil, "regions whose resource policies are read (comma-separated; default: the session's region; S3 is read in every region)")
	fl.BoolVar(&o.NoResourcePolicies, "no-resource-policies", false, "skip resource policies (S3, KMS, SQS, SNS, Lambda, Secrets Manager, ECR)")
	return cmd
}

var (
	accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)
	// regionRE is the shape of a region name: us-east-1, us-gov-west-1,
	// ap-southeast-3, cn-north-1.
	regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

func collectRun(o *CollectOptions) error {
	ctx := o.Context
	// AWS first: missing, expired or rejected credentials are one line
	// saying what to set (exit 2), before the workspace is created.
	sess, err := o.AWS(ctx)
	var noCreds *awsclient.CredentialsError
	if errors.As(err, &noCreds) {
		return cmdutil.BadInput(noCreds)
	}
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitInternal, Err: err}
	}
	ws, err := o.Workspace()
	if err != nil {
		return err
	}
	if o.Progress || o.Lines {
		// Progress from the first second: before the first IAM call.
		fmt.Fprintf(o.IO.ErrOut, "collect: %s as %s, into %s\n", collectScope(o), sess.Caller().ARN, ws.SnapshotsDir())
	}
	opts := o.Collect
	opts.Org = o.Org
	opts.Accounts = o.Accounts
	opts.Parallel = o.Parallel
	opts.NoAccessAdvisor = o.NoAccessAdvisor
	opts.Regions = o.Regions
	opts.NoResourcePolicies = o.NoResourcePolicies
	opts.SeiriVersion = version.String()
	opts.Now = o.Now
	opts.Log = o.Log
	var bar *progressBar
	switch {
	case o.Progress:
		bar = &progressBar{w: o.IO.ErrOut}
		opts.Progress = bar.update
	case o.Lines:
		// Not a terminal (a CI log): a line per finished account.
		pl := &progressLines{w: o.IO.ErrOut}
		opts.Progress = pl.update
	}
	res, err := collect.Run(ctx, sess, ws.SnapshotsDir(), opts)
	bar.finish()
	if err != nil {
		return err
	}
	failed := res.FailedAccounts()
	if o.Output == "json" {
		if err := cmdutil.WriteJSON(o.IO.Out, struct {
			Dir string `json:"dir"`
			snapshot.Manifest
			Warnings    []string    `json:"organizationWarnings,omitempty"`
			Unavailable []string    `json:"unavailable,omitempty"`
			Stale       []staleJSON `json:"stalePending,omitempty"`
		}{res.Dir, res.Manifest, res.Warnings, unavailableText(sess.Unavailable()), staleOut(res.Stale)}); err != nil {
			return err
		}
	} else {
		printCollectSummary(o.IO.Out, res, sess.Calls(), resourceScope(opts, sess.Config().Region), sess.Unavailable())
	}
	switch {
	case len(failed) == 0:
		return nil
	case len(failed) == len(res.Manifest.Accounts):
		return &cmdutil.ExitError{Code: cmdutil.ExitInternal, Err: fmt.Errorf("no account could be collected (%d failed); the snapshot records why", len(failed))}
	default:
		return &cmdutil.ExitError{Code: cmdutil.ExitPartial, Err: fmt.Errorf("%d of %d accounts failed (partial snapshot)", len(failed), len(res.Manifest.Accounts))}
	}
}

// resourceScope says where resource policies were read.
func resourceScope(opts collect.Options, sessionRegion string) string {
	if opts.NoResourcePolicies {
		return "not read (--no-resource-policies)"
	}
	regions := opts.Regions
	if len(regions) == 0 {
		regions = []string{sessionRegion}
	}
	return "read in " + strings.Join(regions, ", ") + " (S3 in every region)"
}

type staleJSON struct {
	Path    string `json:"path"`
	Removed bool   `json:"removed"`
	Reason  string `json:"reason"`
}

func staleOut(st []workspace.Stale) []staleJSON {
	var out []staleJSON
	for _, s := range st {
		out = append(out, staleJSON{s.Path, s.Removed, s.Reason})
	}
	return out
}

func unavailableText(us []awsclient.UnavailableError) []string {
	var out []string
	for i := range us {
		out = append(out, us[i].Error())
	}
	return out
}

func printCollectSummary(w io.Writer, res *collect.Result, calls *awsclient.Counter, resources string, unavailable []awsclient.UnavailableError) {
	m := res.Manifest
	ok := len(m.Accounts) - len(res.FailedAccounts())
	fmt.Fprintf(w, "Snapshot %s\n", res.Dir)
	org := ""
	if m.Organization {
		org = " and the organization"
	}
	retries := ""
	if n := calls.Attempts() - calls.Calls(); n > 0 {
		// Throttling and server errors retried by the SDK.
		retries = fmt.Sprintf(" (%d retried)", n)
	}
	fmt.Fprintf(w, "Collected %d of %d accounts%s in %s with %d API calls%s.\n", ok, len(m.Accounts), org,
		m.FinishedAt.Sub(m.StartedAt).Round(1e8), calls.Calls(), retries)
	fmt.Fprintf(w, "Resource policies: %s.\n", resources)
	if failed := res.FailedAccounts(); len(failed) > 0 {
		fmt.Fprintf(w, "Failed accounts (%d):\n", len(failed))
		for _, st := range failed {
			fmt.Fprintf(w, "  %s%s: %s\n", st.AccountID, nameSuffix(st.Name), st.Error)
		}
	}
	var warns []string
	for _, st := range m.Accounts {
		for _, wn := range st.Warnings {
			warns = append(warns, fmt.Sprintf("  %s%s: %s", st.AccountID, nameSuffix(st.Name), wn))
		}
	}
	for _, wn := range res.Warnings {
		warns = append(warns, "  organization: "+wn)
	}
	if len(warns) > 0 {
		fmt.Fprintf(w, "Warnings (%d):\n%s\n", len(warns), strings.Join(warns, "\n"))
	}
	if len(unavailable) > 0 {
		fmt.Fprintf(w, "Services marked unavailable after repeated failures (%d):\n", len(unavailable))
		for _, u := range unavailableText(unavailable) {
			fmt.Fprintf(w, "  %s\n", u)
		}
	}
	if len(res.Stale) > 0 {
		fmt.Fprintf(w, "Unfinished snapshots of interrupted collects (%d):\n", len(res.Stale))
		for _, st := range res.Stale {
			verb := "kept"
			if st.Removed {
				verb = "removed"
			}
			fmt.Fprintf(w, "  %s %s: %s\n", verb, st.Path, st.Reason)
		}
	}
}

func nameSuffix(name string) string {
	if name == "" {
		return ""
	}
	return " (" + name + ")"
}

// progressBar draws one line on the terminal: accounts done/total, API
// calls, errors. A nil bar does nothing.
type progressBar struct {
	w     io.Writer
	mu    sync.Mutex
	drawn bool
}

func (b *progressBar) update(p collect.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	const width = 30
	fill := 0
	if p.Total > 0 {
		fill = p.Done * width / p.Total
	}
	fmt.Fprintf(b.w, "\r[%s%s] %d/%d accounts · %d API calls · %d errors",
		strings.Repeat("#", fill), strings.Repeat(".", width-fill), p.Done, p.Total, p.APICalls, p.APIErrors+int64(p.Failed))
	b.drawn = true
}

func (b *progressBar) finish() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
	}
}

// collectScope says what a collect is about to read.
func collectScope(o *CollectOptions) string {
	switch {
	case o.Org:
		return fmt.Sprintf("the organization and every ACTIVE account in it (%d at once)", o.Parallel)
	case len(o.Accounts) > 0:
		return fmt.Sprintf("%d accounts (%s)", len(o.Accounts), strings.Join(o.Accounts, ", "))
	}
	return "the account of the current credentials"
}

// progressLines writes a progress line each time an account finishes: the
// progress of a collect whose stderr is no terminal.
type progressLines struct {
	w          io.Writer
	mu         sync.Mutex
	done, fail int
}

func (l *progressLines) update(p collect.Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p.Done == l.done && p.Failed == l.fail {
		return
	}
	l.done, l.fail = p.Done, p.Failed
	fmt.Fprintf(l.w, "collect: %d/%d accounts done (%d failed), %d API calls\n", p.Done, p.Total, p.Failed, p.APICalls)
}
