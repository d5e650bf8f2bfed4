package keys

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
	"github.com/seiri-dev/seiri/internal/workspace"
)

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
	cmd.AddCommand(NewCmdKeysPlan(f, nil), NewCmdKeysDisable(f, nil), NewCmdKeysWatch(f, nil),
		NewCmdKeysRestore(f, nil), NewCmdKeysDelete(f, nil))
	return cmd
}

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

// NeverUsedFlag is --include-never-used.
func NeverUsedFlag(cmd *cobra.Command, p *bool) {
	cmd.Flags().BoolVar(p, "include-never-used", false, "also keys never used at all (older than --days)")
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

// Check is what every keys and users command checks once its flags are
// parsed: --days (when days is not nil) and --output.
func Check(d *Deps, f *cmdutil.Factory, group string, days *int) error {
	d.Bind(f)
	if days != nil && *days < 1 {
		return cmdutil.BadInputf("--days %d: must be at least 1", *days)
	}
	return d.CheckOutput(group)
}

// Arg is the positional argument args[i], trimmed ("" when absent).
func Arg(args []string, i int) string {
	if len(args) > i {
		return strings.TrimSpace(args[i])
	}
	return ""
}

// CheckForce refuses --force without one named target and a --reason.
func CheckForce(force bool, args []string, reason, what string) error {
	if force && (len(args) == 0 || strings.TrimSpace(reason) == "") {
		return cmdutil.BadInputf("--force needs one %s and --reason TEXT", what)
	}
	return nil
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

// UsageNote says how much usage evidence there is.
func (e *Env) UsageNote() string {
	if e.St == nil {
		return "no usage store: CloudTrail evidence is missing (run seiri trail scan)"
	}
	return ""
}

// LoadInput loads the analysis input: key usage rows for the snapshot's
// keys, the scan runs and the scanned log coverage.
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
	if in.Runs, err = boundedRuns(ctx, e.St); err != nil {
		return in, err
	}
	// Coverage is counted per account and region from the scanned log
	// files (keys.LogCoverage), not from a scan's --since: a trail created
	// today is not "complete (703 days of logs)".
	if in.Logs, _, err = e.St.LogCoverageOf(ctx); err != nil {
		return in, err
	}
	return in, nil
}

// boundedRuns are the store's scan runs; a scan without --since/--until
// covers what its logs held: bound it by the store's first and last event.
func boundedRuns(ctx context.Context, st *usage.Store) ([]usage.Run, error) {
	runs, err := st.Runs(ctx, 0)
	if err != nil {
		return nil, err
	}
	var tot usage.Totals
	for i := range runs {
		if !runs[i].Since.IsZero() && !runs[i].Until.IsZero() {
			continue
		}
		if tot.Rows == 0 {
			if tot, err = st.Totals(ctx); err != nil {
				return nil, err
			}
		}
		if runs[i].Since.IsZero() {
			runs[i].Since = tot.FirstSeen
		}
		if runs[i].Until.IsZero() {
			runs[i].Until = tot.LastSeen
		}
	}
	return runs, nil
}

// NewCmdPermissions is `seiri permissions keys`.
func NewCmdPermissions(f *cmdutil.Factory) *cobra.Command {
	out := f.IO
	return &cobra.Command{
		Use:     "keys",
		Short:   "Print the IAM policy the keys commands need",
		Example: `  seiri permissions keys > seiri-keys-policy.json`,
		Long: `Print the identity policy for the principal that runs seiri keys disable, watch,
restore and delete (in every account: the member-account role needs the same IAM
actions). seiri keys plan reads only the workspace.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := out.Out.Write(keys.PolicyJSON())
			return err
		},
	}
}
