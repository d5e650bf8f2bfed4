package daily

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/seiri-dev/seiri/internal/apply"
	"github.com/seiri-dev/seiri/internal/apply/iamexec"
	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	keyscmd "github.com/seiri-dev/seiri/internal/cmd/keys"
	trailcmd "github.com/seiri-dev/seiri/internal/cmd/trail"
	userscmd "github.com/seiri-dev/seiri/internal/cmd/users"
	"github.com/seiri-dev/seiri/internal/collect"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/report"
	"github.com/seiri-dev/seiri/internal/routine"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/version"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// runner holds what the steps share: the workspace state loaded after
// collect and scan, the AWS session, and the log objects the scan read
// (the detect step reads those, and only those).
type runner struct {
	o *Options
	// keys are the keys commands' dependencies on the workspace opened.
	keys keyscmd.Deps
	cfg  *config.Config
	ws   *workspace.Workspace

	env     *keyscmd.Env
	sess    *awsclient.Session
	caller  keys.Caller
	sessErr error
	// newObjects are the objects today's scan opened, per source.
	newObjects []sourceObjects
}

type sourceObjects struct {
	src  trail.Source
	objs []trail.Object
}

func (r *runner) close() {
	if r.env != nil {
		r.env.Close()
		r.env = nil
	}
}

func (r *runner) steps() []routine.Step {
	all := []routine.Step{
		{Name: config.StepCollect, Run: r.collect},
		{Name: config.StepScan, Run: r.scan},
		{Name: config.StepAudit, Run: r.audit},
		{Name: config.StepDetect, Run: r.detect},
		{Name: config.StepWatch, Run: r.watch},
		{Name: config.StepDisableKeys, Retire: true, Run: r.disableKeys},
		{Name: config.StepDeleteKeys, Retire: true, Run: r.deleteKeys},
	}
	var out []routine.Step
	for _, s := range all {
		if configured(r.cfg, s.Name) || s.Name == config.StepCollect && r.o.Import != "" {
			out = append(out, s)
			continue
		}
		name := s.Name
		out = append(out, routine.Step{Name: name, Run: func(context.Context, *routine.Today) routine.StepReport {
			return routine.StepReport{Status: routine.Skipped, CouldNot: []string{"not in daily.steps"}}
		}})
	}
	return out
}

// session opens AWS once for the steps that need it.
func (r *runner) session(ctx context.Context) (*awsclient.Session, error) {
	if r.sess == nil && r.sessErr == nil {
		r.sess, r.caller, r.sessErr = keyscmd.Session(r.keys)
	}
	return r.sess, r.sessErr
}

// loadEnv loads the newest snapshot and the usage store (after collect and
// scan wrote them).
func (r *runner) loadEnv() (*keyscmd.Env, error) {
	if r.env == nil {
		e, err := keyscmd.LoadEnv(r.keys, snapshot.Latest)
		if err != nil {
			return nil, err
		}
		r.env = e
	}
	return r.env, nil
}

// envSession is what the watch and the retirement steps stand on: the
// workspace state and AWS.
func (r *runner) envSession(ctx context.Context) (*keyscmd.Env, *awsclient.Session, error) {
	e, err := r.loadEnv()
	if err != nil {
		return nil, nil, err
	}
	sess, err := r.session(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("AWS: %s", awsclient.ErrorSummary(err))
	}
	return e, sess, nil
}

func (r *runner) collect(ctx context.Context, _ *routine.Today) routine.StepReport {
	var rep routine.StepReport
	if r.o.Import != "" {
		return r.importSnapshot()
	}
	sess, err := r.session(ctx)
	if err != nil {
		return rep.Fail("AWS: %s; the newest snapshot in the workspace is used", awsclient.ErrorSummary(err))
	}
	opts := collect.Options{Org: r.cfg.Daily.Org, Regions: r.cfg.Daily.Regions, Parallel: 8,
		SeiriVersion: version.String(), Now: r.o.Now, Log: r.o.Logger()}
	res, err := collect.Run(ctx, sess, r.ws.SnapshotsDir(), opts)
	if err != nil {
		rep.Status, rep.Unexpected = routine.Failed, true
		rep.Failf("collect: %v", err)
		return rep
	}
	failed := res.FailedAccounts()
	rep.Usef("snapshot %s: %d of %d accounts", filepath.Base(res.Dir), len(res.Manifest.Accounts)-len(failed), len(res.Manifest.Accounts))
	for _, st := range failed {
		rep.Failf("account %s: %s", st.AccountID, st.Error)
	}
	switch {
	case len(failed) == 0:
	case len(failed) == len(res.Manifest.Accounts):
		rep.Status = routine.Failed
	default:
		rep.Status = routine.Partial
	}
	return rep
}

// importSnapshot copies a snapshot folder into the workspace (its name
// kept), so that the next runs compare with it.
func (r *runner) importSnapshot() routine.StepReport {
	var rep routine.StepReport
	src := filepath.Clean(r.o.Import)
	s, err := snapshot.Load(filepath.Dir(src), filepath.Base(src))
	if err != nil {
		return rep.Fail("--import %s: %v", src, err)
	}
	dst := filepath.Join(r.ws.SnapshotsDir(), filepath.Base(s.Dir))
	if _, err := os.Stat(dst); err == nil {
		rep.Usef("snapshot %s (already imported)", filepath.Base(dst))
		return rep
	}
	if err := copyTree(s.Dir, dst); err != nil {
		rep.Status, rep.Unexpected = routine.Failed, true
		rep.Failf("--import %s: %v", src, err)
		return rep
	}
	rep.Usef("snapshot %s imported from %s", filepath.Base(dst), src)
	return rep
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, workspace.DirMode)
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		b, err := workspace.ReadFile(p)
		if err != nil {
			return err
		}
		return workspace.WriteFile(target, b)
	})
}

func (r *runner) scan(ctx context.Context, _ *routine.Today) routine.StepReport {
	var rep routine.StepReport
	sources := r.o.Sources
	if len(sources) == 0 {
		sources = r.cfg.Daily.Sources
	}
	if len(sources) == 0 {
		rep.Status = routine.Skipped
		rep.Failf("no log source (daily.sources or --source): usage, the watch and detect have no new evidence today")
		return rep
	}
	// daily.scan_days: only the last days' folders and prefixes are
	// listed (a file is counted whole or not at all, so a later wider
	// scan still counts every event once; docs/trail.md).
	var window trail.Filter
	scope := ""
	if n := r.cfg.Daily.ScanDays; n > 0 {
		window.Since = r.o.Now().AddDate(0, 0, -n)
		scope = fmt.Sprintf(" (logs since %s: daily.scan_days %d)", window.Since.UTC().Format("2006-01-02 15:04Z"), n)
	}
	for _, spec := range sources {
		src, err := r.o.OpenSource(ctx, spec)
		if err != nil {
			rep.Status = routine.Failed
			rep.Failf("%s: %v", spec, err)
			continue
		}
		// The objects the scan opens are exactly the new ones (it skips
		// what the usage store already counted). The source itself goes
		// to the scan: what else it is (a local folder, a source with
		// former names) the scan must see.
		var mu sync.Mutex
		var opened []trail.Object
		res, err := trailcmd.ScanStore(ctx, r.ws, r.o.Catalog(), r.o.Now(), r.o.IO.ErrOut, src, trail.Options{Filter: window, Opened: func(o trail.Object) {
			mu.Lock()
			opened = append(opened, o)
			mu.Unlock()
		}})
		if err != nil {
			rep.Status = routine.Failed
			rep.Failf("%s: %v", spec, err)
			continue
		}
		s := &res.Summary
		sort.Slice(opened, func(i, j int) bool { return opened[i].Key < opened[j].Key })
		r.newObjects = append(r.newObjects, sourceObjects{src: src, objs: opened})
		if s.FoldersUnchanged > 0 {
			rep.Usef("%s%s: %d new log files read (%d already scanned, %d in %d folders unchanged since), %d records",
				spec, scope, s.FilesRead, s.FilesAlreadyScanned, s.FilesInUnchangedFolders, s.FoldersUnchanged, s.Records)
		} else {
			rep.Usef("%s%s: %d new log files read (%d already scanned), %d records", spec, scope, s.FilesRead, s.FilesAlreadyScanned, s.Records)
		}
		if s.FolderTimesIgnored != "" {
			rep.Usef("%s: %s", spec, s.FolderTimesIgnored)
		}
		for _, le := range s.ListErrors {
			rep.Failf("%s: listing: %s (retried tomorrow)", spec, le)
		}
		if n := s.FilesSkipped; n > 0 {
			rep.Failf("%s: %d log files skipped (see seiri trail scan)", spec, n)
		}
		if len(s.ListErrors) > 0 || s.SkippedFiles[trail.SkipFileRead] != nil || s.SkippedFiles[trail.SkipFileGzip] != nil {
			if rep.Status == "" {
				rep.Status = routine.Partial
			}
		}
	}
	return rep
}

func (r *runner) audit(_ context.Context, today *routine.Today) routine.StepReport {
	var rep routine.StepReport
	e, err := r.loadEnv()
	if err != nil {
		return rep.Fail("%v", err)
	}
	for _, st := range e.Snap.Manifest.Accounts {
		if st.Failed() {
			rep.Failf("account %s was not collected (%s): not audited", st.AccountID, st.Error)
		}
	}
	rp, notes, err := r.auditReport(e.Snap)
	if err != nil {
		return rep.Fail("%v", err)
	}
	// The open detection findings in seiri audit's report are the detect
	// step's (events: new on the day they are raised): counted in the
	// audit line, not added twice to the summary.
	det := 0
	for _, f := range rp.Findings {
		if strings.HasPrefix(f.RuleID, "SEIRI-DETECT-") {
			det++
			continue
		}
		today.Findings = append(today.Findings, f)
	}
	rep.Usef("%s: %s (as seiri audit; %d of them open detection findings, listed by the detect step)", cmdutil.SnapshotLine(e.Snap), plural(len(rp.Findings), "finding"), det)
	for _, n := range notes {
		rep.Usef("%s", n)
	}
	// The audit is kept for the trend of seiri report (which then does not
	// audit this snapshot again).
	name := filepath.Base(e.Snap.Dir)
	if err := report.SaveFindings(report.SavedPath(r.ws.ReportsDir(), name), report.Saved{Snapshot: name, SavedAt: r.o.Now(), By: "seiri daily", Report: rp}); err != nil {
		rep.Failf("findings not saved for the trend of seiri report: %v", err)
	} else {
		rep.Usef("findings saved to reports/findings-%s.json (the trend of seiri report)", name)
	}
	return rep
}

func (r *runner) detect(ctx context.Context, today *routine.Today) routine.StepReport {
	var rep routine.StepReport
	if len(r.newObjects) == 0 {
		rep.Status = routine.Skipped
		rep.Failf("no log scanned today: nothing new to look at")
		return rep
	}
	fs, used, couldNot, err := r.suspiciousUse(ctx)
	rep.Used, rep.CouldNot = used, couldNot
	if err != nil {
		return rep.Fail("%v", err)
	}
	if len(couldNot) > 0 {
		rep.Status = routine.Partial
	}
	today.Detections = append(today.Detections, fs...)
	return rep
}

func (r *runner) watch(ctx context.Context, today *routine.Today) routine.StepReport {
	var rep routine.StepReport
	e, sess, err := r.envSession(ctx)
	if err != nil {
		return rep.Fail("%v: the live state of watched keys and users cannot be read", err)
	}
	if n := e.UsageNote(); n != "" {
		rep.Failf("%s: nothing can be judged quiet", n)
	}
	ks, problems, err := keyscmd.WatchTracked(ctx, e, sess, r.o.Now)
	if err != nil {
		return rep.Fail("keys: %v", err)
	}
	us, uproblems, err := userscmd.WatchQuarantined(ctx, e, sess, r.o.Now)
	if err != nil {
		return rep.Fail("users: %v", err)
	}
	for _, w := range ks {
		today.Watched = append(today.Watched, watchedOf("key", w))
	}
	for _, w := range us {
		today.Watched = append(today.Watched, watchedOf("user", w))
	}
	rep.Usef("%s disabled by seiri, %s quarantined (observation window %d days)", plural(len(ks), "key"), plural(len(us), "user"), r.cfg.Keys.ObservationDays)
	for _, p := range append(problems, uproblems...) {
		rep.Failf("could not read %s", p)
	}
	if len(problems)+len(uproblems) > 0 {
		rep.Status = routine.Partial
	}
	return rep
}

func watchedOf(kind string, w keys.WatchResult) routine.Watched {
	out := routine.Watched{Kind: kind, Account: w.Key.Account, User: w.Key.User, Verdict: string(w.Verdict), DaysLeft: w.DaysLeft,
		Recommendation: w.Recommendation}
	if kind == "key" {
		out.AccessKeyID = w.Key.AccessKeyID
	}
	if w.NotWatched != "" {
		out.Recommendation = "not watched: " + w.NotWatched
	}
	return out
}

// applying reports whether the retirement steps apply their plans.
func (r *runner) applying() bool { return r.cfg.Daily.Apply && !r.o.DryRun }

func (r *runner) disableKeys(ctx context.Context, today *routine.Today) routine.StepReport {
	var rep routine.StepReport
	e, _, err := r.envSession(ctx)
	if err != nil {
		return rep.Fail("%v", err)
	}
	in, err := keyscmd.LoadInput(ctx, e, r.o.Now(), r.caller)
	if err != nil {
		rep.Unexpected = true
		return rep.Fail("%v", err)
	}
	res := keys.Candidates(in, keys.Options{UnusedDays: r.cfg.Daily.UnusedDays, IncludeNeverUsed: r.cfg.Daily.IncludeNeverUsed})
	p, _ := keys.DisablePlan(res.Candidates, e.Snap.Dir, r.caller.ARN, r.o.Now())
	rep.Usef("keys unused for %d days in %s", r.cfg.Daily.UnusedDays, filepath.Base(e.Snap.Dir))
	if n := e.UsageNote(); n != "" {
		rep.Failf("%s", n)
	}
	r.applyPlan(ctx, e, p, "disable-keys", "disable key", keys.KindUpdateKey, today, &rep)
	return rep
}

func (r *runner) deleteKeys(ctx context.Context, today *routine.Today) routine.StepReport {
	var rep routine.StepReport
	e, sess, err := r.envSession(ctx)
	if err != nil {
		return rep.Fail("%v", err)
	}
	results, problems, err := keyscmd.WatchTracked(ctx, e, sess, r.o.Now)
	if err != nil {
		rep.Unexpected = true
		return rep.Fail("%v", err)
	}
	p, _ := keys.DeletePlan(results, "", r.o.Now(), nil)
	for _, pr := range problems {
		p.Warn("keys.unreadable", "could not read: "+pr)
		rep.Failf("could not read %s", pr)
	}
	rep.Usef("the watch of %s (delete only quiet keys whose %d-day window ended)", plural(len(results), "key"), r.cfg.Keys.ObservationDays)
	r.applyPlan(ctx, e, p, "delete-keys", "delete key", keys.KindDeleteKey, today, &rep)
	if len(problems) > 0 && rep.Status == "" {
		rep.Status = routine.Partial
	}
	return rep
}

// applyPlan reports p's key changes as planned or, when applying, runs p
// through the one apply flow (workspace lock, journal, backups; its
// progress on stderr, the summary on stdout) and reports each key's outcome.
func (r *runner) applyPlan(ctx context.Context, e *keyscmd.Env, p *plan.Plan, step, action, kind string, today *routine.Today, rep *routine.StepReport) {
	var keyChanges []plan.Change
	for _, c := range p.Changes {
		if c.Kind == kind {
			keyChanges = append(keyChanges, c)
		}
	}
	user := func(c plan.Change) string {
		if i := strings.Index(c.Description, " of "); i >= 0 {
			return c.Description[i+4:]
		}
		return ""
	}
	if !r.applying() || p.Empty() {
		for _, c := range keyChanges {
			today.Changes = append(today.Changes, routine.Change{Step: step, Action: action, Account: c.Account, User: user(c), AccessKeyID: c.Target, Status: "planned"})
		}
		if len(keyChanges) > 0 {
			why := "daily.apply is false"
			if r.o.DryRun {
				why = "--dry-run"
			}
			rep.Usef("%s planned, not applied (%s)", plural(len(keyChanges), "key"), why)
		}
		return
	}
	exec := &iamexec.Executor{Clients: keyscmd.IAMClients(r.sess), Operator: r.caller.ARN, Now: r.o.Now, Snapshot: e.Snap, BackupDir: e.WS.BackupsDir()}
	j := plan.OpenJournal(e.WS.Journal(), r.o.Now)
	before, after := exec.FlowHooks(j, p)
	out := apply.Run(ctx, apply.Flow{Plan: p, Executor: exec, Journal: j, LockPath: e.WS.LockFile(), Operator: r.caller.ARN,
		Out: r.o.IO.ErrOut, Yes: true, Before: before, After: after})
	failed := map[string]string{}
	if out.Result != nil {
		for _, ce := range out.Result.Errors {
			failed[ce.Change.Target] = awsclient.ErrorSummary(ce.Err)
		}
	}
	for _, c := range keyChanges {
		ch := routine.Change{Step: step, Action: action, Account: c.Account, User: user(c), AccessKeyID: c.Target, Status: "done"}
		switch {
		case !out.Applied:
			ch.Status = "refused"
			if err := out.Err(); err != nil {
				ch.Detail = err.Error()
			}
		case failed[c.Target] != "":
			ch.Status, ch.Detail = "failed", failed[c.Target]
		}
		today.Changes = append(today.Changes, ch)
	}
	rep.Usef("applied through the journal (journal.jsonl in the workspace)")
	if out.ExitCode() != 0 {
		rep.Status = routine.Partial
		if err := out.Err(); err != nil {
			rep.Failf("%v", err)
		}
	}
}
