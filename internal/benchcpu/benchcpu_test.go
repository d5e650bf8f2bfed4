package benchcpu

import (
	"runtime"
	"testing"
)

// CPU time grows while the process works (on systems that measure it).
func TestUsedGrows(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		if Used() != 0 {
			t.Fatalf("Used() = %v on %s, want 0", Used(), runtime.GOOS)
		}
		return
	}
	before := Used()
	x := 0
	for i := 0; i < 50_000_000; i++ {
		x += i % 7
	}
	if Used() <= before {
		t.Fatalf("CPU time did not grow over a busy loop (%d): %v then %v", x, before, Used())
	}
}
