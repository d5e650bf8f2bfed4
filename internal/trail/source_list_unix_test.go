//go:build unix

package trail_test

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/trail"
)

// TestDirSourceListPipe: a named pipe among the logs, even one named like
// a log file, is never opened (reading it would block the scan) and never
// dropped silently: counted as ignored.
func TestDirSourceListPipe(t *testing.T) {
	dir := listTree(t, []string{"a.json"}, time.Now())
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.json"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := (&trail.DirSource{Dir: dir}).List(context.Background(), &trail.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Objects) != 1 || l.Objects[0].Key != "a.json" || l.Ignored != 1 {
		t.Errorf("objects %v ignored %d, want a.json only and the pipe ignored", l.Objects, l.Ignored)
	}
}
