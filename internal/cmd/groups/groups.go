package groups

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/apply"
	"github.com/seiri-dev/seiri/internal/apply/iamexec"
	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/diag"
	"github.com/seiri-dev/seiri/internal/groups"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/table"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// Env is what the groups, roles and sso commands read: streams, the
// workspace (opened read-only), the clock, the IAM catalog in force and the
// report format. The constructors fill it from the factory; runs see only
// it, never the factory.
type Env struct {
	IO        *cmdutil.IOStreams
	Context   context.Context
	Workspace func() (*workspace.Workspace, error)
	Now       func() time.Time
	Catalog   func() *catalog.Catalog
	Output    string // --output (global)
}

// NewEnv is the factory's Env, for a command's constructor.
func NewEnv(f *cmdutil.Factory) Env {
	return Env{IO: f.IO, Context: f.Context, Workspace: f.ReadWorkspace, Now: f.Now, Catalog: f.Catalog, Output: f.Globals.Output}
}

// Refresh reads the global flags and the context, which cobra sets after
// the constructor ran: every RunE calls it first.
func (e *Env) Refresh(f *cmdutil.Factory) {
	e.Output, e.Context = f.Globals.Output, f.Context
}

// Writer is what the commands that write to AWS need besides Env: the
// workspace opened for writing (journal, lock), an AWS session, and the one
// apply flow. Executor and Caller replace the session in tests.
type Writer struct {
	WriteWorkspace func() (*workspace.Workspace, error)
	Session        func(ctx context.Context) (*awsclient.Session, error)
	Apply          func(apply.Flow, bool) (*apply.Outcome, error)
	Executor       plan.Executor
	Caller         string
}

// NewWriter is the factory's Writer.
func NewWriter(f *cmdutil.Factory) Writer {
	return Writer{WriteWorkspace: f.Workspace, Apply: f.Apply,
		Session: func(ctx context.Context) (*awsclient.Session, error) { return OpenSession(ctx, f.Globals.AWS) }}
}

// OpenSession checks the AWS credentials once, without calling a service,
// then opens the session: missing or expired credentials are one line
// saying what to set (--profile, AWS_PROFILE, an SSO login), exit 2, before
// the SDK retries or logs anything.
func OpenSession(ctx context.Context, opts awsclient.Options) (*awsclient.Session, error) {
	if err := awsclient.CheckCredentials(ctx, opts); err != nil {
		return nil, cmdutil.BadInput(err)
	}
	sess, err := awsclient.New(ctx, opts)
	var ce *awsclient.CredentialsError
	if errors.As(err, &ce) {
		return nil, cmdutil.BadInput(ce)
	}
	return sess, err
}

// Input are the flags the groups, roles and sso commands share.
type Input struct {
	Snapshot string
	Account  string
	All      bool
	Days     int
	Since    string // deprecated: --days
}

// Flags adds the shared flags to cmd.
func (in *Input) Flags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&in.Snapshot, "snapshot", snapshot.Latest, "snapshot to analyse: a folder, a snapshot name in the workspace, or latest")
	fl.StringVar(&in.Account, "account", "", "only this account id")
	fl.BoolVar(&in.All, "all", false, "every account of the snapshot (the default)")
	cmdutil.DaysFlag(fl, &in.Days, 90, "")
	fl.StringVar(&in.Since, "since", "", "only calls last seen at or after this time (90d, 2026-09-01)")
	cmdutil.DeprecateFlag(fl, "since", "--days")
}

// Loaded is a snapshot with the usage of its principals (groups.Load) and
// the note the commands print: the snapshot line, then where the usage
// came from.
type Loaded struct {
	*groups.Selection
	Note string
}

// Load reads the snapshot and opens the usage store when there is one; the
// selection of accounts and the reading of their usage are groups.Load's.
func (in *Input) Load(e *Env) (*Loaded, error) {
	if in.All && in.Account != "" {
		return nil, cmdutil.BadInputf("--account and --all exclude each other")
	}
	ws, err := e.Workspace()
	if err != nil {
		return nil, err
	}
	s, err := snapshot.Load(ws.SnapshotsDir(), in.Snapshot)
	if err != nil {
		return nil, cmdutil.BadInput(err)
	}
	window := in.Since
	if window == "" {
		if err := cmdutil.CheckDays(in.Days); err != nil {
			return nil, err
		}
		window = fmt.Sprintf("%dd", in.Days)
	}
	since, err := cmdutil.ParseWhen(window, e.Now())
	if err != nil {
		return nil, cmdutil.BadInputf("--since %v", err)
	}
	ctx := e.Context
	if ctx == nil {
		ctx = context.Background()
	}
	q := groups.LoadQuery{Account: in.Account, Since: since, StorePath: ws.UsageDB()}
	if _, err := os.Stat(ws.UsageDB()); err == nil {
		st, err := cmdutil.OpenUsageStore(ctx, ws)
		if err != nil {
			return nil, err
		}
		defer st.Close()
		q.Store = st
	}
	sel, err := groups.Load(ctx, s, q)
	var ua *groups.UnknownAccountError
	if errors.As(err, &ua) {
		return nil, cmdutil.BadInput(err)
	}
	if err != nil {
		return nil, err
	}
	// Every report names what it used: the snapshot, then the usage.
	return &Loaded{Selection: sel, Note: cmdutil.SnapshotLine(s) + "\n" + sel.UsageNote}, nil
}

// Source is what a report was computed from, as its JSON names it: the
// snapshot, and the usage store and window start (null when no usage store
// was read: usage unknown).
type Source struct {
	Snapshot string       `json:"snapshot"`
	Usage    *UsageSource `json:"usage"`
}

// UsageSource is the usage a report read: calls seen at or after Since.
type UsageSource struct {
	Store string    `json:"store"`
	Since time.Time `json:"since"`
}

// Source names the snapshot and the usage of l.
func (l *Loaded) Source() Source {
	src := Source{Snapshot: filepath.Base(l.Snap.Dir)}
	if l.Usage != "" {
		src.Usage = &UsageSource{Store: l.Usage, Since: l.Since}
	}
	return src
}

// NewCmd is the `seiri groups` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "groups",
		Short: "Analyse the IAM group model and plan one that fits how people work",
	}
	cmd.AddCommand(NewCmdGroupsAnalyze(f, nil), NewCmdGroupsPlan(f, nil), NewCmdGroupsApply(f, nil))
	return cmd
}

// GroupsAnalyzeOptions are the inputs of `seiri groups analyze`.
type GroupsAnalyzeOptions struct {
	Env
	Input
	Threshold float64
	NearLimit int
	Long      bool // the users × groups table of every account too
}

// NewCmdGroupsAnalyze parses flags for `seiri groups analyze`.
func NewCmdGroupsAnalyze(f *cmdutil.Factory, runF func(*GroupsAnalyzeOptions) error) *cobra.Command {
	opts := &GroupsAnalyzeOptions{Env: NewEnv(f)}
	cmd := &cobra.Command{
		Use:   "analyze",
		Short: "Users × groups × policies, candidate groups, and problems of the group model",
		Long: `Analyze computes every user's effective permissions (the policy engine over
their own and their groups' policies, within the permissions boundary;
wildcards expanded through the IAM catalog) and reports:

  - candidate groups: users whose granted actions are near-identical (Jaccard
    similarity at or above --threshold), named from their existing groups and
    dominant services;
  - users whose direct policies an existing group already grants;
  - problems: users at or near the 10-groups limit, groups without members,
    without policies, or whose actions no member used in the window, groups
    that are subsets of others, one policy reached through several paths,
    users in many teams' groups.`,
		Example: `  seiri groups analyze
  seiri groups analyze --account 555555555555 --threshold 0.8 --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Refresh(f)
			if runF != nil {
				return runF(opts)
			}
			return groupsAnalyzeRun(opts)
		},
	}
	opts.Flags(cmd)
	cmd.Flags().Float64Var(&opts.Threshold, "threshold", 0.9, "Jaccard similarity (0-1] at which users count as near-identical")
	cmd.Flags().IntVar(&opts.NearLimit, "near-limit", 8, "report users in at least this many groups (IAM limit: 10)")
	cmdutil.LongFlag(cmd.Flags(), &opts.Long)
	return cmd
}

func (o *GroupsAnalyzeOptions) options(l *Loaded) (groups.Options, error) {
	if o.Threshold <= 0 || o.Threshold > 1 {
		return groups.Options{}, cmdutil.BadInputf("--threshold %v: want a number in (0, 1]", o.Threshold)
	}
	if o.NearLimit < 1 || o.NearLimit > groups.MaxGroupsPerUser {
		return groups.Options{}, cmdutil.BadInputf("--near-limit %d: want 1 to %d", o.NearLimit, groups.MaxGroupsPerUser)
	}
	return groups.Options{Threshold: o.Threshold, NearLimit: o.NearLimit, Effective: l.Judge(o.Catalog(), o.Now())}, nil
}

func groupsAnalyzeRun(o *GroupsAnalyzeOptions) error {
	l, err := o.Load(&o.Env)
	if err != nil {
		return err
	}
	opt, err := o.options(l)
	if err != nil {
		return err
	}
	var all []*groups.Analysis
	for _, a := range l.Accounts {
		if len(a.Users) == 0 && len(a.Groups) == 0 {
			continue
		}
		opt.Used = l.Used(a.AccountID)
		an, err := groups.Analyze(groups.NewModel(a), opt)
		if err != nil {
			return fmt.Errorf("account %s: %w", a.AccountID, err)
		}
		all = append(all, an)
	}
	fmt.Fprintln(o.IO.ErrOut, l.Note)
	switch o.Output {
	case "json":
		if all == nil {
			all = []*groups.Analysis{}
		}
		src := l.Source()
		return cmdutil.WriteJSON(o.IO.Out, map[string]any{"snapshot": src.Snapshot, "usage": src.Usage, "accounts": all})
	case "table", "":
		return printAnalyses(o.IO.Out, all, o.Long)
	default:
		return cmdutil.BadInputf("--output %s: groups analyze writes table or json", o.Output)
	}
}

// printAnalyses writes the totals first, then per account what to act on
// (candidate groups, moves, problems; the users × groups table with long),
// then the command that plans the changes.
func printAnalyses(w io.Writer, all []*groups.Analysis, long bool) error {
	var users, clusters, moves, problems, skipped int
	for _, an := range all {
		users += len(an.Users)
		clusters += len(an.Clusters)
		moves += len(an.Moves)
		problems += len(an.Problems)
		skipped += len(an.Skipped)
	}
	fmt.Fprintf(w, "%d accounts, %d users: %d candidate groups, %d movable users, %d problems, %d users skipped\n\n",
		len(all), users, clusters, moves, problems, skipped)
	for _, an := range all {
		fmt.Fprintf(w, "Account %s: %d users\n", an.Account, len(an.Users))
		if !long {
			printFindings(w, an)
			continue
		}
		fmt.Fprintln(w)
		tw := table.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  USER\tGROUPS\tDIRECT\tGRANTED\tUSED\tTOP SERVICES")
		for _, u := range an.Users {
			used := fmt.Sprint(u.Used)
			if !an.UsageKnown {
				used = "?"
			}
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%s\t%s\n", u.User, len(u.Groups), len(u.Direct)+u.Inline, u.Granted, used, strings.Join(u.Services, ","))
		}
		tw.Flush()
		printFindings(w, an)
	}
	if len(all) > 0 {
		fmt.Fprintln(w, "Next: seiri groups plan --out groups-plan.json")
	}
	return nil
}

// printFindings writes what analyze found in one account.
func printFindings(w io.Writer, an *groups.Analysis) {
	if len(an.Clusters) > 0 {
		fmt.Fprintln(w, "\n  Candidate groups (near-identical permissions):")
		for _, c := range an.Clusters {
			fmt.Fprintf(w, "    %s (similarity ≥ %.2f): %s\n", c.Name, c.Similarity, strings.Join(c.Members, ", "))
		}
	}
	if len(an.Moves) > 0 {
		fmt.Fprintln(w, "\n  Direct policies an existing group already grants:")
		for _, m := range an.Moves {
			fmt.Fprintf(w, "    %s: join %s, detach %d direct policies\n", m.User, m.Group, len(m.Policies))
		}
	}
	if len(an.Problems) > 0 {
		fmt.Fprintln(w, "\n  Problems:")
		for _, p := range an.Problems {
			fmt.Fprintf(w, "    [%s] %s: %s\n", p.Kind, p.Subject, p.Detail)
			if p.Suggestion != "" {
				fmt.Fprintf(w, "        → %s\n", p.Suggestion)
			}
		}
	}
	for _, s := range an.Skipped {
		fmt.Fprintf(w, "  skipped %s: %s\n", s.User, s.Reason)
	}
	fmt.Fprintf(w, "\n  %d candidate groups, %d movable users, %d problems, %d users skipped\n\n", len(an.Clusters), len(an.Moves), len(an.Problems), len(an.Skipped))
}

// GroupsPlanOptions are the inputs of `seiri groups plan`.
type GroupsPlanOptions struct {
	GroupsAnalyzeOptions
	RemoveUnused bool
	Out          string
	Apply        bool
	Yes          bool
	Writer
}

// NewCmdGroupsPlan parses flags for `seiri groups plan`.
func NewCmdGroupsPlan(f *cmdutil.Factory, runF func(*GroupsPlanOptions) error) *cobra.Command {
	opts := &GroupsPlanOptions{GroupsAnalyzeOptions: GroupsAnalyzeOptions{Env: NewEnv(f)}, Writer: NewWriter(f)}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Plan a group model that changes no one's permissions (or removes only unused ones)",
		Long: `Plan proposes typed changes — create group, attach policy, add/remove user,
detach direct policy — that tidy the group model: memberships another group of
the user already covers are removed, direct policies move into groups. Every
plan recomputes every user's effective permissions before and after through the
policy engine and prints "N users unchanged, M users lose only unused
permissions". A plan that would put a user in more than 10 groups, give anyone
more, take a used permission, or change the caller's own permissions is refused.

--apply executes the plan through the journaled, idempotent apply (asks first;
--yes in scripts).`,
		Example: `  seiri groups plan
  seiri groups plan --remove-unused --out groups-plan.json
  seiri groups plan --account 111111111111 --apply --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Refresh(f)
			if runF != nil {
				return runF(opts)
			}
			return groupsPlanRun(opts)
		},
	}
	opts.Flags(cmd)
	fl := cmd.Flags()
	fl.Float64Var(&opts.Threshold, "threshold", 0.9, "Jaccard similarity (0-1] at which users count as near-identical")
	fl.IntVar(&opts.NearLimit, "near-limit", 8, "report users in at least this many groups")
	fl.BoolVar(&opts.RemoveUnused, "remove-unused", false, "also remove users from groups none of whose actions they used in the window")
	fl.StringVar(&opts.Out, "out", "", "save the plan as JSON (mode 0600)")
	fl.BoolVar(&opts.Apply, "apply", false, "apply the plan to AWS")
	fl.BoolVar(&opts.Yes, "yes", false, "apply without asking")
	return cmd
}

func groupsPlanRun(o *GroupsPlanOptions) error {
	l, err := o.Load(&o.Env)
	if err != nil {
		return err
	}
	opt, err := o.options(l)
	if err != nil {
		return err
	}
	var sess *awsclient.Session
	caller := o.Caller
	if caller == "" {
		caller = l.Snap.Manifest.CallerARN
	}
	if o.Apply && o.Executor == nil {
		if sess, err = o.Session(o.Context); err != nil {
			return err
		}
		caller = sess.Caller().ARN
	}
	fmt.Fprintln(o.IO.ErrOut, l.Note)
	var props []*groups.Proposal
	var refusals []string
	for _, a := range l.Accounts {
		if len(a.Users) == 0 {
			continue
		}
		opt.Used = l.Used(a.AccountID)
		if opt.Used == nil && o.RemoveUnused {
			fmt.Fprintf(o.IO.ErrOut, "warning: account %s: no usage recorded; --remove-unused removes nothing there\n", a.AccountID)
		}
		an, err := groups.Analyze(groups.NewModel(a), opt)
		if err != nil {
			return fmt.Errorf("account %s: %w", a.AccountID, err)
		}
		pr, err := groups.Propose(an, groups.PlanOptions{Options: opt, Caller: caller, RemoveUnused: o.RemoveUnused})
		var ref *groups.ErrRefused
		if errors.As(err, &ref) {
			for _, r := range ref.Reasons {
				refusals = append(refusals, "account "+a.AccountID+": "+r)
			}
		} else if err != nil {
			return fmt.Errorf("account %s: %w", a.AccountID, err)
		}
		props = append(props, pr)
	}
	pl := groups.NewPlan(props, o.Now(), plan.Fingerprint(l.Accounts))
	switch o.Output {
	case "json":
		if o.Apply && !pl.Empty() && len(refusals) == 0 {
			break // the apply report is the one document (it holds the plan's changes)
		}
		src := l.Source()
		if err := cmdutil.WriteJSON(o.IO.Out, map[string]any{"snapshot": src.Snapshot, "usage": src.Usage, "plan": pl, "proposals": props, "refusals": refusals}); err != nil {
			return err
		}
	case "table", "":
		// The summary first; the plan's warnings carry each account's
		// before/after verdict.
		fmt.Fprintln(o.IO.Out, planSummary(pl, len(props)))
		fmt.Fprintln(o.IO.Out)
		pl.Render(o.IO.Out)
		if !o.Apply && !pl.Empty() && len(refusals) == 0 {
			fmt.Fprintln(o.IO.Out, "\nNext: seiri groups plan --apply")
		}
	default:
		return cmdutil.BadInputf("--output %s: groups plan writes table or json", o.Output)
	}
	if len(refusals) > 0 {
		for _, r := range refusals {
			fmt.Fprintf(o.IO.ErrOut, "refused: %s\n", r)
		}
		return &cmdutil.ExitError{Code: cmdutil.ExitFindings, Err: fmt.Errorf("the groups plan is refused (%d reasons); nothing saved or applied", len(refusals))}
	}
	if o.Out != "" {
		if err := pl.Save(o.Out); err != nil {
			return err
		}
		fmt.Fprintf(o.IO.ErrOut, "Plan saved to %s\n", o.Out)
	}
	if !o.Apply || pl.Empty() {
		return nil
	}
	return o.Writer.apply(o.Now, pl, sess, caller, o.Yes, nil)
}

// planSummary is the line a groups plan opens with.
func planSummary(pl *plan.Plan, accounts int) string {
	if pl.Empty() {
		return fmt.Sprintf("groups plan: no changes in %d %s", accounts, plural(accounts, "account", "accounts"))
	}
	cr, up, de := pl.Counts()
	return fmt.Sprintf("groups plan: %d changes in %d %s (%d to create, %d to change, %d to destroy)",
		len(pl.Changes), accounts, plural(accounts, "account", "accounts"), cr, up, de)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// apply runs a groups plan through the one apply flow with the groups
// executor (w.Executor in tests). check, when set, is the stale check of a
// saved plan. The plan is already shown.
func (w *Writer) apply(now func() time.Time, pl *plan.Plan, sess *awsclient.Session, caller string, yes bool,
	check func(ctx context.Context, resuming bool) diag.Diagnostics) error {
	exec := w.Executor
	if exec == nil {
		exec = &iamexec.GroupExecutor{Client: func(ctx context.Context, account string) (iamexec.GroupIAM, error) {
			c, err := sess.ForAccount(ctx, account)
			if err != nil {
				return nil, err
			}
			return c.IAM, nil
		}}
	}
	ws, err := w.WriteWorkspace()
	if err != nil {
		return err
	}
	_, err = w.Apply(apply.Flow{Plan: pl, Executor: exec, Journal: plan.OpenJournal(ws.Journal(), now), LockPath: ws.LockFile(),
		Operator: caller, StopOnError: true, Check: check,
		Render: func(io.Writer, bool) error { return nil }}, yes)
	return err
}

// GroupsApplyOptions are the inputs of `seiri groups apply`.
type GroupsApplyOptions struct {
	Env
	Input
	PlanFile string
	Yes      bool
	Writer
}

// NewCmdGroupsApply parses flags for `seiri groups apply PLAN.json`.
func NewCmdGroupsApply(f *cmdutil.Factory, runF func(*GroupsApplyOptions) error) *cobra.Command {
	opts := &GroupsApplyOptions{Env: NewEnv(f), Writer: NewWriter(f)}
	cmd := &cobra.Command{
		Use:   "apply PLAN.json",
		Short: "Apply a groups plan saved by 'seiri groups plan --out' (journaled, resumable)",
		Long: `apply makes the changes of a saved groups plan, in order, through the same
journaled, idempotent apply as 'groups plan --apply'. It refuses a plan file edited
after it was made, and a plan whose snapshot changed since (give the same
--snapshot and --account as to 'groups plan'). Running it again resumes.

Without AWS credentials it stops before anything else, saying what to set
(--profile, AWS_PROFILE, an IAM Identity Center login), exit 2.`,
		Example: `  seiri groups plan --out groups-plan.json
  seiri groups apply groups-plan.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Refresh(f)
			opts.PlanFile = args[0]
			if runF != nil {
				return runF(opts)
			}
			return groupsApplyRun(opts)
		},
	}
	opts.Input.Flags(cmd)
	cmd.Flags().BoolVar(&opts.Yes, "yes", false, "apply without asking")
	return cmd
}

func groupsApplyRun(o *GroupsApplyOptions) error {
	pl, err := plan.Load(o.PlanFile, groups.PlanKind)
	if err != nil {
		return err
	}
	l, err := o.Input.Load(&o.Env)
	if err != nil {
		return err
	}
	var sess *awsclient.Session
	caller := o.Caller
	if o.Executor == nil {
		if sess, err = o.Session(o.Context); err != nil {
			return err
		}
		caller = sess.Caller().ARN
	}
	fmt.Fprintln(o.IO.ErrOut, l.Note)
	if o.Output != "json" { // with json the apply report is the document
		pl.Render(o.IO.Out)
	}
	current := plan.Fingerprint(l.Accounts)
	check := func(_ context.Context, resuming bool) diag.Diagnostics {
		if resuming {
			return nil
		}
		var ds diag.Diagnostics
		return ds.Append(pl.CheckBase(current))
	}
	return o.Writer.apply(o.Now, pl, sess, caller, o.Yes, check)
}
