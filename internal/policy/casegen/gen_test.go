package casegen

import (
	"bytes"
	"errors"
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

// Without the harness's npm dependencies the evaluator is reported missing,
// with the command that installs it.
func TestEvaluatorReadyMissing(t *testing.T) {
	err := EvaluatorReady(t.TempDir())
	if err == nil || !errors.Is(err, ErrNoEvaluator) {
		t.Fatalf("EvaluatorReady on an empty folder: %v", err)
	}
}
