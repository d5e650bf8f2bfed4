package report

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/finding"
)

func TestSavedFindingsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := SavedPath(dir, "20261130T120000Z")
	if want := filepath.Join(dir, "findings-20261130T120000Z.json"); path != want {
		t.Errorf("path %s, want %s", path, want)
	}
	rep := &finding.Report{Tool: "seiri", Version: "v1", Usage: "no CloudTrail usage store",
		Rules:    []finding.Rule{{ID: "SEIRI-ROOT-NO-MFA", Title: "Root user has no MFA", Severity: finding.Critical}},
		Findings: []finding.Finding{{RuleID: "SEIRI-ROOT-NO-MFA", Severity: finding.Critical, Account: "555555555555", Resource: "arn:aws:iam::555555555555:root", Title: "Root user has no MFA", Evidence: []finding.Evidence{{Name: "mfa", Value: "false"}}}}}
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	if err := SaveFindings(path, Saved{Snapshot: "20261130T120000Z", SavedAt: at, By: "seiri report", Report: rep}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("saved file: %v %v", fi, err)
	}
	got, err := LoadSaved(path, "20261130T120000Z")
	if err != nil {
		t.Fatal(err)
	}
	want := &Saved{SchemaVersion: SavedVersion, Snapshot: "20261130T120000Z", SavedAt: at, By: "seiri report", Report: rep}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLoadSavedRefuses(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadSaved(filepath.Join(dir, "absent.json"), "s"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("absent: %v, want fs.ErrNotExist", err)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"bad-json", `{"schemaVersion":`, "unexpected end of JSON input"},
		{"version", `{"schemaVersion":2,"snapshot":"s","report":{}}`, "schema version 2, want 1"},
		{"other-snapshot", `{"schemaVersion":1,"snapshot":"t","report":{}}`, `holds the findings of snapshot "t", not "s"`},
		{"no-report", `{"schemaVersion":1,"snapshot":"s"}`, "no report"},
		{"bad-severity", `{"schemaVersion":1,"snapshot":"s","report":{"findings":[{"severity":"dire"}]}}`, "dire"},
	} {
		p := filepath.Join(dir, tc.name+".json")
		if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadSaved(p, "s")
		if err == nil || !strings.HasPrefix(err.Error(), p+": ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %s and %q", tc.name, err, p, tc.want)
		}
	}
}
