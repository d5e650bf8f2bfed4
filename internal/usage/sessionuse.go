package usage

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Temporary (ASIA…) access keys change with every session: usage rows keyed
// by them grew with time instead of merging (95 % of the rows of a
// realistic corpus, docs/bench-trail.md). Since schema 5 a row's access key
// is only a long-term key (AKIA…); the session keys a principal used are
// kept per day in session_use, one row per (account, principal, day) listing
// them. `trail usage --access-key ASIA…` then finds the principal and the
// days its session was in use, and returns the principal's rows of those
// days (see Usage): which of them the session made is not recorded.

// schemaSessionUse is the session_use table (schema 5).
const schemaSessionUse = `
CREATE TABLE IF NOT EXISTS session_use (
	account TEXT NOT NULL,
	principal TEXT NOT NULL,
	day TEXT NOT NULL, -- YYYY-MM-DD (UTC) of the calls
	keys TEXT NOT NULL, -- session keys joined by U+001F, sorted
	PRIMARY KEY (account, principal, day)
) WITHOUT ROWID;
`

// IsSessionKey reports whether k is a temporary access key id (ASIA…):
// "access key IDs beginning with ASIA are temporary credentials" (IAM User
// Guide, "Manage access keys for IAM users").
func IsSessionKey(k string) bool { return strings.HasPrefix(k, "ASIA") }

// SessionUseKey is a principal's day.
type SessionUseKey struct {
	Account   string `json:"account"`
	Principal string `json:"principal"`
	Day       string `json:"day"` // YYYY-MM-DD, UTC
}

// Compare orders keys by account, principal, day.
func (k SessionUseKey) Compare(o SessionUseKey) int {
	if c := strings.Compare(k.Account, o.Account); c != 0 {
		return c
	}
	if c := strings.Compare(k.Principal, o.Principal); c != 0 {
		return c
	}
	return strings.Compare(k.Day, o.Day)
}

// SessionUse lists the session keys a principal used on a day.
type SessionUse struct {
	SessionUseKey
	Keys []string `json:"keys"`
}

// upsertSessionUses merges uses into session_use (key sets unioned); c
// caches its statements (see bulkInsert).
func upsertSessionUses(ctx context.Context, tx *sql.Tx, c *stmtCache, uses []SessionUse) error {
	days := map[[2]int64]bool{}
	for _, u := range uses {
		d, err := time.Parse(time.DateOnly, u.Day)
		if err != nil {
			return fmt.Errorf("bad day %q", u.Day)
		}
		for _, k := range u.Keys {
			days[[2]int64{keyHash(k), dayOf(d)}] = true
		}
	}
	if err := loadKeyDays(ctx, tx, c, slices.Collect(maps.Keys(days))); err != nil {
		return err
	}
	return bulkInsert(ctx, tx, c, `INSERT OR FAIL INTO session_use(account,principal,day,keys)`,
		` ON CONFLICT(account,principal,day) DO UPDATE SET keys=seiri_set_union(keys,excluded.keys,0)`, 4, 200, len(uses),
		func(args []any, i int) []any {
			u := &uses[i]
			return append(args, u.Account, u.Principal, u.Day, joinSet(u.Keys))
		})
}

// SessionUses returns the days on which session key k was used, and by
// whom, in key order. Only the days session_key_days lists for k are read
// (through the day index), not the whole table.
func (s *Store) SessionUses(ctx context.Context, k string) ([]SessionUse, error) {
	days, err := keyDays(ctx, s.db, k)
	if err != nil || len(days) == 0 {
		return nil, err
	}
	var in []string
	for _, d := range days {
		in = append(in, "'"+time.Unix(d*daySecs, 0).UTC().Format(time.DateOnly)+"'")
	}
	rs, err := s.db.QueryContext(ctx, `SELECT account,principal,day,keys FROM session_use
		WHERE day IN (`+strings.Join(in, ",")+`) AND instr(char(31)||keys||char(31), char(31)||?||char(31)) > 0 ORDER BY account,principal,day`, k)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []SessionUse
	for rs.Next() {
		var u SessionUse
		var keys string
		if err := rs.Scan(&u.Account, &u.Principal, &u.Day, &keys); err != nil {
			return nil, err
		}
		u.Keys = splitSet(keys)
		out = append(out, u)
	}
	return out, rs.Err()
}

// sessionKeyFilter is the WHERE condition of Query.AccessKeyID for a
// session key: rows recorded under it (before schema 5), or rows without
// an access key of a principal that used it, overlapping a day it was used.
func (s *Store) sessionKeyFilter(ctx context.Context, k string) (string, []any, error) {
	uses, err := s.SessionUses(ctx, k)
	if err != nil {
		return "", nil, fmt.Errorf("session key %s: %w", k, err)
	}
	var conds []string
	var args []any
	if id, ok, err := lookupID(ctx, s.db, k); err != nil {
		return "", nil, err
	} else if ok {
		conds = append(conds, "(access_key_id = ? AND access_key_id <> 0)") // the partial index
		args = append(args, id)
	}
	for _, u := range uses {
		day, err := time.Parse(time.DateOnly, u.Day)
		if err != nil {
			return "", nil, fmt.Errorf("session_use: bad day %q", u.Day)
		}
		acct, ok1, err := lookupID(ctx, s.db, u.Account)
		if err != nil {
			return "", nil, err
		}
		prin, ok2, err := lookupID(ctx, s.db, u.Principal)
		if err != nil {
			return "", nil, err
		}
		if !ok1 || !ok2 {
			continue
		}
		conds = append(conds, "(principal = ? AND account = ? AND access_key_id = 0 AND last_seen >= ? AND first_seen < ?)")
		args = append(args, prin, acct, day.Unix(), day.AddDate(0, 0, 1).Unix())
	}
	if len(conds) == 0 {
		return "", nil, nil // no row can match
	}
	return "(" + strings.Join(conds, " OR ") + ")", args, nil
}

// SessionRetention is how long session keys (who issued which ASIA key)
// and session uses (which ASIA keys a principal used on a day) are kept,
// counted back from the newest one in the store: the 90-day usage window
// of the longest default analyses (report, scp simulate). They answer
// `trail usage --access-key ASIA…` only; the usage rows themselves, with
// their calls, are never pruned. Without a bound they grow with every
// session (~132,000 keys a day for 60 accounts in the benchmark corpus,
// docs/bench-trail.md). A scan of older logs adds nothing past the bound.
const SessionRetention = 90 * 24 * time.Hour

// newestSession is the newest session key issue or use in b (zero if none).
func newestSession(b Batch) time.Time {
	var t time.Time
	for _, k := range b.SessionKeys {
		if k.IssuedAt.After(t) {
			t = k.IssuedAt
		}
	}
	for _, u := range b.SessionUses {
		if d, err := time.Parse(time.DateOnly, u.Day); err == nil && d.After(t) {
			t = d
		}
	}
	return t
}

// pruneSessions drops session keys issued, and session uses of days,
// before SessionRetention from the newest the store has seen (kept in
// meta): two range deletes on the time indexes, empty but for the first
// commit of a new day (or a scan of logs older than the bound).
func pruneSessions(ctx context.Context, tx *sql.Tx, newest time.Time) error {
	var stored sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT v FROM meta WHERE k='sessions_newest'`).Scan(&stored); err != nil && err != sql.ErrNoRows {
		return err
	}
	newest = newest.UTC().Truncate(24 * time.Hour)
	if stored.Valid {
		t, err := time.Parse(time.RFC3339, stored.String)
		if err != nil {
			return fmt.Errorf("meta sessions_newest: bad time %q", stored.String)
		}
		if t.After(newest) {
			newest = t
		} else if t.Before(newest) {
			stored.Valid = false // to be updated
		}
	}
	if newest.IsZero() {
		return nil
	}
	cutoff := newest.Add(-SessionRetention)
	if _, err := tx.ExecContext(ctx, `DELETE FROM session_keys WHERE day < ?`, dayOf(cutoff)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM session_use WHERE day < ?`, cutoff.Format(time.DateOnly)); err != nil {
		return err
	}
	if !stored.Valid {
		// session_key_days is keyed by hash: pruning it reads it all, so
		// only when the bound moves (the first commit of a new day). An
		// entry left for older days until then finds no key: harmless.
		if _, err := tx.ExecContext(ctx, `DELETE FROM session_key_days WHERE day < ?`, dayOf(cutoff)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO meta(k,v) VALUES('sessions_newest',?)`, newest.Format(time.RFC3339))
		return err
	}
	return nil
}
