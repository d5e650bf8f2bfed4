package trail

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestCoverageText(t *testing.T) {
	tests := []struct {
		records, mapped, notAuthz, unmapped int64
		want                                string
		ok                                  bool
	}{
		{0, 0, 0, 0, "no records", false},
		{3, 0, 3, 0, "no API calls to map (3 records, 3 of them sign-ins, service events or calls that need no permission)", false},
		{4, 3, 0, 1, "75.00%", true},
		{1, 0, 0, 1, "0.00%", true},
	}
	for _, tt := range tests {
		if got := CoverageText(tt.records, tt.mapped, tt.notAuthz, tt.unmapped); got != tt.want {
			t.Errorf("CoverageText(%d,%d,%d,%d) = %q, want %q", tt.records, tt.mapped, tt.notAuthz, tt.unmapped, got, tt.want)
		}
		if _, ok := MappingCoverage(tt.mapped, tt.unmapped); ok != tt.ok {
			t.Errorf("MappingCoverage(%d,%d) ok = %v, want %v", tt.mapped, tt.unmapped, ok, tt.ok)
		}
	}
}

// TestScanOfNothingHasNoCoverage: a scan that read no record reports no
// coverage figure (it used to report 100%).
func TestScanOfNothingHasNoCoverage(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "empty.json"), []byte(`{"Records":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := Scan(context.Background(), &DirSource{Dir: dir}, Options{Mapper: &Mapper{}})
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := res.Summary.MappingCoverage(); ok || c != 0 {
		t.Errorf("coverage %v ok=%v over 0 records", c, ok)
	}
	if got := res.Summary.CoverageText(); got != "no records" {
		t.Errorf("CoverageText %q", got)
	}
}

func TestKnownEventVersion(t *testing.T) {
	for v, want := range map[string]bool{"": true, "1.0": true, "1.05": true, "1.11": true, "1.12": true, "2.0": false, "1.": false, "1.x": false, "abc": false} {
		if got := knownEventVersion([]byte(v)); got != want {
			t.Errorf("knownEventVersion(%q) = %v, want %v", v, got, want)
		}
	}
}
