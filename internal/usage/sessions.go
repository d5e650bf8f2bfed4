package usage

import (
	"cmp"
	"context"
	"database/sql/driver"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
)

// Session keys (schema 7) are kept as one row per (issuer key, issuer
// principal, role, action, day of issue) listing the keys issued: ~23
// bytes a key instead of a 270-byte row with three index entries
// (docs/bench-trail.md, session 5). session_key_days says on which days a
// key was issued or used, by a 32-bit hash of the key: the lookup of one
// key (`trail usage --access-key ASIA…`) reads the rows of those days
// only, not every row.
const schemaSessions = `
CREATE TABLE IF NOT EXISTS session_keys (
	issuer_key INTEGER NOT NULL,       -- dictionary ids (strs)
	issuer_principal INTEGER NOT NULL,
	role INTEGER NOT NULL,
	action INTEGER NOT NULL,
	day INTEGER NOT NULL, -- days since 1970-01-01 (UTC) of the issue
	keys BLOB NOT NULL,   -- see encodeKeys (schema 7: text)
	PRIMARY KEY (issuer_key, issuer_principal, role, action, day)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS session_keys_day ON session_keys (day);
CREATE TABLE IF NOT EXISTS session_key_days (
	h INTEGER NOT NULL,   -- keyHash of the session key
	day INTEGER NOT NULL, -- a day it was issued or used (days since 1970-01-01, UTC)
	PRIMARY KEY (h, day)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS session_use_day ON session_use (day);
`

// schemaSessionTimeV6 indexed the schema 6 session tables by time.
const schemaSessionTimeV6 = `
CREATE INDEX IF NOT EXISTS session_keys_issued ON session_keys (issued_at);
CREATE INDEX IF NOT EXISTS session_use_day ON session_use (day);
`

const daySecs = 86400

func dayOf(t time.Time) int64 { return t.Unix() / daySecs }

func keyHash(k string) int64 {
	h := fnv.New32a()
	h.Write([]byte(k))
	return int64(int32(h.Sum32()))
}

// A keys list (schema 8) is the byte binFormat, then one entry per key in
// order of issue (seconds since the start of the row's day, then key):
// uvarint(seconds after the previous entry's << 1 | other), then for an
// ASIA key of 16 base32 characters (IAM's unique ID form) its 10 bytes,
// for any other key (other=1) its length and its bytes: ~11.5 bytes a key
// (docs/bench-trail.md, "Session 6: ledger").
func encodeKeys(m map[string]int64) []byte {
	list := make([]keyIssue, 0, len(m))
	for k, v := range m {
		list = append(list, keyIssue{k, v})
	}
	return appendKeys(make([]byte, 0, 1+12*len(list)), list)
}

// keyIssue is a session key and its issue second in its row's day.
type keyIssue struct {
	Key  string
	Secs int64
}

// appendKeys appends the keys list of list (distinct keys, any order; it
// is sorted here) to b.
func appendKeys(b []byte, list []keyIssue) []byte {
	slices.SortFunc(list, func(a, b keyIssue) int { return cmp.Or(cmp.Compare(a.Secs, b.Secs), strings.Compare(a.Key, b.Key)) })
	b = append(b, binFormat)
	var prev int64
	for _, e := range list {
		if raw, std := packedKey(e.Key); std && e.Secs >= prev {
			b = binary.AppendUvarint(b, uint64(e.Secs-prev)<<1)
			b = append(b, raw[:]...)
			prev = e.Secs
			continue
		}
		// Any other key: whole, with its own seconds.
		b = binary.AppendUvarint(b, 1)
		b = appendRawName(b, e.Key)
		b = binary.AppendVarint(b, e.Secs)
	}
	return b
}

// packedKey is the 10 bytes of an ASIA key of 16 base32 characters.
func packedKey(k string) (raw [10]byte, ok bool) {
	rest, isASIA := strings.CutPrefix(k, "ASIA")
	if !isASIA || len(rest) != 16 {
		return raw, false
	}
	n, err := base32.StdEncoding.Decode(raw[:], []byte(rest))
	if err != nil || n != 10 || base32.StdEncoding.EncodeToString(raw[:]) != rest {
		return raw, false
	}
	return raw, true
}

func decodeKeys(s string, into map[string]int64) error {
	if len(s) == 0 || s[0] != binFormat {
		return decodeKeysText(s, into)
	}
	b := []byte(s[1:])
	var prev int64
	add := func(k string, secs int64) {
		if old, ok := into[k]; !ok || secs < old {
			into[k] = secs
		}
	}
	for len(b) > 0 {
		d, n := binary.Uvarint(b)
		if n <= 0 {
			return fmt.Errorf("bad session keys list: %w", errTruncated)
		}
		b = b[n:]
		if d&1 == 0 {
			if len(b) < 10 {
				return fmt.Errorf("bad session keys list: %w", errTruncated)
			}
			prev += int64(d >> 1)
			add("ASIA"+base32.StdEncoding.EncodeToString(b[:10]), prev)
			b = b[10:]
			continue
		}
		k, rest, err := readRaw(b)
		if err != nil {
			return fmt.Errorf("bad session keys list: %w", err)
		}
		secs, rest, err := readVarint(rest)
		if err != nil {
			return fmt.Errorf("bad session keys list: %w", err)
		}
		add(k, secs)
		b = rest
	}
	return nil
}

// Schema 7 listed keys sorted, "KEY:SECONDS" separated by spaces: KEY
// without its ASIA prefix (a key without it is written "=KEY"), SECONDS
// since the start of the row's day (the issue time).
func encodeKeysText(m map[string]int64) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	for i, k := range names {
		if i > 0 {
			b.WriteByte(' ')
		}
		if s, ok := strings.CutPrefix(k, "ASIA"); ok {
			b.WriteString(s)
		} else {
			b.WriteByte('=')
			b.WriteString(k)
		}
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(m[k], 10))
	}
	return b.String()
}

func decodeKeysText(s string, into map[string]int64) error {
	for _, e := range strings.Fields(s) {
		i := strings.LastIndexByte(e, ':')
		if i < 0 {
			return fmt.Errorf("bad session key entry %q", trim(e))
		}
		secs, err := strconv.ParseInt(e[i+1:], 10, 64)
		if err != nil {
			return fmt.Errorf("bad session key entry %q", trim(e))
		}
		k := e[:i]
		if v, ok := strings.CutPrefix(k, "="); ok {
			k = v
		} else {
			k = "ASIA" + k
		}
		if old, ok := into[k]; !ok || secs < old {
			into[k] = secs
		}
	}
	return nil
}

// storedKeyText is how a text keys list (schema 7) writes a key.
func storedKeyText(k string) string {
	if s, ok := strings.CutPrefix(k, "ASIA"); ok {
		return s
	}
	return "=" + k
}

// storedKey is what a keys list holds of a key (for instr): its 10 bytes,
// or the key whole; a match is checked by decoding the list.
func storedKey(k string) []byte {
	if raw, ok := packedKey(k); ok {
		return raw[:]
	}
	return []byte(k)
}

func init() {
	// seiri_keys_union(a, b): the union of two keys lists, the earliest
	// issue time of a key listed in both.
	must(sqlite.RegisterDeterministicScalarFunction("seiri_keys_union", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		m := map[string]int64{}
		for _, a := range args {
			if err := decodeKeys(asString(a), m); err != nil {
				return nil, err
			}
		}
		return encodeKeys(m), nil
	}))
}

type sessionRowKey struct {
	issuer, principal, role, action int64 // dictionary ids
	day                             int64
}

// sessionRow is the row key of k: its strings' dictionary ids and its
// day.
func (d *dict) sessionRow(ctx context.Context, k *SessionKey) (sessionRowKey, error) {
	g := sessionRowKey{day: dayOf(k.IssuedAt)}
	for _, f := range [...]struct {
		s  string
		id *int64
	}{{k.IssuerKey, &g.issuer}, {k.IssuerPrincipal, &g.principal}, {k.Role, &g.role}, {k.Action, &g.action}} {
		id, err := d.id(ctx, f.s)
		if err != nil {
			return g, err
		}
		*f.id = id
	}
	return g, nil
}

// keyDays returns the days on which session key k may have been issued or
// used (a hash collision adds a day; the caller checks the key itself).
func keyDays(ctx context.Context, q queryer, k string) ([]int64, error) {
	rs, err := q.QueryContext(ctx, `SELECT day FROM session_key_days WHERE h=? ORDER BY day`, keyHash(k))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []int64
	for rs.Next() {
		var d int64
		if err := rs.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rs.Err()
}

func int64List(v []int64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatInt(x, 10)
	}
	return strings.Join(s, ",")
}

// SessionKeys returns the session keys issued by issuerKey, or (with
// sessionKey set) where sessionKey came from. Both empty: all.
func (s *Store) SessionKeys(ctx context.Context, issuerKey, sessionKey string) ([]SessionKey, error) {
	q := `SELECT issuer_key,issuer_principal,role,action,day,keys FROM session_keys`
	var args []any
	switch {
	case issuerKey != "":
		id, ok, err := lookupID(ctx, s.db, issuerKey)
		if err != nil || !ok {
			return nil, err
		}
		q += ` WHERE issuer_key=?`
		args = append(args, id)
	case sessionKey != "":
		days, err := keyDays(ctx, s.db, sessionKey)
		if err != nil || len(days) == 0 {
			return nil, err
		}
		// Lists of either encoding (a text list, schema 7, is rewritten by
		// the upgrade; matching it too costs nothing).
		q += ` WHERE day IN (` + int64List(days) + `) AND (instr(keys, ?) > 0 OR instr(' '||CAST(keys AS TEXT), ?) > 0)`
		args = append(args, storedKey(sessionKey), " "+storedKeyText(sessionKey)+":")
	}
	type stored struct {
		g    sessionRowKey
		keys []byte
	}
	var got []stored
	n := newNames(s.db)
	err := func() error {
		rs, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var x stored
			if err := rs.Scan(&x.g.issuer, &x.g.principal, &x.g.role, &x.g.action, &x.g.day, &x.keys); err != nil {
				return err
			}
			for _, id := range []int64{x.g.issuer, x.g.principal, x.g.role, x.g.action} {
				n.need(id)
			}
			got = append(got, x)
		}
		return rs.Err()
	}()
	if err != nil {
		return nil, err
	}
	if err := n.load(ctx); err != nil {
		return nil, err
	}
	var out []SessionKey
	for _, x := range got {
		var sk SessionKey
		for _, f := range [...]struct {
			id  int64
			dst *string
		}{{x.g.issuer, &sk.IssuerKey}, {x.g.principal, &sk.IssuerPrincipal}, {x.g.role, &sk.Role}, {x.g.action, &sk.Action}} {
			if *f.dst, err = n.get(f.id); err != nil {
				return nil, err
			}
		}
		m := map[string]int64{}
		if err := decodeKeys(string(x.keys), m); err != nil {
			return nil, fmt.Errorf("session keys of %s: %w", sk.IssuerKey, err)
		}
		for k, secs := range m {
			if sessionKey != "" && k != sessionKey {
				continue
			}
			sk.SessionKey, sk.IssuedAt = k, time.Unix(x.g.day*daySecs+secs, 0).UTC()
			out = append(out, sk)
		}
	}
	slices.SortFunc(out, func(a, b SessionKey) int {
		if c := a.IssuedAt.Compare(b.IssuedAt); c != 0 {
			return c
		}
		if c := strings.Compare(a.SessionKey, b.SessionKey); c != 0 {
			return c
		}
		return strings.Compare(a.IssuerKey, b.IssuerKey)
	})
	return out, nil
}
