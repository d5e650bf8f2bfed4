package usage

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A session key is found through session_use: the principal's rows of the
// days it was used (not those of other days or other principals), and rows
// still keyed by it from before schema 5.
func TestSessionKeyQuery(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	role := "arn:aws:iam::111111111111:role/app"
	other := "arn:aws:iam::111111111111:role/other"
	mk := func(p, key, action string, day int) Row {
		at := t0.AddDate(0, 0, day).Add(time.Hour)
		return Row{Key: Key{Account: "111111111111", Principal: p, PrincipalType: "AssumedRole", AccessKeyID: key, Action: action},
			FirstSeen: at, LastSeen: at, Count: 1, Authz: true}
	}
	b := Batch{
		Rows: []Row{
			mk(role, "", "s3:GetObject", 0),
			mk(role, "", "s3:PutObject", 1),
			mk(other, "", "sqs:SendMessage", 0),
			mk(role, "ASIAOLD", "kms:Decrypt", 0), // a schema 4 row
		},
		SessionUses: []SessionUse{
			{SessionUseKey{"111111111111", role, t0.Format(time.DateOnly)}, []string{"ASIAONE", "ASIATWO"}},
			{SessionUseKey{"111111111111", other, t0.Format(time.DateOnly)}, []string{"ASIATHREE"}},
		},
	}
	if err := s.Commit(ctx, b); err != nil {
		t.Fatal(err)
	}
	// A second scan adds a key to the same day: the sets merge.
	if err := s.Commit(ctx, Batch{SessionUses: []SessionUse{{SessionUseKey{"111111111111", role, t0.Format(time.DateOnly)}, []string{"ASIAZERO"}}}}); err != nil {
		t.Fatal(err)
	}
	uses, err := s.SessionUses(ctx, "ASIATWO")
	if err != nil {
		t.Fatal(err)
	}
	if want := []SessionUse{{SessionUseKey{"111111111111", role, "2026-11-01"}, []string{"ASIAONE", "ASIATWO", "ASIAZERO"}}}; !cmp.Equal(want, uses) {
		t.Errorf("session uses %+v, want %+v", uses, want)
	}
	actions := func(k string) []string {
		rows, err := s.Usage(ctx, Query{AccessKeyID: k})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, r.Principal+" "+r.Action)
		}
		return out
	}
	for k, want := range map[string][]string{
		"ASIATWO":   {role + " s3:GetObject"},
		"ASIATHREE": {other + " sqs:SendMessage"},
		"ASIAOLD":   {role + " kms:Decrypt"},
		"ASIANONE":  nil,
		"ASIAONE":   {role + " s3:GetObject"},
	} {
		if got := actions(k); !cmp.Equal(want, got) {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
}

// Session keys and uses are kept SessionRetention back from the newest
// one the store has seen: a newer day prunes older ones, a scan of older
// logs adds nothing past the bound, usage rows are never pruned.
func TestSessionRetention(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	p := "arn:aws:iam::111111111111:role/app"
	day := func(d int) time.Time { return t0.AddDate(0, 0, d) }
	key := func(k string, d int) SessionKey {
		return SessionKey{SessionKey: k, IssuerKey: "AKIA1", IssuerPrincipal: p, Action: "sts:AssumeRole", IssuedAt: day(d).Add(time.Hour)}
	}
	use := func(k string, d int) SessionUse {
		return SessionUse{SessionUseKey{"111111111111", p, day(d).Format(time.DateOnly)}, []string{k}}
	}
	row := Row{Key: Key{Account: "111111111111", Principal: p, PrincipalType: "AssumedRole", Action: "s3:GetObject"},
		FirstSeen: day(0), LastSeen: day(0), Count: 1, Authz: true}
	if err := s.Commit(ctx, Batch{Rows: []Row{row}, SessionKeys: []SessionKey{key("ASIADAY0", 0), key("ASIADAY10", 10)},
		SessionUses: []SessionUse{use("ASIADAY0", 0), use("ASIADAY10", 10)}}); err != nil {
		t.Fatal(err)
	}
	keys := func() []string {
		ks, err := s.SessionKeys(ctx, "", "")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range ks {
			out = append(out, k.SessionKey)
		}
		for _, k := range []string{"ASIADAY0", "ASIADAY10", "ASIADAY95", "ASIAOLD"} {
			if u, err := s.SessionUses(ctx, k); err != nil {
				t.Fatal(err)
			} else if len(u) > 0 {
				out = append(out, "use "+k)
			}
		}
		return out
	}
	if got, want := keys(), []string{"ASIADAY0", "ASIADAY10", "use ASIADAY0", "use ASIADAY10"}; !cmp.Equal(want, got) {
		t.Errorf("within the retention: %q, want %q", got, want)
	}
	// Day 95 arrives: day 0 is more than 90 days back, day 10 is not.
	if err := s.Commit(ctx, Batch{SessionKeys: []SessionKey{key("ASIADAY95", 95)}, SessionUses: []SessionUse{use("ASIADAY95", 95)}}); err != nil {
		t.Fatal(err)
	}
	if got, want := keys(), []string{"ASIADAY10", "ASIADAY95", "use ASIADAY10", "use ASIADAY95"}; !cmp.Equal(want, got) {
		t.Errorf("after day 95: %q, want %q", got, want)
	}
	// Older logs scanned later (through the streaming writer) add nothing
	// past the bound.
	w, err := s.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(ctx, Batch{SessionKeys: []SessionKey{key("ASIAOLD", 1)}, SessionUses: []SessionUse{use("ASIAOLD", 1)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Finish(ctx, Batch{}); err != nil {
		t.Fatal(err)
	}
	if got, want := keys(), []string{"ASIADAY10", "ASIADAY95", "use ASIADAY10", "use ASIADAY95"}; !cmp.Equal(want, got) {
		t.Errorf("after older logs: %q, want %q", got, want)
	}
	if rows, err := s.Usage(ctx, Query{}); err != nil || len(rows) != 1 {
		t.Errorf("usage rows after pruning: %d, %v", len(rows), err)
	}
}
