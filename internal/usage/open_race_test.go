package usage

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
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
		var n int
		if err := s.db.QueryRow(`SELECT count(*) FROM meta WHERE k='schema'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("round %d: %d schema rows (%v), want 1", round, n, err)
		}
		s.Close()
	}
}
