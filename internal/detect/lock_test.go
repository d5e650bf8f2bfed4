package detect

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// Two runs on one detection state at once: the second refuses at once,
// naming the lock, and leaves the state to the first; once the first ends,
// a run goes through.
func TestRunRefusesWhileAnotherRunHoldsTheState(t *testing.T) {
	dir := t.TempDir()
	in := Inputs{Sources: []trail.Source{&trail.DirSource{Dir: t.TempDir()}}, StateDir: dir, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	unlock, err := lockState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), in); err == nil || !strings.Contains(err.Error(), "another seiri detect run") {
		t.Fatalf("second run: err = %v, want a refusal naming the other run", err)
	}
	unlock()
	if _, err := Run(context.Background(), in); err != nil {
		t.Fatalf("after the first run ended: %v", err)
	}
}

// An acknowledgement takes the run lock: while a run holds it, an ack
// waits (here: not at all) and refuses naming the lock; acks made at the
// same time as each other and as runs are all kept, and the runs' state
// stays whole.
func TestAckTakesTheRunLock(t *testing.T) {
	dir := t.TempDir()
	logs := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "attacks.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(logs, "attacks.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	in := Inputs{Sources: []trail.Source{&trail.DirSource{Dir: logs}}, StateDir: dir, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	res, err := Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) < 8 {
		t.Fatalf("%d findings, want at least 8 to acknowledge", len(res.Findings))
	}

	old := AckWait
	AckWait = 0
	unlock, err := lockState(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = AddAck(dir, res.Findings[0].Finding.ID, "held", in.Now)
	unlock()
	AckWait = old
	if err == nil || !strings.Contains(err.Error(), "run.lock") || !errors.Is(err, workspace.ErrLockHeld) {
		t.Fatalf("ack while a run holds the lock: err = %v, want a refusal naming run.lock", err)
	}
	if acks, _ := LoadAcks(dir); len(acks) != 0 {
		t.Fatalf("a refused ack wrote %v", acks)
	}

	// Eight acks and runs (rejudging: they save the state) at once.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func(id string) {
			defer wg.Done()
			if _, err := AddAck(dir, id, "reason "+id, in.Now); err != nil {
				errs <- err
			}
		}(res.Findings[i].Finding.ID)
		go func() {
			defer wg.Done()
			r := in
			r.Rejudge = true
			for {
				_, err := Run(context.Background(), r)
				if err == nil || !errors.Is(err, workspace.ErrLockHeld) {
					if err != nil {
						errs <- err
					}
					return
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	acks, err := LoadAcks(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		id := res.Findings[i].Finding.ID
		if acks[id].Reason != "reason "+id {
			t.Errorf("ack of %s lost: %v", id, acks[id])
		}
	}
	st, err := LoadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Findings) != len(res.Findings) {
		t.Errorf("state holds %d findings after the concurrent runs, want %d", len(st.Findings), len(res.Findings))
	}
}
