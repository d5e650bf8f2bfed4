package audit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/audit"
	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/report"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/table"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// AuditOptions are the inputs of `seiri audit`.
type AuditOptions struct {
	IO        *cmdutil.IOStreams
	Workspace func() (*workspace.Workspace, error)
	Config    func() (*config.Config, error)
	Now       func() time.Time
	Catalog   func() *catalog.Catalog // the IAM catalog in force

	Output    string   // --output (global)
	Snapshot  string   // --snapshot: path, folder name or "latest"
	FailOn    string   // --fail-on: severity; "" never fails on findings
	Rules     []string // --rule: run only these rule ids
	Out       string   // --out: write the rendered report here (0600)
	ListRules bool     // --list-rules
	Long      bool     // --long: every finding in the table, not the short form
}

// NewCmd is the `seiri audit` command.
func NewCmd(f *cmdutil.Factory) *cobra.Command { return NewCmdAudit(f, nil) }

// NewCmdAudit parses flags into AuditOptions and calls runF (auditRun when
// nil).
func NewCmdAudit(f *cmdutil.Factory, runF func(*AuditOptions) error) *cobra.Command {
	opts := &AuditOptions{IO: f.IO, Workspace: f.ReadWorkspace, Config: f.Config, Now: f.Now, Catalog: f.Catalog}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Audit the IAM in a snapshot: unused credentials, missing MFA, root use, admin machine users...",
		Long: `Audit runs seiri's rules over a snapshot (from collect, snapshot import or
demo) and reports findings with their evidence. Thresholds come from seiri.yaml
(audit.*); rules listed in audit.disabled_rules are skipped.

The table opens with the summary: the counts by severity, by rule and by
account, and the top 10 findings; --long lists every finding, and the other
formats (json, html, …) hold everything with its evidence.

Exit codes: 0 no finding at or above --fail-on, 1 such findings exist,
2 bad input (missing or corrupt snapshot, unknown rule or severity).`,
		Example: `  seiri audit
  seiri audit --long
  seiri audit --snapshot 20250601T120000Z --output sarif --out audit.sarif
  seiri audit --fail-on high --rule SEIRI-ROOT-NO-MFA --rule SEIRI-KEY-UNUSED
  seiri audit --list-rules`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Globals.Output
			if runF != nil {
				return runF(opts)
			}
			return auditRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Snapshot, "snapshot", snapshot.Latest, "snapshot to audit: a folder, a snapshot name in the workspace, or latest")
	fl.StringVar(&opts.FailOn, "fail-on", "", "exit 1 when a finding at or above this severity exists; one of: info, low, medium, high, critical")
	fl.StringArrayVar(&opts.Rules, "rule", nil, "run only this rule id (repeatable; see --list-rules)")
	fl.StringVar(&opts.Out, "out", "", "write the report to this file (mode 0600) instead of standard output")
	fl.BoolVar(&opts.ListRules, "list-rules", false, "list the rules with their ids and severities, and exit")
	cmdutil.LongFlag(fl, &opts.Long)
	return cmd
}

func auditRun(opts *AuditOptions) error {
	if opts.ListRules {
		return listRules(opts.IO.Out)
	}
	failOn := finding.Severity(-1)
	if opts.FailOn != "" {
		s, err := finding.ParseSeverity(opts.FailOn)
		if err != nil {
			return cmdutil.BadInputf("--fail-on: %v", err)
		}
		failOn = s
	}
	if bad := audit.UnknownRules(opts.Rules); len(bad) > 0 {
		return cmdutil.BadInputf("--rule: unknown rule id %s (see seiri audit --list-rules)", strings.Join(quoteAll(bad), ", "))
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	if bad := audit.UnknownRules(cfg.Audit.Disabled); len(bad) > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "warning: audit.disabled_rules names unknown rule ids %s; ignored\n", strings.Join(quoteAll(bad), ", "))
	}
	ws, err := opts.Workspace()
	if err != nil {
		return err
	}
	s, err := snapshot.Load(ws.SnapshotsDir(), opts.Snapshot)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	// A partial snapshot is still audited, but nobody should mistake a failed
	// account for a clean one.
	for _, st := range s.Manifest.Accounts {
		if st.Failed() {
			fmt.Fprintf(opts.IO.ErrOut, "warning: account %s was not collected (%s): not audited\n", st.AccountID, st.Error)
		}
	}
	if c := audit.ExternalCoverage(s); c != "" {
		fmt.Fprintf(opts.IO.ErrOut, "warning: %s\n", c)
	}
	rep, err := Report(opts, ws, s, cfg.Audit)
	if err != nil {
		return err
	}

	var buf bytes.Buffer
	short := opts.Output == "table" && opts.Out == "" && !opts.Long
	switch {
	case short:
		// The short form (issue 18): the snapshot, the summary, the top
		// findings, and where to go next.
		fmt.Fprintf(&buf, "%s\nusage: %s\n", cmdutil.SnapshotLine(s), rep.Usage)
		if err := report.Short(&buf, rep); err != nil {
			return err
		}
		if len(rep.Findings) > 0 {
			buf.WriteString(auditShortNext)
		}
	default:
		if opts.Output == "table" {
			// Every report names the snapshot it was computed from, and
			// opens with the summary.
			fmt.Fprintf(&buf, "%s\nusage: %s\n", cmdutil.SnapshotLine(s), rep.Usage)
			if len(rep.Findings) > 0 {
				if err := report.Summary(&buf, rep); err != nil {
					return err
				}
			}
			buf.WriteString("\n")
		}
		if err := report.Render(&buf, opts.Output, rep); err != nil {
			return cmdutil.BadInput(err)
		}
		if opts.Output == "table" && opts.Out == "" && len(rep.Findings) > 0 {
			buf.WriteString(auditNext)
		}
	}
	if opts.Out != "" {
		if err := workspace.WriteFile(opts.Out, buf.Bytes()); err != nil {
			return err
		}
		if err := report.Summary(opts.IO.ErrOut, rep); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.ErrOut, "Report (%s) written to %s\n", opts.Output, opts.Out)
	} else {
		if _, err := opts.IO.Out.Write(buf.Bytes()); err != nil {
			return err
		}
		// The table ends with its own summary; machine formats keep stdout
		// clean and get the summary on stderr.
		if opts.Output != "table" {
			if err := report.Summary(opts.IO.ErrOut, rep); err != nil {
				return err
			}
		}
	}
	if failOn >= 0 {
		if n := rep.AtLeast(failOn); n > 0 {
			return &cmdutil.ExitError{Code: cmdutil.ExitFindings, Err: fmt.Errorf("%d findings at or above %s (--fail-on)", n, failOn)}
		}
	}
	return nil
}

// Report is the report seiri audit computes for s in ws: the rules, with
// the usage store's CloudTrail witness and unused permissions when the
// workspace has one, and privilege escalation. The demo and `seiri report`
// show this same report, so their counts and seiri audit's agree.
func Report(opts *AuditOptions, ws *workspace.Workspace, s *snapshot.Snapshot, cfg config.Audit) (*finding.Report, error) {
	act := auditActivity(context.Background(), opts, ws)
	unused := auditUnusedHook(opts, ws, s)
	rep := audit.RunWith(s, cfg, opts.Now(), audit.Options{
		Only:     opts.Rules,
		Unused:   unused,
		Activity: act,
		Risk:     auditRiskHook(opts, s),
		// RCPs govern the services the catalog in force says (a catalog
		// refreshed by seiri catalog update included).
		RCPServices: cmdutil.RCPServices(opts.Catalog),
	})
	rep.Usage = usageLine(act, unused != nil)
	// Open suspicious-use findings of `seiri detect` stand beside the others.
	if err := addDetections(ws, rep, opts.Rules, opts.IO.ErrOut); err != nil {
		return nil, err
	}
	return rep, nil
}

// usageLine names the usage evidence of the audit: the CloudTrail window
// of the usage store (the witness of the inactivity and unused-key rules)
// and the unused-permission window, or that there is no store.
func usageLine(act *audit.Activity, unused bool) string {
	if act == nil || len(act.Accounts) == 0 {
		return "no CloudTrail usage store (run seiri trail scan): CloudTrail is not a witness, unused permissions not audited"
	}
	var since, until time.Time
	for _, w := range act.Accounts {
		if since.IsZero() || (!w.Since.IsZero() && w.Since.Before(since)) {
			since = w.Since
		}
		if w.Until.After(until) {
			until = w.Until
		}
	}
	line := fmt.Sprintf("CloudTrail %s to %s (usage store, %d accounts)", day(since), day(until), len(act.Accounts))
	if unused {
		line += "; unused permissions over the last 90 days"
	}
	return line
}

func day(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.UTC().Format("2006-01-02")
}

func listRules(w io.Writer) error {
	tw := table.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tTITLE\tTHRESHOLD (seiri.yaml audit.*)")
	for _, r := range audit.Rules() {
		th := "-"
		if k, ok := audit.Thresholds[r.ID]; ok {
			th = strings.Fields(k)[0]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, r.Title, th)
	}
	return tw.Flush()
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// auditShortNext ends the short form: where to go from the summary.
const auditShortNext = `
Next:
  seiri audit --long                           # every finding
  seiri audit --output html --out audit.html   # the report with evidence, to share
  seiri audit --fail-on high                   # exit 1 on a high finding (for CI)
`

// auditNext ends the table: where to go from the findings.
const auditNext = `
Next:
  seiri audit --output html --out audit.html   # the report with evidence, to share
  seiri audit --fail-on high                   # exit 1 on a high finding (for CI)
`
