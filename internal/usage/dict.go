package usage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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

// schemaStrs is the dictionary, and the one of sample values (schema 9,
// see encodeSamples): apart, so that the readers that load the whole key
// dictionary (a reader needing many ids, StreamAuthz) do not read the
// source IPs and session names too, and so that sample ids stay small
// (one or two bytes each).
const schemaStrs = `
CREATE TABLE IF NOT EXISTS strs (
	id INTEGER PRIMARY KEY,
	s TEXT NOT NULL UNIQUE
);
INSERT OR IGNORE INTO strs(id,s) VALUES(0,'');
CREATE TABLE IF NOT EXISTS sample_strs (
	id INTEGER PRIMARY KEY,
	s TEXT NOT NULL UNIQUE
);
INSERT OR IGNORE INTO sample_strs(id,s) VALUES(0,'');
`

// dict maps strings to their ids within one write transaction. New strings
// get the next free id and are inserted by flush, before the rows that
// refer to them; strings met before are remembered (a scan's strings repeat
// across rows and across the parts of a streamed commit). A dict is the
// key dictionary (strs); its vals is the sample values' (sample_strs).
type dict struct {
	table   string
	ids     map[string]int64
	next    int64
	fresh   bool // the table held only '' when the transaction began: nothing to look up
	look    *sql.Stmt
	pending []string  // new strings, ids next-len(pending) … next-1
	stmts   stmtCache // the transaction's multi-row inserts
	// byID is the reverse of ids (kept for the sample values only: the
	// union of a rescan's samples compares their strings, see
	// unionSamples).
	byID map[int64]string
	vals *dict
}

func newDict(ctx context.Context, tx *sql.Tx) (*dict, error) {
	d, err := newTableDict(ctx, tx, "strs")
	if err != nil {
		return nil, err
	}
	if d.vals, err = newTableDict(ctx, tx, "sample_strs"); err != nil {
		d.close()
		return nil, err
	}
	d.vals.byID = map[int64]string{0: ""}
	return d, nil
}

func newTableDict(ctx context.Context, tx *sql.Tx, table string) (*dict, error) {
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id),0) FROM `+table).Scan(&last); err != nil {
		return nil, err
	}
	d := &dict{table: table, ids: map[string]int64{"": 0}, next: last + 1, fresh: last == 0}
	if !d.fresh {
		var err error
		if d.look, err = tx.PrepareContext(ctx, `SELECT id FROM `+table+` WHERE s=?`); err != nil {
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
			d.remember(s, v)
			return v, nil
		}
		if err != sql.ErrNoRows {
			return 0, err
		}
	}
	v := d.next
	d.next++
	d.remember(s, v)
	d.pending = append(d.pending, s)
	return v, nil
}

func (d *dict) remember(s string, id int64) {
	d.ids[s] = id
	if d.byID != nil {
		d.byID[id] = s
	}
}

// flush inserts the strings assigned since the last flush.
func (d *dict) flush(ctx context.Context, tx *sql.Tx) error {
	first := d.next - int64(len(d.pending))
	err := bulkInsert(ctx, tx, &d.stmts, `INSERT OR FAIL INTO `+d.table+`(id,s)`, "", 2, 400, len(d.pending), func(args []any, i int) []any {
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
	if d.vals != nil {
		d.vals.close()
	}
}

// names resolves dictionary ids to their strings for a reader.
type names struct {
	q     queryer
	table string // strs, or sample_strs
	m     map[int64]string
	want  map[int64]bool
	all   bool
}

func newNames(q queryer) *names { return newTableNames(q, "strs") }

func newTableNames(q queryer, table string) *names {
	return &names{q: q, table: table, m: map[int64]string{0: ""}, want: map[int64]bool{}}
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
		return n.read(ctx, `SELECT id,s FROM `+n.table)
	}
	ids := make([]string, 0, len(n.want))
	for id := range n.want {
		ids = append(ids, fmt.Sprint(id))
	}
	n.want = map[int64]bool{}
	const per = 500
	for start := 0; start < len(ids); start += per {
		if err := n.read(ctx, `SELECT id,s FROM `+n.table+` WHERE id IN (`+strings.Join(ids[start:min(start+per, len(ids))], ",")+`)`); err != nil {
			return err
		}
	}
	return nil
}

func (n *names) read(ctx context.Context, q string) error {
	return eachString(ctx, n.q, q, func(id int64, s string) { n.m[id] = s })
}

// eachString calls f with every (id, string) row query q returns (a
// dictionary's rows).
func eachString(ctx context.Context, db queryer, q string, f func(id int64, s string)) error {
	rs, err := db.QueryContext(ctx, q)
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
		f(id, s)
	}
	return rs.Err()
}

func (n *names) get(id int64) (string, error) {
	s, ok := n.m[id]
	if !ok {
		return "", fmt.Errorf("string id %d not in the dictionary %s (damaged store?)", id, n.table)
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
