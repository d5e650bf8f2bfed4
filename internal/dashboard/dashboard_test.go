package dashboard

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func render(t testing.TB, in Input) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, in); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var dataRE = regexp.MustCompile(`(?s)<script type="application/json" id="seiri-data"( data-encoding="gzip-base64")?>(.*?)</script>`)

// pageData decodes the page's JSON data block.
func pageData(t testing.TB, html string) data {
	t.Helper()
	m := dataRE.FindStringSubmatch(html)
	if m == nil {
		t.Fatal("no data block")
	}
	var d data
	var r io.Reader = strings.NewReader(m[2])
	if m[1] != "" {
		zr, err := gzip.NewReader(base64.NewDecoder(base64.StdEncoding, r))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	dec := json.NewDecoder(r)
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("data block: %v", err)
	}
	return d
}

// Hostile strings in every attacker-controlled place (user names, tags,
// user agents, finding evidence, policy documents) stay text: no markup,
// no script, no way out of the style or data blocks, and they reach the
// data block intact.
func TestHostileStringsAreEscaped(t *testing.T) {
	for _, name := range []string{
		`<script>alert(1)</script>`,
		`"'><img src=x onerror=alert(1)>`,
		`</style><script>alert(2)</script>`,
		`</script><script>alert(3)</script><!--`,
		`javascript:alert(4)`,
		`&lt;b&gt;&amp;`,
	} {
		t.Run(name, func(t *testing.T) {
			in := synth(2, 2, 1, name)
			in.Snapshot.Accounts[0].Roles[0].Description = name
			in.Snapshot.Accounts[0].Roles[0].TrustPolicy = []byte(`{"Statement":[{"Sid":` + mustJSON(name) + `}]}`)
			in.Notes = []string{name}
			html := render(t, in)
			if n := strings.Count(html, "<script"); n != 2 {
				t.Errorf("%d <script elements, want 2 (data block and the page's script)", n)
			}
			for _, bad := range []string{"<img", "alert(1)</script>", "</style><script", "onerror=alert(1)>"} {
				if strings.Contains(html, bad) {
					t.Errorf("output holds %q unescaped", bad)
				}
			}
			d := pageData(t, html)
			e := d.Entities[entityID("principal", "arn:aws:iam::100000000000:user/"+name)]
			if e == nil || e.Name != "user/"+name {
				t.Fatalf("the user's page does not carry its name intact: %+v", e)
			}
		})
	}
}

func mustJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

var (
	hrefRE = regexp.MustCompile(`href="#([^"]*)"`)
	idRE   = regexp.MustCompile(` id="([^"]*)"`)
)

// checkLinks: every in-page link of the HTML has its target, either an
// element of the page or an entity page the script draws; every link of the
// data block names an entity.
func checkLinks(t *testing.T, html string) {
	t.Helper()
	d := pageData(t, html)
	ids := map[string]bool{}
	for _, m := range idRE.FindAllStringSubmatch(html, -1) {
		ids[m[1]] = true
	}
	for _, m := range hrefRE.FindAllStringSubmatch(html, -1) {
		if !ids[m[1]] && d.Entities[m[1]] == nil {
			t.Errorf("href=\"#%s\" has no target", m[1])
		}
	}
	check := func(where string, v any) {
		if m, ok := v.(map[string]any); ok && m["e"] != nil {
			to, _ := m["e"].(string)
			if d.Entities[to] == nil {
				t.Errorf("%s: link to unknown entity %q", where, to)
			}
		}
	}
	for id, tb := range d.Tables {
		if !strings.Contains(html, `data-table="`+id+`"`) && !strings.HasPrefix(id, "t-") {
			t.Errorf("table %s is never shown", id)
		}
		for _, r := range tb.Rows {
			if len(r) != len(tb.Cols) {
				t.Errorf("table %s: row of %d cells, %d columns", id, len(r), len(tb.Cols))
			}
			for _, c := range r {
				check("table "+id, c)
			}
		}
	}
	for id, e := range d.Entities {
		for _, f := range e.Facts {
			check("entity "+id, f[1])
			if n, ok := f[0].(float64); !ok || int(n) >= len(d.Labels) {
				t.Errorf("entity %s: fact label %v is not an index of the labels", id, f[0])
			}
			if m, ok := f[1].(map[string]any); ok {
				if n, ok := m["d"].(float64); ok && int(n) >= len(d.Docs) {
					t.Errorf("entity %s: document %v missing", id, n)
				}
			}
		}
	}
	for _, m := range regexp.MustCompile(`data-table="([^"]*)"`).FindAllStringSubmatch(html, -1) {
		if d.Tables[m[1]] == nil && m[1] != "t-entities" { // the script builds the index from the entities
			t.Errorf("placeholder for table %s without data", m[1])
		}
	}
}

func TestLinksResolve(t *testing.T) {
	checkLinks(t, render(t, synth(3, 4, 2, "")))
}

// A large data block is compressed and decodes to the same data.
func TestCompressedData(t *testing.T) {
	in := synth(3, 4, 2, "")
	plain := render(t, in)
	in.CompressOver = 1
	packed := render(t, in)
	if !strings.Contains(packed, `data-encoding="gzip-base64"`) || strings.Contains(plain, `id="seiri-data" data-encoding`) {
		t.Fatal("compression not as asked")
	}
	if diff := cmp.Diff(pageData(t, plain), pageData(t, packed)); diff != "" {
		t.Error(diff)
	}
	checkLinks(t, packed)
}

// The policy allows the page's own style and script by hash and nothing
// else: the hashes must be those of the inline blocks as written.
func TestCSPMatchesInlineBlocks(t *testing.T) {
	html := render(t, synth(1, 1, 1, ""))
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(html)
	script := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindStringSubmatch(html)
	if style == nil || script == nil {
		t.Fatal("no inline style or script")
	}
	sum := func(s string) string {
		h := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
	}
	want := "default-src 'none'; script-src " + sum(script[1]) + "; style-src " + sum(style[1]) + "; img-src data:; base-uri 'none'; form-action 'none'"
	if !strings.Contains(html, `<meta http-equiv="Content-Security-Policy" content="`+want+`">`) {
		t.Errorf("CSP meta is not %s", want)
	}
	for _, remote := range []string{"http://", "https://", "//cdn"} {
		for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(html, -1) {
			if strings.HasPrefix(m[1], remote) {
				t.Errorf("remote reference %s", m[1])
			}
		}
	}
}

// normalize removes what changes between runs (the generation time) and
// the page's own style and script with the policy hashing them
// (TestCSPMatchesInlineBlocks checks those).
func normalize(html string) string {
	html = regexp.MustCompile(`<time id="generated">[^<]*</time>`).ReplaceAllString(html, `<time id="generated">GENERATED</time>`)
	html = regexp.MustCompile(`(?s)<style>.*?</style>`).ReplaceAllString(html, `<style>STYLE</style>`)
	html = regexp.MustCompile(`(?s)<script>.*?</script>`).ReplaceAllString(html, `<script>SCRIPT</script>`)
	return regexp.MustCompile(`http-equiv="Content-Security-Policy" content="[^"]*"`).ReplaceAllString(html, `http-equiv="Content-Security-Policy" content="CSP"`)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

// A snapshot and nothing else: every other section says it is absent and
// names the command that fills it.
func TestOnlySnapshotSaysWhatIsAbsent(t *testing.T) {
	in := synth(2, 2, 1, "")
	in.Audit, in.Keys, in.Unused, in.Usage, in.Journal = nil, nil, nil, nil, nil
	html := render(t, in)
	checkLinks(t, html)
	golden(t, "only-snapshot.html", normalize(html))
}

func TestSyntheticGolden(t *testing.T) {
	html := render(t, synth(2, 3, 1, ""))
	checkLinks(t, html)
	golden(t, "synthetic.html", normalize(html))
}

// BenchmarkRender builds and renders the report of a large organization
// (1,000 accounts, 20 users with a key each and 20 roles per account).
func BenchmarkRender(b *testing.B) {
	in := synth(1000, 20, 20, "")
	var size int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		if err := Render(&buf, in); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "bytes")
}
