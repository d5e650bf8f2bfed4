package policy

import (
	"os"
	"testing"
)

// TestSamples runs every case of the shared sample file and checks the
// expected decision.
func TestSamples(t *testing.T) {
	f, err := os.Open("testdata/policy-cases-sample.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	err = Simulate(f, nil, 2, func(cr CaseResult) error {
		n++
		if cr.Err != nil {
			t.Errorf("%v: error %v", cr.ID, cr.Err)
			return nil
		}
		if cr.Expected != "" && cr.Decision.String() != cr.Expected {
			t.Errorf("%v: got %s (%+v), want %s", cr.ID, cr.Decision, cr.Result, cr.Expected)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 40 {
		t.Errorf("ran %d cases, want 40", n)
	}
}
