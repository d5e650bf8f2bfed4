package collect

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/collect"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/version"
)

// CollectOptions are the flags of `seiri collect`.
type CollectOptions struct {
	Org             bool
	Accounts        []string
	Parallel        int
	NoAccessAdvisor bool
	// Collect are extra core options (tests shorten the polling).
	Collect collect.Options
}

// NewCmd is the `seiri collect` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	return NewCmdCollect(f, func(o *CollectOptions) error { return collectRun(f, o) })
}

// NewCmdCollect parses the flags of `seiri collect` and calls runF.
func NewCmdCollect(f *cmdutil.Factory, runF func(*CollectOptions) error) *cobra.Command {
	o := &CollectOptions{}
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Collect a read-only snapshot of IAM (and the Organization)",
		Long: `Collect reads IAM (users, groups, roles, policies, access keys and their last
use, MFA, login profiles, the credential report, password policy, Access
Advisor) and CloudTrail trail settings, and with --org the Organization (OU
tree, accounts, SCPs/RCPs/tag policies and their targets), into a snapshot in
the workspace. It never writes to AWS: ` + "`seiri permissions collect`" + ` prints the
exact read-only policy it needs.

Scope: the caller's account; --org: every ACTIVE account of the Organization
(run from the management or a delegated administrator account); --accounts:
the listed ones. Member accounts are read by assuming --role-name.

Exit codes: 0 every account collected, 3 some accounts failed (listed, and
recorded in the snapshot's manifest), 2 bad flags, 4 nothing collected.`,
		Example: `  seiri collect
  seiri collect --org --parallel 16
  seiri collect --accounts 111111111111,222222222222 --role-name SeiriReadOnly`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Parallel < 1 {
				return cmdutil.BadInputf("--parallel %d: must be at least 1", o.Parallel)
			}
			for _, id := range o.Accounts {
				if !accountIDRE.MatchString(id) {
					return cmdutil.BadInputf("--accounts: %q is not an AWS account id (12 digits)", cmdutil.TrimValue(id))
				}
			}
			return runF(o)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.Org, "org", false, "collect the Organization and every ACTIVE account in it")
	fl.StringSliceVar(&o.Accounts, "accounts", nil, "collect only these account ids (comma-separated)")
	fl.IntVar(&o.Parallel, "parallel", 8, "accounts collected at once")
	fl.BoolVar(&o.NoAccessAdvisor, "no-access-advisor", false, "skip Access Advisor (service last accessed) for users and roles")
	return cmd
}

var accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)

func collectRun(f *cmdutil.Factory, o *CollectOptions) error {
	ctx := f.Context
	ws, err := f.Workspace()
	if err != nil {
		return err
	}
	sess, err := awsclient.New(ctx, f.Globals.AWS)
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitInternal, Err: err}
	}
	opts := o.Collect
	opts.Org = o.Org
	opts.Accounts = o.Accounts
	opts.Parallel = o.Parallel
	opts.NoAccessAdvisor = o.NoAccessAdvisor
	opts.SeiriVersion = version.String()
	opts.Now = f.Now
	opts.Log = f.Logger()
	var bar *progressBar
	if f.Progress() {
		bar = &progressBar{w: f.IO.ErrOut}
		opts.Progress = bar.update
	}
	res, err := collect.Run(ctx, sess, ws.SnapshotsDir(), opts)
	bar.finish()
	if err != nil {
		return err
	}
	failed := res.FailedAccounts()
	if f.Globals.Output == "json" {
		enc := json.NewEncoder(f.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Dir string `json:"dir"`
			snapshot.Manifest
			Warnings []string `json:"organizationWarnings,omitempty"`
		}{res.Dir, res.Manifest, res.Warnings}); err != nil {
			return err
		}
	} else {
		printCollectSummary(f.IO.Out, res, sess.Calls().Calls())
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

func printCollectSummary(w io.Writer, res *collect.Result, calls int64) {
	m := res.Manifest
	ok := len(m.Accounts) - len(res.FailedAccounts())
	fmt.Fprintf(w, "Snapshot %s\n", res.Dir)
	org := ""
	if m.Organization {
		org = " and the organization"
	}
	fmt.Fprintf(w, "Collected %d of %d accounts%s in %s with %d API calls.\n", ok, len(m.Accounts), org,
		m.FinishedAt.Sub(m.StartedAt).Round(1e8), calls)
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
