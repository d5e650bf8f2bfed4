package report

import (
	"bufio"
	"fmt"
	"io"
	"sort"

	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/table"
)

// ShortTop is how many findings the short form lists.
const ShortTop = 10

// Short writes the short form of a findings report for a terminal (issue
// 18: the summary first, within 120 columns): the counts by severity and
// the top rules (Summary), the counts by account, then the top findings
// (most severe first, ShortTop of them), one line each. The full list is
// the table (--long) and the other formats.
func Short(w io.Writer, r *finding.Report) error {
	if err := Summary(w, r); err != nil {
		return err
	}
	if len(r.Findings) == 0 {
		return nil
	}
	bw := bufio.NewWriter(w)
	type acct struct {
		id string
		c  map[finding.Severity]int
		n  int
	}
	by := map[string]*acct{}
	var accts []*acct
	for _, f := range r.Findings {
		a := by[f.Account]
		if a == nil {
			a = &acct{id: f.Account, c: map[finding.Severity]int{}}
			by[f.Account] = a
			accts = append(accts, a)
		}
		a.c[f.Severity]++
		a.n++
	}
	sort.Slice(accts, func(i, j int) bool {
		if accts[i].n != accts[j].n {
			return accts[i].n > accts[j].n
		}
		return accts[i].id < accts[j].id
	})
	fmt.Fprintf(bw, "\nBy account (%d):\n", len(accts))
	tw := table.NewWriter(bw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  ACCOUNT\tCRITICAL\tHIGH\tMEDIUM\tLOW\tINFO\tTOTAL")
	for _, a := range accts {
		id := a.id
		if id == "" {
			id = "-"
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\t%d\n", printable(id), a.c[finding.Critical], a.c[finding.High], a.c[finding.Medium], a.c[finding.Low], a.c[finding.Info], a.n)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var top []finding.Finding
	for _, g := range grouped(r) { // most severe first, then rule order
		top = append(top, g.Findings...)
	}
	sort.SliceStable(top, func(i, j int) bool { return top[i].Severity > top[j].Severity })
	if len(top) > ShortTop {
		top = top[:ShortTop]
	}
	fmt.Fprintf(bw, "\nTop findings (%d of %d, most severe first):\n", len(top), len(r.Findings))
	for _, f := range top {
		// 2 + 8 + 2 + 12 + 2 + up to 28 (rule) + 2 = 56: the title gets
		// the rest of 120 columns.
		line := fmt.Sprintf("  %-8s  %-12s  %-28s  ", f.Severity, printable(f.Account), f.RuleID)
		fmt.Fprintln(bw, line+table.Elide(printable(f.Title), max(120-len(line), 20)))
	}
	return bw.Flush()
}
