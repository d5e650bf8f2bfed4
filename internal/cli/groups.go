package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/apply/iamexec"
	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/groups"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// GroupsEffective, when set (the composition root wires leastpriv's
// effective permissions here), replaces the built-in engine.
var GroupsEffective func(f *Factory) groups.Effective

// groupsInput are the flags the groups, roles and sso commands share.
type groupsInput struct {
	Snapshot string
	Account  string
	All      bool
	Since    string
}

func (in *groupsInput) flags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&in.Snapshot, "snapshot", snapshot.Latest, "snapshot to analyse: a folder, a snapshot name in the workspace, or latest")
	fl.StringVar(&in.Account, "account", "", "only this account id")
	fl.BoolVar(&in.All, "all", false, "every account of the snapshot (the default)")
	fl.StringVar(&in.Since, "since", "90d", "usage window: only calls last seen at or after this time (90d, 2026-09-01)")
}

// groupsLoaded is a snapshot with the usage of its principals.
type groupsLoaded struct {
	snap     *snapshot.Snapshot
	accounts []*snapshot.Account
	rows     []usage.Row // nil: no usage known
	note     string      // where the usage came from
}

// load reads the snapshot, selects accounts, and reads the usage store when
// there is one. A demo snapshot without a usage store gets the demo's own
// usage (generated from the same clock and the default seed).
func (in *groupsInput) load(f *Factory) (*groupsLoaded, error) {
	if in.All && in.Account != "" {
		return nil, BadInputf("--account and --all exclude each other")
	}
	ws, err := f.Workspace()
	if err != nil {
		return nil, err
	}
	s, err := snapshot.Load(ws.SnapshotsDir(), in.Snapshot)
	if err != nil {
		return nil, BadInput(err)
	}
	l := &groupsLoaded{snap: s}
	for _, a := range s.Accounts {
		if in.Account == "" || a.AccountID == in.Account {
			l.accounts = append(l.accounts, a)
		}
	}
	if in.Account != "" && len(l.accounts) == 0 {
		return nil, BadInputf("--account %s: not in snapshot %s", in.Account, filepath.Base(s.Dir))
	}
	since, err := parseWhen(in.Since, f.Now())
	if err != nil {
		return nil, BadInputf("--since %v", err)
	}
	if _, err := os.Stat(ws.UsageDB()); err == nil {
		st, err := usage.Open(f.Context, ws.UsageDB())
		if err != nil {
			return nil, err
		}
		defer st.Close()
		for _, a := range l.accounts {
			rows, err := st.Usage(f.Context, usage.Query{Account: a.AccountID, Since: since})
			if err != nil {
				return nil, err
			}
			l.rows = append(l.rows, rows...)
		}
		if l.rows == nil {
			l.rows = []usage.Row{}
		}
		l.note = "usage from " + ws.UsageDB()
	} else if s.Manifest.Source == "demo" {
		org := demo.Generate(s.Manifest.StartedAt, demo.Seed)
		for _, r := range org.Usage() {
			if !r.LastSeen.Before(since) {
				l.rows = append(l.rows, r)
			}
		}
		l.note = "usage: the demo's generated activity"
	} else {
		l.note = "no usage store (run seiri trail scan): unused-permission checks skipped"
	}
	return l, nil
}

// used returns the actions each principal of the account used successfully
// (nil when no usage is known). An account without a single usage row counts
// as unknown, not as "nothing used": a trail that does not cover it must not
// make every permission look unused.
func (l *groupsLoaded) used(account string) map[string]groups.ActionSet {
	if l.rows == nil {
		return nil
	}
	var m map[string]groups.ActionSet
	for _, r := range l.rows {
		if r.Account != account {
			continue
		}
		if m == nil {
			m = map[string]groups.ActionSet{}
		}
		if r.Authz && r.ErrorCode == "" {
			m[r.Principal] = append(m[r.Principal], r.Action)
		}
	}
	for k, v := range m {
		m[k] = groups.NewActionSet(v)
	}
	return m
}

func groupsEffectiveFunc(f *Factory) groups.Effective {
	if GroupsEffective != nil {
		if e := GroupsEffective(f); e != nil {
			return e
		}
	}
	return groups.NewEngine(f.Catalog()).Effective
}

func newGroupsCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "groups",
		Short: "Analyse the IAM group model and plan one that fits how people work",
	}
	cmd.AddCommand(NewCmdGroupsAnalyze(f, nil), NewCmdGroupsPlan(f, nil))
	return cmd
}

// GroupsAnalyzeOptions are the inputs of `seiri groups analyze`.
type GroupsAnalyzeOptions struct {
	F *Factory
	groupsInput
	Threshold float64
	NearLimit int
}

// NewCmdGroupsAnalyze parses flags for `seiri groups analyze`.
func NewCmdGroupsAnalyze(f *Factory, runF func(*GroupsAnalyzeOptions) error) *cobra.Command {
	opts := &GroupsAnalyzeOptions{F: f}
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
			if runF != nil {
				return runF(opts)
			}
			return groupsAnalyzeRun(opts)
		},
	}
	opts.flags(cmd)
	cmd.Flags().Float64Var(&opts.Threshold, "threshold", 0.9, "Jaccard similarity (0-1] at which users count as near-identical")
	cmd.Flags().IntVar(&opts.NearLimit, "near-limit", 8, "report users in at least this many groups (IAM limit: 10)")
	return cmd
}

func (o *GroupsAnalyzeOptions) options(l *groupsLoaded) (groups.Options, error) {
	if o.Threshold <= 0 || o.Threshold > 1 {
		return groups.Options{}, BadInputf("--threshold %v: want a number in (0, 1]", o.Threshold)
	}
	if o.NearLimit < 1 || o.NearLimit > groups.MaxGroupsPerUser {
		return groups.Options{}, BadInputf("--near-limit %d: want 1 to %d", o.NearLimit, groups.MaxGroupsPerUser)
	}
	return groups.Options{Threshold: o.Threshold, NearLimit: o.NearLimit, Effective: groupsEffectiveFunc(o.F)}, nil
}

func groupsAnalyzeRun(o *GroupsAnalyzeOptions) error {
	l, err := o.load(o.F)
	if err != nil {
		return err
	}
	opt, err := o.options(l)
	if err != nil {
		return err
	}
	var all []*groups.Analysis
	for _, a := range l.accounts {
		if len(a.Users) == 0 && len(a.Groups) == 0 {
			continue
		}
		opt.Used = l.used(a.AccountID)
		an, err := groups.Analyze(groups.NewModel(a), opt)
		if err != nil {
			return fmt.Errorf("account %s: %w", a.AccountID, err)
		}
		all = append(all, an)
	}
	fmt.Fprintln(o.F.IO.ErrOut, l.note)
	switch o.F.Globals.Output {
	case "json":
		return groupsWriteJSON(o.F.IO.Out, all)
	case "table", "":
		return printAnalyses(o.F.IO.Out, all)
	default:
		return BadInputf("--output %s: groups analyze writes table or json", o.F.Globals.Output)
	}
}

func groupsWriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printAnalyses(w io.Writer, all []*groups.Analysis) error {
	for _, an := range all {
		fmt.Fprintf(w, "Account %s: %d users\n\n", an.Account, len(an.Users))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  USER\tGROUPS\tDIRECT\tGRANTED\tUSED\tTOP SERVICES")
		for _, u := range an.Users {
			used := fmt.Sprint(u.Used)
			if !an.UsageKnown {
				used = "?"
			}
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%s\t%s\n", u.User, len(u.Groups), len(u.Direct)+u.Inline, u.Granted, used, strings.Join(u.Services, ","))
		}
		tw.Flush()
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
	return nil
}

// GroupsPlanOptions are the inputs of `seiri groups plan`.
type GroupsPlanOptions struct {
	GroupsAnalyzeOptions
	RemoveUnused bool
	Out          string
	Apply        bool
	Yes          bool
	// Executor and Caller are set by tests; otherwise they come from an AWS
	// session.
	Executor plan.Executor
	Caller   string
}

// NewCmdGroupsPlan parses flags for `seiri groups plan`.
func NewCmdGroupsPlan(f *Factory, runF func(*GroupsPlanOptions) error) *cobra.Command {
	opts := &GroupsPlanOptions{GroupsAnalyzeOptions: GroupsAnalyzeOptions{F: f}}
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
			if runF != nil {
				return runF(opts)
			}
			return groupsPlanRun(opts)
		},
	}
	opts.flags(cmd)
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
	f := o.F
	l, err := o.load(f)
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
		caller = l.snap.Manifest.CallerARN
	}
	if o.Apply && o.Executor == nil {
		sess, err = awsclient.New(f.Context, f.Globals.AWS)
		if err != nil {
			return err
		}
		caller = sess.Caller().ARN
	}
	fmt.Fprintln(f.IO.ErrOut, l.note)
	var props []*groups.Proposal
	var refusals []string
	for _, a := range l.accounts {
		if len(a.Users) == 0 {
			continue
		}
		opt.Used = l.used(a.AccountID)
		if opt.Used == nil && o.RemoveUnused {
			fmt.Fprintf(f.IO.ErrOut, "warning: account %s: no usage recorded; --remove-unused removes nothing there\n", a.AccountID)
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
	pl := groups.NewPlan(props, f.Now(), plan.Fingerprint(l.accounts))
	if f.Globals.Output == "json" {
		if err := groupsWriteJSON(f.IO.Out, map[string]any{"plan": pl, "proposals": props, "refusals": refusals}); err != nil {
			return err
		}
	} else {
		// The plan's warnings carry each account's before/after verdict.
		pl.Render(f.IO.Out)
	}
	if len(refusals) > 0 {
		for _, r := range refusals {
			fmt.Fprintf(f.IO.ErrOut, "refused: %s\n", r)
		}
		return &ExitError{Code: ExitFindings, Err: fmt.Errorf("the groups plan is refused (%d reasons); nothing saved or applied", len(refusals))}
	}
	if o.Out != "" {
		if err := pl.Save(o.Out); err != nil {
			return err
		}
		fmt.Fprintf(f.IO.ErrOut, "Plan saved to %s\n", o.Out)
	}
	if !o.Apply || pl.Empty() {
		return nil
	}
	if !o.Yes {
		ok, err := f.Confirm(fmt.Sprintf("Apply %d changes?", len(pl.Changes)))
		if err != nil {
			return err
		}
		if !ok {
			return &ExitError{Code: ExitUsage, Err: errors.New("not applied (answer yes, or pass --yes in scripts)")}
		}
	}
	exec := o.Executor
	if exec == nil {
		exec = &iamexec.GroupExecutor{Client: func(ctx context.Context, account string) (iamexec.GroupIAM, error) {
			c, err := sess.ForAccount(ctx, account)
			if err != nil {
				return nil, err
			}
			return c.IAM, nil
		}}
	}
	ws, err := f.Workspace()
	if err != nil {
		return err
	}
	// The same workspace lock as keys: one writer at a time.
	lock, err := plan.Acquire(lockPath(ws), fmt.Sprintf("%s pid %d groups plan %s", caller, os.Getpid(), pl.ID))
	if err != nil {
		return err
	}
	defer lock.Release()
	j := plan.OpenJournal(ws.Journal(), func() time.Time { return f.Now() })
	res, err := plan.Apply(f.Context, pl, j, exec, plan.Options{Operator: caller, Progress: func(c plan.Change, ph plan.Phase, err error) {
		if err != nil {
			fmt.Fprintf(f.IO.ErrOut, "  %s %s: %v\n", ph, c.Description, err)
			return
		}
		fmt.Fprintf(f.IO.ErrOut, "  %s %s\n", ph, c.Description)
	}})
	if res != nil {
		fmt.Fprintf(f.IO.Out, "Applied %d, skipped %d (already in effect), failed %d. Journal: %s\n", res.Applied, res.Skipped, res.Failed, j.Path())
	}
	return err
}
