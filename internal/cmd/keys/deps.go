package keys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/seiri-dev/seiri/internal/apply"
	"github.com/seiri-dev/seiri/internal/apply/iamexec"
	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// Deps are what a keys or users command takes from outside, as fields of
// its options (never the whole factory): the streams, the workspace, the
// configuration, the clock, the logger, an AWS session opener and the one
// apply flow. Tests set them directly.
type Deps struct {
	IO  *cmdutil.IOStreams
	Ctx context.Context
	// Workspace opens the workspace (read-only, creating nothing, for every
	// command but restore-from-backup).
	Workspace func() (*workspace.Workspace, error)
	Config    func() (*config.Config, error)
	Now       func() time.Time
	Logger    func() *slog.Logger
	// AWS opens an AWS session; no usable credentials are a
	// *awsclient.CredentialsError (one line, exit 2).
	AWS func(context.Context) (*awsclient.Session, error)
	// Apply runs a plan through the one apply flow (internal/apply): the
	// confirmation on the terminal unless yes, lock, journal, progress,
	// summary, exit code.
	Apply func(flow apply.Flow, yes bool) (*apply.Outcome, error)
	// Output is --output (global): table or json.
	Output string
}

// NewDeps takes a keys or users command's dependencies from the factory
// (Output is set when the command runs, after the flags are parsed).
func NewDeps(f *cmdutil.Factory) Deps {
	return Deps{
		IO: f.IO, Ctx: f.Context, Workspace: f.ReadWorkspace, Config: f.Config, Now: f.Now, Logger: f.Logger,
		AWS:   func(ctx context.Context) (*awsclient.Session, error) { return awsclient.New(ctx, f.Globals.AWS) },
		Apply: f.Apply,
	}
}

// Bind sets what the factory knows only once the command line is parsed:
// the global --output, and the context (cancelled on Ctrl-C).
func (d *Deps) Bind(f *cmdutil.Factory) {
	d.Output, d.Ctx = f.Globals.Output, f.Context
}

// CheckOutput refuses an --output value the keys and users commands do
// not write.
func (d *Deps) CheckOutput(group string) error {
	if d.Output != "table" && d.Output != "json" {
		return cmdutil.BadInputf("--output %s: %s commands write table or json", d.Output, group)
	}
	return nil
}

// Session opens AWS and returns the caller (with the current access key
// id, never its secret).
func Session(d Deps) (*awsclient.Session, keys.Caller, error) {
	sess, err := d.AWS(d.Ctx)
	if err != nil {
		return nil, keys.Caller{}, err
	}
	c := keys.Caller{ARN: sess.Caller().ARN}
	if creds, err := sess.Config().Credentials.Retrieve(d.Ctx); err == nil {
		c.AccessKeyID = creds.AccessKeyID
	}
	return sess, c, nil
}

// LoadEnv loads what every keys and users command reads: the workspace,
// the configuration, the snapshot ref names and the usage store (when
// there is one). The caller closes the environment.
func LoadEnv(d Deps, ref string) (*Env, error) {
	ws, err := d.Workspace()
	if err != nil {
		return nil, err
	}
	cfg, err := d.Config()
	if err != nil {
		return nil, err
	}
	s, err := snapshot.Load(ws.SnapshotsDir(), ref)
	if err != nil {
		return nil, cmdutil.BadInput(fmt.Errorf("%w (run seiri collect first)", err))
	}
	e := &Env{WS: ws, Cfg: cfg, Snap: s, Log: d.Logger()}
	e.Log.Debug("snapshot loaded", "dir", s.Dir, "collected", s.Manifest.FinishedAt, "accounts", len(s.Accounts))
	if _, err := os.Stat(ws.UsageDB()); err == nil {
		st, err := cmdutil.OpenUsageStore(d.Ctx, ws)
		if err != nil {
			return nil, err
		}
		e.St = st
		e.Log.Debug("usage store opened", "path", ws.UsageDB())
	} else {
		e.Log.Debug("no usage store", "path", ws.UsageDB())
	}
	return e, nil
}

// OpenRun loads the workspace state (snapshot ref, usage store) and an AWS
// session for a keys or users command that talks to IAM; the caller closes
// the returned environment.
func OpenRun(d Deps, ref string) (*Env, *awsclient.Session, keys.Caller, error) {
	e, err := LoadEnv(d, ref)
	if err != nil {
		return nil, nil, keys.Caller{}, err
	}
	sess, caller, err := Session(d)
	if err != nil {
		e.Close()
		return nil, nil, keys.Caller{}, err
	}
	return e, sess, caller, nil
}

// PlanSession opens AWS for a plan that can be computed from the snapshot
// alone: without credentials and without --apply it says so on stderr
// (naming the snapshot) and returns a nil session and the caller the
// snapshot recorded; with --apply, no credentials is the error.
func PlanSession(d Deps, e *Env, doApply bool, what string) (*awsclient.Session, keys.Caller, error) {
	sess, caller, err := Session(d)
	var ce *awsclient.CredentialsError
	if err != nil && !doApply && errors.As(err, &ce) {
		d.Logger().Debug(what+": planning without AWS credentials", "reason", ce.Kind)
		fmt.Fprintf(d.IO.ErrOut, "seiri: note: plan computed from %s without AWS credentials; applying it needs them: %v\n", snapshotName(e.Snap), ce)
		return nil, keys.Caller{ARN: e.Snap.Manifest.CallerARN}, nil
	}
	return sess, caller, err
}

// IAMClients gives the executor the IAM client of an account (nil without
// a session: a plan computed without credentials is never applied).
func IAMClients(sess *awsclient.Session) func(context.Context, string) (iamexec.IAM, error) {
	if sess == nil {
		return nil
	}
	return func(ctx context.Context, account string) (iamexec.IAM, error) {
		c, err := sess.ForAccount(ctx, account)
		if err != nil {
			return nil, err
		}
		return c.IAM, nil
	}
}

// ApplyArgs are what ApplyPlan needs besides the plan: --apply and --yes,
// the command that applies the plan (for the Next: line of the plan view)
// and the operator.
type ApplyArgs struct {
	Apply, Yes bool
	Next       string // e.g. "seiri keys disable --apply"
	Operator   string
	// Window is the usage window the plan judged (nil: none); a plan made
	// on the watch of disabled keys or quarantined users has
	// ObservationDays instead.
	Window          *Window
	ObservationDays int
	// Backup names the backup file a plan was made from (restore-from-backup:
	// no snapshot).
	Backup string
}

// header writes what the plan was made from: the snapshot (or backup) and
// the usage window.
func (a ApplyArgs) header(d Deps, e *Env) {
	switch {
	case e.Snap != nil:
		fmt.Fprintln(d.IO.Out, cmdutil.SnapshotLine(e.Snap))
	case a.Backup != "":
		fmt.Fprintf(d.IO.Out, "backup %s\n", a.Backup)
	default:
		return
	}
	if a.Window != nil {
		fmt.Fprintln(d.IO.Out, a.Window)
	}
	if a.ObservationDays > 0 {
		fmt.Fprintln(d.IO.Out, WatchWindow(a.ObservationDays))
	}
	fmt.Fprintln(d.IO.Out)
}

// ApplyPlan shows p (plan view: summary, changes, next command) or, with
// --apply, runs it through the one apply flow (confirm, workspace lock,
// journal, progress, summary, exit code 3 when a change failed) with the
// key and user executor.
func ApplyPlan(d Deps, a ApplyArgs, e *Env, p *plan.Plan, exec *iamexec.Executor) (*plan.Result, error) {
	if !a.Apply {
		if d.Output == "json" {
			v := planView{Plan: p, Window: a.Window, ObservationDays: a.ObservationDays, Backup: a.Backup}
			if e.Snap != nil {
				v.Snapshot = SnapshotBase(e.Snap)
			}
			return nil, cmdutil.WriteJSON(d.IO.Out, v)
		}
		a.header(d, e)
		RenderPlan(d.IO.Out, p, a.Next)
		return nil, nil
	}
	if d.Output != "json" {
		a.header(d, e)
	}
	j := plan.OpenJournal(e.WS.Journal(), d.Now)
	d.Logger().Debug("applying plan", "plan", p.ID, "changes", len(p.Changes), "journal", e.WS.Journal(), "backups", e.WS.BackupsDir(), "lock", e.WS.LockFile())
	exec.Operator, exec.Now = a.Operator, d.Now
	exec.Snapshot, exec.BackupDir = e.Snap, e.WS.BackupsDir()
	before, after := exec.FlowHooks(j, p)
	out, err := d.Apply(apply.Flow{Plan: p, Executor: exec, Journal: j, LockPath: e.WS.LockFile(), Operator: a.Operator,
		Before: before, After: after}, a.Yes)
	return out.Result, err
}

// RenderPlan is the plan view of a keys or users plan: the summary first
// (the counts, the accounts, how many notes), then the notes and the
// changes, then the command that makes it.
func RenderPlan(w io.Writer, p *plan.Plan, next string) {
	if p.Empty() {
		fmt.Fprintln(w, "No changes. The current state matches.")
	} else {
		cr, up, de := p.Counts()
		accounts := map[string]bool{}
		for _, c := range p.Changes {
			accounts[c.Account] = true
		}
		fmt.Fprintf(w, "Plan %s: %d to create, %d to change, %d to destroy, in %s.\n", p.ID, cr, up, de, plural(len(accounts), "account"))
	}
	if len(p.Diags) > 0 {
		fmt.Fprintf(w, "%s below.\n", plural(len(p.Diags), "note"))
	}
	fmt.Fprintln(w)
	for _, dg := range p.Diags {
		fmt.Fprintf(w, "! %s\n", dg.Summary)
	}
	if len(p.Diags) > 0 && !p.Empty() {
		fmt.Fprintln(w)
	}
	for _, c := range p.Changes {
		acct := ""
		if c.Account != "" {
			acct = "[" + c.Account + "] "
		}
		fmt.Fprintf(w, "  %s %s%s\n", opSymbol[c.Op], acct, c.Description)
		for _, n := range c.Notes {
			fmt.Fprintf(w, "      %s\n", n)
		}
	}
	if !p.Empty() {
		fmt.Fprintln(w, "\nNothing changed. Run again with --apply to make these changes.")
		if next != "" {
			fmt.Fprintf(w, "Next: %s\n", next)
		}
	}
}

var opSymbol = map[plan.Op]string{plan.Create: "+", plan.Update: "~", plan.Delete: "-"}

func plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// snapshotName is "snapshot NAME" of s.
func snapshotName(s *snapshot.Snapshot) string { return "snapshot " + SnapshotBase(s) }

// SnapshotBase is the snapshot's name (its folder's).
func SnapshotBase(s *snapshot.Snapshot) string { return filepath.Base(s.Dir) }
