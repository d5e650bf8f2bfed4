// Package apply is the one flow every write command of seiri goes through:
//
//	check → render → confirm → lock → journal → apply with progress → summary → exit code
//
// A command builds a plan (an analysis makes it), picks the executor of its
// kind (internal/apply/iamexec, internal/apply/orgexec) and calls Run. The
// prompt, the progress lines, the summary line and the exit codes are the
// same for keys, users, groups and org:
//
//   - 0: every change applied or already in effect, nothing to do, or the
//     operator said no on a terminal;
//   - 2: refused before any write (stale plan, lockout risk, no terminal to
//     confirm on and no --yes);
//   - 3: partial success: at least one change failed; the journal records
//     what was done and running the same command again resumes;
//   - 4: an unexpected failure around the changes (the workspace lock is
//     held, the journal cannot be written, the run was cancelled).
//
// With JSON set (--output json) the flow writes no text on Out but the
// progress lines and the summary, meant for standard error; the run's
// Report (what was planned, each change's outcome, the journal, the exit
// code) is the document a command writes on standard output.
package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/diag"
	"github.com/seiri-dev/seiri/internal/plan"
)

// Diagnostic codes of the flow.
const (
	CodeUnconfirmed = "apply.unconfirmed" // no terminal to ask on, and no --yes
	CodeLocked      = "apply.locked"      // another seiri run holds the workspace lock
	CodeJournal     = "apply.journal"     // the journal cannot be read or written
	CodeFailed      = "apply.failed"      // one change failed (one per failed change)
	CodePartial     = "apply.partial"     // the summary of failed changes
	CodeStopped     = "apply.stopped"     // the run stopped before the end (cancelled, or stop on first failure)
	CodeResume      = "apply.resume"      // a note: resuming a plan the journal shows started
)

// Flow is one apply run. Plan, Journal, Executor and LockPath are required.
type Flow struct {
	Plan     *plan.Plan
	Executor plan.Executor
	// Journal is the workspace journal; LockPath the workspace lock file.
	Journal  *plan.Journal
	LockPath string
	// Operator is who applies (the caller's ARN), journaled with each change.
	Operator string
	// Out receives the plan, the progress and the summary.
	Out io.Writer
	// Render writes the plan for review (default: Plan.Render). It is given
	// whether the run resumes a started plan.
	Render func(w io.Writer, resuming bool) error
	// Check runs before the plan is shown: the stale check, lockout rules.
	// resuming is true when the journal shows this plan started (its own
	// writes changed the base, so a stale check must be skipped). Errors
	// refuse the apply; warnings are shown.
	Check func(ctx context.Context, resuming bool) diag.Diagnostics
	// Yes applies without asking. Otherwise Confirm asks (nil, or an
	// answer of no without a terminal, refuses with CodeUnconfirmed).
	Yes      bool
	Confirm  func(prompt string) (bool, error)
	Terminal bool
	// Prompt overrides the question (default "Apply these N changes?").
	Prompt string
	// StopOnError stops at the first failed change (the changes depend on
	// each other, as in an organization plan); otherwise the other changes
	// go on (the executor refuses the later changes of a failed key or user).
	StopOnError bool
	// Before runs under the lock, before the first change (an executor
	// reads the journal's plan ids); After runs after the last change, also
	// when one failed (an executor releases its guard tags). An After error
	// is a warning.
	Before func(ctx context.Context) error
	After  func(ctx context.Context) error
	// SummaryNote, when set, is added to the summary line (e.g. retries).
	SummaryNote func() string
	// JSON is --output json: the plan is not rendered (the Report carries
	// it) and "Not applied." is not written; Out gets only the progress
	// lines and the summary, and should be standard error.
	JSON bool
}

// Outcome is what a run did.
type Outcome struct {
	// Applied is false when nothing was attempted (no changes, refused, or
	// not confirmed).
	Applied bool
	Result  *plan.Result
	Diags   diag.Diagnostics
	// Report is the run as a document (--output json).
	Report *Report
}

// ExitCode is the exit code the run asks for.
func (o *Outcome) ExitCode() int { return diag.ExitCode(o.Diags) }

// Err returns the outcome's errors as one error (diag.Diagnostics), or nil.
func (o *Outcome) Err() error { return o.Diags.Err() }

// Progress line formats: one per change, the same for every write command.
const (
	lineDone    = "  done     %s\n"
	lineSkipped = "  skipped  %s (already in effect)\n"
	lineFailed  = "  failed   %s: %s\n"
)

// Run shows the plan, asks, and applies it. It never returns an error
// without putting it in the outcome's diagnostics too; the error returned is
// Outcome.Err().
func Run(ctx context.Context, f Flow) *Outcome {
	out := &Outcome{}
	rep := newReport(f)
	out.Report = rep
	defer func() { rep.finish(out) }()
	w := f.Out
	if w == nil {
		w = io.Discard
	}
	p := f.Plan
	status, err := f.Journal.Status(p.ID)
	if err != nil {
		out.Diags = out.Diags.Append(diag.Errorf(CodeJournal, "cannot read the journal").WithDetail("%v", err).WithExit(diag.ExitInternal))
		return out
	}
	resuming := false
	done := 0
	for _, ph := range status {
		resuming = true
		if ph == plan.Done || ph == plan.Skipped {
			done++
		}
	}
	if resuming {
		out.Diags = append(out.Diags, diag.Notef(CodeResume, "resuming plan %s: the journal records %d of %d changes done; the rest are checked against AWS first", p.ID, done, len(p.Changes)))
	}
	if f.Check != nil {
		out.Diags = out.Diags.Append(f.Check(ctx, resuming))
		if out.Diags.HasErrors() {
			return out
		}
	}
	render := f.Render
	if render == nil {
		render = func(w io.Writer, _ bool) error { p.Render(w); return nil }
	}
	if f.JSON {
		render = func(io.Writer, bool) error { return nil }
	}
	if err := render(w, resuming); err != nil {
		out.Diags = out.Diags.Append(diag.Errorf("apply.render", "cannot show the plan").WithDetail("%v", err).WithExit(diag.ExitInternal))
		return out
	}
	if p.Empty() {
		rep.Status = StatusNoChanges
		return out
	}
	if !f.Yes {
		prompt := f.Prompt
		if prompt == "" {
			prompt = fmt.Sprintf("Apply these %d changes?", len(p.Changes))
			if len(p.Changes) == 1 {
				prompt = "Apply this change?"
			}
		}
		ok := false
		if f.Confirm != nil {
			if ok, err = f.Confirm(prompt); err != nil {
				out.Diags = out.Diags.Append(diag.Errorf(CodeUnconfirmed, "not applied: could not ask").WithDetail("%v", err))
				return out
			}
		}
		if !ok {
			if !f.Terminal {
				out.Diags = out.Diags.Append(diag.Errorf(CodeUnconfirmed, "not applied: no terminal to confirm on; pass --yes"))
				return out
			}
			if !f.JSON {
				fmt.Fprintln(w, "Not applied.")
			}
			rep.Status = StatusDeclined
			return out
		}
	}
	lock, err := plan.Acquire(f.LockPath, fmt.Sprintf("%s pid %d plan %s", f.Operator, os.Getpid(), p.ID))
	if err != nil {
		out.Diags = out.Diags.Append(diag.Errorf(CodeLocked, "not applied: %v", err).WithExit(diag.ExitInternal))
		return out
	}
	defer lock.Release()
	if f.Before != nil {
		if err := f.Before(ctx); err != nil {
			out.Diags = out.Diags.Append(diag.Errorf(CodeJournal, "not applied").WithDetail("%v", err).WithExit(diag.ExitInternal))
			return out
		}
	}
	out.Applied = true
	fmt.Fprintln(w)
	res, err := plan.Apply(ctx, p, f.Journal, f.Executor, plan.Options{Operator: f.Operator, ContinueOnError: !f.StopOnError,
		Progress: func(c plan.Change, ph plan.Phase, err error) {
			rep.record(c, ph, err)
			switch {
			case err != nil:
				fmt.Fprintf(w, lineFailed, c.Description, awsclient.ErrorSummary(err))
			case ph == plan.Skipped:
				fmt.Fprintf(w, lineSkipped, c.Description)
			default:
				fmt.Fprintf(w, lineDone, c.Description)
			}
		}})
	if f.After != nil {
		if aerr := f.After(context.WithoutCancel(ctx)); aerr != nil {
			out.Diags = out.Diags.Append(diag.Warningf("apply.after", "%v", aerr))
		}
	}
	if res == nil {
		res = &plan.Result{}
	}
	out.Result = res
	rep.Journal = f.Journal.Path()
	note := ""
	if f.SummaryNote != nil {
		if n := f.SummaryNote(); n != "" {
			note = " " + n
		}
	}
	fmt.Fprintf(w, "\nApplied %d, skipped %d (already in effect), failed %d%s. Journal: %s\n", res.Applied, res.Skipped, res.Failed, note, f.Journal.Path())
	for _, ce := range res.Errors {
		out.Diags = out.Diags.Append(diag.Errorf(CodeFailed, "%s", ce.Change.Description).WithDetail("%s", awsclient.ErrorSummary(ce.Err)).
			About(diag.Subject{Account: ce.Change.Account, Resource: ce.Change.Target}).WithExit(diag.ExitPartial))
	}
	var ce plan.ChangeError
	switch {
	case err != nil && errors.As(err, &ce):
		left := len(p.Changes) - res.Applied - res.Skipped - res.Failed
		out.Diags = out.Diags.Append(diag.Errorf(CodeStopped, "apply stopped at the failed change; %d later changes not attempted; run the same command again to resume", left).WithExit(diag.ExitPartial))
	case err != nil:
		out.Diags = out.Diags.Append(diag.Errorf(CodeStopped, "apply stopped: %v; run the same command again to resume", err).WithExit(diag.ExitInternal))
	case res.Failed > 0:
		out.Diags = out.Diags.Append(diag.Errorf(CodePartial, "%d of %d changes failed; run the same command again to retry them", res.Failed, len(p.Changes)).WithExit(diag.ExitPartial))
	}
	return out
}
