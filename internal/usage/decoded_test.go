package usage

import (
	"context"
	"database/sql"
	"testing"
)

// usageText and summaryText are the usage and usage_by_action tables with
// their strings in place of the dictionary ids (tests read them with SQL).
const usageText = `(SELECT sp.s principal, sa.s account, st.s principal_type, sk.s access_key_id, sx.s action, sr.s resource,
	se.s error_code, sg.s region, first_seen, last_seen, count, authz, samples FROM usage u
	JOIN strs sp ON sp.id=u.principal JOIN strs sa ON sa.id=u.account JOIN strs st ON st.id=u.principal_type
	JOIN strs sk ON sk.id=u.access_key_id JOIN strs sx ON sx.id=u.action JOIN strs sr ON sr.id=u.resource
	JOIN strs se ON se.id=u.error_code JOIN strs sg ON sg.id=u.region)`

const summaryText = `(SELECT sp.s principal, sa.s account, st.s principal_type, sx.s action, se.s error_code, sg.s region,
	authz, first_seen, last_seen, count, nrows FROM usage_by_action u
	JOIN strs sp ON sp.id=u.principal JOIN strs sa ON sa.id=u.account JOIN strs st ON st.id=u.principal_type
	JOIN strs sx ON sx.id=u.action JOIN strs se ON se.id=u.error_code JOIN strs sg ON sg.id=u.region)`

// createV6 makes a schema 6 store at path holding rows, the way seiri
// before schema 7 wrote it.
func createV6(t *testing.T, path string, rows []Row, keys []SessionKey) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+URIPath(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, stmt := range []string{`CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`, `INSERT INTO meta VALUES('schema','6')`,
		schemaAux + schemaLegacyV6 + schemaUsageV6 + schemaSessionUse + schemaSessionTimeV6} {
		if _, err := tx.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rows {
		if _, err := tx.Exec(`INSERT INTO usage(`+rowColsV6+`) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			r.Account, r.Principal, r.PrincipalType, r.AccessKeyID, r.Action, r.Resource, r.ErrorCode, r.FirstSeen.Unix(), r.LastSeen.Unix(), r.Count, r.Authz,
			joinSet(r.IPClasses), joinSet(r.SourceIPs), joinSet(r.UserAgents), joinSet(r.VPCEndpoints), joinSet(r.Sessions), joinSet(r.SourceIdentities), r.Region); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Exec(summaryFold + summaryGroup); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if _, err := tx.Exec(`INSERT INTO session_keys VALUES(?,?,?,?,?,?)`, k.SessionKey, k.IssuerKey, k.IssuerPrincipal, k.Action, k.Role, k.IssuedAt.Unix()); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// execRaw runs statements on the database at path, outside any Store.
func execRaw(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+URIPath(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range stmts {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(stmt, err)
		}
	}
}
