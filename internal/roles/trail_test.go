package roles_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/roles"
	"github.com/seiri-dev/seiri/internal/trail"
)

// TestDemoTrailGivesSameSuggestions generates the demo's CloudTrail logs,
// scans them with the real scanner, and checks the suggestions drawn from
// the scanned usage equal those drawn from the demo's usage rows.
func TestDemoTrailGivesSameSuggestions(t *testing.T) {
	org := demo.Generate(demoNow, demo.Seed)
	dir := t.TempDir()
	if _, err := org.WriteTrail(dir); err != nil {
		t.Fatal(err)
	}
	res, err := trail.Scan(context.Background(), &trail.DirSource{Dir: dir}, trail.Options{Mapper: &trail.Mapper{}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Unmapped != 0 {
		t.Errorf("%d unmapped events", res.Summary.Unmapped)
	}
	want := map[string]string{}
	for u, s := range demoSuggestions(t) {
		if s.Kind != roles.KindUnusedKey {
			want[u] = s.Kind
		}
	}
	got := map[string]string{}
	for _, a := range org.Accounts {
		ss, err := roles.Suggest(roles.Input{Account: a, Usage: res.Rows, Ranges: roles.EmbeddedRanges(), Catalog: catalog.Embedded()})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			if s.Kind != roles.KindUnusedKey {
				got[s.User] = s.Kind
			}
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("suggestions from scanned logs differ from the demo's usage (-usage +logs):\n%s", d)
	}
}
