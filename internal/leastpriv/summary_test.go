package leastpriv

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/usage"
)

func readAll(t *testing.T, path string, q StoreQuery) []usage.Row {
	t.Helper()
	seq, errf := ReadUsage(context.Background(), path, q)
	var out []usage.Row
	for r := range seq {
		out = append(out, *r)
	}
	if err := errf(); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(out, func(a, b usage.Row) int { return a.Key.Compare(b.Key) })
	return out
}

// summaryStore writes a store of a small organization: rows of many access
// keys, resources and regions per (principal, action), failed calls,
// non-authorization events, AWS services, principals not in the snapshot,
// last uses on both sides of the window start, in several commits.
func summaryStore(t *testing.T, end time.Time) (string, *Model) {
	t.Helper()
	ctx := context.Background()
	cat := catalog.Default()
	s := benchOrg(3, 6)
	m := NewModel(s, cat)
	m.Now = end
	var principals, types []string
	for _, a := range s.Accounts {
		for _, u := range a.Users {
			principals, types = append(principals, u.ARN), append(types, "IAMUser")
		}
		for _, r := range a.Roles {
			principals, types = append(principals, r.ARN), append(types, "AssumedRole")
		}
	}
	principals = append(principals, "arn:aws:iam::999999999999:user/stranger", "ec2.amazonaws.com")
	types = append(types, "IAMUser", "AWSService")
	actions := []string{"s3:GetObject", "s3:PutObject", "s3:ListBucket", "ec2:DescribeInstances", "iam:ListUsers", "sqs:SendMessage", "signin:ConsoleLogin"}
	st, err := usage.Open(ctx, filepath.Join(t.TempDir(), "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(7, 8))
	for range 5 {
		rows := make([]usage.Row, 2000)
		for i := range rows {
			p := rng.IntN(len(principals))
			last := end.Add(-time.Duration(rng.IntN(150*24)) * time.Hour)
			r := usage.Row{
				Key: usage.Key{
					Account: usage.AccountOfARN(principals[p]), Principal: principals[p], PrincipalType: types[p],
					AccessKeyID: fmt.Sprintf("AKIA%d", rng.IntN(3)),
					Action:      actions[rng.IntN(len(actions))],
					Resource:    fmt.Sprintf("arn:aws:s3:::b/k%d", rng.IntN(6)),
					Region:      []string{"", "us-east-1", "eu-west-3"}[rng.IntN(3)],
				},
				FirstSeen: last.Add(-time.Duration(rng.IntN(60*24)) * time.Hour), LastSeen: last,
				Count: int64(1 + rng.IntN(9)), Authz: rng.IntN(8) != 0,
			}
			if r.Account == "" {
				r.Account = "111111111111"
			}
			if rng.IntN(6) == 0 {
				r.ErrorCode = "AccessDenied"
			}
			rows[i] = r
		}
		if err := st.Commit(ctx, usage.Batch{Rows: rows}); err != nil {
			t.Fatal(err)
		}
	}
	return st.Path(), m
}

// ReadUsage(ByAction) from the summary table equals the GROUP BY over the
// usage rows it replaced.
func TestReadUsageSummaryEqualsGroupBy(t *testing.T) {
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	path, m := summaryStore(t, end)
	since := end.AddDate(0, 0, -90)
	for _, prefix := range []string{"", "arn:aws:iam::" + m.Principals[0].Account + ":"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			// With the whole store in the window the rows are identical.
			all := StoreQuery{PrincipalPrefix: prefix, ByAction: true}
			want := readAll(t, path, StoreQuery{PrincipalPrefix: prefix, ByAction: true, noSummary: true})
			if len(want) < 20 {
				t.Fatalf("only %d folded rows", len(want))
			}
			if diff := cmp.Diff(want, readAll(t, path, all)); diff != "" {
				t.Fatalf("whole store (-group by +summary):\n%s", diff)
			}
			// In a window, the same (principal, action) pairs with the same
			// last use; first seen and count also cover rows last used before
			// the window (which the GROUP BY filtered out).
			q := StoreQuery{Since: since, PrincipalPrefix: prefix, ByAction: true}
			old := q
			old.noSummary = true
			want, got := readAll(t, path, old), readAll(t, path, q)
			key := func(rs []usage.Row) (out []string) {
				for _, r := range rs {
					out = append(out, r.Principal+" "+r.Account+" "+r.PrincipalType+" "+r.Action+" "+r.LastSeen.String())
				}
				return out
			}
			if diff := cmp.Diff(key(want), key(got)); diff != "" {
				t.Fatalf("window (-group by +summary):\n%s", diff)
			}
			straddling := 0
			for i := range want {
				if got[i].FirstSeen.After(want[i].FirstSeen) || got[i].Count < want[i].Count {
					t.Errorf("%v: summary first %v count %d, group by first %v count %d", want[i].Key, got[i].FirstSeen, got[i].Count, want[i].FirstSeen, want[i].Count)
				}
				if got[i].Count != want[i].Count {
					straddling++
				}
			}
			if straddling == 0 {
				t.Error("no (principal, action) with rows on both sides of the window start: the test proves less than it says")
			}
		})
	}
}

// What the unused analysis sees is the same from either read.
func TestAttributeSummaryEqualsGroupBy(t *testing.T) {
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	path, m := summaryStore(t, end)
	w := NewWindow(end, 90, end.AddDate(-1, 0, 0), end)
	type view struct {
		Rows    int64
		Skipped map[string]int64
		Seen    SeenData
		Actions map[string]map[string]time.Time
	}
	attribute := func(noSummary bool) view {
		seq, errf := ReadUsage(context.Background(), path, StoreQuery{Since: w.Start, ByAction: true, noSummary: noSummary})
		u := m.Attribute(seq, w, false)
		if err := errf(); err != nil {
			t.Fatal(err)
		}
		v := view{Rows: u.Rows, Skipped: u.Skipped, Seen: u.Seen, Actions: map[string]map[string]time.Time{}}
		for p, used := range u.By {
			v.Actions[p.ARN] = used.Actions
		}
		return v
	}
	want, got := attribute(true), attribute(false)
	if len(want.Actions) < 10 {
		t.Fatalf("only %d principals attributed", len(want.Actions))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-group by +summary):\n%s", diff)
	}
}
