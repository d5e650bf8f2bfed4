package org

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/apply"
	"github.com/seiri-dev/seiri/internal/apply/orgexec"
	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/collect"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/diag"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// orgApplyTiming is the retry backoff and CreateAccount poll interval of
// apply; tests shorten them.
var orgApplyTiming = struct{ Backoff, Poll time.Duration }{time.Second, 10 * time.Second}

// OrgApplyOptions are the inputs of `seiri org apply`.
type OrgApplyOptions struct {
	IO        *cmdutil.IOStreams
	Context   context.Context
	Workspace func() (*workspace.Workspace, error)
	Catalog   func() *catalog.Catalog // the IAM catalog in force
	Now       func() time.Time
	Logger    func() *slog.Logger
	// OpenAWS opens the AWS session (missing or expired credentials: an
	// *awsclient.CredentialsError).
	OpenAWS func(context.Context) (*awsclient.Session, error)
	// Apply is the one apply flow (render, confirm, lock, journal, apply).
	Apply func(flow apply.Flow, yes bool) (*apply.Outcome, error)

	PlanFile         string // argument: the plan saved by org plan --out
	Snapshot         string // --snapshot: check the base against it instead of the live organization
	Yes              bool   // --yes
	ForceLockoutRisk bool   // --force-lockout-risk
	Reason           string // --reason
	Days             int    // --days: usage window of the impact replay
	Output           string // --output (global): table, or json (the apply report)
}

// NewCmdOrgApply parses flags into OrgApplyOptions and calls runF
// (orgApplyRun when nil).
func NewCmdOrgApply(f *cmdutil.Factory, runF func(*OrgApplyOptions) error) *cobra.Command {
	opts := &OrgApplyOptions{IO: f.IO, Workspace: f.Workspace, Catalog: f.Catalog, Now: f.Now, Logger: f.Logger, Apply: f.Apply,
		OpenAWS: func(ctx context.Context) (*awsclient.Session, error) { return awsclient.New(ctx, f.Globals.AWS) }}
	cmd := &cobra.Command{
		Use:   "apply PLAN.json",
		Short: "Apply a saved organization plan (journaled, resumable, idempotent)",
		Example: `  seiri org plan --out org-plan.json && seiri org apply org-plan.json
  seiri org apply org-plan.json --yes --reason "CHG-1234 regions SCP"`,
		Long: `apply makes the changes of a plan saved by 'seiri org plan --out', in order.
It refuses a plan whose base organization changed since (the live organization,
or --snapshot), and a plan that risks locking seiri out (a deny-all SCP on the
root, the caller's account moved into Suspended, an SCP chain that denies the
caller's own role the Organizations or IAM actions it needs) unless
--force-lockout-risk --reason TEXT. Each change is journaled before and after
its AWS call; running apply again resumes an interrupted run.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.PlanFile, opts.Context, opts.Output = args[0], f.Context, f.Globals.Output
			if opts.ForceLockoutRisk && strings.TrimSpace(opts.Reason) == "" {
				return cmdutil.BadInputf("--force-lockout-risk needs --reason TEXT (it is journaled)")
			}
			if opts.Days <= 0 {
				return cmdutil.BadInputf("--days must be positive")
			}
			if runF != nil {
				return runF(opts)
			}
			return orgApplyRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Snapshot, "snapshot", "", "check the plan's base against this snapshot instead of the live organization")
	fl.BoolVar(&opts.Yes, "yes", false, "apply without asking")
	fl.BoolVar(&opts.ForceLockoutRisk, "force-lockout-risk", false, "apply even when a change risks locking seiri out (needs --reason)")
	fl.StringVar(&opts.Reason, "reason", "", "why the lockout risk is accepted (journaled)")
	fl.IntVar(&opts.Days, "days", 30, "usage window of the impact replay, in days")
	return cmd
}

// orgApply is what the steps of org apply share.
type orgApply struct {
	opts    *OrgApplyOptions
	p       *org.Plan
	gp      *plan.Plan
	ws      *workspace.Workspace
	j       *plan.Journal
	sess    *awsclient.Session
	caller  awsclient.Identity
	live    *snapshot.Organization // the organization now
	baseOrg *snapshot.Organization // what the plan is checked against: live, or --snapshot
	base    *org.State
}

func orgApplyRun(opts *OrgApplyOptions) error {
	a := &orgApply{opts: opts}
	if done, err := a.load(); done || err != nil {
		return err
	}
	if err := a.openLive(); err != nil {
		return err
	}
	exec := &orgexec.Executor{API: a.sess.Base().Organizations, Live: a.live, Backoff: orgApplyTiming.Backoff, PollEvery: orgApplyTiming.Poll,
		BackupDir: a.ws.BackupsDir(), Now: opts.Now}
	out, err := opts.Apply(apply.Flow{Plan: a.gp, Executor: exec, Journal: a.j, LockPath: a.ws.LockFile(), Operator: a.caller.ARN,
		Check: a.check, Render: a.render, StopOnError: true, SummaryNote: exec.SummaryNote,
		Prompt: fmt.Sprintf("Apply these %d changes to organization %s?", len(a.p.Changes), a.p.Organization)}, opts.Yes)
	if out != nil && out.Result != nil && out.Result.Applied > 0 {
		a.keepAfter()
	}
	return err
}

// load reads the plan file (an edited file is refused here, exit 2) and
// says which state it was made from; done is true for an empty plan.
func (a *orgApply) load() (done bool, err error) {
	opts := a.opts
	if a.p, err = org.LoadPlan(opts.PlanFile); err != nil {
		return false, err
	}
	opts.Logger().Debug("plan file read", "path", opts.PlanFile, "changes", len(a.p.Changes), "base", a.p.BaseFingerprint, "basedOn", a.p.BasedOn)
	if a.ws, err = opts.Workspace(); err != nil {
		return false, err
	}
	if a.gp, err = org.ToPlan(a.p); err != nil {
		return false, err
	}
	if len(a.p.Changes) == 0 && opts.Output == "json" {
		// The report of a run with nothing to do (no AWS call, no lock).
		_, err := opts.Apply(apply.Flow{Plan: a.gp, Journal: plan.OpenJournal(a.ws.Journal(), opts.Now), LockPath: a.ws.LockFile()}, opts.Yes)
		return true, err
	}
	if len(a.p.Changes) == 0 {
		fmt.Fprintln(opts.IO.Out, "No changes. The organization matches the spec.")
		return true, nil
	}
	fmt.Fprintf(opts.IO.ErrOut, "plan %s was made %s from %s\n", opts.PlanFile, a.p.CreatedAt.UTC().Format(time.RFC3339), planBasis(a.p))
	a.j = plan.OpenJournal(a.ws.Journal(), opts.Now)
	return false, nil
}

// openLive opens AWS (missing or expired credentials: one line saying what
// to set, exit 2), reads the live organization, and the base the plan is
// checked against.
func (a *orgApply) openLive() error {
	opts, ctx := a.opts, a.opts.ctx()
	sess, err := opts.OpenAWS(ctx)
	var noCreds *awsclient.CredentialsError
	if errors.As(err, &noCreds) {
		return cmdutil.BadInput(noCreds)
	}
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitInternal, Err: err}
	}
	a.sess, a.caller = sess, sess.Caller()
	live, warns, err := collect.ReadOrganization(ctx, sess.Base())
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitInternal, Err: err}
	}
	for _, w := range warns {
		fmt.Fprintf(opts.IO.ErrOut, "warning: %s\n", w)
	}
	if live.ID != a.p.Organization {
		return cmdutil.BadInputf("plan %s is for organization %s, but the credentials reach %s", a.opts.PlanFile, a.p.Organization, live.ID)
	}
	a.live, a.baseOrg = live, live
	if a.opts.Snapshot != "" {
		if a.baseOrg, err = loadOrganization(opts.Workspace, opts.Snapshot); err != nil {
			return err
		}
	}
	if a.base, err = org.FromSnapshot(a.baseOrg); err != nil {
		return cmdutil.BadInput(err)
	}
	return nil
}

// check is the stale check and the lockout rules, unless the journal
// shows the plan started (its own writes changed the base).
func (a *orgApply) check(_ context.Context, resuming bool) diag.Diagnostics {
	if resuming {
		return nil
	}
	opts, p := a.opts, a.p
	var ds diag.Diagnostics
	if ds = ds.Append(plan.CheckBase(p.BaseFingerprint, org.Fingerprint(a.baseOrg))); ds.HasErrors() {
		return ds
	}
	risks := org.LockoutRisks(a.base, p.Changes, a.caller.Account)
	cr, err := org.CallerLockoutRisks(a.base, p.Changes, a.caller.ARN, a.caller.Account, "", org.ReplayOptions{OrgID: a.baseOrg.ID, Now: a.opts.Now(), RCPServices: cmdutil.RCPServices(a.opts.Catalog)})
	if err != nil {
		return ds.Append(diag.Errorf("org.replay", "cannot check the lockout rules").WithDetail("%v", err))
	}
	risks = append(risks, cr...)
	for _, r := range risks {
		ds = append(ds, r.Diagnostic(opts.ForceLockoutRisk))
	}
	if len(risks) > 0 && !opts.ForceLockoutRisk {
		return append(ds, diag.Errorf("org.lockout-refused", "%d change(s) risk locking seiri out of the organization; fix the spec, or accept with --force-lockout-risk --reason TEXT", len(risks)))
	}
	if len(risks) > 0 {
		data, _ := json.Marshal(risks)
		if err := a.j.Append(plan.Entry{Plan: a.gp.ID, Phase: plan.Note, Kind: "org.force-lockout-risk", Operator: a.caller.ARN,
			Detail: opts.Reason, Data: data}); err != nil {
			return ds.Append(diag.Errorf(apply.CodeJournal, "cannot journal the accepted lockout risk").WithDetail("%v", err).WithExit(diag.ExitInternal))
		}
	}
	return ds
}

// render shows the plan and, before a first run, its replayed impact.
func (a *orgApply) render(w io.Writer, resuming bool) error {
	if err := org.WriteText(w, a.p); err != nil {
		return err
	}
	if !resuming {
		r := Replayer{Ctx: a.opts.ctx(), Workspace: a.opts.Workspace, Now: a.opts.Now, Catalog: a.opts.Catalog, ErrOut: a.opts.IO.ErrOut}
		if im, err := r.impact(a.base, a.p.Changes, a.baseOrg.ID, a.opts.Days); err != nil {
			fmt.Fprintf(a.opts.IO.ErrOut, "warning: impact replay: %v\n", err)
		} else if im != nil && len(im.AffectedAccounts) > 0 {
			im.Write(w, "")
		}
	}
	return nil
}

// keepAfter reads the organization as the apply left it, so that the next
// plan does not repeat what was applied (see refresh.go).
func (a *orgApply) keepAfter() {
	opts := a.opts
	after, _, err := collect.ReadOrganization(context.WithoutCancel(opts.ctx()), a.sess.Base())
	if err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "warning: could not read the organization after the apply (%v): the next org plan starts from the snapshot; run seiri collect --org\n", err)
		return
	}
	if err := saveRefreshed(opts.Workspace, opts.Now, opts.Logger(), after, opts.PlanFile); err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "warning: could not keep the organization read after the apply: %v\n", err)
	}
}

// ctx is the command's context (Background when unset).
func (opts *OrgApplyOptions) ctx() context.Context {
	if opts.Context == nil {
		return context.Background()
	}
	return opts.Context
}

// planBasis says which state a saved plan was computed from (plans saved
// before seiri recorded it name only their base fingerprint).
func planBasis(p *org.Plan) string {
	if p.BasedOn != "" {
		return p.BasedOn
	}
	return "an unrecorded state (base " + short12(p.BaseFingerprint) + ")"
}

func short12(s string) string {
	s = strings.TrimPrefix(s, "sha256:")
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// Replayer is what the impact replay reads: the workspace's usage store,
// the clock, the catalog in force (which services RCPs govern), and where
// its notes go. Commands build it from their options' fields.
type Replayer struct {
	Ctx       context.Context
	Workspace func() (*workspace.Workspace, error)
	Now       func() time.Time
	Catalog   func() *catalog.Catalog
	ErrOut    io.Writer
}

func (r Replayer) usage(accounts []string, days int) ([]usage.Row, bool, error) {
	ws, err := r.Workspace()
	if err != nil {
		return nil, false, err
	}
	if _, err := os.Stat(ws.UsageDB()); errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	st, err := usage.OpenReadOnly(r.Ctx, ws.UsageDB())
	if err != nil {
		return nil, false, err
	}
	defer st.Close()
	since := r.Now().AddDate(0, 0, -days)
	var out []usage.Row
	for _, a := range accounts {
		rows, err := st.Usage(r.Ctx, usage.Query{Account: a, Since: since, AuthzOnly: true})
		if err != nil {
			return nil, true, err
		}
		out = append(out, rows...)
	}
	return out, true, nil
}

// impact replays the recorded usage of the accounts a plan affects. It
// returns nil when there is nothing to replay against (no usage store).
func (r Replayer) impact(base *org.State, changes []org.Change, orgID string, days int) (*org.Impact, error) {
	after, err := org.Simulate(base, changes)
	if err != nil {
		return nil, err
	}
	return r.ReplayStates(base, after, orgID, days)
}

// ReplayStates replays the recorded usage of the accounts whose policy chain
// differs between before and after; nil when there is no usage store.
func (r Replayer) ReplayStates(before, after *org.State, orgID string, days int) (*org.Impact, error) {
	affected := org.AffectedAccounts(before, after)
	if len(affected) == 0 {
		return &org.Impact{}, nil
	}
	rows, ok, err := r.usage(affected, days)
	if err != nil {
		return nil, err
	}
	if !ok {
		fmt.Fprintf(r.ErrOut, "note: no usage store in the workspace (run seiri trail scan): the impact on %d account(s) is not replayed\n", len(affected))
		return nil, nil
	}
	now := r.Now()
	im, err := org.Replay(before, after, rows, org.ReplayOptions{OrgID: orgID, Now: now, RCPServices: cmdutil.RCPServices(r.Catalog)})
	if im != nil {
		im.Window = fmt.Sprintf("the last %d days (since %s)", days, now.AddDate(0, 0, -days).UTC().Format("2006-01-02"))
	}
	return im, err
}

// planImpact prints the replay impact of a plan on w; always also when it
// changes no chain (a staging step says so), otherwise nothing then (the
// plan's summary line stays last).
func (r Replayer) planImpact(w io.Writer, o *snapshot.Organization, p *org.Plan, days int, always bool) error {
	base, err := org.FromSnapshot(o)
	if err != nil {
		return err
	}
	im, err := r.impact(base, p.Changes, o.ID, days)
	if err != nil || im == nil {
		return err
	}
	if always || len(im.AffectedAccounts) > 0 {
		fmt.Fprintln(w)
		im.Write(w, "")
	}
	return nil
}

// OrgStageOptions are the inputs of `seiri org stage`.
type OrgStageOptions struct {
	IO        *cmdutil.IOStreams
	Context   context.Context
	Workspace func() (*workspace.Workspace, error) // writes the journal
	Config    func() (*config.Config, error)
	Catalog   func() *catalog.Catalog // the IAM catalog in force
	Now       func() time.Time
	Logger    func() *slog.Logger

	Policy       string        // argument: the policy of org.yaml to roll out
	Target       string        // --target: the OU (path)
	Spec         string        // --spec
	Snapshot     string        // --snapshot
	Canary       string        // --canary
	TestAccounts []string      // --test-account
	StagingOU    string        // --staging-ou
	Wait         time.Duration // --wait
	Out          string        // --out
	Days         int           // --days: usage window of the impact replay
}

// NewCmdOrgStage parses flags into OrgStageOptions and calls runF
// (orgStageRun when nil).
func NewCmdOrgStage(f *cmdutil.Factory, runF func(*OrgStageOptions) error) *cobra.Command {
	opts := &OrgStageOptions{IO: f.IO, Workspace: f.Workspace, Config: f.Config, Catalog: f.Catalog, Now: f.Now, Logger: f.Logger}
	cmd := &cobra.Command{
		Use:   "stage POLICY --target OU",
		Short: "Roll a new SCP out through Policy Staging: mirror OU, one canary account, the whole OU",
		Example: `  seiri org stage workloads-eu-west-1-only --target Workloads
  seiri org stage workloads-eu-west-1-only --target Workloads --canary 555555555555 --wait 72h`,
		Long: `stage plans the next step of rolling a policy of org.yaml out to an OU, the way
AWS's multi-account guidance recommends: first the mirror of the target under the
Policy Staging OU (created if needed, with --test-account accounts moved in), then
one canary account of the target, then the whole OU. Each run plans one step (with
the impact replay) and saves it for 'seiri org apply'; the next step is refused
until --wait has passed since the previous step was applied (from the journal).
Collect a fresh snapshot after each apply. Add the policy to the OU in org.yaml
when the rollout is done, or the next org plan detaches it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Policy, opts.Context = args[0], f.Context
			if opts.Target == "" {
				return cmdutil.BadInputf("--target OU is required")
			}
			if opts.Wait < 0 || opts.Days <= 0 {
				return cmdutil.BadInputf("--wait must not be negative and --days must be positive")
			}
			if runF != nil {
				return runF(opts)
			}
			return orgStageRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Target, "target", "", "the OU (path, e.g. Workloads/Prod) the policy is for")
	fl.StringVar(&opts.Spec, "spec", "org.yaml", "the spec declaring the policy")
	fl.StringVar(&opts.Snapshot, "snapshot", snapshot.Latest, "snapshot holding the current organization")
	fl.StringVar(&opts.Canary, "canary", "", "canary account of the target OU (default: its first account by id)")
	fl.StringSliceVar(&opts.TestAccounts, "test-account", nil, "accounts to move into the mirror OU in the first step")
	fl.StringVar(&opts.StagingOU, "staging-ou", org.DefaultStagingOU, "path of the Policy Staging OU")
	fl.DurationVar(&opts.Wait, "wait", 24*time.Hour, "waiting period between steps")
	fl.StringVar(&opts.Out, "out", "", "where to save the step's plan (default stage-POLICY-STEP.json)")
	fl.IntVar(&opts.Days, "days", 30, "usage window of the impact replay, in days")
	return cmd
}

func orgStageRun(opts *OrgStageOptions) error {
	d, desired, _, err := compileSpec(opts.Config, opts.Catalog, opts.Spec)
	if err != nil {
		return err
	}
	var pol *org.PolicyState
	for _, p := range desired.Policies {
		if p.Name == opts.Policy && !p.AWSManaged {
			pol = p
		}
	}
	if pol == nil {
		return cmdutil.BadInputf("%s declares no policy %q", opts.Spec, cmdutil.TrimValue(opts.Policy))
	}
	o, basedOn, err := baseOrganization(opts.Workspace, opts.Logger(), opts.Snapshot)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "planning from %s\n", basedOn)
	cur, err := org.FromSnapshot(o)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	target, err := cur.TargetKey(opts.Target)
	if err != nil || !strings.HasPrefix(target, "ou:") {
		return cmdutil.BadInputf("--target %q: name an OU of the organization by path", cmdutil.TrimValue(opts.Target))
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	st, err := org.NextStage(cur, org.StageOptions{Policy: pol, Target: strings.TrimPrefix(target, "ou:"), Canary: opts.Canary,
		TestAccounts: opts.TestAccounts, StagingOU: opts.StagingOU, MaxDepth: org.LimitsFrom(cfg).OUDepth})
	if err != nil {
		return cmdutil.BadInput(err)
	}
	if st.Step == org.StageDone {
		fmt.Fprintf(opts.IO.Out, "%s %q is attached to OU %s: the rollout is complete.\n", org.ShortType(pol.Type), pol.Name, opts.Target)
		return nil
	}
	ws, err := opts.Workspace()
	if err != nil {
		return err
	}
	j := plan.OpenJournal(ws.Journal(), opts.Now)
	if st.Previous != "" {
		es, err := j.Entries()
		if err != nil {
			return err
		}
		note, err := stageWait(es, st, opts.Now(), opts.Wait)
		if err != nil {
			return cmdutil.BadInput(err)
		}
		if note != "" {
			fmt.Fprintln(opts.IO.ErrOut, "note: "+note)
		}
	}
	p := &org.Plan{Version: org.PlanVersion, Organization: o.ID, BaseFingerprint: org.Fingerprint(o), Spec: d.Path, CreatedAt: opts.Now(), BasedOn: basedOn, Changes: st.Changes}
	fmt.Fprintf(opts.IO.Out, "Policy Staging rollout of %s %q to OU %s — step %d of 3 (%s)\n\n", org.ShortType(pol.Type), pol.Name, opts.Target, st.Step, st.Name)
	if err := org.WriteText(opts.IO.Out, p); err != nil {
		return err
	}
	if err := opts.replayer().planImpact(opts.IO.Out, o, p, opts.Days, true); err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "warning: impact replay: %v\n", err)
	}
	out := opts.Out
	if out == "" {
		out = fmt.Sprintf("stage-%s-%d.json", pol.Name, st.Step)
	}
	data, err := org.EncodePlan(p)
	if err != nil {
		return err
	}
	if err := writeOut(opts.IO, out, data, true); err != nil {
		return err
	}
	gp, err := org.ToPlan(p)
	if err != nil {
		return err
	}
	info, _ := json.Marshal(st)
	if err := j.Append(plan.Entry{Plan: gp.ID, Phase: plan.Note, Kind: "org.stage", Target: st.AttachTo, Data: info,
		Detail: fmt.Sprintf("%s %q to OU %s: step %d (%s) planned in %s; waiting period %s before the next step", org.ShortType(pol.Type), pol.Name, opts.Target, st.Step, st.Name, out, opts.Wait)}); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "saved step %d to %s: review, then seiri org apply %s\n", st.Step, out, out)
	return nil
}

// replayer is the impact replay over the options' dependencies.
func (opts *OrgStageOptions) replayer() Replayer {
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	return Replayer{Ctx: ctx, Workspace: opts.Workspace, Now: opts.Now, Catalog: opts.Catalog, ErrOut: opts.IO.ErrOut}
}

// OrgReportOptions are the inputs of `seiri org report`.
type OrgReportOptions struct {
	IO        *cmdutil.IOStreams
	Workspace func() (*workspace.Workspace, error)

	Output   string // --output (global): table or json
	Snapshot string // --snapshot
}

// NewCmdOrgReport parses flags into OrgReportOptions and calls runF
// (orgReportRun when nil).
func NewCmdOrgReport(f *cmdutil.Factory, runF func(*OrgReportOptions) error) *cobra.Command {
	opts := &OrgReportOptions{IO: f.IO, Workspace: f.ReadWorkspace}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "The OU tree with accounts and attached policies, and org-wide services against a baseline",
		Example: `  seiri org report
  seiri org report -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Globals.Output
			if runF != nil {
				return runF(opts)
			}
			return orgReportRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Snapshot, "snapshot", snapshot.Latest, "snapshot holding the organization")
	return cmd
}

func orgReportRun(opts *OrgReportOptions) error {
	ws, err := opts.Workspace()
	if err != nil {
		return err
	}
	s, err := snapshot.Load(ws.SnapshotsDir(), opts.Snapshot)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	if s.Organization == nil {
		return cmdutil.BadInputf("snapshot %s has no organization (collected without Organizations access?)", s.Dir)
	}
	r, err := org.BuildReport(s.Organization)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	r.Snapshot = filepath.Base(s.Dir)
	org.CheckOrganizationTrail(r, s.Accounts, s.Organization.ManagementAccount)
	if opts.Output == "json" {
		return cmdutil.WriteJSON(opts.IO.Out, r)
	}
	fmt.Fprintf(opts.IO.Out, "%s\n", cmdutil.SnapshotLine(s))
	return org.WriteReport(opts.IO.Out, r)
}

// stageWait checks the waiting period before a rollout step: the previous
// step's attach must have been applied (a journal "done" line) at least
// wait ago. Without such a line (applied outside seiri) it returns a note.
func stageWait(entries []plan.Entry, st *org.Stage, now time.Time, wait time.Duration) (string, error) {
	var at time.Time
	for _, e := range entries {
		if e.Phase == plan.Done && e.Kind == org.KindAttachPolicy && e.Target == st.Previous && e.Time.After(at) {
			at = e.Time
		}
	}
	if at.IsZero() {
		return fmt.Sprintf("the journal does not record when %s got the policy; the waiting period is not checked", st.Previous), nil
	}
	if now.Sub(at) < wait {
		return "", fmt.Errorf("step %d (%s) waits %s after the previous step, applied %s: run again after %s (or --wait 0)",
			st.Step, st.Name, wait, at.Format(time.RFC3339), at.Add(wait).Format(time.RFC3339))
	}
	return "", nil
}
