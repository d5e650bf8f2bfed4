package casegen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/seiri-dev/seiri/internal/policy"
)

// Outcome is both engines' answer on one case.
type Outcome struct {
	Line      []byte // the case
	Case      map[string]any
	Seiri     policy.CaseResult
	Evaluator Verdict
}

// SeiriDecision is seiri's decision text, or "error".
func (o *Outcome) SeiriDecision() string {
	if o.Seiri.Err != nil {
		return "error"
	}
	return o.Seiri.Decision.String()
}

// EvaluatorDecision is the evaluator's decision text, or "error".
func (o *Outcome) EvaluatorDecision() string {
	if o.Evaluator.Decision == nil {
		return "error"
	}
	return *o.Evaluator.Decision
}

// Report summarizes a comparison.
type Report struct {
	Cases     int
	Agree     int
	Known     map[string]int // known difference name → cases
	Rejected  map[string]int // the evaluator refused the case (its message) → cases
	Dropped   int            // disagreements where the evaluator dropped context keys the case carries
	Unknown   []*Outcome     // disagreements no known difference explains
	Decisions map[string]int // seiri decisions over all cases
}

// Compare pairs seiri's results and the evaluator's verdicts case by case.
func Compare(lines [][]byte, seiri []policy.CaseResult, ev []Verdict, known []KnownDifference) (*Report, error) {
	if len(lines) != len(seiri) || len(lines) != len(ev) {
		return nil, fmt.Errorf("%d cases, %d seiri results, %d evaluator verdicts", len(lines), len(seiri), len(ev))
	}
	r := &Report{Cases: len(lines), Known: map[string]int{}, Rejected: map[string]int{}, Decisions: map[string]int{}}
	for i := range lines {
		o := &Outcome{Line: lines[i], Seiri: seiri[i], Evaluator: ev[i]}
		if err := json.Unmarshal(lines[i], &o.Case); err != nil {
			return nil, fmt.Errorf("case %d: %v", i+1, err)
		}
		if id, _ := o.Case["id"].(string); id != ev[i].ID {
			return nil, fmt.Errorf("case %d: id %q, evaluator answered for %q", i+1, id, ev[i].ID)
		}
		r.Decisions[o.SeiriDecision()]++
		if o.Evaluator.Decision == nil && o.Seiri.Err == nil {
			r.Rejected[*o.Evaluator.Error]++
			continue
		}
		if o.SeiriDecision() == o.EvaluatorDecision() {
			r.Agree++
			continue
		}
		name := ""
		for _, k := range known {
			if k.Match(o) {
				name = k.Name
				break
			}
		}
		if name != "" {
			r.Known[name]++
			continue
		}
		if len(o.Evaluator.IgnoredContextKeys) > 0 {
			// The evaluator removed keys it believes the action does not
			// take; it decided another request than the case's.
			r.Dropped++
			continue
		}
		r.Unknown = append(r.Unknown, o)
	}
	return r, nil
}

// Compared is the number of cases both engines decided.
func (r *Report) Compared() int {
	n := r.Cases
	for _, v := range r.Rejected {
		n -= v
	}
	return n
}

// String renders the report for test logs and docs.
func (r *Report) String() string {
	var b strings.Builder
	cmp := r.Compared()
	fmt.Fprintf(&b, "%d cases; %d decided by both; %d agree (%.2f%%)", r.Cases, cmp, r.Agree, pct(r.Agree, cmp))
	known := 0
	for _, v := range r.Known {
		known += v
	}
	fmt.Fprintf(&b, "; %d differ on documented known differences; %d unexplained\n", known, len(r.Unknown))
	if cmp > 0 {
		fmt.Fprintf(&b, "  agreement once known differences are set aside: %.2f%%\n", pct(r.Agree+known, cmp))
	}
	for _, k := range sortedKeys(r.Known) {
		fmt.Fprintf(&b, "  known %-40s %d\n", k, r.Known[k])
	}
	if r.Dropped > 0 {
		fmt.Fprintf(&b, "  disagreements where the evaluator dropped context keys the case carries: %d\n", r.Dropped)
	}
	for _, k := range sortedKeys(r.Rejected) {
		fmt.Fprintf(&b, "  evaluator rejected (%s): %d\n", k, r.Rejected[k])
	}
	fmt.Fprintf(&b, "  seiri decisions: %v\n", r.Decisions)
	return b.String()
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func sortedKeys(m map[string]int) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Describe renders one unexplained disagreement.
func (o *Outcome) Describe() string {
	var b bytes.Buffer
	msg := ""
	if o.Seiri.Err != nil {
		msg = o.Seiri.Err.Error()
	} else {
		msg = o.Seiri.Result.Explain().Message
	}
	ev := ""
	if o.Evaluator.Error != nil {
		ev = *o.Evaluator.Error
	}
	if len(o.Evaluator.IgnoredContextKeys) > 0 {
		ev += fmt.Sprintf(" (ignored context keys %v)", o.Evaluator.IgnoredContextKeys)
	}
	fmt.Fprintf(&b, "%v: seiri %s (%s), evaluator %s %s\n  %s", o.Case["id"], o.SeiriDecision(), msg, o.EvaluatorDecision(), ev, o.Line)
	return b.String()
}
