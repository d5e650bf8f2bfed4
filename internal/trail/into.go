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
// what is new, writes the objects read (ledger, path marks) into the
// transaction while the workers' rows are merged and built, and commits
// the rows and the run at the end. started stamps the run.
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
	// What does not depend on the rows goes into the transaction while the
	// scan still builds them, on the other core, in order, on one
	// goroutine: the ledger and the path marks as soon as every file is
	// read, the session keys and uses once the workers' aggregations are
	// merged. Finish then takes the rows.
	var early chan func() error
	earlyDone := make(chan error, 1)
	startEarly := func() {
		if early != nil {
			return
		}
		early = make(chan func() error, 2)
		go func() {
			var err error
			for f := range early {
				if err == nil {
					err = f()
				}
			}
			earlyDone <- err
		}()
	}
	opts.RowSet = true // the rows are built as they are inserted
	read, sessions := opts.ObjectsRead, opts.SessionsRead
	opts.ObjectsRead = func(objs []usage.Object) {
		startEarly()
		now := time.Now()
		early <- func() error { return w.AddObjects(ctx, objs, now) }
		if read != nil {
			read(objs)
		}
	}
	opts.SessionsRead = func(keys []usage.SessionKey, uses []usage.SessionUse) {
		startEarly()
		early <- func() error { return w.Add(ctx, usage.Batch{SessionKeys: keys, SessionUses: uses}) }
		if sessions != nil {
			sessions(keys, uses)
		}
	}
	res, err := Scan(ctx, src, opts)
	t := time.Now() // the tail: what is left of the commit after the scan
	if early != nil {
		close(early)
		if eerr := <-earlyDone; eerr != nil && err == nil {
			err = fmt.Errorf("save scan to %s: %w", store.Path(), eerr)
		}
	}
	if err != nil {
		return nil, err
	}
	if res.FormerlyScanned > 0 && opts.Warn != nil {
		opts.Warn(fmt.Sprintf("%s: %d objects taken as already scanned from the marks an earlier seiri wrote under %s (now marked under %s)",
			src.Name(), res.FormerlyScanned, strings.Join(slices.Sorted(maps.Keys(opts.Former)), ", "), src.Name()))
	}
	sum, _ := json.Marshal(res.Summary)
	run := &usage.Run{Engine: usage.EngineLocal, StartedAt: started, FinishedAt: started.Add(res.Summary.Duration),
		Since: opts.Filter.Since, Until: opts.Filter.Until, Sources: res.Summary.Sources, Summary: sum}
	n, err := w.Finish(ctx, usage.Batch{Rows: res.Rows, RowSet: res.RowSet, Unmapped: res.Unmapped, Run: run})
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
