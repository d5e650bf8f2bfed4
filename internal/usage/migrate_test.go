package usage

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

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
		`INSERT INTO scanned_dirs(source,dir,objects,scanned_at,entries) VALUES('/logs','` + key + `',1,5,'111111111111_CloudTrail_us-east-1_20261102T0000Z_a.json.gz	10		5` + "\n" + `')`,
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

// A schema 5 store opens as schema 9 (through 7): its session keys are packed, its
// rows move to the dictionary-encoded table.
func TestMigrationFromSchema5(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usage.db")
	createV6(t, path, nil, []SessionKey{{SessionKey: "ASIAOLD", IssuerKey: "AKIA1", IssuerPrincipal: "arn:aws:iam::111111111111:user/u",
		Action: "sts:GetSessionToken", IssuedAt: t0.Add(-time.Hour)}})
	execRaw(t, path, `DROP INDEX session_keys_issued`, `DROP INDEX session_use_day`, `UPDATE meta SET v='5' WHERE k='schema'`)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v string
	if err := s.db.QueryRow(`SELECT v FROM meta WHERE k='schema'`).Scan(&v); err != nil || v != fmt.Sprint(SchemaVersion) {
		t.Fatalf("after opening: schema %s, %v", v, err)
	}
	if err := s.Commit(ctx, Batch{SessionKeys: []SessionKey{{SessionKey: "ASIANEW", IssuerKey: "AKIA1", IssuerPrincipal: "arn:aws:iam::111111111111:user/u",
		Action: "sts:GetSessionToken", IssuedAt: t0}}}); err != nil {
		t.Fatal(err)
	}
	ks, err := s.SessionKeys(ctx, "AKIA1", "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range ks {
		got = append(got, k.SessionKey+" "+k.IssuedAt.Format(time.RFC3339))
	}
	want := []string{"ASIAOLD " + t0.Add(-time.Hour).Format(time.RFC3339), "ASIANEW " + t0.Format(time.RFC3339)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("session keys after a commit (-want +got):\n%s", diff)
	}
	if from, err := s.SessionKeys(ctx, "", "ASIAOLD"); err != nil || len(from) != 1 || from[0].IssuerKey != "AKIA1" {
		t.Errorf("where ASIAOLD came from: %+v, %v", from, err)
	}
}

// A schema 6 store opens as schema 9 (through 7) with the same rows, summary, totals,
// session keys and session uses, whatever query reads them.
func TestMigrationFromSchema6(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 8))
	mem := openTemp(t)
	in := randomRows(rng, 400)
	for i := range in {
		in[i].SourceIPs = []string{fmt.Sprintf("10.0.0.%d", i%7)}
		in[i].UserAgents = []string{"ua\x1ewith separators\x1f"}
	}
	keys := []SessionKey{
		{SessionKey: "ASIAK1", IssuerKey: "AKIA1", IssuerPrincipal: "arn:aws:iam::111111111111:user/a", Action: "sts:GetSessionToken", IssuedAt: t0},
		{SessionKey: "ASIAK2", IssuerKey: "AKIA1", IssuerPrincipal: "arn:aws:iam::111111111111:user/a", Action: "sts:AssumeRole",
			Role: "arn:aws:iam::111111111111:role/r", IssuedAt: t0.Add(25 * time.Hour)},
	}
	uses := []SessionUse{{SessionUseKey: SessionUseKey{Account: "111111111111", Principal: "arn:aws:iam::111111111111:role/r", Day: t0.Format(time.DateOnly)}, Keys: []string{"ASIAK2"}}}
	if err := mem.Commit(ctx, Batch{Rows: in, SessionKeys: keys, SessionUses: uses}); err != nil {
		t.Fatal(err)
	}
	rows, err := mem.Usage(ctx, Query{})
	if err != nil {
		t.Fatal(err)
	}
	wantTotals, err := mem.Totals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantSummary := readSummary(t, mem.db, false)
	path := filepath.Join(t.TempDir(), "usage.db")
	createV6(t, path, rows, keys)
	const ldir, mdir = "111111111111/us-east-1/2026/11/02", "AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/02"
	const name, digest = "111111111111_CloudTrail_us-east-1_20261102T0000Z_a.json", "0123456789abcdef0123456789abcdef"
	execRaw(t, path, `INSERT INTO session_use VALUES('111111111111','arn:aws:iam::111111111111:role/r','`+t0.Format(time.DateOnly)+`','ASIAK2')`,
		`INSERT INTO objects(dir,n,entries) VALUES('`+ldir+`',1,'`+name+"\t10\t"+digest+"\n"+`')`,
		`INSERT INTO objects(dir,n,entries) VALUES('sha256/01',1,'`+digest+"\t10\t"+digest+"\n"+`')`,
		`INSERT INTO scanned_dirs(source,dir,objects,scanned_at,entries) VALUES('/logs','`+mdir+`',1,5,'`+name+".gz\t10\t\t5\n"+`')`)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range []Query{{}, {Principal: "arn:aws:iam::111111111111:user/a"}, {Account: "222222222222"}, {Action: "s3:*"},
		{AccessKeyID: "AKIA1"}, {AccessKeyID: "ASIAK2"}, {ErrorsOnly: true}, {AuthzOnly: true, Since: t0.Add(50 * 24 * time.Hour)}} {
		want, err := mem.Usage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			// Schema 6 stored a value holding its separators with U+FFFD
			// in their place.
			for j, ua := range want[i].UserAgents {
				want[i].UserAgents[j] = cleanValue(ua)
			}
		}
		got, err := s.Usage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%+v (-before +after upgrade):\n%s", q, diff)
		}
	}
	tot, err := s.Totals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantTotals.ScannedObjects = 1 // the mark added to the schema 6 store
	if diff := cmp.Diff(wantTotals, tot); diff != "" {
		t.Errorf("totals (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(wantSummary, readSummary(t, s.db, false)); diff != "" {
		t.Errorf("summary (-before +after):\n%s", diff)
	}
	for _, k := range []string{"AKIA1", ""} {
		want, _ := mem.SessionKeys(ctx, k, "")
		got, err := s.SessionKeys(ctx, k, "")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" || len(got) != 2 {
			t.Errorf("session keys of %q (-before +after):\n%s", k, diff)
		}
	}
	for _, k := range []string{"ASIAK1", "ASIAK2"} {
		want, _ := mem.SessionKeys(ctx, "", k)
		got, err := s.SessionKeys(ctx, "", k)
		if diff := cmp.Diff(want, got); diff != "" || err != nil || len(got) != 1 {
			t.Errorf("where %s came from (-before +after): %v\n%s", k, err, diff)
		}
	}
	// The ledger and the marks read the same, in the compact encoding.
	l, err := s.Ledger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[ObjectID]LedgerEntry{{Dir: ldir, Name: name}: {Size: 10, Digest: digest}, ContentID(digest): {Size: -1, Digest: digest}} {
		if e, ok, err := l.Lookup(ctx, id); err != nil || !ok || e != want {
			t.Errorf("ledger %s: %+v %v %v", id, e, ok, err)
		}
	}
	s.Unlock()
	marks, err := s.ScannedObjects(ctx, "/logs")
	if want := map[string]ObjectMark{mdir + "/" + name + ".gz": {Size: 10, MTime: time.Unix(5, 0).UTC()}}; err != nil || !cmp.Equal(want, marks) {
		t.Errorf("marks %v %v", marks, err)
	}
	var n int
	if err := s.db.QueryRow(`SELECT (SELECT count(*) FROM objects WHERE hex(substr(entries,1,1)) = '01') + (SELECT count(*) FROM scanned_dirs WHERE hex(substr(entries,1,1)) = '01')`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d folder rows in the binary encoding, want 2 (%v)", n, err)
	}
	got, err := s.SessionUses(ctx, "ASIAK2")
	if diff := cmp.Diff(uses, got); diff != "" || err != nil {
		t.Errorf("session uses (-want +got): %v\n%s", err, diff)
	}
}
