package unused

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// checkEscalationMarks: the demo's release-automation role can pass the
// administrator lambda-ops-admin role to a new function and invoke it
// (internal/risk); those unused permissions come first and are marked, in
// JSON and in the table (golden testdata/unused-escalation.golden).
func checkEscalationMarks(t *testing.T, ws string) {
	t.Helper()
	const role = "arn:aws:iam::555555555555:role/release-automation"
	out, errOut, code := runUnused(t, "--workspace", ws, "unused", "--principal", role, "-o", "json")
	if code != 0 {
		t.Fatalf("unused exit %d: %s", code, errOut)
	}
	var got struct {
		Actions []struct {
			Action    string `json:"action"`
			OpensPath bool   `json:"opensPath"`
		} `json:"unusedActions"`
		Opening int `json:"unusedOpeningPath"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	type av = struct {
		Action    string `json:"action"`
		OpensPath bool   `json:"opensPath"`
	}
	want := []av{{"lambda:CreateFunction", true}, {"iam:PassRole", true}, {"lambda:InvokeFunction", true}, {"lambda:UpdateFunctionConfiguration", false}}
	if diff := cmp.Diff(want, got.Actions); diff != "" || got.Opening != 3 {
		t.Errorf("unusedOpeningPath %d (want 3); actions (-want +got):\n%s", got.Opening, diff)
	}
	out, errOut, code = runUnused(t, "--workspace", ws, "unused", "--principal", role)
	if code != 0 {
		t.Fatalf("unused exit %d: %s", code, errOut)
	}
	path := filepath.Join("testdata", "unused-escalation.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	wantTable, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if diff := cmp.Diff(string(wantTable), out); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
