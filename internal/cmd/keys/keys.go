package keys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/apply"
	"github.com/seiri-dev/seiri/internal/apply/iamexec"
	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// Options are the flags of the keys commands.
type Options struct {
	Snapshot         string
	UnusedDays       int
	IncludeNeverUsed bool
	Apply            bool
	Yes              bool
	Force            bool
	Reason           string
	KeyID            string // restore, delete --force
}

// NewCmd is the `seiri keys` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Retire unused access keys safely: plan, disable, watch, restore, delete",
		Long: `Retire access keys that look unused without breaking anything: a key is first
disabled (reversible), then watched for an observation window (keys.observation_days
in seiri.yaml, default 14) for signs that something still depends on it, and only
deleted when the window stayed quiet. Every write is a plan first; --apply makes it
(asking for confirmation unless --yes), journaled in the workspace and recorded on
the IAM user as a tag (seiri:retire:<AccessKeyId>).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newCmdKeysPlan(f, nil), newCmdKeysDisable(f, nil), newCmdKeysWatch(f, nil),
		newCmdKeysRestore(f, nil), newCmdKeysDelete(f, nil))
	return cmd
}

func SelectFlags(cmd *cobra.Command, o *Options) {
	SnapshotFlag(cmd, &o.Snapshot)
	UnusedDaysFlag(cmd, &o.UnusedDays)
	cmd.Flags().BoolVar(&o.IncludeNeverUsed, "include-never-used", false, "also keys never used at all (older than --days)")
}

func ApplyFlags(cmd *cobra.Command, o *Options) { ApplyFlagVars(cmd, &o.Apply, &o.Yes) }

// The flags the keys and users commands share, each defined once.

// SnapshotFlag is --snapshot.
func SnapshotFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "snapshot", snapshot.Latest, "snapshot to read (folder, name, or latest)")
}

// UnusedDaysFlag is --days (the usage window; --unused-days is its
// deprecated alias).
func UnusedDaysFlag(cmd *cobra.Command, p *int) {
	cmdutil.DaysFlag(cmd.Flags(), p, 90, "no use by any source in the window")
	cmdutil.AliasFlag(cmd.Flags(), "unused-days", "days")
}

// ApplyFlagVars are --apply and --yes.
func ApplyFlagVars(cmd *cobra.Command, apply, yes *bool) {
	cmd.Flags().BoolVar(apply, "apply", false, "make the changes (after confirmation)")
	cmd.Flags().BoolVar(yes, "yes", false, "do not ask for confirmation (scripts)")
}

// ForceFlags are --force and --reason of a delete; what names the thing
// (key, user).
func ForceFlags(cmd *cobra.Command, force *bool, reason *string, what string) {
	cmd.Flags().BoolVar(force, "force", false, "delete the named "+what+" despite a refusal (needs --reason)")
	cmd.Flags().StringVar(reason, "reason", "", "why --force is right (journaled)")
}

// CheckOutput refuses an --output value the keys and users commands do
// not write.
func CheckOutput(f *cmdutil.Factory, group string) error {
	if f.Globals.Output != "table" && f.Globals.Output != "json" {
		return cmdutil.BadInputf("--output %s: %s commands write table or json", f.Globals.Output, group)
	}
	return nil
}

func RunE(f *cmdutil.Factory, o *Options, runF func(*Options) error, run func(*cmdutil.Factory, *Options) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			o.KeyID = strings.TrimSpace(args[0])
		}
		if o.UnusedDays < 1 && cmd.Flags().Lookup("days") != nil {
			return cmdutil.BadInputf("--days %d: must be at least 1", o.UnusedDays)
		}
		if err := CheckOutput(f, "keys"); err != nil {
			return err
		}
		if runF != nil {
			return runF(o)
		}
		return run(f, o)
	}
}

func newCmdKeysPlan(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "List access keys that look unused, with evidence and its coverage (no AWS calls)",
		Long: `List active access keys with no use in --days by every source seiri has:
GetAccessKeyLastUsed and the credential report (from the latest snapshot), CloudTrail
events carrying the key id (from the usage store, see seiri trail scan), and Access
Advisor of the key's owner. For each, the coverage of that evidence: whether a logging
trail covers the account in every region, whether data events are logged for the
resources the owner's policies grant, and how many days of logs were scanned. A key
whose silence might only mean "not logged" is marked and ranked lower.

Excluded: users or keys tagged seiri:keep, and names/ARNs/key ids in keys.allowlist.`,
		Example: `  seiri keys plan --days 90 --include-never-used
  seiri keys plan -o json | jq '.candidates[].accessKeyId'`,
		Args: cobra.NoArgs,
		RunE: RunE(f, o, runF, keysPlanRun),
	}
	SelectFlags(cmd, o)
	return cmd
}

func newCmdKeysDisable(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "disable",
		Short: "Plan (and with --apply make) the deactivation of unused keys",
		Long: `Plan the deactivation of the keys seiri keys plan lists; with --apply, set them
Inactive. Before touching a key seiri backs its owner up into <workspace>/backups/
and records the state on the IAM user as the tag seiri:retire:<AccessKeyId> =
"disabled <time> by <caller>". Refused, whatever the evidence: the key seiri runs with,
any key of the user seiri runs as, and the last active credential of a break-glass
user (keys.break_glass_users).`,
		Example: `  seiri keys disable                 # the plan
  seiri keys disable --apply --yes   # make it`,
		Args: cobra.NoArgs,
		RunE: RunE(f, o, runF, keysDisableRun),
	}
	SelectFlags(cmd, o)
	ApplyFlags(cmd, o)
	return cmd
}

func newCmdKeysWatch(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{}
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
		RunE: RunE(f, o, runF, keysWatchRun),
	}
	SnapshotFlag(cmd, &o.Snapshot)
	return cmd
}

func newCmdKeysRestore(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{}
	cmd := &cobra.Command{
		Use:   "restore ACCESS_KEY_ID",
		Short: "Reactivate a key seiri disabled (plan; --apply makes it)",
		Example: `  seiri keys restore AKIAIOSFODNN7EXAMPLE                 # the plan
  seiri keys restore AKIAIOSFODNN7EXAMPLE --apply --yes`,
		Args: cobra.ExactArgs(1),
		RunE: RunE(f, o, runF, keysRestoreRun),
	}
	SnapshotFlag(cmd, &o.Snapshot)
	ApplyFlags(cmd, o)
	return cmd
}

func newCmdKeysDelete(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{}
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
			if o.Force && (len(args) == 0 || strings.TrimSpace(o.Reason) == "") {
				return cmdutil.BadInputf("--force needs one ACCESS_KEY_ID and --reason TEXT")
			}
			return RunE(f, o, runF, keysDeleteRun)(cmd, args)
		},
	}
	SnapshotFlag(cmd, &o.Snapshot)
	ForceFlags(cmd, &o.Force, &o.Reason, "key")
	ApplyFlags(cmd, o)
	return cmd
}

// Env is what the keys commands load.
type Env struct {
	WS   *workspace.Workspace
	Cfg  *config.Config
	Snap *snapshot.Snapshot
	St   *usage.Store // nil when there is no usage store yet
	// Log is the command's logger (decisions and file handling at debug).
	Log  *slog.Logger
	logs []usage.LogCoverage
	// logsRead is set once logs were read from the store.
	logsRead bool
}

// WatchEvidence is what the watch of a key (keyID "" for a quarantined
// user) can rest on: the scanned logs of its account, the trails and the
// owner's Access Advisor in the snapshot.
func (e *Env) WatchEvidence(ctx context.Context, account, user, keyID string) (*keys.WatchEvidence, error) {
	if e.St != nil && !e.logsRead {
		logs, _, err := e.St.LogCoverageOf(ctx)
		if err != nil {
			return nil, err
		}
		e.logs, e.logsRead = logs, true
	}
	ev := keys.EvidenceOf(e.Snap, account, user, e.St != nil, e.logs, keyID)
	return &ev, nil
}

// Debug logs at debug level when the environment has a logger.
func (e *Env) Debug(msg string, args ...any) {
	if e.Log != nil {
		e.Log.Debug(msg, args...)
	}
}

// Close closes the usage store.
func (e *Env) Close() {
	if e.St != nil {
		e.St.Close()
	}
}

func LoadEnv(f *cmdutil.Factory, ref string) (*Env, error) {
	ws, err := f.ReadWorkspace()
	if err != nil {
		return nil, err
	}
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	s, err := snapshot.Load(ws.SnapshotsDir(), ref)
	if err != nil {
		return nil, cmdutil.BadInput(fmt.Errorf("%w (run seiri collect first)", err))
	}
	e := &Env{WS: ws, Cfg: cfg, Snap: s, Log: f.Logger()}
	e.Log.Debug("snapshot loaded", "dir", s.Dir, "collected", s.Manifest.FinishedAt, "accounts", len(s.Accounts))
	if _, err := os.Stat(ws.UsageDB()); err == nil {
		st, err := cmdutil.OpenUsageStore(f.Context, ws)
		if err != nil {
			return nil, err
		}
		e.St = st
		e.Log.Debug("usage store opened", "path", ws.UsageDB())
	} else {
		e.Log.Debug("no usage store", "path", ws.UsageDB())
	}
	return e, nil
}

// KeysInput loads the analysis input: key usage rows for the snapshot's keys
// and the scan runs.
func LoadInput(ctx context.Context, e *Env, now time.Time, caller keys.Caller) (keys.Input, error) {
	in := keys.Input{Snapshot: e.Snap, Config: e.Cfg.Keys, Now: now, Caller: caller, KeyUsage: map[string][]usage.Row{}, Log: e.Log}
	es, err := plan.OpenJournal(e.WS.Journal(), nil).Entries()
	if err != nil {
		return in, err
	}
	e.Debug("journal read", "path", e.WS.Journal(), "entries", len(es))
	in.Restores = keys.RestoresOf(es)
	if e.St == nil {
		return in, nil
	}
	for _, a := range e.Snap.Accounts {
		for _, u := range a.Users {
			for _, k := range u.AccessKeys {
				rows, err := e.St.Usage(ctx, usage.Query{AccessKeyID: k.AccessKeyID})
				if err != nil {
					return in, err
				}
				if len(rows) > 0 {
					in.KeyUsage[k.AccessKeyID] = rows
				}
			}
		}
	}
	runs, err := e.St.Runs(ctx, 0)
	if err != nil {
		return in, err
	}
	// A scan without --since/--until covers what its logs held: bound it
	// by the store's first and last event.
	var tot usage.Totals
	for i := range runs {
		if runs[i].Since.IsZero() || runs[i].Until.IsZero() {
			if tot.Rows == 0 {
				if tot, err = e.St.Totals(ctx); err != nil {
					return in, err
				}
			}
			if runs[i].Since.IsZero() {
				runs[i].Since = tot.FirstSeen
			}
			if runs[i].Until.IsZero() {
				runs[i].Until = tot.LastSeen
			}
		}
	}
	// Coverage is counted per account and region from the scanned log
	// files (keys.LogCoverage), not from a scan's --since: a trail created
	// today is not "complete (703 days of logs)".
	logs, _, err := e.St.LogCoverageOf(ctx)
	if err != nil {
		return in, err
	}
	in.Logs = logs
	in.Runs = runs
	return in, nil
}

func keysPlanRun(f *cmdutil.Factory, o *Options) error {
	e, err := LoadEnv(f, o.Snapshot)
	if err != nil {
		return err
	}
	defer e.Close()
	in, err := LoadInput(f.Context, e, f.Now(), keys.Caller{ARN: e.Snap.Manifest.CallerARN})
	if err != nil {
		return err
	}
	res := keys.Candidates(in, keys.Options{UnusedDays: o.UnusedDays, IncludeNeverUsed: o.IncludeNeverUsed})
	if f.Globals.Output == "json" {
		return cmdutil.WriteJSON(f.IO.Out, res)
	}
	fmt.Fprintf(f.IO.Out, "%s\n\n", cmdutil.SnapshotLine(e.Snap))
	keys.RenderCandidates(f.IO.Out, res, f.Now(), e.UsageNote())
	if len(res.Candidates) > 0 {
		fmt.Fprintln(f.IO.Out, "\nNext: seiri keys disable --apply")
	}
	return nil
}

// UsageNote says how much usage evidence there is.
func (e *Env) UsageNote() string {
	if e.St == nil {
		return "no usage store: CloudTrail evidence is missing (run seiri trail scan)"
	}
	return ""
}

// Session opens AWS and returns the caller (with the current access key
// id, never its secret).
// OpenRun loads the workspace state (snapshot, usage store) and an AWS
// session for a keys or users command that talks to IAM; the caller closes
// the returned environment.
func OpenRun(f *cmdutil.Factory, o *Options) (*Env, *awsclient.Session, keys.Caller, error) {
	return OpenRunAt(f, o.Snapshot)
}

// OpenRunAt is OpenRun for the snapshot ref.
func OpenRunAt(f *cmdutil.Factory, ref string) (*Env, *awsclient.Session, keys.Caller, error) {
	e, err := LoadEnv(f, ref)
	if err != nil {
		return nil, nil, keys.Caller{}, err
	}
	sess, caller, err := Session(f)
	if err != nil {
		e.Close()
		return nil, nil, keys.Caller{}, err
	}
	return e, sess, caller, nil
}

func Session(f *cmdutil.Factory) (*awsclient.Session, keys.Caller, error) {
	sess, err := awsclient.New(f.Context, f.Globals.AWS)
	if err != nil {
		return nil, keys.Caller{}, err
	}
	c := keys.Caller{ARN: sess.Caller().ARN}
	if creds, err := sess.Config().Credentials.Retrieve(f.Context); err == nil {
		c.AccessKeyID = creds.AccessKeyID
	}
	return sess, c, nil
}

func IAMClients(sess *awsclient.Session) func(context.Context, string) (iamexec.IAM, error) {
	return func(ctx context.Context, account string) (iamexec.IAM, error) {
		c, err := sess.ForAccount(ctx, account)
		if err != nil {
			return nil, err
		}
		return c.IAM, nil
	}
}

// ApplyPlan shows p and, with --apply, runs it through the one apply flow
// (confirm, workspace lock, journal, progress, summary, exit code 3 when a
// change failed) with the key and user executor.
func ApplyPlan(f *cmdutil.Factory, o *Options, e *Env, p *plan.Plan, exec *iamexec.Executor, operator string) (*plan.Result, error) {
	return ApplyPlanAs(f, o.Apply, o.Yes, e, p, exec, operator)
}

// ApplyPlanAs is ApplyPlan with --apply and --yes given as values.
func ApplyPlanAs(f *cmdutil.Factory, doApply, yes bool, e *Env, p *plan.Plan, exec *iamexec.Executor, operator string) (*plan.Result, error) {
	if f.Globals.Output == "json" && !doApply {
		return nil, cmdutil.WriteJSON(f.IO.Out, p)
	}
	if !doApply {
		if e.Snap != nil {
			fmt.Fprintf(f.IO.Out, "%s\n\n", cmdutil.SnapshotLine(e.Snap))
		}
		p.Render(f.IO.Out)
		if !p.Empty() {
			fmt.Fprintln(f.IO.Out, "\nNothing changed. Run again with --apply to make these changes.")
		}
		return nil, nil
	}
	j := plan.OpenJournal(e.WS.Journal(), f.Now)
	f.Logger().Debug("applying plan", "plan", p.ID, "changes", len(p.Changes), "journal", e.WS.Journal(), "backups", e.WS.BackupsDir(), "lock", e.WS.LockFile())
	exec.Operator, exec.Now = operator, f.Now
	exec.Snapshot, exec.BackupDir = e.Snap, e.WS.BackupsDir()
	before, after := exec.FlowHooks(j, p)
	out, err := f.Apply(apply.Flow{Plan: p, Executor: exec, Journal: j, LockPath: e.WS.LockFile(), Operator: operator,
		Before: before, After: after}, yes)
	return out.Result, err
}

func keysDisableRun(f *cmdutil.Factory, o *Options) error {
	e, err := LoadEnv(f, o.Snapshot)
	if err != nil {
		return err
	}
	defer e.Close()
	sess, caller, err := Session(f)
	var noCreds *awsclient.CredentialsError
	if err != nil && !o.Apply && errors.As(err, &noCreds) {
		// The plan needs only the snapshot and the usage store: compute it
		// without AWS (the caller as the snapshot recorded it) and say that
		// applying needs credentials.
		f.Logger().Debug("keys disable: planning without AWS credentials", "reason", noCreds.Kind)
		fmt.Fprintf(f.IO.ErrOut, "seiri: note: plan computed from snapshot %s without AWS credentials; applying it needs them: %v\n", filepath.Base(e.Snap.Dir), noCreds)
		caller, err = keys.Caller{ARN: e.Snap.Manifest.CallerARN}, nil
	}
	if err != nil {
		return err
	}
	in, err := LoadInput(f.Context, e, f.Now(), caller)
	if err != nil {
		return err
	}
	res := keys.Candidates(in, keys.Options{UnusedDays: o.UnusedDays, IncludeNeverUsed: o.IncludeNeverUsed})
	p, _ := keys.DisablePlan(res.Candidates, e.Snap.Dir, caller.ARN, f.Now())
	for _, x := range res.Excluded {
		if strings.HasPrefix(x.Reason, "restored ") {
			p.Warn("keys.held-back", fmt.Sprintf("held back [%s] %s %s: %s", x.Account, x.User, x.AccessKeyID, x.Reason))
		}
	}
	if n := e.UsageNote(); n != "" {
		p.Warn("keys.usage", n)
	}
	var clients func(context.Context, string) (iamexec.IAM, error)
	if sess != nil {
		clients = IAMClients(sess)
	}
	_, err = ApplyPlan(f, o, e, p, &iamexec.Executor{Clients: clients}, caller.ARN)
	return err
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

func keysWatchRun(f *cmdutil.Factory, o *Options) error {
	e, sess, _, err := OpenRun(f, o)
	if err != nil {
		return err
	}
	defer e.Close()
	tracked, problems, err := trackedKeys(f.Context, e, sess, f.Now)
	if err != nil {
		return err
	}
	results, err := watchAll(f.Context, e, sess, tracked, f.Now())
	if err != nil {
		return err
	}
	if f.Globals.Output == "json" {
		if err := cmdutil.WriteJSON(f.IO.Out, map[string]any{"keys": results, "problems": problems}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(f.IO.Out, "%s\n\n", cmdutil.SnapshotLine(e.Snap))
		RenderWatch(f.IO.Out, results, problems, e.UsageNote())
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

// RenderWatch writes one block per watched key: verdict, days left, and
// every signal checked with what it found.
func RenderWatch(w io.Writer, results []keys.WatchResult, problems []string, note string) {
	if note != "" {
		fmt.Fprintf(w, "! %s: nothing can be judged quiet, and delete refuses every key\n\n", note)
	}
	if len(results) == 0 {
		fmt.Fprintln(w, "No key disabled by seiri is being watched.")
	}
	counts := map[keys.Verdict]int{}
	for _, r := range results {
		counts[r.Verdict]++
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
	fmt.Fprintf(w, "\n%d watched: %d quiet, %d noisy, %d drifted, %d not watched.\n", len(results), counts[keys.Quiet], counts[keys.Noisy], counts[keys.Drifted], counts[keys.Unwatched])
}

func keysRestoreRun(f *cmdutil.Factory, o *Options) error {
	e, sess, caller, err := OpenRun(f, o)
	if err != nil {
		return err
	}
	defer e.Close()
	tracked, problems, err := trackedKeys(f.Context, e, sess, f.Now)
	if err != nil {
		return err
	}
	var t *keys.Tracked
	for i := range tracked {
		if tracked[i].AccessKeyID == o.KeyID {
			t = &tracked[i]
		}
	}
	if t == nil {
		// Not known to the workspace: read the live state of the key.
		var more []string
		t, more = liveTracked(f.Context, e, sess, o.KeyID)
		problems = append(problems, more...)
		if t != nil {
			f.Logger().Debug("keys restore: key found from its live owner's tag", "key", t.AccessKeyID, "account", t.Account, "user", t.User)
		}
	}
	if t == nil {
		msg := fmt.Sprintf("access key %q is not a key seiri disabled (no %s tag on its user)", cmdutil.TrimValue(o.KeyID), keys.RetireTag(o.KeyID))
		if len(problems) > 0 {
			msg += "; could not read: " + strings.Join(problems, "; ")
		}
		return cmdutil.BadInput(errors.New(msg))
	}
	p := keys.RestorePlan(*t, "", f.Now())
	if o.Apply {
		// Why it was restored: later plans hold the key back on it.
		why := "restored by hand"
		if rs, err := watchAll(f.Context, e, sess, []keys.Tracked{*t}, f.Now()); err == nil && len(rs) == 1 {
			why = "watch: " + string(rs[0].Verdict)
			for _, s := range rs[0].Signals {
				if s.Noisy {
					why += "; " + s.Found
					break
				}
			}
		}
		if err := plan.OpenJournal(e.WS.Journal(), f.Now).Append(plan.Entry{Plan: p.ID, Phase: plan.Note, Kind: keys.KindRestoreReason,
			Target: t.AccessKeyID, Operator: caller.ARN, Detail: why}); err != nil {
			return err
		}
	}
	_, err = ApplyPlan(f, o, e, p, &iamexec.Executor{Clients: IAMClients(sess)}, caller.ARN)
	return err
}

func keysDeleteRun(f *cmdutil.Factory, o *Options) error {
	e, sess, caller, err := OpenRun(f, o)
	if err != nil {
		return err
	}
	defer e.Close()
	tracked, problems, err := trackedKeys(f.Context, e, sess, f.Now)
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
	results, err := watchAll(f.Context, e, sess, tracked, f.Now())
	if err != nil {
		return err
	}
	var force *keys.Override
	if o.Force {
		force = &keys.Override{AccessKeyID: o.KeyID, Reason: o.Reason}
	}
	p, _ := keys.DeletePlan(results, "", f.Now(), force)
	for _, pr := range problems {
		p.Warn("keys.unreadable", "could not read: "+pr)
	}
	if o.Force && o.Apply && !p.Empty() {
		j := plan.OpenJournal(e.WS.Journal(), f.Now)
		if err := j.Append(plan.Entry{Plan: p.ID, Phase: plan.Note, Kind: "keys.force", Target: o.KeyID,
			Operator: caller.ARN, Detail: "forced delete: " + o.Reason}); err != nil {
			return err
		}
	}
	_, err = ApplyPlan(f, o, e, p, &iamexec.Executor{Clients: IAMClients(sess)}, caller.ARN)
	return err
}

// NewCmdPermissions is `seiri permissions keys`.
func NewCmdPermissions(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "keys",
		Short:   "Print the IAM policy the keys commands need",
		Example: `  seiri permissions keys > seiri-keys-policy.json`,
		Long: `Print the identity policy for the principal that runs seiri keys disable, watch,
restore and delete (in every account: the member-account role needs the same IAM
actions). seiri keys plan reads only the workspace.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := f.IO.Out.Write(keys.PolicyJSON())
			return err
		},
	}
}
