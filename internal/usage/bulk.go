package usage

import (
	"context"
	"database/sql"
	"strings"
)

// bulkInsert inserts n rows of ncols columns with multi-row statements of
// per rows each: prefix is the statement up to VALUES, suffix what follows
// the values (an ON CONFLICT clause, or ""). The statements come from c (a
// transaction's cache, see stmtCache; nil: prepared for this call): the
// full chunk's, and for the last, shorter chunk those of 16, 4 and 1 rows
// (a few more executions instead of a statement of every length).
// Parsing an 800-parameter statement per chunk cost as much as a third of
// the insert (docs/bench-trail.md, session 6). fill appends the values of
// row i to args; it runs on a goroutine of its own, a few chunks ahead of
// SQLite (the values are built on the other core while SQLite inserts), so
// it must only read what it is given.
func bulkInsert(ctx context.Context, tx *sql.Tx, c *stmtCache, prefix, suffix string, ncols, per, n int, fill func(args []any, i int) []any) error {
	if n == 0 {
		return nil
	}
	per = max(1, per)
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", ncols), ",") + "),"
	stmt := func(rows int) (*sql.Stmt, error) {
		return c.prepare(ctx, tx, prefix+" VALUES "+strings.TrimSuffix(strings.Repeat(one, rows), ",")+suffix)
	}
	if c == nil {
		c = &stmtCache{} // this call's: closed when it returns
		defer c.close()
	}
	var full *sql.Stmt // prepared when a chunk is full
	var err error
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
				args = make([]any, 0, ncols*min(per, n))
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
		for rest := args; len(rest) > 0; {
			rows := len(rest) / ncols
			if rows == per && full == nil {
				if full, err = stmt(per); err != nil {
					return err
				}
			}
			st := full
			if rows < per {
				rows = 1
				for _, k := range [...]int{16, 4} {
					if k < per && len(rest)/ncols >= k {
						rows = k
						break
					}
				}
				if st, err = stmt(rows); err != nil {
					return err
				}
			}
			if _, err := st.ExecContext(ctx, rest[:rows*ncols]...); err != nil {
				return err
			}
			rest = rest[rows*ncols:]
		}
		clear(args) // no reference kept to the values
		select {
		case free <- args:
		default:
		}
	}
	return nil
}

// stmtCache keeps a transaction's statements prepared, by text: a scan
// saves hundreds of groups (accounts and regions) through the same few
// multi-row inserts and merge statements, and parsing one costs about as
// much as running it.
// A dict holds its transaction's (closed with it).
type stmtCache struct {
	m map[string]*sql.Stmt
}

func (c *stmtCache) prepare(ctx context.Context, tx *sql.Tx, text string) (*sql.Stmt, error) {
	if st := c.m[text]; st != nil {
		return st, nil
	}
	st, err := tx.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[text] = st
	return st, nil
}

// exec runs text's statement (prepared once).
func (c *stmtCache) exec(ctx context.Context, tx *sql.Tx, text string, args ...any) (sql.Result, error) {
	st, err := c.prepare(ctx, tx, text)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// queryRow scans the one row text's statement (prepared once) returns
// for args.
func (c *stmtCache) queryRow(ctx context.Context, tx *sql.Tx, text string, args []any, dst ...any) error {
	st, err := c.prepare(ctx, tx, text)
	if err != nil {
		return err
	}
	return st.QueryRowContext(ctx, args...).Scan(dst...)
}

func (c *stmtCache) close() {
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// tableEmpty reports whether table holds no row (inside tx).
func tableEmpty(ctx context.Context, tx *sql.Tx, table string) (bool, error) {
	var empty bool
	err := tx.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM `+table+`)`).Scan(&empty)
	return empty, err
}
