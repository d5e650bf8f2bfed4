package trail

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// scanGCPercent is the collector's target while a scan runs and its live
// heap is over looseHeap (GOGC 50: the heap may grow to 1.5× what is live,
// not 2×). A scan's live heap is its aggregation, and that grows with the
// organization: a fixed memory limit would either not bind or, on an
// organization bigger than it, make the collector run without pause. A
// percentage scales with the live heap, and costs little here: the
// aggregation's rows and samples hold no pointers (the collector does not
// scan them), so a cycle costs little more when the heap is large.
// Measured in docs/bench-trail.md (session 6: peak RSS and CPU at GOGC 100
// and 50 on 3 GB, and with every file listed twice).
// An explicit GOGC in the environment, a tighter target or a collector
// switched off (debug.SetGCPercent(-1)) is left alone.
const scanGCPercent = 50

// Under looseHeap of live heap a scan runs at looseGCPercent (GOGC 100, Go's
// default): at most looseHeap/2 more memory than GOGC 50 would take, and
// half as many collections while the heap is small and the collector's
// fixed costs count most (27 cycles on the 300 MB corpus at GOGC 50, about
// 5 % of its CPU; docs/bench-trail.md, session 10). A watcher reads the
// live heap every looseEvery and tightens the target once it is past.
const (
	looseHeap      = 64 << 20
	looseGCPercent = 100
	looseEvery     = 20 * time.Millisecond
)

// liveHeap is the live heap as the last collection marked it.
var liveHeap = func() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

var gcPolicy struct {
	mu    sync.Mutex
	n     int           // scans running
	saved int           // the target before the first of them
	stop  chan struct{} // closed to stop the watcher (nil: none runs)
	done  chan struct{} // closed when the watcher returned
}

// tightGC sets the collector's target for the length of a scan; the
// returned function restores it (after the last of overlapping scans).
func tightGC() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	gcPolicy.mu.Lock()
	defer gcPolicy.mu.Unlock()
	if gcPolicy.n == 0 {
		gcPolicy.saved = debug.SetGCPercent(looseGCPercent)
		switch {
		case gcPolicy.saved <= scanGCPercent:
			debug.SetGCPercent(gcPolicy.saved) // already as tight, or off (-1): kept
		case gcPolicy.saved < looseGCPercent:
			debug.SetGCPercent(gcPolicy.saved) // tighter than loose: kept until the heap is big
			fallthrough
		default:
			gcPolicy.stop, gcPolicy.done = make(chan struct{}), make(chan struct{})
			go watchHeap(gcPolicy.stop, gcPolicy.done)
		}
	}
	gcPolicy.n++
	return func() {
		gcPolicy.mu.Lock()
		defer gcPolicy.mu.Unlock()
		if gcPolicy.n--; gcPolicy.n == 0 {
			if gcPolicy.stop != nil {
				close(gcPolicy.stop)
				<-gcPolicy.done
				gcPolicy.stop, gcPolicy.done = nil, nil
			}
			debug.SetGCPercent(gcPolicy.saved)
		}
	}
}

// watchHeap tightens the target to scanGCPercent once the live heap is
// past looseHeap, and returns (or when stop is closed).
func watchHeap(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(looseEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if liveHeap() >= looseHeap {
				// Not under gcPolicy.mu: the last scan's restore holds it
				// while it waits for this to return.
				debug.SetGCPercent(scanGCPercent)
				return
			}
		}
	}
}
