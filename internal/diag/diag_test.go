package diag

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTextAndJSON(t *testing.T) {
	ds := Diagnostics{}.Append(
		Errorf("org.spec", "unknown policy %q", "regions").About(Subject{File: "org.yaml", Line: 12, Column: 5}).WithDetail("declared policies: deny-root"),
		Warningf("keys.coverage", "no trail in eu-west-3").About(Subject{Account: "111122223333"}),
		Notef("plan.resume", "resuming plan keys.disable-0123"),
		Errorf("plan.edited", "the plan file was edited").About(Subject{File: "p.json", Path: "$.changes[1]"}),
	)
	var b bytes.Buffer
	Text(&b, ds)
	want := `Error: unknown policy "regions" [org.spec]
  on org.yaml:12:5
  declared policies: deny-root
Warning: no trail in eu-west-3 [keys.coverage]
  on [111122223333]
Note: resuming plan keys.disable-0123 [plan.resume]
Error: the plan file was edited [plan.edited]
  on p.json $.changes[1]
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
	b.Reset()
	if err := json.NewEncoder(&b).Encode(ds); err != nil {
		t.Fatal(err)
	}
	var back Diagnostics
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	for i := range ds {
		ds[i].Exit = 0
	}
	if diff := cmp.Diff(ds, back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
}

func TestExitCodeAndErr(t *testing.T) {
	for _, tc := range []struct {
		ds   Diagnostics
		want int
	}{
		{nil, ExitOK},
		{Diagnostics{Warningf("w", "warn")}, ExitOK},
		{Diagnostics{Errorf("e", "bad input")}, ExitInput},
		{Diagnostics{Errorf("e", "x").WithExit(ExitPartial), Errorf("f", "y")}, ExitPartial},
		{Diagnostics{Errorf("e", "x").WithExit(ExitPartial), Errorf("f", "y").WithExit(ExitInternal)}, ExitInternal},
	} {
		if got := ExitCode(tc.ds); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.ds.Codes(), got, tc.want)
		}
		if (tc.ds.Err() != nil) != (tc.want != ExitOK) {
			t.Errorf("Err(%v) = %v", tc.ds.Codes(), tc.ds.Err())
		}
	}
	// Diagnostics survive wrapping as errors.
	err := fmt.Errorf("apply: %w", Diagnostics{Errorf("plan.stale", "stale")})
	var got Diagnostics
	if !errors.As(err, &got) || got[0].Code != "plan.stale" {
		t.Errorf("errors.As: %v", err)
	}
	if ds := (Diagnostics{}).Append(errors.New("disk full")); ds[0].Code != "error" || ds[0].Severity != Error {
		t.Errorf("plain error: %+v", ds)
	}
}
