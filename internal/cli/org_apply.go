package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/collect"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// orgApplyTiming is the retry backoff and CreateAccount poll interval of
// apply; tests shorten them.
var orgApplyTiming = struct{ Backoff, Poll time.Duration }{time.Second, 10 * time.Second}

// OrgApplyOptions are `seiri org apply`'s flags.
type OrgApplyOptions struct {
	PlanFile         string
	Snapshot         string
	Yes              bool
	ForceLockoutRisk bool
	Reason           string
	Days             int
}

func newCmdOrgApply(f *Factory, runF func(*OrgApplyOptions) error) *cobra.Command {
	opts := &OrgApplyOptions{}
	cmd := &cobra.Command{
		Use:   "apply PLAN.json",
		Short: "Apply a saved organization plan (journaled, resumable, idempotent)",
		Long: `apply makes the changes of a plan saved by 'seiri org plan --out', in order.
It refuses a plan whose base organization changed since (the live organization,
or --snapshot), and a plan that risks locking seiri out (a deny-all SCP on the
root, the caller's account moved into Suspended, an SCP chain that denies the
caller's own role the Organizations or IAM actions it needs) unless
--force-lockout-risk --reason TEXT. Each change is journaled before and after
its AWS call; running apply again resumes an interrupted run.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.PlanFile = args[0]
			if opts.ForceLockoutRisk && strings.TrimSpace(opts.Reason) == "" {
				return BadInputf("--force-lockout-risk needs --reason TEXT (it is journaled)")
			}
			if opts.Days <= 0 {
				return BadInputf("--days must be positive")
			}
			if runF != nil {
				return runF(opts)
			}
			return orgApplyRun(f, opts)
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

func readOrgPlan(path string) (*org.Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, BadInput(err)
	}
	var p org.Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, BadInputf("plan %s: %v", path, err)
	}
	return &p, nil
}

func orgApplyRun(f *Factory, opts *OrgApplyOptions) error {
	ctx := f.Context
	p, err := readOrgPlan(opts.PlanFile)
	if err != nil {
		return err
	}
	ws, err := f.Workspace()
	if err != nil {
		return err
	}
	gp, err := org.ToPlan(p)
	if err != nil {
		return err
	}
	if len(p.Changes) == 0 {
		fmt.Fprintln(f.IO.Out, "No changes. The organization matches the spec.")
		return nil
	}
	j := plan.OpenJournal(ws.Journal(), f.Now)
	status, err := j.Status(gp.ID)
	if err != nil {
		return err
	}
	resuming := len(status) > 0

	sess, err := awsclient.New(ctx, f.Globals.AWS)
	if err != nil {
		return &ExitError{Code: ExitInternal, Err: err}
	}
	caller := sess.Caller()
	live, warns, err := collect.ReadOrganization(ctx, sess.Base())
	if err != nil {
		return &ExitError{Code: ExitInternal, Err: err}
	}
	for _, w := range warns {
		fmt.Fprintf(f.IO.ErrOut, "warning: %s\n", w)
	}
	if live.ID != p.Organization {
		return BadInputf("plan %s is for organization %s, but the credentials reach %s", opts.PlanFile, p.Organization, live.ID)
	}
	baseOrg := live
	if opts.Snapshot != "" {
		if baseOrg, err = loadOrganization(f, opts.Snapshot); err != nil {
			return err
		}
	}
	base, err := org.FromSnapshot(baseOrg)
	if err != nil {
		return BadInput(err)
	}
	if resuming {
		done := 0
		for _, ph := range status {
			if ph == plan.Done || ph == plan.Skipped {
				done++
			}
		}
		fmt.Fprintf(f.IO.ErrOut, "resuming plan %s: the journal records %d of %d changes done; the rest are checked against the organization first\n", gp.ID, done, len(gp.Changes))
	} else {
		if fp := org.Fingerprint(baseOrg); fp != p.BaseFingerprint {
			return BadInputf("%v: plan base %s, organization now %s (run seiri org plan again)", plan.ErrStale, short12(p.BaseFingerprint), short12(fp))
		}
		risks := org.LockoutRisks(base, p.Changes, caller.Account)
		cr, err := org.CallerLockoutRisks(base, p.Changes, caller.ARN, caller.Account, "", org.ReplayOptions{OrgID: baseOrg.ID, Now: f.Now()})
		if err != nil {
			return BadInput(err)
		}
		risks = append(risks, cr...)
		if len(risks) > 0 {
			for _, r := range risks {
				fmt.Fprintf(f.IO.ErrOut, "lockout risk: %s\n", r)
			}
			if !opts.ForceLockoutRisk {
				return BadInputf("%d change(s) risk locking seiri out of the organization; fix the spec, or accept with --force-lockout-risk --reason TEXT", len(risks))
			}
			data, _ := json.Marshal(risks)
			if err := j.Append(plan.Entry{Plan: gp.ID, Phase: plan.Note, Kind: "org.force-lockout-risk", Operator: caller.ARN,
				Detail: opts.Reason, Data: data}); err != nil {
				return err
			}
		}
	}

	if err := org.WriteText(f.IO.Out, p); err != nil {
		return err
	}
	if !resuming {
		if im, err := orgImpact(f, base, p.Changes, baseOrg.ID, opts.Days); err != nil {
			fmt.Fprintf(f.IO.ErrOut, "warning: impact replay: %v\n", err)
		} else if im != nil && len(im.AffectedAccounts) > 0 {
			im.Write(f.IO.Out, "")
		}
	}
	if !opts.Yes {
		ok, err := f.Confirm(fmt.Sprintf("Apply these %d changes to organization %s?", len(p.Changes), p.Organization))
		if err != nil {
			return err
		}
		if !ok {
			if !f.IO.Terminal {
				return BadInputf("not applied: no terminal to confirm on; pass --yes")
			}
			fmt.Fprintln(f.IO.ErrOut, "not applied")
			return nil
		}
	}

	lock, err := plan.Acquire(ws.Dir+"/apply.lock", fmt.Sprintf("seiri org apply %s (pid %d)", opts.PlanFile, os.Getpid()))
	if err != nil {
		return &ExitError{Code: ExitInternal, Err: err}
	}
	defer lock.Release()
	exec := &org.Executor{API: sess.Base().Organizations, Live: live, Backoff: orgApplyTiming.Backoff, PollEvery: orgApplyTiming.Poll}
	res, err := plan.Apply(ctx, gp, j, exec, plan.Options{Operator: caller.ARN, Progress: func(c plan.Change, ph plan.Phase, err error) {
		switch ph {
		case plan.Done:
			fmt.Fprintf(f.IO.ErrOut, "  ✓ %s\n", c.Description)
		case plan.Skipped:
			fmt.Fprintf(f.IO.ErrOut, "  = %s (already in effect)\n", c.Description)
		case plan.Failed:
			fmt.Fprintf(f.IO.ErrOut, "  ✗ %s: %v\n", c.Description, err)
		}
	}})
	if res != nil {
		fmt.Fprintf(f.IO.Out, "Apply: %d applied, %d already in effect, %d failed", res.Applied, res.Skipped, res.Failed)
		if exec.Retried > 0 {
			fmt.Fprintf(f.IO.Out, " (%d calls retried after ConcurrentModification or throttling)", exec.Retried)
		}
		fmt.Fprintf(f.IO.Out, ". Journal: %s\n", j.Path())
	}
	if err != nil {
		var ce plan.ChangeError
		if errors.As(err, &ce) {
			return &ExitError{Code: ExitInternal, Err: fmt.Errorf("apply stopped: %w (run the same command again to resume)", err)}
		}
		return &ExitError{Code: ExitInternal, Err: err}
	}
	return nil
}

func short12(s string) string {
	s = strings.TrimPrefix(s, "sha256:")
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// orgUsage reads the recorded usage of accounts for the last days. It
// returns nil rows, and no error, when the workspace has no usage store
// (no trail scan yet).
func orgUsage(ctx context.Context, f *Factory, accounts []string, days int) ([]usage.Row, bool, error) {
	ws, err := f.Workspace()
	if err != nil {
		return nil, false, err
	}
	if _, err := os.Stat(ws.UsageDB()); errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	st, err := usage.Open(ctx, ws.UsageDB())
	if err != nil {
		return nil, false, err
	}
	defer st.Close()
	since := f.Now().AddDate(0, 0, -days)
	var out []usage.Row
	for _, a := range accounts {
		rows, err := st.Usage(ctx, usage.Query{Account: a, Since: since, AuthzOnly: true})
		if err != nil {
			return nil, true, err
		}
		out = append(out, rows...)
	}
	return out, true, nil
}

// orgImpact replays the recorded usage of the accounts a plan affects. It
// returns nil when there is nothing to replay against (no usage store).
func orgImpact(f *Factory, base *org.State, changes []org.Change, orgID string, days int) (*org.Impact, error) {
	after, err := org.Simulate(base, changes)
	if err != nil {
		return nil, err
	}
	return replayStates(f, base, after, orgID, days)
}

func replayStates(f *Factory, before, after *org.State, orgID string, days int) (*org.Impact, error) {
	affected := org.AffectedAccounts(before, after)
	if len(affected) == 0 {
		return &org.Impact{}, nil
	}
	rows, ok, err := orgUsage(f.Context, f, affected, days)
	if err != nil {
		return nil, err
	}
	if !ok {
		fmt.Fprintf(f.IO.ErrOut, "note: no usage store in the workspace (run seiri trail scan): the impact on %d account(s) is not replayed\n", len(affected))
		return nil, nil
	}
	return org.Replay(before, after, rows, org.ReplayOptions{OrgID: orgID, Now: f.Now()})
}

// orgPlanImpact prints the replay impact under `seiri org plan`.
func orgPlanImpact(f *Factory, w io.Writer, o *snapshot.Organization, p *org.Plan, days int) error {
	base, err := org.FromSnapshot(o)
	if err != nil {
		return err
	}
	im, err := orgImpact(f, base, p.Changes, o.ID, days)
	if err != nil {
		return err
	}
	// Nothing to say when no account's policy chain changes: the plan's
	// summary line stays last.
	if im != nil && len(im.AffectedAccounts) > 0 {
		fmt.Fprintln(w)
		im.Write(w, "")
	}
	return nil
}
