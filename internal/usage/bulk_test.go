package usage

import (
	"context"
	"testing"
)

// TestBulkInsert: every row goes in once over full chunks and a shorter
// last one (run as chunks of 16, 4 and 1 rows), with the transaction's
// statement cache and without, and a failing chunk fails the insert (its
// producer stops).
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
	var cache stmtCache
	defer cache.close()
	n := 0
	for _, c := range []*stmtCache{nil, &cache} {
		for _, tc := range []struct{ per, rows int }{{7, 2*7 + 3}, {64, 1}, {64, 5}, {64, 16}, {64, 17}, {64, 64}, {64, 125}, {64, 64 + 63}, {3, 2}} {
			from := n
			err = bulkInsert(ctx, tx, c, `INSERT OR FAIL INTO temp.b(x,y)`, "", 2, tc.per, tc.rows, func(args []any, i int) []any {
				return append(args, from+i, "v")
			})
			if err != nil {
				t.Fatal(err)
			}
			n += tc.rows
			var count, sum int
			if err := tx.QueryRowContext(ctx, `SELECT count(*), sum(x) FROM temp.b`).Scan(&count, &sum); err != nil || count != n || sum != n*(n-1)/2 {
				t.Fatalf("%d rows by %d: the table holds %d rows (sum of keys %d), %v; want %d (%d)", tc.rows, tc.per, count, sum, err, n, n*(n-1)/2)
			}
		}
	}
	// Chunks of 7 rows and 64 rows, and shorter ones in 16, 4 and 1 rows.
	if len(cache.m) != 5 {
		t.Errorf("statements cached: %d, want 5", len(cache.m))
	}
	// Keys 7 to 16 again: the first chunks conflict, 990 more rows wait.
	err = bulkInsert(ctx, tx, &cache, `INSERT OR FAIL INTO temp.b(x,y)`, "", 2, 7, 1000, func(args []any, i int) []any {
		return append(args, i+7, "v")
	})
	if err == nil {
		t.Fatal("a conflicting chunk did not fail the insert")
	}
}
