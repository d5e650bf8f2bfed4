package apply

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/diag"
	"github.com/seiri-dev/seiri/internal/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// switches is an in-memory account of on/off switches: the executor of
// the flow's tests (the AWS executors are tested in iamexec and orgexec).
type switches struct {
	on    map[string]bool
	fail  map[string]bool
	calls int
}

func (s *switches) InEffect(_ context.Context, c plan.Change) (bool, error) {
	return !s.on[c.Target], nil
}

func (s *switches) Apply(_ context.Context, c plan.Change) (string, error) {
	if s.fail[c.Target] {
		return "", errors.New("AccessDenied: not allowed")
	}
	s.calls++
	s.on[c.Target] = false
	return "off", nil
}

func newPlan(targets ...string) *plan.Plan {
	var cs []plan.Change
	for _, t := range targets {
		cs = append(cs, plan.Change{Kind: "test:SwitchOff", Op: plan.Update, Account: "111111111111", Target: t, Description: "switch off " + t})
	}
	return plan.New("test", t0, "base-1", cs)
}

type env struct {
	dir string
	j   *plan.Journal
	s   *switches
	out bytes.Buffer
}

func newEnv(t *testing.T, on ...string) *env {
	dir := t.TempDir()
	e := &env{dir: dir, j: plan.OpenJournal(filepath.Join(dir, "journal.jsonl"), func() time.Time { return t0 }), s: &switches{on: map[string]bool{}, fail: map[string]bool{}}}
	for _, k := range on {
		e.s.on[k] = true
	}
	return e
}

func (e *env) flow(p *plan.Plan) Flow {
	return Flow{Plan: p, Executor: e.s, Journal: e.j, LockPath: filepath.Join(e.dir, "lock"), Operator: "arn:aws:iam::111111111111:user/op", Out: &e.out, Yes: true}
}

// golden compares the transcript (output, then the diagnostics and the exit
// code) with testdata/NAME.golden.
func golden(t *testing.T, name string, e *env, o *Outcome) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(strings.ReplaceAll(e.out.String(), e.dir, "$DIR"))
	b.WriteString("--- diagnostics\n")
	diag.Text(&b, o.Diags)
	fmt.Fprintf(&b, "--- exit %d\n", o.ExitCode())
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestRunAppliesAndRerunChangesNothing(t *testing.T) {
	e := newEnv(t, "a", "b")
	p := newPlan("a", "b")
	o := Run(context.Background(), e.flow(p))
	golden(t, "applied", e, o)
	if !o.Applied || o.Result.Applied != 2 || e.s.calls != 2 {
		t.Fatalf("outcome %+v", o)
	}
	e.out.Reset()
	o = Run(context.Background(), e.flow(p))
	golden(t, "rerun", e, o)
	if e.s.calls != 2 || o.Result.Skipped != 2 || o.ExitCode() != 0 {
		t.Errorf("rerun: %+v, %d calls", o.Result, e.s.calls)
	}
}

// A failed change is exit 3 (partial success) whether the flow goes on
// (keys, users) or stops (org, groups): one code for one failure.
func TestRunPartialFailureIsExit3(t *testing.T) {
	for _, stop := range []bool{false, true} {
		name := map[bool]string{false: "partial-continue", true: "partial-stop"}[stop]
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, "a", "b", "c")
			e.s.fail["b"] = true
			f := e.flow(newPlan("a", "b", "c"))
			f.StopOnError = stop
			o := Run(context.Background(), f)
			golden(t, name, e, o)
			if o.ExitCode() != diag.ExitPartial {
				t.Errorf("exit %d", o.ExitCode())
			}
			// The fix, then the same command again: it converges.
			e.s.fail["b"] = false
			e.out.Reset()
			o = Run(context.Background(), e.flow(f.Plan))
			if o.ExitCode() != 0 || e.s.on["a"] || e.s.on["b"] || e.s.on["c"] {
				t.Errorf("rerun: exit %d, %v", o.ExitCode(), e.s.on)
			}
		})
	}
}

// A crash after the journal's "begin" line (the AWS call made or not, the
// "done" line never written): the next run checks the change against the
// state and completes the plan without a second call.
func TestRunResumesAfterCrash(t *testing.T) {
	e := newEnv(t, "a", "b", "c")
	p := newPlan("a", "b", "c")
	for _, en := range []plan.Entry{
		{Plan: p.ID, Change: "001", Phase: plan.Begin}, {Plan: p.ID, Change: "001", Phase: plan.Done},
		{Plan: p.ID, Change: "002", Phase: plan.Begin},
	} {
		if err := e.j.Append(en); err != nil {
			t.Fatal(err)
		}
	}
	e.s.on["a"] = false
	e.s.on["b"] = false // the call of the crashed run went through
	f := e.flow(p)
	checked := map[bool]int{}
	f.Check = func(_ context.Context, resuming bool) diag.Diagnostics {
		checked[resuming]++
		if !resuming {
			return diag.Diagnostics{diag.Errorf(plan.CodeStale, "stale")}
		}
		return nil
	}
	o := Run(context.Background(), f)
	golden(t, "resume", e, o)
	if checked[true] != 1 || e.s.calls != 1 || o.ExitCode() != 0 {
		t.Errorf("resume: %v checks, %d calls, exit %d", checked, e.s.calls, o.ExitCode())
	}
}

func TestRunRefusals(t *testing.T) {
	t.Run("check", func(t *testing.T) {
		e := newEnv(t, "a")
		f := e.flow(newPlan("a"))
		f.Check = func(context.Context, bool) diag.Diagnostics {
			return diag.Diagnostics{diag.Errorf(plan.CodeStale, "the state changed since this plan was made; run plan again")}
		}
		o := Run(context.Background(), f)
		golden(t, "refused-stale", e, o)
		if o.Applied || e.s.calls != 0 || o.ExitCode() != diag.ExitInput {
			t.Errorf("%+v", o)
		}
	})
	t.Run("no terminal", func(t *testing.T) {
		e := newEnv(t, "a")
		f := e.flow(newPlan("a"))
		f.Yes = false
		f.Confirm = func(string) (bool, error) { return false, nil }
		o := Run(context.Background(), f)
		golden(t, "refused-no-terminal", e, o)
		if o.Applied || o.ExitCode() != diag.ExitInput {
			t.Errorf("%+v", o)
		}
	})
	t.Run("answered no", func(t *testing.T) {
		e := newEnv(t, "a")
		f := e.flow(newPlan("a"))
		f.Yes, f.Terminal = false, true
		var asked string
		f.Confirm = func(q string) (bool, error) { asked = q; return false, nil }
		o := Run(context.Background(), f)
		if o.Applied || o.ExitCode() != 0 || asked != "Apply this change?" || !strings.HasSuffix(e.out.String(), "Not applied.\n") {
			t.Errorf("%+v %q %q", o, asked, e.out.String())
		}
	})
	t.Run("locked", func(t *testing.T) {
		e := newEnv(t, "a")
		f := e.flow(newPlan("a"))
		l, err := plan.Acquire(f.LockPath, "someone else")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Release()
		o := Run(context.Background(), f)
		if o.Applied || e.s.calls != 0 || o.ExitCode() != diag.ExitInternal || o.Diags[0].Code != CodeLocked {
			t.Errorf("%+v", o)
		}
	})
	t.Run("empty", func(t *testing.T) {
		e := newEnv(t)
		o := Run(context.Background(), e.flow(newPlan()))
		if o.Applied || o.ExitCode() != 0 || e.out.String() != "No changes. The current state matches.\n" {
			t.Errorf("%+v %q", o, e.out.String())
		}
	})
}

func TestRunHooks(t *testing.T) {
	e := newEnv(t, "a")
	f := e.flow(newPlan("a"))
	var order []string
	f.Before = func(context.Context) error { order = append(order, "before"); return nil }
	f.After = func(context.Context) error { order = append(order, "after"); return errors.New("guard tag left on a") }
	f.SummaryNote = func() string { return "(2 calls retried)" }
	o := Run(context.Background(), f)
	golden(t, "hooks", e, o)
	if diff := cmp.Diff([]string{"before", "after"}, order); diff != "" || o.ExitCode() != 0 {
		t.Errorf("hooks %v, exit %d", order, o.ExitCode())
	}
}

// With JSON set the flow writes no plan and no "Not applied." on Out (the
// progress and the summary only, for stderr), and its Report says what was
// planned and what happened to each change, with the exit code.
func TestRunJSONReport(t *testing.T) {
	cases := []struct {
		name  string
		setup func(e *env, f *Flow)
	}{
		{"json-partial-stop", func(e *env, f *Flow) { e.s.fail["b"] = true; f.StopOnError = true }},
		{"json-partial-continue", func(e *env, f *Flow) { e.s.fail["b"] = true }},
		{"json-refused", func(e *env, f *Flow) { f.Yes = false }},
		{"json-declined", func(e *env, f *Flow) {
			f.Yes, f.Terminal = false, true
			f.Confirm = func(string) (bool, error) { return false, nil }
		}},
		{"json-no-changes", func(e *env, f *Flow) { f.Plan = newPlan() }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, "a", "b", "c")
			f := e.flow(newPlan("a", "b", "c"))
			f.JSON = true
			c.setup(e, &f)
			o := Run(context.Background(), f)
			doc, err := json.MarshalIndent(o.Report, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			e.out.WriteString("--- report\n")
			e.out.Write(doc)
			e.out.WriteString("\n")
			golden(t, c.name, e, o)
			if o.Report.ExitCode != o.ExitCode() {
				t.Errorf("report exit %d, outcome %d", o.Report.ExitCode, o.ExitCode())
			}
		})
	}
}
