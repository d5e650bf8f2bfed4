package keys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/apply/iamexec"
	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/usage"
)

// WatchOptions are the inputs of `seiri keys watch`.
type WatchOptions struct {
	Deps
	Snapshot string // --snapshot
}

// NewCmdKeysWatch parses flags into WatchOptions and calls runF
// (keysWatchRun when nil).
func NewCmdKeysWatch(f *cmdutil.Factory, runF func(*WatchOptions) error) *cobra.Command {
	o := &WatchOptions{Deps: NewDeps(f)}
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Check every key seiri disabled for signs that something still uses it",
		Example: `  seiri keys watch
  seiri keys watch -o json`,
		Long: `For each key seiri disabled, since its disable time: (1) CloudTrail events with
its key id; (2) failed calls (AccessDenied, InvalidClientTokenId, ...) from the source
IPs it was used from before (its fingerprint, from the usage store); (3) the key's live
status and GetAccessKeyLastUsed (Active again: drifted); (4) the owner's other
activity. AWS may not log calls made with an inactive key, so (2) and (3) matter.
Run seiri trail scan first so the usage store has the latest logs.

Result per key: quiet, noisy (restore it) or drifted (changed outside seiri), and the
days left in the observation window. Exit code 1 when any key is noisy or drifted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := Check(&o.Deps, f, "keys", nil); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return keysWatchRun(o)
		},
	}
	SnapshotFlag(cmd, &o.Snapshot)
	return cmd
}

// WatchWindow is the usage window of a watch: each key or user since it
// was disabled or quarantined, over the observation window.
func WatchWindow(days int) string {
	return fmt.Sprintf("usage window: each one since seiri disabled or quarantined it (observation window %d days)", days)
}

// watchJSON is the JSON of keys watch and users retire watch.
type watchJSON struct {
	Snapshot        string              `json:"snapshot"`
	ObservationDays int                 `json:"observationDays"`
	Keys            *[]keys.WatchResult `json:"keys,omitempty"`
	Users           *[]keys.WatchResult `json:"users,omitempty"`
	Problems        []string            `json:"problems"`
}

// WriteWatch writes the watch of keys (users false) or quarantined users:
// JSON, or the text report named by its snapshot and window; and returns
// the exit code it asks for (1 when one is not quiet, 3 when something
// could not be read).
func WriteWatch(d Deps, e *Env, users bool, results []keys.WatchResult, problems []string) error {
	if d.Output == "json" {
		v := watchJSON{Snapshot: SnapshotBase(e.Snap), ObservationDays: e.Cfg.Keys.ObservationDays, Problems: problems}
		if users {
			v.Users = &results
		} else {
			v.Keys = &results
		}
		if err := cmdutil.WriteJSON(d.IO.Out, v); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(d.IO.Out, cmdutil.SnapshotLine(e.Snap))
		fmt.Fprintf(d.IO.Out, "%s\n\n", WatchWindow(e.Cfg.Keys.ObservationDays))
		RenderWatch(d.IO.Out, results, problems, e.UsageNote())
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

func keysWatchRun(o *WatchOptions) error {
	e, sess, _, err := OpenRun(o.Deps, o.Snapshot)
	if err != nil {
		return err
	}
	defer e.Close()
	results, problems, err := WatchTracked(o.Ctx, e, sess, o.Now)
	if err != nil {
		return err
	}
	return WriteWatch(o.Deps, e, false, results, problems)
}

// trackedKeys reads the live retire tags of every user that may carry one:
// users tagged in the snapshot and users the journal says seiri tagged.
func trackedKeys(ctx context.Context, e *Env, sess *awsclient.Session, now func() time.Time) ([]keys.Tracked, []string, error) {
	es, err := plan.OpenJournal(e.WS.Journal(), now).Entries()
	if err != nil {
		return nil, nil, err
	}
	out, problems := keys.ReadTracked(ctx, keys.TrackedUserRefs(e.Snap, es), LiveTags(sess))
	return out, problems, nil
}

// LiveTags reads a user's live tags (keys.ErrNoUser when it is gone; other
// errors in one line, never the SDK's chain).
func LiveTags(sess *awsclient.Session) func(context.Context, keys.UserRef) (map[string]string, error) {
	return func(ctx context.Context, u keys.UserRef) (map[string]string, error) {
		cl, err := sess.ForAccount(ctx, u.Account)
		if err != nil {
			return nil, errors.New(awsclient.ErrorSummary(err))
		}
		_, tags, err := iamexec.ReadLive(ctx, cl.IAM, u.User, "")
		if awsclient.ErrorCode(err) == "NoSuchEntity" {
			return nil, keys.ErrNoUser
		}
		if err != nil {
			return nil, errors.New(awsclient.ErrorSummary(err))
		}
		return tags, nil
	}
}

// liveTracked finds a key by id in the live accounts (the snapshot's and
// the caller's): its owner (GetAccessKeyLastUsed names it) and the owner's
// retire tag. An emergency restore must work from a workspace whose
// snapshot predates the disable and whose journal never saw it.
func liveTracked(ctx context.Context, e *Env, sess *awsclient.Session, keyID string) (*keys.Tracked, []string) {
	accounts := []string{sess.Caller().Account}
	for _, a := range e.Snap.Accounts {
		if a.AccountID != sess.Caller().Account {
			accounts = append(accounts, a.AccountID)
		}
	}
	var problems []string
	for _, acct := range accounts {
		cl, err := sess.ForAccount(ctx, acct)
		if err != nil {
			problems = append(problems, fmt.Sprintf("[%s]: %s", acct, awsclient.ErrorSummary(err)))
			continue
		}
		user, arn, err := iamexec.KeyOwner(ctx, cl.IAM, keyID)
		if err != nil || user == "" {
			continue // not a key of this account (AccessDenied for a foreign key)
		}
		_, tags, err := iamexec.ReadLive(ctx, cl.IAM, user, "")
		if err != nil {
			problems = append(problems, fmt.Sprintf("[%s] %s: %s", acct, user, awsclient.ErrorSummary(err)))
			continue
		}
		for _, t := range keys.TrackedOf(acct, user, arn, tags) {
			if t.AccessKeyID == keyID && (t.State == keys.Disabled || t.Problem != "") {
				return &t, problems
			}
		}
		return nil, problems
	}
	return nil, problems
}

// watchAll judges every tracked key.
func watchAll(ctx context.Context, e *Env, sess *awsclient.Session, tracked []keys.Tracked, now time.Time) ([]keys.WatchResult, error) {
	var out []keys.WatchResult
	for _, t := range tracked {
		in := keys.WatchInput{Key: t, Now: now, Window: e.Cfg.Keys.ObservationDays}
		cl, err := sess.ForAccount(ctx, t.Account)
		if err == nil {
			in.Live, _, err = iamexec.ReadLive(ctx, cl.IAM, t.User, t.AccessKeyID)
		}
		if err != nil {
			in.Live.Err = awsclient.ErrorSummary(err)
		}
		if in.Evidence, err = e.WatchEvidence(ctx, t.Account, t.User, t.AccessKeyID); err != nil {
			return nil, err
		}
		if e.St != nil {
			if in.KeyRows, err = e.St.Usage(ctx, usage.Query{AccessKeyID: t.AccessKeyID}); err != nil {
				return nil, err
			}
			if in.FailedRows, err = e.St.Usage(ctx, usage.Query{Account: t.Account, ErrorsOnly: true, Since: t.Since}); err != nil {
				return nil, err
			}
			if in.OwnerRows, err = e.St.Usage(ctx, usage.Query{Principal: t.UserARN, Since: t.Since}); err != nil {
				return nil, err
			}
		}
		r := keys.Watch(in)
		e.Debug("watch verdict", "account", t.Account, "user", t.User, "key", t.AccessKeyID, "verdict", r.Verdict, "daysLeft", r.DaysLeft, "why", r.Recommendation)
		out = append(out, r)
	}
	return out, nil
}

// RenderWatch writes the summary (the counts per verdict), then one block
// per watched key or user: verdict, days left, and every signal checked
// with what it found.
func RenderWatch(w io.Writer, results []keys.WatchResult, problems []string, note string) {
	counts := map[keys.Verdict]int{}
	for _, r := range results {
		counts[r.Verdict]++
	}
	// The summary first (issue 18), then what it rests on, then each one.
	fmt.Fprintf(w, "%d watched: %d quiet, %d noisy, %d drifted, %d not watched", len(results), counts[keys.Quiet], counts[keys.Noisy], counts[keys.Drifted], counts[keys.Unwatched])
	if len(problems) > 0 {
		fmt.Fprintf(w, "; %d could not be read", len(problems))
	}
	fmt.Fprint(w, ".\n\n")
	if note != "" {
		fmt.Fprintf(w, "! %s: nothing can be judged quiet, and delete refuses every key\n\n", note)
	}
	if len(results) == 0 {
		fmt.Fprintln(w, "No key disabled by seiri is being watched.")
	}
	for _, r := range results {
		fmt.Fprintf(w, "[%s] %s: %s, %d days left (%s %s by %s)\n", r.Key.Account, strings.TrimSpace(r.Key.User+" "+r.Key.AccessKeyID),
			strings.ToUpper(string(r.Verdict)), r.DaysLeft, r.Key.State, r.Key.Since.Format(time.RFC3339), r.Key.By)
		for _, s := range r.Signals {
			found := "nothing"
			if s.Found != "" {
				found = s.Found
			}
			mark := "  "
			if s.Noisy {
				mark = "! "
			}
			fmt.Fprintf(w, "   %s%s: %s\n", mark, s.Name, found)
		}
		fmt.Fprintf(w, "   → %s\n", r.Recommendation)
	}
	for _, p := range problems {
		fmt.Fprintf(w, "could not read: %s\n", p)
	}
}

// RestoreOptions are the inputs of `seiri keys restore`.
type RestoreOptions struct {
	Deps
	Snapshot   string // --snapshot
	KeyID      string // ACCESS_KEY_ID
	Apply, Yes bool   // --apply, --yes
}

// NewCmdKeysRestore parses flags into RestoreOptions and calls runF
// (keysRestoreRun when nil).
func NewCmdKeysRestore(f *cmdutil.Factory, runF func(*RestoreOptions) error) *cobra.Command {
	o := &RestoreOptions{Deps: NewDeps(f)}
	cmd := &cobra.Command{
		Use:   "restore ACCESS_KEY_ID",
		Short: "Reactivate a key seiri disabled (plan; --apply makes it)",
		Example: `  seiri keys restore AKIAIOSFODNN7EXAMPLE                 # the plan
  seiri keys restore AKIAIOSFODNN7EXAMPLE --apply --yes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.KeyID = Arg(args, 0)
			if err := Check(&o.Deps, f, "keys", nil); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return keysRestoreRun(o)
		},
	}
	SnapshotFlag(cmd, &o.Snapshot)
	ApplyFlagVars(cmd, &o.Apply, &o.Yes)
	return cmd
}

// findTracked is the key seiri disabled with id keyID: from the workspace
// (snapshot tags, journal) or else from the live state of the key's owner.
func findTracked(ctx context.Context, d Deps, e *Env, sess *awsclient.Session, keyID string) (*keys.Tracked, error) {
	tracked, problems, err := trackedKeys(ctx, e, sess, d.Now)
	if err != nil {
		return nil, err
	}
	for i := range tracked {
		if tracked[i].AccessKeyID == keyID {
			return &tracked[i], nil
		}
	}
	// Not known to the workspace: read the live state of the key.
	t, more := liveTracked(ctx, e, sess, keyID)
	problems = append(problems, more...)
	if t != nil {
		d.Logger().Debug("keys restore: key found from its live owner's tag", "key", t.AccessKeyID, "account", t.Account, "user", t.User)
		return t, nil
	}
	msg := fmt.Sprintf("access key %q is not a key seiri disabled (no %s tag on its user)", cmdutil.TrimValue(keyID), keys.RetireTag(keyID))
	if len(problems) > 0 {
		msg += "; could not read: " + strings.Join(problems, "; ")
	}
	return nil, cmdutil.BadInput(errors.New(msg))
}

// restoreReason is why a key is restored, journaled: later plans hold the
// key back on it.
func restoreReason(ctx context.Context, e *Env, sess *awsclient.Session, t keys.Tracked, now time.Time) string {
	why := "restored by hand"
	if rs, err := watchAll(ctx, e, sess, []keys.Tracked{t}, now); err == nil && len(rs) == 1 {
		why = "watch: " + string(rs[0].Verdict)
		for _, s := range rs[0].Signals {
			if s.Noisy {
				why += "; " + s.Found
				break
			}
		}
	}
	return why
}

func keysRestoreRun(o *RestoreOptions) error {
	e, sess, caller, err := OpenRun(o.Deps, o.Snapshot)
	if err != nil {
		return err
	}
	defer e.Close()
	t, err := findTracked(o.Ctx, o.Deps, e, sess, o.KeyID)
	if err != nil {
		return err
	}
	p := keys.RestorePlan(*t, "", o.Now())
	if o.Apply {
		why := restoreReason(o.Ctx, e, sess, *t, o.Now())
		if err := plan.OpenJournal(e.WS.Journal(), o.Now).Append(plan.Entry{Plan: p.ID, Phase: plan.Note, Kind: keys.KindRestoreReason,
			Target: t.AccessKeyID, Operator: caller.ARN, Detail: why}); err != nil {
			return err
		}
	}
	_, err = ApplyPlan(o.Deps, ApplyArgs{Apply: o.Apply, Yes: o.Yes, Next: "seiri keys restore " + t.AccessKeyID + " --apply", Operator: caller.ARN,
		ObservationDays: e.Cfg.Keys.ObservationDays},
		e, p, &iamexec.Executor{Clients: IAMClients(sess)})
	return err
}

// DeleteOptions are the inputs of `seiri keys delete`.
type DeleteOptions struct {
	Deps
	Snapshot   string // --snapshot
	KeyID      string // [ACCESS_KEY_ID]
	Force      bool   // --force
	Reason     string // --reason
	Apply, Yes bool   // --apply, --yes
}

// NewCmdKeysDelete parses flags into DeleteOptions and calls runF
// (keysDeleteRun when nil).
func NewCmdKeysDelete(f *cmdutil.Factory, runF func(*DeleteOptions) error) *cobra.Command {
	o := &DeleteOptions{Deps: NewDeps(f)}
	cmd := &cobra.Command{
		Use:   "delete [ACCESS_KEY_ID]",
		Short: "Delete keys disabled at least the observation window ago whose watch stayed quiet",
		Long: `Plan (and with --apply make) the deletion of the keys seiri disabled at least
keys.observation_days ago and whose watch is quiet; every other disabled key is listed
as refused with the reason. The owner is backed up first. --force --reason TEXT
deletes one named key despite a refusal (never a drifted one); the reason is journaled.`,
		Example: `  seiri keys delete --apply --yes
  seiri keys delete AKIA... --force --reason "vendor confirmed decommissioned" --apply`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := CheckForce(o.Force, args, o.Reason, "ACCESS_KEY_ID"); err != nil {
				return err
			}
			o.KeyID = Arg(args, 0)
			if err := Check(&o.Deps, f, "keys", nil); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return keysDeleteRun(o)
		},
	}
	SnapshotFlag(cmd, &o.Snapshot)
	ForceFlags(cmd, &o.Force, &o.Reason, "key")
	ApplyFlagVars(cmd, &o.Apply, &o.Yes)
	return cmd
}

func keysDeleteRun(o *DeleteOptions) error {
	e, sess, caller, err := OpenRun(o.Deps, o.Snapshot)
	if err != nil {
		return err
	}
	defer e.Close()
	tracked, problems, err := trackedKeys(o.Ctx, e, sess, o.Now)
	if err != nil {
		return err
	}
	if o.KeyID != "" {
		var only []keys.Tracked
		for _, t := range tracked {
			if t.AccessKeyID == o.KeyID {
				only = append(only, t)
			}
		}
		if len(only) == 0 {
			return cmdutil.BadInputf("access key %q is not a key seiri disabled", cmdutil.TrimValue(o.KeyID))
		}
		tracked = only
	}
	results, err := watchAll(o.Ctx, e, sess, tracked, o.Now())
	if err != nil {
		return err
	}
	var force *keys.Override
	if o.Force {
		force = &keys.Override{AccessKeyID: o.KeyID, Reason: o.Reason}
	}
	p, _ := keys.DeletePlan(results, "", o.Now(), force)
	for _, pr := range problems {
		p.Warn("keys.unreadable", "could not read: "+pr)
	}
	if o.Force && o.Apply && !p.Empty() {
		j := plan.OpenJournal(e.WS.Journal(), o.Now)
		if err := j.Append(plan.Entry{Plan: p.ID, Phase: plan.Note, Kind: "keys.force", Target: o.KeyID,
			Operator: caller.ARN, Detail: "forced delete: " + o.Reason}); err != nil {
			return err
		}
	}
	_, err = ApplyPlan(o.Deps, ApplyArgs{Apply: o.Apply, Yes: o.Yes, Next: "seiri keys delete --apply", Operator: caller.ARN,
		ObservationDays: e.Cfg.Keys.ObservationDays},
		e, p, &iamexec.Executor{Clients: IAMClients(sess)})
	return err
}
