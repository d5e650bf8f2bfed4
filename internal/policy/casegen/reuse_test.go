package casegen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/seiri-dev/seiri/internal/policy"
)

// Simulate reuses memory case after case (decoder arenas, the compile
// arena of uncached policies, line buffers) and caches documents seen
// twice; RunCase decodes and compiles every line on fresh memory. Over
// generated cases, every document occurring three times (unseen, then
// compiled to be cached, then served from the cache), with one and with
// several workers, each result must be the one RunCase gives for the same
// line alone: a reused buffer that still backed an earlier case's policy
// or result would show here.
func TestSimulateReuseMatchesRunCase(t *testing.T) {
	one := New(11, nil).Generate(1000)
	data := bytes.Join([][]byte{one, one, one}, nil)
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	want := make([]policy.CaseResult, len(lines))
	for i, l := range lines {
		want[i] = policy.RunCase(l, i+1, nil)
	}
	for _, workers := range []int{1, 3} {
		policy.DropCachedPolicies()
		var got []policy.CaseResult
		err := policy.Simulate(bytes.NewReader(data), nil, workers, func(cr policy.CaseResult) error {
			got = append(got, cr)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d workers: %d results for %d lines", workers, len(got), len(want))
		}
		// Compare once every case has run: a result holding reused
		// memory would have been overwritten by then.
		for i := range want {
			if g, w := render(got[i]), render(want[i]); g != w {
				t.Errorf("%d workers, line %d:\n got  %s\n want %s", workers, i+1, g, w)
			}
		}
	}
}

func render(cr policy.CaseResult) string {
	errText := ""
	if cr.Err != nil {
		errText = cr.Err.Error()
	}
	reason, _ := json.Marshal(cr.Result.Explain())
	return fmt.Sprintf("id=%#v line=%d decision=%v expected=%q err=%q result=%+v reason=%s",
		cr.ID, cr.Line, cr.Decision, cr.Expected, errText, cr.Result, reason)
}
