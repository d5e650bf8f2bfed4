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

// migrateV6 moves a schema 6 store to schema 7 in one transaction: the
// usage rows are read, given dictionary ids and loaded into the new usage
// table (its summary folded again from them), the session keys are packed
// per issuer and day, and session_key_days is filled from the session keys
// and the session uses. Nothing needs a rescan. The rows are held in
// memory during the upgrade (~0.5 KB each: 10 million rows need ~5 GB; a
// store that large is better rebuilt by a rescan, docs/trail.md).
func migrateV6(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := readRowsV6(ctx, tx)
	if err != nil {
		return fmt.Errorf("read usage rows: %w", err)
	}
	keys, err := readSessionKeysV6(ctx, tx)
	if err != nil {
		return fmt.Errorf("read session keys: %w", err)
	}
	for _, stmt := range []string{
		`DROP INDEX IF EXISTS usage_key`, `DROP INDEX IF EXISTS usage_principal`, `DROP INDEX IF EXISTS usage_access_key`, `DROP INDEX IF EXISTS usage_action`,
		`DROP TABLE usage`, `DROP TABLE IF EXISTS usage_by_action`,
		`DROP INDEX IF EXISTS session_keys_issuer`, `DROP INDEX IF EXISTS session_keys_issued`, `DROP TABLE IF EXISTS session_keys`,
		schemaStrs + schemaUsage + schemaSessions,
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	d, err := newDict(ctx, tx)
	if err != nil {
		return err
	}
	defer d.close()
	ir, err := encodeRows(ctx, d, rows)
	if err != nil {
		return err
	}
	if err := loadFresh(ctx, tx, d, ir); err != nil {
		return fmt.Errorf("load usage rows: %w", err)
	}
	if err := createIndexes(ctx, tx); err != nil {
		return err
	}
	if err := loadSessionKeys(ctx, tx, d, keys, nil); err != nil {
		return fmt.Errorf("session keys: %w", err)
	}
	days := map[[2]int64]bool{}
	rs, err := tx.QueryContext(ctx, `SELECT day, keys FROM session_use`)
	if err != nil {
		return err
	}
	for rs.Next() {
		var day, keys string
		if err := rs.Scan(&day, &keys); err != nil {
			rs.Close()
			return err
		}
		t, err := time.Parse(time.DateOnly, day)
		if err != nil {
			rs.Close()
			return fmt.Errorf("session_use: bad day %q", day)
		}
		for _, k := range splitSet(keys) {
			days[[2]int64{keyHash(k), dayOf(t)}] = true
		}
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return err
	}
	if err := loadKeyDays(ctx, tx, nil, slices.Collect(maps.Keys(days))); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meta SET v='7' WHERE k='schema'`); err != nil {
		return err
	}
	return tx.Commit()
}

func readRowsV6(ctx context.Context, tx *sql.Tx) ([]Row, error) {
	rs, err := tx.QueryContext(ctx, `SELECT `+rowColsV6+` FROM usage`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []Row
	for rs.Next() {
		r, err := scanRowV6(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

func readSessionKeysV6(ctx context.Context, tx *sql.Tx) ([]SessionKey, error) {
	rs, err := tx.QueryContext(ctx, `SELECT session_key,issuer_key,issuer_principal,action,role,issued_at FROM session_keys`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []SessionKey
	for rs.Next() {
		var k SessionKey
		var at int64
		if err := rs.Scan(&k.SessionKey, &k.IssuerKey, &k.IssuerPrincipal, &k.Action, &k.Role, &at); err != nil {
			return nil, err
		}
		k.IssuedAt = time.Unix(at, 0).UTC()
		out = append(out, k)
	}
	return out, rs.Err()
}

// migrateV7 moves a schema 7 store to schema 8 in one transaction: the
// ledger's folder rows and the path marks are written again in the binary
// encoding (their SHA-256 digests kept, marked as such: Ledger.Seen
// computes SHA-256 only for objects that meet one); the content entries
// (folders sha256/XX) of objects counted outside the delivery layout move
// to the contents table, those of delivery-layout objects are dropped
// (their folder entries hold the same digest, read if a scan ever needs to
// compare with every counted object). Nothing needs a rescan. The digests
// are held in memory during the upgrade (~50 bytes per object).
func migrateV7(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS contents (d BLOB NOT NULL PRIMARY KEY) WITHOUT ROWID`); err != nil {
		return err
	}
	if err := addColumns(ctx, tx, "objects", "owner TEXT"); err != nil {
		return err
	}
	if err := addColumns(ctx, tx, "scanned_dirs", "ldir TEXT"); err != nil {
		return err
	}
	type folder struct {
		source, dir string
		blob        []byte
	}
	read := func(q string, withSource bool) ([]folder, error) {
		rs, err := tx.QueryContext(ctx, q)
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		var out []folder
		for rs.Next() {
			var f folder
			dst := []any{&f.dir, &f.blob}
			if withSource {
				dst = append([]any{&f.source}, dst...)
			}
			if err := rs.Scan(dst...); err != nil {
				return nil, err
			}
			out = append(out, f)
		}
		return out, rs.Err()
	}
	objs, err := read(`SELECT dir, entries FROM objects`, false)
	if err != nil {
		return err
	}
	delivery := map[[17]byte]bool{}
	var content [][17]byte
	legacy := false
	for _, f := range objs {
		m := map[string]LedgerEntry{}
		if err := decodeLedger(f.dir, f.blob, m); err != nil {
			return fmt.Errorf("object ledger %s: %w", f.dir, err)
		}
		if strings.HasPrefix(f.dir, "sha256/") {
			for _, e := range m {
				if k, ok := contentKey(e.Digest); ok {
					content = append(content, k)
				}
			}
			continue
		}
		for _, e := range m {
			if k, ok := contentKey(e.Digest); ok {
				delivery[k] = true
				legacy = legacy || k[0] == algSHA256
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE objects SET entries=? WHERE dir=?`, encodeLedger(f.dir, m), f.dir); err != nil {
			return err
		}
	}
	var orphans [][17]byte
	for _, k := range content {
		if !delivery[k] {
			orphans = append(orphans, k)
		}
	}
	if err := addContents(ctx, tx, orphans, false); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM objects WHERE dir >= 'sha256/' AND dir < 'sha2560'`); err != nil {
		return err
	}
	// The marks are recorded again: folded into the ledger's folder rows
	// where they can be, in the binary encoding otherwise.
	type markRow struct {
		source, dir string
		at          int64
		blob        []byte
	}
	var marks []markRow
	rs, err := tx.QueryContext(ctx, `SELECT source, dir, scanned_at, entries FROM scanned_dirs`)
	if err != nil {
		return err
	}
	for rs.Next() {
		var r markRow
		if err := rs.Scan(&r.source, &r.dir, &r.at, &r.blob); err != nil {
			rs.Close()
			return err
		}
		marks = append(marks, r)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM scanned_dirs`); err != nil {
		return err
	}
	for _, r := range marks {
		m := map[string]ObjectMark{}
		if err := decodeEntries(r.dir, true, r.blob, m); err != nil {
			return fmt.Errorf("scanned objects of %s: %w", r.dir, err)
		}
		objs := make([]Object, 0, len(m))
		for _, name := range sortedNames(m) {
			e := m[name]
			objs = append(objs, Object{Source: r.source, Key: joinKey(r.dir, name), Size: e.Size, ETag: e.ETag, MTime: e.MTime})
		}
		if err := markObjects(ctx, tx, nil, objs, r.at); err != nil {
			return fmt.Errorf("scanned objects of %s: %w", r.dir, err)
		}
	}
	if err := rewriteSessionKeys(ctx, tx); err != nil {
		return fmt.Errorf("session keys: %w", err)
	}
	if legacy {
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO meta(k,v) VALUES('ledger_legacy','1')`); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meta SET v='8' WHERE k='schema'`); err != nil {
		return err
	}
	return tx.Commit()
}

// addColumns adds to table the columns ("name TYPE") it does not have
// yet: an upgrade interrupted, or run again, adds each once.
func addColumns(ctx context.Context, tx *sql.Tx, table string, cols ...string) error {
	have, err := tableColumns(ctx, tx, table)
	if err != nil {
		return err
	}
	for _, c := range cols {
		name, _, _ := strings.Cut(c, " ")
		if !slices.Contains(have, name) {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE `+table+` ADD COLUMN `+c); err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
		}
	}
	return nil
}

// rewriteSessionKeys writes every session keys list again in the binary
// encoding of schema 8 (see encodeKeys).
func rewriteSessionKeys(ctx context.Context, tx *sql.Tx) error {
	type row struct {
		g    sessionRowKey
		keys []byte
	}
	var rows []row
	rs, err := tx.QueryContext(ctx, `SELECT issuer_key,issuer_principal,role,action,day,keys FROM session_keys`)
	if err != nil {
		return err
	}
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.g.issuer, &r.g.principal, &r.g.role, &r.g.action, &r.g.day, &r.keys); err != nil {
			rs.Close()
			return err
		}
		rows = append(rows, r)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return err
	}
	st, err := tx.PrepareContext(ctx, `UPDATE session_keys SET keys=? WHERE issuer_key=? AND issuer_principal=? AND role=? AND action=? AND day=?`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, r := range rows {
		m := map[string]int64{}
		if err := decodeKeys(string(r.keys), m); err != nil {
			return err
		}
		if _, err := st.ExecContext(ctx, encodeKeys(m), r.g.issuer, r.g.principal, r.g.role, r.g.action, r.g.day); err != nil {
			return err
		}
	}
	return nil
}

// migrateSamples moves a schema 8 store to schema 9 in one transaction: the
// usage table is written again, in key order and a part at a time (the
// upgrade holds one part in memory, not the table), with its sample sets
// as ids of sample_strs; scanned_dirs gains the columns that say a folder
// was listed whole (listed_mtime, listed_files; NULL: every folder is
// listed again by the next scan, which fills them); every other table
// stays as it is. Nothing needs a rescan. What it does depends on the column's
// declared type, not on the schema version: a store upgraded from schema 6
// or older has the schema 9 table already (migrateV6 writes it), and an
// upgrade interrupted between two steps is finished on the next open.
func migrateSamples(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, schemaStrs); err != nil {
		return err
	}
	var typ string
	if err := tx.QueryRowContext(ctx, `SELECT type FROM pragma_table_info('usage') WHERE name='samples'`).Scan(&typ); err != nil {
		return fmt.Errorf("usage table: samples column: %w", err)
	}
	if strings.EqualFold(typ, "TEXT") {
		if err := rewriteUsageSamples(ctx, tx); err != nil {
			return fmt.Errorf("usage rows: %w", err)
		}
	}
	if err := addColumns(ctx, tx, "scanned_dirs", "listed_mtime INTEGER", "listed_files INTEGER"); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meta SET v='9' WHERE k='schema'`); err != nil {
		return err
	}
	return tx.Commit()
}

// rewriteUsageSamples copies the usage rows of schema 8 (text samples)
// into a schema 9 table that then replaces it.
func rewriteUsageSamples(ctx context.Context, tx *sql.Tx) error {
	d, err := newDict(ctx, tx)
	if err != nil {
		return err
	}
	defer d.close()
	if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS usage_v9;`+usageTable("usage_v9")); err != nil {
		return err
	}
	const per = 20000
	var after []any // the last key copied
	for {
		q := `SELECT ` + keyCols + `,` + valCols + ` FROM usage`
		if after != nil {
			q += ` WHERE (` + keyCols + `) > (?,?,?,?,?,?,?,?)`
		}
		q += ` ORDER BY ` + keyCols + ` LIMIT ` + fmt.Sprint(per)
		rows, err := readRowsV8(ctx, tx, q, after)
		if err != nil {
			return err
		}
		if err := insertIRows(ctx, tx, d, "usage_v9", rows); err != nil {
			return err
		}
		if len(rows) < per {
			break
		}
		after = after[:0]
		for _, id := range rows[len(rows)-1].k {
			after = append(after, id)
		}
	}
	d.close() // its statements name usage_v9, renamed below
	for _, stmt := range []string{`DROP TABLE usage`, `ALTER TABLE usage_v9 RENAME TO usage`} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return createIndexes(ctx, tx)
}

// readRowsV8 reads usage rows of schema 8 (text samples): their key ids
// and their values.
func readRowsV8(ctx context.Context, tx *sql.Tx, q string, args []any) ([]irow, error) {
	rs, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []irow
	for rs.Next() {
		x := irow{r: new(Row), own: true}
		var first, last, authz int64
		var samples any
		k := &x.k
		if err := rs.Scan(&k[0], &k[1], &k[2], &k[3], &k[4], &k[5], &k[6], &k[7], &first, &last, &x.r.Count, &authz, &samples); err != nil {
			return nil, err
		}
		text, ok := samples.(string)
		if !ok {
			return nil, fmt.Errorf("row with key ids %v: samples of type %T, schema 8 stores text", x.k, samples)
		}
		x.r.FirstSeen, x.r.LastSeen, x.r.Authz = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC(), authz != 0
		decodeSamplesText(text, x.r)
		out = append(out, x)
	}
	return out, rs.Err()
}
