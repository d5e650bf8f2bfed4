package trail

import (
	"runtime/debug"
	"testing"
)

// gcPercent reads the collector's target without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestTightGC: a scan runs at GOGC 50 and puts the target back after the
// last of overlapping scans; an explicit GOGC or a tighter target is kept.
func TestTightGC(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))

	r1 := tightGC()
	if got := gcPercent(); got != scanGCPercent {
		t.Fatalf("during a scan: GOGC %d, want %d", got, scanGCPercent)
	}
	r2 := tightGC()
	r1()
	if got := gcPercent(); got != scanGCPercent {
		t.Errorf("one of two scans done: GOGC %d, want %d", got, scanGCPercent)
	}
	r2()
	if got := gcPercent(); got != 100 {
		t.Errorf("after the scans: GOGC %d, want 100", got)
	}

	debug.SetGCPercent(30)
	r := tightGC()
	if got := gcPercent(); got != 30 {
		t.Errorf("tighter target: GOGC %d during a scan, want 30 kept", got)
	}
	r()
	if got := gcPercent(); got != 30 {
		t.Errorf("tighter target: GOGC %d after, want 30", got)
	}

	debug.SetGCPercent(-1)
	r = tightGC()
	if got := gcPercent(); got != -1 {
		t.Errorf("collector off: GOGC %d during a scan, want -1 kept", got)
	}
	r()

	debug.SetGCPercent(100)
	t.Setenv("GOGC", "200")
	r = tightGC()
	if got := gcPercent(); got != 100 {
		t.Errorf("GOGC in the environment: %d during a scan, want 100 left alone", got)
	}
	r()
}
