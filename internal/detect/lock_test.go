package detect

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/trail"
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
