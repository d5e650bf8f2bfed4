package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/table"
)

// renderTable writes findings grouped by severity then rule, in aligned
// columns, and a summary line per severity. Evidence is left to the other
// formats to keep the table scannable.
func renderTable(w io.Writer, r *finding.Report) error {
	if len(r.Findings) == 0 {
		fmt.Fprintf(w, "No findings (%d rules run).\n", len(r.Rules))
		return nil
	}
	groups := grouped(r)
	c := counts(r)
	var cur finding.Severity = -1
	for _, g := range groups {
		if g.Severity != cur {
			if cur != -1 {
				fmt.Fprintln(w)
			}
			cur = g.Severity
			fmt.Fprintf(w, "%s (%d)\n", strings.ToUpper(cur.String()), c[cur])
		}
		fmt.Fprintf(w, "\n  %s  %s (%d)\n", g.Rule.ID, printable(g.Rule.Title), len(g.Findings))
		tw := table.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "    ACCOUNT\tRESOURCE\tFINDING")
		for _, f := range g.Findings {
			fmt.Fprintf(tw, "    %s\t%s\t%s\n", printable(f.Account), printable(f.Resource), printable(f.Title))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "SUMMARY")
	tw := table.NewWriter(w, 0, 0, 2, ' ', table.AlignRight)
	for _, s := range severities {
		fmt.Fprintf(tw, "  %s\t%d\t\n", s, c[s])
	}
	fmt.Fprintf(tw, "  total\t%d\t\n", len(r.Findings))
	return tw.Flush()
}

var csvHeader = []string{"severity", "rule_id", "account", "resource", "title", "evidence", "recommendation"}

// renderCSV writes one row per finding, in the same order as the table.
func renderCSV(w io.Writer, r *finding.Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, g := range grouped(r) {
		for _, f := range g.Findings {
			rec := []string{f.Severity.String(), f.RuleID, f.Account, f.Resource, f.Title, evidenceText(f.Evidence), f.Recommendation}
			for i := range rec {
				rec[i] = cell(printable(rec[i]))
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// cell defuses spreadsheet formula injection: a value starting with = + - @
// or a tab/CR is evaluated by Excel and LibreOffice, so it gets a leading
// apostrophe (OWASP "CSV Injection").
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// mdEscaper escapes what Markdown (CommonMark and GitHub tables) would
// interpret: emphasis, links, code, raw HTML, table pipes, line breaks.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `&lt;`, `>`, `&gt;`, `&`, `&amp;`, `|`, `\|`, `~`, `\~`, `#`, `\#`,
	"\n", " ", "\r", " ",
)

func md(s string) string { return mdEscaper.Replace(printable(s)) }

// renderMarkdown writes a summary table, then a section per severity and rule
// with a table of findings and their evidence.
func renderMarkdown(w io.Writer, r *finding.Report) error {
	fmt.Fprintln(w, "# seiri audit")
	fmt.Fprintln(w)
	if r.Snapshot != "" {
		fmt.Fprintf(w, "Snapshot: %s · %s %s\n\n", md(r.Snapshot), md(r.Tool), md(r.Version))
	}
	c := counts(r)
	fmt.Fprintln(w, "| Severity | Findings |")
	fmt.Fprintln(w, "| --- | ---: |")
	for _, s := range severities {
		fmt.Fprintf(w, "| %s | %d |\n", s, c[s])
	}
	fmt.Fprintf(w, "| **total** | **%d** |\n", len(r.Findings))
	if len(r.Findings) == 0 {
		fmt.Fprintf(w, "\nNo findings (%d rules run).\n", len(r.Rules))
		return nil
	}
	var cur finding.Severity = -1
	for _, g := range grouped(r) {
		if g.Severity != cur {
			cur = g.Severity
			fmt.Fprintf(w, "\n## %s (%d)\n", strings.ToUpper(cur.String()), c[cur])
		}
		fmt.Fprintf(w, "\n### %s: %s (%d)\n\n", md(g.Rule.ID), md(g.Rule.Title), len(g.Findings))
		if g.Rule.Description != "" {
			fmt.Fprintf(w, "%s\n\n", md(g.Rule.Description))
		}
		if g.Rule.Recommendation != "" {
			fmt.Fprintf(w, "**Recommendation:** %s\n\n", md(g.Rule.Recommendation))
		}
		fmt.Fprintln(w, "| Account | Resource | Finding | Evidence |")
		fmt.Fprintln(w, "| --- | --- | --- | --- |")
		for _, f := range g.Findings {
			ev := make([]string, len(f.Evidence))
			for i, e := range f.Evidence {
				ev[i] = md(e.Name) + ": " + md(e.Value)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", md(f.Account), md(f.Resource), md(f.Title), strings.Join(ev, "<br>"))
		}
	}
	return nil
}
