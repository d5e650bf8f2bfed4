package report_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/root"
	"github.com/seiri-dev/seiri/internal/dashboard/dashtest"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

// fixture is the demo workspace every test of the package shares, built
// once: `seiri demo` (snapshot, CloudTrail logs scanned into the usage
// store), the demo organization 30 days earlier as the previous snapshot, a
// saved org plan, a journal line of a key seiri disabled, and the report.
var fixture struct {
	once           sync.Once
	dir, page      string
	stdout, stderr string
	code           int
	err            error
}

func demoReport(t *testing.T) (ws, page, stdout string) {
	t.Helper()
	fixture.once.Do(func() {
		fixture.err = buildFixture(t)
	})
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	if fixture.code != 0 {
		t.Fatalf("seiri report: exit %d\n%s", fixture.code, fixture.stderr)
	}
	return fixture.dir, fixture.page, fixture.stdout
}

func buildFixture(t *testing.T) error {
	dir, err := os.MkdirTemp("", "seiri-report-demo-")
	if err != nil {
		return err
	}
	fixture.dir = dir
	ws := filepath.Join(dir, "ws")
	if _, stderr, code := cmdtest.RunWS(t, root.NewRootCmd, now, nil, ws, "demo"); code != 0 {
		return fmt.Errorf("seiri demo: exit %d\n%s", code, stderr)
	}
	if _, err := demo.Generate(now.AddDate(0, 0, -30), demo.Seed).WriteSnapshot(filepath.Join(ws, "snapshots")); err != nil {
		return err
	}
	orgPlan := filepath.Join(dir, "org-plan.json")
	if _, stderr, code := cmdtest.RunWS(t, root.NewRootCmd, now, nil, ws, "org", "plan", "--spec", filepath.Join(ws, "demo", "org", "org.yaml"), "--out", orgPlan); code != 0 {
		return fmt.Errorf("seiri org plan: exit %d\n%s", code, stderr)
	}
	s, err := snapshot.Load(filepath.Join(ws, "snapshots"), snapshot.Latest)
	if err != nil {
		return err
	}
	key, account := firstActiveKey(s)
	j := plan.OpenJournal(filepath.Join(ws, "journal.jsonl"), func() time.Time { return now.AddDate(0, 0, -2) })
	for _, ph := range []plan.Phase{plan.Begin, plan.Done} {
		if err := j.Append(plan.Entry{Time: now.AddDate(0, 0, -2), Plan: "p-test", Change: "c1", Phase: ph, Kind: "iam:UpdateAccessKey", Account: account, Target: key,
			Operator: "arn:aws:iam::111111111111:user/ops", Detail: "access key " + key + " status Inactive"}); err != nil {
			return err
		}
	}
	fixture.page = filepath.Join(dir, "report.html")
	fixture.stdout, fixture.stderr, fixture.code = cmdtest.RunWS(t, root.NewRootCmd, now, nil, ws, "report", "--org-plan", orgPlan, "--out", fixture.page)
	return nil
}

func firstActiveKey(s *snapshot.Snapshot) (key, account string) {
	for _, a := range s.Accounts {
		for _, u := range a.Users {
			for _, k := range u.AccessKeys {
				if k.Active() {
					return k.AccessKeyID, a.AccountID
				}
			}
		}
	}
	return "", ""
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	cmdtest.Golden(t, name, "", got, *update)
}

var dataRE = regexp.MustCompile(`(?s)(<script type="application/json" id="seiri-data">)(.*?)(</script>)`)

// normalize keeps what the golden should hold: the page without the
// generation time, its own style and script, and with the data block
// summarised (per table: columns, rows, the first rows; entities by kind).
func normalize(t *testing.T, html string) string {
	t.Helper()
	html = regexp.MustCompile(`<time id="generated">[^<]*</time>`).ReplaceAllString(html, `<time id="generated">GENERATED</time>`)
	html = regexp.MustCompile(`(?s)<style>.*?</style>`).ReplaceAllString(html, `<style>STYLE</style>`)
	html = regexp.MustCompile(`(?s)<script>.*?</script>`).ReplaceAllString(html, `<script>SCRIPT</script>`)
	html = regexp.MustCompile(`http-equiv="Content-Security-Policy" content="[^"]*"`).ReplaceAllString(html, `http-equiv="Content-Security-Policy" content="CSP"`)
	html = regexp.MustCompile(`seiri (dev|v[^ <"]*)`).ReplaceAllString(html, "seiri VERSION")
	m := dataRE.FindStringSubmatch(html)
	if m == nil {
		t.Fatal("no plain JSON data block")
	}
	var d struct {
		Tables map[string]struct {
			Caption string            `json:"caption"`
			Cols    []json.RawMessage `json:"cols"`
			Rows    []json.RawMessage `json:"rows"`
			Note    string            `json:"note"`
		} `json:"tables"`
		Entities map[string]struct {
			Kind string `json:"k"`
		} `json:"entities"`
	}
	if err := json.Unmarshal([]byte(m[2]), &d); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	ids := make([]string, 0, len(d.Tables))
	for id := range d.Tables {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		tb := d.Tables[id]
		fmt.Fprintf(&b, "\ntable %s %q: %d rows\n", id, tb.Caption, len(tb.Rows))
		for _, c := range tb.Cols {
			fmt.Fprintf(&b, "  col %s\n", c)
		}
		for i, r := range tb.Rows {
			if i == 3 {
				break
			}
			fmt.Fprintf(&b, "  row %s\n", r)
		}
	}
	kinds := map[string]int{}
	for _, e := range d.Entities {
		kinds[e.Kind]++
	}
	fmt.Fprintf(&b, "\nentities %v\n", kinds)
	return dataRE.ReplaceAllLiteralString(html, m[1]+b.String()+m[3])
}

// sizeless hides the file size the command prints (it changes with every
// change of the page's script or style).
func sizeless(s string) string {
	return regexp.MustCompile(`report \([0-9,]+ bytes\)`).ReplaceAllString(s, "report (SIZE bytes)")
}

func TestReportDemo(t *testing.T) {
	ws, page, stdout := demoReport(t)
	golden(t, "demo-stdout.txt", sizeless(strings.ReplaceAll(stdout, fixture.dir, "DIR")))
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(page)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v, want 0600", fi.Mode().Perm())
	}
	golden(t, "demo.html", normalize(t, strings.ReplaceAll(string(html), ws, "WS")))
}

// The default file is in the workspace's reports folder; a snapshot with
// nothing else says which sections it could not fill and what to run.
func TestReportSnapshotOnly(t *testing.T) {
	ws, _ := cmdtest.DemoWorkspace(t, now)
	stdout, stderr, code := cmdtest.RunWS(t, root.NewRootCmd, now, nil, ws, "report")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	golden(t, "snapshot-only-stdout.txt", sizeless(strings.ReplaceAll(stdout, ws, "WS")))
	if _, err := os.Stat(filepath.Join(ws, "reports", "report-20261130T120000Z.html")); err != nil {
		t.Error(err)
	}
}

func TestReportBadInput(t *testing.T) {
	ws, _ := cmdtest.DemoWorkspace(t, now)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "--days", "0"}, "--days 0: must be at least 1"},
		{[]string{"report", "--policies", "-1"}, "--policies -1: must not be negative"},
		{[]string{"report", "--snapshot", "nope"}, "nope"},
		{[]string{"report", "--org-plan", filepath.Join(ws, "missing.json")}, "missing.json"},
		{[]string{"report", "--output", "json"}, "json"},
	} {
		_, stderr, code := cmdtest.RunWS(t, root.NewRootCmd, now, nil, ws, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %q", tc.args, code, stderr, tc.want)
		}
	}
	_, stderr, code := cmdtest.RunWS(t, root.NewRootCmd, now, nil, filepath.Join(ws, "absent"), "report")
	if code != 2 || !strings.Contains(stderr, "absent") {
		t.Errorf("missing workspace: exit %d, %q", code, stderr)
	}
}

// The demo report in a real browser: no error, every link of the first
// pages resolves, the layout keeps its shape.
func TestReportDemoInBrowser(t *testing.T) {
	br := dashtest.Start(t)
	_, page, _ := demoReport(t)
	tm := br.Open(t, page)
	t.Logf("demo report: load event %v, tables drawn %v", tm.Load, tm.Ready)
	if errs := br.Errors(); len(errs) > 0 {
		t.Errorf("browser errors:\n%s", strings.Join(errs, "\n"))
	}
	n, broken := br.BrokenLinks(t, 60)
	if n < 60 || len(broken) > 0 {
		t.Errorf("followed %d links; without target: %v", n, broken)
	}
	br.Eval(t, `(async () => { location.hash = "overview"; await new Promise(r => setTimeout(r, 0)); scrollTo(0, 0); return 0 })()`, nil)
	golden(t, "layout-demo.json", dashtest.JSON(br.Layout(t)))
	if errs := br.Errors(); len(errs) > 0 {
		t.Errorf("browser errors:\n%s", strings.Join(errs, "\n"))
	}
}
