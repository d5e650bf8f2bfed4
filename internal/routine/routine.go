// Package routine is the daily job of `seiri daily`: it runs the configured
// steps in order (collect, scan, audit, detect, watch, then the retirement
// steps whose time has come), compares what they found with the state the
// previous run left in the workspace, and produces one summary with an exit
// code for schedulers. The steps themselves are the library functions the
// commands call, wired by internal/cmd/daily; this package only orders
// them, keeps "yesterday", and judges.
package routine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/finding"
)

// Status is how a step ended.
type Status string

const (
	OK      Status = "ok"
	Partial Status = "partial" // the step ran but could not do all of it
	Failed  Status = "failed"  // the step could not run
	Skipped Status = "skipped" // not configured, or not safe after an earlier failure
)

// StepReport says what a step used and what it could not do.
type StepReport struct {
	Step   string `json:"step"`
	Status Status `json:"status"`
	// Used lists what the step read or did ("snapshot 2026-12-02T06:00:00Z",
	// "2 log sources, 14 new objects").
	Used []string `json:"used,omitempty"`
	// CouldNot lists what it could not do, each with why.
	CouldNot []string `json:"couldNot,omitempty"`
	// Unexpected marks a failure that is not the input's fault (exit 4).
	Unexpected bool `json:"unexpected,omitempty"`
}

// Failf records that the step could not do something.
func (r *StepReport) Failf(format string, args ...any) {
	r.CouldNot = append(r.CouldNot, fmt.Sprintf(format, args...))
}

// Fail marks the step failed with why, and returns the report.
func (r *StepReport) Fail(format string, args ...any) StepReport {
	r.Status = Failed
	r.Failf(format, args...)
	return *r
}

// Usef records something the step used.
func (r *StepReport) Usef(format string, args ...any) {
	r.Used = append(r.Used, fmt.Sprintf(format, args...))
}

// Watched is one disabled key or quarantined user under observation.
type Watched struct {
	Kind        string `json:"kind"` // "key" or "user"
	Account     string `json:"account"`
	User        string `json:"user"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	Verdict     string `json:"verdict"` // quiet, noisy, drifted, not watched
	DaysLeft    int    `json:"daysLeft"`
	// Recommendation is the watch's next step.
	Recommendation string `json:"recommendation,omitempty"`
}

// ID names the watched item.
func (w Watched) ID() string {
	if w.Kind == "user" {
		return w.Account + ":user/" + w.User
	}
	return w.AccessKeyID
}

// SafeToDelete reports whether the window ended quiet.
func (w Watched) SafeToDelete() bool { return w.Verdict == "quiet" && w.DaysLeft == 0 }

// Change is one write a retirement step made (or planned, when the daily
// section does not apply).
type Change struct {
	Step        string `json:"step"`
	Action      string `json:"action"` // "disable key", "delete key"
	Account     string `json:"account"`
	User        string `json:"user,omitempty"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
	// Status is done, failed, refused or planned.
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// Today is what the steps of one run produced; steps add to it.
type Today struct {
	Findings []finding.Finding
	// Detections are findings about events (suspicious use in today's new
	// logs): new on the day they are seen, never "resolved" the next day
	// because the event did not happen again.
	Detections []finding.Finding
	Watched    []Watched
	Changes    []Change
}

// Step is one part of the routine.
type Step struct {
	Name string
	// Retire marks a step that writes to AWS: it is skipped when an earlier
	// step failed or was partial (its evidence would be incomplete).
	Retire bool
	Run    func(ctx context.Context, today *Today) StepReport
}

// Options drive one run.
type Options struct {
	Steps []Step
	// Now is the run's time (injected in tests).
	Now time.Time
	// FailOn: open findings at or above it make the exit code 1 (nil: never).
	FailOn *finding.Severity
	// Previous is the state the last run left (nil on the first run).
	Previous *State
}

// Run runs the steps in order and compares the result with the previous
// state. It never stops at a failed step: the summary says what each step
// could not do, and the retirement steps are skipped after a failure.
func Run(ctx context.Context, o Options) (*Summary, *State) {
	var today Today
	var reports []StepReport
	troubled := ""
	for _, s := range o.Steps {
		if s.Retire && troubled != "" {
			reports = append(reports, StepReport{Step: s.Name, Status: Skipped,
				CouldNot: []string{"not run: step " + troubled + " did not complete, so its evidence is incomplete"}})
			continue
		}
		if err := ctx.Err(); err != nil {
			reports = append(reports, StepReport{Step: s.Name, Status: Failed, CouldNot: []string{"not run: " + err.Error()}})
			troubled = s.Name
			continue
		}
		r := s.Run(ctx, &today)
		r.Step = s.Name
		if r.Status == "" {
			r.Status = OK
		}
		if (r.Status == Failed || r.Status == Partial) && troubled == "" {
			troubled = s.Name
		}
		reports = append(reports, r)
	}
	sum, st := Compare(o.Previous, &today, o.Now)
	sum.Steps = reports
	sum.ExitCode = exitCode(sum, o.FailOn)
	if o.FailOn != nil {
		sum.FailOn = o.FailOn.String()
	}
	return sum, st
}

// Exit codes for schedulers (the same as every seiri command).
const (
	ExitOK         = 0 // every step ran, no open finding at or above --fail-on
	ExitFindings   = 1 // open findings at or above --fail-on
	ExitBadInput   = 2 // bad flags or seiri.yaml (returned before any step)
	ExitPartial    = 3 // a step failed or could only do part of its work
	ExitUnexpected = 4 // a step failed for a reason that is not the input's
)

func exitCode(s *Summary, failOn *finding.Severity) int {
	code := ExitOK
	for _, r := range s.Steps {
		switch {
		case r.Status == Failed && r.Unexpected:
			return ExitUnexpected
		case r.Status == Failed || r.Status == Partial:
			code = ExitPartial
		}
	}
	if code != ExitOK {
		return code
	}
	if failOn != nil && s.AtLeast(*failOn) > 0 {
		return ExitFindings
	}
	return ExitOK
}

// FindingRef is a finding as the state keeps it.
type FindingRef struct {
	Key      string           `json:"key"`
	RuleID   string           `json:"ruleId"`
	Severity finding.Severity `json:"severity"`
	Account  string           `json:"account"`
	Resource string           `json:"resource"`
	Title    string           `json:"title"`
	// Event marks a detection in today's logs (not kept as open).
	Event bool `json:"event,omitempty"`
}

// refOf names a finding by rule, account and resource: the same problem on
// the same resource is the same finding from one day to the next, even when
// its evidence (a count, a date) changed.
func refOf(f finding.Finding) FindingRef {
	return FindingRef{Key: f.RuleID + "|" + f.Account + "|" + f.Resource, RuleID: f.RuleID, Severity: f.Severity,
		Account: f.Account, Resource: f.Resource, Title: f.Title}
}

// Summary is what one run found and changed, compared with the previous run.
type Summary struct {
	Date time.Time `json:"date"`
	// Previous is the time of the run compared with (nil: the first run,
	// everything is new).
	Previous *time.Time `json:"previous,omitempty"`
	// Open are all findings open today, by severity (highest first).
	Open       []FindingRef   `json:"open"`
	BySeverity map[string]int `json:"bySeverity"`
	// New and Resolved are the changes since the previous run.
	New      []FindingRef `json:"new"`
	Resolved []FindingRef `json:"resolved"`
	// Watched are the keys and users under observation; NowSafe those whose
	// window ended quiet today (they were not safe yesterday).
	Watched []Watched `json:"watched"`
	NowSafe []Watched `json:"nowSafeToDelete"`
	// Attention are watched items that are noisy or drifted (something
	// still depends on them, or they were changed outside seiri);
	// NewAttention those that were not so at the previous run.
	Attention    []Watched `json:"attention"`
	NewAttention []Watched `json:"newAttention"`
	// Changes are the writes of the retirement steps (or their plans).
	Changes  []Change     `json:"changes"`
	Steps    []StepReport `json:"steps"`
	ExitCode int          `json:"exitCode"`
	FailOn   string       `json:"failOn,omitempty"`
}

// AtLeast counts open findings at or above sev.
func (s *Summary) AtLeast(sev finding.Severity) int {
	n := 0
	for _, f := range s.Open {
		if f.Severity >= sev {
			n++
		}
	}
	return n
}

// NewAtLeast counts new findings at or above sev.
func (s *Summary) NewAtLeast(sev finding.Severity) int {
	n := 0
	for _, f := range s.New {
		if f.Severity >= sev {
			n++
		}
	}
	return n
}

// Changed reports whether anything changed since the previous run.
func (s *Summary) Changed() bool {
	return len(s.New)+len(s.Resolved)+len(s.NowSafe)+len(s.NewAttention) > 0 || s.wrote()
}

func (s *Summary) wrote() bool {
	for _, c := range s.Changes {
		if c.Status == "done" || c.Status == "failed" {
			return true
		}
	}
	return false
}

// Compare judges today against the previous state and returns the summary
// (without steps) and the state to keep for tomorrow.
func Compare(prev *State, today *Today, now time.Time) (*Summary, *State) {
	s := &Summary{Date: now.UTC(), BySeverity: map[string]int{}, New: []FindingRef{}, Resolved: []FindingRef{},
		Watched: []Watched{}, NowSafe: []Watched{}, Attention: []Watched{}, NewAttention: []Watched{}, Changes: []Change{}}
	st := &State{Schema: StateSchema, Date: now.UTC()}
	seen := map[string]bool{}
	for _, f := range today.Findings {
		r := refOf(f)
		if seen[r.Key] {
			continue // one finding per rule and resource, counted once
		}
		seen[r.Key] = true
		s.Open = append(s.Open, r)
	}
	var detected []FindingRef
	for _, f := range today.Detections {
		r := refOf(f)
		r.Event = true
		r.Key = "event|" + r.Key + "|" + f.Title
		if seen[r.Key] {
			continue
		}
		seen[r.Key] = true
		detected = append(detected, r)
	}
	sortRefs(s.Open)
	if s.Open == nil {
		s.Open = []FindingRef{}
	}
	old := map[string]bool{}
	oldSafe := map[string]bool{}
	oldAttention := map[string]bool{}
	if prev != nil {
		t := prev.Date
		s.Previous = &t
		for _, f := range prev.Findings {
			old[f.Key] = true
			if !seen[f.Key] {
				s.Resolved = append(s.Resolved, f)
			}
		}
		for _, id := range prev.SafeToDelete {
			oldSafe[id] = true
		}
		for _, w := range prev.Watched {
			if w.Verdict == "noisy" || w.Verdict == "drifted" {
				oldAttention[w.ID()+"|"+w.Verdict] = true
			}
		}
	}
	// The state keeps the standing findings only: a detection is new on
	// the day its event is read, and does not resolve.
	st.Findings = append([]FindingRef{}, s.Open...)
	s.Open = append(s.Open, detected...)
	sortRefs(s.Open)
	for _, f := range s.Open {
		s.BySeverity[f.Severity.String()]++
		if !old[f.Key] {
			s.New = append(s.New, f)
		}
	}
	sortRefs(s.Resolved)
	s.Watched = append(s.Watched, today.Watched...)
	sort.SliceStable(s.Watched, func(i, j int) bool { return s.Watched[i].ID() < s.Watched[j].ID() })
	for _, w := range s.Watched {
		if w.SafeToDelete() {
			st.SafeToDelete = append(st.SafeToDelete, w.ID())
			if !oldSafe[w.ID()] {
				s.NowSafe = append(s.NowSafe, w)
			}
		}
		if w.Verdict == "noisy" || w.Verdict == "drifted" {
			s.Attention = append(s.Attention, w)
			if !oldAttention[w.ID()+"|"+w.Verdict] {
				s.NewAttention = append(s.NewAttention, w)
			}
		}
	}
	s.Changes = append(s.Changes, today.Changes...)
	st.Watched = s.Watched
	return s, st
}

func sortRefs(rs []FindingRef) {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].Severity != rs[j].Severity {
			return rs[i].Severity > rs[j].Severity
		}
		return rs[i].Key < rs[j].Key
	})
}

// Headline is the one-line summary (also the notification's first line).
func (s *Summary) Headline() string {
	var parts []string
	parts = append(parts, fmt.Sprintf("%d open findings", len(s.Open)))
	if s.Previous == nil {
		parts = append(parts, "first run")
	} else {
		parts = append(parts, fmt.Sprintf("%d new, %d resolved since %s", len(s.New), len(s.Resolved), s.Previous.Format("2006-01-02 15:04Z")))
	}
	if n := len(s.NowSafe); n > 0 {
		parts = append(parts, fmt.Sprintf("%d now safe to delete", n))
	}
	if n := len(s.Attention); n > 0 {
		parts = append(parts, fmt.Sprintf("%d watched need attention", n))
	}
	done := map[string]int{}
	for _, c := range s.Changes {
		if c.Status == "done" {
			done[c.Action]++
		}
	}
	for _, a := range []string{"disable key", "delete key"} {
		if n := done[a]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.TrimSuffix(a, " key")+"d keys"))
		}
	}
	if bad := s.Troubled(); len(bad) > 0 {
		parts = append(parts, "incomplete: "+strings.Join(bad, ", "))
	}
	return strings.Join(parts, "; ")
}

// Troubled names the steps that failed or were partial.
func (s *Summary) Troubled() []string {
	var out []string
	for _, r := range s.Steps {
		if r.Status == Failed || r.Status == Partial {
			out = append(out, r.Step+" "+string(r.Status))
		}
	}
	return out
}
