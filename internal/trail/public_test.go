package trail

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/seiri-dev/seiri/internal/catalog"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/public")

// TestPublicSamples maps CloudTrail records seiri did not write (AWS
// documentation examples, the flaws2.cloud public logs; see
// testdata/public/README.md) in the three layouts ScanLog reads, and
// compares the usage rows with a reviewed golden file.
func TestPublicSamples(t *testing.T) {
	files, err := filepath.Glob("testdata/public/*.json*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	sort.Strings(files)
	m := &Mapper{Catalog: catalog.Default()}
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		agg := newAggregator(m, nil)
		var rec Record
		skips := map[string]int{}
		n, err := ScanLog(data, &rec, func(r *Record) {
			if why := agg.add(r, ""); why != "" {
				skips[why]++
			}
		}, func(i int, why string) { skips[why]++ })
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		fmt.Fprintf(&b, "== %s: %d records, %d mapped, %d not authorization, %d unmapped, skipped %v, coverage %s\n",
			filepath.Base(f), n, agg.mapped, agg.notAuthz, agg.unmappedN, skips,
			CoverageText(agg.records, agg.mapped, agg.notAuthz, agg.unmappedN))
		for _, row := range agg.Rows() {
			k := row.Key
			fmt.Fprintf(&b, "%s %s | %s | %s | authz=%v count=%d sessions=%v\n", k.PrincipalType, k.Principal, k.Action, k.Resource, row.Authz, row.Count, row.Sessions)
		}
		for _, u := range agg.Unmapped() {
			fmt.Fprintf(&b, "unmapped %s %s x%d\n", u.EventSource, u.EventName, u.Count)
		}
	}
	golden := "testdata/public/rows.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("rows (-golden +got):\n%s", diff)
	}
}
