package usage

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func randomSessionKeys(rng *rand.Rand, n int) []SessionKey {
	out := make([]SessionKey, n)
	for i := range out {
		k := fmt.Sprintf("ASIA%04d", rng.IntN(n))
		if rng.IntN(10) == 0 {
			k = fmt.Sprintf("KEY%d", rng.IntN(n)) // not an ASIA key: written "=KEY"
		}
		out[i] = SessionKey{SessionKey: k, IssuerKey: fmt.Sprintf("AKIA%d", rng.IntN(4)),
			IssuerPrincipal: fmt.Sprintf("arn:aws:iam::111111111111:user/u%d", rng.IntN(3)), Action: "sts:AssumeRole",
			Role: []string{"", "arn:aws:iam::111111111111:role/r"}[rng.IntN(2)], IssuedAt: t0.Add(time.Duration(rng.IntN(3*24*3600)) * time.Second)}
	}
	return out
}

func dumpSessionTables(t *testing.T, db *sql.DB) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT a.s, b.s, c.s, d.s, day, keys FROM session_keys JOIN strs a ON a.id=issuer_key JOIN strs b ON b.id=issuer_principal
			JOIN strs c ON c.id=role JOIN strs d ON d.id=action ORDER BY 1,2,3,4,5`,
		`SELECT h, day, '', '', '', '' FROM session_key_days ORDER BY 1,2`,
	} {
		rs, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var v [6]any
			if err := rs.Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5]); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(v))
		}
		rs.Close()
	}
	return out
}

// TestLoadSessionKeysAsInsert: the session keys a commit loads (sorted
// groups, plain inserts into an empty table, upserts otherwise) are stored
// as insertSessionKeys stores them, over one batch and over two (the
// second merges keys, some repeated with another issue time, into rows the
// first wrote).
func TestLoadSessionKeysAsInsert(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 13))
	for _, batches := range [][]int{{500}, {300, 300}} {
		var keys [][]SessionKey
		for _, n := range batches {
			keys = append(keys, randomSessionKeys(rng, n))
		}
		load := func(f func(context.Context, *sql.Tx, *dict, []SessionKey) error) []string {
			s := openTemp(t)
			for _, ks := range keys {
				tx, err := s.db.BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				d, err := newDict(ctx, tx)
				if err != nil {
					t.Fatal(err)
				}
				if err := f(ctx, tx, d, ks); err != nil {
					t.Fatal(err)
				}
				d.close()
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			return dumpSessionTables(t, s.db)
		}
		want, got := load(insertSessionKeys), load(loadSessionKeys)
		if len(want) < 100 {
			t.Fatalf("only %d session rows: the test data is too small", len(want))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("batches %v (-insertSessionKeys +loadSessionKeys):\n%s", batches, diff)
		}
	}
}
