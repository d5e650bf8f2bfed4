package trail

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/usage"
)

// ScanInto scans src into store so that every object is counted exactly
// once: it takes the store's write lock (a second scan of the workspace
// waits, saying so through store.Waiting) and opens one transaction
// (usage.Writer), reads the path marks and the object ledger, scans only
// what is new while the workers' flushed rows are merged into the
// transaction (the commit overlaps the scan), and commits the rest, the
// objects and the run at the end. started stamps the run.
func ScanInto(ctx context.Context, store *usage.Store, src Source, opts Options, started time.Time) (*Result, error) {
	defer tightGC()() // the commit too: it holds the rows (see gcpolicy.go)
	w, err := store.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer w.Rollback() // after Finish: nothing
	marks, err := w.ScannedObjects(ctx, src.Name())
	if err != nil {
		return nil, err
	}
	ledger, err := w.Ledger(ctx)
	if err != nil {
		return nil, err
	}
	opts.Scanned = marks
	opts.Ledger = ledger
	if r, ok := src.(Renamed); ok {
		if opts.Former, err = formerMarks(ctx, w, r, store.Path()); err != nil {
			return nil, err
		}
	}
	opts.Flush = func(p Part) error {
		return w.Add(ctx, usage.Batch{Rows: p.Rows, SessionKeys: p.SessionKeys, SessionUses: p.SessionUses})
	}
	res, err := Scan(ctx, src, opts)
	if err != nil {
		return nil, err
	}
	if res.FormerlyScanned > 0 && opts.Warn != nil {
		opts.Warn(fmt.Sprintf("%s: %d objects taken as already scanned from the marks an earlier seiri wrote under %s (now marked under %s)",
			src.Name(), res.FormerlyScanned, strings.Join(slices.Sorted(maps.Keys(opts.Former)), ", "), src.Name()))
	}
	t := time.Now()
	sum, _ := json.Marshal(res.Summary)
	run := &usage.Run{Engine: usage.EngineLocal, StartedAt: started, FinishedAt: started.Add(res.Summary.Duration),
		Since: opts.Filter.Since, Until: opts.Filter.Until, Sources: res.Summary.Sources, Summary: sum}
	n, err := w.Finish(ctx, usage.Batch{Rows: res.Rows, Unmapped: res.Unmapped, SessionKeys: res.SessionKeys, SessionUses: res.SessionUses, Objects: res.Objects, Run: run})
	if err != nil {
		return nil, fmt.Errorf("save scan to %s: %w", store.Path(), err)
	}
	res.Summary.Rows = int(n)
	res.CommitTail = time.Since(t)
	return res, nil
}

// formerMarks reads the marks of the names src had before. When the store
// holds some, src decides from the names of every source the store holds
// marks of whether they are its own (returned), another source's (nil) or
// cannot be told apart (a RefusedError).
func formerMarks(ctx context.Context, w *usage.Writer, src Renamed, path string) (map[string]map[string]usage.ObjectMark, error) {
	former := map[string]map[string]usage.ObjectMark{}
	for _, name := range src.FormerNames() {
		m, err := w.ScannedObjects(ctx, name)
		if err != nil {
			return nil, err
		}
		if len(m) > 0 {
			former[name] = m
		}
	}
	if len(former) == 0 {
		return nil, nil
	}
	marked, err := w.MarkedSources(ctx)
	if err != nil {
		return nil, err
	}
	own, err := src.AdoptFormer(marked)
	if err != nil {
		return nil, &RefusedError{Source: src.Name(), Err: fmt.Errorf("usage store %s: %w", path, err)}
	}
	if !own {
		return nil, nil
	}
	return former, nil
}
