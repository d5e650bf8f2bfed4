package usage

import (
	stdcmp "cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
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
// first wrote), whether the table's emptiness is asked or a Writer's
// record of the rows it wrote says which rows are new.
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
		want := load(insertSessionKeys)
		if len(want) < 100 {
			t.Fatalf("only %d session rows: the test data is too small", len(want))
		}
		asked := load(func(ctx context.Context, tx *sql.Tx, d *dict, ks []SessionKey) error {
			return loadSessionKeys(ctx, tx, d, ks, nil)
		})
		written := map[uint64]struct{}{}
		recorded := load(func(ctx context.Context, tx *sql.Tx, d *dict, ks []SessionKey) error {
			return loadSessionKeys(ctx, tx, d, ks, written)
		})
		for name, got := range map[string][]string{"emptiness asked": asked, "rows written recorded": recorded} {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("batches %v, %s (-insertSessionKeys +loadSessionKeys):\n%s", batches, name, diff)
			}
		}
	}
}

// insertSessionKeys is the reference loadSessionKeys is checked against
// (what the store did before it): a map of each row's keys, the rows
// sorted, upserts.
func insertSessionKeys(ctx context.Context, tx *sql.Tx, d *dict, keys []SessionKey) error {
	if len(keys) == 0 {
		return nil
	}
	groups := map[sessionRowKey]map[string]int64{}
	days := map[[2]int64]bool{}
	for i := range keys {
		k := &keys[i]
		g, err := d.sessionRow(ctx, k)
		if err != nil {
			return err
		}
		m := groups[g]
		if m == nil {
			m = map[string]int64{}
			groups[g] = m
		}
		secs := k.IssuedAt.Unix() - g.day*daySecs
		if old, ok := m[k.SessionKey]; !ok || secs < old {
			m[k.SessionKey] = secs
		}
		days[[2]int64{keyHash(k.SessionKey), g.day}] = true
	}
	gs := make([]sessionRowKey, 0, len(groups))
	for g := range groups {
		gs = append(gs, g)
	}
	slices.SortFunc(gs, func(a, b sessionRowKey) int {
		return stdcmp.Or(stdcmp.Compare(a.issuer, b.issuer), stdcmp.Compare(a.principal, b.principal), stdcmp.Compare(a.role, b.role),
			stdcmp.Compare(a.action, b.action), stdcmp.Compare(a.day, b.day))
	})
	if err := d.flush(ctx, tx); err != nil {
		return err
	}
	const per = 100
	for start := 0; start < len(gs); start += per {
		chunk := gs[start:min(start+per, len(gs))]
		args := make([]any, 0, 6*len(chunk))
		for _, g := range chunk {
			args = append(args, g.issuer, g.principal, g.role, g.action, g.day, encodeKeys(groups[g]))
		}
		q := `INSERT INTO session_keys(issuer_key,issuer_principal,role,action,day,keys) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?),", len(chunk)), ",") +
			` ON CONFLICT(issuer_key,issuer_principal,role,action,day) DO UPDATE SET keys=seiri_keys_union(keys,excluded.keys)`
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return loadKeyDays(ctx, tx, nil, slices.Collect(maps.Keys(days)))
}
