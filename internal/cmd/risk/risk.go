// Package risk holds `seiri risk`: privilege-escalation paths and external
// access, decided by internal/risk over a snapshot.
package risk

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/risk"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/table"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// outputs are the --output values the risk commands support.
var outputs = []string{"table", "json"}

func checkOutput(cmd, o string) error {
	if !cmdutil.Contains(outputs, o) {
		return cmdutil.BadInputf("--output %q: seiri risk %s supports %s", o, cmd, strings.Join(outputs, ", "))
	}
	return nil
}

// NewCmd is the `seiri risk` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "risk",
		Short: "Privilege-escalation paths to administrator and external/public access",
		Long: `Risk answers two questions over a snapshot, with the policy engine:
who can become an administrator (or reach a high-value principal), and how
(seiri risk paths); and who outside the organization can reach its roles and
resources (seiri risk external). See docs/risk.md and docs/external-access.md.`,
	}
	cmd.AddCommand(NewCmdPaths(f, nil), NewCmdExternal(f, nil))
	return cmd
}

// PathsOptions are the inputs of `seiri risk paths`.
type PathsOptions struct {
	IO        *cmdutil.IOStreams
	Workspace func() (*workspace.Workspace, error)
	Config    func() (*config.Config, error)
	Catalog   func() *catalog.Catalog

	Output    string   // --output (global): table|json
	Snapshot  string   // --snapshot
	Principal string   // argument: an ARN or a user/role name; "" = organization summary
	Targets   []string // --target: high-value principal ARNs
	Long      bool     // --long: every path of the summary, not the shortest 10
}

// NewCmdPaths parses flags into PathsOptions and calls runF (pathsRun when nil).
func NewCmdPaths(f *cmdutil.Factory, runF func(*PathsOptions) error) *cobra.Command {
	opts := &PathsOptions{IO: f.IO, Workspace: f.ReadWorkspace, Config: f.Config, Catalog: f.Catalog}
	cmd := &cobra.Command{
		Use:   "paths [PRINCIPAL]",
		Short: "Privilege-escalation paths: of one principal, or a summary of the organization",
		Long: `With PRINCIPAL (a user or role ARN, or a user or role name of the snapshot),
show its shortest path to administrator and to each high-value principal, each
step with the policy and statement that allow it, and every escalation method
it can perform. Without PRINCIPAL, summarize the organization: the principals
that can reach administrator, per account, with the shortest path length,
and the 10 shortest paths (--long: every path).

High-value principals come from --target and from audit.high_value_principals
in seiri.yaml. Steps that depend on resources the snapshot does not hold
(existing functions, stacks, instances, old policy versions) are "possible".

Exit codes: 0 done, 2 bad input (unknown or ambiguous principal, unknown
--target, unsupported --output, missing snapshot).`,
		Example: `  seiri risk paths
  seiri risk paths arn:aws:iam::123456789012:user/alice
  seiri risk paths release-automation --output json
  seiri risk paths --target arn:aws:iam::123456789012:role/break-glass
  seiri risk paths --long`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Globals.Output
			if len(args) == 1 {
				opts.Principal = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return pathsRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Snapshot, "snapshot", snapshot.Latest, "snapshot: a folder, a snapshot name in the workspace, or latest")
	fl.StringArrayVar(&opts.Targets, "target", nil, "ARN of a high-value principal to find paths to (repeatable; adds to audit.high_value_principals)")
	cmdutil.LongFlag(fl, &opts.Long)
	return cmd
}

func loadSnapshot(ws func() (*workspace.Workspace, error), ref string) (*snapshot.Snapshot, error) {
	w, err := ws()
	if err != nil {
		return nil, err
	}
	s, err := snapshot.Load(w.SnapshotsDir(), ref)
	if err != nil {
		return nil, cmdutil.BadInput(err)
	}
	return s, nil
}

func pathsRun(opts *PathsOptions) error {
	if err := checkOutput("paths", opts.Output); err != nil {
		return err
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	s, err := loadSnapshot(opts.Workspace, opts.Snapshot)
	if err != nil {
		return err
	}
	targets := append(append([]string(nil), cfg.Audit.HighValuePrincipals...), opts.Targets...)
	an := risk.AnalyzeModel(leastpriv.NewModel(s, opts.Catalog()), risk.Options{Targets: targets})
	for _, u := range an.Unknown {
		if cmdutil.Contains(opts.Targets, u) {
			return cmdutil.BadInputf("--target %q: not a user or role of snapshot %s", u, filepath.Base(s.Dir))
		}
		fmt.Fprintf(opts.IO.ErrOut, "warning: audit.high_value_principals: %q is not a user or role of snapshot %s; ignored\n", u, filepath.Base(s.Dir))
	}
	for _, p := range an.Problems {
		fmt.Fprintf(opts.IO.ErrOut, "warning: %s (paths through it may be missing)\n", p)
	}
	name := filepath.Base(s.Dir)
	if opts.Principal == "" {
		return writeSummary(opts.IO.Out, opts.Output, name, an, opts.Long)
	}
	arn, err := resolvePrincipal(an, opts.Principal)
	if err != nil {
		return err
	}
	rep, err := an.Report(arn)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	if opts.Output == "json" {
		return writeJSON(opts.IO.Out, struct {
			Snapshot string `json:"snapshot"`
			*risk.PrincipalReport
		}{name, rep})
	}
	return writePrincipal(opts.IO.Out, name, rep)
}

// resolvePrincipal finds a principal by ARN, or by user or role name (an
// error when no principal or several have that name).
func resolvePrincipal(an *risk.Analysis, ref string) (string, error) {
	if strings.HasPrefix(ref, "arn:") {
		n := an.Node(ref)
		if n == nil {
			return "", cmdutil.BadInputf("principal %q is not a user or role of the snapshot", ref)
		}
		return n.P.ARN, nil
	}
	var found []string
	for _, n := range an.Nodes {
		if n.P.Name == ref {
			found = append(found, n.P.ARN)
		}
	}
	sort.Strings(found)
	switch len(found) {
	case 0:
		return "", cmdutil.BadInputf("principal %q: no user or role of that name in the snapshot (give an ARN or a user/role name)", ref)
	case 1:
		return found[0], nil
	}
	return "", cmdutil.BadInputf("principal %q is ambiguous: %d principals have that name; give one ARN:\n  %s", ref, len(found), strings.Join(found, "\n  "))
}

func writeJSON(w io.Writer, v any) error {
	return cmdutil.WriteJSONUnescaped(w, v)
}

func writePrincipal(w io.Writer, snap string, r *risk.PrincipalReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (snapshot %s)\n", r.Principal, snap)
	switch {
	case r.Admin:
		b.WriteString("already an administrator")
		if len(r.AdminEvidence) > 0 {
			fmt.Fprintf(&b, ": %s", r.AdminEvidence[0])
		}
		b.WriteString("\n")
	case len(r.Paths) == 0:
		b.WriteString("no path to administrator or to a high-value principal\n")
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "warning: %s (paths through it may be missing)\n", p)
	}
	if len(r.Paths) > 0 {
		fmt.Fprintf(&b, "\nshortest paths (%d):\n", len(r.Paths))
		if err := risk.WritePaths(&b, r.Paths); err != nil {
			return err
		}
	}
	if len(r.Methods) > 0 {
		fmt.Fprintf(&b, "\nescalation methods it can perform (%d):\n", len(r.Methods))
		for _, s := range r.Methods {
			kind := ""
			if s.Possible {
				kind = " (possible)"
			}
			line := fmt.Sprintf("  %s%s: -> %s", s.Method, kind, s.To)
			if s.Via != "" {
				line += " via " + s.Via
			}
			fmt.Fprintln(&b, line)
			for _, e := range s.Allowed {
				fmt.Fprintf(&b, "     %s\n", e)
			}
		}
	}
	if len(r.OpeningActions) > 0 {
		fmt.Fprintf(&b, "\npermissions that open its paths (remove first): %s\n", strings.Join(r.OpeningActions, ", "))
		b.WriteString("\nNext:\n  seiri unused --principal " + r.Principal + "   # the unused permissions to remove\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// accountSummary counts the principals of one account with a path.
type accountSummary struct {
	Account    string `json:"account"`
	Principals int    `json:"principals"` // with a path to administrator
	Proven     int    `json:"proven"`
	Possible   int    `json:"possibleOnly"`
	Shortest   int    `json:"shortestSteps"`
}

type pathRow struct {
	Principal string `json:"principal"`
	Account   string `json:"account"`
	Goal      string `json:"goal"`
	GoalOf    string `json:"goalAccount"`
	Steps     int    `json:"steps"`
	Possible  bool   `json:"possible"`
	First     string `json:"firstStep"`
}

type summary struct {
	Snapshot       string           `json:"snapshot"`
	Principals     int              `json:"principals"`
	Administrators int              `json:"administrators"`
	WithPath       int              `json:"withPath"`
	Accounts       []accountSummary `json:"accounts"`
	Paths          []pathRow        `json:"paths"`
	Targets        []string         `json:"targets,omitempty"`
	Problems       []string         `json:"problems,omitempty"`
	Next           string           `json:"next,omitempty"`
}

func summarize(snap string, an *risk.Analysis) *summary {
	sm := &summary{Snapshot: snap, Principals: len(an.Nodes), Targets: an.Targets, Problems: an.Problems, Paths: []pathRow{}, Accounts: []accountSummary{}}
	for _, n := range an.Nodes {
		if n.Admin {
			sm.Administrators++
		}
	}
	byAcct := map[string]*accountSummary{}
	seen := map[string]bool{}
	for _, p := range append(an.AdminPaths(), an.TargetPaths()...) {
		n := an.Node(p.Principal)
		acct := n.P.Account
		first := ""
		if len(p.Steps) > 0 {
			first = p.Steps[0].Method + " -> " + p.Steps[0].To
		}
		sm.Paths = append(sm.Paths, pathRow{Principal: p.Principal, Account: acct, Goal: p.Goal, GoalOf: p.Account, Steps: len(p.Steps), Possible: p.Possible, First: first})
		if p.Goal != risk.GoalAdmin || seen[p.Principal] {
			continue
		}
		seen[p.Principal] = true
		a := byAcct[acct]
		if a == nil {
			a = &accountSummary{Account: acct}
			byAcct[acct] = a
		}
		a.Principals++
		if p.Possible {
			a.Possible++
		} else {
			a.Proven++
		}
		if a.Shortest == 0 || len(p.Steps) < a.Shortest {
			a.Shortest = len(p.Steps)
		}
	}
	sm.WithPath = len(seen)
	for _, a := range byAcct {
		sm.Accounts = append(sm.Accounts, *a)
	}
	sort.Slice(sm.Accounts, func(i, j int) bool { return sm.Accounts[i].Account < sm.Accounts[j].Account })
	sort.SliceStable(sm.Paths, func(i, j int) bool {
		a, b := sm.Paths[i], sm.Paths[j]
		if a.Possible != b.Possible {
			return !a.Possible
		}
		if a.Steps != b.Steps {
			return a.Steps < b.Steps
		}
		if a.Goal != b.Goal {
			return a.Goal < b.Goal
		}
		return a.Principal < b.Principal
	})
	if len(sm.Paths) > 0 {
		sm.Next = "seiri risk paths " + sm.Paths[0].Principal
	}
	return sm
}

// shortPaths is how many paths the summary lists without --long.
const shortPaths = 10

func writeSummary(w io.Writer, output, snap string, an *risk.Analysis, long bool) error {
	sm := summarize(snap, an)
	if output == "json" {
		return writeJSON(w, sm)
	}
	var b strings.Builder
	proven := 0
	for _, a := range sm.Accounts {
		proven += a.Proven
	}
	fmt.Fprintf(&b, "%d of %d principals can become an administrator (%d proven, %d only possibly) in %d accounts (snapshot %s)\n",
		sm.WithPath, sm.Principals, proven, sm.WithPath-proven, len(sm.Accounts), snap)
	fmt.Fprintf(&b, "%d already are administrators\n", sm.Administrators)
	if len(sm.Targets) > 0 {
		fmt.Fprintf(&b, "high-value principals: %s\n", strings.Join(sm.Targets, ", "))
	}
	if len(sm.Problems) > 0 {
		fmt.Fprintf(&b, "%d principals have policies that could not be read: their paths may be missing\n", len(sm.Problems))
	}
	if len(sm.Accounts) > 0 {
		b.WriteString("\n")
		tw := table.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ACCOUNT\tPRINCIPALS WITH A PATH\tPROVEN\tPOSSIBLE ONLY\tSHORTEST (STEPS)")
		for _, a := range sm.Accounts {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", a.Account, a.Principals, a.Proven, a.Possible, a.Shortest)
		}
		tw.Flush()
	}
	if len(sm.Paths) > 0 {
		paths := sm.Paths
		if !long && len(paths) > shortPaths {
			paths = paths[:shortPaths]
			fmt.Fprintf(&b, "\nThe %d shortest of %d paths (--long: every path):\n", len(paths), len(sm.Paths))
		} else {
			b.WriteString("\n")
		}
		tw := table.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "PRINCIPAL\tREACHES\tSTEPS\tKIND\tFIRST STEP")
		for _, p := range paths {
			goal := p.Goal
			if goal == risk.GoalAdmin {
				goal += " of " + p.GoalOf
			}
			kind := "proven"
			if p.Possible {
				kind = "possible"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", p.Principal, goal, p.Steps, kind, p.First)
		}
		tw.Flush()
		fmt.Fprintf(&b, "\nNext:\n  %s   # every step with the statement that allows it\n", sm.Next)
		if !long && len(sm.Paths) > shortPaths {
			b.WriteString("  seiri risk paths --long   # every path\n")
		}
	} else {
		b.WriteString("\nNext:\n  seiri audit   # no escalation path found\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
