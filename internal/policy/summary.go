package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// SimulationSummary counts the results of a `policy simulate` run and
// renders the closing summary. Without --check nothing is compared and the
// summary says so; with --check it names every case whose decision differs
// from its expected one (up to MaxListed, then a count).
type SimulationSummary struct {
	Check        bool
	Cases        int
	Errors       int
	ByDecision   [3]int // indexed by Decision
	Undetermined int    // decided without a key policy the request lacks
	WithExpected int    // cases carrying an expected decision
	Differ       []Difference
	MaxListed    int
}

// Difference is one case whose decision is not its expected one.
type Difference struct {
	ID       any
	Line     int
	Expected string
	Got      string
}

// NewSimulationSummary starts a summary; check is the --check flag.
func NewSimulationSummary(check bool) *SimulationSummary {
	return &SimulationSummary{Check: check, MaxListed: 50}
}

// Add counts one result.
func (s *SimulationSummary) Add(cr CaseResult) {
	s.Cases++
	if cr.Err != nil {
		s.Errors++
		return
	}
	s.ByDecision[cr.Decision]++
	if !cr.Result.Determined() {
		s.Undetermined++
	}
	if cr.Expected == "" {
		return
	}
	s.WithExpected++
	if s.Check && cr.Expected != cr.Decision.String() {
		s.Differ = append(s.Differ, Difference{ID: cr.ID, Line: cr.Line, Expected: cr.Expected, Got: cr.Decision.String()})
	}
}

// Failed reports whether --check must fail the run: a case could not be
// evaluated or differs from its expected decision.
func (s *SimulationSummary) Failed() bool {
	return s.Check && (s.Errors > 0 || len(s.Differ) > 0)
}

// Render is the summary text, one or more lines ending in a newline.
func (s *SimulationSummary) Render() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s: %d allowed, %d implicitly denied, %d explicitly denied, %d could not be evaluated",
		s.Cases, plural(s.Cases, "case", "cases"), s.ByDecision[AllowDecision], s.ByDecision[ImplicitDeny], s.ByDecision[ExplicitDeny], s.Errors)
	if s.Undetermined > 0 {
		fmt.Fprintf(&b, " (%d undetermined: the request carries no key policy)", s.Undetermined)
	}
	b.WriteString("\n")
	switch {
	case !s.Check && s.WithExpected > 0:
		fmt.Fprintf(&b, "expected decisions not compared (%d %s carry one): use --check to compare\n", s.WithExpected, plural(s.WithExpected, "case", "cases"))
	case !s.Check:
		b.WriteString("expected decisions not compared (no case carries one)\n")
	default:
		without := s.Cases - s.Errors - s.WithExpected
		fmt.Fprintf(&b, "checked %d %s against their expected decision: %d match, %d differ",
			s.WithExpected, plural(s.WithExpected, "case", "cases"), s.WithExpected-len(s.Differ), len(s.Differ))
		if without > 0 {
			fmt.Fprintf(&b, "; %d without an expected decision (not compared)", without)
		}
		b.WriteString("\n")
		for i, d := range s.Differ {
			if s.MaxListed > 0 && i == s.MaxListed {
				fmt.Fprintf(&b, "  … and %d more\n", len(s.Differ)-i)
				break
			}
			fmt.Fprintf(&b, "  differs: %s (line %d): expected %s, got %s\n", idText(d.ID), d.Line, d.Expected, d.Got)
		}
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func idText(id any) string {
	switch v := id.(type) {
	case nil:
		return "(no id)"
	case string:
		return strconv.Quote(trim(v))
	default:
		return fmt.Sprint(v)
	}
}
