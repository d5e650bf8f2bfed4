package usage

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A store written by schema 3 (WITHOUT ROWID usage table, JSON sample sets,
// scanned objects per source) opens as schema 4: rows keep their sets and
// summary, and its delivery-layout objects enter the ledger by identity.
func TestMigrationFromSchema3(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usage.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	const key = "/org/AWSLogs/o-abc/111111111111/CloudTrail/us-east-1/2026/11/02"
	for _, stmt := range []string{
		`CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`,
		`INSERT INTO meta VALUES('schema','3')`,
		`CREATE TABLE usage (account TEXT NOT NULL, principal TEXT NOT NULL, principal_type TEXT NOT NULL, access_key_id TEXT NOT NULL,
			action TEXT NOT NULL, resource TEXT NOT NULL, error_code TEXT NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
			count INTEGER NOT NULL, authz INTEGER NOT NULL, ip_classes TEXT NOT NULL, source_ips TEXT NOT NULL, user_agents TEXT NOT NULL,
			vpc_endpoints TEXT NOT NULL, sessions TEXT NOT NULL, source_identities TEXT NOT NULL, region TEXT NOT NULL DEFAULT '',
			PRIMARY KEY (account, principal, principal_type, access_key_id, action, resource, error_code, region)) WITHOUT ROWID`,
		`CREATE INDEX usage_principal ON usage (principal)`,
		`CREATE INDEX usage_action ON usage (action)`,
		`INSERT INTO usage VALUES('111111111111','arn:aws:iam::111111111111:user/u','IAMUser','AKIA1','s3:GetObject','','',1,2,7,1,
			'["public"]','["1.1.1.1","2.2.2.2"]','["ua \"quoted\""]','[]','[]','[]','us-east-1')`,
		`CREATE TABLE scanned_dirs (source TEXT NOT NULL, dir TEXT NOT NULL, objects INTEGER NOT NULL, scanned_at INTEGER NOT NULL,
			entries BLOB NOT NULL, PRIMARY KEY (source, dir)) WITHOUT ROWID`,
		`INSERT INTO scanned_dirs VALUES('/logs','` + key + `',1,5,'111111111111_CloudTrail_us-east-1_20261102T0000Z_a.json.gz	10		5` + "\n" + `')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(stmt, err)
		}
	}
	db.Close()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.Usage(ctx, Query{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{{Key: Key{Account: "111111111111", Principal: "arn:aws:iam::111111111111:user/u", PrincipalType: "IAMUser", AccessKeyID: "AKIA1",
		Action: "s3:GetObject", Region: "us-east-1"}, FirstSeen: rows[0].FirstSeen, LastSeen: rows[0].LastSeen, Count: 7, Authz: true,
		IPClasses: []string{"public"}, SourceIPs: []string{"1.1.1.1", "2.2.2.2"}, UserAgents: []string{`ua "quoted"`}}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	l, err := s.Ledger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Unlock()
	e, ok, err := l.Lookup(ctx, ObjectID{Dir: "111111111111/us-east-1/2026/11/02", Name: "111111111111_CloudTrail_us-east-1_20261102T0000Z_a.json"})
	if err != nil || !ok || e.Digest != "" || e.Size != -1 {
		t.Errorf("ledger entry %+v %v %v", e, ok, err)
	}
	if !l.HeldLocally(Unit{Day: "2026/11/02", Account: "111111111111", Region: "us-east-1"}) {
		t.Error("the unit of a scanned object is not held by the local engine")
	}
}

// A schema 5 store opens as schema 6: its session tables gain their time
// indexes and are pruned by the next commit.
func TestMigrationFromSchema5(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usage.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{`DROP INDEX session_keys_issued`, `DROP INDEX session_use_day`, `UPDATE meta SET v='5' WHERE k='schema'`,
		`INSERT INTO session_keys VALUES('ASIAOLD','AKIA1','arn:aws:iam::111111111111:user/u','sts:GetSessionToken','',1000)`} {
		if _, err := s.db.Exec(stmt); err != nil {
			t.Fatal(stmt, err)
		}
	}
	s.Close()
	if s, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v string
	var n int
	if err := s.db.QueryRow(`SELECT (SELECT v FROM meta WHERE k='schema'), (SELECT count(*) FROM sqlite_master WHERE name IN ('session_keys_issued','session_use_day'))`).Scan(&v, &n); err != nil || v != "6" || n != 2 {
		t.Fatalf("after opening: schema %s, %d time indexes, %v", v, n, err)
	}
	if err := s.Commit(ctx, Batch{SessionKeys: []SessionKey{{SessionKey: "ASIANEW", IssuerKey: "AKIA1", Action: "sts:GetSessionToken", IssuedAt: t0}}}); err != nil {
		t.Fatal(err)
	}
	if ks, err := s.SessionKeys(ctx, "AKIA1", ""); err != nil || len(ks) != 1 || ks[0].SessionKey != "ASIANEW" {
		t.Errorf("session keys after a commit: %+v, %v", ks, err)
	}
}
