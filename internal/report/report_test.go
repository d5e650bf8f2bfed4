package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/report/sariftest"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// hostile is a user name an attacker could choose (IAM restricts names, but
// tags, descriptions and imported files do not).
const hostile = `<script>alert("x")</script>|*bold*` + "\x1b[31m"

func sample() *finding.Report {
	return &finding.Report{
		Tool: "seiri", Version: "v0.0.0-test", Snapshot: "20250601T000000Z",
		Rules: []finding.Rule{
			{ID: "SEIRI-ROOT-NO-MFA", Title: "Root user without MFA", Severity: finding.Critical,
				Description: "The root user has no MFA device.", Recommendation: "Enable MFA on the root user.",
				HelpURI: "https://docs.aws.amazon.com/IAM/latest/UserGuide/enable-mfa-for-root.html", Tags: []string{"security", "root"}},
			{ID: "SEIRI-KEY-UNUSED", Title: "Access key not used", Severity: finding.Medium,
				Description: "An active access key has not been used.", Recommendation: "Deactivate, then delete the key.", Tags: []string{"credentials"}},
			{ID: "SEIRI-GROUP-EMPTY", Title: "Group without members", Severity: finding.Low,
				Description: "The group has no members.", Recommendation: "Delete the group.", Tags: []string{"groups"}},
			{ID: "SEIRI-NOT-FIRED", Title: "A rule with no findings", Severity: finding.Info},
		},
		Findings: []finding.Finding{
			{RuleID: "SEIRI-KEY-UNUSED", Severity: finding.Medium, Account: "222222222222", Resource: "arn:aws:iam::222222222222:user/zed",
				Title: "Access key AKIAZED of zed never used (created 400 days ago)", Recommendation: "Deactivate, then delete the key.",
				Evidence: []finding.Evidence{{Name: "access_key_id", Value: "AKIAZED"}, {Name: "created", Value: "2024-04-27T00:00:00Z (400 days ago)"}}},
			{RuleID: "SEIRI-GROUP-EMPTY", Severity: finding.Low, Account: "111111111111", Resource: "arn:aws:iam::111111111111:group/" + hostile,
				Title: "Group " + hostile + " has no members", Recommendation: "Delete the group.",
				Evidence: []finding.Evidence{{Name: "members", Value: "0"}, {Name: "tag", Value: `=HYPERLINK("http://evil")`}}},
			{RuleID: "SEIRI-ROOT-NO-MFA", Severity: finding.Critical, Account: "111111111111", Resource: "arn:aws:iam::111111111111:root",
				Title: "Root user has no MFA", Recommendation: "Enable MFA on the root user.",
				Evidence: []finding.Evidence{{Name: "mfa_active (credential report)", Value: "false"}}},
			{RuleID: "SEIRI-KEY-UNUSED", Severity: finding.Medium, Account: "111111111111", Resource: "arn:aws:iam::111111111111:user/amy",
				Title: "Access key AKIAAMY of amy not used for 120 days", Recommendation: "Deactivate, then delete the key.",
				Evidence: []finding.Evidence{{Name: "last_used (GetAccessKeyLastUsed)", Value: "2025-02-01T00:00:00Z (120 days ago)"}}},
		},
	}
}

var goldenExt = map[string]string{"table": "txt", "json": "json", "csv": "csv", "sarif": "sarif", "markdown": "md", "html": "html"}

func TestRenderGolden(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, format, sample()); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "golden", "report."+goldenExt[format]), buf.Bytes())
		})
	}
	t.Run("summary", func(t *testing.T) {
		var buf bytes.Buffer
		if err := Summary(&buf, sample()); err != nil {
			t.Fatal(err)
		}
		golden(t, filepath.Join("testdata", "golden", "summary.txt"), buf.Bytes())
	})
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got; go test -update rewrites):\n%s", path, diff)
	}
}

func TestEmptyReport(t *testing.T) {
	empty := &finding.Report{Tool: "seiri", Version: "v"}
	for _, format := range Formats {
		var buf bytes.Buffer
		if err := Render(&buf, format, empty); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if buf.Len() == 0 {
			t.Errorf("%s: empty output", format)
		}
	}
	var buf bytes.Buffer
	Render(&buf, "json", empty)
	var back map[string]any
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if f, ok := back["findings"].([]any); !ok || len(f) != 0 {
		t.Errorf("findings = %#v, want []", back["findings"])
	}
}

func TestUnknownFormat(t *testing.T) {
	err := Render(&bytes.Buffer{}, "xml", sample())
	if err == nil || !strings.Contains(err.Error(), `unknown output format "xml"`) {
		t.Errorf("err = %v", err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, "json", sample()); err != nil {
		t.Fatal(err)
	}
	var back finding.Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(*sample(), back); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, "csv", sample()); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(csvHeader, recs[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if len(recs) != 1+len(sample().Findings) {
		t.Fatalf("%d rows", len(recs))
	}
	// Rows follow the table order: critical first.
	if recs[1][1] != "SEIRI-ROOT-NO-MFA" || recs[1][5] != "mfa_active (credential report)=false" {
		t.Errorf("row 1 = %q", recs[1])
	}
	last := recs[len(recs)-1]
	if last[1] != "SEIRI-GROUP-EMPTY" || last[5] != `members=0; tag==HYPERLINK("http://evil")` || strings.Contains(last[3], "\x1b") {
		t.Errorf("last row = %q", last)
	}
	for _, c := range []struct{ in, want string }{{"=1+1", "'=1+1"}, {"-2", "'-2"}, {"@x", "'@x"}, {"+x", "'+x"}, {"arn:aws", "arn:aws"}, {"", ""}} {
		if got := cell(c.in); got != c.want {
			t.Errorf("cell(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestHTMLEscapesAWSStrings(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, "html", sample()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "<script>") || strings.Contains(out, `alert("x")`) {
		t.Errorf("unescaped markup in HTML output")
	}
	if !strings.Contains(out, "&lt;script&gt;") {
		t.Errorf("escaped name missing")
	}
}

func TestMarkdownAndTableEscape(t *testing.T) {
	for _, format := range []string{"markdown", "table"} {
		var buf bytes.Buffer
		if err := Render(&buf, format, sample()); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.Contains(out, "\x1b") {
			t.Errorf("%s: raw escape character in output", format)
		}
		if format == "markdown" && (strings.Contains(out, "<script>") || strings.Contains(out, "</script>|")) {
			t.Errorf("markdown: raw HTML or table pipe from a name")
		}
	}
	if got := printable("a\u202eb\nc"); got != `a\u202eb\u000ac` {
		t.Errorf("printable = %q", got)
	}
}

// TestSARIFSchema validates the SARIF output against the SARIF 2.1.0 JSON
// schema and GitHub code scanning's upload rules, for the sample, an empty
// report and a report with a hostile name and a file location.
func TestSARIFSchema(t *testing.T) {
	withFile := sample()
	withFile.Findings = append(withFile.Findings, finding.Finding{RuleID: "SEIRI-GROUP-EMPTY", Severity: finding.Low,
		Account: "111111111111", Title: "in a file", Location: &finding.Location{File: `org dir\org.yaml`, Line: 12}})
	for name, rep := range map[string]*finding.Report{"sample": sample(), "empty": {Tool: "seiri"}, "file": withFile} {
		var buf bytes.Buffer
		if err := Render(&buf, "sarif", rep); err != nil {
			t.Fatal(err)
		}
		if err := sariftest.Check(buf.Bytes()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestSARIFSchemaRejects makes sure the validator can fail: a log without
// a version, a result without a location and a rule without
// security-severity are each refused.
func TestSARIFSchemaRejects(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, "sarif", sample()); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(m map[string]any){
		"no version":  func(m map[string]any) { delete(m, "version") },
		"bad level":   func(m map[string]any) { firstResult(m)["level"] = "fatal" },
		"no location": func(m map[string]any) { firstResult(m)["locations"] = []any{} },
		"no fingerprint": func(m map[string]any) {
			delete(firstResult(m), "partialFingerprints")
		},
		"no severity": func(m map[string]any) {
			ru := m["runs"].([]any)[0].(map[string]any)["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any)[0].(map[string]any)
			delete(ru["properties"].(map[string]any), "security-severity")
		},
	} {
		var m map[string]any
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		mutate(m)
		data, _ := json.Marshal(m)
		if err := sariftest.Check(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func firstResult(m map[string]any) map[string]any {
	return m["runs"].([]any)[0].(map[string]any)["results"].([]any)[0].(map[string]any)
}

// TestFingerprintStable: the fingerprint does not move when the title,
// dates, ages or counts of a finding change (the next day's run), and does
// when the subject does (another key of the same user, another account).
func TestFingerprintStable(t *testing.T) {
	base := finding.Finding{RuleID: "SEIRI-KEY-UNUSED", Severity: finding.Medium, Account: "111111111111",
		Resource: "arn:aws:iam::111111111111:user/amy", Title: "Access key AKIAAMY of amy not used for 120 days",
		Evidence: []finding.Evidence{{Name: "access_key_id", Value: "AKIAAMY"}, {Name: "last_used (GetAccessKeyLastUsed)", Value: "2025-02-01T00:00:00Z (120 days ago)"}}}
	nextDay := base
	nextDay.Title = "Access key AKIAAMY of amy not used for 121 days"
	nextDay.Severity = finding.High
	nextDay.Evidence = []finding.Evidence{{Name: "last_used (GetAccessKeyLastUsed)", Value: "2025-02-01T00:00:00Z (121 days ago)"}, {Name: "access_key_id", Value: "AKIAAMY"}, {Name: "threshold", Value: "90 days"}}
	if fingerprint(base) != fingerprint(nextDay) {
		t.Errorf("fingerprint changed with the title/ages: %s vs %s", fingerprint(base), fingerprint(nextDay))
	}
	otherKey := base
	otherKey.Evidence = []finding.Evidence{{Name: "access_key_id", Value: "AKIAAMY2"}}
	otherAcct := base
	otherAcct.Account = "222222222222"
	otherRule := base
	otherRule.RuleID = "SEIRI-KEY-OLD"
	for name, f := range map[string]finding.Finding{"other key": otherKey, "other account": otherAcct, "other rule": otherRule} {
		if fingerprint(f) == fingerprint(base) {
			t.Errorf("%s: same fingerprint", name)
		}
	}
}

func TestStandInURI(t *testing.T) {
	for _, c := range []struct{ account, resource, want string }{
		{"111111111111", "arn:aws:iam::111111111111:user/ops/amy", "aws/111111111111/iam/user/ops/amy"},
		{"111111111111", "arn:aws:iam::111111111111:root", "aws/111111111111/iam/root"},
		{"111111111111", "arn:aws:s3:::my-bucket", "aws/111111111111/s3/my-bucket"},
		{"", "arn:aws:sqs:eu-west-1:222222222222:queue", "aws/222222222222/sqs/queue"},
		{"333333333333", "", "aws/333333333333"},
		{"", "", "aws/unknown-account"},
		{"111111111111", "arn:aws:iam::111111111111:group/a b/<x>/..", "aws/111111111111/iam/group/a%20b/%3Cx%3E/%2E%2E"},
	} {
		if got := StandInURI(c.account, c.resource); got != c.want {
			t.Errorf("StandInURI(%q, %q) = %q, want %q", c.account, c.resource, got, c.want)
		}
	}
}

// A file location's URI is relative to the working directory when the file
// is inside it (code scanning resolves it against the repository root),
// otherwise an absolute file:// URI; never a "../" path.
func TestRelPathAndFileURI(t *testing.T) {
	for _, c := range []struct{ dir, path, rel, uri string }{
		{"/repo", "/repo/infra/org.yaml", "infra/org.yaml", "infra/org.yaml"},
		{"/repo", "infra/policies/a b.json", "infra/policies/a b.json", "infra/policies/a%20b.json"},
		{"/repo", "./infra/../org.yaml", "org.yaml", "org.yaml"},
		{"/repo", "/elsewhere/org.yaml", "/elsewhere/org.yaml", "file:///elsewhere/org.yaml"},
		{"/repo", "../org.yaml", "/org.yaml", "file:///org.yaml"},
		{"", "infra/org.yaml", "infra/org.yaml", "infra/org.yaml"},
	} {
		rel := RelPath(c.dir, c.path)
		if rel != c.rel {
			t.Errorf("RelPath(%q, %q) = %q, want %q", c.dir, c.path, rel, c.rel)
		}
		if u := fileURI(rel); u != c.uri {
			t.Errorf("fileURI(%q) = %q, want %q", rel, u, c.uri)
		}
	}
}

// A validation finding in a file: line and column, its JSON path as the
// logical location, and a fingerprint that ignores the line but not the
// path or the file.
func TestSARIFFileLocation(t *testing.T) {
	rep := ValidationReport()
	ru := ValidationRule("STATEMENT_MISSING_EFFECT", "error")
	AddRule(rep, ru)
	AddRule(rep, ru)
	f := finding.Finding{RuleID: ru.ID, Severity: ru.Severity, Title: "statement has no Effect",
		Location: &finding.Location{File: "p.json", Line: 3, Column: 5, Path: "$.Statement[0]"}}
	rep.Findings = append(rep.Findings, f)
	var buf bytes.Buffer
	if err := Render(&buf, "sarif", rep); err != nil {
		t.Fatal(err)
	}
	if err := sariftest.Check(buf.Bytes()); err != nil {
		t.Error(err)
	}
	if len(rep.Rules) != 1 {
		t.Errorf("AddRule added a rule twice: %d rules", len(rep.Rules))
	}
	for _, want := range []string{`"startLine": 3`, `"startColumn": 5`, `"fullyQualifiedName": "$.Statement[0]"`, `"kind": "element"`, `"uri": "p.json"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("SARIF lacks %s:\n%s", want, buf.String())
		}
	}
	moved := f
	moved.Location = &finding.Location{File: "p.json", Line: 9, Column: 1, Path: "$.Statement[0]"}
	if fingerprint(f) != fingerprint(moved) {
		t.Errorf("fingerprint moved with the line")
	}
	for name, g := range map[string]finding.Location{"other path": {File: "p.json", Path: "$.Statement[1]"}, "other file": {File: "q.json", Path: "$.Statement[0]"}} {
		o := f
		o.Location = &g
		if fingerprint(o) == fingerprint(f) {
			t.Errorf("%s: same fingerprint", name)
		}
	}
}

// The short form of a terminal: the summary, the counts by account, then
// the top findings, most severe first, one line each within 120 columns.
func TestShortGolden(t *testing.T) {
	rep := sample()
	for i := range 12 {
		rep.Findings = append(rep.Findings, finding.Finding{RuleID: "SEIRI-GROUP-EMPTY", Severity: finding.Low, Account: "333333333333",
			Resource: "arn:aws:iam::333333333333:group/g" + strings.Repeat("x", i), Title: "Group g" + strings.Repeat("x", i*9) + " has no members"})
	}
	var buf bytes.Buffer
	if err := Short(&buf, rep); err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(buf.String(), "\n") {
		if n := len([]rune(l)); n > 120 {
			t.Errorf("line %d is %d columns: %q", i+1, n, l)
		}
	}
	path := filepath.Join("testdata", "golden", "short.txt")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("short form (-want +got):\n%s", diff)
	}
	if !strings.Contains(buf.String(), "Top findings (10 of 16") {
		t.Errorf("the top is not cut at 10:\n%s", buf.String())
	}
}
