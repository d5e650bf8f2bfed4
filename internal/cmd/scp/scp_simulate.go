package scp

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	orgcmd "github.com/seiri-dev/seiri/internal/cmd/org"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// ScpSimulateOptions are `seiri scp simulate`'s inputs.
type ScpSimulateOptions struct {
	Deps
	Policy   string
	Target   string
	Type     string
	Snapshot string
	Days     int
}

// NewCmdScpSimulate builds `seiri scp simulate`.
func NewCmdScpSimulate(f *cmdutil.Factory, runF func(*ScpSimulateOptions) error) *cobra.Command {
	opts := &ScpSimulateOptions{Deps: newDeps(f)}
	cmd := &cobra.Command{
		Use:   "simulate --policy FILE --target TARGET",
		Short: "Replay recorded usage through a draft SCP (or RCP) attached to a target",
		Example: `  seiri scp simulate --policy deny-regions.json --target Workloads
  seiri scp simulate --policy deny-regions.json --target 555555555555 --days 90 -o json`,
		Long: `simulate attaches a draft policy to an OU (by path, e.g. Workloads/Prod), an
account or the root of a snapshot's organization, and replays the recorded usage
(the usage store, last --days days) of every account below it through the old
and the new policy chain with the policy engine. It prints what the draft would
newly deny, after the snapshot and the usage (window, store, scanned sources)
it used. Nothing is written to AWS.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Policy == "" || opts.Target == "" {
				return cmdutil.BadInputf("--policy FILE and --target OU|ACCOUNT|root are required")
			}
			if opts.Days <= 0 {
				return cmdutil.BadInputf("--days must be positive")
			}
			opts.bind(f)
			if runF != nil {
				return runF(opts)
			}
			return scpSimulateRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Policy, "policy", "", "the draft policy document (JSON file)")
	fl.StringVar(&opts.Target, "target", "", "where to attach it: OU path or id, account id, or root")
	fl.StringVar(&opts.Type, "type", "scp", "policy type: scp or rcp")
	fl.StringVar(&opts.Snapshot, "snapshot", snapshot.Latest, "snapshot holding the organization")
	fl.IntVar(&opts.Days, "days", 30, "usage window, in days")
	return cmd
}

// orgSnapshot opens the workspace (read-only) and the snapshot ref, which
// must hold an organization.
func (d *Deps) orgSnapshot(ref string) (*workspace.Workspace, *snapshot.Snapshot, error) {
	ws, err := d.Workspace()
	if err != nil {
		return nil, nil, err
	}
	s, err := snapshot.Load(ws.SnapshotsDir(), ref)
	if err != nil {
		return nil, nil, cmdutil.BadInput(err)
	}
	if s.Organization == nil {
		return nil, nil, cmdutil.BadInputf("snapshot %s has no organization (collected without --org, or without Organizations access?)", filepath.Base(s.Dir))
	}
	return ws, s, nil
}

// Usage is the recorded usage a command replayed: the store, the window
// and the sources whose scans fed the store.
type Usage struct {
	Store   string    `json:"store"`
	Days    int       `json:"days"`
	Since   time.Time `json:"since"`
	Until   time.Time `json:"until"`
	Sources []string  `json:"sources"`
	Rows    int       `json:"rows"`
	rows    []usage.Row
}

// readUsage reads the authorization rows of accounts last seen in the
// window of days before now; nil (no error) when the workspace has no
// usage store.
func (d *Deps) readUsage(ws *workspace.Workspace, accounts []string, days int) (*Usage, error) {
	if _, err := os.Lstat(ws.UsageDB()); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	ctx := d.Context
	st, err := usage.OpenReadOnly(ctx, ws.UsageDB())
	if err != nil {
		return nil, err
	}
	defer st.Close()
	now := d.Now().UTC()
	u := &Usage{Store: ws.UsageDB(), Days: days, Since: now.AddDate(0, 0, -days), Until: now}
	if u.Sources, err = st.Sources(ctx); err != nil {
		return nil, err
	}
	if u.Sources == nil {
		u.Sources = []string{}
	}
	for _, a := range accounts {
		rows, err := st.Usage(ctx, usage.Query{Account: a, Since: u.Since, AuthzOnly: true})
		if err != nil {
			return nil, err
		}
		u.rows = append(u.rows, rows...)
	}
	u.Rows = len(u.rows)
	return u, nil
}

// line names the usage for the table output.
func (u *Usage) line() string {
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	src := "no scan recorded"
	if len(u.Sources) > 0 {
		src = "scans of " + strings.Join(u.Sources, ", ")
	}
	return fmt.Sprintf("usage: last %d days (%s to %s), %d rows, from %s (%s)", u.Days, day(u.Since), day(u.Until), u.Rows, u.Store, src)
}

// simulateJSON is `scp simulate -o json`: what was used, then the impact.
type simulateJSON struct {
	Snapshot string `json:"snapshot"`
	Usage    *Usage `json:"usage"`
	*org.Impact
}

func scpSimulateRun(opts *ScpSimulateOptions) error {
	var t org.PolicyType
	switch strings.ToLower(opts.Type) {
	case "scp":
		t = org.SCP
	case "rcp":
		t = org.RCP
	default:
		return cmdutil.BadInputf("--type %q: want scp or rcp", cmdutil.TrimValue(opts.Type))
	}
	doc, err := os.ReadFile(opts.Policy)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	if err := orgcmd.ValidatePolicy(opts.Catalog())(doc, string(t)); err != nil {
		return cmdutil.BadInputf("%s: %v", opts.Policy, err)
	}
	ws, s, err := opts.orgSnapshot(opts.Snapshot)
	if err != nil {
		return err
	}
	o := s.Organization
	before, err := org.FromSnapshot(o)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	key, err := before.TargetKey(opts.Target)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	after, err := before.WithDraft("draft:"+opts.Policy, t, string(doc), key)
	if err != nil {
		return cmdutil.BadInputf("%s: %v", opts.Policy, err)
	}
	affected := org.AffectedAccounts(before, after)
	u, err := opts.readUsage(ws, affected, opts.Days)
	if err != nil {
		return err
	}
	if u == nil {
		return cmdutil.BadInputf("no usage store in the workspace: run seiri trail scan first")
	}
	im := &org.Impact{}
	if len(affected) > 0 {
		if im, err = org.Replay(before, after, u.rows, org.ReplayOptions{OrgID: o.ID, Now: opts.Now(), RCPServices: cmdutil.RCPServices(opts.Catalog)}); err != nil {
			return err
		}
	}
	if opts.Output == "json" {
		return cmdutil.WriteJSON(opts.IO.Out, simulateJSON{Snapshot: filepath.Base(s.Dir), Usage: u, Impact: im})
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "%s\n%s\n", cmdutil.SnapshotLine(s), u.line())
	fmt.Fprintf(w, "draft %s attached to %s (%d account(s) below it), usage of the last %d days:\n", opts.Policy, opts.Target, len(im.AffectedAccounts), opts.Days)
	im.Write(w, "")
	return nil
}

// ScpSuggestOptions are `seiri scp suggest`'s inputs.
type ScpSuggestOptions struct {
	Deps
	Target   string
	Snapshot string
	Days     int
	Keep     []string
}

// NewCmdScpSuggest builds `seiri scp suggest`.
func NewCmdScpSuggest(f *cmdutil.Factory, runF func(*ScpSuggestOptions) error) *cobra.Command {
	opts := &ScpSuggestOptions{Deps: newDeps(f)}
	cmd := &cobra.Command{
		Use:   "suggest --target OU",
		Short: "Propose a service-deny SCP for the services nobody under an OU used",
		Example: `  seiri scp suggest --target Workloads
  seiri scp suggest --target Workloads --keep sts,cloudwatch --days 180`,
		Long: `suggest reads the recorded usage (last --days days) of every account under the
OU and proposes an SCP denying every service none of them used, with the replay
impact (zero by construction) and the services it leaves open.

Two witnesses: the CloudTrail usage (seiri trail scan) and the OU's
Organizations access report (IAM Access Advisor for the OU, gathered by
seiri collect --org). A service is denied only when neither shows it used in
the window. Without a report, CloudTrail alone decides, and CloudTrail logs no
data events by default: a service used only through them looks unused.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Target == "" || opts.Days <= 0 {
				return cmdutil.BadInputf("--target OU is required and --days must be positive")
			}
			opts.bind(f)
			if runF != nil {
				return runF(opts)
			}
			return scpSuggestRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Target, "target", "", "the OU (path or id), or root")
	fl.StringVar(&opts.Snapshot, "snapshot", snapshot.Latest, "snapshot holding the organization")
	fl.IntVar(&opts.Days, "days", 90, "usage window, in days")
	fl.StringSliceVar(&opts.Keep, "keep", org.SuggestKeep, "services always left open")
	return cmd
}

func scpSuggestRun(opts *ScpSuggestOptions) error {
	ws, s, err := opts.orgSnapshot(opts.Snapshot)
	if err != nil {
		return err
	}
	o := s.Organization
	before, err := org.FromSnapshot(o)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	key, err := before.TargetKey(opts.Target)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	if strings.HasPrefix(key, "account:") {
		return cmdutil.BadInputf("--target: name an OU or root")
	}
	accounts := before.AccountsUnder(strings.TrimPrefix(key, "ou:"))
	if key == org.RootTarget {
		accounts = before.AccountsUnder("")
	}
	u, err := opts.readUsage(ws, accounts, opts.Days)
	if err != nil {
		return err
	}
	var rows []usage.Row
	if u != nil {
		rows = u.rows
	}
	// The Organizations access report of the target (collect --org) is the
	// second witness; without it the suggestion rests on CloudTrail alone.
	rep := org.AccessReportFor(o, before.TargetID(key))
	since := opts.Now().AddDate(0, 0, -opts.Days)
	if u == nil && rep == nil {
		return cmdutil.BadInputf("no usage store in the workspace and no Organizations access report for %s in the snapshot: run seiri trail scan (or seiri collect --org) first", opts.Target)
	}
	sg := org.SuggestWithReport(rows, rep, since, opts.Keep)
	if len(sg.Used) == 0 {
		return cmdutil.BadInputf("no recorded usage for the %d account(s) under %s in the last %d days (sources: %s): a suggestion would deny everything", len(accounts), opts.Target, opts.Days, strings.Join(sg.Sources, ", "))
	}
	after, err := before.WithDraft("suggested", org.SCP, sg.Content, key)
	if err != nil {
		return err
	}
	im, err := org.Replay(before, after, rows, org.ReplayOptions{OrgID: o.ID, Now: opts.Now(), RCPServices: cmdutil.RCPServices(opts.Catalog)})
	if err != nil {
		return err
	}
	if opts.Output == "json" {
		return cmdutil.WriteJSON(opts.IO.Out, struct {
			Snapshot string `json:"snapshot"`
			Usage    *Usage `json:"usage"` // null: no usage store
			org.Suggestion
			Impact *org.Impact `json:"impact"`
		}{filepath.Base(s.Dir), u, sg, im})
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "%s\n", cmdutil.SnapshotLine(s))
	if u != nil {
		fmt.Fprintf(w, "%s\n", u.line())
	}
	fmt.Fprintf(w, "\nSuggested SCP for %s (%d account(s), usage of the last %d days, %d characters):\n\n%s\n\n", opts.Target, len(accounts), opts.Days, len(sg.Content), sg.Content)
	switch {
	case u == nil:
		fmt.Fprintf(w, "CloudTrail: no usage store in the workspace (run seiri trail scan): the access report alone decides\n")
	default:
		fmt.Fprintf(w, "CloudTrail: %d service(s) used: %s\n", len(sg.TrailUsed), listOrNone(sg.TrailUsed))
	}
	if rep != nil {
		fmt.Fprintf(w, "Organizations access report (%s, generated %s): %d service(s) used since %s: %s\n", rep.EntityPath, rep.GeneratedAt.UTC().Format(time.RFC3339), len(sg.ReportUsed), since.UTC().Format("2006-01-02"), listOrNone(sg.ReportUsed))
		if len(sg.ReportOnly) > 0 {
			fmt.Fprintf(w, "  kept open on the report's word only (not in CloudTrail): %s\n", strings.Join(sg.ReportOnly, ", "))
		}
	} else {
		fmt.Fprintf(w, "Organizations access report: none for %s in the snapshot (seiri collect --org gathers it): CloudTrail only, data events included only if the trail logs them\n", opts.Target)
	}
	fmt.Fprintf(w, "leaves open %d service(s): %s\n", len(sg.Open), strings.Join(sg.Open, ", "))
	im.Write(w, "")
	return nil
}

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "(none)"
	}
	return strings.Join(xs, ", ")
}
