package demo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	trailcmd "github.com/seiri-dev/seiri/internal/cmd/trail"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/catalog"
	auditcmd "github.com/seiri-dev/seiri/internal/cmd/audit"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/demo/demoorg"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/report"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/usage"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// DemoOptions are the inputs of `seiri demo`.
type DemoOptions struct {
	IO        *cmdutil.IOStreams
	Context   context.Context
	Workspace func() (*workspace.Workspace, error) // opened for writing
	Config    func() (*config.Config, error)
	Now       func() time.Time
	Catalog   func() *catalog.Catalog // the IAM catalog in force (scan mapping, audit)
	Output    string                  // --output
	Out       string                  // folder for the full reports (default <workspace>/reports/demo)
	Seed      uint64
	NoTrail   bool // skip the CloudTrail part (faster)
}

// NewCmd is the `seiri demo` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command { return NewCmdDemo(f, nil) }

// NewCmdDemo parses flags for `seiri demo`.
func NewCmdDemo(f *cmdutil.Factory, runF func(*DemoOptions) error) *cobra.Command {
	opts := &DemoOptions{IO: f.IO, Workspace: f.Workspace, Config: f.Config, Now: f.Now, Catalog: f.Catalog}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run seiri's whole flow on a generated demo organization (no AWS account needed)",
		Long: `Demo generates a deterministic, realistic AWS Organization — six accounts in
Security, Infrastructure and Workloads OUs, 100+ IAM users across teams with
groups, roles, inline and managed policies, access keys of every age (some never
used), a credential report, Access Advisor data and SCPs — stores it as a
snapshot in the workspace, audits it, and prints the summary and where the full
reports are. Every other command then works on it (seiri audit, ...).

With --output json|csv|sarif|markdown|html the audit report itself is printed
on standard output (the summary goes to standard error).`,
		Example: `  seiri demo
  seiri demo --out demo-out
  seiri demo --output sarif > demo.sarif`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output, opts.Context = f.Globals.Output, f.Context
			if opts.Context == nil {
				opts.Context = context.Background()
			}
			if runF != nil {
				return runF(opts)
			}
			return demoRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Out, "out", "", "folder for the full reports (default <workspace>/reports/demo)")
	cmd.Flags().Uint64Var(&opts.Seed, "seed", demo.Seed, "seed of the generated organization")
	cmd.Flags().BoolVar(&opts.NoTrail, "no-trail", false, "skip generating and scanning the demo's CloudTrail logs")
	return cmd
}

func demoRun(opts *DemoOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	ws, err := opts.Workspace()
	if err != nil {
		return err
	}
	now := opts.Now()
	org := demo.Generate(now, opts.Seed)
	dir, err := org.WriteSnapshot(ws.SnapshotsDir())
	if err != nil {
		return err
	}
	snap, err := snapshot.Open(dir)
	if err != nil {
		return err
	}
	// The CloudTrail scan first, then the audit: the audit uses the scan
	// as its witness, exactly as seiri audit run right after the demo does
	// (the scan's lines are shown after the audit's summary).
	var rows []usage.Row
	var runs []usage.Run
	var trailStory bytes.Buffer
	if !opts.NoTrail {
		if rows, runs, err = demoTrail(opts, &trailStory, org, ws); err != nil {
			return err
		}
	}
	rep, err := auditcmd.Report(&auditcmd.AuditOptions{IO: opts.IO, Workspace: opts.Workspace, Config: opts.Config, Now: opts.Now, Catalog: opts.Catalog},
		ws, snap, cfg.Audit)
	if err != nil {
		return err
	}
	rep.Snapshot = dir

	out := opts.Out
	if out == "" {
		out = filepath.Join(ws.ReportsDir(), "demo")
	}
	files, err := writeReports(out, "audit", rep)
	if err != nil {
		return err
	}

	// Machine formats: the report on stdout, the story on stderr.
	story := opts.IO.Out
	if opts.Output != "table" {
		var buf bytes.Buffer
		if err := report.Render(&buf, opts.Output, rep); err != nil {
			return cmdutil.BadInput(err)
		}
		if _, err := opts.IO.Out.Write(buf.Bytes()); err != nil {
			return err
		}
		story = opts.IO.ErrOut
	}
	printDemoStory(story, org, dir, rep, files)
	if _, err := story.Write(trailStory.Bytes()); err != nil {
		return err
	}
	fmt.Fprintln(story)
	keys.DemoRetirement(story, snap, cfg.Keys, now, rows, runs)
	if err := demoOrg(story, org, filepath.Join(ws.Dir, "demo", "org"), rows); err != nil {
		return err
	}
	fmt.Fprint(story, demoNext)
	return nil
}

// demoOrg writes the demo organization as code (org.yaml, imported, plus a
// region-restriction SCP on the Workloads OU) and shows its plan with the
// impact of that SCP replayed on the recorded CloudTrail usage.
func demoOrg(w io.Writer, d *demo.Org, dir string, rows []usage.Row) error {
	p, im, err := demoorg.Plan(d, dir, rows)
	if err != nil {
		return fmt.Errorf("demo org plan: %w", err)
	}
	fmt.Fprintf(w, "\nOrganization as code (%s): seiri org plan --spec %s\n", dir, filepath.Join(dir, "org.yaml"))
	if err := org.WriteText(w, p); err != nil {
		return err
	}
	if im == nil {
		fmt.Fprintf(w, "  impact: not replayed — no CloudTrail usage recorded (run seiri demo without --no-trail)\n")
		return nil
	}
	im.Write(w, "  ")
	return nil
}

// demoTrail writes the demo organization's CloudTrail history in the trail
// bucket's layout, scans it into the workspace's usage store with the local
// engine and tells what it shows.
// resetDemoUsage makes a second demo in the same workspace give the same
// numbers as the first: the demo's logs are generated anew for the current
// clock, so a store that holds only earlier demo scans is emptied and the
// old logs removed before the new ones are written and scanned. A store that
// also holds scans of other logs is never touched: the demo refuses.
func resetDemoUsage(ctx context.Context, ws *workspace.Workspace, logs string) error {
	if _, err := os.Stat(ws.UsageDB()); err != nil {
		return os.RemoveAll(logs)
	}
	store, err := usage.Open(ctx, ws.UsageDB())
	if err != nil {
		return err
	}
	defer store.Close()
	srcs, err := store.Sources(ctx)
	if err != nil {
		return err
	}
	demoSrc := (&trail.DirSource{Dir: logs}).Name()
	for _, src := range srcs {
		if src != demoSrc {
			return cmdutil.BadInputf("the usage store %s also holds scans of %s: run the demo in a workspace of its own (--workspace DIR)", ws.UsageDB(), src)
		}
	}
	if len(srcs) > 0 {
		if err := store.Reset(ctx); err != nil {
			return fmt.Errorf("reset the demo's usage store: %w", err)
		}
	}
	return os.RemoveAll(logs)
}

func demoTrail(opts *DemoOptions, w io.Writer, org *demo.Org, ws *workspace.Workspace) ([]usage.Row, []usage.Run, error) {
	logs := filepath.Join(ws.Dir, "demo", "cloudtrail")
	ctx := opts.Context
	if err := resetDemoUsage(ctx, ws, logs); err != nil {
		return nil, nil, err
	}
	st, err := org.WriteTrail(logs)
	if err != nil {
		return nil, nil, fmt.Errorf("demo CloudTrail logs: %w", err)
	}
	window := trail.Filter{Since: org.Now.AddDate(0, 0, -demo.TrailDays), Until: org.Now}
	res, err := trailcmd.ScanStore(ctx, ws, opts.Catalog(), opts.Now(), opts.IO.ErrOut, &trail.DirSource{Dir: logs}, trail.Options{Filter: window})
	if err != nil {
		return nil, nil, fmt.Errorf("scan demo CloudTrail logs: %w", err)
	}
	sum := res.Summary
	fmt.Fprintf(w, "\nCloudTrail (%d days, organization trail, %s)\n", demo.TrailDays, logs)
	coverage := sum.CoverageText() // never a figure over no API call
	if c, ok := sum.MappingCoverage(); ok {
		coverage = fmt.Sprintf("%.1f%%", 100*c)
	}
	fmt.Fprintf(w, "  %d log files, %d events generated; scan read %d new files, %d records, %d already scanned; mapping coverage %s\n",
		st.Files, st.Records, sum.FilesRead, sum.Records, sum.FilesAlreadyScanned, coverage)
	store, err := usage.Open(ctx, ws.UsageDB())
	if err != nil {
		return nil, nil, err
	}
	defer store.Close()
	rows, err := store.Usage(ctx, usage.Query{})
	if err != nil {
		return nil, nil, err
	}
	runs, err := store.Runs(ctx, 0)
	if err != nil {
		return nil, nil, err
	}
	principals := map[string]bool{}
	keys := map[string]bool{}
	denied := map[string]int64{}
	for _, r := range rows {
		principals[r.Principal] = true
		if r.AccessKeyID != "" && strings.HasPrefix(r.AccessKeyID, "AKIA") {
			keys[r.AccessKeyID] = true
		}
		if r.ErrorCode == "AccessDenied" || r.ErrorCode == "Client.UnauthorizedOperation" {
			denied[r.Principal+" "+r.Action] += r.Count
		}
	}
	active, silent := 0, 0
	for _, a := range org.Accounts {
		for _, u := range a.Users {
			for _, k := range u.AccessKeys {
				if !k.Active() {
					continue
				}
				if keys[k.AccessKeyID] {
					active++
				} else {
					silent++
				}
			}
		}
	}
	fmt.Fprintf(w, "  %d principals seen; %d active access keys used in the logs, %d active keys silent for %d days\n", len(principals), active, silent, demo.TrailDays)
	names := make([]string, 0, len(denied))
	for k := range denied {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(w, "  AccessDenied ×%d: %s\n", denied[k], k)
	}
	return rows, runs, nil
}

// writeReports renders r in every format into dir as name.<ext>.
func writeReports(dir, name string, r *finding.Report) (map[string]string, error) {
	ext := map[string]string{"table": "txt", "json": "json", "csv": "csv", "sarif": "sarif", "markdown": "md", "html": "html"}
	files := map[string]string{}
	for _, format := range report.Formats {
		var buf bytes.Buffer
		if err := report.Render(&buf, format, r); err != nil {
			return nil, err
		}
		p := filepath.Join(dir, name+"."+ext[format])
		if err := workspace.WriteFile(p, buf.Bytes()); err != nil {
			return nil, err
		}
		files[format] = p
	}
	return files, nil
}

func printDemoStory(w io.Writer, org *demo.Org, dir string, rep *finding.Report, files map[string]string) {
	users, roles, keys := 0, 0, 0
	for _, a := range org.Accounts {
		users += len(a.Users)
		roles += len(a.Roles)
		for _, u := range a.Users {
			keys += len(u.AccessKeys)
		}
	}
	fmt.Fprintf(w, "Demo organization %s: %d accounts in %d OUs, %d IAM users, %d roles, %d access keys, %d SCPs\n",
		org.Organization.ID, len(org.Accounts), len(org.Organization.OUs), users, roles, keys, countSCPs(org.Organization))
	fmt.Fprintf(w, "Snapshot: %s\n\n", dir)
	fmt.Fprintln(w, "Audit")
	report.Summary(w, rep)
	fmt.Fprintln(w)
	// The worst few findings, so the summary shows what seiri finds.
	top := append([]finding.Finding(nil), rep.Findings...)
	sort.SliceStable(top, func(i, j int) bool { return top[i].Severity > top[j].Severity })
	if len(top) > 8 {
		top = top[:8]
	}
	for _, f := range top {
		fmt.Fprintf(w, "  %-8s %-26s %s\n", f.Severity, f.RuleID, f.Title)
	}
	fmt.Fprintf(w, "\nFull reports:\n")
	for _, format := range report.Formats {
		fmt.Fprintf(w, "  %-9s %s\n", format, files[format])
	}
}

func countSCPs(o *snapshot.Organization) int {
	n := 0
	for _, p := range o.Policies {
		if p.Type == "SERVICE_CONTROL_POLICY" {
			n++
		}
	}
	return n
}

// demoNext ends the demo with the commands to run next, one per line (each
// runs as written on the demo's workspace).
const demoNext = `
Next:
  seiri unused                                # permissions granted but not used
  seiri keys plan                             # access keys to retire, with their evidence
  seiri trail usage --days 30                 # what each principal really called
  seiri audit --fail-on high                  # exit 1 on a high finding (for CI)
  seiri audit --output sarif --out audit.sarif
`
