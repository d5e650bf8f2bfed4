package usage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// usageTable is the usage table (schema 9), named name: keys are
// dictionary ids (see dict.go), in primary-key order principal, account,
// principal type, access key, action, resource, error code, region;
// samples are ids of the sample values' dictionary (see encodeSamples).
func usageTable(name string) string {
	return `
CREATE TABLE IF NOT EXISTS ` + name + ` (
	principal INTEGER NOT NULL,
	account INTEGER NOT NULL,
	principal_type INTEGER NOT NULL,
	access_key_id INTEGER NOT NULL,
	action INTEGER NOT NULL,
	resource INTEGER NOT NULL,
	error_code INTEGER NOT NULL,
	region INTEGER NOT NULL,
	first_seen INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	count INTEGER NOT NULL,
	authz INTEGER NOT NULL,
	samples BLOB NOT NULL, -- see encodeSamples
	PRIMARY KEY (principal, account, principal_type, access_key_id, action, resource, error_code, region)
) WITHOUT ROWID;`
}

// schemaUsage is the usage table and its summary.
var schemaUsage = usageTable("usage") + `
-- usage_by_action folds usage rows without their access key and resource:
-- what "seiri unused" needs (which actions a principal used, and when
-- last). Principal first in the key: the per-account read is a range of
-- principals, and GROUP BY principal streams in order.
CREATE TABLE IF NOT EXISTS usage_by_action (
	principal INTEGER NOT NULL,
	account INTEGER NOT NULL,
	principal_type INTEGER NOT NULL,
	action INTEGER NOT NULL,
	error_code INTEGER NOT NULL,
	region INTEGER NOT NULL,
	authz INTEGER NOT NULL,
	first_seen INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	count INTEGER NOT NULL,
	nrows INTEGER NOT NULL, -- usage rows folded here (Totals counts rows without scanning usage)
	PRIMARY KEY (principal, account, principal_type, action, error_code, region, authz)
) WITHOUT ROWID;
`

// secondaryIndexes are the usage indexes besides its key (the principal
// lookups are ranges of the key itself). Each entry is the indexed id and
// the row's key ids: ~15 bytes.
var secondaryIndexes = []string{
	`CREATE INDEX IF NOT EXISTS usage_account ON usage (account)`,
	`CREATE INDEX IF NOT EXISTS usage_action ON usage (action)`,
	`CREATE INDEX IF NOT EXISTS usage_access_key ON usage (access_key_id) WHERE access_key_id <> 0`,
}

var dropSecondaryIndexes = []string{`DROP INDEX IF EXISTS usage_account`, `DROP INDEX IF EXISTS usage_action`, `DROP INDEX IF EXISTS usage_access_key`}

const keyCols = `principal,account,principal_type,access_key_id,action,resource,error_code,region`
const valCols = `first_seen,last_seen,count,authz,samples`
const sumKeyCols = `principal,account,principal_type,action,error_code,region,authz`

// ikey is a row's key as dictionary ids, in primary-key order.
type ikey [8]int64

// irow is a row with its key ids: r, or row i of set (built when needed).
type irow struct {
	k   ikey
	r   *Row
	own bool // r is a copy (merged rows), not the caller's row
	set RowSet
	i   int
}

// row returns the row, built into scratch if it comes from a RowSet.
func (x *irow) row(scratch *Row) *Row {
	if x.r != nil {
		return x.r
	}
	x.set.Fill(x.i, scratch)
	return scratch
}

// RowSet is a scan's rows handed to the store without a []Row (the
// aggregation's ~60 MB on 3 GB of logs): the store reads every row's key,
// sorts the rows by their key ids, and builds each row when it inserts it,
// one at a time.
type RowSet interface {
	Len() int
	// Key is the key of row i.
	Key(i int) Key
	// Fill sets r's values (not its key) to row i's, reusing r's slices.
	// It may be called from two goroutines at once (each with its own r).
	Fill(i int, r *Row)
}

// encodeRowSet is encodeRows for a RowSet.
func encodeRowSet(ctx context.Context, d *dict, set RowSet) ([]irow, error) {
	out := make([]irow, set.Len())
	for i := range out {
		k := set.Key(i)
		for j, s := range [8]string{k.Principal, k.Account, k.PrincipalType, k.AccessKeyID, k.Action, k.Resource, k.ErrorCode, k.Region} {
			id, err := d.id(ctx, s)
			if err != nil {
				return nil, err
			}
			out[i].k[j] = id
		}
		out[i].set, out[i].i = set, i
	}
	slices.SortFunc(out, func(a, b irow) int { return slices.Compare(a.k[:], b.k[:]) })
	w := 0
	for i := range out {
		if w > 0 && out[w-1].k == out[i].k { // not from an aggregation: its keys are distinct
			if !out[w-1].own {
				c := new(Row)
				set.Fill(out[w-1].i, c)
				out[w-1].r, out[w-1].own = c, true
			}
			var o Row
			set.Fill(out[i].i, &o)
			out[w-1].r.Merge(&o)
			continue
		}
		out[w] = out[i]
		w++
	}
	return out[:w], nil
}

// encodeRows gives rows their key ids, sorted by key ids with rows of
// equal keys merged (into a copy: the caller's rows are left alone).
func encodeRows(ctx context.Context, d *dict, rows []Row) ([]irow, error) {
	out := make([]irow, len(rows))
	for i := range rows {
		r := &rows[i]
		for j, s := range [8]string{r.Principal, r.Account, r.PrincipalType, r.AccessKeyID, r.Action, r.Resource, r.ErrorCode, r.Region} {
			id, err := d.id(ctx, s)
			if err != nil {
				return nil, err
			}
			out[i].k[j] = id
		}
		out[i].r = r
	}
	slices.SortFunc(out, func(a, b irow) int { return slices.Compare(a.k[:], b.k[:]) })
	w := 0
	for i := range out {
		if w > 0 && out[w-1].k == out[i].k {
			if !out[w-1].own {
				c := *out[w-1].r
				out[w-1].r, out[w-1].own = &c, true
			}
			out[w-1].r.Merge(out[i].r)
			continue
		}
		out[w] = out[i]
		w++
	}
	return out[:w], nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// insertIRows inserts rows with multi-row INSERTs into table (usage or
// temp.incoming: the key ids and valCols). The sample values get their
// ids on bulkInsert's producer goroutine, the one user of d.vals until
// bulkInsert returns; the new ones are inserted after the rows.
func insertIRows(ctx context.Context, tx *sql.Tx, d *dict, table string, rows []irow) error {
	var scratch Row  // the producer's (bulkInsert: one goroutine)
	var encErr error // the producer's first error, read once bulkInsert returned
	err := bulkInsert(ctx, tx, &d.stmts, `INSERT OR FAIL INTO `+table+`(`+keyCols+`,`+valCols+`)`, "", 13, 64, len(rows), func(args []any, i int) []any {
		x := &rows[i]
		for _, id := range x.k {
			args = append(args, id)
		}
		r := x.row(&scratch)
		samples, err := encodeSamples(ctx, d.vals, r)
		if err != nil && encErr == nil {
			encErr = fmt.Errorf("sample values: %w", err)
		}
		return append(args, r.FirstSeen.Unix(), r.LastSeen.Unix(), r.Count, b2i(r.Authz), samples)
	})
	if err != nil {
		return err
	}
	if encErr != nil {
		return encErr
	}
	return d.vals.flush(ctx, tx)
}

// skey is a summary row's key: principal, account, principal type, action,
// error code, region, authz.
type skey [7]int64

type sval struct{ first, last, count, nrows int64 }

// foldSummary folds sorted rows into summary rows, sorted by key.
func foldSummary(rows []irow) ([]skey, []sval) {
	m := map[skey]*sval{}
	var scratch Row
	for i := range rows {
		x := &rows[i]
		r := x.row(&scratch)
		k := skey{x.k[0], x.k[1], x.k[2], x.k[4], x.k[6], x.k[7], b2i(r.Authz)}
		f, l := r.FirstSeen.Unix(), r.LastSeen.Unix()
		if v := m[k]; v != nil {
			v.first, v.last, v.count, v.nrows = min(v.first, f), max(v.last, l), v.count+r.Count, v.nrows+1
			continue
		}
		m[k] = &sval{f, l, r.Count, 1}
	}
	keys := make([]skey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b skey) int { return slices.Compare(a[:], b[:]) })
	vals := make([]sval, len(keys))
	for i, k := range keys {
		vals[i] = *m[k]
	}
	return keys, vals
}

// loadFresh fills an empty usage table and its summary (appendRows). The
// secondary indexes are the caller's to build after the load (one sort
// each instead of a random insert per row).
func loadFresh(ctx context.Context, tx *sql.Tx, d *dict, rows []irow) error {
	for _, stmt := range dropSecondaryIndexes {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return appendRows(ctx, tx, d, rows)
}

// appendRows inserts rows whose keys usage does not hold, nor their
// summary rows' keys (a fresh store's rows of an account and region it
// holds nothing of): rows go in in key order, the summary is folded here
// and goes in in its key order. No lookup, no upsert.
func appendRows(ctx context.Context, tx *sql.Tx, d *dict, rows []irow) error {
	if err := d.flush(ctx, tx); err != nil {
		return err
	}
	// The summary is folded on the other core while the rows go in.
	type folded struct {
		keys []skey
		vals []sval
	}
	fold := make(chan folded, 1)
	go func() {
		keys, vals := foldSummary(rows)
		fold <- folded{keys, vals}
	}()
	if err := insertIRows(ctx, tx, d, "usage", rows); err != nil {
		<-fold
		return err
	}
	f := <-fold
	keys, vals := f.keys, f.vals
	return bulkInsert(ctx, tx, &d.stmts, `INSERT OR FAIL INTO usage_by_action(`+sumKeyCols+`,first_seen,last_seen,count,nrows)`, "", 11, 80, len(keys),
		func(args []any, i int) []any {
			for _, id := range keys[i] {
				args = append(args, id)
			}
			return append(args, vals[i].first, vals[i].last, vals[i].count, vals[i].nrows)
		})
}

func createIndexes(ctx context.Context, tx *sql.Tx) error {
	for _, stmt := range secondaryIndexes {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

// upsertRows merges rows into usage and its summary (Store.Commit).
func upsertRows(ctx context.Context, tx *sql.Tx, d *dict, rows []Row) error {
	if len(rows) == 0 {
		return nil
	}
	ir, err := encodeRows(ctx, d, rows)
	if err != nil {
		return err
	}
	var empty bool
	if err := tx.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM usage)`).Scan(&empty); err != nil {
		return err
	}
	if empty {
		if err := loadFresh(ctx, tx, d, ir); err != nil {
			return err
		}
		return createIndexes(ctx, tx)
	}
	_, err = mergeRows(ctx, tx, d, ir, false)
	return err
}

// mergeRows merges rows into a usage table that may hold rows already,
// set-based: the rows are bulk-loaded into a temporary table, each finds
// its stored row once (a key lookup) and gets there the values the merge
// gives it, stored rows are then updated and new ones inserted, and the
// summary takes the incoming rows' counts. It returns the number of rows
// new to usage. With touched, every incoming key is added to temp.touched
// (a Writer counts the distinct rows a scan added or updated).
//
// No statement that writes usage or its summary calls a function, and all
// are OR FAIL: SQLite keeps a statement journal (a copy of every page the
// statement changes, to undo it) for a statement that writes several rows
// and may abort, and any function call may abort. An upsert's update part
// always may (docs/bench-trail.md, session 4); so did the update of stored
// rows with min, max and the samples' union, which journaled most of the
// usage table's pages on a rescan (session 8). The merged values are
// computed into temp.incoming instead (its pages are few), and min and max
// on the summary are CASEs.
func mergeRows(ctx context.Context, tx *sql.Tx, d *dict, rows []irow, touched bool) (added int64, err error) {
	if err := d.flush(ctx, tx); err != nil {
		return 0, err
	}
	for _, stmt := range []string{
		mergeTables[0], `DELETE FROM temp.incoming`,
		mergeTables[1], `DELETE FROM temp.flips`,
		mergeTables[2], `DELETE FROM temp.sumin`,
	} {
		if _, err := d.stmts.exec(ctx, tx, stmt); err != nil {
			return 0, err
		}
	}
	if err := insertIRows(ctx, tx, d, "temp.incoming", rows); err != nil {
		return 0, fmt.Errorf("load rows: %w", err)
	}
	if _, err := d.stmts.exec(ctx, tx, mergeLookup); err != nil {
		return 0, err
	}
	if err := unionSamples(ctx, tx, d); err != nil {
		return 0, fmt.Errorf("sample union: %w", err)
	}
	var stmts []string
	if touched {
		stmts = append(stmts, `INSERT OR IGNORE INTO temp.touched SELECT `+keyCols+` FROM temp.incoming`)
	}
	stmts = append(stmts,
		// A stored row whose authz turns on moves to another summary group:
		// those groups are folded again from usage after the merge (rare).
		`INSERT INTO temp.flips SELECT DISTINCT principal, account, principal_type, action, error_code, region
			FROM temp.incoming WHERE uauthz = 0 AND authz = 1`,
		// The summary takes the incoming rows: merging sums counts, keeps the
		// first first-seen and the last last-seen, which is what the summary
		// does across the rows it folds; a row new to usage adds one to nrows.
		`INSERT INTO temp.sumin SELECT principal,account,principal_type,action,error_code,region,max(authz,coalesce(uauthz,0)) AS az,
			min(first_seen),max(last_seen),sum(count),sum(uauthz IS NULL),0
			FROM temp.incoming GROUP BY principal,account,principal_type,action,error_code,region,az`,
		`UPDATE OR FAIL temp.sumin SET hit = EXISTS (SELECT 1 FROM usage_by_action b WHERE `+sumMatch("b", "sumin")+`)`,
		summaryMerge,
		`INSERT OR FAIL INTO usage_by_action(`+sumKeyCols+`,first_seen,last_seen,count,nrows)
			SELECT `+sumKeyCols+`,first_seen,last_seen,count,nrows FROM temp.sumin WHERE NOT hit`,
		mergeApply,
		mergeInsert,
	)
	for _, stmt := range stmts {
		if _, err := d.stmts.exec(ctx, tx, stmt); err != nil {
			return 0, err
		}
	}
	if err := d.stmts.queryRow(ctx, tx, `SELECT count(*) FROM temp.incoming WHERE uauthz IS NULL`, nil, &added); err != nil {
		return 0, err
	}
	var flips bool
	if err := d.stmts.queryRow(ctx, tx, `SELECT EXISTS (SELECT 1 FROM temp.flips)`, nil, &flips); err != nil {
		return 0, err
	}
	stmts = []string{`DELETE FROM temp.flips`, `DELETE FROM temp.incoming`, `DELETE FROM temp.sumin`}
	if flips {
		const in = ` WHERE (principal,account,principal_type,action,error_code,region) IN (SELECT * FROM temp.flips)`
		stmts = append([]string{
			`DELETE FROM usage_by_action` + in,
			summaryFold + in + summaryGroup,
		}, stmts...)
	}
	for _, stmt := range stmts {
		if _, err := d.stmts.exec(ctx, tx, stmt); err != nil {
			return 0, err
		}
	}
	return added, nil
}

// mergeTables are mergeRows' temporary tables: the incoming rows, the
// summary groups whose authz flips, the incoming rows' summary.
var mergeTables = [...]string{
	`CREATE TEMP TABLE IF NOT EXISTS incoming (` + keyCols + `,` + valCols + `,
		uauthz INTEGER, -- the stored row's authz; NULL: the key is new
		mfirst, mlast, mcount, mauthz, msamples)`, // the stored row merged with this one (mergeLookup)
	`CREATE TEMP TABLE IF NOT EXISTS flips (principal, account, principal_type, action, error_code, region)`,
	`CREATE TEMP TABLE IF NOT EXISTS sumin (` + sumKeyCols + `, first_seen, last_seen, count, nrows, hit)`,
}

// keyMatch is the condition that rows a and b have the same key.
func keyMatch(a, b string) string {
	var c []string
	for _, k := range strings.Split(keyCols, ",") {
		c = append(c, a+"."+k+"="+b+"."+k)
	}
	return strings.Join(c, " AND ")
}

// sumMatch is the condition that summary rows a and b have the same key.
func sumMatch(a, b string) string {
	var c []string
	for _, k := range strings.Split(sumKeyCols, ",") {
		c = append(c, a+"."+k+"="+b+"."+k)
	}
	return strings.Join(c, " AND ")
}

// mergeLookup finds each incoming row's stored row (if any) and computes
// their merge, as Row.Merge does, into the incoming row's m… columns; the
// samples' union is unionSamples' (msamples holds the stored samples
// until then).
var mergeLookup = `UPDATE OR FAIL temp.incoming AS i SET (uauthz, mfirst, mlast, mcount, mauthz, msamples) =
	(SELECT u.authz, min(u.first_seen,i.first_seen), max(u.last_seen,i.last_seen), u.count+i.count,
	max(u.authz,i.authz), u.samples FROM usage u WHERE ` + keyMatch("u", "i") + `)`

// summaryMerge adds the incoming rows' summary to the stored summary
// rows they fold into: min and max as CASEs (no function call, see
// mergeRows).
var summaryMerge = `UPDATE OR FAIL usage_by_action AS b SET count=b.count+s.count,
	first_seen=CASE WHEN s.first_seen<b.first_seen THEN s.first_seen ELSE b.first_seen END,
	last_seen=CASE WHEN s.last_seen>b.last_seen THEN s.last_seen ELSE b.last_seen END, nrows=b.nrows+s.nrows
	FROM temp.sumin s WHERE s.hit AND ` + sumMatch("b", "s")

// mergeApply writes the merged values into the stored rows: no function
// call (see mergeRows).
var mergeApply = `UPDATE OR FAIL usage AS u SET first_seen=i.mfirst, last_seen=i.mlast, count=i.mcount, authz=i.mauthz, samples=i.msamples
	FROM temp.incoming i WHERE i.uauthz IS NOT NULL AND ` + keyMatch("u", "i")

// mergeInsert inserts the rows new to usage.
const mergeInsert = `INSERT OR FAIL INTO usage(` + keyCols + `,` + valCols + `) SELECT ` + keyCols + `,` + valCols + ` FROM temp.incoming WHERE uauthz IS NULL`

// summaryFold recomputes usage_by_action from usage (optionally only where
// a condition holds): the repair of flipped groups.
const summaryFold = `INSERT OR REPLACE INTO usage_by_action(` + sumKeyCols + `,first_seen,last_seen,count,nrows)
	SELECT ` + sumKeyCols + `,min(first_seen),max(last_seen),sum(count),count(*) FROM usage`
const summaryGroup = ` GROUP BY ` + sumKeyCols

// decodeRow turns a stored row (key ids resolved by n) back into a Row,
// without its samples (see sampleIDs.fill).
func decodeRow(n *names, k ikey, first, last, count, authz int64) (Row, error) {
	var r Row
	dst := [8]*string{&r.Principal, &r.Account, &r.PrincipalType, &r.AccessKeyID, &r.Action, &r.Resource, &r.ErrorCode, &r.Region}
	for i, id := range k {
		s, err := n.get(id)
		if err != nil {
			return r, err
		}
		*dst[i] = s
	}
	r.FirstSeen, r.LastSeen = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
	r.Count, r.Authz = count, authz != 0
	return r, nil
}
