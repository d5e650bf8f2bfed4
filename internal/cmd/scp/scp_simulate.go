package scp

import (
	"fmt"
	"os"
	"strings"
	"time"

	orgcmd "github.com/seiri-dev/seiri/internal/cmd/org"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// ScpSimulateOptions are `seiri scp simulate`'s flags.
type ScpSimulateOptions struct {
	Policy   string
	Target   string
	Type     string
	Snapshot string
	Days     int
}

func newCmdScpSimulate(f *cmdutil.Factory, runF func(*ScpSimulateOptions) error) *cobra.Command {
	opts := &ScpSimulateOptions{}
	cmd := &cobra.Command{
		Use:   "simulate --policy FILE --target TARGET",
		Short: "Replay recorded usage through a draft SCP (or RCP) attached to a target",
		Example: `  seiri scp simulate --policy deny-regions.json --target Workloads
  seiri scp simulate --policy deny-regions.json --target 555555555555 --days 90 -o json`,
		Long: `simulate attaches a draft policy to an OU (by path, e.g. Workloads/Prod), an
account or the root of a snapshot's organization, and replays the recorded usage
(the usage store, last --days days) of every account below it through the old
and the new policy chain with the policy engine. It prints what the draft would
newly deny. Nothing is written to AWS.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Policy == "" || opts.Target == "" {
				return cmdutil.BadInputf("--policy FILE and --target OU|ACCOUNT|root are required")
			}
			if opts.Days <= 0 {
				return cmdutil.BadInputf("--days must be positive")
			}
			if runF != nil {
				return runF(opts)
			}
			return scpSimulateRun(f, opts)
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

func scpSimulateRun(f *cmdutil.Factory, opts *ScpSimulateOptions) error {
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
	if err := orgcmd.ValidatePolicy(f.Catalog())(doc, string(t)); err != nil {
		return cmdutil.BadInputf("%s: %v", opts.Policy, err)
	}
	o, err := orgcmd.LoadOrganization(f, opts.Snapshot)
	if err != nil {
		return err
	}
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
	im, err := orgcmd.ReplayStates(f, before, after, o.ID, opts.Days)
	if err != nil {
		return err
	}
	if im == nil {
		return cmdutil.BadInputf("no usage store in the workspace: run seiri trail scan first")
	}
	if f.Globals.Output == "json" {
		return cmdutil.WriteJSON(f.IO.Out, im)
	}
	fmt.Fprintf(f.IO.Out, "draft %s attached to %s (%d account(s) below it), usage of the last %d days:\n", opts.Policy, opts.Target, len(im.AffectedAccounts), opts.Days)
	im.Write(f.IO.Out, "")
	return nil
}

// ScpSuggestOptions are `seiri scp suggest`'s flags.
type ScpSuggestOptions struct {
	Target   string
	Snapshot string
	Days     int
	Keep     []string
}

func newCmdScpSuggest(f *cmdutil.Factory) *cobra.Command {
	opts := &ScpSuggestOptions{}
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
			return scpSuggestRun(f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Target, "target", "", "the OU (path or id), or root")
	fl.StringVar(&opts.Snapshot, "snapshot", snapshot.Latest, "snapshot holding the organization")
	fl.IntVar(&opts.Days, "days", 90, "usage window, in days")
	fl.StringSliceVar(&opts.Keep, "keep", org.SuggestKeep, "services always left open")
	return cmd
}

func scpSuggestRun(f *cmdutil.Factory, opts *ScpSuggestOptions) error {
	o, err := orgcmd.LoadOrganization(f, opts.Snapshot)
	if err != nil {
		return err
	}
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
	rows, ok, err := orgcmd.Usage(f.Context, f, accounts, opts.Days)
	if err != nil {
		return err
	}
	// The Organizations access report of the target (collect --org) is the
	// second witness; without it the suggestion rests on CloudTrail alone.
	rep := org.AccessReportFor(o, before.TargetID(key))
	since := f.Now().AddDate(0, 0, -opts.Days)
	if !ok && rep == nil {
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
	im, err := org.Replay(before, after, rows, org.ReplayOptions{OrgID: o.ID, Now: f.Now()})
	if err != nil {
		return err
	}
	if f.Globals.Output == "json" {
		return cmdutil.WriteJSON(f.IO.Out, struct {
			org.Suggestion
			Impact *org.Impact `json:"impact"`
		}{sg, im})
	}
	w := f.IO.Out
	fmt.Fprintf(w, "Suggested SCP for %s (%d account(s), usage of the last %d days, %d characters):\n\n%s\n\n", opts.Target, len(accounts), opts.Days, len(sg.Content), sg.Content)
	switch {
	case !ok:
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
	im.Write(f.IO.Out, "")
	return nil
}

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "(none)"
	}
	return strings.Join(xs, ", ")
}
