package usage

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
)

// loadSessionKeys merges session keys into their rows (session_keys, one
// per issuer key, principal, role, action and day, listing its keys as
// encodeKeys does) and their days (session_key_days), for a commit and for
// the upgrade of older stores alike. No map per row (the test's reference,
// insertSessionKeys, has one): the keys are sorted once
// by row and key, each row's list is written in that order, and into an
// empty table (a fresh store) the rows are plain inserts instead of
// upserts (an upsert keeps a statement journal of every page it changes).
// written, when not nil, holds the rows the table holds (a Writer's, into
// a table empty at its Begin), by hash (sessionRowKey.hash: 8 bytes a row, where a
// scan of an organization can write millions; a collision only makes an
// insert an upsert): the rows it does not hold are plain inserts, the
// table's emptiness is not asked, and it is kept up to date.
func loadSessionKeys(ctx context.Context, tx *sql.Tx, d *dict, keys []SessionKey, written map[uint64]struct{}) error {
	if len(keys) == 0 {
		return nil
	}
	type ent struct {
		g    sessionRowKey
		key  string
		secs int64
	}
	ents := make([]ent, len(keys))
	days := make([][2]int64, len(keys))
	for i := range keys {
		k := &keys[i]
		g, err := d.sessionRow(ctx, k)
		if err != nil {
			return err
		}
		ents[i] = ent{g: g, key: k.SessionKey, secs: k.IssuedAt.Unix() - g.day*daySecs}
		days[i] = [2]int64{keyHash(k.SessionKey), g.day}
	}
	slices.SortFunc(ents, func(a, b ent) int {
		return cmp.Or(cmp.Compare(a.g.issuer, b.g.issuer), cmp.Compare(a.g.principal, b.g.principal), cmp.Compare(a.g.role, b.g.role),
			cmp.Compare(a.g.action, b.g.action), cmp.Compare(a.g.day, b.g.day), strings.Compare(a.key, b.key), cmp.Compare(a.secs, b.secs))
	})
	type group struct {
		g    sessionRowKey
		keys []byte
	}
	var groups []group
	var list []keyIssue
	for i := 0; i < len(ents); {
		list = list[:0]
		j := i
		for ; j < len(ents) && ents[j].g == ents[i].g; j++ {
			if j > i && ents[j].key == ents[j-1].key {
				continue // a key listed twice: the first is the earliest issue
			}
			list = append(list, keyIssue{ents[j].key, ents[j].secs})
		}
		groups = append(groups, group{ents[i].g, appendKeys(nil, list)})
		i = j
	}
	if err := d.flush(ctx, tx); err != nil {
		return err
	}
	const insert = `INSERT OR FAIL INTO session_keys(issuer_key,issuer_principal,role,action,day,keys)`
	const upsert = `INSERT INTO session_keys(issuer_key,issuer_principal,role,action,day,keys)`
	const merge = ` ON CONFLICT(issuer_key,issuer_principal,role,action,day) DO UPDATE SET keys=seiri_keys_union(keys,excluded.keys)`
	put := func(prefix, suffix string, groups []group) error {
		return bulkInsert(ctx, tx, &d.stmts, prefix, suffix, 6, 100, len(groups), func(args []any, i int) []any {
			g := &groups[i]
			return append(args, g.g.issuer, g.g.principal, g.g.role, g.g.action, g.g.day, g.keys)
		})
	}
	if written == nil {
		empty, err := tableEmpty(ctx, tx, "session_keys")
		if err != nil {
			return err
		}
		if empty {
			err = put(insert, "", groups)
		} else {
			err = put(upsert, merge, groups)
		}
		if err != nil {
			return err
		}
		return loadKeyDays(ctx, tx, &d.stmts, days)
	}
	// Rows already written merge; the others (most) are inserted.
	var again []group
	n := 0
	for _, g := range groups {
		if _, ok := written[g.g.hash()]; ok {
			again = append(again, g)
			continue
		}
		groups[n] = g
		n++
	}
	for _, g := range groups[:n] {
		written[g.g.hash()] = struct{}{}
	}
	if err := put(insert, "", groups[:n]); err != nil {
		return err
	}
	if err := put(upsert, merge, again); err != nil {
		return err
	}
	return loadKeyDays(ctx, tx, &d.stmts, days)
}

// loadKeyDays records (key hash, day) pairs in session_key_days; days is
// sorted and deduplicated here.
func loadKeyDays(ctx context.Context, tx *sql.Tx, c *stmtCache, days [][2]int64) error {
	slices.SortFunc(days, func(a, b [2]int64) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	days = slices.Compact(days)
	return bulkInsert(ctx, tx, c, `INSERT OR IGNORE INTO session_key_days(h,day)`, "", 2, 400, len(days), func(args []any, i int) []any {
		return append(args, days[i][0], days[i][1])
	})
}

// hash mixes the row key's fields (splitmix64's finalizer on each).
func (g sessionRowKey) hash() uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, v := range [...]int64{g.issuer, g.principal, g.role, g.action, g.day} {
		h ^= uint64(v)
		h ^= h >> 30
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 27
		h *= 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}
