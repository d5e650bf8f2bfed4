package org

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/report"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// NewCmd is the `seiri org` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "org",
		Short: "The organization as code: OU tree, accounts and policies in org.yaml",
		Long: `seiri org manages the organization from a spec, org.yaml: the OU tree,
where each account sits, the policies (SCPs, RCPs, tag policies…) and where
they are attached. init writes a starting spec, import adopts an existing
organization, validate checks AWS's limits, plan shows the changes in a safe
order.`,
	}
	cmd.AddCommand(NewCmdOrgInit(f, nil), NewCmdOrgImport(f, nil), NewCmdOrgValidate(f, nil), NewCmdOrgPlan(f, nil), NewCmdOrgSchema(f, nil),
		NewCmdOrgApply(f, nil), NewCmdOrgStage(f, nil), NewCmdOrgReport(f, nil))
	return cmd
}

// OrgInitOptions are the inputs of `seiri org init`.
type OrgInitOptions struct {
	IO *cmdutil.IOStreams

	Template string // --template
	Out      string // --out: the spec to write (- for standard output)
	Force    bool   // --force
}

// NewCmdOrgInit parses flags into OrgInitOptions and calls runF
// (orgInitRun when nil).
func NewCmdOrgInit(f *cmdutil.Factory, runF func(*OrgInitOptions) error) *cobra.Command {
	opts := &OrgInitOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a starting org.yaml from a template",
		Example: `  seiri org init
  seiri org init --template aws-multi-account --out - > org.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return orgInitRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Template, "template", "aws-multi-account", "template: aws-multi-account")
	cmd.Flags().StringVar(&opts.Out, "out", "org.yaml", "file to write (- for standard output)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite an existing file")
	return cmd
}

func orgInitRun(opts *OrgInitOptions) error {
	sp, cm, err := org.Template(opts.Template)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	data := org.Marshal(sp, cm)
	if err := writeOut(opts.IO, opts.Out, data, opts.Force); err != nil {
		return err
	}
	if opts.Out != "-" {
		fmt.Fprintf(opts.IO.ErrOut, "wrote %s (template %s): edit regions and role names, place your accounts, then run seiri org validate\n", opts.Out, opts.Template)
	}
	return nil
}

// writeOut writes data to path ("-": stdout), refusing to overwrite
// unless force.
func writeOut(io *cmdutil.IOStreams, path string, data []byte, force bool) error {
	if path == "-" {
		_, err := io.Out.Write(data)
		return err
	}
	if !force {
		if _, err := os.Stat(path); err == nil {
			return cmdutil.BadInputf("%s exists (use --force to overwrite)", path)
		}
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	return workspace.WriteFile(path, data)
}

// OrgImportOptions are the inputs of `seiri org import`.
type OrgImportOptions struct {
	IO        *cmdutil.IOStreams
	Workspace func() (*workspace.Workspace, error)

	Snapshot string // --snapshot
	Out      string // --out: the spec to write; policies go next to it
	Force    bool   // --force
}

// NewCmdOrgImport parses flags into OrgImportOptions and calls runF
// (orgImportRun when nil).
func NewCmdOrgImport(f *cmdutil.Factory, runF func(*OrgImportOptions) error) *cobra.Command {
	opts := &OrgImportOptions{IO: f.IO, Workspace: f.ReadWorkspace}
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Write org.yaml from a snapshot's organization (a following plan is empty)",
		Example: `  seiri org import
  seiri org import --out infra/org.yaml --force`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return orgImportRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Snapshot, "snapshot", snapshot.Latest, "snapshot to import (folder, name, or latest)")
	cmd.Flags().StringVar(&opts.Out, "out", "org.yaml", "file to write; policies go to policies/ next to it")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite existing files")
	return cmd
}

// loadOrganization reads the organization of snapshot ref.
func loadOrganization(wsF func() (*workspace.Workspace, error), ref string) (*snapshot.Organization, error) {
	ws, err := wsF()
	if err != nil {
		return nil, err
	}
	s, err := snapshot.Load(ws.SnapshotsDir(), ref)
	if err != nil {
		return nil, cmdutil.BadInput(err)
	}
	if s.Organization == nil {
		return nil, cmdutil.BadInputf("snapshot %s has no organization (collected without Organizations access?)", s.Dir)
	}
	return s.Organization, nil
}

func orgImportRun(opts *OrgImportOptions) error {
	if opts.Out == "-" {
		return cmdutil.BadInputf("--out -: import writes policy files next to the spec; give a file name")
	}
	o, err := loadOrganization(opts.Workspace, opts.Snapshot)
	if err != nil {
		return err
	}
	sp, files, cm, err := org.Import(o)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	dir := filepath.Dir(opts.Out)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	if !opts.Force {
		for _, n := range append([]string{opts.Out}, names...) {
			p := n
			if n != opts.Out {
				p = filepath.Join(dir, n)
			}
			if _, err := os.Stat(p); err == nil {
				return cmdutil.BadInputf("%s exists (use --force to overwrite)", p)
			}
		}
	}
	for _, n := range names {
		if err := writeOut(opts.IO, filepath.Join(dir, n), files[n], true); err != nil {
			return err
		}
	}
	if err := writeOut(opts.IO, opts.Out, org.Marshal(sp, cm), true); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "wrote %s and %d policy files from organization %s\n", opts.Out, len(names), o.ID)
	return nil
}

// OrgValidateOptions are the inputs of `seiri org validate`.
type OrgValidateOptions struct {
	IO      *cmdutil.IOStreams
	Config  func() (*config.Config, error)
	Catalog func() *catalog.Catalog // the IAM catalog in force
	// WorkDir is the working directory: SARIF locations are relative to it.
	WorkDir func() (string, error)

	Output string // --output (global): table, json or sarif
	Spec   string // argument: the spec (default org.yaml)
}

// NewCmdOrgValidate parses flags into OrgValidateOptions and calls runF
// (orgValidateRun when nil).
func NewCmdOrgValidate(f *cmdutil.Factory, runF func(*OrgValidateOptions) error) *cobra.Command {
	opts := &OrgValidateOptions{IO: f.IO, Config: f.Config, Catalog: f.Catalog, WorkDir: os.Getwd}
	cmd := &cobra.Command{
		Use:   "validate [org.yaml]",
		Short: "Check org.yaml against AWS Organizations' limits and seiri's safety rules",
		Long: `Check org.yaml and the policy files it names: AWS Organizations' limits,
seiri's safety rules, and every SCP and RCP through seiri policy validate.
Each problem names its file, line and column (a problem in a policy file
points at the statement or element in that file).

--output sarif writes the problems for GitHub code scanning, with paths
relative to the working directory (run it from the repository root).

Exit codes: 0 valid, 2 the spec has problems or cannot be read.`,
		Example: `  seiri org validate
  seiri org validate infra/org.yaml -o json
  seiri org validate infra/org.yaml -o sarif > org.sarif`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Spec = "org.yaml"
			if len(args) == 1 {
				opts.Spec = args[0]
			}
			opts.Output = f.Globals.Output
			if runF != nil {
				return runF(opts)
			}
			return orgValidateRun(opts)
		},
	}
	return cmd
}

// compileSpec loads and validates a spec; problems are an input error
// (their diagnostics), returned with them.
func compileSpec(cfgF func() (*config.Config, error), cat func() *catalog.Catalog, path string) (*org.Document, *org.State, org.Problems, error) {
	cfg, err := cfgF()
	if err != nil {
		return nil, nil, nil, err
	}
	d, err := org.Load(path)
	if err != nil {
		return nil, nil, nil, cmdutil.BadInput(err)
	}
	s, ps := org.Compile(d, org.Options{Limits: org.LimitsFrom(cfg), Validator: ValidatePolicy(cat())})
	if len(ps) > 0 {
		return d, nil, ps, ps.Diagnostics()
	}
	return d, s, nil, nil
}

func orgValidateRun(opts *OrgValidateOptions) error {
	_, s, ps, err := compileSpec(opts.Config, opts.Catalog, opts.Spec)
	if err != nil && ps == nil {
		// A spec that does not parse is one problem at its line and column,
		// for code scanning too; a file that cannot be read is not.
		p, ok := parseProblem(opts.Spec, err)
		if !ok || opts.Output != "sarif" {
			return err
		}
		ps = org.Problems{p}
	}
	switch opts.Output {
	case "json":
		if ps == nil {
			ps = org.Problems{}
		}
		if werr := cmdutil.WriteJSON(opts.IO.Out, map[string]any{"valid": len(ps) == 0, "problems": ps}); werr != nil {
			return werr
		}
	case "sarif":
		wd, werr := opts.WorkDir()
		if werr != nil {
			return werr
		}
		if werr := report.Render(opts.IO.Out, "sarif", specProblemsReport(ps, wd)); werr != nil {
			return werr
		}
	default:
		if err == nil {
			fmt.Fprintf(opts.IO.Out, "%s is valid: %d OUs, %d accounts, %d policies.\n", opts.Spec, len(s.OUs), len(s.Accounts), len(s.Policies)-1)
		}
	}
	return err
}

// parseProblem reads the position out of org.Load's error for a spec that
// does not parse ("org.yaml:3:5: message"); false for any other error.
func parseProblem(spec string, err error) (org.Problem, bool) {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return org.Problem{}, false
	}
	msg, ok := strings.CutPrefix(err.Error(), spec+":")
	if !ok {
		return org.Problem{}, false
	}
	p := org.Problem{File: spec, Path: "$"}
	if m := reLineCol.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Column, _ = strconv.Atoi(m[2])
		msg = m[3]
	}
	p.Message = strings.TrimSpace(msg)
	return p, true
}

var reLineCol = regexp.MustCompile(`^(\d+):(\d+):\s*(?s)(.*)$`)

// specProblemsReport is the spec's problems as findings: each at its file,
// line and column (relative to wd), a policy file's problems under their
// validation code, the spec's own under org.spec.
func specProblemsReport(ps org.Problems, wd string) *finding.Report {
	rep := report.ValidationReport()
	report.AddRule(rep, report.OrgSpecRule)
	for _, p := range ps {
		ru := report.OrgSpecRule
		if p.Code != "" {
			ru = report.ValidationRule(p.Code, "error")
			report.AddRule(rep, ru)
		}
		rep.Findings = append(rep.Findings, finding.Finding{RuleID: ru.ID, Severity: ru.Severity, Title: p.Message,
			Recommendation: ru.Recommendation,
			Location:       &finding.Location{File: report.RelPath(wd, p.File), Line: p.Line, Column: p.Column, Path: p.Path}})
	}
	return rep
}

// OrgPlanOptions are the inputs of `seiri org plan`.
type OrgPlanOptions struct {
	IO        *cmdutil.IOStreams
	Context   context.Context
	Workspace func() (*workspace.Workspace, error)
	Config    func() (*config.Config, error)
	Catalog   func() *catalog.Catalog // the IAM catalog in force
	Now       func() time.Time
	Logger    func() *slog.Logger

	Output   string // --output (global): table or json
	Spec     string // --spec
	Snapshot string // --snapshot
	Out      string // --out: save the plan for apply
	Days     int    // --days: usage window of the impact replay
}

// NewCmdOrgPlan parses flags into OrgPlanOptions and calls runF
// (orgPlanRun when nil).
func NewCmdOrgPlan(f *cmdutil.Factory, runF func(*OrgPlanOptions) error) *cobra.Command {
	opts := &OrgPlanOptions{IO: f.IO, Workspace: f.ReadWorkspace, Config: f.Config, Catalog: f.Catalog, Now: f.Now, Logger: f.Logger}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show the changes that turn the organization into org.yaml, in a safe order",
		Example: `  seiri org plan
  seiri org plan --spec infra/org.yaml --out org-plan.json --days 30`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Globals.Output
			opts.Context = f.Context
			if runF != nil {
				return runF(opts)
			}
			return orgPlanRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Spec, "spec", "org.yaml", "the spec")
	cmd.Flags().StringVar(&opts.Snapshot, "snapshot", snapshot.Latest, "snapshot holding the current organization")
	cmd.Flags().StringVar(&opts.Out, "out", "", "save the plan as JSON (with the base state's fingerprint) for apply")
	cmd.Flags().IntVar(&opts.Days, "days", 30, "usage window of the impact replay, in days")
	return cmd
}

func orgPlanRun(opts *OrgPlanOptions) error {
	d, desired, _, err := compileSpec(opts.Config, opts.Catalog, opts.Spec)
	if err != nil {
		return err
	}
	o, basedOn, err := baseOrganization(opts.Workspace, opts.Logger(), opts.Snapshot)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "planning from %s\n", basedOn)
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	p, err := org.NewPlanLimits(d, desired, o, opts.Now(), org.LimitsFrom(cfg))
	if err != nil {
		return cmdutil.BadInput(err)
	}
	p.BasedOn = basedOn
	if opts.Out != "" {
		data, err := org.EncodePlan(p)
		if err != nil {
			return err
		}
		if err := writeOut(opts.IO, opts.Out, data, true); err != nil {
			return err
		}
		opts.Logger().Debug("plan file written", "path", opts.Out, "changes", len(p.Changes), "base", p.BaseFingerprint, "basedOn", p.BasedOn)
	}
	if opts.Output == "json" {
		return cmdutil.WriteJSON(opts.IO.Out, p)
	}
	if err := org.WriteText(opts.IO.Out, p); err != nil {
		return err
	}
	if len(p.Changes) > 0 {
		ctx := opts.Context
		if ctx == nil {
			ctx = context.Background()
		}
		r := Replayer{Ctx: ctx, Workspace: opts.Workspace, Now: opts.Now, Catalog: opts.Catalog, ErrOut: opts.IO.ErrOut}
		if err := r.planImpact(opts.IO.Out, o, p, max(opts.Days, 1), false); err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "warning: impact replay: %v\n", err)
		}
	}
	if opts.Out != "" {
		fmt.Fprintf(opts.IO.ErrOut, "saved plan to %s (base %s)\n", opts.Out, p.BaseFingerprint)
	}
	return nil
}

// OrgSchemaOptions are the inputs of `seiri org schema`.
type OrgSchemaOptions struct {
	IO *cmdutil.IOStreams
}

// NewCmdOrgSchema parses flags into OrgSchemaOptions and calls runF
// (orgSchemaRun when nil).
func NewCmdOrgSchema(f *cmdutil.Factory, runF func(*OrgSchemaOptions) error) *cobra.Command {
	opts := &OrgSchemaOptions{IO: f.IO}
	return &cobra.Command{
		Use:     "schema",
		Short:   "Print the JSON Schema of org.yaml (for editor completion)",
		Example: `  seiri org schema > org.schema.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return orgSchemaRun(opts)
		},
	}
}

func orgSchemaRun(opts *OrgSchemaOptions) error {
	_, err := opts.IO.Out.Write(org.Schema())
	return err
}
