package org

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/diag"
	"github.com/seiri-dev/seiri/internal/plan"
)

// An organization plan saved for review is refused when edited afterwards.
func TestPlanFileEditedAfterReview(t *testing.T) {
	o := demoOrg(t)
	p := &Plan{Version: PlanVersion, Organization: o.ID, BaseFingerprint: Fingerprint(o), CreatedAt: now,
		Changes: []Change{&DeleteOU{Path: "Sandbox"}}}
	path := filepath.Join(t.TempDir(), "org-plan.json")
	if err := SavePlan(path, p); err != nil {
		t.Fatal(err)
	}
	back, err := LoadPlan(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := describe(back.Changes); len(got) != 1 || !strings.HasPrefix(got[0], "delete OU Sandbox") || back.BaseFingerprint != p.BaseFingerprint {
		t.Fatalf("loaded %v", got)
	}
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), `"Sandbox"`, `"Security"`, 1)), 0o600)
	_, err = LoadPlan(path)
	var ds diag.Diagnostics
	if !errors.As(err, &ds) || ds[0].Code != plan.CodeFileEdited || ds[0].Subject.File != path {
		t.Errorf("edited plan: %v", err)
	}
	// A plan file of another kind is not an organization plan.
	gp := plan.New("groups", now, "b", nil)
	other := filepath.Join(t.TempDir(), "groups.json")
	if err := gp.Save(other); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPlan(other); !errors.As(err, &ds) || ds[0].Code != plan.CodeFileKind {
		t.Errorf("groups plan read as org plan: %v", err)
	}
}
