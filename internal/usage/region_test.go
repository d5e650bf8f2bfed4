package usage

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A store written by schema 1 (no region) opens, keeps its rows with an
// empty region, and takes rows that differ only by region as distinct.
func TestRegionMigrationFromSchema1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usage.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`,
		`INSERT INTO meta VALUES('schema','1')`,
		`CREATE TABLE usage (account TEXT NOT NULL, principal TEXT NOT NULL, principal_type TEXT NOT NULL, access_key_id TEXT NOT NULL,
			action TEXT NOT NULL, resource TEXT NOT NULL, error_code TEXT NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
			count INTEGER NOT NULL, authz INTEGER NOT NULL, ip_classes TEXT NOT NULL, source_ips TEXT NOT NULL, user_agents TEXT NOT NULL,
			vpc_endpoints TEXT NOT NULL, sessions TEXT NOT NULL, source_identities TEXT NOT NULL,
			PRIMARY KEY (account, principal, principal_type, access_key_id, action, resource, error_code)) WITHOUT ROWID`,
		`CREATE INDEX usage_principal ON usage (principal)`,
		`INSERT INTO usage VALUES('111111111111','arn:aws:iam::111111111111:user/u','IAMUser','AKIA1','s3:GetObject','','',1,2,7,1,'[]','[]','[]','[]','[]','[]')`,
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
	r := row("arn:aws:iam::111111111111:user/u", "s3:GetObject", "", 0, 0, 2)
	r.Region = "eu-west-3"
	if err := s.Upsert(ctx, []Row{r}); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Usage(ctx, Query{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var counts []int64
	for _, x := range rows {
		got = append(got, x.Region)
		counts = append(counts, x.Count)
	}
	if diff := cmp.Diff([]string{"", "eu-west-3"}, got); diff != "" {
		t.Errorf("regions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{7, 2}, counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	// Schema 1 goes on to 3: the summary holds the migrated row too.
	if diff := cmp.Diff(readSummary(t, s.db, true), readSummary(t, s.db, false)); diff != "" || len(readSummary(t, s.db, false)) != 2 {
		t.Errorf("summary (-usage folded +usage_by_action):\n%s", diff)
	}
	s.Close()
	// Reopening a migrated store is a no-op.
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
}
