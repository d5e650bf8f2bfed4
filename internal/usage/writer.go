package usage

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Writer streams one scan into the store: the scan hands it what is final
// as soon as it is (the objects read, AddObjects; the session keys and
// uses, Add; optionally parts of the rows, Add) and the rest at Finish,
// so that the commit runs beside the scan's end instead of after it
// (docs/bench-trail.md, sessions 4 and 6). Everything happens in one
// transaction, held with the store's write lock
// from Begin to Finish: the rows merged so far become visible, together
// with the object ledger and the path marks, only when Finish commits; an
// interrupted or failed scan (Rollback) leaves the store as it was, so
// every object stays counted exactly once.
//
// Add, AddObjects and Finish calls are serialized; the Ledger and the marks are read through
// a separate read connection (the store as it was at Begin: nothing else
// writes it while the lock is held), so a worker looking up an object
// never waits for a merge in progress.
type Writer struct {
	s     *Store
	tx    *sql.Tx
	rdb   *sql.DB
	dict  *dict
	fresh bool // usage was empty at Begin
	// The connection's memory map is off until the transaction ends
	// (Begin).
	unmapped bool

	mu sync.Mutex
	// In a fresh store, the (account, region) pairs usage holds rows of:
	// the rows of any other pair are new keys (both are in the key), and
	// go in as plain inserts; only the others merge.
	units  map[[2]int64]bool
	direct int64 // rows a fresh store got (not in temp.touched)
	// In a fresh store, the session key rows written: the others are
	// plain inserts too (keysFresh: session_keys was empty at Begin).
	keyRows   map[uint64]struct{}
	keysFresh bool
	done      bool
	newest    time.Time // the newest session key or use added (for pruning)
}

// Begin takes the store's write lock (waiting for another writer, see
// Lock) and opens the scan's transaction.
func (s *Store) Begin(ctx context.Context) (w *Writer, err error) {
	if err := s.Lock(ctx); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.Unlock()
		}
	}()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	w = &Writer{s: s, tx: tx}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if err := tx.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM usage)`).Scan(&w.fresh); err != nil {
		return nil, err
	}
	if !w.fresh {
		// A scan into a store that holds rows reads most of the usage
		// table's pages and writes them back (the rows of one more hour
		// of logs touch most of its pages). Read through the memory map,
		// every page read stays counted in the process's memory until it
		// exits: the whole table (60 MB of a 219 MB peak on a rescan of
		// the 3 GB corpus, docs/bench-trail.md, session 8), for no CPU
		// saved, since a page written is copied into SQLite's cache
		// either way. The map is off while the scan writes, and back
		// for the readers after (end).
		if _, err := tx.ExecContext(ctx, `PRAGMA mmap_size=0`); err != nil {
			return nil, err
		}
		w.unmapped = true
	}
	if w.dict, err = newDict(ctx, tx); err != nil {
		return nil, err
	}
	if w.fresh {
		w.units = map[[2]int64]bool{}
	}
	if w.keysFresh, err = tableEmpty(ctx, tx, "session_keys"); err != nil {
		return nil, err
	}
	if w.keysFresh {
		w.keyRows = map[uint64]struct{}{}
	}
	// temp.touched holds the keys of the rows a scan merged part by part
	// (Summary.Rows counts each once). The secondary indexes stay: the
	// rows go in while the scan reads, group by group, and keeping the
	// indexes then costs less than building them after the last file
	// (docs/bench-trail.md, session 7).
	stmts := []string{`DROP TABLE IF EXISTS temp.touched`, `CREATE TEMP TABLE touched (` + keyCols + `, PRIMARY KEY (` + keyCols + `)) WITHOUT ROWID`}
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return nil, err
		}
	}
	// The read connection sees the store as committed; in WAL mode it
	// reads while the transaction writes.
	// It maps the store: read through its small page cache, the marks
	// and ledger blobs (overflow pages) were read again and again, 22 MB
	// in 6,500 reads for the 3 MB the 3 GB corpus's marks hold (session
	// 8); mapped, the pages it reads are counted in the process's memory
	// once (a few MB).
	w.rdb, err = sql.Open("sqlite", "file:"+URIPath(s.path)+"?mode=ro&_pragma=busy_timeout(60000)&_pragma=query_only(1)&_pragma=mmap_size("+strconv.Itoa(mmapSize)+")")
	if err != nil {
		return nil, err
	}
	w.rdb.SetMaxOpenConns(2)
	return w, nil
}

// Ledger returns the object ledger as the store held it at Begin.
func (w *Writer) Ledger(ctx context.Context) (*Ledger, error) { return loadLedger(ctx, w.rdb) }

// ScannedObjects returns the marks of every object already scanned from
// source (see Store.ScannedObjects).
func (w *Writer) ScannedObjects(ctx context.Context, source string) (map[string]ObjectMark, error) {
	return scannedObjects(ctx, w.rdb, source)
}

// Add merges a part of the scan (its rows, session keys and session uses,
// which all merge by key: any order, keys may repeat across calls) into
// the scan's transaction.
func (w *Writer) Add(ctx context.Context, b Batch) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return fmt.Errorf("usage store: rows added after the scan's transaction ended")
	}
	if err := w.addRows(ctx, b.Rows, b.RowSet); err != nil {
		return fmt.Errorf("merge usage rows: %w", err)
	}
	if t := newestSession(b); t.After(w.newest) {
		w.newest = t
	}
	if err := loadSessionKeys(ctx, w.tx, w.dict, b.SessionKeys, w.keyRows); err != nil {
		return fmt.Errorf("session keys: %w", err)
	}
	if err := upsertSessionUses(ctx, w.tx, &w.dict.stmts, b.SessionUses); err != nil {
		return fmt.Errorf("session key use: %w", err)
	}
	return nil
}

// AddObjects adds the objects a scan read to the ledger (refusing, like
// Commit, any the ledger holds: ErrAlreadyCounted) and marks them scanned
// at now, in the scan's transaction: a scan hands them over once every
// file was read, while its rows are still being built, and Finish then
// gets a Batch without Objects.
func (w *Writer) AddObjects(ctx context.Context, objs []Object, now time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return fmt.Errorf("usage store: objects added after the scan's transaction ended")
	}
	if err := recordObjects(ctx, w.tx, &w.dict.stmts, objs); err != nil {
		return err
	}
	if len(objs) == 0 {
		return nil
	}
	if err := markObjects(ctx, w.tx, &w.dict.stmts, objs, now.Unix()); err != nil {
		return fmt.Errorf("mark scanned objects: %w", err)
	}
	return nil
}

// addRows merges rows and set.
func (w *Writer) addRows(ctx context.Context, rows []Row, set RowSet) error {
	if set != nil && set.Len() > 0 {
		if err := w.addIRows(ctx, func() ([]irow, error) { return encodeRowSet(ctx, w.dict, set) }); err != nil {
			return err
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return w.addIRows(ctx, func() ([]irow, error) { return encodeRows(ctx, w.dict, rows) })
}

func (w *Writer) addIRows(ctx context.Context, encode func() ([]irow, error)) error {
	ir, err := encode()
	if err != nil {
		return err
	}
	if !w.fresh {
		_, err := mergeRows(ctx, w.tx, w.dict, ir, true)
		return err
	}
	// Split by the (account, region) of the key, keeping the key order.
	var merge []irow
	n := 0
	for _, x := range ir {
		if w.units[[2]int64{x.k[1], x.k[7]}] {
			merge = append(merge, x)
			continue
		}
		ir[n] = x
		n++
	}
	fresh := ir[:n]
	for _, x := range fresh {
		w.units[[2]int64{x.k[1], x.k[7]}] = true
	}
	if len(fresh) > 0 {
		if err := appendRows(ctx, w.tx, w.dict, fresh); err != nil {
			return err
		}
		w.direct += int64(len(fresh))
	}
	if len(merge) > 0 {
		added, err := mergeRows(ctx, w.tx, w.dict, merge, false)
		if err != nil {
			return err
		}
		w.direct += added
	}
	return nil
}

// Finish merges b (its rows, if any, like Add; its objects, runs,
// session keys, unmapped pairs as Commit does), builds what a fresh load
// deferred, and commits; the write lock is released either way. It
// returns the number of distinct usage rows the scan added or updated.
func (w *Writer) Finish(ctx context.Context, b Batch) (rows int64, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return 0, fmt.Errorf("usage store: the scan's transaction already ended")
	}
	defer func() {
		if err != nil && !w.done {
			w.end() // the error to report is err
		}
	}()
	if err = commitRest(ctx, w.tx, w.dict, b); err != nil {
		return 0, err
	}
	if err = w.addRows(ctx, b.Rows, b.RowSet); err != nil {
		return 0, fmt.Errorf("merge usage rows: %w", err)
	}
	newest := newestSession(b)
	if w.newest.After(newest) {
		newest = w.newest
	}
	if err = pruneSessions(ctx, w.tx, newest); err != nil {
		return 0, fmt.Errorf("prune session keys: %w", err)
	}
	if rows, err = w.rows(ctx); err != nil {
		return 0, err
	}
	if _, err = w.tx.ExecContext(ctx, `DROP TABLE temp.touched`); err != nil {
		return 0, err
	}
	if err = w.tx.Commit(); err != nil {
		return 0, err
	}
	if err := w.end(); err != nil {
		return 0, fmt.Errorf("usage store: the scan is saved, but the store's memory map was not turned back on: %w", err)
	}
	return rows, nil
}

// Rows returns the number of distinct usage rows the scan added or
// updated so far.
func (w *Writer) Rows(ctx context.Context) (int64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return 0, fmt.Errorf("usage store: the scan's transaction already ended")
	}
	return w.rows(ctx)
}

func (w *Writer) rows(ctx context.Context) (int64, error) {
	var touched int64
	if err := w.tx.QueryRowContext(ctx, `SELECT count(*) FROM temp.touched`).Scan(&touched); err != nil {
		return 0, err
	}
	return w.direct + touched, nil
}

// Rollback abandons the scan's transaction (nothing it added is kept) and
// releases the lock; after Finish it does nothing.
func (w *Writer) Rollback() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.end() // nothing to report: the caller abandons the scan
	}
}

// end ends the transaction (rolled back unless committed) and releases
// the lock; the error is that of turning the memory map back on.
func (w *Writer) end() error {
	w.done = true
	w.dict.close()
	w.tx.Rollback() // no-op after Commit
	w.rdb.Close()
	var err error
	if w.unmapped {
		// The store holds one connection (Open): the transaction's.
		_, err = w.s.db.ExecContext(context.Background(), `PRAGMA mmap_size=`+strconv.Itoa(mmapSize))
	}
	w.s.Unlock()
	return err
}

// MarkedSources returns the names of every source the store holds path
// marks of (sorted), as the store held them at Begin.
func (w *Writer) MarkedSources(ctx context.Context) ([]string, error) {
	rs, err := w.rdb.QueryContext(ctx, `SELECT DISTINCT source FROM scanned_dirs ORDER BY source`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var s string
		if err := rs.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rs.Err()
}
