package usage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"modernc.org/sqlite"
)

// setSep joins the values of a sample set in a column (U+001F, the ASCII
// unit separator: it does not occur in IPs, ARNs or session names; in a
// user agent it is replaced, see cleanValue).
const setSep = "\x1f"

func init() {
	// seiri_set_union(a, b, max): the sorted union of two stored sets, at
	// most max values (0: no bound); what Row.Merge does, inside SQLite.
	must(sqlite.RegisterDeterministicScalarFunction("seiri_set_union", 3, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		a, b := asString(args[0]), asString(args[1])
		if b == "" {
			return a, nil
		}
		if a == "" || a == b {
			return b, nil
		}
		max, _ := args[2].(int64)
		return joinSet(MergeSet(splitSet(a), splitSet(b), int(max))), nil
	}))
	// seiri_set_from_json: a schema 3 set (JSON array) as a schema 4 one.
	must(sqlite.RegisterDeterministicScalarFunction("seiri_set_from_json", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s := asString(args[0])
		if s == "" || s == "[]" {
			return "", nil
		}
		var v []string
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, fmt.Errorf("bad set %q: %w", trim(s), err)
		}
		return joinSet(v), nil
	}))
}

func must(err error) {
	if err != nil {
		panic(err) // registering a function twice is a programming error
	}
}

func asString(v driver.Value) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}

// joinSet stores a set: its values joined by setSep.
func joinSet(v []string) string {
	switch len(v) {
	case 0:
		return ""
	case 1:
		return cleanValue(v[0])
	}
	var b strings.Builder
	for i, s := range v {
		if i > 0 {
			b.WriteString(setSep)
		}
		b.WriteString(cleanValue(s))
	}
	return b.String()
}

// cleanValue replaces the separator in a sample value (a user agent can
// hold any character) with U+FFFD.
func cleanValue(s string) string {
	if strings.Contains(s, setSep) {
		return strings.ReplaceAll(s, setSep, "\uFFFD")
	}
	return s
}

func splitSet(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, setSep)
}

// upsertRows merges rows into usage and folds them into usage_by_action,
// set-based: the rows are bulk-loaded into a temporary table (multi-row
// INSERTs of up to 64 rows), the summary is folded from them with one
// INSERT … SELECT … ON CONFLICT DO UPDATE, and usage is merged with another.
// The work grows with the rows merged, not with the store (each row costs
// one key lookup in the unique index).
func upsertRows(ctx context.Context, tx *sql.Tx, rows []Row) error {
	if len(rows) == 0 {
		return nil
	}
	var last sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(id) FROM usage`).Scan(&last); err != nil {
		return err
	}
	if !last.Valid {
		return loadFresh(ctx, tx, foldRows(rows), true)
	}
	return mergeRows(ctx, tx, rows, -1)
}

// mergeRows merges rows into a usage table that may hold rows already.
// With base > 0, the ids (≤ base) of the stored rows the merge updated are
// added to temp.touched (a Writer counts the distinct rows a scan touched).
func mergeRows(ctx context.Context, tx *sql.Tx, rows []Row, base int64) error {
	// The temporary tables are kept (emptied, not dropped) between merges:
	// a streamed scan merges many parts, and dropping them freed and
	// re-allocated their pages and re-prepared every statement each time.
	for _, stmt := range []string{
		`CREATE TEMP TABLE IF NOT EXISTS incoming (account TEXT, principal TEXT, principal_type TEXT, access_key_id TEXT, action TEXT, resource TEXT, error_code TEXT, region TEXT,
			first_seen INTEGER, last_seen INTEGER, count INTEGER, authz INTEGER,
			ip_classes TEXT, source_ips TEXT, user_agents TEXT, vpc_endpoints TEXT, sessions TEXT, source_identities TEXT,
			uid INTEGER)`, // the id of the stored row of the same key, if any
		`DELETE FROM temp.incoming`,
		`CREATE TEMP TABLE IF NOT EXISTS flips (principal TEXT, account TEXT, principal_type TEXT, action TEXT, error_code TEXT, region TEXT)`,
		`DELETE FROM temp.flips`,
		`CREATE TEMP TABLE IF NOT EXISTS sumin (principal TEXT, account TEXT, principal_type TEXT, action TEXT, error_code TEXT, region TEXT, authz INTEGER,
			first_seen INTEGER, last_seen INTEGER, count INTEGER, nrows INTEGER, hit INTEGER)`,
		`DELETE FROM temp.sumin`,
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if err := bulkLoad(ctx, tx, foldRows(rows)); err != nil {
		return fmt.Errorf("load rows: %w", err)
	}
	// No upsert (INSERT … ON CONFLICT DO UPDATE): its update part always
	// aborts on a constraint error, so SQLite keeps a statement journal of
	// every page it changes, and inside a scan's long transaction nearly
	// every page was changed before: a third of a streamed merge's CPU went
	// to journaling and freeing it (docs/bench-trail.md). Instead each
	// incoming row finds its stored row once (uid), stored rows are
	// updated and new ones inserted, all OR FAIL (no statement journal:
	// any error rolls the whole transaction back).
	const match = ` u.account=incoming.account AND u.principal=incoming.principal AND u.principal_type=incoming.principal_type
		AND u.access_key_id=incoming.access_key_id AND u.action=incoming.action AND u.resource=incoming.resource
		AND u.error_code=incoming.error_code AND u.region=incoming.region`
	const sumKey = `principal,account,principal_type,action,error_code,region,authz`
	stmts := []string{`UPDATE OR FAIL temp.incoming SET uid = (SELECT u.id FROM usage u WHERE` + match + `)`}
	if base > 0 {
		stmts = append(stmts, `INSERT OR IGNORE INTO temp.touched SELECT uid FROM temp.incoming WHERE uid <= `+fmt.Sprint(base))
	}
	stmts = append(stmts,
		// A stored row whose authz turns on moves to another summary group:
		// those groups are folded again from usage after the merge (rare).
		`INSERT INTO temp.flips SELECT DISTINCT i.principal, i.account, i.principal_type, i.action, i.error_code, i.region
			FROM temp.incoming i JOIN usage u ON u.id = i.uid WHERE u.authz = 0 AND i.authz = 1`,
		// The summary takes the incoming rows: merging sums counts, keeps the
		// first first-seen and the last last-seen, which is what the summary
		// does across the rows it folds; a row new to usage adds one to nrows.
		`INSERT INTO temp.sumin SELECT i.principal,i.account,i.principal_type,i.action,i.error_code,i.region,max(i.authz,coalesce(u.authz,0)) AS az,
			min(i.first_seen),max(i.last_seen),sum(i.count),sum(i.uid IS NULL),0
			FROM temp.incoming i LEFT JOIN usage u ON u.id = i.uid
			GROUP BY i.principal,i.account,i.principal_type,i.action,i.error_code,i.region,az`,
		`UPDATE OR FAIL temp.sumin SET hit = EXISTS (SELECT 1 FROM usage_by_action b WHERE b.principal=sumin.principal AND b.account=sumin.account
			AND b.principal_type=sumin.principal_type AND b.action=sumin.action AND b.error_code=sumin.error_code AND b.region=sumin.region AND b.authz=sumin.authz)`,
		`UPDATE OR FAIL usage_by_action SET count=usage_by_action.count+s.count, first_seen=min(usage_by_action.first_seen,s.first_seen),
			last_seen=max(usage_by_action.last_seen,s.last_seen), nrows=usage_by_action.nrows+s.nrows
			FROM temp.sumin s WHERE s.hit AND usage_by_action.principal=s.principal AND usage_by_action.account=s.account
			AND usage_by_action.principal_type=s.principal_type AND usage_by_action.action=s.action AND usage_by_action.error_code=s.error_code
			AND usage_by_action.region=s.region AND usage_by_action.authz=s.authz`,
		`INSERT OR FAIL INTO usage_by_action(`+sumKey+`,first_seen,last_seen,count,nrows)
			SELECT `+sumKey+`,first_seen,last_seen,count,nrows FROM temp.sumin WHERE NOT hit`,
		`UPDATE OR FAIL usage SET count=usage.count+i.count, first_seen=min(usage.first_seen,i.first_seen), last_seen=max(usage.last_seen,i.last_seen),
			authz=max(usage.authz,i.authz),
			ip_classes=seiri_set_union(usage.ip_classes,i.ip_classes,0),
			source_ips=seiri_set_union(usage.source_ips,i.source_ips,`+fmt.Sprint(MaxSamples)+`),
			user_agents=seiri_set_union(usage.user_agents,i.user_agents,`+fmt.Sprint(MaxSamples)+`),
			vpc_endpoints=seiri_set_union(usage.vpc_endpoints,i.vpc_endpoints,`+fmt.Sprint(MaxSamples)+`),
			sessions=seiri_set_union(usage.sessions,i.sessions,`+fmt.Sprint(MaxSamples)+`),
			source_identities=seiri_set_union(usage.source_identities,i.source_identities,`+fmt.Sprint(MaxSamples)+`)
			FROM temp.incoming i WHERE usage.id = i.uid`,
		`INSERT OR FAIL INTO usage(`+rowKeyCols+`,first_seen,last_seen,count,authz,ip_classes,source_ips,user_agents,vpc_endpoints,sessions,source_identities)
			SELECT `+rowKeyCols+`,first_seen,last_seen,count,authz,ip_classes,source_ips,user_agents,vpc_endpoints,sessions,source_identities
			FROM temp.incoming WHERE uid IS NULL`,
	)
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	// Refolding flipped groups reads usage by principal (a full scan while
	// a fresh load's secondary indexes are deferred): only when there are
	// any, which is rare.
	var flips bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM temp.flips)`).Scan(&flips); err != nil {
		return err
	}
	stmts = []string{`DELETE FROM temp.flips`, `DELETE FROM temp.incoming`, `DELETE FROM temp.sumin`}
	if flips {
		stmts = append([]string{
			`DELETE FROM usage_by_action WHERE (principal,account,principal_type,action,error_code,region) IN (SELECT * FROM temp.flips)`,
			summaryFold + ` WHERE (principal,account,principal_type,action,error_code,region) IN (SELECT * FROM temp.flips)` + summaryGroup,
		}, stmts...)
	}
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

const rowKeyCols = `account,principal,principal_type,access_key_id,action,resource,error_code,region`

// secondaryIndexes are the usage indexes besides its key.
var secondaryIndexes = []string{
	`CREATE INDEX IF NOT EXISTS usage_principal ON usage (principal)`,
	`CREATE INDEX IF NOT EXISTS usage_access_key ON usage (access_key_id) WHERE access_key_id <> ''`,
	`CREATE INDEX IF NOT EXISTS usage_action ON usage (action)`,
}

// loadFresh fills an empty usage table: rows (sorted by key) go straight
// in, appending to the key index; the secondary indexes are built after
// the load (one sort each instead of a random insert per row), and the
// summary is folded from usage.
func loadFresh(ctx context.Context, tx *sql.Tx, rows []Row, indexes bool) error {
	for _, stmt := range []string{`DROP INDEX IF EXISTS usage_principal`, `DROP INDEX IF EXISTS usage_access_key`, `DROP INDEX IF EXISTS usage_action`} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if err := insertRows(ctx, tx, `INSERT OR FAIL INTO usage(account,principal,principal_type,access_key_id,action,resource,error_code,region,
		first_seen,last_seen,count,authz,ip_classes,source_ips,user_agents,vpc_endpoints,sessions,source_identities) VALUES `, rows); err != nil {
		return err
	}
	stmts := []string{`DELETE FROM usage_by_action`, summaryFold + summaryGroup}
	if indexes {
		stmts = append(stmts, secondaryIndexes...)
	}
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

const loadBatch = 64 // rows per INSERT: 18 × 64 = 1,152 parameters (SQLite allows 32,766)

func bulkLoad(ctx context.Context, tx *sql.Tx, rows []Row) error {
	return insertRows(ctx, tx, `INSERT OR FAIL INTO temp.incoming(`+rowKeyCols+`,first_seen,last_seen,count,authz,ip_classes,source_ips,user_agents,vpc_endpoints,sessions,source_identities) VALUES `, rows)
}

// insertRows inserts rows with multi-row INSERTs (prefix names the table
// and its 18 columns in Row order: key, times, count, authz, sets).
func insertRows(ctx context.Context, tx *sql.Tx, prefix string, rows []Row) error {
	stmt := func(n int) string {
		v := "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
		return prefix + strings.TrimSuffix(strings.Repeat(v+",", n), ",")
	}
	full, err := tx.PrepareContext(ctx, stmt(loadBatch))
	if err != nil {
		return err
	}
	defer full.Close()
	args := make([]any, 0, 18*loadBatch)
	for start := 0; start < len(rows); start += loadBatch {
		chunk := rows[start:min(start+loadBatch, len(rows))]
		args = args[:0]
		for i := range chunk {
			r := &chunk[i]
			authz := 0
			if r.Authz {
				authz = 1
			}
			args = append(args, r.Account, r.Principal, r.PrincipalType, r.AccessKeyID, r.Action, r.Resource, r.ErrorCode, r.Region,
				r.FirstSeen.Unix(), r.LastSeen.Unix(), r.Count, authz,
				joinSet(r.IPClasses), joinSet(r.SourceIPs), joinSet(r.UserAgents), joinSet(r.VPCEndpoints), joinSet(r.Sessions), joinSet(r.SourceIdentities))
		}
		st := full
		if len(chunk) < loadBatch {
			if st, err = tx.PrepareContext(ctx, stmt(len(chunk))); err != nil {
				return err
			}
			defer st.Close()
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// foldRows returns rows sorted by key with rows of equal keys merged (the
// merge statement counts a key new to usage once per incoming row); in key
// order the unique index is also filled front to back.
func foldRows(rows []Row) []Row {
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b Row) int { return a.Key.Compare(b.Key) })
	w := 0
	for i := range out {
		if w > 0 && out[w-1].Key == out[i].Key {
			out[w-1].Merge(&out[i])
			continue
		}
		out[w] = out[i]
		w++
	}
	return out[:w]
}
