package plan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeState is an account whose "keys" are enabled (true) or disabled.
type fakeState struct {
	mu      sync.Mutex
	enabled map[string]bool
	calls   map[string]int
	crashAt int // Goexit after the Nth successful call (0: never)
	failKey string
	total   int
}

func (s *fakeState) InEffect(_ context.Context, c Change) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.enabled[c.Target], nil
}

func (s *fakeState) Apply(_ context.Context, c Change) (string, error) {
	s.mu.Lock()
	if c.Target == s.failKey {
		s.mu.Unlock()
		return "", errors.New("AccessDenied")
	}
	s.enabled[c.Target] = false
	s.calls[c.Target]++
	s.total++
	crash := s.crashAt > 0 && s.total == s.crashAt
	s.mu.Unlock()
	if crash {
		runtime.Goexit() // the process "dies" after the AWS call, before the journal's done line
	}
	return "disabled", nil
}

func newState(keys ...string) *fakeState {
	s := &fakeState{enabled: map[string]bool{}, calls: map[string]int{}}
	for _, k := range keys {
		s.enabled[k] = true
	}
	return s
}

func disablePlan(now time.Time, keys ...string) *Plan {
	var cs []Change
	for _, k := range keys {
		cs = append(cs, Change{Kind: "iam:UpdateAccessKey", Op: Update, Account: "111111111111", Target: k, Description: "disable " + k, Params: []byte(`{"status":"Inactive"}`)})
	}
	return New("keys.disable", now, "base-1", cs)
}

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func TestApplyIdempotent(t *testing.T) {
	dir := t.TempDir()
	j := OpenJournal(filepath.Join(dir, "journal.jsonl"), nil)
	st := newState("AKIA1", "AKIA2", "AKIA3")
	p := disablePlan(t0, "AKIA1", "AKIA2", "AKIA3")
	res, err := Apply(context.Background(), p, j, st, Options{Operator: "arn:aws:iam::111111111111:user/op"})
	if err != nil || res.Applied != 3 {
		t.Fatalf("first apply: %+v, %v", res, err)
	}
	res, err = Apply(context.Background(), p, j, st, Options{})
	if err != nil || res.Applied != 0 || res.Skipped != 3 {
		t.Fatalf("second apply: %+v, %v", res, err)
	}
	// A new plan over the already-changed state also changes nothing.
	p2 := disablePlan(t0.Add(time.Hour), "AKIA1", "AKIA2", "AKIA3")
	res, err = Apply(context.Background(), p2, j, st, Options{})
	if err != nil || res.Applied != 0 || res.Skipped != 3 {
		t.Fatalf("new plan over applied state: %+v, %v", res, err)
	}
	for k, n := range st.calls {
		if n != 1 {
			t.Errorf("%s changed %d times", k, n)
		}
	}
	es, _ := j.Entries()
	var begins, dones int
	for _, e := range es {
		switch e.Phase {
		case Begin:
			begins++
		case Done:
			dones++
		}
	}
	if begins != 3 || dones != 3 {
		t.Errorf("journal: %d begin, %d done lines; want 3 and 3", begins, dones)
	}
}

func TestApplyResumesAfterCrash(t *testing.T) {
	for crashAt := 1; crashAt <= 4; crashAt++ {
		dir := t.TempDir()
		j := OpenJournal(filepath.Join(dir, "journal.jsonl"), nil)
		keys := []string{"AKIA1", "AKIA2", "AKIA3", "AKIA4"}
		st := newState(keys...)
		st.crashAt = crashAt
		p := disablePlan(t0, keys...)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			Apply(context.Background(), p, j, st, Options{})
		}()
		wg.Wait()
		if st.total != crashAt {
			t.Fatalf("crash at %d: %d calls before the crash", crashAt, st.total)
		}
		st.crashAt = 0
		res, err := Apply(context.Background(), p, j, st, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Applied != len(keys)-crashAt {
			t.Errorf("crash at %d: resumed run applied %d, want %d", crashAt, res.Applied, len(keys)-crashAt)
		}
		for _, k := range keys {
			if st.calls[k] != 1 || st.enabled[k] {
				t.Errorf("crash at %d: %s changed %d times, enabled=%v", crashAt, k, st.calls[k], st.enabled[k])
			}
		}
	}
}

func TestApplyFailure(t *testing.T) {
	dir := t.TempDir()
	j := OpenJournal(filepath.Join(dir, "journal.jsonl"), nil)
	st := newState("AKIA1", "AKIA2", "AKIA3")
	st.failKey = "AKIA2"
	p := disablePlan(t0, "AKIA1", "AKIA2", "AKIA3")
	res, err := Apply(context.Background(), p, j, st, Options{})
	if err == nil || res.Applied != 1 || res.Failed != 1 || st.enabled["AKIA3"] != true {
		t.Fatalf("stop on error: %+v, %v", res, err)
	}
	res, err = Apply(context.Background(), p, j, st, Options{ContinueOnError: true})
	if err != nil || res.Failed != 1 || res.Applied != 1 || res.Skipped != 1 || st.enabled["AKIA3"] {
		t.Fatalf("continue on error: %+v, %v", res, err)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "AccessDenied") {
		t.Errorf("errors: %v", res.Errors)
	}
}

func TestSaveLoadStale(t *testing.T) {
	dir := t.TempDir()
	p := disablePlan(t0, "AKIA1")
	path := filepath.Join(dir, "plan.json")
	if err := p.Save(path); err != nil {
		t.Fatal(err)
	}
	q, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if q.ID != p.ID || len(q.Changes) != 1 {
		t.Fatalf("loaded %+v", q)
	}
	if err := q.CheckBase("base-1"); err != nil {
		t.Errorf("same base: %v", err)
	}
	if err := q.CheckBase("base-2"); !errors.Is(err, ErrStale) {
		t.Errorf("changed base: %v", err)
	}
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), "AKIA1", "AKIA9", -1)), 0o600)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "edited") {
		t.Errorf("edited plan accepted: %v", err)
	}
}

func TestRender(t *testing.T) {
	var b strings.Builder
	p := New("org", t0, "", []Change{
		{Kind: "org:CreateOrganizationalUnit", Op: Create, Target: "Security", Description: "create OU Security", Notes: []string{"under Root"}},
		{Kind: "org:MoveAccount", Op: Update, Target: "222222222222", Description: "move 222222222222 to Security"},
		{Kind: "org:DeleteOrganizationalUnit", Op: Delete, Target: "ou-x", Description: "delete OU Old"},
	})
	p.Render(&b)
	out := b.String()
	for _, want := range []string{"  + create OU Security\n      under Root", "  ~ move", "  - delete OU Old", "1 to create, 1 to change, 1 to destroy."} {
		if !strings.Contains(out, want) {
			t.Errorf("render lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	New("org", t0, "", nil).Render(&b)
	if !strings.Contains(b.String(), "No changes") {
		t.Errorf("empty plan: %s", b.String())
	}
}

func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	l, err := Acquire(path, "run 1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(path, "run 2"); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "run 1") {
		t.Errorf("second acquire: %v", err)
	}
	l.Release()
	l2, err := Acquire(path, "run 3")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.Release()
}

func TestJournalTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j := OpenJournal(path, nil)
	j.Append(Entry{Plan: "p", Change: "001", Phase: Begin})
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
	f.WriteString(`{"plan":"p","chan`)
	f.Close()
	es, err := j.Entries()
	if err != nil || len(es) != 1 {
		t.Fatalf("torn last line: %d entries, %v", len(es), err)
	}
	j.Append(Entry{Plan: "p", Change: "002", Phase: Begin})
	es, err = j.Entries()
	if err != nil || len(es) != 2 || j.Torn != 1 || es[1].Change != "002" {
		t.Fatalf("append after a torn line: %+v, torn %d, %v", es, j.Torn, err)
	}
	f, _ = os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o600)
	f.WriteString("{\"phase\": 7}\n")
	f.Close()
	j.Append(Entry{Plan: "p", Change: "003", Phase: Begin})
	if _, err := j.Entries(); err == nil || !strings.Contains(err.Error(), "line 4") {
		t.Errorf("corrupt middle line: %v", err)
	}
}

func TestBackup(t *testing.T) {
	dir := t.TempDir()
	v := map[string]string{"user": "alice"}
	p1, err := WriteBackup(dir, "user/alice", t0, v)
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := WriteBackup(dir, "user/alice", t0, v)
	if p1 == p2 {
		t.Error("backup overwritten")
	}
	var got map[string]string
	if err := ReadBackup(p1, &got); err != nil || got["user"] != "alice" {
		t.Errorf("read back %v, %v", got, err)
	}
	if fi, _ := os.Stat(p1); fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v", fi.Mode().Perm())
	}
}
