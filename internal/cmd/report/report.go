// Package report is `seiri report`: the organization-wide HTML dashboard
// (internal/dashboard) built from the workspace — the latest snapshot and
// the one before it, the usage store, the analyses' plans and the journal.
package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/catalog"
	auditcmd "github.com/seiri-dev/seiri/internal/cmd/audit"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	groupscmd "github.com/seiri-dev/seiri/internal/cmd/groups"
	keyscmd "github.com/seiri-dev/seiri/internal/cmd/keys"
	orgcmd "github.com/seiri-dev/seiri/internal/cmd/org"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/dashboard"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/groups"
	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/report"
	"github.com/seiri-dev/seiri/internal/roles"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/sso"
	"github.com/seiri-dev/seiri/internal/usage"
	"github.com/seiri-dev/seiri/internal/version"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// Options are the inputs of `seiri report`: its dependencies as fields
// (filled by NewCmdReport from the factory; tests set them directly) and
// its flags.
type Options struct {
	IO        *cmdutil.IOStreams
	Context   context.Context
	Workspace func() (*workspace.Workspace, error) // opened read-only
	Config    func() (*config.Config, error)
	Now       func() time.Time
	Catalog   func() *catalog.Catalog // the IAM catalog in force
	Logger    func() *slog.Logger
	// Keys are the keys commands' dependencies (the key retirement
	// candidates are computed as seiri keys plan does).
	Keys   keyscmd.Deps
	Output string // --output (global): table only

	Out      string // --out: the HTML file; "" the workspace's reports folder
	Snapshot string // --snapshot
	Days     int    // --days: usage window of the analyses
	OrgPlan  string // --org-plan: a saved `seiri org plan --out` file
	Policies int    // --policies: how many least-privilege policies to generate
}

// NewCmd is the `seiri report` command.
func NewCmd(f *cmdutil.Factory) *cobra.Command { return NewCmdReport(f, nil) }

// NewCmdReport parses flags into Options and calls runF (Run when nil).
func NewCmdReport(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Context: f.Context, Workspace: f.ReadWorkspace, Config: f.Config, Now: f.Now,
		Catalog: f.Catalog, Logger: f.Logger, Keys: keyscmd.NewDeps(f)}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write one self-contained HTML dashboard of the workspace: findings, keys, permissions, plans",
		Long: `Report builds one HTML file from the workspace — the snapshot (and the one before
it, for the trend), the audit, the usage store, the key retirement candidates with
their evidence, unused permissions and generated least-privilege policies with
their proof, the groups, roles and Identity Center plans, the organization tree
with its SCPs (and the impact of a pending org plan given with --org-plan), and
what seiri changed (the journal).

The file is self-contained: no network access, every asset inlined, a strict
Content-Security-Policy; it opens from a file:// URL or as a CI artifact. Tables
sort, filter and search; every account, principal and access key has its own
page. A section whose data is missing says so and names the command to run.

It prints the file's path, the snapshot and usage window it used and the
sections it could not fill.`,
		Example: `  seiri report
  seiri report --out iam-report.html
  seiri report --snapshot 20261130T120000Z --days 30
  seiri org plan --spec org.yaml --out org-plan.json && seiri report --org-plan org-plan.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output, opts.Context = f.Globals.Output, f.Context
			opts.Keys.Bind(f)
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Out, "out", "", "write the HTML here (mode 0600; default <workspace>/reports/report-<snapshot>.html)")
	fl.StringVar(&opts.Snapshot, "snapshot", snapshot.Latest, "snapshot to report on: a folder, a snapshot name in the workspace, or latest")
	fl.IntVar(&opts.Days, "days", 90, "usage window of the analyses, in days")
	fl.StringVar(&opts.OrgPlan, "org-plan", "", "a plan saved by seiri org plan --out: show its changes and SCP impact")
	fl.IntVar(&opts.Policies, "policies", 10, "generate least-privilege policies for this many principals (most unused high-risk permissions first; 0: none)")
	return cmd
}

// ctx is the command's context (cancelled on Ctrl-C).
func (o *Options) ctx() context.Context {
	if o.Context == nil {
		return context.Background()
	}
	return o.Context
}

// Run gathers every section's input and writes the report.
func Run(o *Options) error {
	if o.Days < 1 {
		return cmdutil.BadInputf("--days %d: must be at least 1", o.Days)
	}
	if o.Policies < 0 {
		return cmdutil.BadInputf("--policies %d: must not be negative", o.Policies)
	}
	ws, err := o.Workspace()
	if err != nil {
		return err
	}
	cfg, err := o.Config()
	if err != nil {
		return err
	}
	s, err := snapshot.Load(ws.SnapshotsDir(), o.Snapshot)
	if err != nil {
		return cmdutil.BadInput(fmt.Errorf("%w (run seiri collect first)", err))
	}
	in, err := Gather(o, ws, cfg, s)
	if err != nil {
		return err
	}
	start := time.Now()
	out := o.Out
	if out == "" {
		dir := ws.ReportsDir()
		if !ws.ReadOnly {
			if dir, err = ws.Subdir("reports"); err != nil {
				return err
			}
		}
		out = filepath.Join(dir, "report-"+filepath.Base(s.Dir)+".html")
	}
	var buf strings.Builder
	if err := dashboard.Render(&buf, *in); err != nil {
		return err
	}
	if err := workspace.WriteFile(out, []byte(buf.String())); err != nil {
		return err
	}
	o.Logger().Debug("report rendered", "bytes", buf.Len(), "took", time.Since(start))
	w := o.IO.Out
	fmt.Fprintf(w, "%s\n", cmdutil.SnapshotLine(s))
	if in.Previous != nil {
		fmt.Fprintf(w, "trend against snapshot %s\n", filepath.Base(in.Previous.Dir))
		for _, n := range in.Notes {
			if strings.HasPrefix(n, "trend: ") {
				fmt.Fprintf(w, "  %s\n", strings.TrimPrefix(n, "trend: "))
			}
		}
	} else {
		fmt.Fprintln(w, "no previous snapshot: no trend")
	}
	if in.Usage != nil {
		fmt.Fprintf(w, "usage: %s, window %s\n", in.Usage.Path, in.Usage.Window)
	} else {
		fmt.Fprintln(w, "usage: no usage store (run seiri trail scan)")
	}
	if len(in.Absent) > 0 {
		fmt.Fprintf(w, "sections not filled (%d):\n", len(in.Absent))
		ids := make([]string, 0, len(in.Absent))
		for id := range in.Absent {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			fmt.Fprintf(w, "  %-11s %s\n", id, in.Absent[id])
		}
	} else {
		fmt.Fprintln(w, "every section filled")
	}
	fmt.Fprintf(w, "report (%s bytes) written to %s\n", thousands(int64(buf.Len())), out)
	saveFindings(w, ws, s, in.Audit, o.Now())
	return nil
}

// Gather computes every section's input with the functions the commands
// use. A part that cannot be computed is recorded in Input.Absent with why
// and what to run; only a broken input (a damaged store, a bad plan file)
// is an error.
func Gather(o *Options, ws *workspace.Workspace, cfg *config.Config, s *snapshot.Snapshot) (*dashboard.Input, error) {
	ctx := o.ctx()
	now := o.Now()
	cat := o.Catalog()
	in := &dashboard.Input{
		Version: version.String(), Generated: time.Now().UTC(), Now: now, Snapshot: s,
		RiskPrefixes:       []string{"SEIRI-PRIVESC-", "SEIRI-EXTERNAL-", "SEIRI-PUBLIC-"},
		SuspiciousPrefixes: []string{"SEIRI-DETECT-"},
		Absent:             map[string]string{},
	}
	if o.Output != "" && o.Output != "table" {
		return nil, cmdutil.BadInputf("--output %s: seiri report writes HTML to --out; --output takes table only", o.Output)
	}
	for _, st := range s.Manifest.Accounts {
		if st.Failed() {
			in.Notes = append(in.Notes, fmt.Sprintf("account %s was not collected (%s): nothing about it is judged", st.AccountID, st.Error))
		}
	}

	// The previous snapshot of the workspace, for the trend.
	if prev, err := previous(ws, s); err != nil {
		in.Notes = append(in.Notes, "previous snapshot: "+err.Error())
	} else {
		in.Previous = prev
	}

	// The audit, as `seiri audit` runs it.
	aopts := &auditcmd.AuditOptions{IO: o.IO, Workspace: o.Workspace, Config: o.Config, Now: o.Now, Catalog: o.Catalog}
	var err error
	if in.Audit, err = auditcmd.Report(aopts, ws, s, cfg.Audit); err != nil {
		return nil, err
	}
	if in.Previous != nil {
		if err := prevAudit(in, aopts, ws, cfg); err != nil {
			return nil, err
		}
	}
	for _, r := range in.Audit.Rules {
		if strings.HasPrefix(r.ID, "SEIRI-DETECT-") {
			in.SuspiciousRan = true
		}
	}

	// The usage store.
	var st *usage.Store
	if _, err := os.Stat(ws.UsageDB()); err == nil {
		if st, err = cmdutil.OpenUsageStore(ctx, ws); err != nil {
			return nil, err
		}
		defer st.Close()
		rows, err := st.Usage(ctx, usage.Query{})
		if err != nil {
			return nil, fmt.Errorf("usage store %s: %w", st.Path(), err)
		}
		runs, err := st.Runs(ctx, 0)
		if err != nil {
			return nil, fmt.Errorf("usage store %s: %w", st.Path(), err)
		}
		tot, err := st.Totals(ctx)
		if err != nil {
			return nil, fmt.Errorf("usage store %s: %w", st.Path(), err)
		}
		w := leastpriv.NewWindow(now.UTC(), o.Days, tot.FirstSeen, tot.LastSeen)
		in.Usage = &dashboard.Usage{Path: st.Path(), Window: w.String(), Rows: rows, Runs: runs, Totals: tot}
	} else {
		in.Absent[dashboard.SecUsage] = "no usage store: run seiri trail scan"
		in.Absent[dashboard.SecUnused] = "no usage store: run seiri trail scan, then seiri unused"
		in.Absent[dashboard.SecPolicies] = "no usage store: run seiri trail scan, then seiri policy generate --principal ARN"
	}

	// Key retirement candidates, as `seiri keys plan` computes them.
	if err := gatherKeys(o, in, s); err != nil {
		return nil, err
	}

	// Unused permissions and generated policies, as `seiri unused --all`
	// and `seiri policy generate` compute them.
	var calls *leastpriv.Analysis
	if st != nil {
		an, err := cmdutil.AnalyseStore(ctx, st, s, cat, now, o.Days, "", false)
		if err != nil {
			return nil, err
		}
		in.Unused = an.Organization(an.Model.Select("", ""), runtime.GOMAXPROCS(0))
		if calls, err = cmdutil.AnalyseStore(ctx, st, s, cat, now, o.Days, "", true); err != nil {
			return nil, err
		}
		gatherPolicies(o, in, calls)
	}

	// Groups, roles and Identity Center, as their commands compute them.
	if err := gatherModels(o, in, ws, s, cat, calls); err != nil {
		return nil, err
	}

	// The organization and a pending org plan.
	if err := gatherOrg(o, in, s); err != nil {
		return nil, err
	}

	// The journal.
	if _, err := os.Lstat(ws.Journal()); err == nil {
		es, err := plan.OpenJournal(ws.Journal(), nil).Entries()
		if err != nil {
			return nil, fmt.Errorf("journal %s: %w", ws.Journal(), err)
		}
		in.Journal = es
		if in.Journal == nil {
			in.Journal = []plan.Entry{}
		}
	} else if errors.Is(err, fs.ErrNotExist) {
		in.Absent[dashboard.SecJournal] = "no journal: seiri has made no change from this workspace"
	} else {
		return nil, err
	}
	if in.Audit != nil && !in.SuspiciousRan {
		in.Absent[dashboard.SecSuspicious] = "no suspicious-use detection in this workspace's audit: run seiri detect over scanned CloudTrail"
	}
	return in, nil
}

// prevAudit sets the previous snapshot's audit, for the trend: the
// findings saved when that snapshot was audited (by seiri report or seiri
// daily) when the workspace holds them, else the snapshot audited again —
// the same rules, slower —, never silently: a note names the source.
func prevAudit(in *dashboard.Input, aopts *auditcmd.AuditOptions, ws *workspace.Workspace, cfg *config.Config) error {
	name := filepath.Base(in.Previous.Dir)
	path := report.SavedPath(ws.ReportsDir(), name)
	sv, err := report.LoadSaved(path, name)
	if err == nil {
		in.PrevAudit = sv.Report
		in.Notes = append(in.Notes, fmt.Sprintf("trend: the findings of snapshot %s saved by %s at %s (%s)",
			name, sv.By, sv.SavedAt.UTC().Format(time.RFC3339), path))
		return nil
	}
	why := "its findings were not saved (seiri report and seiri daily save them)"
	if !errors.Is(err, fs.ErrNotExist) {
		why = "its saved findings are unusable: " + err.Error()
	}
	if in.PrevAudit, err = auditcmd.Report(aopts, ws, in.Previous, cfg.Audit); err != nil {
		return err
	}
	in.Notes = append(in.Notes, fmt.Sprintf("trend: snapshot %s audited again: %s", name, why))
	return nil
}

// saveFindings keeps the audit of s in the workspace's reports folder, for
// the trend of a later report (or says why it could not).
func saveFindings(w io.Writer, ws *workspace.Workspace, s *snapshot.Snapshot, rep *finding.Report, now time.Time) {
	if filepath.Clean(filepath.Dir(s.Dir)) != filepath.Clean(ws.SnapshotsDir()) {
		return // not a snapshot of this workspace: no later report compares with it
	}
	name := filepath.Base(s.Dir)
	path := report.SavedPath(ws.ReportsDir(), name)
	if err := report.SaveFindings(path, report.Saved{Snapshot: name, SavedAt: now, By: "seiri report", Report: rep}); err != nil {
		fmt.Fprintf(w, "findings not saved for the next trend: %v\n", err)
		return
	}
	fmt.Fprintf(w, "findings saved to %s (the next report's trend reads them)\n", path)
}

// previous is the snapshot collected before s in the same workspace (nil
// when s is the first, or lives outside the workspace).
func previous(ws *workspace.Workspace, s *snapshot.Snapshot) (*snapshot.Snapshot, error) {
	if filepath.Clean(filepath.Dir(s.Dir)) != filepath.Clean(ws.SnapshotsDir()) {
		return nil, nil
	}
	names, err := snapshot.List(ws.SnapshotsDir())
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	cur := filepath.Base(s.Dir)
	prev := ""
	for _, n := range names {
		if n < cur {
			prev = n
		}
	}
	if prev == "" {
		return nil, nil
	}
	return snapshot.Load(ws.SnapshotsDir(), prev)
}

func gatherKeys(o *Options, in *dashboard.Input, s *snapshot.Snapshot) error {
	e, err := keyscmd.LoadEnv(o.Keys, s.Dir)
	if err != nil {
		return err
	}
	defer e.Close()
	ki, err := keyscmd.LoadInput(o.ctx(), e, o.Now(), keys.Caller{ARN: s.Manifest.CallerARN})
	if err != nil {
		return err
	}
	res := keys.Candidates(ki, keys.Options{UnusedDays: o.Days})
	in.Keys = &res
	in.KeysNote = e.UsageNote()
	return nil
}

// gatherPolicies generates least-privilege policies for the principals with
// the most certainly-unused high-risk permissions that used something.
func gatherPolicies(o *Options, in *dashboard.Input, an *leastpriv.Analysis) {
	if o.Policies == 0 {
		in.Absent[dashboard.SecPolicies] = "--policies 0: no policy generated (seiri policy generate --principal ARN)"
		return
	}
	n := 0
	for _, r := range in.Unused.Principals {
		if n == o.Policies {
			break
		}
		if r.Used == 0 || r.UnusedHighRisk == 0 {
			continue
		}
		p := an.Model.Lookup(r.Principal)
		if p == nil {
			continue
		}
		n++
		g, err := an.Generate(p, leastpriv.GenerateOptions{})
		if errors.Is(err, leastpriv.ErrNoUsage) {
			in.PolicyErrors = append(in.PolicyErrors, r.Principal+": no recorded call to build from")
			continue
		}
		if err != nil {
			in.PolicyErrors = append(in.PolicyErrors, r.Principal+": "+err.Error())
			continue
		}
		in.Policies = append(in.Policies, g)
	}
	if n == 0 {
		in.Absent[dashboard.SecPolicies] = "no principal both used something and has certainly-unused high-risk permissions; seiri policy generate --principal ARN builds one for any principal"
	}
}

func gatherModels(o *Options, in *dashboard.Input, ws *workspace.Workspace, s *snapshot.Snapshot, cat *catalog.Catalog, calls *leastpriv.Analysis) error {
	gi := groupscmd.Input{Snapshot: s.Dir, Since: fmt.Sprintf("%dd", o.Days)}
	env := groupscmd.Env{IO: o.IO, Context: o.Context, Workspace: o.Workspace, Now: o.Now, Catalog: o.Catalog, Output: o.Output}
	l, err := gi.Load(&env)
	if err != nil {
		return err
	}
	opt := groups.Options{Threshold: 0.9, NearLimit: 8, Effective: l.Judge(cat, o.Now())}
	in.Groups = []*groups.Analysis{}
	var props []*groups.Proposal
	for _, a := range l.Accounts {
		if len(a.Users) == 0 && len(a.Groups) == 0 {
			continue
		}
		opt.Used = l.Used(a.AccountID)
		an, err := groups.Analyze(groups.NewModel(a), opt)
		if err != nil {
			return fmt.Errorf("account %s: %w", a.AccountID, err)
		}
		in.Groups = append(in.Groups, an)
		if len(a.Users) == 0 {
			continue
		}
		pr, err := groups.Propose(an, groups.PlanOptions{Options: opt, Caller: s.Manifest.CallerARN})
		var ref *groups.ErrRefused
		if errors.As(err, &ref) {
			for _, r := range ref.Reasons {
				in.GroupsRefusals = append(in.GroupsRefusals, "account "+a.AccountID+": "+r)
			}
		} else if err != nil {
			return fmt.Errorf("account %s: %w", a.AccountID, err)
		}
		if pr != nil {
			props = append(props, pr)
		}
	}
	if len(in.GroupsRefusals) == 0 {
		in.GroupsPlan = groups.NewPlan(props, o.Now(), plan.Fingerprint(l.Accounts))
	}

	rg, err := roles.LoadRanges(ws.CacheDir())
	if err != nil {
		in.Notes = append(in.Notes, fmt.Sprintf("AWS IP ranges: %v; roles use the embedded subset", err))
	}
	if rg.Embedded {
		in.Notes = append(in.Notes, "roles: the embedded sample of AWS IP ranges was used (seiri roles update-ip-ranges fetches the full list)")
	}
	in.Roles = []roles.Suggestion{}
	for _, a := range l.Accounts {
		ss, err := roles.Suggest(roles.Input{Account: a, Usage: l.Rows, Ranges: rg, Analysis: calls, Catalog: cat})
		if err != nil {
			return fmt.Errorf("account %s: %w", a.AccountID, err)
		}
		in.Roles = append(in.Roles, ss...)
	}
	rank := map[string]int{roles.KindIdentityCenter: 1, roles.KindUnusedKey: 2, roles.KindNoUsageData: 3}
	sort.SliceStable(in.Roles, func(i, j int) bool { return rank[in.Roles[i].Kind] < rank[in.Roles[j].Kind] })

	p, err := sso.Build(l.Accounts)
	if err != nil {
		in.Absent[dashboard.SecSSO] = "the Identity Center plan could not be built: " + err.Error()
		return nil
	}
	p.SummarizeOUs(s.Organization)
	for _, ps := range p.PermissionSets {
		if len(ps.Inline) == 0 {
			continue
		}
		for _, is := range policy.Validate(ps.Inline, policy.TypeIdentity, cat) {
			if is.Severity == policy.SevError {
				p.Warnings = append(p.Warnings, fmt.Sprintf("permission set %s: inline policy: %s %s", ps.Name, is.Code, is.Message))
			}
		}
	}
	in.SSO = p
	return nil
}

func gatherOrg(o *Options, in *dashboard.Input, s *snapshot.Snapshot) error {
	if s.Organization == nil {
		in.Absent[dashboard.SecOrg] = "the snapshot holds no organization (collected without Organizations access): run seiri collect from the management account"
		if o.OrgPlan != "" {
			return cmdutil.BadInputf("--org-plan %s: snapshot %s holds no organization to plan against", o.OrgPlan, filepath.Base(s.Dir))
		}
		in.Absent[dashboard.SecOrgPlan] = "no organization in the snapshot"
		return nil
	}
	r, err := org.BuildReport(s.Organization)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	org.CheckOrganizationTrail(r, s.Accounts, s.Organization.ManagementAccount)
	in.Org = r
	if o.OrgPlan == "" {
		in.Absent[dashboard.SecOrgPlan] = "no pending organization plan given: run seiri org plan --spec org.yaml --out org-plan.json, then seiri report --org-plan org-plan.json"
		return nil
	}
	p, err := org.LoadPlan(o.OrgPlan)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	if p.Organization != s.Organization.ID {
		return cmdutil.BadInputf("--org-plan %s: plans organization %s, the snapshot holds %s", o.OrgPlan, p.Organization, s.Organization.ID)
	}
	in.OrgPlan = p
	base, err := org.FromSnapshot(s.Organization)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	after, err := org.Simulate(base, p.Changes)
	if err != nil {
		in.Notes = append(in.Notes, fmt.Sprintf("org plan %s does not apply to this snapshot's organization: %v", o.OrgPlan, err))
		return nil
	}
	rp := orgcmd.Replayer{Ctx: o.ctx(), Workspace: o.Workspace, Now: o.Now, Catalog: o.Catalog, ErrOut: o.IO.ErrOut}
	im, err := rp.ReplayStates(base, after, s.Organization.ID, o.Days)
	if err != nil {
		return err
	}
	in.OrgImpact = im
	return nil
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
