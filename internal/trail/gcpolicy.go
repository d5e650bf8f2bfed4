package trail

import (
	"os"
	"runtime/debug"
	"sync"
)

// scanGCPercent is the collector's target while a scan runs (GOGC 50: the
// heap may grow to 1.5× what is live, not 2×). A scan's live heap is its
// aggregation, and that grows with the organization: a fixed memory limit
// would either not bind or, on an organization bigger than it, make the
// collector run without pause. A percentage scales with the live heap, and
// costs little here: the aggregation's rows and samples hold no pointers
// (the collector does not scan them), so a cycle costs little more when
// the heap is large. Measured in docs/bench-trail.md (session 6: peak RSS
// and CPU at GOGC 100 and 50 on 3 GB, and with every file listed twice).
// An explicit GOGC in the environment, a tighter target or a collector
// switched off (debug.SetGCPercent(-1)) is left alone.
const scanGCPercent = 50

var gcPolicy struct {
	mu    sync.Mutex
	n     int // scans running
	saved int // the target before the first of them
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
		gcPolicy.saved = debug.SetGCPercent(scanGCPercent)
		if gcPolicy.saved < scanGCPercent {
			debug.SetGCPercent(gcPolicy.saved) // already tighter, or off (-1): kept
		}
	}
	gcPolicy.n++
	return func() {
		gcPolicy.mu.Lock()
		defer gcPolicy.mu.Unlock()
		if gcPolicy.n--; gcPolicy.n == 0 {
			debug.SetGCPercent(gcPolicy.saved)
		}
	}
}
