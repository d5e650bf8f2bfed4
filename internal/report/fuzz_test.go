package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/finding"
)

// oneFinding is a report whose AWS-controlled strings are all s.
func oneFinding(s string) *finding.Report {
	return &finding.Report{Tool: "seiri", Version: "v", Rules: []finding.Rule{{ID: "SEIRI-X", Title: "X", Severity: finding.High}},
		Findings: []finding.Finding{{RuleID: "SEIRI-X", Severity: finding.High, Account: "111111111111",
			Resource: "arn:aws:iam::111111111111:user/" + s, Title: "User " + s,
			Evidence: []finding.Evidence{{Name: "tag " + s, Value: s}}}}}
}

func render(t *testing.T, format string, r *finding.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, format, r); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return b.String()
}

// FuzzRenderEscaping feeds attacker-chosen names to every writer and checks
// that they cannot change the structure of the output.
func FuzzRenderEscaping(f *testing.F) {
	for _, s := range []string{"", "alice", hostile, "a|b\nc", "`x`", "<img src=x onerror=alert(1)>", "=cmd|' /C calc'!A0", "\u202eevil", "\"quoted\",comma", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		base := oneFinding("x")
		r := oneFinding(s)

		// HTML: s adds no markup: as many '<' as with a harmless name.
		if got, want := strings.Count(render(t, "html", r), "<"), strings.Count(render(t, "html", base), "<"); got != want {
			t.Errorf("html: %d '<', want %d", got, want)
		}
		// Markdown and table: same number of lines; no control characters.
		for _, format := range []string{"markdown", "table"} {
			out, ref := render(t, format, r), render(t, format, base)
			if strings.Count(out, "\n") != strings.Count(ref, "\n") {
				t.Errorf("%s: line count changed:\n%s", format, out)
			}
			for _, c := range out {
				if c != '\n' && !safeRune(c) {
					t.Errorf("%s: unsafe rune %U in output", format, c)
				}
			}
		}
		// Markdown table rows keep their 5 unescaped pipes.
		for _, line := range strings.Split(render(t, "markdown", r), "\n") {
			if strings.HasPrefix(line, "| 111111111111 |") {
				if n := strings.Count(line, "|") - strings.Count(line, `\|`); n != 5 {
					t.Errorf("markdown row has %d cell separators: %q", n, line)
				}
			}
		}
		// CSV: one header and one row of 7 fields.
		recs, err := csv.NewReader(strings.NewReader(render(t, "csv", r))).ReadAll()
		if err != nil || len(recs) != 2 || len(recs[1]) != 7 {
			t.Errorf("csv: %v, %q", err, recs)
		}
		// JSON round-trips exactly (valid UTF-8 only: JSON replaces invalid bytes).
		var back finding.Report
		if err := json.Unmarshal([]byte(render(t, "json", r)), &back); err != nil {
			t.Fatalf("json: %v", err)
		}
		if utf8.ValidString(s) && !cmp.Equal(r.Findings, back.Findings) {
			t.Errorf("json round trip: %s", cmp.Diff(r.Findings, back.Findings))
		}
		if !json.Valid([]byte(render(t, "sarif", r))) {
			t.Errorf("sarif: invalid JSON")
		}
	})
}
