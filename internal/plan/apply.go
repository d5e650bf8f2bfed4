package plan

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Executor performs the changes of one kind of plan against AWS.
type Executor interface {
	// InEffect reports whether the change is already in effect (checked right
	// before applying, so a re-run changes nothing).
	InEffect(ctx context.Context, c Change) (bool, error)
	// Apply makes the change. detail is journaled (never a secret).
	Apply(ctx context.Context, c Change) (detail string, err error)
}

// Options of an apply run.
type Options struct {
	Operator string // who applies (caller ARN)
	// ContinueOnError goes on with the next change when one fails (changes
	// in different accounts are independent); otherwise apply stops.
	ContinueOnError bool
	// Progress, when set, is told about each change.
	Progress func(c Change, outcome Phase, err error)
}

// Result counts what an apply did.
type Result struct {
	Applied, Skipped, Failed int
	Errors                   []ChangeError
}

// ChangeError is the failure of one change.
type ChangeError struct {
	Change Change
	Err    error
}

func (e ChangeError) Error() string { return fmt.Sprintf("%s: %v", e.Change.Description, e.Err) }

// Apply runs the plan's changes in order through exec, journaling each one.
// Changes the journal records as done for this plan are not repeated; every
// other change is checked with InEffect first, so a crash between the AWS
// call and the "done" line is repaired on the next run without a second call.
func Apply(ctx context.Context, p *Plan, j *Journal, exec Executor, opt Options) (*Result, error) {
	status, err := j.Status(p.ID)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	report := func(c Change, ph Phase, err error) {
		if opt.Progress != nil {
			opt.Progress(c, ph, err)
		}
	}
	entry := func(c Change, ph Phase) Entry {
		return Entry{Plan: p.ID, Change: c.ID, Phase: ph, Kind: c.Kind, Account: c.Account, Target: c.Target, Operator: opt.Operator}
	}
	for _, c := range p.Changes {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if status[c.ID] == Done || status[c.ID] == Skipped {
			res.Skipped++
			report(c, Skipped, nil)
			continue
		}
		in, err := exec.InEffect(ctx, c)
		if err != nil {
			e := entry(c, Failed)
			e.Error = err.Error()
			e.Detail = "checking current state"
			if jerr := j.Append(e); jerr != nil {
				return res, jerr
			}
			res.Failed++
			res.Errors = append(res.Errors, ChangeError{c, err})
			report(c, Failed, err)
			if !opt.ContinueOnError {
				return res, ChangeError{c, err}
			}
			continue
		}
		if in {
			e := entry(c, Skipped)
			e.Detail = "already in effect"
			if err := j.Append(e); err != nil {
				return res, err
			}
			res.Skipped++
			report(c, Skipped, nil)
			continue
		}
		if err := j.Append(entry(c, Begin)); err != nil {
			return res, err
		}
		detail, err := exec.Apply(ctx, c)
		if err != nil {
			e := entry(c, Failed)
			e.Error = err.Error()
			if jerr := j.Append(e); jerr != nil {
				return res, errors.Join(err, jerr)
			}
			res.Failed++
			res.Errors = append(res.Errors, ChangeError{c, err})
			report(c, Failed, err)
			if !opt.ContinueOnError {
				return res, ChangeError{c, err}
			}
			continue
		}
		e := entry(c, Done)
		e.Detail = detail
		if err := j.Append(e); err != nil {
			return res, err
		}
		res.Applied++
		report(c, Done, nil)
	}
	return res, nil
}

// Since returns the journal entries at or after t, for reports.
func (j *Journal) Since(t time.Time) ([]Entry, error) {
	es, err := j.Entries()
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, e := range es {
		if !e.Time.Before(t) {
			out = append(out, e)
		}
	}
	return out, nil
}
