package leastpriv

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"time"

	"github.com/seiri-dev/seiri/internal/usage"
)

// StoreQuery selects what ReadUsage reads.
type StoreQuery struct {
	Since time.Time
	// PrincipalPrefix keeps principals starting with it (an account's
	// "arn:aws:iam::123456789012:"), through the store's principal index.
	PrincipalPrefix string
	// ByAction folds rows per (account, principal, action) in SQLite: what
	// the unused analysis needs, without resources (no policy generation).
	//
	// It reads the store's usage_by_action summary (schema 3), folded at
	// commit time without access keys and resources: a few hundred thousand
	// rows instead of ten million. A summary row (one per region and error
	// code) is kept when its last use is in the window; its first seen and
	// count then cover all its rows, also those last used before the window
	// (the folded rows of the usage table would count only those in it).
	// The unused analysis reads only the last use, which is the same.
	ByAction bool

	noSummary bool // tests: the GROUP BY over the usage rows, as before schema 3
}

// hasSummary reports whether the store has the usage_by_action table: a
// store last written by an older seiri has not been migrated (only
// usage.Open migrates; ReadUsage opens read-only).
func hasSummary(ctx context.Context, db *sql.DB) bool {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='table' AND name='usage_by_action'`).Scan(&n)
	return err == nil && n == 1
}

// ReadUsage streams the successful authorization rows of the usage store at
// path whose last use is in the window. It reads only the columns the
// analysis needs, unordered, read-only: the store's general Usage query
// materializes every column of every row, which at ten million rows costs
// minutes instead of seconds (docs/bench-leastpriv.md). The driver is the
// one internal/usage registers.
//
// The returned function reports the first error met while iterating.
func ReadUsage(ctx context.Context, path string, q StoreQuery) (iter.Seq[*usage.Row], func() error) {
	var iterErr error
	seq := func(yield func(*usage.Row) bool) {
		db, err := openReadOnly(ctx, path)
		if err != nil {
			iterErr = fmt.Errorf("usage store %q: %w", path, err)
			return
		}
		defer db.Close()
		where := `authz = 1 AND error_code = '' AND last_seen >= ?`
		args := []any{q.Since.Unix()}
		if q.PrincipalPrefix != "" {
			// A range on the indexed column; LIKE would not use the index.
			where += ` AND principal >= ? AND principal < ?`
			args = append(args, q.PrincipalPrefix, q.PrincipalPrefix+"\U0010FFFF")
		}
		text := `SELECT account, principal, principal_type, action, resource, first_seen, last_seen, count FROM usage WHERE ` + where
		if q.ByAction {
			table := "usage"
			if !q.noSummary && hasSummary(ctx, db) {
				table = "usage_by_action"
			}
			text = `SELECT account, principal, principal_type, action, '', min(first_seen), max(last_seen), sum(count) FROM ` + table + ` WHERE ` + where +
				` GROUP BY principal, account, principal_type, action`
		}
		rs, err := db.QueryContext(ctx, text, args...)
		if err != nil {
			iterErr = fmt.Errorf("usage store %q: %w", path, err)
			return
		}
		defer rs.Close()
		var r usage.Row
		r.Authz = true
		var first, last int64
		// Strings repeat across rows (a principal has many rows): intern
		// them so the analysis keeps one copy.
		intern := map[string]string{}
		in := func(s string) string {
			if v, ok := intern[s]; ok {
				return v
			}
			if len(intern) < 1<<20 {
				intern[s] = s
			}
			return s
		}
		var account, principal, ptype, action, resource sql.RawBytes
		for rs.Next() {
			if err := rs.Scan(&account, &principal, &ptype, &action, &resource, &first, &last, &r.Count); err != nil {
				iterErr = fmt.Errorf("usage store %q: %w", path, err)
				return
			}
			r.Account, r.Principal, r.PrincipalType = in(string(account)), in(string(principal)), in(string(ptype))
			r.Action, r.Resource = in(string(action)), in(string(resource))
			r.FirstSeen, r.LastSeen = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
			if !yield(&r) {
				return
			}
		}
		if err := rs.Err(); err != nil {
			iterErr = fmt.Errorf("usage store %q: %w", path, err)
		}
	}
	return seq, func() error { return iterErr }
}

// openReadOnly opens the store read-only. A WAL database in a folder this
// process cannot write (a read-only copy of a workspace) cannot get its
// shared-memory file: it is then read as immutable, as usage.OpenReadOnly
// does.
func openReadOnly(ctx context.Context, path string) (*sql.DB, error) {
	dsn := "file:" + usage.URIPath(path) + "?mode=ro&_pragma=busy_timeout(10000)&_pragma=mmap_size(268435456)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	var n int
	if err = db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&n); err == nil {
		return db, nil
	}
	db.Close()
	db, err = sql.Open("sqlite", dsn+"&immutable=1")
	if err != nil {
		return nil, err
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&n); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
