package routine

import (
	"fmt"
	"io"
	"strings"
)

// Render writes the summary for a person: the headline first, then what
// changed since the previous run, the watch, the writes, and what each
// step used and could not do.
func Render(w io.Writer, s *Summary, top int) {
	fmt.Fprintf(w, "seiri daily %s: %s\n", s.Date.Format("2006-01-02 15:04Z"), s.Headline())
	if len(s.Open) > 0 {
		fmt.Fprintf(w, "Open findings by severity: %s\n", severityCounts(s.BySeverity))
	}
	section := func(title string, n int) bool {
		if n == 0 {
			return false
		}
		fmt.Fprintf(w, "\n%s (%d):\n", title, n)
		return true
	}
	if section("New since the previous run", len(s.New)) {
		for i, f := range s.New {
			if top > 0 && i == top {
				fmt.Fprintf(w, "  … %d more: seiri audit\n", len(s.New)-top)
				break
			}
			fmt.Fprintf(w, "  %-8s %s [%s] %s\n", f.Severity, f.RuleID, f.Account, f.Title)
		}
	}
	if section("Resolved since the previous run", len(s.Resolved)) {
		for i, f := range s.Resolved {
			if top > 0 && i == top {
				fmt.Fprintf(w, "  … %d more\n", len(s.Resolved)-top)
				break
			}
			fmt.Fprintf(w, "  %-8s %s [%s] %s\n", f.Severity, f.RuleID, f.Account, f.Title)
		}
	}
	if section("Now safe to delete (observation window ended quiet)", len(s.NowSafe)) {
		for _, k := range s.NowSafe {
			fmt.Fprintf(w, "  [%s] %s\n", k.Account, watchedName(k))
		}
	}
	if section("Watched items that need attention", len(s.Attention)) {
		for _, k := range s.Attention {
			fmt.Fprintf(w, "  [%s] %s: %s → %s\n", k.Account, watchedName(k), strings.ToUpper(k.Verdict), k.Recommendation)
		}
	}
	var unwatched []Watched
	for _, k := range s.Watched {
		if k.Verdict == "not watched" {
			unwatched = append(unwatched, k)
		}
	}
	if section("Not watched: the evidence is missing, nothing can be judged quiet", len(unwatched)) {
		for _, k := range unwatched {
			fmt.Fprintf(w, "  [%s] %s: %s\n", k.Account, watchedName(k), k.Recommendation)
		}
	}
	if section("Retirement", len(s.Changes)) {
		for _, c := range s.Changes {
			detail := ""
			if c.Detail != "" {
				detail = ": " + c.Detail
			}
			fmt.Fprintf(w, "  %-8s %s [%s] %s%s\n", c.Status, c.Action, c.Account, strings.TrimSpace(c.User+" "+c.AccessKeyID), detail)
		}
	}
	counts := map[string]int{}
	for _, k := range s.Watched {
		counts[k.Verdict]++
	}
	fmt.Fprintf(w, "\nWatched: %d (%d quiet, %d noisy, %d drifted, %d not watched; %d safe to delete)\n", len(s.Watched),
		counts["quiet"], counts["noisy"], counts["drifted"], counts["not watched"], safeCount(s.Watched))
	fmt.Fprintln(w, "\nSteps:")
	for _, r := range s.Steps {
		fmt.Fprintf(w, "  %-13s %s\n", r.Step, r.Status)
		for _, u := range r.Used {
			fmt.Fprintf(w, "      used: %s\n", u)
		}
		for _, c := range r.CouldNot {
			fmt.Fprintf(w, "      could not: %s\n", c)
		}
	}
	fmt.Fprintf(w, "\nExit code %d%s.\n", s.ExitCode, exitNote(s))
}

func exitNote(s *Summary) string {
	switch s.ExitCode {
	case ExitFindings:
		return " (open findings at or above " + s.FailOn + ")"
	case ExitPartial:
		return " (a step did not complete: " + strings.Join(s.Troubled(), ", ") + ")"
	case ExitUnexpected:
		return " (a step failed unexpectedly)"
	}
	return ""
}

func watchedName(k Watched) string {
	if k.Kind == "user" {
		return "user " + k.User
	}
	return strings.TrimSpace(k.User + " " + k.AccessKeyID)
}

func safeCount(ws []Watched) int {
	n := 0
	for _, w := range ws {
		if w.SafeToDelete() {
			n++
		}
	}
	return n
}

func severityCounts(m map[string]int) string {
	var parts []string
	for _, s := range []string{"critical", "high", "medium", "low", "info"} {
		if m[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[s], s))
		}
	}
	return strings.Join(parts, ", ")
}
