package dashboard

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/dashboard/dashtest"
)

// write renders in into dir and returns the file.
func write(t testing.TB, dir, name string, in Input) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, in); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The report in a real browser: no console error, exception or CSP
// violation; sorting and filtering change the DOM as asked; every link
// resolves; the layout keeps its shape.
func TestInBrowser(t *testing.T) {
	br := dashtest.Start(t)
	dir := t.TempDir()
	page := write(t, dir, "synthetic.html", synth(4, 30, 3, ""))
	br.Open(t, page)

	t.Run("no console errors", func(t *testing.T) {
		if errs := br.Errors(); len(errs) > 0 {
			t.Errorf("browser errors:\n%s", strings.Join(errs, "\n"))
		}
	})

	t.Run("a CSP violation is caught", func(t *testing.T) {
		// The check above must be able to fail: a page whose inline script
		// the policy refuses.
		bad := filepath.Join(dir, "csp.html")
		html := `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'"><title>x</title></head><body data-ready="true"><p>x</p><script>document.title = "ran"</script></body></html>`
		if err := os.WriteFile(bad, []byte(html), 0o600); err != nil {
			t.Fatal(err)
		}
		br.Open(t, bad)
		time.Sleep(200 * time.Millisecond)
		if errs := br.Errors(); len(errs) == 0 {
			t.Error("a refused inline script left no error")
		}
		br.Open(t, page)
	})

	t.Run("sorting", func(t *testing.T) {
		// "Users" of the accounts table: numbers, largest first on the
		// first click, then smallest first.
		br.Click(t, `#t-accounts-w th:nth-child(3) button`)
		users := br.Column(t, "#t-accounts-w", 2)
		if !slices.IsSortedFunc(users, func(a, b string) int { return atoi(t, b) - atoi(t, a) }) {
			t.Errorf("after one click the users column is not descending: %v", users)
		}
		// Severity sorts by rank, not by name.
		br.Click(t, `#t-findings-w th:nth-child(1) button`)
		sev := br.Column(t, "#t-findings-w", 0)
		rank := map[string]int{"critical": 5, "high": 4, "medium": 3, "low": 2, "info": 1}
		if len(sev) == 0 || !slices.IsSortedFunc(sev, func(a, b string) int { return rank[strings.ToLower(b)] - rank[strings.ToLower(a)] }) {
			t.Errorf("severity column not in descending rank: %v", sev)
		}
		br.Click(t, `#t-findings-w th:nth-child(1) button`)
		sev = br.Column(t, "#t-findings-w", 0)
		if strings.ToLower(sev[0]) != "info" {
			t.Errorf("second click: first severity %q, want info", sev[0])
		}
		var sort string
		br.Eval(t, `document.querySelector("#t-findings-w th:nth-child(1)").getAttribute("aria-sort")`, &sort)
		if sort != "ascending" {
			t.Errorf("aria-sort %q, want ascending", sort)
		}
	})

	t.Run("filtering", func(t *testing.T) {
		var total int
		br.Eval(t, `document.querySelectorAll("#t-findings-w tbody tr").length`, &total)
		br.Type(t, `#t-findings-q`, "user-7 ")
		resources := br.Column(t, "#t-findings-w", 4)
		if len(resources) == 0 || len(resources) >= total {
			t.Fatalf("search kept %d of %d rows", len(resources), total)
		}
		for _, r := range resources {
			if !strings.Contains(r, "user-7 ") {
				t.Errorf("row %q does not match the search", r)
			}
		}
		var count string
		br.Eval(t, `document.querySelector("#t-findings-w .controls .note").textContent`, &count)
		if want := strconv.Itoa(len(resources)) + " of 120 rows"; count != want {
			t.Errorf("count %q, want %q", count, want)
		}
		// The account drop-down narrows further.
		br.Eval(t, `(() => { const s = document.querySelector('#t-findings-w select[data-col="2"]'); s.value = "100000000002"; s.dispatchEvent(new Event("change")); return 0 })()`, nil)
		accounts := br.Column(t, "#t-findings-w", 2)
		if len(accounts) != 1 || accounts[0] != "100000000002" {
			t.Errorf("account filter: %v", accounts)
		}
	})

	t.Run("pages", func(t *testing.T) {
		var rows int
		br.Eval(t, `document.querySelectorAll("#t-usage-w tbody tr").length`, &rows)
		if rows != 50 {
			t.Errorf("first page of 360 usage rows shows %d, want 50", rows)
		}
		br.Click(t, `#t-usage-w .pager button:nth-child(3)`)
		var info string
		br.Eval(t, `document.querySelector("#t-usage-w .pager span").textContent`, &info)
		if info != "rows 51–100 of 360" {
			t.Errorf("second page: %q", info)
		}
	})

	t.Run("links resolve", func(t *testing.T) {
		// Every link of the data is checked statically (TestLinksResolve);
		// here the browser checks every link of the page and follows 60
		// entity links, in turn of each kind (accounts, principals, keys).
		n, broken := br.BrokenLinks(t, 60)
		if n < 60 {
			t.Errorf("only %d links followed", n)
		}
		if len(broken) > 0 {
			t.Errorf("%d links without target: %v", len(broken), broken)
		}
		// An entity page lists the rows that name it.
		var rows int
		br.Eval(t, `(async () => { location.hash = "k-AKIA0000000000000000"; await new Promise(r => setTimeout(r, 0)); return document.querySelectorAll("#k-AKIA0000000000000000 tbody tr").length })()`, &rows)
		if rows < 3 {
			t.Errorf("the key's page shows %d rows (candidate, evidence, journal expected)", rows)
		}
	})

	t.Run("layout", func(t *testing.T) {
		br.Eval(t, `(async () => { location.hash = "overview"; await new Promise(r => setTimeout(r, 0)); scrollTo(0, 0); return 0 })()`, nil)
		golden(t, "layout-synthetic.json", dashtest.JSON(br.Layout(t)))
		_, sig := br.Screenshot(t, 8, 6)
		compareSignature(t, "screen-synthetic.json", sig)
	})

	t.Run("hostile names stay text", func(t *testing.T) {
		name := `</script><img src=x onerror="document.title='pwned'">`
		br.Open(t, write(t, dir, "hostile.html", synth(1, 2, 1, name)))
		var title string
		var imgs int
		br.Eval(t, `document.title`, &title)
		br.Eval(t, `document.querySelectorAll("img").length`, &imgs)
		if title == "pwned" || imgs != 0 {
			t.Errorf("markup from a user name ran: title %q, %d img elements", title, imgs)
		}
		var cell string
		br.Eval(t, `document.querySelector("#t-unused-w tbody td a").textContent`, &cell)
		if cell != "user/"+name {
			t.Errorf("the name shows as %q", cell)
		}
		if errs := br.Errors(); len(errs) > 0 {
			t.Errorf("browser errors:\n%s", strings.Join(errs, "\n"))
		}
	})
}

func atoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}

// compareSignature compares a screenshot's coarse luminance grid with the
// golden one: the page may move a little with fonts, not change shape.
func compareSignature(t *testing.T, name string, sig [][]int) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(dashtest.JSON(sig)), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	var want [][]int
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &want)
	}
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if len(want) != len(sig) || len(want[0]) != len(sig[0]) {
		t.Fatalf("signature %dx%d, golden %dx%d", len(sig[0]), len(sig), len(want[0]), len(want))
	}
	var diff float64
	for y := range sig {
		for x := range sig[y] {
			diff += math.Abs(float64(sig[y][x] - want[y][x]))
		}
	}
	diff /= float64(len(sig) * len(sig[0]))
	if diff > 12 {
		t.Errorf("screenshot differs from the golden: mean luminance difference %.1f per cell (> 12)\ngot  %v\nwant %v", diff, sig, want)
	}
}

// TestBrowserTiming measures a 1,000-account organization's report in the
// browser (file size, render, load); it runs only with SEIRI_REPORT_LARGE=1
// (docs/report.md has the command and the numbers). Nothing is asserted
// about time.
func TestBrowserTiming(t *testing.T) {
	if os.Getenv("SEIRI_REPORT_LARGE") == "" {
		t.Skip("SEIRI_REPORT_LARGE not set: the large report is measured on demand (docs/report.md)")
	}
	br := dashtest.Start(t)
	in := synth(1000, 20, 20, "")
	start := time.Now()
	page := write(t, t.TempDir(), "large.html", in)
	built := time.Since(start)
	fi, _ := os.Stat(page)
	tm := br.Open(t, page)
	t.Logf("1,000 accounts: %d bytes, built in %v, load event %v, data parsed %v, tables drawn %v", fi.Size(), built, tm.Load, tm.Data, tm.Ready)
	var marks map[string]float64
	br.Eval(t, `Object.fromEntries(performance.getEntriesByType("mark").map(m => [m.name, Math.round(m.startTime)]))`, &marks)
	t.Logf("marks (ms from navigation start): %v", marks)
	var ms float64
	br.Eval(t, `(() => { const q = document.getElementById("t-findings-q"); const t0 = performance.now(); q.value = "user-7 "; q.dispatchEvent(new Event("input")); return new Promise(r => setTimeout(() => r(performance.now() - t0), 200)) })()`, &ms)
	t.Logf("search over 20,000 findings, with the 150 ms debounce: %.0f ms", ms)
	if errs := br.Errors(); len(errs) > 0 {
		t.Errorf("browser errors:\n%s", strings.Join(errs, "\n"))
	}
}
