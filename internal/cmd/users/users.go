package users

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/apply/iamexec"
	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	keyscmd "github.com/seiri-dev/seiri/internal/cmd/keys"
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
	retire.AddCommand(NewCmdUsersPlan(f, nil), NewCmdUsersQuarantine(f, nil), NewCmdUsersWatch(f, nil),
		NewCmdUsersRestore(f, nil), NewCmdUsersDelete(f, nil))
	cmd.AddCommand(retire, NewCmdUsersRestoreFromBackup(f, nil))
	return cmd
}

// run checks what every users command checks once its flags are parsed
// (--days when days is not nil, --output), then runs run or the test's
// runF.
func run[O any](f *cmdutil.Factory, d *keyscmd.Deps, days *int, o *O, runF func(*O) error, run func(*O) error) error {
	if err := keyscmd.Check(d, f, "users", days); err != nil {
		return err
	}
	if runF != nil {
		return runF(o)
	}
	return run(o)
}

// PlanOptions are the inputs of `seiri users retire plan`.
type PlanOptions struct {
	keyscmd.Deps
	Snapshot   string // --snapshot
	UnusedDays int    // --days
}

// NewCmdUsersPlan parses flags into PlanOptions and calls runF
// (usersPlanRun when nil).
func NewCmdUsersPlan(f *cmdutil.Factory, runF func(*PlanOptions) error) *cobra.Command {
	o := &PlanOptions{Deps: keyscmd.NewDeps(f)}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "List users with no activity by any source, with evidence and coverage (no AWS calls)",
		Example: `  seiri users retire plan
  seiri users retire plan --days 180 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(f, &o.Deps, &o.UnusedDays, o, runF, usersPlanRun)
		},
	}
	keyscmd.SnapshotFlag(cmd, &o.Snapshot)
	keyscmd.UnusedDaysFlag(cmd, &o.UnusedDays)
	return cmd
}

// QuarantineOptions are the inputs of `seiri users retire quarantine`.
type QuarantineOptions struct {
	keyscmd.Deps
	Snapshot   string // --snapshot
	UnusedDays int    // --days
	Apply, Yes bool   // --apply, --yes
}

// NewCmdUsersQuarantine parses flags into QuarantineOptions and calls runF
// (usersQuarantineRun when nil).
func NewCmdUsersQuarantine(f *cmdutil.Factory, runF func(*QuarantineOptions) error) *cobra.Command {
	o := &QuarantineOptions{Deps: keyscmd.NewDeps(f)}
	cmd := &cobra.Command{
		Use:   "quarantine",
		Short: "Plan (and with --apply make) the quarantine of inactive users",
		Long: `Plan the quarantine of the users seiri users retire plan lists; with --apply, make it.
The plan needs only the workspace: without AWS credentials it is computed from the
snapshot (and says so); --apply needs them.`,
		Example: `  seiri users retire quarantine                  # the plan
  seiri users retire quarantine --apply --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(f, &o.Deps, &o.UnusedDays, o, runF, usersQuarantineRun)
		},
	}
	keyscmd.SnapshotFlag(cmd, &o.Snapshot)
	keyscmd.UnusedDaysFlag(cmd, &o.UnusedDays)
	keyscmd.ApplyFlagVars(cmd, &o.Apply, &o.Yes)
	return cmd
}

// WatchOptions are the inputs of `seiri users retire watch`.
type WatchOptions struct {
	keyscmd.Deps
	Snapshot string // --snapshot
}

// NewCmdUsersWatch parses flags into WatchOptions and calls runF
// (usersWatchRun when nil).
func NewCmdUsersWatch(f *cmdutil.Factory, runF func(*WatchOptions) error) *cobra.Command {
	o := &WatchOptions{Deps: keyscmd.NewDeps(f)}
	cmd := &cobra.Command{
		Example: `  seiri users retire watch`,
		Use:     "watch",
		Short:   "Check every quarantined user for signs that something still uses it",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(f, &o.Deps, nil, o, runF, usersWatchRun)
		},
	}
	keyscmd.SnapshotFlag(cmd, &o.Snapshot)
	return cmd
}

// RestoreOptions are the inputs of `seiri users retire restore`.
type RestoreOptions struct {
	keyscmd.Deps
	Snapshot   string // --snapshot
	User       string // USER: the user's name or ARN
	Apply, Yes bool   // --apply, --yes
}

// NewCmdUsersRestore parses flags into RestoreOptions and calls runF
// (usersRestoreRun when nil).
func NewCmdUsersRestore(f *cmdutil.Factory, runF func(*RestoreOptions) error) *cobra.Command {
	o := &RestoreOptions{Deps: keyscmd.NewDeps(f)}
	cmd := &cobra.Command{
		Use:   "restore USER",
		Short: "Lift a quarantine (plan; --apply makes it)",
		Example: `  seiri users retire restore build-bot               # the plan
  seiri users retire restore build-bot --apply`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.User = keyscmd.Arg(args, 0)
			return run(f, &o.Deps, nil, o, runF, usersRestoreRun)
		},
	}
	keyscmd.SnapshotFlag(cmd, &o.Snapshot)
	keyscmd.ApplyFlagVars(cmd, &o.Apply, &o.Yes)
	return cmd
}

// DeleteOptions are the inputs of `seiri users retire delete`.
type DeleteOptions struct {
	keyscmd.Deps
	Snapshot   string // --snapshot
	User       string // [USER]: the user's name or ARN
	Force      bool   // --force
	Reason     string // --reason
	Apply, Yes bool   // --apply, --yes
}

// NewCmdUsersDelete parses flags into DeleteOptions and calls runF
// (usersDeleteRun when nil).
func NewCmdUsersDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	o := &DeleteOptions{Deps: keyscmd.NewDeps(f)}
	cmd := &cobra.Command{
		Use:   "delete [USER]",
		Short: "Delete users quarantined at least the observation window ago whose watch stayed quiet",
		Example: `  seiri users retire delete                        # the plan
  seiri users retire delete --apply --yes`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := keyscmd.CheckForce(o.Force, args, o.Reason, "USER"); err != nil {
				return err
			}
			o.User = keyscmd.Arg(args, 0)
			return run(f, &o.Deps, nil, o, runF, usersDeleteRun)
		},
	}
	keyscmd.SnapshotFlag(cmd, &o.Snapshot)
	keyscmd.ForceFlags(cmd, &o.Force, &o.Reason, "user")
	keyscmd.ApplyFlagVars(cmd, &o.Apply, &o.Yes)
	return cmd
}

// RestoreFromBackupOptions are the inputs of `seiri users
// restore-from-backup`.
type RestoreFromBackupOptions struct {
	keyscmd.Deps
	BackupFile string // FILE
	Apply, Yes bool   // --apply, --yes
}

// NewCmdUsersRestoreFromBackup parses flags into RestoreFromBackupOptions
// and calls runF (usersRecreateRun when nil).
func NewCmdUsersRestoreFromBackup(f *cmdutil.Factory, runF func(*RestoreFromBackupOptions) error) *cobra.Command {
	o := &RestoreFromBackupOptions{Deps: keyscmd.NewDeps(f)}
	// It writes (journal, lock) into a workspace it may create.
	o.Workspace = f.Workspace
	cmd := &cobra.Command{
		Example: `  seiri users restore-from-backup .seiri/backups/111111111111-build-bot.json --apply`,
		Use:     "restore-from-backup FILE",
		Short:   "Recreate a deleted user from a seiri backup (same name, groups, policies, tags; new credentials)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.BackupFile = keyscmd.Arg(args, 0)
			return run(f, &o.Deps, nil, o, runF, usersRecreateRun)
		},
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

// planJSON is the JSON of users retire plan: the result, named by its
// snapshot and window.
type planJSON struct {
	Snapshot string         `json:"snapshot"`
	Window   keyscmd.Window `json:"usageWindow"`
	keys.UserResult
}

func usersPlanRun(o *PlanOptions) error {
	e, err := keyscmd.LoadEnv(o.Deps, o.Snapshot)
	if err != nil {
		return err
	}
	defer e.Close()
	now := o.Now()
	in, err := userInput(o.Ctx, e, now, keys.Caller{ARN: e.Snap.Manifest.CallerARN})
	if err != nil {
		return err
	}
	res := keys.UserCandidates(in, keys.Options{UnusedDays: o.UnusedDays})
	win := keyscmd.WindowOf(o.UnusedDays, now)
	if o.Output == "json" {
		return cmdutil.WriteJSON(o.IO.Out, planJSON{Snapshot: snapshotBase(e), Window: win, UserResult: res})
	}
	keyscmd.Header(o.Deps, e.Snap, &win)
	keys.RenderUserCandidates(o.IO.Out, res, now, e.UsageNote())
	if len(res.Candidates) > 0 {
		fmt.Fprintln(o.IO.Out, "\nNext: seiri users retire quarantine --apply")
	}
	return nil
}

func usersQuarantineRun(o *QuarantineOptions) error {
	e, err := keyscmd.LoadEnv(o.Deps, o.Snapshot)
	if err != nil {
		return err
	}
	defer e.Close()
	sess, caller, err := keyscmd.PlanSession(o.Deps, e, o.Apply, "users retire quarantine")
	if err != nil {
		return err
	}
	now := o.Now()
	in, err := userInput(o.Ctx, e, now, caller)
	if err != nil {
		return err
	}
	res := keys.UserCandidates(in, keys.Options{UnusedDays: o.UnusedDays})
	p, _ := keys.QuarantinePlan(res.Candidates, e.Snap.Dir, caller.ARN, now)
	win := keyscmd.WindowOf(o.UnusedDays, now)
	_, err = keyscmd.ApplyPlan(o.Deps, keyscmd.ApplyArgs{Apply: o.Apply, Yes: o.Yes, Next: "seiri users retire quarantine --apply", Operator: caller.ARN, Window: &win},
		e, p, &iamexec.Executor{Clients: keyscmd.IAMClients(sess)})
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

func usersWatchRun(o *WatchOptions) error {
	e, sess, _, err := keyscmd.OpenRun(o.Deps, o.Snapshot)
	if err != nil {
		return err
	}
	defer e.Close()
	results, problems, err := WatchQuarantined(o.Ctx, e, sess, o.Now)
	if err != nil {
		return err
	}
	return keyscmd.WriteWatch(o.Deps, e, true, results, problems)
}

func findQuarantined(ctx context.Context, e *keyscmd.Env, sess *awsclient.Session, now func() time.Time, name string) ([]keys.QuarantinedState, error) {
	qs, problems, err := quarantinedUsers(ctx, e, sess, now)
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

func usersRestoreRun(o *RestoreOptions) error {
	e, sess, caller, err := keyscmd.OpenRun(o.Deps, o.Snapshot)
	if err != nil {
		return err
	}
	defer e.Close()
	qs, err := findQuarantined(o.Ctx, e, sess, o.Now, o.User)
	if err != nil {
		return err
	}
	p := keys.UserRestorePlan(qs[0].User, o.Now())
	_, err = keyscmd.ApplyPlan(o.Deps, keyscmd.ApplyArgs{Apply: o.Apply, Yes: o.Yes, Next: "seiri users retire restore " + qs[0].User.User + " --apply", Operator: caller.ARN,
		ObservationDays: e.Cfg.Keys.ObservationDays},
		e, p, &iamexec.Executor{Clients: keyscmd.IAMClients(sess)})
	return err
}

func usersDeleteRun(o *DeleteOptions) error {
	e, sess, caller, err := keyscmd.OpenRun(o.Deps, o.Snapshot)
	if err != nil {
		return err
	}
	defer e.Close()
	qs, err := findQuarantined(o.Ctx, e, sess, o.Now, o.User)
	if err != nil {
		return err
	}
	results, err := watchUsers(o.Ctx, e, qs, o.Now())
	if err != nil {
		return err
	}
	force := ""
	if o.Force {
		force = o.Reason
	}
	p, deleted := keys.UsersDeletePlan(qs, results, o.Now(), force)
	if o.Apply && !p.Empty() {
		if err := backUpBeforeDelete(o, e, p, deleted, caller.ARN); err != nil {
			return err
		}
	}
	_, err = keyscmd.ApplyPlan(o.Deps, keyscmd.ApplyArgs{Apply: o.Apply, Yes: o.Yes, Next: "seiri users retire delete --apply", Operator: caller.ARN,
		ObservationDays: e.Cfg.Keys.ObservationDays},
		e, p, &iamexec.Executor{Clients: keyscmd.IAMClients(sess)})
	return err
}

// backUpBeforeDelete backs the users to delete up from their live state,
// right before the deletes, and journals a --force.
func backUpBeforeDelete(o *DeleteOptions, e *keyscmd.Env, p *plan.Plan, deleted []keys.QuarantinedState, operator string) error {
	j := plan.OpenJournal(e.WS.Journal(), o.Now)
	lines, err := keys.BackupUsers(j, e.WS.BackupsDir(), deleted, p, operator, o.Now())
	for _, l := range lines {
		p.Warn(keys.KindUserBackup, l)
	}
	if err != nil {
		return err
	}
	if o.Force {
		return j.Append(plan.Entry{Plan: p.ID, Phase: plan.Note, Kind: "users.force",
			Target: o.User, Operator: operator, Detail: "forced delete: " + o.Reason})
	}
	return nil
}

func usersRecreateRun(o *RestoreFromBackupOptions) error {
	ws, err := o.Workspace()
	if err != nil {
		return err
	}
	var b keys.UserBackup
	if err := plan.ReadBackup(o.BackupFile, &b); err != nil {
		return cmdutil.BadInput(err)
	}
	p, err := keys.RecreatePlan(&b, o.Now())
	if err != nil {
		return cmdutil.BadInput(fmt.Errorf("%s: %w", o.BackupFile, err))
	}
	sess, caller, err := keyscmd.Session(o.Deps)
	if err != nil {
		return err
	}
	e := &keyscmd.Env{WS: ws}
	_, err = keyscmd.ApplyPlan(o.Deps, keyscmd.ApplyArgs{Apply: o.Apply, Yes: o.Yes, Next: "seiri users restore-from-backup " + o.BackupFile + " --apply", Operator: caller.ARN,
		Backup: o.BackupFile},
		e, p, &iamexec.Executor{Clients: keyscmd.IAMClients(sess)})
	return err
}

func snapshotBase(e *keyscmd.Env) string { return keyscmd.SnapshotBase(e.Snap) }
