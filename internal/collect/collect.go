// Package collect builds a snapshot from the AWS APIs, account by account,
// in parallel. It only reads: every operation it calls is listed in
// Permissions (permissions.go), and none of them changes anything in AWS.
package collect

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/credreport"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// Options say what to collect and how.
type Options struct {
	// ParseCredentialReport parses the decoded CSV of GetCredentialReport
	// (default: credreport.Parse; tests record the raw CSV).
	ParseCredentialReport func(csv []byte) (*credreport.Report, error)
	// Org collects the Organization (tree, policies, delegated admins) and,
	// unless Accounts narrows it, every ACTIVE account of it.
	Org bool
	// Accounts are the account ids to collect (default: the caller's own
	// account, or every ACTIVE account with Org).
	Accounts []string
	// Parallel is the number of accounts collected at once (default 8).
	Parallel int
	// PrincipalParallel bounds the per-user and per-role calls (keys, MFA,
	// login profile, Access Advisor) in flight within one account (default 4).
	PrincipalParallel int
	// NoAccessAdvisor skips Access Advisor (two or more calls per principal).
	NoAccessAdvisor bool
	// Regions are the regions whose resource policies (KMS, SQS, SNS,
	// Lambda, Secrets Manager, ECR) are read (default: the session's
	// region); S3 buckets are read in every region. NoResourcePolicies
	// skips them (resources.go).
	Regions            []string
	NoResourcePolicies bool
	// PollInterval is the first wait between polls of the credential report
	// and Access Advisor jobs; it doubles up to PollMaxInterval. PollTimeout
	// bounds the whole wait. Defaults: 1 s, 15 s, 5 min.
	PollInterval, PollMaxInterval, PollTimeout time.Duration
	// SeiriVersion goes into the manifest.
	SeiriVersion string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Progress, when set, is called every 250 ms and when an account ends;
	// calls never overlap.
	Progress func(Progress)
	// Log receives debug and warning lines (default: discard).
	Log *slog.Logger
}

// Progress is the state of a running collect.
type Progress struct {
	Total, Done, Failed int
	APICalls, APIErrors int64
}

// Result is a finished collect.
type Result struct {
	Dir      string
	Manifest snapshot.Manifest
	// Warnings are organization-level sections that could not be collected
	// (account-level warnings are in the manifest).
	Warnings []string
	// Stale are unfinished snapshots left by an interrupted collect (kill -9),
	// removed before this run when no live process owned them, or kept with
	// the reason.
	Stale []workspace.Stale
}

// FailedAccounts are the accounts that could not be collected.
func (r *Result) FailedAccounts() []snapshot.AccountStatus {
	var out []snapshot.AccountStatus
	for _, a := range r.Manifest.Accounts {
		if a.Failed() {
			out = append(out, a)
		}
	}
	return out
}

// parseCredentialReport parses the decoded CSV of GetCredentialReport.
func parseCredentialReport(b []byte) (*credreport.Report, error) {
	return credreport.Parse(bytes.NewReader(b), "credential report (GetCredentialReport)")
}

func (o *Options) defaults() {
	if o.ParseCredentialReport == nil {
		o.ParseCredentialReport = parseCredentialReport
	}
	if o.Parallel <= 0 {
		o.Parallel = 8
	}
	if o.PrincipalParallel <= 0 {
		o.PrincipalParallel = 4
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.PollMaxInterval <= 0 {
		o.PollMaxInterval = 15 * time.Second
	}
	if o.PollTimeout <= 0 {
		o.PollTimeout = 5 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Run collects into a new snapshot under snapshotsDir. The snapshot becomes
// visible (renamed from its pending name) only when every account has been
// tried; a cancelled ctx or a fatal error leaves nothing that looks
// complete. Accounts that fail are recorded in the manifest: check
// Result.FailedAccounts.
func Run(ctx context.Context, sess *awsclient.Session, snapshotsDir string, opts Options) (*Result, error) {
	opts.defaults()
	start := opts.Now().UTC()
	stale, err := snapshot.RemoveStalePending(snapshotsDir, time.Now())
	if err != nil {
		return nil, fmt.Errorf("clean unfinished snapshots: %w", err)
	}
	for _, st := range stale {
		opts.Log.Warn("unfinished snapshot from an interrupted collect", "path", st.Path, "removed", st.Removed, "reason", st.Reason)
	}
	w, err := snapshot.Create(snapshotsDir, start)
	if err != nil {
		return nil, err
	}
	defer w.Abort() // no-op after Commit

	res := &Result{Stale: stale}
	names := map[string]string{}
	var scope []string
	if opts.Org {
		org, warns, err := collectOrganization(ctx, sess.Base())
		if err != nil {
			if strings.Contains(err.Error(), "AccessDenied") {
				return nil, fmt.Errorf("collect organization: %w (run from the management account or a delegated administrator, with the permissions `seiri permissions collect` prints)", err)
			}
			return nil, fmt.Errorf("collect organization: %w", err)
		}
		res.Warnings = append(res.Warnings, warns...)
		if !opts.NoAccessAdvisor {
			reps, warns := collectOrgAccessReports(ctx, sess.Base().IAM, sess.Base().AccountID, org, &opts)
			org.AccessReports = reps
			res.Warnings = append(res.Warnings, warns...)
		}
		if err := w.WriteOrganization(org); err != nil {
			return nil, err
		}
		for _, a := range org.Accounts {
			names[a.ID] = a.Name
			if a.Status == "ACTIVE" {
				scope = append(scope, a.ID)
			}
		}
	}
	if len(opts.Accounts) > 0 {
		scope = dedupe(opts.Accounts)
	} else if !opts.Org {
		scope = []string{sess.Caller().Account}
	}
	sort.Strings(scope)

	statuses := make([]snapshot.AccountStatus, len(scope))
	var mu, progressMu sync.Mutex
	prog := Progress{Total: len(scope)}
	report := func() {
		if opts.Progress == nil {
			return
		}
		progressMu.Lock() // calls to opts.Progress never overlap
		defer progressMu.Unlock()
		mu.Lock()
		p := prog
		mu.Unlock()
		p.APICalls, p.APIErrors = sess.Calls().Calls(), sess.Calls().Errors()
		opts.Progress(p)
	}
	stopTicker := make(chan struct{})
	var tickerDone sync.WaitGroup
	if opts.Progress != nil {
		tickerDone.Add(1)
		go func() {
			defer tickerDone.Done()
			t := time.NewTicker(250 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					report()
				case <-stopTicker:
					return
				}
			}
		}()
	}

	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	for i, id := range scope {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				statuses[i] = snapshot.AccountStatus{AccountID: id, Name: names[id], Error: ctx.Err().Error()}
				return
			}
			defer func() { <-sem }()
			st := collectOne(ctx, sess, w, id, names[id], &opts)
			statuses[i] = st
			mu.Lock()
			prog.Done++
			if st.Failed() {
				prog.Failed++
			}
			mu.Unlock()
			report()
		}()
	}
	wg.Wait()
	close(stopTicker)
	tickerDone.Wait()
	report()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("collect interrupted, snapshot discarded: %w", err)
	}
	res.Manifest = snapshot.Manifest{
		SeiriVersion: opts.SeiriVersion,
		Source:       "collect",
		CallerARN:    sess.Caller().ARN,
		StartedAt:    start,
		FinishedAt:   opts.Now().UTC(),
		Accounts:     statuses,
	}
	dir, err := w.Commit(&res.Manifest)
	if err != nil {
		return nil, err
	}
	res.Dir = dir
	return res, nil
}

// collectOne collects one account and writes it; failures are returned in
// the status, never as an error, so that other accounts go on.
func collectOne(ctx context.Context, sess *awsclient.Session, w *snapshot.Writer, id, name string, opts *Options) snapshot.AccountStatus {
	st := snapshot.AccountStatus{AccountID: id, Name: name}
	clients, err := sess.ForAccount(ctx, id)
	if err != nil {
		st.Error = err.Error()
		opts.Log.Info("account failed", "account", id, "error", st.Error)
		return st
	}
	before := clients.Calls.Calls()
	acct, warns, err := collectAccount(ctx, clients, opts)
	st.APICalls = int(clients.Calls.Calls() - before)
	st.Warnings = warns
	if err != nil {
		st.Error = err.Error()
		opts.Log.Info("account failed", "account", id, "error", st.Error)
		return st
	}
	acct.AccountID = id
	acct.Name = name
	file, err := w.WriteAccount(acct)
	if err != nil {
		st.Error = err.Error()
		return st
	}
	st.File = file
	return st
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// poll calls f with growing waits until it reports done, an error, or the
// timeout. what names the job in the timeout error.
func poll(ctx context.Context, opts *Options, what string, f func() (bool, error)) error {
	wait := opts.PollInterval
	deadline := time.Now().Add(opts.PollTimeout)
	for {
		done, err := f()
		if err != nil || done {
			return err
		}
		if time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("%s: not ready after %s", what, opts.PollTimeout)
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(wait*2, opts.PollMaxInterval)
	}
}
