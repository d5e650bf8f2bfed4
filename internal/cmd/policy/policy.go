package policy

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/report"
	"github.com/seiri-dev/seiri/internal/table"
)

// NewCmd is the `seiri policy` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Validate, simulate and generate IAM policies",
	}
	cmd.AddCommand(NewCmdPolicyValidate(f, nil), NewCmdPolicySimulate(f, nil))
	cmd.AddCommand(newPolicyGenerateCmd(f), newPolicyDiffCmd(f))
	return cmd
}

// PolicyValidateOptions are the inputs of `policy validate`.
type PolicyValidateOptions struct {
	IO      *cmdutil.IOStreams
	Catalog func() (policy.Catalog, error)
	// WorkDir is the working directory: SARIF locations are relative to it.
	WorkDir func() (string, error)

	File   string // argument: the policy file, or - for stdin
	Type   string // --type
	FailOn string // --fail-on
	Output string // --output (global): table, json or sarif
}

// NewCmdPolicyValidate parses flags into PolicyValidateOptions.
func NewCmdPolicyValidate(f *cmdutil.Factory, runF func(*PolicyValidateOptions) error) *cobra.Command {
	opts := &PolicyValidateOptions{IO: f.IO, WorkDir: os.Getwd}
	cmd := &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a policy document like Access Analyzer's policy checks",
		Example: `  seiri policy validate policy.json
  seiri policy validate bucket-policy.json --type resource --fail-on warning
  seiri policy validate policies/deny-regions.json --type scp -o sarif > policy.sarif`,
		Long: `Check a policy document (FILE, or - for stdin) and report errors, security
warnings and suggestions, each with a stable code, the statement index/Sid, a
JSON path and a line:column.

--output sarif writes the issues for GitHub code scanning: each at the
policy file's line and column (relative to the working directory; run it
from the repository root), under a rule per code.

Exit status: 0 when nothing at or above --fail-on was found, 1 when something
was (default: errors only), 2 when FILE cannot be read or a flag is wrong.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			opts.Output = f.Globals.Output
			opts.Catalog = func() (policy.Catalog, error) { return f.Catalog(), nil }
			if runF != nil {
				return runF(opts)
			}
			return policyValidateRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Type, "type", "identity", "policy type; one of: identity, resource, trust, boundary, session, scp, rcp")
	cmd.Flags().StringVar(&opts.FailOn, "fail-on", "error", "exit 1 when an issue at or above this severity is found; one of: error, warning, suggestion, none")
	return cmd
}

func readPolicyInput(io *cmdutil.IOStreams, name string) ([]byte, error) {
	if name == "-" {
		return readPolicyLimited(io.In)
	}
	fh, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return readPolicyLimited(fh)
}

// maxPolicyFileSize bounds what validate reads: the largest AWS policy is a few
// tens of kilobytes.
const maxPolicyFileSize = 8 << 20

func readPolicyLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxPolicyFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxPolicyFileSize {
		return nil, fmt.Errorf("larger than %d bytes", maxPolicyFileSize)
	}
	return b, nil
}

type policyValidateReport struct {
	File    string         `json:"file"`
	Type    string         `json:"type"`
	Issues  []policy.Issue `json:"issues"`
	Summary map[string]int `json:"summary"`
}

func policyValidateRun(opts *PolicyValidateOptions) error {
	t, err := policy.ParseType(opts.Type)
	if err != nil {
		return cmdutil.BadInputf("--type: %v", err)
	}
	failRank := map[string]int{"error": 0, "warning": 1, "suggestion": 2, "none": -1}
	fr, ok := failRank[strings.ToLower(opts.FailOn)]
	if !ok {
		return cmdutil.BadInputf("--fail-on %q: want error, warning, suggestion or none", opts.FailOn)
	}
	if opts.Output != "table" && opts.Output != "json" && opts.Output != "sarif" {
		return cmdutil.BadInputf("--output %s: policy validate writes table, json or sarif", opts.Output)
	}
	data, err := readPolicyInput(opts.IO, opts.File)
	if err != nil {
		return cmdutil.BadInputf("read policy %q: %v", opts.File, err)
	}
	var cat policy.Catalog
	if opts.Catalog != nil {
		if cat, err = opts.Catalog(); err != nil {
			return fmt.Errorf("load the IAM catalog: %w", err)
		}
	}
	issues := policy.Validate(data, t, cat)
	if issues == nil {
		issues = []policy.Issue{}
	}
	sum := map[string]int{"errors": 0, "warnings": 0, "suggestions": 0}
	worst := 3
	for _, is := range issues {
		r := 2
		switch is.Severity {
		case policy.SevError:
			sum["errors"]++
			r = 0
		case policy.SevWarning:
			sum["warnings"]++
			r = 1
		default:
			sum["suggestions"]++
		}
		if r < worst {
			worst = r
		}
	}
	switch opts.Output {
	case "json":
		if err := cmdutil.WriteJSON(opts.IO.Out, policyValidateReport{File: opts.File, Type: t.String(), Issues: issues, Summary: sum}); err != nil {
			return err
		}
	case "sarif":
		wd, err := opts.WorkDir()
		if err != nil {
			return err
		}
		if err := report.Render(opts.IO.Out, "sarif", issuesReport(opts.File, wd, issues)); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.ErrOut, "%s (%s policy): %d errors, %d warnings, %d suggestions\n", opts.File, t, sum["errors"], sum["warnings"], sum["suggestions"])
	default:
		w := table.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
		if len(issues) > 0 {
			fmt.Fprintln(w, "SEVERITY\tCODE\tLINE:COL\tSTATEMENT\tPATH\tMESSAGE")
		}
		for _, is := range issues {
			stmt := "-"
			if is.Statement >= 0 {
				stmt = strconv.Itoa(is.Statement)
				if is.Sid != "" {
					stmt += " (" + policyCell(is.Sid) + ")"
				}
			}
			fmt.Fprintf(w, "%s\t%s\t%d:%d\t%s\t%s\t%s\n", is.Severity, is.Code, is.Line, is.Column, stmt, policyCell(is.Path), policyCell(is.Message))
		}
		if err := w.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.Out, "%s (%s policy): %d errors, %d warnings, %d suggestions\n", opts.File, t, sum["errors"], sum["warnings"], sum["suggestions"])
	}
	if fr >= 0 && worst <= fr {
		return cmdutil.Silent(cmdutil.ExitFindings)
	}
	return nil
}

// issuesReport is a policy file's issues as findings for SARIF: each at its
// line and column in the file (relative to wd; standard input is named
// "stdin"), under its validation code as the rule.
func issuesReport(file, wd string, issues []policy.Issue) *finding.Report {
	rep := report.ValidationReport()
	loc := finding.Location{File: report.RelPath(wd, file)}
	if file == "-" {
		loc = finding.Location{File: "-", Stdin: true}
	}
	for _, is := range issues {
		ru := report.ValidationRule(is.Code, is.Severity)
		report.AddRule(rep, ru)
		l := loc
		l.Line, l.Column, l.Path = is.Line, is.Column, is.Path
		rep.Findings = append(rep.Findings, finding.Finding{RuleID: ru.ID, Severity: report.ValidationSeverity(is.Severity),
			Title: is.Message, Recommendation: ru.Recommendation, Location: &l})
	}
	return rep
}

// cell makes a value safe for one table cell: no tabs or newlines (values
// come from the policy file and may hold anything).
func policyCell(s string) string {
	if !strings.ContainsAny(s, "\t\n\r") {
		return s
	}
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}

// PolicySimulateOptions are the inputs of `policy simulate`.
type PolicySimulateOptions struct {
	IO                *cmdutil.IOStreams
	Cases             string
	Explain           bool
	Check             bool
	Workers           int
	ManagementAccount string
	// Catalog is the IAM catalog in force, read when the run starts (a
	// catalog refreshed by seiri catalog update included): it decides which
	// services RCPs govern. nil: the engine's embedded list.
	Catalog func() *catalog.Catalog
}

// NewCmdPolicySimulate parses flags into PolicySimulateOptions.
func NewCmdPolicySimulate(f *cmdutil.Factory, runF func(*PolicySimulateOptions) error) *cobra.Command {
	opts := &PolicySimulateOptions{IO: f.IO, Catalog: f.Catalog}
	cmd := &cobra.Command{
		Use:   "simulate --cases FILE.jsonl",
		Short: "Evaluate authorization cases with AWS's policy evaluation logic",
		Example: `  seiri policy simulate --cases cases.jsonl --explain
  seiri policy simulate --cases - --check < cases.jsonl`,
		Long: `Read cases (one JSON object per line: a request and every policy that applies,
see docs/policy.md) and print one {"id","decision","error"} line per case, in
input order. A bad line gives an error for that case and processing goes on.

Exit status: 0 when every case was evaluated (even with case errors), 1 with
--check when a decision differs from the case's "expected" or a case failed,
2 when the file cannot be read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Cases == "" {
				return cmdutil.BadInputf("--cases is required (a file, or - for stdin)")
			}
			if runF != nil {
				return runF(opts)
			}
			return policySimulateRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Cases, "cases", "", "JSON Lines file of cases, or - for stdin")
	cmd.Flags().BoolVar(&opts.Explain, "explain", false, "add a reason object: the deciding policy, statement and gate")
	cmd.Flags().BoolVar(&opts.Check, "check", false, "compare with each case's \"expected\" and exit 1 on a difference")
	cmd.Flags().IntVar(&opts.Workers, "parallel", 0, "cases evaluated at once (default: number of CPUs)")
	cmdutil.AliasFlag(cmd.Flags(), "workers", "parallel")
	cmd.Flags().StringVar(&opts.ManagementAccount, "management-account", "", "organization management account id: SCPs and RCPs do not apply to it")
	return cmd
}

func policySimulateRun(opts *PolicySimulateOptions) error {
	var in io.Reader
	if opts.Cases == "-" {
		in = opts.IO.In
	} else {
		fh, err := os.Open(opts.Cases)
		if err != nil {
			return cmdutil.BadInputf("read cases: %v", err)
		}
		defer fh.Close()
		in = fh
	}
	if opts.Workers < 0 {
		return cmdutil.BadInputf("--parallel %d: must not be negative", opts.Workers)
	}
	rcps := cmdutil.RCPServices(opts.Catalog)
	out := bufio.NewWriterSize(opts.IO.Out, 1<<16)
	sum := policy.NewSimulationSummary(opts.Check)
	buf := make([]byte, 0, 512)
	err := policy.Simulate(in, &policy.Options{ManagementAccount: opts.ManagementAccount, RCPServices: rcps}, opts.Workers, func(cr policy.CaseResult) error {
		sum.Add(cr)
		buf = appendPolicyCaseResult(buf[:0], cr, opts.Explain)
		_, err := out.Write(buf)
		return err
	})
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return cmdutil.BadInput(err)
		}
		return err
	}
	fmt.Fprint(opts.IO.ErrOut, sum.Render())
	if sum.Failed() {
		return cmdutil.Silent(cmdutil.ExitFindings)
	}
	return nil
}

// appendPolicyCaseResult writes one output line. Hand-built: 100,000 lines in a
// couple of seconds leaves no room for reflection per line.
func appendPolicyCaseResult(b []byte, cr policy.CaseResult, explain bool) []byte {
	b = append(b, `{"id":`...)
	switch id := cr.ID.(type) {
	case string:
		b = appendPolicyJSONString(b, id)
	case json.Number:
		b = append(b, id...)
	default:
		b = append(b, "null"...)
	}
	if cr.ID == nil {
		b = append(b, `,"line":`...)
		b = strconv.AppendInt(b, int64(cr.Line), 10)
	}
	if cr.Err != nil {
		b = append(b, `,"decision":null,"error":`...)
		b = appendPolicyJSONString(b, cr.Err.Error())
	} else {
		b = append(b, `,"decision":"`...)
		b = append(b, cr.Decision.String()...)
		b = append(b, `","error":null`...)
		if explain {
			rj, _ := json.Marshal(cr.Result.Explain())
			b = append(b, `,"reason":`...)
			b = append(b, rj...)
		}
	}
	return append(b, "}\n"...)
}

const policyHexDigits = "0123456789abcdef"

func appendPolicyJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', policyHexDigits[c>>4], policyHexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, '\\', 'u', '2', '0', '2', policyHexDigits[r&0xf])
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
