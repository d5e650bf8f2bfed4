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
// waits, saying so through store.Waiting), reads the path marks and the
// object ledger, scans only what is new, and commits the rows, the objects
// and the run in one transaction. started stamps the run.
func ScanInto(ctx context.Context, store *usage.Store, src Source, opts Options, started time.Time) (*Result, error) {
	ledger, err := store.Ledger(ctx)
	if err != nil {
		return nil, err
	}
	defer store.Unlock()
	marks, err := store.ScannedObjects(ctx, src.Name())
	if err != nil {
		return nil, err
	}
	opts.Scanned = marks
	opts.Ledger = ledger
	res, err := Scan(ctx, src, opts)
	if err != nil {
		return nil, err
	}
	sum, _ := json.Marshal(res.Summary)
	run := &usage.Run{Engine: usage.EngineLocal, StartedAt: started, FinishedAt: started.Add(res.Summary.Duration),
		Since: opts.Filter.Since, Until: opts.Filter.Until, Sources: res.Summary.Sources, Summary: sum}
	if err := store.Commit(ctx, usage.Batch{Rows: res.Rows, Unmapped: res.Unmapped, SessionKeys: res.SessionKeys, SessionUses: res.SessionUses, Objects: res.Objects, Run: run}); err != nil {
		return nil, fmt.Errorf("save scan to %s: %w", store.Path(), err)
	}
	return res, nil
}
