package usage

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestOpenAtOnce: processes that create the same store at the same moment
// (two scans started together in a new workspace) all open it, and it
// holds one schema: none fails on the other's schema row.
func TestOpenAtOnce(t *testing.T) {
	for round := range 20 {
		path := filepath.Join(t.TempDir(), "usage.db")
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				s, err := Open(context.Background(), path)
				if err == nil {
					err = s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, opener %d: %v", round, i, err)
			}
		}
		s, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		var n, size int
		if err := s.db.QueryRow(`SELECT count(*) FROM meta WHERE k='schema'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("round %d: %d schema rows (%v), want 1", round, n, err)
		}
		if err := s.db.QueryRow(`PRAGMA page_size`).Scan(&size); err != nil || size != pageSize {
			t.Fatalf("round %d: pages of %d bytes (%v), want %d", round, size, err, pageSize)
		}
		s.Close()
	}
}

// TestPageSize: a new store has pages of pageSize, in WAL mode (the
// driver sorts its _pragma list: a journal_mode there would run first and
// fix an empty file's pages at 4 KB); a store made with 4 KB pages keeps
// them, and opens, writes and reads as any other.
func TestPageSize(t *testing.T) {
	ctx := context.Background()
	pages := func(s *Store) (size int, mode string) {
		t.Helper()
		if err := s.db.QueryRow(`PRAGMA page_size`).Scan(&size); err != nil {
			t.Fatal(err)
		}
		if err := s.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		return size, mode
	}
	fresh, err := Open(ctx, filepath.Join(t.TempDir(), "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if size, mode := pages(fresh); size != pageSize || mode != "wal" {
		t.Errorf("new store: pages of %d bytes, journal %s; want %d, wal", size, mode, pageSize)
	}

	path := filepath.Join(t.TempDir(), "usage.db")
	db, err := sql.Open("sqlite", "file:"+URIPath(path)+"?_pragma=page_size(4096)&_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	old, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if size, mode := pages(old); size != 4096 || mode != "wal" {
		t.Errorf("store made with 4 KB pages: pages of %d bytes, journal %s; want 4096, wal", size, mode)
	}
	rows := []Row{{Key: Key{Account: "111111111111", Principal: "arn:aws:iam::111111111111:user/alice", PrincipalType: "IAMUser", Action: "s3:GetObject", Resource: "*", Region: "us-east-1"},
		FirstSeen: time.Unix(1700000000, 0).UTC(), LastSeen: time.Unix(1700000100, 0).UTC(), Count: 3, Authz: true}}
	for _, s := range []*Store{fresh, old} {
		if err := s.Commit(ctx, Batch{Rows: rows}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Usage(ctx, Query{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Key != rows[0].Key || got[0].Count != 3 {
			t.Errorf("read back %+v, want %+v", got, rows)
		}
	}
}
