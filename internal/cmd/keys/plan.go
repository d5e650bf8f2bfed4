package keys

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/apply/iamexec"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// PlanOptions are the inputs of `seiri keys plan`.
type PlanOptions struct {
	Deps
	Snapshot         string // --snapshot
	UnusedDays       int    // --days
	IncludeNeverUsed bool   // --include-never-used
}

// NewCmdKeysPlan parses flags into PlanOptions and calls runF (keysPlanRun
// when nil).
func NewCmdKeysPlan(f *cmdutil.Factory, runF func(*PlanOptions) error) *cobra.Command {
	o := &PlanOptions{Deps: NewDeps(f)}
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
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := Check(&o.Deps, f, "keys", &o.UnusedDays); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return keysPlanRun(o)
		},
	}
	SnapshotFlag(cmd, &o.Snapshot)
	UnusedDaysFlag(cmd, &o.UnusedDays)
	NeverUsedFlag(cmd, &o.IncludeNeverUsed)
	return cmd
}

// Window is the usage window a plan judged: the last Days days, ending
// at Until (the time of the plan).
type Window struct {
	Days  int       `json:"days"`
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
}

// WindowOf is the window of the last days days before now.
func WindowOf(days int, now time.Time) Window {
	return Window{Days: days, Since: now.AddDate(0, 0, -days).UTC(), Until: now.UTC()}
}

// String is the window line of a text report.
func (w Window) String() string {
	return fmt.Sprintf("usage window: the last %d days, %s to %s (last used, credential report, CloudTrail, Access Advisor)",
		w.Days, w.Since.Format("2006-01-02"), w.Until.Format("2006-01-02"))
}

// Header writes the snapshot line and, when w is not nil, the usage window
// line of a text report.
func Header(d Deps, s *snapshot.Snapshot, w *Window) {
	fmt.Fprintln(d.IO.Out, cmdutil.SnapshotLine(s))
	if w != nil {
		fmt.Fprintln(d.IO.Out, w)
	}
	fmt.Fprintln(d.IO.Out)
}

// planJSON is the JSON of keys plan: the result, named by its snapshot and
// window.
type planJSON struct {
	Snapshot string `json:"snapshot"`
	Window   Window `json:"usageWindow"`
	keys.Result
}

func keysPlanRun(o *PlanOptions) error {
	e, err := LoadEnv(o.Deps, o.Snapshot)
	if err != nil {
		return err
	}
	defer e.Close()
	now := o.Now()
	in, err := LoadInput(o.Ctx, e, now, keys.Caller{ARN: e.Snap.Manifest.CallerARN})
	if err != nil {
		return err
	}
	res := keys.Candidates(in, keys.Options{UnusedDays: o.UnusedDays, IncludeNeverUsed: o.IncludeNeverUsed})
	win := WindowOf(o.UnusedDays, now)
	if o.Output == "json" {
		return cmdutil.WriteJSON(o.IO.Out, planJSON{Snapshot: SnapshotBase(e.Snap), Window: win, Result: res})
	}
	Header(o.Deps, e.Snap, &win)
	keys.RenderCandidates(o.IO.Out, res, now, e.UsageNote())
	if len(res.Candidates) > 0 {
		fmt.Fprintln(o.IO.Out, "\nNext: seiri keys disable --apply")
	}
	return nil
}

// DisableOptions are the inputs of `seiri keys disable`.
type DisableOptions struct {
	Deps
	Snapshot         string // --snapshot
	UnusedDays       int    // --days
	IncludeNeverUsed bool   // --include-never-used
	Apply, Yes       bool   // --apply, --yes
}

// NewCmdKeysDisable parses flags into DisableOptions and calls runF
// (keysDisableRun when nil).
func NewCmdKeysDisable(f *cmdutil.Factory, runF func(*DisableOptions) error) *cobra.Command {
	o := &DisableOptions{Deps: NewDeps(f)}
	cmd := &cobra.Command{
		Use:   "disable",
		Short: "Plan (and with --apply make) the deactivation of unused keys",
		Long: `Plan the deactivation of the keys seiri keys plan lists; with --apply, set them
Inactive. Before touching a key seiri backs its owner up into <workspace>/backups/
and records the state on the IAM user as the tag seiri:retire:<AccessKeyId> =
"disabled <time> by <caller>". Refused, whatever the evidence: the key seiri runs with,
any key of the user seiri runs as, and the last active credential of a break-glass
user (keys.break_glass_users).

The plan needs only the workspace: without AWS credentials it is computed from
the snapshot (and says so); --apply needs them.`,
		Example: `  seiri keys disable                 # the plan
  seiri keys disable --apply --yes   # make it`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := Check(&o.Deps, f, "keys", &o.UnusedDays); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return keysDisableRun(o)
		},
	}
	SnapshotFlag(cmd, &o.Snapshot)
	UnusedDaysFlag(cmd, &o.UnusedDays)
	NeverUsedFlag(cmd, &o.IncludeNeverUsed)
	ApplyFlagVars(cmd, &o.Apply, &o.Yes)
	return cmd
}

func keysDisableRun(o *DisableOptions) error {
	e, err := LoadEnv(o.Deps, o.Snapshot)
	if err != nil {
		return err
	}
	defer e.Close()
	sess, caller, err := PlanSession(o.Deps, e, o.Apply, "keys disable")
	if err != nil {
		return err
	}
	now := o.Now()
	in, err := LoadInput(o.Ctx, e, now, caller)
	if err != nil {
		return err
	}
	res := keys.Candidates(in, keys.Options{UnusedDays: o.UnusedDays, IncludeNeverUsed: o.IncludeNeverUsed})
	p, _ := keys.DisablePlan(res.Candidates, e.Snap.Dir, caller.ARN, now)
	for _, x := range res.Excluded {
		if strings.HasPrefix(x.Reason, "restored ") {
			p.Warn("keys.held-back", fmt.Sprintf("held back [%s] %s %s: %s", x.Account, x.User, x.AccessKeyID, x.Reason))
		}
	}
	if n := e.UsageNote(); n != "" {
		p.Warn("keys.usage", n)
	}
	win := WindowOf(o.UnusedDays, now)
	_, err = ApplyPlan(o.Deps, ApplyArgs{Apply: o.Apply, Yes: o.Yes, Next: "seiri keys disable --apply", Operator: caller.ARN, Window: &win},
		e, p, &iamexec.Executor{Clients: IAMClients(sess)})
	return err
}

// planView is the JSON of a plan that was not applied: the plan, named by
// its snapshot and (for a plan judged over a window) its usage window.
type planView struct {
	*plan.Plan
	Snapshot        string  `json:"snapshot,omitempty"`
	Window          *Window `json:"usageWindow,omitempty"`
	ObservationDays int     `json:"observationDays,omitempty"`
	Backup          string  `json:"backup,omitempty"`
}
