// Package detect is `seiri detect`: suspicious use of credentials found in
// CloudTrail logs (internal/detect), with the workspace's detection state
// (baseline, duplicates, acknowledgements). It needs the logs and,
// optionally, the usage store; no snapshot.
package detect

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	trailcmd "github.com/seiri-dev/seiri/internal/cmd/trail"
	"github.com/seiri-dev/seiri/internal/detect"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/report"
	"github.com/seiri-dev/seiri/internal/table"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/version"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// Options are the inputs of `seiri detect`: its dependencies as fields
// (filled by NewCmdDetect from the factory; tests set them directly) and
// its flags.
type Options struct {
	IO        *cmdutil.IOStreams
	Context   context.Context
	Workspace func() (*workspace.Workspace, error) // opened for writing (the detection state)
	Now       func() time.Time
	// Inputs are the detection's inputs from the workspace (configuration,
	// usage store, IP databases); warn says what is missing. done closes
	// what they opened.
	Inputs func(ctx context.Context, ws *workspace.Workspace, warn func(string)) (in detect.Inputs, done func(), err error)
	// OpenSource opens a --source (a directory, s3://bucket/prefix or
	// lookup-events).
	OpenSource func(ctx context.Context, spec string) (trail.Source, error)
	Output     string // --output (global)

	Sources  []string
	Days     int
	Since    string
	Until    string
	Accounts []string
	Regions  []string
	Rejudge  bool
	FailOn   string
	Out      string
}

// NewCmd is `seiri detect` and its subcommands.
func NewCmd(f *cmdutil.Factory) *cobra.Command { return NewCmdDetect(f, nil) }

// NewCmdDetect parses flags into Options and calls runF (Run when nil).
func NewCmdDetect(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Context: f.Context, Workspace: f.Workspace, Now: f.Now,
		Inputs: func(ctx context.Context, ws *workspace.Workspace, warn func(string)) (detect.Inputs, func(), error) {
			return trailcmd.DetectInputs(ctx, f, ws, warn)
		},
		OpenSource: func(ctx context.Context, spec string) (trail.Source, error) { return trailcmd.OpenSource(ctx, f, spec) },
	}
	cmd := &cobra.Command{
		Use:   "detect --source SOURCE",
		Short: "Find suspicious use of credentials in CloudTrail logs",
		Long: `Detect judges the CloudTrail records not judged yet (by an earlier detect or
trail scan --detect) with seiri's suspicious-use rules: sensitive actions
(root use, console sign-in without MFA, logging stopped, persistence,
exposure), discovery bursts, and credentials used in a new way (new network,
instance credentials outside AWS, new kind of client, new region, a key used
after a long silence, one key from two networks too close in time), each
against the credential's baseline. The baseline is seeded once from the
workspace's usage store (so the first run learns from the history already
scanned) and then learns from every record judged.

It needs only the logs (and the usage store when there is one): logs often
cover accounts no snapshot holds. Findings carry their supporting events
(eventID, time, source IP, user agent); a finding raised again is marked as
seen before; acknowledged findings (seiri detect ack) are shown as such and
do not fail --fail-on. The detection state lives in the workspace's detect/
folder; seiri audit shows its open findings beside its own. Thresholds:
seiri.yaml, detect: section.

Exit codes: 0 no unacknowledged finding at or above --fail-on, 1 such
findings, 2 bad input, 3 some log objects could not be read.`,
		Example: `  seiri detect --source ./trail-bucket-copy --days 7
  seiri detect --source s3://org-trail/AWSLogs/o-abc123 --since 2026-11-01 --fail-on high
  seiri detect --source ./logs --output sarif --out detect.sarif
  seiri detect findings
  seiri detect ack D-3f2a9c41b7e0 --reason "new CI runner network, confirmed with the platform team"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output, opts.Context = f.Globals.Output, f.Context
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Sources, "source", nil, "log source: a directory, s3://bucket/prefix, or lookup-events (repeatable)")
	fl.IntVar(&opts.Days, "days", 0, "judge the events of the last N days (default: every event the sources hold)")
	fl.StringVar(&opts.Since, "since", "", "only events at or after this time (2026-09-01, RFC 3339, or 90d / 12h ago)")
	fl.StringVar(&opts.Until, "until", "", "only events before this time (same forms as --since)")
	fl.StringSliceVar(&opts.Accounts, "account", nil, "only these account ids (comma-separated or repeated)")
	fl.StringSliceVar(&opts.Regions, "regions", nil, "only these regions (comma-separated)")
	fl.BoolVar(&opts.Rejudge, "rejudge", false, "judge again objects an earlier run judged (their findings show as seen before)")
	fl.StringVar(&opts.FailOn, "fail-on", "", "exit 1 when an unacknowledged finding at or above this severity exists (one of: info, low, medium, high, critical)")
	fl.StringVar(&opts.Out, "out", "", "write the report to this file (mode 0600) instead of standard output")
	cmd.AddCommand(NewCmdFindings(f, nil), NewCmdAck(f, nil), NewCmdRules(f, nil))
	return cmd
}

func (o *Options) filter() (trail.Filter, error) {
	var flt trail.Filter
	now := o.Now()
	var err error
	if o.Days < 0 {
		return flt, fmt.Errorf("--days %d: must be positive", o.Days)
	}
	if o.Days > 0 && o.Since != "" {
		return flt, fmt.Errorf("--days and --since both set: give one")
	}
	if o.Days > 0 {
		flt.Since = now.Add(-time.Duration(o.Days) * 24 * time.Hour)
	}
	if o.Since != "" {
		if flt.Since, err = cmdutil.ParseWhen(o.Since, now); err != nil {
			return flt, fmt.Errorf("--since %w", err)
		}
	}
	if flt.Until, err = cmdutil.ParseWhen(o.Until, now); err != nil {
		return flt, fmt.Errorf("--until %w", err)
	}
	if !flt.Since.IsZero() && !flt.Until.IsZero() && !flt.Until.After(flt.Since) {
		return flt, fmt.Errorf("--until is not after the window's start")
	}
	for _, a := range o.Accounts {
		a = strings.TrimSpace(a)
		if len(a) != 12 || strings.Trim(a, "0123456789") != "" {
			return flt, fmt.Errorf("--account %q: an account id is 12 digits", a)
		}
		flt.Accounts = append(flt.Accounts, a)
	}
	for _, r := range o.Regions {
		if r = strings.TrimSpace(r); r != "" {
			flt.Regions = append(flt.Regions, r)
		}
	}
	return flt, nil
}

// Run judges the logs of o.Sources not judged yet and writes the findings.
func Run(o *Options) error {
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if len(o.Sources) == 0 {
		return cmdutil.BadInputf("--source is required (a directory, s3://bucket/prefix, or lookup-events)")
	}
	failOn, err := parseFailOn(o.FailOn)
	if err != nil {
		return err
	}
	flt, err := o.filter()
	if err != nil {
		return cmdutil.BadInput(err)
	}
	ws, err := o.Workspace()
	if err != nil {
		return err
	}
	warn := func(msg string) { fmt.Fprintf(o.IO.ErrOut, "warning: %s\n", msg) }
	in, done, err := o.Inputs(ctx, ws, warn)
	if err != nil {
		return err
	}
	defer done()
	for _, s := range o.Sources {
		src, err := o.OpenSource(ctx, s)
		if err != nil {
			return cmdutil.BadInput(err)
		}
		in.Sources = append(in.Sources, src)
	}
	in.Filter = flt
	in.Rejudge = o.Rejudge
	res, err := detect.Run(ctx, in)
	if err != nil {
		return err
	}
	if err := Write(o.IO, o.Output, o.Out, res.Findings, &res.Run); err != nil {
		return err
	}
	if err := gate(res.Findings, failOn); err != nil {
		return err
	}
	if len(res.Run.Unreadable) > 0 {
		return &cmdutil.ExitError{Code: cmdutil.ExitPartial}
	}
	return nil
}

func parseFailOn(s string) (finding.Severity, error) {
	if s == "" {
		return -1, nil
	}
	sev, err := finding.ParseSeverity(s)
	if err != nil {
		return 0, cmdutil.BadInputf("--fail-on: %v", err)
	}
	return sev, nil
}

func gate(l []detect.Listed, failOn finding.Severity) error {
	if failOn < 0 {
		return nil
	}
	n := 0
	for _, x := range l {
		if x.Ack == nil && x.Finding.Severity >= failOn {
			n++
		}
	}
	if n > 0 {
		return &cmdutil.ExitError{Code: cmdutil.ExitFindings, Err: fmt.Errorf("%d unacknowledged detection findings at or above %s (--fail-on)", n, failOn)}
	}
	return nil
}

// Report turns listed detection findings into the common report model:
// detection rules and findings, each finding's evidence ending with its
// status (new, seen before, acknowledged with the reason).
func Report(l []detect.Listed) *finding.Report {
	rep := &finding.Report{Tool: "seiri", Version: version.String()}
	used := map[string]bool{}
	for _, x := range l {
		used[x.Finding.RuleID] = true
		ff := x.Finding.Report()
		status := "new"
		if !x.New {
			status = "seen before (first raised " + x.FirstRaised.UTC().Format(time.RFC3339) + ", raised by " + strconv.Itoa(x.Raised) + " runs)"
		}
		if x.Ack != nil {
			status = "acknowledged " + x.Ack.At.Format(time.RFC3339) + ": " + x.Ack.Reason
		}
		ff.Evidence = append(ff.Evidence, finding.Evidence{Name: "status", Value: status})
		rep.Findings = append(rep.Findings, ff)
	}
	for _, r := range detect.Rules() {
		if used[r.ID] {
			rep.Rules = append(rep.Rules, r.Rule)
		}
	}
	return rep
}

// Write renders findings in format to out (a file, 0600) or standard
// output, and says what the run used (run may be nil: a listing of the
// state). json is the detection result itself (findings with their
// supporting events, and the run); the other formats are the audit
// report's (table, csv, sarif, markdown, html).
func Write(ios *cmdutil.IOStreams, format, out string, l []detect.Listed, run *detect.RunInfo) error {
	var buf bytes.Buffer
	if format == "json" {
		v := struct {
			Findings []detect.Listed `json:"findings"`
			Run      *detect.RunInfo `json:"run,omitempty"`
		}{l, run}
		if v.Findings == nil {
			v.Findings = []detect.Listed{}
		}
		if err := cmdutil.WriteJSON(&buf, v); err != nil {
			return err
		}
	} else {
		if format == "table" && run != nil {
			writeUsed(&buf, run)
		}
		if err := report.Render(&buf, format, Report(l)); err != nil {
			return cmdutil.BadInput(err)
		}
	}
	if out != "" {
		if err := workspace.WriteFile(out, buf.Bytes()); err != nil {
			return err
		}
		fmt.Fprintf(ios.ErrOut, "Report (%s) written to %s\n", format, out)
	} else if _, err := ios.Out.Write(buf.Bytes()); err != nil {
		return err
	}
	if run != nil && (format != "table" || out != "") {
		writeUsed(ios.ErrOut, run)
	}
	return nil
}

// writeUsed says what the run used: sources, window, objects and records
// judged, the baseline, and the rules not (fully) evaluated.
func writeUsed(w io.Writer, r *detect.RunInfo) {
	win := "every event the sources hold"
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	switch {
	case !r.Since.IsZero() && !r.Until.IsZero():
		win = ts(r.Since) + " to " + ts(r.Until)
	case !r.Since.IsZero():
		win = "since " + ts(r.Since)
	case !r.Until.IsZero():
		win = "until " + ts(r.Until)
	}
	fmt.Fprintf(w, "Detection: %d records judged from %d log objects (%d judged by earlier runs, skipped; %d records outside the window; %d elements not records)\n",
		r.Records, r.Objects, r.Skipped, r.Outside, r.BadRecords)
	fmt.Fprintf(w, "  sources: %s\n  window:  %s\n  baseline: %s\n", strings.Join(r.Sources, ", "), win, r.Baseline)
	fmt.Fprintf(w, "  credentials still learning (history under the minimum): %d events; roaming credentials: %d events\n", r.Stats.Learning, r.Stats.Roaming)
	if r.Streaming != "" {
		fmt.Fprintf(w, "  streaming %s; at most %d records held at once; %d came later than the window (judged when read)\n", r.Streaming, r.MaxBuffered, r.Late)
	}
	for _, id := range sortedKeys(r.Stats.Undetermined) {
		fmt.Fprintf(w, "  undetermined %s: %d events (a field or baseline the rule needs was absent)\n", id, r.Stats.Undetermined[id])
	}
	for _, id := range sortedKeys(r.NotEvaluated) {
		fmt.Fprintf(w, "  not evaluated %s: %s\n", id, r.NotEvaluated[id])
	}
	for _, u := range r.Unreadable {
		fmt.Fprintf(w, "  unreadable: %s\n", u)
	}
	fmt.Fprintln(w)
}

func sortedKeys[V any](m map[string]V) []string {
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

// FindingsOptions are the inputs of `seiri detect findings`.
type FindingsOptions struct {
	IO        *cmdutil.IOStreams
	Workspace func() (*workspace.Workspace, error) // opened read-only
	Output    string                               // --output (global)

	All    bool   // --all: acknowledged findings too
	FailOn string // --fail-on
	Out    string // --out
}

// NewCmdFindings parses flags into FindingsOptions and calls runF
// (findingsRun when nil).
func NewCmdFindings(f *cmdutil.Factory, runF func(*FindingsOptions) error) *cobra.Command {
	opts := &FindingsOptions{IO: f.IO, Workspace: f.ReadWorkspace}
	cmd := &cobra.Command{
		Use:   "findings",
		Short: "List the detection findings the workspace holds (open ones; --all adds acknowledged)",
		Example: `  seiri detect findings
  seiri detect findings --all --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Globals.Output
			if runF != nil {
				return runF(opts)
			}
			return findingsRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "list acknowledged findings too")
	cmd.Flags().StringVar(&opts.FailOn, "fail-on", "", "exit 1 when an open finding at or above this severity exists")
	cmd.Flags().StringVar(&opts.Out, "out", "", "write the report to this file (mode 0600) instead of standard output")
	return cmd
}

func findingsRun(o *FindingsOptions) error {
	failOn, err := parseFailOn(o.FailOn)
	if err != nil {
		return err
	}
	ws, err := o.Workspace()
	if err != nil {
		return err
	}
	dir := filepath.Join(ws.Dir, detect.StateDir)
	st, err := detect.LoadState(dir)
	if err != nil {
		return err
	}
	acks, err := detect.LoadAcks(dir)
	if err != nil {
		return err
	}
	open, acked := st.Open(acks)
	if o.All {
		open = st.All(acks)
	} else if acked > 0 {
		fmt.Fprintf(o.IO.ErrOut, "%d acknowledged findings not listed (--all lists them)\n", acked)
	}
	if len(st.Findings) == 0 && st.LastRun == nil {
		fmt.Fprintln(o.IO.ErrOut, "no detection has run in this workspace: run `seiri detect --source ...` or `seiri trail scan --detect`")
	}
	if err := Write(o.IO, o.Output, o.Out, open, nil); err != nil {
		return err
	}
	return gate(open, failOn)
}

// AckOptions are the inputs of `seiri detect ack`.
type AckOptions struct {
	IO        *cmdutil.IOStreams
	Workspace func() (*workspace.Workspace, error) // opened for writing
	Now       func() time.Time

	ID     string // argument: the finding's id
	Reason string // --reason
}

// NewCmdAck parses flags into AckOptions and calls runF (ackRun when nil).
func NewCmdAck(f *cmdutil.Factory, runF func(*AckOptions) error) *cobra.Command {
	opts := &AckOptions{IO: f.IO, Workspace: f.Workspace, Now: f.Now}
	cmd := &cobra.Command{
		Use:     "ack ID --reason TEXT",
		Short:   "Acknowledge a detection finding: kept in the workspace, shown as acknowledged, no longer failing gates",
		Example: `  seiri detect ack D-3f2a9c41b7e0 --reason "new CI runner network, confirmed with the platform team"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(opts)
			}
			return ackRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why the finding is accepted (required)")
	return cmd
}

func ackRun(o *AckOptions) error {
	ws, err := o.Workspace()
	if err != nil {
		return err
	}
	a, err := detect.AddAck(filepath.Join(ws.Dir, detect.StateDir), o.ID, o.Reason, o.Now())
	if err != nil {
		return cmdutil.BadInput(err)
	}
	fmt.Fprintf(o.IO.Out, "acknowledged %s (%s): %s\n", a.ID, a.Rule, a.Reason)
	return nil
}

// RulesOptions are the inputs of `seiri detect rules`.
type RulesOptions struct {
	IO     *cmdutil.IOStreams
	Output string // --output (global)
}

// NewCmdRules parses flags into RulesOptions and calls runF (rulesRun when
// nil).
func NewCmdRules(f *cmdutil.Factory, runF func(*RulesOptions) error) *cobra.Command {
	opts := &RulesOptions{IO: f.IO}
	return &cobra.Command{
		Use:   "rules",
		Short: "List the detection rules: id, severity, threshold settings, GuardDuty and ATT&CK anchors",
		Example: `  seiri detect rules
  seiri detect rules --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Globals.Output
			if runF != nil {
				return runF(opts)
			}
			return rulesRun(opts)
		},
	}
}

func rulesRun(o *RulesOptions) error {
	rules := detect.Rules()
	if o.Output == "json" {
		return cmdutil.WriteJSON(o.IO.Out, struct {
			Rules any `json:"rules"`
		}{rules})
	}
	// Rule IDs stay whole in 120 columns: the thresholds follow the
	// table, one line per rule that has them.
	tw := table.NewWriter(o.IO.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tATT&CK\tTITLE")
	for _, r := range rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Severity, strings.Join(r.ATTACK, ","), r.Title)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(o.IO.Out, "\nThresholds (seiri.yaml detect: section; docs/detect.md):")
	for _, r := range rules {
		if r.Threshold != "" {
			fmt.Fprintf(o.IO.Out, "  %s: %s\n", r.ID, r.Threshold)
		}
	}
	return nil
}
