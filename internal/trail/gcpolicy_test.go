package trail

import (
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"
)

// gcPercent reads the collector's target without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// waitGCPercent waits (up to a second) for the watcher to set want.
func waitGCPercent(want int) int {
	deadline := time.Now().Add(time.Second)
	for {
		got := gcPercent()
		if got == want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(looseEvery / 4)
	}
}

// TestTightGC: a scan runs at GOGC 100 while its live heap is small and 50
// once it is past looseHeap, and puts the target back after the last of
// overlapping scans; an explicit GOGC, or a target as tight, is kept.
func TestTightGC(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	var heap atomic.Uint64 // what the watcher reads as the live heap
	heap.Store(looseHeap / 2)
	defer func(f func() uint64) { liveHeap = f }(liveHeap)
	liveHeap = heap.Load

	r1 := tightGC()
	time.Sleep(3 * looseEvery)
	if got := gcPercent(); got != looseGCPercent {
		t.Fatalf("during a scan, small heap: GOGC %d, want %d", got, looseGCPercent)
	}
	r2 := tightGC()
	r1()
	if got := gcPercent(); got != looseGCPercent {
		t.Errorf("one of two scans done: GOGC %d, want %d", got, looseGCPercent)
	}
	heap.Store(looseHeap)
	if got := waitGCPercent(scanGCPercent); got != scanGCPercent {
		t.Errorf("heap at %d bytes: GOGC %d, want %d", heap.Load(), got, scanGCPercent)
	}
	r2()
	if got := gcPercent(); got != 100 {
		t.Errorf("after the scans: GOGC %d, want 100", got)
	}

	// A target between the two is kept until the heap is big.
	heap.Store(0)
	debug.SetGCPercent(75)
	r := tightGC()
	if got := gcPercent(); got != 75 {
		t.Errorf("target 75: GOGC %d during a scan with a small heap, want 75 kept", got)
	}
	heap.Store(2 * looseHeap)
	if got := waitGCPercent(scanGCPercent); got != scanGCPercent {
		t.Errorf("target 75, big heap: GOGC %d, want %d", got, scanGCPercent)
	}
	r()
	if got := gcPercent(); got != 75 {
		t.Errorf("target 75: GOGC %d after, want 75", got)
	}

	// A scan that ends before the watcher tightened: nothing left running.
	heap.Store(0)
	debug.SetGCPercent(100)
	r = tightGC()
	r()
	heap.Store(2 * looseHeap)
	time.Sleep(3 * looseEvery)
	if got := gcPercent(); got != 100 {
		t.Errorf("after a short scan: GOGC %d, want 100 (no watcher left)", got)
	}

	debug.SetGCPercent(30)
	r = tightGC()
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

// TestLiveHeapReads: the runtime names the metric the watcher reads.
func TestLiveHeapReads(t *testing.T) {
	keep := make([]*[1 << 16]byte, 64) // 4 MB live across a collection
	for i := range keep {
		keep[i] = new([1 << 16]byte)
	}
	debug.FreeOSMemory()
	if got := liveHeap(); got < 4<<20 {
		t.Errorf("live heap %d bytes, want at least the 4 MB held", got)
	}
	_ = keep[len(keep)-1][0]
}
