package unused

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/report"
	"github.com/seiri-dev/seiri/internal/risk"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/table"
	"github.com/seiri-dev/seiri/internal/version"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// UnusedOptions are the inputs of `seiri unused`.
type UnusedOptions struct {
	IO        *cmdutil.IOStreams
	Context   context.Context
	Workspace func() (*workspace.Workspace, error)
	Catalog   func() *catalog.Catalog
	Now       func() time.Time

	Output    string
	Snapshot  string
	Principal string
	Account   string
	All       bool
	Days      int
	Top       int // unused actions listed per principal in the table
	Long      bool
}

// NewCmd is the `seiri unused` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command { return NewCmdUnused(f, nil) }

// NewCmdUnused parses flags into UnusedOptions and calls runF (unusedRun when nil).
func NewCmdUnused(f *cmdutil.Factory, runF func(*UnusedOptions) error) *cobra.Command {
	opts := &UnusedOptions{IO: f.IO, Workspace: f.ReadWorkspace, Catalog: f.Catalog, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "unused",
		Short: "Granted but unused permissions of users and roles, from CloudTrail usage",
		Long: `For every IAM user and role: the actions its policies grant (identity policies
including groups and managed policies ∩ permissions boundary ∩ the SCPs above
its account, wildcards expanded through the IAM catalog) against what it used
in the window (the usage store filled by seiri trail scan; Access Advisor as a
second witness).

Each unused action has a confidence: "unused" only when the evidence covers it
(a trail logs the account, data events are logged where the action is a data
event, the window is long enough, and CloudTrail records the action at all:
iam:PassRole never is); otherwise "unknown" with the reason.

--principal shows one principal in detail; --account and --all show the
organization view (most unused high-risk permissions first, totals per
account). Default: --all. --output csv, sarif, markdown or html gives findings.`,
		Example: `  seiri unused --principal arn:aws:iam::123456789012:role/app
  seiri unused --account 123456789012 --days 180
  seiri unused --all --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Globals.Output
			opts.Context = f.Context
			if runF != nil {
				return runF(opts)
			}
			return unusedRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Principal, "principal", "", "analyse one principal (user or role ARN)")
	fl.StringVar(&opts.Account, "account", "", "analyse the principals of one account")
	fl.BoolVar(&opts.All, "all", false, "analyse every principal (the default)")
	cmdutil.DaysFlag(fl, &opts.Days, 90, "usage window (up to the logs available)")
	fl.StringVar(&opts.Snapshot, "snapshot", snapshot.Latest, "snapshot: a folder, a snapshot name in the workspace, or latest")
	fl.IntVar(&opts.Top, "top", 25, "unused actions listed per principal in the short form (0: all)")
	cmdutil.LongFlag(fl, &opts.Long)
	return cmd
}

func unusedRun(opts *UnusedOptions) error {
	n := 0
	for _, set := range []bool{opts.Principal != "", opts.Account != "", opts.All} {
		if set {
			n++
		}
	}
	if n > 1 {
		return cmdutil.BadInputf("--principal, --account and --all exclude each other")
	}
	if err := cmdutil.CheckDays(opts.Days); err != nil {
		return err
	}
	if opts.Long {
		opts.Top = 0
	}
	ws, err := opts.Workspace()
	if err != nil {
		return err
	}
	now := opts.Now()
	an, err := cmdutil.LoadAnalysis(opts.Context, ws, opts.Snapshot, opts.Catalog(), now, opts.Days, opts.Principal, false)
	if err != nil {
		return err
	}
	m := an.Model
	ps := m.Select(opts.Principal, opts.Account)
	if len(ps) == 0 {
		switch {
		case opts.Principal != "":
			return cmdutil.BadInputf("--principal %q: no such user or role in the snapshot (service-linked roles are not analysed)", opts.Principal)
		case opts.Account != "":
			return cmdutil.BadInputf("--account %q: no principals of that account in the snapshot", opts.Account)
		}
	}
	// The escalation analysis over the same model: unused permissions that
	// open a path to administrator are listed first and marked.
	ra := risk.AnalyzeModel(m, risk.Options{})
	if opts.Principal != "" {
		pv := markEscalation(ra, an.Unused(ps[0], true))
		pv.Snapshot = filepath.Base(m.Snapshot.Dir)
		return writeUnusedOne(opts, pv, an)
	}
	ov := markOrg(ra, an.Organization(ps, runtime.GOMAXPROCS(0)))
	ov.Snapshot = filepath.Base(m.Snapshot.Dir)
	return writeUnusedOrg(opts, ov, m.Snapshot)
}

func unusedReport(rs []*leastpriv.PrincipalResult) *finding.Report {
	rep := &finding.Report{Tool: "seiri", Version: version.String(), Findings: leastpriv.Findings(rs)}
	rep.Rules = []finding.Rule{{ID: leastpriv.RuleID, Title: "Granted permissions unused in the CloudTrail window", Severity: finding.Medium,
		Description: "Granted actions unused in the window where the evidence covers them.", Recommendation: "Generate a least-privilege policy."}}
	for i := range rep.Findings {
		rep.Findings[i].Severity = finding.Medium
	}
	return rep
}

func writeUnusedOne(opts *UnusedOptions, pv principalView, an *leastpriv.Analysis) error {
	w := opts.IO.Out
	r := pv.PrincipalResult
	switch opts.Output {
	case "table":
	case "json":
		return unusedWriteJSON(w, pv)
	default:
		return unusedRenderFindings(w, opts.Output, unusedReport([]*leastpriv.PrincipalResult{r}))
	}
	var b bytes.Buffer
	fmt.Fprintln(&b, cmdutil.SnapshotLine(an.Model.Snapshot))
	fmt.Fprintf(&b, "%s (%s, account %s)\n", r.Principal, r.Kind, r.Account)
	if r.PermissionSet != "" {
		fmt.Fprintf(&b, "permission set: %s\n", r.PermissionSet)
	}
	fmt.Fprintf(&b, "window: %s\n", r.Window)
	last := "never in the window"
	if r.LastUsed != nil {
		last = r.LastUsed.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(&b, "granted %d, used %d, unused %d (%d certain, %d unknown); last call %s\n", r.Granted, r.Used, r.Unused, r.UnusedCertain, r.Unused-r.UnusedCertain, last)
	if len(r.UnusedServices) > 0 {
		fmt.Fprintf(&b, "unused services: %s\n", strings.Join(r.UnusedServices, ", "))
	}
	if len(r.UsedActions) > 0 {
		fmt.Fprintf(&b, "used: %s\n", strings.Join(r.UsedActions, ", "))
	}
	if len(r.UsedNotGranted) > 0 {
		fmt.Fprintf(&b, "used but not granted by its identity policies (resource policies, or changed policies): %s\n", strings.Join(r.UsedNotGranted, ", "))
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "warning: %s\n", p)
	}
	if len(pv.Actions) > 0 {
		if pv.OpeningUnused > 0 {
			fmt.Fprintf(&b, "\nunused actions, those that open a privilege-escalation path first (%d; seiri risk paths %s), then highest risk first:\n", pv.OpeningUnused, r.Principal)
		} else {
			b.WriteString("\nunused actions, highest risk first:\n")
		}
		tw := table.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ACTION\tACCESS LEVEL\tCONFIDENCE\tESCALATION\tWHY UNKNOWN")
		for i, v := range pv.Actions {
			if opts.Top > 0 && i == opts.Top {
				fmt.Fprintf(tw, "… %d more (--long lists all, --output json)\t\t\t\t\n", len(pv.Actions)-i)
				break
			}
			esc := "-"
			if v.OpensPath {
				esc = opensPathNote
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.Action, v.Access, v.Confidence, esc, v.Why)
		}
		tw.Flush()
	}
	fmt.Fprintf(&b, "\nverdict: %s\n", r.Verdict)
	fmt.Fprintf(&b, "\nNext: seiri policy generate %s --days %d\n", r.Principal, opts.Days)
	_, err := w.Write(b.Bytes())
	return err
}

func writeUnusedOrg(opts *UnusedOptions, ov orgView, snap *snapshot.Snapshot) error {
	w := opts.IO.Out
	v := ov.OrgView
	switch opts.Output {
	case "table":
	case "json":
		return unusedWriteJSON(w, ov)
	default:
		return unusedRenderFindings(w, opts.Output, unusedReport(v.Principals))
	}
	var b bytes.Buffer
	fmt.Fprintln(&b, cmdutil.SnapshotLine(snap))
	// The summary first: totals, then per account, then the principals.
	var principals, idle, unused, certain, high int
	for _, a := range v.Accounts {
		principals += a.Principals
		idle += a.Idle
		unused += a.Unused
		certain += a.UnusedCertain
		high += a.UnusedHighRisk
	}
	fmt.Fprintf(&b, "%d principals in %d accounts (%d idle): %d granted actions unused, %d of them certainly, %d high-risk\n",
		principals, len(v.Accounts), idle, unused, certain, high)
	fmt.Fprintf(&b, "window: %s\n\n", v.Window)
	b.WriteString("per account:\n")
	tw := table.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tPRINCIPALS\tIDLE\tGRANTED\tUSED\tUNUSED\tCERTAIN\tHIGH-RISK")
	for _, a := range v.Accounts {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", a.Account, a.Principals, a.Idle, a.Granted, a.Used, a.Unused, a.UnusedCertain, a.UnusedHighRisk)
	}
	tw.Flush()
	b.WriteString("\nprincipals, most unused high-risk permissions first:\n")
	tw = table.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PRINCIPAL\tGRANTED\tUSED\tUNUSED\tCERTAIN\tHIGH-RISK\tOPEN A PATH\tVERDICT")
	shown := 0
	for i, pv := range ov.Principals {
		r := pv.PrincipalResult
		if !opts.Long && i == shortPrincipals {
			fmt.Fprintf(tw, "… %d more principals (--long lists all, --output json)\t\t\t\t\t\t\t\n", len(v.Principals)-i)
			break
		}
		shown++
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", r.Principal, r.Granted, r.Used, r.Unused, r.UnusedCertain, r.UnusedHighRisk, pv.OpeningUnused, r.Verdict)
	}
	tw.Flush()
	if len(v.PermissionSets) > 0 {
		b.WriteString("\nIdentity Center permission sets:\n")
		tw = table.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "PERMISSION SET\tROLES\tACTIONS USED\tHIGH-RISK UNUSED")
		for _, p := range v.PermissionSets {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", p.PermissionSet, p.Roles, p.Used, p.UnusedHighRisk)
		}
		tw.Flush()
	}
	if len(v.Skipped) > 0 {
		b.WriteString("\nusage rows not attributed:")
		for _, k := range unusedSortedKeys(v.Skipped) {
			fmt.Fprintf(&b, " %s %d;", k, v.Skipped[k])
		}
		b.WriteString("\n")
	}
	if len(ov.Principals) > 0 {
		next := "seiri unused --long"
		for _, pv := range ov.Principals {
			// The first principal whose ARN keeps the line within a terminal.
			if len(pv.Principal) <= 88 {
				next = "seiri unused --principal " + pv.Principal
				break
			}
		}
		fmt.Fprintf(&b, "\nNext: %s\n", next)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// shortPrincipals is how many principals the short form lists.
const shortPrincipals = 30

func unusedSortedKeys(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func unusedWriteJSON(w io.Writer, v any) error {
	return cmdutil.WriteJSONUnescaped(w, v)
}

func unusedRenderFindings(w io.Writer, format string, rep *finding.Report) error {
	var buf bytes.Buffer
	if err := report.Render(&buf, format, rep); err != nil {
		return cmdutil.BadInput(err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
