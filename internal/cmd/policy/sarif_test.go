package policy

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/report/sariftest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// driverVersion is the build's version in a SARIF log: it changes with
// every commit, so goldens hold a placeholder.
var driverVersion = regexp.MustCompile(`("version": )"[^"]*"(,\n\s*"informationUri")`)

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	cmdtest.Golden(t, name, "", string(got), *update, cmdtest.Mask{RE: driverVersion, Repl: `$1"VERSION"$2`})
}

// sarifResult is what a test reads of a SARIF result.
type sarifResult struct {
	RuleID    string `json:"ruleId"`
	Locations []struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region struct {
				StartLine   int `json:"startLine"`
				StartColumn int `json:"startColumn"`
			} `json:"region"`
		} `json:"physicalLocation"`
		LogicalLocations []struct {
			FullyQualifiedName string `json:"fullyQualifiedName"`
		} `json:"logicalLocations"`
	} `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
}

func sarifResults(t *testing.T, data []byte) []sarifResult {
	t.Helper()
	var log struct {
		Runs []struct {
			Results []sarifResult `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &log); err != nil || len(log.Runs) != 1 {
		t.Fatalf("not a SARIF log with one run: %v\n%s", err, data)
	}
	return log.Runs[0].Results
}

// Issue 18: policy validate's SARIF points at the policy file (relative to
// the working directory), the line and column of the element at fault, and
// its JSON path; the log passes the SARIF 2.1.0 schema and GitHub's rules.
func TestPolicyValidateSARIF(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "policies"), 0o700); err != nil {
		t.Fatal(err)
	}
	doc := `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadReports",
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:FlyToTheMoon"],
      "Resource": "arn:aws:s3:reports/*"
    },
    {
      "Effect": "Allow",
      "Action": "*",
      "Resource": "*"
    }
  ]
}
`
	file := filepath.Join(dir, "policies", "reports.json")
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	io, out, errOut := policyTestIO("")
	err := policyValidateRun(&PolicyValidateOptions{IO: io, WorkDir: func() (string, error) { return dir, nil }, Catalog: embedded,
		File: file, Type: "identity", FailOn: "error", Output: "sarif"})
	if code := policyExitCode(err); code != 1 {
		t.Fatalf("exit %d (%v), want 1 (errors found)\n%s", code, err, errOut)
	}
	if err := sariftest.Check(out.Bytes()); err != nil {
		t.Error(err)
	}
	got := map[string]string{}
	for _, r := range sarifResults(t, out.Bytes()) {
		l := r.Locations[0]
		got[r.RuleID] = l.PhysicalLocation.ArtifactLocation.URI + ":" + itoa(l.PhysicalLocation.Region.StartLine) + ":" + itoa(l.PhysicalLocation.Region.StartColumn) + " " + l.LogicalLocations[0].FullyQualifiedName
	}
	want := map[string]string{
		"ACTION_NOT_FOUND":       "policies/reports.json:7:34 $.Statement[0].Action[1]",
		"RESOURCE_ARN_MALFORMED": "policies/reports.json:8:19 $.Statement[0].Resource",
		"SECURITY_ALLOW_ALL":     "policies/reports.json:10:5 $.Statement[1]",
	}
	for code, w := range want {
		if got[code] != w {
			t.Errorf("%s at %q, want %q", code, got[code], w)
		}
	}
	golden(t, "validate.sarif", out.Bytes())
}

// A policy read from standard input has no path: its location is the
// documented stand-in "stdin" (with a description), line and column kept.
func TestPolicyValidateSARIFStdin(t *testing.T) {
	io, out, _ := policyTestIO("{\"Version\":\"2012-10-17\",\n\"Statement\":[{\"Action\":\"s3:*\",\"Resource\":\"*\"}]}")
	err := policyValidateRun(&PolicyValidateOptions{IO: io, WorkDir: os.Getwd, File: "-", Type: "identity", FailOn: "none", Output: "sarif"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sariftest.Check(out.Bytes()); err != nil {
		t.Error(err)
	}
	rs := sarifResults(t, out.Bytes())
	if len(rs) != 1 || rs[0].RuleID != "STATEMENT_MISSING_EFFECT" {
		t.Fatalf("results: %+v", rs)
	}
	if l := rs[0].Locations[0].PhysicalLocation; l.ArtifactLocation.URI != "stdin" || l.Region.StartLine != 2 {
		t.Errorf("location %+v, want stdin line 2", l)
	}
}

// The fingerprint of an issue does not move when lines are added above it
// (GitHub keeps one alert), and differs between two issues.
func TestPolicyValidateSARIFFingerprints(t *testing.T) {
	dir := t.TempDir()
	run := func(doc string) []sarifResult {
		file := filepath.Join(dir, "p.json")
		if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		io, out, _ := policyTestIO("")
		if err := policyValidateRun(&PolicyValidateOptions{IO: io, WorkDir: func() (string, error) { return dir, nil }, Catalog: embedded,
			File: file, Type: "identity", FailOn: "none", Output: "sarif"}); err != nil {
			t.Fatal(err)
		}
		return sarifResults(t, out.Bytes())
	}
	a := run(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"s3:FlyToTheMoon","Resource":"*"}]}`)
	b := run("\n\n\n" + `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"s3:FlyToTheMoon","Resource":"*"}]}`)
	if len(a) < 2 || len(b) != len(a) {
		t.Fatalf("want the same results, at least 2: %d, %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Locations[0].PhysicalLocation.Region.StartLine == b[i].Locations[0].PhysicalLocation.Region.StartLine {
			t.Errorf("result %d: the line did not move: the test proves nothing", i)
		}
		if !cmp.Equal(a[i].PartialFingerprints, b[i].PartialFingerprints) {
			t.Errorf("result %d: fingerprint moved with the line: %v vs %v", i, a[i].PartialFingerprints, b[i].PartialFingerprints)
		}
	}
	seen := map[string]string{}
	for _, r := range a {
		fp := r.PartialFingerprints["seiriFindingId/v1"]
		if prev, dup := seen[fp]; dup || fp == "" {
			t.Errorf("%s and %s share fingerprint %q", prev, r.RuleID, fp)
		}
		seen[fp] = r.RuleID
	}
}

func embedded() (policy.Catalog, error) { return catalog.Embedded(), nil }

func itoa(i int) string { return strconv.Itoa(i) }
