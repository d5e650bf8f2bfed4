// Package finding is the one report model every analysis produces and every
// renderer (table, JSON, CSV, SARIF, Markdown) reads.
package finding

import (
	"fmt"
	"strings"
)

// Severity orders findings. The zero value is Info.
type Severity int

const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name (case-insensitive).
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want one of %s)", s, strings.Join(severityNames[:], ", "))
}

func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Rule describes a kind of finding. Rule ids are stable across releases.
type Rule struct {
	ID             string   `json:"id"`
	Title          string   `json:"title"`
	Severity       Severity `json:"severity"`
	Description    string   `json:"description"`
	Recommendation string   `json:"recommendation"`
	HelpURI        string   `json:"helpUri,omitempty"`
	Tags           []string `json:"tags,omitempty"`
}

// Evidence is one fact that triggered a finding (a date, a count, a value).
type Evidence struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Finding is one problem found on one resource.
type Finding struct {
	RuleID         string     `json:"ruleId"`
	Severity       Severity   `json:"severity"`
	Account        string     `json:"account"`
	Resource       string     `json:"resource"` // ARN
	Title          string     `json:"title"`
	Evidence       []Evidence `json:"evidence,omitempty"`
	Recommendation string     `json:"recommendation"`
	// Location is the file and line the finding is about, when there is
	// one (an org.yaml line, a policy file); nil for AWS resources.
	Location *Location `json:"location,omitempty"`
}

// Location is a place in a file: File is relative to the working directory
// (or as given on the command line), Line and Column count from 1 (0: the
// whole file, the whole line). Path is the JSON or YAML path of the element
// in the file ($.Statement[0].Action), when known; Stdin says the document
// was read from standard input and File only names it.
type Location struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Path   string `json:"path,omitempty"`
	Stdin  bool   `json:"stdin,omitempty"`
}

// Report is a set of findings with the rules they refer to.
type Report struct {
	Tool     string `json:"tool"`
	Version  string `json:"version"`
	Snapshot string `json:"snapshot,omitempty"`
	// Usage says which usage evidence the report used: the window of the
	// CloudTrail usage store, or that there was none.
	Usage    string    `json:"usage,omitempty"`
	Rules    []Rule    `json:"rules"`
	Findings []Finding `json:"findings"`
}

// Max returns the highest severity among the findings, and false when there
// are none.
func (r *Report) Max() (Severity, bool) {
	if len(r.Findings) == 0 {
		return Info, false
	}
	m := Info
	for _, f := range r.Findings {
		if f.Severity > m {
			m = f.Severity
		}
	}
	return m, true
}

// AtLeast counts findings at or above s.
func (r *Report) AtLeast(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity >= s {
			n++
		}
	}
	return n
}
