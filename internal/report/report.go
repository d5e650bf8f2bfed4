// Package report renders a finding.Report: one model, many writers (table,
// JSON, CSV, SARIF 2.1.0, Markdown, HTML). Adding a format never touches the
// analyses. Every string that came from AWS (user, group, role and policy
// names, tags) is attacker-controlled: each writer escapes it for its format.
package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/seiri-dev/seiri/internal/finding"
)

// Formats are the formats Render knows.
var Formats = []string{"table", "json", "csv", "sarif", "markdown", "html"}

// Render writes r to w in format.
func Render(w io.Writer, format string, r *finding.Report) error {
	bw := bufio.NewWriter(w)
	var err error
	switch format {
	case "table":
		err = renderTable(bw, r)
	case "json":
		err = renderJSON(bw, r)
	case "csv":
		err = renderCSV(bw, r)
	case "sarif":
		err = renderSARIF(bw, r)
	case "markdown", "md":
		err = renderMarkdown(bw, r)
	case "html":
		err = renderHTML(bw, r)
	default:
		return fmt.Errorf("unknown output format %q (want one of %s)", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

func renderJSON(w io.Writer, r *finding.Report) error {
	out := *r
	// Empty lists are [] for consumers, never null.
	if out.Rules == nil {
		out.Rules = []finding.Rule{}
	}
	if out.Findings == nil {
		out.Findings = []finding.Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		SchemaVersion int `json:"schemaVersion"`
		finding.Report
	}{JSONSchemaVersion, out})
}

// JSONSchemaVersion is the version of the findings JSON document
// (docs/schemas/audit.json); it goes up when a field is removed, renamed
// or changes type.
const JSONSchemaVersion = 1

// severities lists severities from the most to the least severe.
var severities = []finding.Severity{finding.Critical, finding.High, finding.Medium, finding.Low, finding.Info}

// group is the findings of one rule at one severity.
type group struct {
	Severity finding.Severity
	Rule     finding.Rule
	Findings []finding.Finding
}

// grouped orders findings by severity (most severe first), then by rule in
// the report's rule order, then by account and resource.
func grouped(r *finding.Report) []group {
	order := map[string]int{}
	for i, ru := range r.Rules {
		order[ru.ID] = i
	}
	idx := map[string]int{} // severity/rule → index in out
	var out []group
	for _, f := range r.Findings {
		key := f.Severity.String() + "\x00" + f.RuleID
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			out = append(out, group{Severity: f.Severity, Rule: ruleOf(r, f.RuleID)})
		}
		out[i].Findings = append(out[i].Findings, f)
	}
	rank := func(id string) int {
		if i, ok := order[id]; ok {
			return i
		}
		return len(order)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Severity != out[j].Severity {
			return out[i].Severity > out[j].Severity
		}
		if ri, rj := rank(out[i].Rule.ID), rank(out[j].Rule.ID); ri != rj {
			return ri < rj
		}
		return out[i].Rule.ID < out[j].Rule.ID
	})
	for _, g := range out {
		sort.SliceStable(g.Findings, func(i, j int) bool {
			a, b := g.Findings[i], g.Findings[j]
			if a.Account != b.Account {
				return a.Account < b.Account
			}
			if a.Resource != b.Resource {
				return a.Resource < b.Resource
			}
			return a.Title < b.Title
		})
	}
	return out
}

// ruleOf returns the report's metadata for id, or a minimal rule when the
// report does not carry it.
func ruleOf(r *finding.Report, id string) finding.Rule {
	for _, ru := range r.Rules {
		if ru.ID == id {
			return ru
		}
	}
	return finding.Rule{ID: id, Title: id}
}

// counts returns the number of findings per severity.
func counts(r *finding.Report) map[finding.Severity]int {
	c := map[finding.Severity]int{}
	for _, f := range r.Findings {
		c[f.Severity]++
	}
	return c
}

// evidenceText joins evidence as "k=v; k=v".
func evidenceText(ev []finding.Evidence) string {
	parts := make([]string, len(ev))
	for i, e := range ev {
		parts[i] = e.Name + "=" + e.Value
	}
	return strings.Join(parts, "; ")
}

// printable makes s safe for a terminal or a text line: control characters
// (which could move the cursor or recolour a terminal), line breaks and
// bidirectional overrides become \u escapes; invalid UTF-8 becomes U+FFFD.
func printable(s string) string {
	// Invalid UTF-8 becomes U+FFFD: raw 0xff bytes would also end cells
	// early in text/tabwriter, whose escape character it is.
	clean := utf8.ValidString(s)
	for _, r := range s {
		if !safeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if safeRune(r) {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}

func safeRune(r rune) bool {
	if r == unicode.ReplacementChar {
		return true
	}
	if unicode.Is(unicode.Bidi_Control, r) {
		return false
	}
	return unicode.IsPrint(r)
}

// Summary writes a short summary: counts per severity and the top rules.
func Summary(w io.Writer, r *finding.Report) error {
	bw := bufio.NewWriter(w)
	if len(r.Findings) == 0 {
		fmt.Fprintf(bw, "No findings (%d rules run).\n", len(r.Rules))
		return bw.Flush()
	}
	c := counts(r)
	parts := make([]string, len(severities))
	for i, s := range severities {
		parts[i] = fmt.Sprintf("%s %d", s, c[s])
	}
	fmt.Fprintf(bw, "%d findings: %s\n", len(r.Findings), strings.Join(parts, ", "))
	type top struct {
		rule finding.Rule
		sev  finding.Severity
		n    int
	}
	byRule := map[string]*top{}
	var tops []*top
	for _, f := range r.Findings {
		t, ok := byRule[f.RuleID]
		if !ok {
			t = &top{rule: ruleOf(r, f.RuleID)}
			byRule[f.RuleID] = t
			tops = append(tops, t)
		}
		t.n++
		if f.Severity > t.sev {
			t.sev = f.Severity
		}
	}
	sort.SliceStable(tops, func(i, j int) bool {
		if tops[i].n != tops[j].n {
			return tops[i].n > tops[j].n
		}
		if tops[i].sev != tops[j].sev {
			return tops[i].sev > tops[j].sev
		}
		return tops[i].rule.ID < tops[j].rule.ID
	})
	if len(tops) > 5 {
		tops = tops[:5]
	}
	fmt.Fprintln(bw, "Top rules:")
	for _, t := range tops {
		fmt.Fprintf(bw, "  %5d  %-8s  %-28s  %s\n", t.n, t.sev, t.rule.ID, printable(t.rule.Title))
	}
	return bw.Flush()
}
