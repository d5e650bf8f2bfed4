package org

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/report/sariftest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

var driverVersion = regexp.MustCompile(`("version": )"[^"]*"(,\n\s*"informationUri")`)

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	cmdtest.Golden(t, name, "", string(got), *update, cmdtest.Mask{RE: driverVersion, Repl: `$1"VERSION"$2`})
}

// Issue 18: org validate --output sarif places each problem in its file
// relative to the working directory: a problem of org.yaml at its line and
// column with its YAML path, a problem of a policy file that org.yaml
// names at the statement's line and column in that file. The log passes
// the SARIF 2.1.0 schema and GitHub code scanning's rules; the exit code
// stays 2 (the spec has problems).
func TestOrgValidateSARIF(t *testing.T) {
	dir := orgDir(t)
	if _, errOut, code := runOrg(t, dir, "org", "init", "--out", "infra/org.yaml"); code != 0 {
		t.Fatalf("init: %d %s", code, errOut)
	}
	if err := os.MkdirAll(filepath.Join(dir, "infra", "policies"), 0o700); err != nil {
		t.Fatal(err)
	}
	pol := `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "NoMoonTrips",
      "Effect": "Deny",
      "Action": "ec2:FlyToTheMoon",
      "Resource": "*"
    }
  ]
}
`
	if err := os.WriteFile(filepath.Join(dir, "infra", "policies", "deny-moon.json"), []byte(pol), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "infra", "org.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec := strings.Replace(string(data), `"deny-root-user", `, `"deny-root-usr", `, 1)
	spec = strings.Replace(spec, "\npolicies:\n", "\npolicies:\n  - name: deny-moon\n    file: policies/deny-moon.json\n", 1)
	spec = strings.Replace(spec, `policies: ["FullAWSAccess", "require-imdsv2"]`, `policies: ["FullAWSAccess", "require-imdsv2", "deny-moon"]`, 1)
	if spec == string(data) || !strings.Contains(spec, "deny-moon.json") {
		t.Fatal("the spec edit did not apply")
	}
	if err := os.WriteFile(filepath.Join(dir, "infra", "org.yaml"), []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runOrg(t, dir, "-o", "sarif", "org", "validate", "infra/org.yaml")
	if code != cmdutil.ExitUsage {
		t.Fatalf("exit %d, want 2\n%s", code, errOut)
	}
	if err := sariftest.Check([]byte(out)); err != nil {
		t.Error(err)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
						Region           struct{ StartLine, StartColumn int }
					} `json:"physicalLocation"`
					LogicalLocations []struct{ FullyQualifiedName string } `json:"logicalLocations"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil || len(log.Runs) != 1 {
		t.Fatalf("%v\n%s", err, out)
	}
	var got []string
	for _, r := range log.Runs[0].Results {
		l := r.Locations[0]
		got = append(got, r.RuleID+" "+l.PhysicalLocation.ArtifactLocation.URI+" "+itoa(l.PhysicalLocation.Region.StartLine)+":"+itoa(l.PhysicalLocation.Region.StartColumn)+" "+l.LogicalLocations[0].FullyQualifiedName)
	}
	want := []string{
		"org.spec infra/org.yaml 8:58 $.root.policies[2]",
		"ACTION_NOT_FOUND infra/policies/deny-moon.json 7:17 $.Statement[0].Action",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	golden(t, "validate.sarif", []byte(out))
}

func itoa(i int) string { return strconv.Itoa(i) }

// A spec that does not parse is one org.spec result at the line and column
// of the syntax error (exit 2); a spec that cannot be read writes no log.
func TestOrgValidateSARIFParseError(t *testing.T) {
	dir := orgDir(t)
	if err := os.WriteFile(filepath.Join(dir, "org.yaml"), []byte("version: 1\nroot:\n  policies: [\"FullAWSAccess\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runOrg(t, dir, "-o", "sarif", "org", "validate")
	if code != cmdutil.ExitUsage {
		t.Fatalf("exit %d, want 2\n%s", code, errOut)
	}
	if err := sariftest.Check([]byte(out)); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, `"uri": "org.yaml"`) || !strings.Contains(out, `"startLine": 3`) || !strings.Contains(out, `"ruleId": "org.spec"`) {
		t.Errorf("want one org.spec result at org.yaml line 3:\n%s", out)
	}
	out, _, code = runOrg(t, dir, "-o", "sarif", "org", "validate", "missing.yaml")
	if code != cmdutil.ExitUsage || out != "" {
		t.Errorf("unreadable spec: exit %d, stdout %q", code, out)
	}
}
