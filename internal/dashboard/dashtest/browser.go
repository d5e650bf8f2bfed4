// Package dashtest drives the report in a real browser for tests: headless
// Chromium from the OS packages through the DevTools protocol (chromedp).
// Only tests import it.
package dashtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser is one headless Chromium shared by a test's subtests.
type Browser struct {
	ctx    context.Context
	cancel func()
	mu     sync.Mutex
	errs   []string
}

// FindChromium returns the browser binary: $SEIRI_CHROMIUM, else the first
// of the usual names on PATH.
func FindChromium() string {
	if p := os.Getenv("SEIRI_CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// Start launches Chromium, or skips the test when there is none — except
// under CI=true, where a missing browser fails.
func Start(t testing.TB) *Browser {
	t.Helper()
	path := FindChromium()
	if path == "" {
		msg := "no Chromium found (apt-get install chromium, or set SEIRI_CHROMIUM): the browser test of seiri report did not run"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("allow-file-access-from-files", true))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &Browser{ctx: ctx, cancel: func() { cancel(); acancel() }}
	// Console errors and warnings, uncaught exceptions and the browser log
	// (where CSP violations and failed loads appear) all count as errors.
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			switch m.Type {
			case chromedp.ConsoleError, chromedp.ConsoleWarning, chromedp.ConsoleException:
				b.addErr(m.String() + " " + m.Source)
			}
		}
	}()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		b.cancel()
		t.Fatalf("start %s: %v", path, err)
	}
	t.Cleanup(b.cancel)
	return b
}

func (b *Browser) addErr(s string) {
	b.mu.Lock()
	b.errs = append(b.errs, s)
	b.mu.Unlock()
}

// Errors returns (and forgets) the console errors, exceptions and CSP
// violations seen so far.
func (b *Browser) Errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.errs
	b.errs = nil
	return e
}

// Timing is how long the page took in the browser.
type Timing struct {
	Load  time.Duration // navigation start to the load event's end
	Data  time.Duration // navigation start to the data block parsed
	Ready time.Duration // navigation start to the tables drawn (data-ready)
}

// Open loads the report file and waits until its script has drawn the
// tables.
func (b *Browser) Open(t testing.TB, file string) Timing {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	type times struct{ Load, Data, Ready float64 }
	err := chromedp.Do(ctx, chromedp.Navigate("file://"+file), chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)))
	var tm times
	if err == nil {
		tm, err = chromedp.Run(ctx, chromedp.Evaluate[times](`({Load: performance.getEntriesByType("navigation")[0].loadEventEnd, Data: (performance.getEntriesByName("seiri-data")[0] || {}).startTime || 0, Ready: (performance.getEntriesByName("seiri-ready")[0] || {}).startTime || 0})`))
	}
	if err != nil {
		t.Fatalf("open %s: %v (browser errors: %v)", file, err, b.Errors())
	}
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	return Timing{Load: ms(tm.Load), Data: ms(tm.Data), Ready: ms(tm.Ready)}
}

// Eval evaluates a JavaScript expression (awaiting a promise) into out.
func (b *Browser) Eval(t testing.TB, js string, out any) {
	t.Helper()
	b.evalTimeout(t, time.Minute, js, out)
}

func (b *Browser) evalTimeout(t testing.TB, d time.Duration, js string, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, d)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](js, chromedp.EvalAwaitPromise))
	if err == nil && out != nil {
		err = json.Unmarshal(raw, out)
	}
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, js)
	}
}

// Click clicks the first element matching the CSS selector.
func (b *Browser) Click(t testing.TB, sel string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
}

// Type types text into the element matching the CSS selector.
func (b *Browser) Type(t testing.TB, sel, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(sel), text)); err != nil {
		t.Fatalf("type into %s: %v", sel, err)
	}
}

// Column returns the texts of column col (0-based) of the table body
// selected by sel.
func (b *Browser) Column(t testing.TB, sel string, col int) []string {
	t.Helper()
	var out []string
	b.Eval(t, fmt.Sprintf(`Array.from(document.querySelectorAll(%q + " tbody tr")).map(tr => tr.cells[%d] ? tr.cells[%d].textContent : "")`, sel, col, col), &out)
	return out
}

// BrokenLinks checks every in-page link of the page: a target already in
// the page is looked up; an entity link (drawn on navigation) is followed,
// up to limit of them, taken in turn from each kind (accounts "a-",
// principals "p-", keys "k-"), and the links of the pages it opens join the
// queue. It returns how many links were checked and those without target.
func (b *Browser) BrokenLinks(t testing.TB, limit int) (checked int, broken []string) {
	t.Helper()
	var r struct {
		Checked int
		Broken  []string
	}
	b.evalTimeout(t, 3*time.Minute, fmt.Sprintf(`(async () => {
  const seen = new Set(), broken = [], queues = {};
  let checked = 0;
  const collect = () => document.querySelectorAll('a[href^="#"]').forEach(a => {
    const h = a.getAttribute("href").slice(1);
    if (seen.has(h)) return;
    seen.add(h);
    if (document.getElementById(h)) { checked++; return; }
    const k = h.slice(0, 2);
    (queues[k] || (queues[k] = [])).push(h);
  });
  collect();
  let followed = 0;
  for (let more = true; more && followed < %d; ) {
    more = false;
    for (const k of Object.keys(queues).sort()) {
      const h = queues[k].shift();
      if (h === undefined || followed >= %d) continue;
      more = true;
      followed++;
      checked++;
      location.hash = h;
      await new Promise(r => setTimeout(r, 0));
      if (!document.getElementById(h)) broken.push(h);
      collect();
    }
  }
  location.hash = "overview";
  return {Checked: checked, Broken: broken};
})()`, limit, limit), &r)
	return r.Checked, r.Broken
}

// Outline is the structure of the rendered page: each section with its
// box (relative to the viewport width) and what it holds.
type Outline struct {
	Section string  `json:"section"`
	Left    float64 `json:"left"`  // left edge / viewport width, one decimal
	Width   float64 `json:"width"` // width / viewport width, one decimal
	Tables  int     `json:"tables"`
	Charts  int     `json:"charts"`
	Absent  bool    `json:"absent"`
	// Overflow counts charts and tables wider than their section.
	Overflow int `json:"overflow"`
}

// Layout returns the page's outline.
func (b *Browser) Layout(t testing.TB) []Outline {
	t.Helper()
	var out []Outline
	b.Eval(t, `Array.from(document.querySelectorAll("main > section:not([hidden])")).map(s => {
  const r = s.getBoundingClientRect(), W = document.documentElement.clientWidth;
  let over = 0;
  s.querySelectorAll("figure, .tbl").forEach(e => { if (e.getBoundingClientRect().right > r.right + 1) over++; });
  return {section: s.id, left: Math.round(10 * r.left / W) / 10, width: Math.round(10 * r.width / W) / 10,
    tables: s.querySelectorAll("table").length, charts: s.querySelectorAll("svg.chart").length,
    absent: !!s.querySelector(":scope > p.absent"), overflow: over};
})`, &out)
	return out
}

// Screenshot captures the viewport and returns a coarse signature of it:
// the mean luminance (0-255) of each cell of a cols×rows grid. Fonts and
// anti-aliasing change pixels, not where the dark and light areas are.
func (b *Browser) Screenshot(t testing.TB, cols, rows int) ([]byte, [][]int) {
	t.Helper()
	shot, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	bd := img.Bounds()
	sig := make([][]int, rows)
	for y := 0; y < rows; y++ {
		sig[y] = make([]int, cols)
		for x := 0; x < cols; x++ {
			var sum, n int
			for py := bd.Min.Y + y*bd.Dy()/rows; py < bd.Min.Y+(y+1)*bd.Dy()/rows; py += 2 {
				for px := bd.Min.X + x*bd.Dx()/cols; px < bd.Min.X+(x+1)*bd.Dx()/cols; px += 2 {
					r, g, bl, _ := img.At(px, py).RGBA()
					sum += int((299*r + 587*g + 114*bl) / 1000 >> 8)
					n++
				}
			}
			sig[y][x] = sum / max(n, 1)
		}
	}
	return shot, sig
}

// JSON indents v for golden files.
func JSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b) + "\n"
}
