package usage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"

	"modernc.org/sqlite"
)

// Schema 7 keeps every string of a usage row's key (account, principal,
// principal type, access key, action, resource, error code, region) once,
// in the strs table, and the rows refer to them by id: a row's key is
// eight small integers instead of ~180 bytes of ARNs, the usage table is
// its own key (WITHOUT ROWID, principal first, so that it also serves the
// principal lookups), and a row costs one B-tree insert plus small index
// entries instead of five wide ones (docs/bench-trail.md, session 5).
// The empty string is id 0 ("not present": no access key, no resource,
// no error code).

// schemaStrs is the dictionary.
const schemaStrs = `
CREATE TABLE IF NOT EXISTS strs (
	id INTEGER PRIMARY KEY,
	s TEXT NOT NULL UNIQUE
);
INSERT OR IGNORE INTO strs(id,s) VALUES(0,'');
`

// dict maps strings to their ids within one write transaction. New strings
// get the next free id and are inserted by flush, before the rows that
// refer to them; strings met before are remembered (a scan's strings repeat
// across rows and across the parts of a streamed commit).
type dict struct {
	ids     map[string]int64
	next    int64
	fresh   bool // strs held only '' when the transaction began: nothing to look up
	look    *sql.Stmt
	pending []string  // new strings, ids next-len(pending) … next-1
	stmts   stmtCache // the transaction's multi-row inserts
}

func newDict(ctx context.Context, tx *sql.Tx) (*dict, error) {
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id),0) FROM strs`).Scan(&last); err != nil {
		return nil, err
	}
	d := &dict{ids: map[string]int64{"": 0}, next: last + 1, fresh: last == 0}
	if !d.fresh {
		var err error
		if d.look, err = tx.PrepareContext(ctx, `SELECT id FROM strs WHERE s=?`); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// id returns the id of s, assigning a new one if the store has none.
func (d *dict) id(ctx context.Context, s string) (int64, error) {
	if v, ok := d.ids[s]; ok {
		return v, nil
	}
	if d.look != nil {
		var v int64
		err := d.look.QueryRowContext(ctx, s).Scan(&v)
		if err == nil {
			d.ids[s] = v
			return v, nil
		}
		if err != sql.ErrNoRows {
			return 0, err
		}
	}
	v := d.next
	d.next++
	d.ids[s] = v
	d.pending = append(d.pending, s)
	return v, nil
}

// flush inserts the strings assigned since the last flush.
func (d *dict) flush(ctx context.Context, tx *sql.Tx) error {
	first := d.next - int64(len(d.pending))
	err := bulkInsert(ctx, tx, &d.stmts, `INSERT OR FAIL INTO strs(id,s)`, "", 2, 400, len(d.pending), func(args []any, i int) []any {
		return append(args, first+int64(i), d.pending[i])
	})
	if err != nil {
		return err
	}
	d.pending = d.pending[:0]
	return nil
}

func (d *dict) close() {
	d.stmts.close()
	if d.look != nil {
		d.look.Close()
	}
}

// names resolves dictionary ids to their strings for a reader.
type names struct {
	q    queryer
	m    map[int64]string
	want map[int64]bool
	all  bool
}

func newNames(q queryer) *names {
	return &names{q: q, m: map[int64]string{0: ""}, want: map[int64]bool{}}
}

func (n *names) need(id int64) {
	if _, ok := n.m[id]; !ok {
		n.want[id] = true
	}
}

// load reads the strings of the ids needed: by id when they are few, the
// whole dictionary when many (one sequential read beats many lookups).
func (n *names) load(ctx context.Context) error {
	if len(n.want) == 0 || n.all {
		return nil
	}
	if len(n.want) > 2000 {
		n.all = true
		return n.read(ctx, `SELECT id,s FROM strs`)
	}
	ids := make([]string, 0, len(n.want))
	for id := range n.want {
		ids = append(ids, fmt.Sprint(id))
	}
	n.want = map[int64]bool{}
	const per = 500
	for start := 0; start < len(ids); start += per {
		if err := n.read(ctx, `SELECT id,s FROM strs WHERE id IN (`+strings.Join(ids[start:min(start+per, len(ids))], ",")+`)`); err != nil {
			return err
		}
	}
	return nil
}

func (n *names) read(ctx context.Context, q string) error {
	rs, err := n.q.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var id int64
		var s string
		if err := rs.Scan(&id, &s); err != nil {
			return err
		}
		n.m[id] = s
	}
	return rs.Err()
}

func (n *names) get(id int64) (string, error) {
	s, ok := n.m[id]
	if !ok {
		return "", fmt.Errorf("string id %d not in the dictionary (damaged store?)", id)
	}
	return s, nil
}

// lookupID returns the id of s in the dictionary, if any.
func lookupID(ctx context.Context, q queryer, s string) (int64, bool, error) {
	if s == "" {
		return 0, true, nil
	}
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM strs WHERE s=?`, s).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	return id, err == nil, err
}

// Sample sets are kept in one column, samples: the six sets (IP classes,
// source IPs, user agents, VPC endpoints, sessions, source identities) in
// that order, separated by U+001E, each joined by setSep; trailing empty
// sets are left out.
const samplesSep = "\x1e"

func encodeSamples(r *Row) string {
	sets := [6]string{joinSet(r.IPClasses), joinSet(r.SourceIPs), joinSet(r.UserAgents), joinSet(r.VPCEndpoints), joinSet(r.Sessions), joinSet(r.SourceIdentities)}
	n := len(sets)
	for n > 0 && sets[n-1] == "" {
		n--
	}
	return strings.Join(sets[:n], samplesSep)
}

func decodeSamples(s string, r *Row) {
	dst := [...]*[]string{&r.IPClasses, &r.SourceIPs, &r.UserAgents, &r.VPCEndpoints, &r.Sessions, &r.SourceIdentities}
	for i := range dst {
		*dst[i] = nil
	}
	if s == "" {
		return
	}
	for i, part := range strings.SplitN(s, samplesSep, len(dst)) {
		*dst[i] = splitSet(part)
	}
}

// samplesUnion merges two samples columns as Row.Merge merges the sets.
func samplesUnion(a, b string) string {
	if b == "" || a == b {
		return a
	}
	if a == "" {
		return b
	}
	var x, y Row
	decodeSamples(a, &x)
	decodeSamples(b, &y)
	x.IPClasses = MergeSet(x.IPClasses, y.IPClasses, 0)
	x.SourceIPs = MergeSet(x.SourceIPs, y.SourceIPs, MaxSamples)
	x.UserAgents = MergeSet(x.UserAgents, y.UserAgents, MaxSamples)
	x.VPCEndpoints = MergeSet(x.VPCEndpoints, y.VPCEndpoints, MaxSamples)
	x.Sessions = MergeSet(x.Sessions, y.Sessions, MaxSamples)
	x.SourceIdentities = MergeSet(x.SourceIdentities, y.SourceIdentities, MaxSamples)
	return encodeSamples(&x)
}

func init() {
	// seiri_samples_union(a, b): samplesUnion inside SQLite.
	must(sqlite.RegisterDeterministicScalarFunction("seiri_samples_union", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		return samplesUnion(asString(args[0]), asString(args[1])), nil
	}))
}
