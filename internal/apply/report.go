package apply

import (
	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/diag"
	"github.com/seiri-dev/seiri/internal/plan"
)

// Statuses of a run (Report.Status).
const (
	StatusNoChanges = "no-changes" // the plan changes nothing
	StatusRefused   = "refused"    // refused before any write (exit 2)
	StatusDeclined  = "declined"   // the operator answered no on the terminal
	StatusError     = "error"      // failed before any write (lock, journal: exit 4)
	StatusApplied   = "applied"    // every change applied or already in effect
	StatusPartial   = "partial"    // a change failed, or the run stopped (exit 3 or 4)
)

// Outcomes of a change (ChangeReport.Outcome).
const (
	OutcomeApplied      = "applied"
	OutcomeSkipped      = "skipped"       // already in effect, or done by an earlier run (journal)
	OutcomeFailed       = "failed"        // its error is in Error
	OutcomeNotAttempted = "not-attempted" // not applied: refused, declined, or after a stop
)

// Report is one run of the flow as a document: the plan (its changes,
// never their parameters), what happened to each change, the journal and
// the exit code. It holds no secret: the changes are described as the plan
// view shows them, errors as their one-line summary.
type Report struct {
	Plan PlanReport `json:"plan"`
	// Resumed is true when the journal showed this plan started.
	Resumed bool   `json:"resumed"`
	Status  string `json:"status"`
	// Changes are the plan's changes in order, each with its outcome.
	Changes []ChangeReport `json:"changes"`
	Counts  Counts         `json:"counts"`
	// Journal is the journal file the run wrote ("" when it wrote none).
	Journal  string `json:"journal,omitempty"`
	ExitCode int    `json:"exitCode"`
	// Diagnostics are the run's refusals, warnings and notes (the plan's
	// own are in Plan.Diagnostics).
	Diagnostics diag.Diagnostics `json:"diagnostics"`
}

// PlanReport is what was planned.
type PlanReport struct {
	ID          string           `json:"id"`
	Kind        string           `json:"kind"`
	CreatedAt   string           `json:"createdAt"`
	Caller      string           `json:"caller,omitempty"`
	Diagnostics diag.Diagnostics `json:"diagnostics,omitempty"`
}

// ChangeReport is one change and its outcome.
type ChangeReport struct {
	ID          string   `json:"id"`
	Kind        string   `json:"kind"`
	Op          plan.Op  `json:"op"`
	Account     string   `json:"account,omitempty"`
	Target      string   `json:"target"`
	Description string   `json:"description"`
	Notes       []string `json:"notes,omitempty"`
	Outcome     string   `json:"outcome"`
	Error       string   `json:"error,omitempty"`
}

// Counts are the changes by outcome (they add up to the plan's changes).
type Counts struct {
	Applied      int `json:"applied"`
	Skipped      int `json:"skipped"`
	Failed       int `json:"failed"`
	NotAttempted int `json:"notAttempted"`
}

func newReport(f Flow) *Report {
	p := f.Plan
	r := &Report{Plan: PlanReport{ID: p.ID, Kind: p.Kind, CreatedAt: p.CreatedAt.UTC().Format("2006-01-02T15:04:05Z07:00"), Caller: p.Caller, Diagnostics: p.Diags},
		Changes: make([]ChangeReport, 0, len(p.Changes)), Diagnostics: diag.Diagnostics{}}
	for _, c := range p.Changes {
		r.Changes = append(r.Changes, ChangeReport{ID: c.ID, Kind: c.Kind, Op: c.Op, Account: c.Account, Target: c.Target,
			Description: c.Description, Notes: c.Notes, Outcome: OutcomeNotAttempted})
	}
	return r
}

// record is the progress of one change.
func (r *Report) record(c plan.Change, ph plan.Phase, err error) {
	for i := range r.Changes {
		if r.Changes[i].ID != c.ID {
			continue
		}
		switch {
		case err != nil:
			r.Changes[i].Outcome, r.Changes[i].Error = OutcomeFailed, awsclient.ErrorSummary(err)
		case ph == plan.Skipped:
			r.Changes[i].Outcome = OutcomeSkipped
		default:
			r.Changes[i].Outcome = OutcomeApplied
		}
		return
	}
}

// finish completes the report from the outcome.
func (r *Report) finish(o *Outcome) {
	r.Diagnostics = append(diag.Diagnostics{}, o.Diags...)
	r.ExitCode = o.ExitCode()
	for _, d := range o.Diags {
		if d.Code == CodeResume {
			r.Resumed = true
		}
	}
	r.Counts = Counts{}
	for _, c := range r.Changes {
		switch c.Outcome {
		case OutcomeApplied:
			r.Counts.Applied++
		case OutcomeSkipped:
			r.Counts.Skipped++
		case OutcomeFailed:
			r.Counts.Failed++
		default:
			r.Counts.NotAttempted++
		}
	}
	switch {
	case r.Status != "":
	case o.Applied && r.Counts.Failed == 0 && r.Counts.NotAttempted == 0 && !o.Diags.HasErrors():
		r.Status = StatusApplied
	case o.Applied:
		r.Status = StatusPartial
	case r.ExitCode == diag.ExitInput:
		r.Status = StatusRefused
	default:
		r.Status = StatusError
	}
}
