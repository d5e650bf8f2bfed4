package trail

import (
	"context"
	"encoding/json"
	"fmt"
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
	opts.Flush = func(p Part) error {
		return w.Add(ctx, usage.Batch{Rows: p.Rows, SessionKeys: p.SessionKeys, SessionUses: p.SessionUses})
	}
	res, err := Scan(ctx, src, opts)
	if err != nil {
		return nil, err
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
