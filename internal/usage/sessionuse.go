package usage

import (
	"context"
	"database/sql"
	"fmt"
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

// upsertSessionUses merges uses into session_use (key sets unioned).
func upsertSessionUses(ctx context.Context, tx *sql.Tx, uses []SessionUse) error {
	const per = 200
	for start := 0; start < len(uses); start += per {
		chunk := uses[start:min(start+per, len(uses))]
		args := make([]any, 0, 4*len(chunk))
		for _, u := range chunk {
			args = append(args, u.Account, u.Principal, u.Day, joinSet(u.Keys))
		}
		q := `INSERT OR FAIL INTO session_use(account,principal,day,keys) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?,?,?,?),", len(chunk)), ",") +
			` ON CONFLICT(account,principal,day) DO UPDATE SET keys=seiri_set_union(keys,excluded.keys,0)`
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// SessionUses returns the days on which session key k was used, and by
// whom, in key order.
func (s *Store) SessionUses(ctx context.Context, k string) ([]SessionUse, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT account,principal,day,keys FROM session_use
		WHERE instr(char(31)||keys||char(31), char(31)||?||char(31)) > 0 ORDER BY account,principal,day`, k)
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
	conds := []string{"access_key_id = ?"}
	args := []any{k}
	for _, u := range uses {
		day, err := time.Parse(time.DateOnly, u.Day)
		if err != nil {
			return "", nil, fmt.Errorf("session_use: bad day %q", u.Day)
		}
		conds = append(conds, "(access_key_id = '' AND account = ? AND principal = ? AND last_seen >= ? AND first_seen < ?)")
		args = append(args, u.Account, u.Principal, day.Unix(), day.AddDate(0, 0, 1).Unix())
	}
	return "(" + strings.Join(conds, " OR ") + ")", args, nil
}
