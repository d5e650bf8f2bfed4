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
