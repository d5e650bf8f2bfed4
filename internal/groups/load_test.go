package groups

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// fakeStore answers Usage from rows, recording the queries.
type fakeStore struct {
	rows    []usage.Row
	queries []usage.Query
	err     error
}

func (f *fakeStore) Usage(_ context.Context, q usage.Query) ([]usage.Row, error) {
	f.queries = append(f.queries, q)
	if f.err != nil {
		return nil, f.err
	}
	var out []usage.Row
	for _, r := range f.rows {
		if r.Account == q.Account && !r.LastSeen.Before(q.Since) {
			out = append(out, r)
		}
	}
	return out, nil
}

func loadSnapshot(source string) *snapshot.Snapshot {
	return &snapshot.Snapshot{Dir: "/ws/snapshots/20261130T120000Z", Manifest: snapshot.Manifest{Source: source},
		Accounts: []*snapshot.Account{{AccountID: "111111111111"}, {AccountID: "222222222222"}, {AccountID: "333333333333"}}}
}

func TestLoadSelectsAccountsAndReadsTheirUsage(t *testing.T) {
	since := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	row := func(acct, principal, action, errCode string, last time.Time) usage.Row {
		return usage.Row{Key: usage.Key{Account: acct, Principal: principal, Action: action, ErrorCode: errCode}, Authz: true, LastSeen: last}
	}
	alice := "arn:aws:iam::111111111111:user/alice"
	st := &fakeStore{rows: []usage.Row{
		row("111111111111", alice, "s3:GetObject", "", since.AddDate(0, 1, 0)),
		row("111111111111", alice, "s3:PutObject", "AccessDenied", since.AddDate(0, 1, 0)),
		row("111111111111", alice, "iam:ListUsers", "", since.AddDate(0, -1, 0)), // before the window
		row("222222222222", "arn:aws:iam::222222222222:user/bob", "ec2:DescribeInstances", "", since.AddDate(0, 1, 0)),
	}}
	sel, err := Load(context.Background(), loadSnapshot("collect"), LoadQuery{Account: "111111111111", Since: since, Store: st, StorePath: "/ws/usage.db"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Accounts) != 1 || sel.Accounts[0].AccountID != "111111111111" {
		t.Fatalf("accounts %v, want only 111111111111", sel.Accounts)
	}
	if diff := cmp.Diff([]usage.Query{{Account: "111111111111", Since: since}}, st.queries); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
	if len(sel.Rows) != 2 || sel.Usage != "/ws/usage.db" || !sel.Since.Equal(since) {
		t.Errorf("rows %d, usage %q, since %v", len(sel.Rows), sel.Usage, sel.Since)
	}
	if want := "usage from /ws/usage.db since 2026-09-01T00:00:00Z"; sel.UsageNote != want {
		t.Errorf("note %q, want %q", sel.UsageNote, want)
	}
	// Only successful authorization-checked calls count as used.
	if got := sel.Used("111111111111")[alice]; len(got) != 1 || got[0] != "s3:GetObject" {
		t.Errorf("used by alice %v, want [s3:GetObject]", got)
	}

	// Every account, one query each; a store without rows for them is
	// known and empty (not unknown).
	st = &fakeStore{}
	sel, err = Load(context.Background(), loadSnapshot("collect"), LoadQuery{Since: since, Store: st, StorePath: "/ws/usage.db"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Accounts) != 3 || len(st.queries) != 3 || sel.Rows == nil || len(sel.Rows) != 0 {
		t.Errorf("accounts %d, queries %d, rows %#v: want 3, 3, empty and not nil", len(sel.Accounts), len(st.queries), sel.Rows)
	}

	// A store that fails is the error.
	boom := errors.New("disk I/O error")
	if _, err := Load(context.Background(), loadSnapshot("collect"), LoadQuery{Store: &fakeStore{err: boom}}); !errors.Is(err, boom) {
		t.Errorf("failing store: %v", err)
	}
}

// Without a store usage is unknown (nil rows, nothing judged unused) and the
// note says what to run, for the demo too (its usage is its logs').
func TestLoadWithoutStore(t *testing.T) {
	for _, tc := range []struct{ source, note string }{
		{"collect", "no usage store /ws/usage.db (run seiri trail scan): unused-permission checks skipped"},
		{"demo", "no usage store /ws/usage.db: unused-permission checks skipped (the demo's usage comes from its CloudTrail logs: run seiri demo without --no-trail, or seiri trail scan)"},
	} {
		sel, err := Load(context.Background(), loadSnapshot(tc.source), LoadQuery{StorePath: "/ws/usage.db"})
		if err != nil {
			t.Fatal(err)
		}
		if sel.Rows != nil || sel.Usage != "" || sel.UsageNote != tc.note || sel.Used("111111111111") != nil {
			t.Errorf("%s: rows %v, usage %q, note %q", tc.source, sel.Rows, sel.Usage, sel.UsageNote)
		}
	}
}

func TestLoadUnknownAccount(t *testing.T) {
	_, err := Load(context.Background(), loadSnapshot("collect"), LoadQuery{Account: "999999999999"})
	var ua *UnknownAccountError
	if !errors.As(err, &ua) || err.Error() != "--account 999999999999: not in snapshot 20261130T120000Z" {
		t.Errorf("err %v", err)
	}
}
