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
	// Each group the scan settles goes into the transaction while the
	// scan reads on (Options.Settle): its rows, session keys and uses, its
	// objects into the ledger and the path marks, on one goroutine, in
	// order. A queue of two bounds what waits: when the store lags, the
	// scan waits for it. Finish then has little left to do.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	queue := make(chan Settled, 2)
	saved := make(chan error, 1)
	then := opts.Settle // the caller's, if any
	go func() {
		var err error
		for g := range queue {
			if err != nil || ctx.Err() != nil {
				continue // drained: the scan stops
			}
			if err = saveGroup(ctx, w, g); err == nil && then != nil {
				err = then(g) // told once the group is in the transaction
			}
			if err != nil {
				cancel(err)
			}
		}
		saved <- err
	}()
	opts.Settle = func(g Settled) error {
		select {
		case queue <- g:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	opts.RowSet = true // what is left for Finish (nothing, settling) is built as it is inserted
	res, err := Scan(ctx, src, opts)
	t := time.Now() // the tail: what is left of the commit after the scan
	close(queue)
	if serr := <-saved; serr != nil {
		err = fmt.Errorf("save scan to %s: %w", store.Path(), serr)
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

// saveGroup writes a settled group into the scan's transaction.
func saveGroup(ctx context.Context, w *usage.Writer, g Settled) error {
	if err := w.Add(ctx, usage.Batch{RowSet: g.Rows, SessionKeys: g.SessionKeys, SessionUses: g.SessionUses}); err != nil {
		return err
	}
	if len(g.Objects) == 0 {
		return nil
	}
	return w.AddObjects(ctx, g.Objects, time.Now())
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
