package usage

import (
	"context"
	"testing"
)

// TestBulkInsert: every row goes in once over full chunks and a shorter
// last one, and a failing chunk fails the insert (its producer stops).
func TestBulkInsert(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE b (x INTEGER PRIMARY KEY, y TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	const n = 2*7 + 3
	err = bulkInsert(ctx, tx, `INSERT OR FAIL INTO temp.b(x,y)`, "", 2, 7, n, func(args []any, i int) []any {
		return append(args, i, "v")
	})
	if err != nil {
		t.Fatal(err)
	}
	var count, sum int
	if err := tx.QueryRowContext(ctx, `SELECT count(*), sum(x) FROM temp.b`).Scan(&count, &sum); err != nil || count != n || sum != n*(n-1)/2 {
		t.Fatalf("inserted %d rows (sum of keys %d), %v; want %d (%d)", count, sum, err, n, n*(n-1)/2)
	}
	// Keys 7 to 16 again: the first chunks conflict, 990 more rows wait.
	err = bulkInsert(ctx, tx, `INSERT OR FAIL INTO temp.b(x,y)`, "", 2, 7, 1000, func(args []any, i int) []any {
		return append(args, n+i-10, "v")
	})
	if err == nil {
		t.Fatal("a conflicting chunk did not fail the insert")
	}
}
