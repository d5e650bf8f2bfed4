package usage

import (
	"context"
	"database/sql"
	"strings"
)

// bulkInsert inserts n rows of ncols columns with multi-row statements of
// per rows each: prefix is the statement up to VALUES, suffix what follows
// the values (an ON CONFLICT clause, or ""). The statement of a full chunk
// is prepared once and reused, and so is the one of the last, shorter
// chunk: parsing an 800-parameter statement per chunk cost as much as a
// third of the insert (docs/bench-trail.md, session 6). fill appends the
// values of row i to args; it runs on a goroutine of its own, a few
// chunks ahead of SQLite (the values are built on the other core while
// SQLite inserts), so it must only read what it is given.
func bulkInsert(ctx context.Context, tx *sql.Tx, prefix, suffix string, ncols, per, n int, fill func(args []any, i int) []any) error {
	if n == 0 {
		return nil
	}
	per = max(1, min(per, n))
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", ncols), ",") + "),"
	stmt := func(rows int) string {
		return prefix + " VALUES " + strings.TrimSuffix(strings.Repeat(one, rows), ",") + suffix
	}
	full, err := tx.PrepareContext(ctx, stmt(per))
	if err != nil {
		return err
	}
	defer full.Close()
	const ahead = 4
	chunks := make(chan []any, ahead)
	free := make(chan []any, ahead+2)
	stop, stopped := make(chan struct{}), make(chan struct{})
	defer func() {
		close(stop)
		<-stopped // fill no longer runs when bulkInsert returns
	}()
	go func() {
		defer close(stopped)
		defer close(chunks)
		for start := 0; start < n; start += per {
			var args []any
			select {
			case args = <-free:
			default:
				args = make([]any, 0, ncols*per)
			}
			args = args[:0]
			for i := start; i < min(start+per, n); i++ {
				args = fill(args, i)
			}
			select {
			case chunks <- args:
			case <-stop:
				return
			}
		}
	}()
	for args := range chunks {
		st := full
		if rows := len(args) / ncols; rows < per {
			if st, err = tx.PrepareContext(ctx, stmt(rows)); err != nil {
				return err
			}
			defer st.Close()
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
		clear(args) // no reference kept to the values
		select {
		case free <- args:
		default:
		}
	}
	return nil
}

// tableEmpty reports whether table holds no row (inside tx).
func tableEmpty(ctx context.Context, tx *sql.Tx, table string) (bool, error) {
	var empty bool
	err := tx.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM `+table+`)`).Scan(&empty)
	return empty, err
}
