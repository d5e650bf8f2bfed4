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
	for _, stmt := range []string{
		`DROP TABLE IF EXISTS temp.incoming`,
		`CREATE TEMP TABLE incoming (account TEXT, principal TEXT, principal_type TEXT, access_key_id TEXT, action TEXT, resource TEXT, error_code TEXT, region TEXT,
			first_seen INTEGER, last_seen INTEGER, count INTEGER, authz INTEGER,
			ip_classes TEXT, source_ips TEXT, user_agents TEXT, vpc_endpoints TEXT, sessions TEXT, source_identities TEXT)`,
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if err := bulkLoad(ctx, tx, foldRows(rows)); err != nil {
		return fmt.Errorf("load rows: %w", err)
	}
	const key = `account,principal,principal_type,access_key_id,action,resource,error_code,region`
	const join = ` FROM temp.incoming i LEFT JOIN usage u ON u.account=i.account AND u.principal=i.principal AND u.principal_type=i.principal_type
		AND u.access_key_id=i.access_key_id AND u.action=i.action AND u.resource=i.resource AND u.error_code=i.error_code AND u.region=i.region`
	var stmts []string
	if base > 0 {
		stmts = append(stmts, `INSERT OR IGNORE INTO temp.touched SELECT u.id`+join+` WHERE u.id <= `+fmt.Sprint(base))
	}
	stmts = append(stmts,
		// A stored row whose authz turns on moves to another summary group:
		// those groups are folded again from usage after the merge (rare).
		`DROP TABLE IF EXISTS temp.flips`,
		`CREATE TEMP TABLE flips AS SELECT DISTINCT i.principal, i.account, i.principal_type, i.action, i.error_code, i.region`+join+` WHERE u.authz = 0 AND i.authz = 1`,
		// The summary takes the incoming rows: merging sums counts, keeps the
		// first first-seen and the last last-seen, which is what the summary
		// does across the rows it folds; a row new to usage adds one to nrows.
		`INSERT OR FAIL INTO usage_by_action(principal,account,principal_type,action,error_code,region,authz,first_seen,last_seen,count,nrows)
			SELECT i.principal,i.account,i.principal_type,i.action,i.error_code,i.region,max(i.authz,coalesce(u.authz,0)) AS az,
				min(i.first_seen),max(i.last_seen),sum(i.count),sum(u.id IS NULL)`+join+`
			WHERE true GROUP BY i.principal,i.account,i.principal_type,i.action,i.error_code,i.region,az
			ON CONFLICT(principal,account,principal_type,action,error_code,region,authz) DO UPDATE SET count=count+excluded.count,
			first_seen=min(first_seen,excluded.first_seen), last_seen=max(last_seen,excluded.last_seen), nrows=nrows+excluded.nrows`,
		`INSERT OR FAIL INTO usage(`+key+`,first_seen,last_seen,count,authz,ip_classes,source_ips,user_agents,vpc_endpoints,sessions,source_identities)
			SELECT `+key+`,first_seen,last_seen,count,authz,ip_classes,source_ips,user_agents,vpc_endpoints,sessions,source_identities FROM temp.incoming WHERE true
			ON CONFLICT(`+key+`) DO UPDATE SET count=count+excluded.count,
			first_seen=min(first_seen,excluded.first_seen), last_seen=max(last_seen,excluded.last_seen), authz=max(authz,excluded.authz),
			ip_classes=seiri_set_union(ip_classes,excluded.ip_classes,0),
			source_ips=seiri_set_union(source_ips,excluded.source_ips,`+fmt.Sprint(MaxSamples)+`),
			user_agents=seiri_set_union(user_agents,excluded.user_agents,`+fmt.Sprint(MaxSamples)+`),
			vpc_endpoints=seiri_set_union(vpc_endpoints,excluded.vpc_endpoints,`+fmt.Sprint(MaxSamples)+`),
			sessions=seiri_set_union(sessions,excluded.sessions,`+fmt.Sprint(MaxSamples)+`),
			source_identities=seiri_set_union(source_identities,excluded.source_identities,`+fmt.Sprint(MaxSamples)+`)`,
		`DELETE FROM usage_by_action WHERE (principal,account,principal_type,action,error_code,region) IN (SELECT * FROM temp.flips)`,
		summaryFold+` WHERE (principal,account,principal_type,action,error_code,region) IN (SELECT * FROM temp.flips)`+summaryGroup,
		`DROP TABLE temp.flips`,
		`DROP TABLE temp.incoming`,
	)
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

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
	return insertRows(ctx, tx, `INSERT OR FAIL INTO temp.incoming VALUES `, rows)
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
