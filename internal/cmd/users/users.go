package users

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/apply/iamexec"
	keyscmd "github.com/seiri-dev/seiri/internal/cmd/keys"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/usage"
)

// NewCmd is the `seiri users` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Retire inactive IAM users safely: plan, quarantine, watch, restore, delete",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	retire := &cobra.Command{
		Use:   "retire",
		Short: "The retirement lifecycle of whole IAM users",
		Long: `Retire IAM users that look inactive. quarantine is immediate and reversible: seiri
attaches its explicit deny-all policy (seiri-deny-all, created in the account when
missing) and deactivates the user's keys, keeping the password so that restore is
exact. watch looks for signs that something still uses the user; delete (after the
observation window, when quiet) removes everything IAM requires before DeleteUser,
after a backup that seiri users restore-from-backup turns back into the same user.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	retire.AddCommand(newCmdUsersPlan(f, nil), newCmdUsersQuarantine(f, nil), newCmdUsersWatch(f, nil),
		newCmdUsersRestore(f, nil), newCmdUsersDelete(f, nil))
	cmd.AddCommand(retire, newCmdUsersRestoreFromBackup(f, nil))
	return cmd
}

// Options are the flags of the users commands.
type Options struct {
	Snapshot   string
	UnusedDays int
	Apply      bool
	Yes        bool
	Force      bool
	Reason     string
	User       string // restore, delete: the user's name or ARN
	BackupFile string // restore-from-backup
}

// runE checks what every users command checks, then runs run (or the
// test's runF). arg, when given, receives the positional argument.
func runE(f *cmdutil.Factory, o *Options, arg *string, runF func(*Options) error, run func(*cmdutil.Factory, *Options) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if arg != nil && len(args) > 0 {
			*arg = strings.TrimSpace(args[0])
		}
		if o.UnusedDays < 1 && cmd.Flags().Lookup("days") != nil {
			return cmdutil.BadInputf("--days %d: must be at least 1", o.UnusedDays)
		}
		if err := keyscmd.CheckOutput(f, "users"); err != nil {
			return err
		}
		if runF != nil {
			return runF(o)
		}
		return run(f, o)
	}
}

func newCmdUsersPlan(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "List users with no activity by any source, with evidence and coverage (no AWS calls)",
		Example: `  seiri users retire plan
  seiri users retire plan --days 180 -o json`,
		Args: cobra.NoArgs,
		RunE: runE(f, o, nil, runF, usersPlanRun),
	}
	keyscmd.SnapshotFlag(cmd, &o.Snapshot)
	keyscmd.UnusedDaysFlag(cmd, &o.UnusedDays)
	return cmd
}

func newCmdUsersQuarantine(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "quarantine",
		Short: "Plan (and with --apply make) the quarantine of inactive users",
		Example: `  seiri users retire quarantine                  # the plan
  seiri users retire quarantine --apply --yes`,
		Args: cobra.NoArgs,
		RunE: runE(f, o, nil, runF, usersQuarantineRun),
	}
	keyscmd.SnapshotFlag(cmd, &o.Snapshot)
	keyscmd.UnusedDaysFlag(cmd, &o.UnusedDays)
	keyscmd.ApplyFlagVars(cmd, &o.Apply, &o.Yes)
	return cmd
}

func newCmdUsersWatch(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Example: `  seiri users retire watch`,
		Use:     "watch",
		Short:   "Check every quarantined user for signs that something still uses it",
		Args:    cobra.NoArgs,
		RunE:    runE(f, o, nil, runF, usersWatchRun),
	}
	keyscmd.SnapshotFlag(cmd, &o.Snapshot)
	return cmd
}

func newCmdUsersRestore(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "restore USER",
		Short: "Lift a quarantine (plan; --apply makes it)",
		Example: `  seiri users retire restore build-bot               # the plan
  seiri users retire restore build-bot --apply`,
		Args: cobra.ExactArgs(1),
		RunE: runE(f, o, &o.User, runF, usersRestoreRun),
	}
	keyscmd.SnapshotFlag(cmd, &o.Snapshot)
	keyscmd.ApplyFlagVars(cmd, &o.Apply, &o.Yes)
	return cmd
}

func newCmdUsersDelete(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "delete [USER]",
		Short: "Delete users quarantined at least the observation window ago whose watch stayed quiet",
		Example: `  seiri users retire delete                        # the plan
  seiri users retire delete --apply --yes`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Force && (len(args) == 0 || strings.TrimSpace(o.Reason) == "") {
				return cmdutil.BadInputf("--force needs one USER and --reason TEXT")
			}
			return runE(f, o, &o.User, runF, usersDeleteRun)(cmd, args)
		},
	}
	keyscmd.SnapshotFlag(cmd, &o.Snapshot)
	keyscmd.ForceFlags(cmd, &o.Force, &o.Reason, "user")
	keyscmd.ApplyFlagVars(cmd, &o.Apply, &o.Yes)
	return cmd
}

func newCmdUsersRestoreFromBackup(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Example: `  seiri users restore-from-backup .seiri/backups/111111111111-build-bot.json --apply`,
		Use:     "restore-from-backup FILE",
		Short:   "Recreate a deleted user from a seiri backup (same name, groups, policies, tags; new credentials)",
		Args:    cobra.ExactArgs(1),
		RunE:    runE(f, o, &o.BackupFile, runF, usersRecreateRun),
	}
	keyscmd.ApplyFlagVars(cmd, &o.Apply, &o.Yes)
	return cmd
}

func userInput(ctx context.Context, e *keyscmd.Env, now time.Time, caller keys.Caller) (keys.Input, error) {
	in, err := keyscmd.LoadInput(ctx, e, now, caller)
	if err != nil || e.St == nil {
		return in, err
	}
	in.PrincipalUsage = map[string][]usage.Row{}
	for _, a := range e.Snap.Accounts {
		for _, u := range a.Users {
			rows, err := e.St.Usage(ctx, usage.Query{Principal: u.ARN})
			if err != nil {
				return in, err
			}
			if len(rows) > 0 {
				in.PrincipalUsage[u.ARN] = rows
			}
		}
	}
	return in, nil
}

func usersPlanRun(f *cmdutil.Factory, o *Options) error {
	e, err := keyscmd.LoadEnv(f, o.Snapshot)
	if err != nil {
		return err
	}
	defer e.Close()
	in, err := userInput(f.Context, e, f.Now(), keys.Caller{ARN: e.Snap.Manifest.CallerARN})
	if err != nil {
		return err
	}
	res := keys.UserCandidates(in, keys.Options{UnusedDays: o.UnusedDays})
	if f.Globals.Output == "json" {
		return cmdutil.WriteJSON(f.IO.Out, res)
	}
	w := f.IO.Out
	fmt.Fprintf(w, "%s\n\n", cmdutil.SnapshotLine(e.Snap))
	if n := e.UsageNote(); n != "" {
		fmt.Fprintf(w, "! %s\n\n", n)
	}
	keys.RenderLogCoverage(w, res.Logs)
	for i, c := range res.Candidates {
		mark := ""
		if !c.Coverage.Complete() {
			mark = "  [silence may be unlogged]"
		}
		if c.Refused != "" {
			mark += "  [refused: " + c.Refused + "]"
		}
		fmt.Fprintf(w, "%d. [%s] %s  last activity %s%s\n", i+1, c.Account, c.User, lastActivity(c.LastActivity, f.Now()), mark)
		for _, ev := range c.Evidence {
			fmt.Fprintf(w, "     %s: %s %s\n", ev.Source, ev.Value(), ev.Detail)
		}
		for _, g := range c.Coverage.Gaps {
			fmt.Fprintf(w, "     coverage gap: %s\n", g)
		}
	}
	for _, x := range res.Excluded {
		fmt.Fprintf(w, "excluded: [%s] %s: %s\n", x.Account, x.User, x.Reason)
	}
	for _, g := range res.Unjudged {
		fmt.Fprintf(w, "! %s\n", g)
	}
	fmt.Fprintf(w, "\n%d inactive users, %d excluded.\n", len(res.Candidates), len(res.Excluded))
	if len(res.Candidates) > 0 {
		fmt.Fprintln(w, "\nNext: seiri users retire quarantine --apply")
	}
	return nil
}

func lastActivity(t *time.Time, now time.Time) string {
	if t == nil {
		return "never"
	}
	return fmt.Sprintf("%s (%d days ago)", t.Format("2006-01-02"), int(now.Sub(*t).Hours()/24))
}

func usersQuarantineRun(f *cmdutil.Factory, o *Options) error {
	e, err := keyscmd.LoadEnv(f, o.Snapshot)
	if err != nil {
		return err
	}
	defer e.Close()
	sess, caller, err := keyscmd.Session(f)
	var noCreds *awsclient.CredentialsError
	if err != nil && !o.Apply && errors.As(err, &noCreds) {
		// The plan needs only the snapshot and the usage store: compute it
		// without AWS and say that applying needs credentials.
		f.Logger().Debug("users retire quarantine: planning without AWS credentials", "reason", noCreds.Kind)
		fmt.Fprintf(f.IO.ErrOut, "seiri: note: plan computed from snapshot %s without AWS credentials; applying it needs them: %v\n", filepath.Base(e.Snap.Dir), noCreds)
		caller, err = keys.Caller{ARN: e.Snap.Manifest.CallerARN}, nil
	}
	if err != nil {
		return err
	}
	in, err := userInput(f.Context, e, f.Now(), caller)
	if err != nil {
		return err
	}
	res := keys.UserCandidates(in, keys.Options{UnusedDays: o.UnusedDays})
	p, _ := keys.QuarantinePlan(res.Candidates, e.Snap.Dir, caller.ARN, f.Now())
	var clients func(context.Context, string) (iamexec.IAM, error)
	if sess != nil {
		clients = keyscmd.IAMClients(sess)
	}
	_, err = keyscmd.ApplyPlanAs(f, o.Apply, o.Yes, e, p, &iamexec.Executor{Clients: clients}, caller.ARN)
	return err
}

// quarantinedUsers reads the live state of every user that may be
// quarantined: tagged in the snapshot, or attached deny-all per the journal.
func quarantinedUsers(ctx context.Context, e *keyscmd.Env, sess *awsclient.Session, now func() time.Time) ([]keys.QuarantinedState, []string, error) {
	es, err := plan.OpenJournal(e.WS.Journal(), now).Entries()
	if err != nil {
		return nil, nil, err
	}
	out, problems := keys.ReadQuarantined(ctx, keys.QuarantinedUserRefs(e.Snap, es), liveState(sess))
	return out, problems, nil
}

// liveState reads a user's live state (keys.ErrNoUser when it is gone).
func liveState(sess *awsclient.Session) func(context.Context, keys.UserRef) (*keys.UserState, error) {
	return func(ctx context.Context, r keys.UserRef) (*keys.UserState, error) {
		cl, err := sess.ForAccount(ctx, r.Account)
		if err != nil {
			return nil, errors.New(awsclient.ErrorSummary(err))
		}
		st, err := iamexec.ReadUserState(ctx, cl.IAM, r.Account, r.User)
		if awsclient.ErrorCode(err) == "NoSuchEntity" {
			return nil, keys.ErrNoUser
		}
		if err != nil {
			return nil, errors.New(awsclient.ErrorSummary(err))
		}
		return st, nil
	}
}

func watchUsers(ctx context.Context, e *keyscmd.Env, qs []keys.QuarantinedState, now time.Time) ([]keys.WatchResult, error) {
	var out []keys.WatchResult
	for _, qq := range qs {
		q := qq.User
		in := keys.UserWatchInput{User: q, State: qq.State, Now: now, Window: e.Cfg.Keys.ObservationDays}
		if q.Problem != "" {
			in.Err = q.Problem
		}
		var err error
		if in.Evidence, err = e.WatchEvidence(ctx, q.Account, q.User, ""); err != nil {
			return nil, err
		}
		if e.St != nil {
			if in.Rows, err = e.St.Usage(ctx, usage.Query{Principal: q.UserARN}); err != nil {
				return nil, err
			}
			if in.FailedRows, err = e.St.Usage(ctx, usage.Query{Account: q.Account, ErrorsOnly: true, Since: q.Since}); err != nil {
				return nil, err
			}
		}
		r := keys.WatchUser(in)
		e.Debug("watch verdict", "account", q.Account, "user", q.User, "verdict", r.Verdict, "daysLeft", r.DaysLeft, "why", r.Recommendation)
		out = append(out, r)
	}
	return out, nil
}

func usersWatchRun(f *cmdutil.Factory, o *Options) error {
	e, sess, _, err := keyscmd.OpenRunAt(f, o.Snapshot)
	if err != nil {
		return err
	}
	defer e.Close()
	qs, problems, err := quarantinedUsers(f.Context, e, sess, f.Now)
	if err != nil {
		return err
	}
	results, err := watchUsers(f.Context, e, qs, f.Now())
	if err != nil {
		return err
	}
	if f.Globals.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, map[string]any{"users": results, "problems": problems}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(f.IO.Out, "%s\n\n", cmdutil.SnapshotLine(e.Snap))
		keyscmd.RenderWatch(f.IO.Out, results, problems, e.UsageNote())
	}
	for _, r := range results {
		if r.Verdict != keys.Quiet {
			return cmdutil.Silent(cmdutil.ExitFindings)
		}
	}
	if len(problems) > 0 {
		return cmdutil.Silent(cmdutil.ExitPartial)
	}
	return nil
}

func findQuarantined(f *cmdutil.Factory, e *keyscmd.Env, sess *awsclient.Session, name string) ([]keys.QuarantinedState, error) {
	qs, problems, err := quarantinedUsers(f.Context, e, sess, f.Now)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return qs, nil
	}
	for _, q := range qs {
		if q.User.User == name || q.User.UserARN == name {
			return []keys.QuarantinedState{q}, nil
		}
	}
	msg := fmt.Sprintf("user %q is not quarantined by seiri (no %s tag)", cmdutil.TrimValue(name), keys.QuarantineTag)
	if len(problems) > 0 {
		msg += "; could not read: " + strings.Join(problems, "; ")
	}
	return nil, cmdutil.BadInput(errors.New(msg))
}

func usersRestoreRun(f *cmdutil.Factory, o *Options) error {
	e, sess, caller, err := keyscmd.OpenRunAt(f, o.Snapshot)
	if err != nil {
		return err
	}
	defer e.Close()
	qs, err := findQuarantined(f, e, sess, o.User)
	if err != nil {
		return err
	}
	p := keys.UserRestorePlan(qs[0].User, f.Now())
	_, err = keyscmd.ApplyPlanAs(f, o.Apply, o.Yes, e, p, &iamexec.Executor{Clients: keyscmd.IAMClients(sess)}, caller.ARN)
	return err
}

func usersDeleteRun(f *cmdutil.Factory, o *Options) error {
	e, sess, caller, err := keyscmd.OpenRunAt(f, o.Snapshot)
	if err != nil {
		return err
	}
	defer e.Close()
	qs, err := findQuarantined(f, e, sess, o.User)
	if err != nil {
		return err
	}
	results, err := watchUsers(f.Context, e, qs, f.Now())
	if err != nil {
		return err
	}
	force := ""
	if o.Force {
		force = o.Reason
	}
	p, deleted := keys.UsersDeletePlan(qs, results, f.Now(), force)
	if o.Apply && !p.Empty() {
		// The backup is taken from the live state right before the deletes.
		j := plan.OpenJournal(e.WS.Journal(), f.Now)
		lines, err := keys.BackupUsers(j, e.WS.BackupsDir(), deleted, p, caller.ARN, f.Now())
		for _, l := range lines {
			p.Warn(keys.KindUserBackup, l)
		}
		if err != nil {
			return err
		}
		if o.Force {
			if err := j.Append(plan.Entry{Plan: p.ID, Phase: plan.Note, Kind: "users.force",
				Target: o.User, Operator: caller.ARN, Detail: "forced delete: " + o.Reason}); err != nil {
				return err
			}
		}
	}
	_, err = keyscmd.ApplyPlanAs(f, o.Apply, o.Yes, e, p, &iamexec.Executor{Clients: keyscmd.IAMClients(sess)}, caller.ARN)
	return err
}

func usersRecreateRun(f *cmdutil.Factory, o *Options) error {
	ws, err := f.Workspace()
	if err != nil {
		return err
	}
	var b keys.UserBackup
	if err := plan.ReadBackup(o.BackupFile, &b); err != nil {
		return cmdutil.BadInput(err)
	}
	p, err := keys.RecreatePlan(&b, f.Now())
	if err != nil {
		return cmdutil.BadInput(fmt.Errorf("%s: %w", o.BackupFile, err))
	}
	sess, caller, err := keyscmd.Session(f)
	if err != nil {
		return err
	}
	e := &keyscmd.Env{WS: ws}
	_, err = keyscmd.ApplyPlanAs(f, o.Apply, o.Yes, e, p, &iamexec.Executor{Clients: keyscmd.IAMClients(sess)}, caller.ARN)
	return err
}
