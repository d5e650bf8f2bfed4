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
