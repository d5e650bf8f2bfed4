package users

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/apply/iamexec"
	keyscmd "github.com/seiri-dev/seiri/internal/cmd/keys"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
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

func newCmdUsersPlan(f *cmdutil.Factory, runF func(*keyscmd.Options) error) *cobra.Command {
	o := &keyscmd.Options{}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "List users with no activity by any source, with evidence and coverage (no AWS calls)",
		Example: `  seiri users retire plan
  seiri users retire plan --days 180 -o json`,
		Args: cobra.NoArgs,
		RunE: keyscmd.RunE(f, o, runF, usersPlanRun),
	}
	keyscmd.SelectFlags(cmd, o)
	cmd.Flags().Lookup("include-never-used").Hidden = true
	return cmd
}

func newCmdUsersQuarantine(f *cmdutil.Factory, runF func(*keyscmd.Options) error) *cobra.Command {
	o := &keyscmd.Options{}
	cmd := &cobra.Command{
		Use:   "quarantine",
		Short: "Plan (and with --apply make) the quarantine of inactive users",
		Example: `  seiri users retire quarantine                  # the plan
  seiri users retire quarantine --apply --yes`,
		Args: cobra.NoArgs,
		RunE: keyscmd.RunE(f, o, runF, usersQuarantineRun),
	}
	keyscmd.SelectFlags(cmd, o)
	keyscmd.ApplyFlags(cmd, o)
	return cmd
}

func newCmdUsersWatch(f *cmdutil.Factory, runF func(*keyscmd.Options) error) *cobra.Command {
	o := &keyscmd.Options{}
	cmd := &cobra.Command{
		Use:     "watch",
		Short:   "Check every quarantined user for signs that something still uses it",
		Example: `  seiri users retire watch`,
		Args:    cobra.NoArgs,
		RunE:    keyscmd.RunE(f, o, runF, usersWatchRun),
	}
	cmd.Flags().StringVar(&o.Snapshot, "snapshot", snapshot.Latest, "snapshot to read (folder, name, or latest)")
	return cmd
}

func newCmdUsersRestore(f *cmdutil.Factory, runF func(*keyscmd.Options) error) *cobra.Command {
	o := &keyscmd.Options{}
	cmd := &cobra.Command{
		Use:   "restore USER",
		Short: "Lift a quarantine (plan; --apply makes it)",
		Example: `  seiri users retire restore build-bot               # the plan
  seiri users retire restore build-bot --apply`,
		Args: cobra.ExactArgs(1),
		RunE: keyscmd.RunE(f, o, runF, usersRestoreRun),
	}
	cmd.Flags().StringVar(&o.Snapshot, "snapshot", snapshot.Latest, "snapshot to read (folder, name, or latest)")
	keyscmd.ApplyFlags(cmd, o)
	return cmd
}

func newCmdUsersDelete(f *cmdutil.Factory, runF func(*keyscmd.Options) error) *cobra.Command {
	o := &keyscmd.Options{}
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
			return keyscmd.RunE(f, o, runF, usersDeleteRun)(cmd, args)
		},
	}
	cmd.Flags().StringVar(&o.Snapshot, "snapshot", snapshot.Latest, "snapshot to read (folder, name, or latest)")
	cmd.Flags().BoolVar(&o.Force, "force", false, "delete the named user despite a refusal (needs --reason)")
	cmd.Flags().StringVar(&o.Reason, "reason", "", "why --force is right (journaled)")
	keyscmd.ApplyFlags(cmd, o)
	return cmd
}

func newCmdUsersRestoreFromBackup(f *cmdutil.Factory, runF func(*keyscmd.Options) error) *cobra.Command {
	o := &keyscmd.Options{}
	cmd := &cobra.Command{
		Use:     "restore-from-backup FILE",
		Short:   "Recreate a deleted user from a seiri backup (same name, groups, policies, tags; new credentials)",
		Example: `  seiri users restore-from-backup .seiri/backups/111111111111-build-bot.json --apply`,
		Args:    cobra.ExactArgs(1),
		RunE:    keyscmd.RunE(f, o, runF, usersRecreateRun),
	}
	keyscmd.ApplyFlags(cmd, o)
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

func usersPlanRun(f *cmdutil.Factory, o *keyscmd.Options) error {
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
	if n := e.UsageNote(); n != "" {
		fmt.Fprintf(w, "! %s\n\n", n)
	}
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
			v := "no use"
			if ev.LastUsed != nil {
				v = ev.LastUsed.Format("2006-01-02")
			}
			fmt.Fprintf(w, "     %s: %s %s\n", ev.Source, v, ev.Detail)
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

func usersQuarantineRun(f *cmdutil.Factory, o *keyscmd.Options) error {
	e, sess, caller, err := keyscmd.OpenRun(f, o)
	if err != nil {
		return err
	}
	defer e.Close()
	in, err := userInput(f.Context, e, f.Now(), caller)
	if err != nil {
		return err
	}
	res := keys.UserCandidates(in, keys.Options{UnusedDays: o.UnusedDays})
	p, _ := keys.QuarantinePlan(res.Candidates, e.Snap.Dir, caller.ARN, f.Now())
	_, err = keyscmd.ApplyPlan(f, o, e, p, &iamexec.Executor{Clients: keyscmd.IAMClients(sess)}, caller.ARN)
	return err
}

type quarantined struct {
	q     keys.QuarantinedUser
	state *keys.UserState
}

// quarantinedUsers reads the live state of every user that may be
// quarantined: tagged in the snapshot, or attached deny-all per the journal.
func quarantinedUsers(ctx context.Context, e *keyscmd.Env, sess *awsclient.Session, now func() time.Time) ([]quarantined, []string, error) {
	type ref struct{ account, user string }
	refs := map[ref]bool{}
	for _, a := range e.Snap.Accounts {
		for _, u := range a.Users {
			if _, ok := u.Tags[keys.QuarantineTag]; ok {
				refs[ref{a.AccountID, u.UserName}] = true
			}
		}
	}
	es, err := plan.OpenJournal(e.WS.Journal(), now).Entries()
	if err != nil {
		return nil, nil, err
	}
	for _, en := range es {
		if en.Kind == keys.KindAttachUserPolicy && en.Phase == plan.Done && strings.Contains(en.Target, ":user/") {
			refs[ref{en.Account, en.Target[strings.LastIndexByte(en.Target, '/')+1:]}] = true
		}
	}
	list := make([]ref, 0, len(refs))
	for r := range refs {
		list = append(list, r)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].account+list[i].user < list[j].account+list[j].user })
	var out []quarantined
	var problems []string
	for _, r := range list {
		cl, err := sess.ForAccount(ctx, r.account)
		if err != nil {
			problems = append(problems, fmt.Sprintf("[%s] %s: %s", r.account, r.user, awsclient.ErrorSummary(err)))
			continue
		}
		st, err := iamexec.ReadUserState(ctx, cl.IAM, r.account, r.user)
		if err != nil {
			if awsclient.ErrorCode(err) != "NoSuchEntity" {
				problems = append(problems, fmt.Sprintf("[%s] %s: %s", r.account, r.user, awsclient.ErrorSummary(err)))
			}
			continue
		}
		q, _ := st.Quarantine()
		if q != nil {
			out = append(out, quarantined{*q, st})
		}
	}
	return out, problems, nil
}

func watchUsers(ctx context.Context, e *keyscmd.Env, qs []quarantined, now time.Time) ([]keys.WatchResult, error) {
	var out []keys.WatchResult
	for _, q := range qs {
		in := keys.UserWatchInput{User: q.q, State: q.state, Now: now, Window: e.Cfg.Keys.ObservationDays}
		if q.q.Problem != "" {
			in.Err = q.q.Problem
		}
		var err error
		if in.Evidence, err = e.WatchEvidence(ctx, q.q.Account, q.q.User, ""); err != nil {
			return nil, err
		}
		if e.St != nil {
			if in.Rows, err = e.St.Usage(ctx, usage.Query{Principal: q.q.UserARN}); err != nil {
				return nil, err
			}
			if in.FailedRows, err = e.St.Usage(ctx, usage.Query{Account: q.q.Account, ErrorsOnly: true, Since: q.q.Since}); err != nil {
				return nil, err
			}
		}
		out = append(out, keys.WatchUser(in))
	}
	return out, nil
}

func usersWatchRun(f *cmdutil.Factory, o *keyscmd.Options) error {
	e, sess, _, err := keyscmd.OpenRun(f, o)
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

func findQuarantined(f *cmdutil.Factory, e *keyscmd.Env, sess *awsclient.Session, name string) ([]quarantined, error) {
	qs, problems, err := quarantinedUsers(f.Context, e, sess, f.Now)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return qs, nil
	}
	for _, q := range qs {
		if q.q.User == name || q.q.UserARN == name {
			return []quarantined{q}, nil
		}
	}
	msg := fmt.Sprintf("user %q is not quarantined by seiri (no %s tag)", cmdutil.TrimValue(name), keys.QuarantineTag)
	if len(problems) > 0 {
		msg += "; could not read: " + strings.Join(problems, "; ")
	}
	return nil, cmdutil.BadInput(errors.New(msg))
}

func usersRestoreRun(f *cmdutil.Factory, o *keyscmd.Options) error {
	e, sess, caller, err := keyscmd.OpenRun(f, o)
	if err != nil {
		return err
	}
	defer e.Close()
	qs, err := findQuarantined(f, e, sess, o.KeyID)
	if err != nil {
		return err
	}
	p := keys.UserRestorePlan(qs[0].q, f.Now())
	_, err = keyscmd.ApplyPlan(f, o, e, p, &iamexec.Executor{Clients: keyscmd.IAMClients(sess)}, caller.ARN)
	return err
}

func usersDeleteRun(f *cmdutil.Factory, o *keyscmd.Options) error {
	e, sess, caller, err := keyscmd.OpenRun(f, o)
	if err != nil {
		return err
	}
	defer e.Close()
	qs, err := findQuarantined(f, e, sess, o.KeyID)
	if err != nil {
		return err
	}
	results, err := watchUsers(f.Context, e, qs, f.Now())
	if err != nil {
		return err
	}
	var changes []plan.Change
	var warnings []string
	var states []*keys.UserState
	var since []time.Time
	for i, r := range results {
		reason := ""
		switch {
		case r.Verdict == keys.Drifted:
			reason = "drifted: " + r.Recommendation
		case r.Verdict == keys.Noisy:
			reason = "noisy: something still uses it (see seiri users retire watch)"
		case r.DaysLeft > 0:
			reason = fmt.Sprintf("observation window not over: %d days left (quarantined %s)", r.DaysLeft, r.Key.Since.Format(time.RFC3339))
		case r.Verdict == keys.Unwatched:
			reason = "not watched: " + r.NotWatched
		}
		notes := []string{fmt.Sprintf("quarantined %s by %s; watch: %s", r.Key.Since.Format(time.RFC3339), r.Key.By, r.Verdict)}
		if reason != "" {
			if !o.Force || r.Verdict == keys.Drifted {
				warnings = append(warnings, fmt.Sprintf("refused [%s] %s: %s", r.Key.Account, r.Key.User, reason))
				continue
			}
			notes = append(notes, fmt.Sprintf("FORCED despite %q: %s", reason, o.Reason))
		}
		for _, c := range keys.UserDeletePlan(qs[i].state, f.Now(), notes).Changes {
			c.ID = ""
			changes = append(changes, c)
		}
		states = append(states, qs[i].state)
		since = append(since, qs[i].q.Since)
	}
	p := plan.New(keys.PlanUserDelete, f.Now(), "", changes)
	for _, w := range warnings {
		p.Warn(keys.CodeRefused, w)
	}
	if o.Apply && !p.Empty() {
		// The backup is taken from the live state right before the deletes
		// (a re-run after a crash backs up what is left, under a new name).
		j := plan.OpenJournal(e.WS.Journal(), f.Now)
		es, err := j.Entries()
		if err != nil {
			return err
		}
	users:
		for i, st := range states {
			// A run that crashed mid-delete already backed the whole user up:
			// keep that backup as the one to restore from, not a partial one.
			for k := len(es) - 1; k >= 0; k-- {
				en := es[k]
				if en.Kind == "users.backup" && en.Target == st.User.ARN && !en.Time.Before(since[i]) {
					if _, err := os.Stat(en.Detail); err == nil {
						p.Warn("users.backup", "backup of "+st.User.UserName+" (from an earlier run): "+en.Detail)
						continue users
					}
				}
			}
			b := keys.UserBackup{Kind: "iam-user", Account: st.Account, TakenAt: f.Now(), Reason: "before deleting the user",
				User: st.User, LiveKeys: st.AccessKeys, LiveTags: st.Tags, Operator: caller.ARN, PlanID: p.ID}
			path, err := plan.WriteBackup(e.WS.BackupsDir(), st.Account+"-"+st.User.UserName, f.Now(), b)
			if err != nil {
				return fmt.Errorf("backup of %s: %w", st.User.UserName, err)
			}
			p.Warn("users.backup", "backup of "+st.User.UserName+": "+path)
			if err := j.Append(plan.Entry{Plan: p.ID, Phase: plan.Note, Kind: "users.backup",
				Account: st.Account, Target: st.User.ARN, Operator: caller.ARN, Detail: path}); err != nil {
				return err
			}
		}
		if o.Force {
			if err := plan.OpenJournal(e.WS.Journal(), f.Now).Append(plan.Entry{Plan: p.ID, Phase: plan.Note, Kind: "users.force",
				Target: o.KeyID, Operator: caller.ARN, Detail: "forced delete: " + o.Reason}); err != nil {
				return err
			}
		}
	}
	_, err = keyscmd.ApplyPlan(f, o, e, p, &iamexec.Executor{Clients: keyscmd.IAMClients(sess)}, caller.ARN)
	return err
}

func usersRecreateRun(f *cmdutil.Factory, o *keyscmd.Options) error {
	ws, err := f.Workspace()
	if err != nil {
		return err
	}
	var b keys.UserBackup
	if err := plan.ReadBackup(o.KeyID, &b); err != nil {
		return cmdutil.BadInput(err)
	}
	p, err := keys.RecreatePlan(&b, f.Now())
	if err != nil {
		return cmdutil.BadInput(fmt.Errorf("%s: %w", o.KeyID, err))
	}
	sess, caller, err := keyscmd.Session(f)
	if err != nil {
		return err
	}
	e := &keyscmd.Env{WS: ws}
	_, err = keyscmd.ApplyPlan(f, o, e, p, &iamexec.Executor{Clients: keyscmd.IAMClients(sess)}, caller.ARN)
	return err
}
