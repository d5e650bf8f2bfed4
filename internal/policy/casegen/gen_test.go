package casegen

import (
	"bytes"
	"testing"

	"github.com/seiri-dev/seiri/internal/policy"
)

// The generator is deterministic and every case it writes is a valid case
// for seiri.
func TestGenerateValidAndDeterministic(t *testing.T) {
	a := New(7, nil).Generate(300)
	b := New(7, nil).Generate(300)
	if !bytes.Equal(a, b) {
		t.Fatal("same seed, different output")
	}
	n := 0
	err := policy.Simulate(bytes.NewReader(a), nil, 2, func(cr policy.CaseResult) error {
		n++
		if cr.Err != nil {
			t.Errorf("case %v: %v", cr.ID, cr.Err)
		}
		return nil
	})
	if err != nil || n != 300 {
		t.Fatalf("simulate: %v, %d cases", err, n)
	}
}
