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
	// A local folder unchanged since a scan found every file in it marked
	// is not listed again, nor are its marks read (FolderSource): a
	// rescan costs what changed, plus a status per such folder.
	fsrc, _ := src.(FolderSource)
	var known map[string]usage.FolderState
	if fsrc != nil && !opts.Relist && opts.Listing == nil {
		if known, err = w.FoldersListedWhole(ctx, src.Name()); err != nil {
			return nil, err
		}
	}
	// The source is listed while the marks and the ledger are read (both
	// grow with the store: a rescan's listing and loading then overlap),
	// or was listed since before the store was opened (opts.Listing).
	// What this scan decides on is what the store holds under the lock:
	// a file listed before it and counted by another scan meanwhile is
	// found marked or in the ledger; one added after the listing waits
	// for the next scan.
	pending := opts.Listing
	if pending == nil {
		pending = startListing(ctx, func(ctx context.Context) (*Listing, error) {
			if fsrc != nil {
				return fsrc.ListChanged(ctx, &opts.Filter, known)
			}
			return src.List(ctx, &opts.Filter)
		})
	}
	defer pending.Stop()
	// Inside a window (or some accounts, some regions) only the marks of
	// the folders the listing enters are read: a daily scan of the last
	// days reads what it lists, not the whole history's marks. Nor are the
	// marks of the folders recorded as listed whole: the few of them the
	// listing finds changed are read once it is done.
	var keep func(dir string) bool
	if f := opts.Filter; !f.Since.IsZero() || !f.Until.IsZero() || len(f.Accounts) > 0 || len(f.Regions) > 0 {
		keep = f.dirAllowed
	}
	if len(known) > 0 {
		inWindow := keep
		keep = func(dir string) bool {
			_, whole := known[dir]
			return !whole && (inWindow == nil || inWindow(dir))
		}
	}
	marks, err := w.ScannedObjectsIn(ctx, src.Name(), keep)
	if err != nil {
		return nil, err
	}
	opts.listed = func() (*Listing, error) {
		listing, listErr := pending.Wait()
		if listErr != nil || len(known) == 0 {
			return listing, listErr
		}
		relisted := map[string]bool{}
		for _, f := range listing.Folders {
			if _, ok := known[f.Dir]; ok {
				relisted[f.Dir] = true
			}
		}
		if len(relisted) == 0 {
			return listing, nil
		}
		more, err := w.ScannedObjectsIn(ctx, src.Name(), func(dir string) bool { return relisted[dir] })
		if err != nil {
			return nil, err
		}
		maps.Copy(marks, more)
		return listing, nil
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
	// order. The groups waiting when the writer is free are written
	// together (one batch of statements instead of one per group: an
	// organization's small accounts and regions cost less), at most
	// queued of them: when the store lags, the scan waits for it. While it
	// writes, the writer holds one of the scan's cores (a worker fewer
	// reads), so it keeps up and Finish has little left to do.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	const queued = 8
	if fsrc != nil { // files on disk: reading them is CPU work, not waiting for a network
		opts.cores = newCores(opts.workers())
	}
	queue := make(chan Settled, queued)
	saved := make(chan error, 1)
	then := opts.Settle // the caller's, if any
	go func() {
		var err error
		batch := make([]Settled, 0, queued+1)
		for g := range queue {
			if err != nil || ctx.Err() != nil {
				continue // drained: the scan stops
			}
			batch = append(batch[:0], g)
		more:
			for len(batch) <= queued {
				select {
				case g, ok := <-queue:
					if !ok {
						break more
					}
					batch = append(batch, g)
				default:
					break more
				}
			}
			opts.cores.take()
			err = SaveGroups(ctx, w, batch)
			opts.cores.give()
			for _, g := range batch {
				if err == nil && then != nil {
					err = then(g) // told once the group is in the transaction
				}
			}
			clear(batch) // the groups' aggregations go
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
	// The run's summary says how many distinct rows the scan added or
	// updated: every group is in the transaction now (settling leaves no
	// row in res).
	n, err := w.Rows(ctx)
	if err != nil {
		return nil, fmt.Errorf("save scan to %s: %w", store.Path(), err)
	}
	res.Summary.Rows = int(n)
	sum, _ := json.Marshal(res.Summary)
	run := &usage.Run{Engine: usage.EngineLocal, StartedAt: started, FinishedAt: started.Add(res.Summary.Duration),
		Since: opts.Filter.Since, Until: opts.Filter.Until, Sources: res.Summary.Sources, Summary: sum}
	if _, err := w.Finish(ctx, usage.Batch{Unmapped: res.Unmapped, Folders: res.Folders, Run: run}); err != nil {
		return nil, fmt.Errorf("save scan to %s: %w", store.Path(), err)
	}
	res.CommitTail = time.Since(t)
	return res, nil
}

// PendingListing is a source's listing running on a goroutine of its own
// (StartListing).
type PendingListing struct {
	cancel  context.CancelFunc
	done    chan struct{}
	listing *Listing
	err     error
}

// StartListing starts listing src (as Source.List does, every folder)
// and returns at once. Options.Listing hands it to ScanInto; Stop ends it
// if the scan does not get that far.
func StartListing(ctx context.Context, src Source, f *Filter) *PendingListing {
	return startListing(ctx, func(ctx context.Context) (*Listing, error) { return src.List(ctx, f) })
}

func startListing(ctx context.Context, list func(context.Context) (*Listing, error)) *PendingListing {
	ctx, cancel := context.WithCancel(ctx)
	p := &PendingListing{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.listing, p.err = list(ctx)
	}()
	return p
}

// Wait returns the listing once it is done.
func (p *PendingListing) Wait() (*Listing, error) {
	<-p.done
	return p.listing, p.err
}

// Stop cancels the listing if it still runs and waits for it to return.
func (p *PendingListing) Stop() {
	p.cancel()
	<-p.done
}

// SaveGroups writes settled groups into a scan's transaction, as one
// batch: what ScanInto does with the groups it is handed
// (bench/trail/mergeprof replays it on copies of a store).
func SaveGroups(ctx context.Context, w *usage.Writer, gs []Settled) error {
	var b usage.Batch
	var objs []usage.Object
	rows := &rowSets{}
	for _, g := range gs {
		if g.Rows != nil && g.Rows.Len() > 0 {
			rows.sets = append(rows.sets, g.Rows)
			rows.ends = append(rows.ends, rows.Len()+g.Rows.Len())
		}
		b.SessionKeys = append(b.SessionKeys, g.SessionKeys...)
		b.SessionUses = append(b.SessionUses, g.SessionUses...)
		objs = append(objs, g.Objects...)
	}
	if len(gs) == 1 {
		b.SessionKeys, b.SessionUses, objs = gs[0].SessionKeys, gs[0].SessionUses, gs[0].Objects // no copies
	}
	if rows.Len() > 0 {
		b.RowSet = rows
	}
	if err := w.Add(ctx, b); err != nil {
		return err
	}
	if len(objs) == 0 {
		return nil
	}
	return w.AddObjects(ctx, objs, time.Now())
}

// rowSets is several groups' rows as one usage.RowSet, one after the
// other.
type rowSets struct {
	sets []usage.RowSet
	ends []int // the rows of sets[:i+1]
}

func (r *rowSets) Len() int {
	if len(r.ends) == 0 {
		return 0
	}
	return r.ends[len(r.ends)-1]
}

// at is the set row i is in and its index there.
func (r *rowSets) at(i int) (usage.RowSet, int) {
	j, _ := slices.BinarySearch(r.ends, i+1)
	if j > 0 {
		i -= r.ends[j-1]
	}
	return r.sets[j], i
}

func (r *rowSets) Key(i int) usage.Key {
	s, j := r.at(i)
	return s.Key(j)
}

func (r *rowSets) Fill(i int, row *usage.Row) {
	s, j := r.at(i)
	s.Fill(j, row)
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
