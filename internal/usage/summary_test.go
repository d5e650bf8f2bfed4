package usage

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type summaryRow struct {
	Principal, Account, PrincipalType, Action, ErrorCode, Region string
	Authz                                                        bool
	First, Last, Count, Rows                                     int64
}

func readSummary(t *testing.T, db *sql.DB, fromUsage bool) []summaryRow {
	t.Helper()
	q := `SELECT principal,account,principal_type,action,error_code,region,authz,first_seen,last_seen,count,nrows FROM ` + summaryText + ` ORDER BY 1,2,3,4,5,6,7`
	if fromUsage {
		q = `SELECT principal,account,principal_type,action,error_code,region,authz,min(first_seen),max(last_seen),sum(count),count(*) FROM ` + usageText +
			summaryGroup + ` ORDER BY 1,2,3,4,5,6,7`
	}
	rs, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []summaryRow
	for rs.Next() {
		var r summaryRow
		if err := rs.Scan(&r.Principal, &r.Account, &r.PrincipalType, &r.Action, &r.ErrorCode, &r.Region, &r.Authz, &r.First, &r.Last, &r.Count, &r.Rows); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// randomRows draws rows over a small key space, so that batches merge into
// rows already stored, and some merges turn a stored row's authz on.
func randomRows(rng *rand.Rand, n int) []Row {
	pick := func(v ...string) string { return v[rng.IntN(len(v))] }
	rows := make([]Row, n)
	for i := range rows {
		first := time.Duration(rng.IntN(200*24)) * time.Hour
		rows[i] = Row{
			Key: Key{
				Account:       pick("111111111111", "222222222222"),
				Principal:     pick("arn:aws:iam::111111111111:user/a", "arn:aws:iam::111111111111:role/r", "arn:aws:iam::222222222222:user/b"),
				PrincipalType: pick("IAMUser", "AssumedRole"),
				AccessKeyID:   pick("", "AKIA1", "ASIA2"),
				Action:        pick("s3:GetObject", "s3:ListBucket", "ec2:DescribeInstances", "signin:ConsoleLogin"),
				Resource:      pick("", "arn:aws:s3:::b/k1", "arn:aws:s3:::b/k2"),
				ErrorCode:     pick("", "", "AccessDenied"),
				Region:        pick("", "us-east-1", "eu-west-3"),
			},
			FirstSeen: t0.Add(first),
			LastSeen:  t0.Add(first + time.Duration(rng.IntN(100*24))*time.Hour),
			Count:     int64(1 + rng.IntN(50)),
			Authz:     rng.IntN(4) != 0,
		}
	}
	return rows
}

// The summary maintained by Commit equals folding the usage rows, after
// every batch: new keys, merged keys, authz turned on by a merge.
func TestSummaryMaintainedByCommit(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for batch := range 8 {
		if err := s.Commit(ctx, Batch{Rows: randomRows(rng, 300)}); err != nil {
			t.Fatal(err)
		}
		want, got := readSummary(t, s.db, true), readSummary(t, s.db, false)
		if len(want) == 0 {
			t.Fatal("no rows")
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("batch %d: summary (-usage folded +usage_by_action):\n%s", batch, diff)
		}
		// Totals from the summary equal the figures of the usage rows.
		var w Totals
		var f, l int64
		if err := s.db.QueryRow(`SELECT count(*), sum(count), sum(error_code<>''), count(DISTINCT principal),
			count(DISTINCT nullif(access_key_id,'')), count(DISTINCT account), count(DISTINCT action), min(first_seen), max(last_seen) FROM `+usageText).
			Scan(&w.Rows, &w.Events, &w.ErrorRows, &w.Principals, &w.AccessKeys, &w.Accounts, &w.Actions, &f, &l); err != nil {
			t.Fatal(err)
		}
		w.FirstSeen, w.LastSeen = time.Unix(f, 0).UTC(), time.Unix(l, 0).UTC()
		tot, err := s.Totals(ctx)
		if err != nil {
			t.Fatal(err)
		}
		w.Runs = tot.Runs
		if diff := cmp.Diff(w, tot); diff != "" {
			t.Fatalf("batch %d: totals (-usage rows +summary):\n%s", batch, diff)
		}
	}
}

// A merge that turns authz on moves the row's counts to the authz group.
func TestSummaryAuthzFlip(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	u := "arn:aws:iam::111111111111:user/u"
	a := row(u, "s3:GetObject", "", 0, time.Hour, 3)
	a.Authz = false
	b := row(u, "s3:GetObject", "", 2*time.Hour, 3*time.Hour, 4)
	b.AccessKeyID = "AKIA2" // another usage row of the same summary group
	b.Authz = false
	if err := s.Upsert(ctx, []Row{a, b}); err != nil {
		t.Fatal(err)
	}
	c := a
	c.Authz, c.Count = true, 1
	if err := s.Upsert(ctx, []Row{c}); err != nil {
		t.Fatal(err)
	}
	base := summaryRow{Principal: u, Account: "111111111111", PrincipalType: "IAMUser", Action: "s3:GetObject"}
	off, on := base, base
	off.First, off.Last, off.Count, off.Rows = t0.Add(2*time.Hour).Unix(), t0.Add(3*time.Hour).Unix(), 4, 1
	on.Authz, on.First, on.Last, on.Count, on.Rows = true, t0.Unix(), t0.Add(time.Hour).Unix(), 4, 1
	if diff := cmp.Diff([]summaryRow{off, on}, readSummary(t, s.db, false)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A schema 2 store (no summary) is backfilled when opened.
func TestSummaryBackfillFromSchema2(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usage.db")
	mem := openTemp(t)
	rng := rand.New(rand.NewPCG(3, 4))
	if err := mem.Upsert(ctx, randomRows(rng, 500)); err != nil {
		t.Fatal(err)
	}
	want := readSummary(t, mem.db, true)
	rows, err := mem.Usage(ctx, Query{})
	if err != nil {
		t.Fatal(err)
	}
	// The store an older seiri left: no summary table, schema 2.
	createV6(t, path, rows, nil)
	execRaw(t, path, `DROP TABLE usage_by_action`, `UPDATE meta SET v='2' WHERE k='schema'`)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if diff := cmp.Diff(want, readSummary(t, s.db, false)); diff != "" {
		t.Errorf("backfilled summary (-want +got):\n%s", diff)
	}
	var v string
	if err := s.db.QueryRow(`SELECT v FROM meta WHERE k='schema'`).Scan(&v); err != nil || v != fmt.Sprint(SchemaVersion) {
		t.Errorf("schema %q %v", v, err)
	}
	// Later commits keep it in step.
	if err := s.Upsert(ctx, randomRows(rng, 200)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(readSummary(t, s.db, true), readSummary(t, s.db, false)); diff != "" {
		t.Errorf("after commit (-want +got):\n%s", diff)
	}
}

// Paths holding '#', '?' or '%' name their own file, not a prefix of it.
func TestOpenPathWithURICharacters(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, name := range []string{"a#1.db", "a#2.db", "b?x.db", "c%23.db"} {
		s, err := Open(ctx, filepath.Join(dir, name))
		if err != nil {
			t.Fatal(name, err)
		}
		if err := s.Upsert(ctx, []Row{row("arn:aws:iam::111111111111:user/"+name, "s3:GetObject", "", 0, 0, 1)}); err != nil {
			t.Fatal(name, err)
		}
		tot, err := s.Totals(ctx)
		if err != nil || tot.Rows != 1 {
			t.Errorf("%s: %d rows, %v (another store's file?)", name, tot.Rows, err)
		}
		s.Close()
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
