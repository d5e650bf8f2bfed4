package report_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/root"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/report"
)

// The trend reads the findings a report saved for the previous snapshot
// (no second audit) and says so; without them, or with a damaged file, it
// audits that snapshot again and says why. Both give the same trend.
func TestReportTrendFromSavedFindings(t *testing.T) {
	ws, _ := cmdtest.DemoWorkspace(t, now)
	prev := now.AddDate(0, 0, -30)
	if _, err := demo.Generate(prev, demo.Seed).WriteSnapshot(filepath.Join(ws, "snapshots")); err != nil {
		t.Fatal(err)
	}
	const prevName = "20261031T120000Z"
	saved := filepath.Join(ws, "reports", "findings-"+prevName+".json")
	run := func(args ...string) string {
		t.Helper()
		stdout, stderr, code := cmdtest.RunWS(t, root.NewRootCmd, now, nil, ws, append([]string{"report"}, args...)...)
		if code != 0 {
			t.Fatalf("report %v: exit %d\n%s", args, code, stderr)
		}
		return sizeless(strings.ReplaceAll(stdout, ws, "WS"))
	}
	// The first report of the older snapshot has no trend and saves its
	// findings.
	golden(t, "trend-first-stdout.txt", run("--snapshot", prevName))
	if _, err := os.Stat(saved); err != nil {
		t.Fatal(err)
	}
	fromSaved := run()
	golden(t, "trend-saved-stdout.txt", fromSaved)
	pageSaved := trendTables(t, filepath.Join(ws, "reports", "report-20261130T120000Z.html"))

	// The trend is the saved file's: saved findings without any finding
	// make every finding of today new and none resolved.
	b, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := report.LoadSaved(saved, prevName)
	if err != nil {
		t.Fatal(err)
	}
	sv.Report.Findings = nil
	if err := report.SaveFindings(saved, *sv); err != nil {
		t.Fatal(err)
	}
	run()
	if got := trendTables(t, filepath.Join(ws, "reports", "report-20261130T120000Z.html")); !strings.Contains(got, `table t-resolved "Resolved since the previous snapshot": 0 rows`) ||
		strings.Contains(got, "table t-new \"New since the previous snapshot\": 0 rows") {
		t.Errorf("trend from emptied saved findings:\n%s", got)
	}
	if err := os.WriteFile(saved, b, 0o600); err != nil {
		t.Fatal(err)
	}

	// Without the saved findings: audited again, said, the same trend.
	if err := os.Remove(saved); err != nil {
		t.Fatal(err)
	}
	golden(t, "trend-reaudit-stdout.txt", run())
	if diff := cmp.Diff(pageSaved, trendTables(t, filepath.Join(ws, "reports", "report-20261130T120000Z.html"))); diff != "" {
		t.Errorf("trend from the saved findings and from a second audit differ (-saved +audited again):\n%s", diff)
	}

	// A damaged file is named with what is wrong, and not used.
	if err := os.WriteFile(saved, []byte(`{"schemaVersion":1,"snapshot":"20250101T000000Z","report":{}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out := run()
	if want := "  snapshot " + prevName + " audited again: its saved findings are unusable: WS/reports/findings-" + prevName + ".json: holds the findings of snapshot \"20250101T000000Z\", not \"" + prevName + "\"\n"; !strings.Contains(out, want) {
		t.Errorf("damaged saved findings: stdout lacks %q:\n%s", want, out)
	}
}

// trendTables are the new and resolved findings tables of a report page.
func trendTables(t *testing.T, page string) string {
	t.Helper()
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	tables, in := 0, false
	for _, l := range strings.Split(normalize(t, string(b)), "\n") {
		if strings.HasPrefix(l, "table ") {
			in = strings.HasPrefix(l, "table t-new ") || strings.HasPrefix(l, "table t-resolved ")
			if in {
				tables++
			}
		}
		if in && l != "" {
			keep = append(keep, l)
		}
	}
	if tables != 2 {
		t.Fatalf("page %s: trend tables %v", page, keep)
	}
	return strings.Join(keep, "\n")
}
