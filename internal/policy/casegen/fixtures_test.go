package casegen

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/seiri-dev/seiri/internal/policy"
)

const fixtures = "../testdata/iamsim/fixtures.jsonl"

// TestFixturesIamSimulate runs the independent evaluator's own test cases
// (transcribed into the case format, see testdata/iamsim/README.md)
// through seiri: seiri must give the answer the evaluator's authors
// expect, except on documented known differences. It needs no node.
func TestFixturesIamSimulate(t *testing.T) {
	data, err := os.ReadFile(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	lines := seiriResults(t, data)
	var res []policy.CaseResult
	if err := policy.Simulate(bytes.NewReader(data), nil, 1, func(cr policy.CaseResult) error {
		res = append(res, cr)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The expected answers stand in for the evaluator's verdicts.
	ev := make([]Verdict, len(lines))
	for i, l := range lines {
		var c struct {
			ID       string `json:"id"`
			Expected string `json:"expected"`
		}
		if err := json.Unmarshal(l, &c); err != nil {
			t.Fatal(err)
		}
		d := c.Expected
		ev[i] = Verdict{ID: c.ID, Decision: &d}
	}
	rep, err := Compare(lines, res, ev, KnownDifferences)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("iam-simulate fixtures against their expected answers:\n%s", rep)
	if rep.Compared() != rep.Cases {
		t.Errorf("%d fixtures not compared", rep.Cases-rep.Compared())
	}
	report(t, rep)
}

// TestFixturesEvaluatorAgrees checks the transcription: the evaluator
// gives its own expected answers on the converted fixtures.
func TestFixturesEvaluatorAgrees(t *testing.T) {
	dir := evaluatorOrSkip(t)
	abs, err := filepath.Abs(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	ev, _, err := RunEvaluator(dir, abs, false)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(fixtures)
	for i, l := range seiriResults(t, data) {
		var c struct{ Expected string }
		_ = json.Unmarshal(l, &c)
		if ev[i].Decision == nil || *ev[i].Decision != c.Expected {
			t.Errorf("%s: evaluator %v (%v), expected %s", ev[i].ID, deref(ev[i].Decision), deref(ev[i].Error), c.Expected)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
