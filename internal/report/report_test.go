package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/finding"
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

// TestSARIFRequired checks the SARIF output against the required properties
// and enums of the SARIF 2.1.0 schema (vendored in testdata), and that every
// result's ruleIndex points at its rule.
func TestSARIFRequired(t *testing.T) {
	var spec struct {
		Required map[string][]string   `json:"required"`
		AnyOf    map[string][][]string `json:"anyOf"`
		Enums    map[string][]string   `json:"enums"`
	}
	data, err := os.ReadFile("testdata/sarif-2.1.0-required.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	for _, rep := range []*finding.Report{sample(), {Tool: "seiri"}} {
		var buf bytes.Buffer
		if err := Render(&buf, "sarif", rep); err != nil {
			t.Fatal(err)
		}
		var log map[string]any
		if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
			t.Fatal(err)
		}
		c := sarifChecker{t: t, required: spec.Required, anyOf: spec.AnyOf}
		c.obj("$", "sarifLog", log)
		c.enum(spec.Enums["sarifLog.version"], log["version"], "$.version")
		if _, ok := log["$schema"].(string); !ok {
			t.Errorf("$schema missing")
		}
		for _, run := range list(log["runs"]) {
			run := run.(map[string]any)
			c.obj("run", "run", run)
			tool := run["tool"].(map[string]any)
			c.obj("tool", "tool", tool)
			drv := tool["driver"].(map[string]any)
			c.obj("driver", "toolComponent", drv)
			for _, k := range []string{"version", "informationUri", "rules"} {
				if _, ok := drv[k]; !ok {
					t.Errorf("driver.%s missing", k)
				}
			}
			rules := list(drv["rules"])
			var ids []string
			for _, ru := range rules {
				ru := ru.(map[string]any)
				c.obj("rule", "reportingDescriptor", ru)
				ids = append(ids, ru["id"].(string))
				for _, k := range []string{"shortDescription", "fullDescription", "help"} {
					c.obj("rule."+k, "multiformatMessageString", ru[k].(map[string]any))
				}
				cfg := ru["defaultConfiguration"].(map[string]any)
				c.obj("rule.defaultConfiguration", "reportingConfiguration", cfg)
				c.enum(spec.Enums["reportingConfiguration.level"], cfg["level"], "rule.defaultConfiguration.level")
				props := ru["properties"].(map[string]any)
				if _, ok := props["tags"].([]any); !ok {
					t.Errorf("rule %v: properties.tags missing", ru["id"])
				}
				if ru["name"] == nil {
					t.Errorf("rule %v: name missing", ru["id"])
				}
			}
			if len(ids) != len(rep.Rules) {
				t.Errorf("%d rules in SARIF, want %d", len(ids), len(rep.Rules))
			}
			results := list(run["results"])
			if len(results) != len(rep.Findings) {
				t.Errorf("%d results, want %d", len(results), len(rep.Findings))
			}
			for _, res := range results {
				res := res.(map[string]any)
				c.obj("result", "result", res)
				c.obj("result.message", "message", res["message"].(map[string]any))
				c.enum(spec.Enums["result.level"], res["level"], "result.level")
				i := int(res["ruleIndex"].(float64))
				if i < 0 || i >= len(ids) || ids[i] != res["ruleId"] {
					t.Errorf("result ruleIndex %d does not point at %v", i, res["ruleId"])
				}
				for _, loc := range list(res["locations"]) {
					loc := loc.(map[string]any)
					c.obj("location", "location", loc)
					for _, ll := range list(loc["logicalLocations"]) {
						ll := ll.(map[string]any)
						c.obj("logicalLocation", "logicalLocation", ll)
						if ll["kind"] != "resource" || !strings.HasPrefix(ll["fullyQualifiedName"].(string), "arn:") {
							t.Errorf("logical location = %v", ll)
						}
					}
				}
				props := res["properties"].(map[string]any)
				for _, k := range []string{"account", "evidence", "severity"} {
					if _, ok := props[k]; !ok {
						t.Errorf("result.properties.%s missing", k)
					}
				}
			}
		}
	}
}

type sarifChecker struct {
	t        *testing.T
	required map[string][]string
	anyOf    map[string][][]string
}

func (c sarifChecker) obj(where, def string, o map[string]any) {
	c.t.Helper()
	req, ok := c.required[def]
	alts, okAny := c.anyOf[def]
	if !ok && !okAny {
		c.t.Fatalf("no schema entry for %s", def)
	}
	for _, k := range req {
		if _, ok := o[k]; !ok {
			c.t.Errorf("%s (%s): required property %q missing", where, def, k)
		}
	}
	if okAny {
		found := false
		for _, alt := range alts {
			all := true
			for _, k := range alt {
				if _, ok := o[k]; !ok {
					all = false
				}
			}
			found = found || all
		}
		if !found {
			c.t.Errorf("%s (%s): none of %v present", where, def, alts)
		}
	}
}

func (c sarifChecker) enum(allowed []string, v any, where string) {
	c.t.Helper()
	s, _ := v.(string)
	if !slices.Contains(allowed, s) {
		c.t.Errorf("%s = %v, want one of %v", where, v, allowed)
	}
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}
