package plan

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/diag"
)

type typedPlan struct {
	Org     string   `json:"organizationId"`
	Changes []string `json:"changes"`
}

func codes(err error) []string {
	var ds diag.Diagnostics
	if !errors.As(err, &ds) {
		return []string{"not a diagnostic: " + err.Error()}
	}
	return ds.Codes()
}

// One pair of functions writes and reads every plan file: a plan edited
// after review, a plan of another kind, a plan of another schema and a
// file that is not JSON are refused with a diagnostic naming the file.
func TestWriteReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "org-plan.json")
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	in := typedPlan{Org: "o-abc", Changes: []string{"create OU Sandbox", "delete OU Old"}}
	id, err := WriteFile(path, "org", "sha256:base1", at, in)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	var out typedPlan
	f, err := ReadFile(path, &out, "org")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if f.ID != id || f.Base != "sha256:base1" || !f.CreatedAt.Equal(at) || f.Kind != "org" {
		t.Errorf("file %+v", f)
	}
	if err := CheckBase(f.Base, "sha256:base1"); err != nil {
		t.Errorf("same base: %v", err)
	}
	err = CheckBase(f.Base, "sha256:base2")
	if !errors.Is(err, ErrStale) || cmp.Diff([]string{CodeStale}, codes(err)) != "" {
		t.Errorf("stale: %v %v", err, codes(err))
	}

	if _, err := ReadFile(path, &out, "groups"); cmp.Diff([]string{CodeFileKind}, codes(err)) != "" {
		t.Errorf("other kind: %v", err)
	}
	b, _ := os.ReadFile(path)
	edit := func(old, new string) string {
		p := filepath.Join(dir, "edited.json")
		if !strings.Contains(string(b), old) {
			t.Fatalf("%q not in the file", old)
		}
		os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o600)
		return p
	}
	for name, tc := range map[string]struct{ old, new, code, path string }{
		"change edited":  {"delete OU Old", "delete OU Prod", CodeFileEdited, "$.plan"},
		"base edited":    {"sha256:base1", "sha256:base2", CodeFileEdited, "$.plan"},
		"schema":         {`"schema": 1`, `"schema": 2`, CodeFileSchema, "$.schema"},
		"not a plan":     {`"kind"`, `kind"`, CodeFileUnreadable, ""},
		"reformatted ok": {`"organizationId": "o-abc"`, `"organizationId":"o-abc"`, "", ""},
	} {
		p := edit(tc.old, tc.new)
		_, err := ReadFile(p, &out)
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		var ds diag.Diagnostics
		if !errors.As(err, &ds) || ds[0].Code != tc.code || ds[0].Subject.File != p || ds[0].Subject.Path != tc.path {
			t.Errorf("%s: %v (%+v)", name, err, ds)
		}
		if name == "not a plan" && (ds[0].Subject.Line != 4 || ds[0].Subject.Column == 0) {
			t.Errorf("syntax error position: %+v", ds[0].Subject)
		}
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.json"), &out); cmp.Diff([]string{CodeFileUnreadable}, codes(err)) != "" {
		t.Errorf("missing: %v", err)
	}
}
