package groups_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/groups"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// scpSnapshot is an organization whose OU denies s3:Delete* by SCP, with a
// member account where alice (group storage: s3:*) has no boundary and bob
// (same group) has a boundary that allows only reads and deletes of S3.
func scpSnapshot(withOrg bool) *snapshot.Snapshot {
	const mgmt, member = "111111111111", "222222222222"
	doc := func(effect string, actions ...string) []byte {
		b := `{"Version":"2012-10-17","Statement":[{"Effect":"` + effect + `","Action":[`
		for i, a := range actions {
			if i > 0 {
				b += ","
			}
			b += `"` + a + `"`
		}
		return []byte(b + `],"Resource":"*"}]}`)
	}
	storage := "arn:aws:iam::" + member + ":policy/storage"
	boundary := "arn:aws:iam::" + member + ":policy/boundary"
	a := &snapshot.Account{AccountID: member,
		Policies: []snapshot.ManagedPolicy{
			{ARN: storage, PolicyName: "storage", Document: doc("Allow", "s3:*")},
			{ARN: boundary, PolicyName: "boundary", Document: doc("Allow", "s3:Get*", "s3:List*", "s3:Delete*")},
		},
		Groups: []snapshot.Group{{ARN: "arn:aws:iam::" + member + ":group/storage", GroupName: "storage",
			AttachedPolicies: []snapshot.AttachedPolicy{{PolicyName: "storage", PolicyARN: storage}}}},
		Users: []snapshot.User{
			{ARN: "arn:aws:iam::" + member + ":user/alice", UserName: "alice", Groups: []string{"storage"}},
			{ARN: "arn:aws:iam::" + member + ":user/bob", UserName: "bob", Groups: []string{"storage"}, PermissionsBoundary: boundary},
		},
	}
	s := &snapshot.Snapshot{Accounts: []*snapshot.Account{a}}
	if withOrg {
		s.Organization = &snapshot.Organization{ID: "o-test", ManagementAccount: mgmt,
			Roots:    []snapshot.Root{{ID: "r-root"}},
			OUs:      []snapshot.OU{{ID: "ou-work", Name: "Workloads", ParentID: "r-root"}},
			Accounts: []snapshot.OrgAccount{{ID: mgmt, ParentID: "r-root", Status: "ACTIVE"}, {ID: member, ParentID: "ou-work", Status: "ACTIVE"}},
			Policies: []snapshot.OrgPolicy{
				{ID: "p-full", Name: "FullAWSAccess", Type: "SERVICE_CONTROL_POLICY", Content: string(doc("Allow", "*")), Targets: []string{"r-root", "ou-work", member}},
				{ID: "p-nodelete", Name: "no-s3-deletes", Type: "SERVICE_CONTROL_POLICY", Content: string(doc("Deny", "s3:Delete*")), Targets: []string{"ou-work"}},
			},
		}
	}
	return s
}

// TestGroupsSeesWhatUnusedSees: groups' effective permissions of a user are
// unused's, SCP denies and permissions boundaries included — one judge. The
// SCP deny changes what groups sees (it did not before: groups had its own
// engine that ignored SCPs).
func TestGroupsSeesWhatUnusedSees(t *testing.T) {
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	granted := func(s *snapshot.Snapshot) (fromGroups, fromUnused map[string][]string) {
		m := leastpriv.NewModel(s, catalog.Embedded())
		m.Now = now
		an, err := groups.Analyze(groups.NewModel(s.Accounts[0]), groups.Options{Effective: groups.Judge(m)})
		if err != nil || len(an.Skipped) > 0 {
			t.Fatalf("analyze: %v %+v", err, an.Skipped)
		}
		// unused with no recorded call: every granted action is unused and
		// listed.
		none := func(func(*usage.Row) bool) {}
		un := leastpriv.NewAnalysis(m, m.Attribute(none, leastpriv.NewWindow(now, 90, time.Time{}, time.Time{}), false))
		fromGroups, fromUnused = map[string][]string{}, map[string][]string{}
		for _, u := range []string{"alice", "bob"} {
			fromGroups[u] = an.Granted(u)
			p := m.Lookup("arn:aws:iam::222222222222:user/" + u)
			r := un.Unused(p, true)
			var names []string
			for _, v := range r.Actions {
				names = append(names, v.Action)
			}
			slices.Sort(names)
			if len(names) != r.Granted {
				t.Fatalf("%s: unused lists %d of %d granted actions", u, len(names), r.Granted)
			}
			fromUnused[u] = names
		}
		return fromGroups, fromUnused
	}
	g, u := granted(scpSnapshot(true))
	if diff := cmp.Diff(u, g); diff != "" {
		t.Errorf("groups and unused disagree (-unused +groups):\n%s", diff)
	}
	has := func(set []string, a string) bool { return slices.Contains(set, a) }
	for _, c := range []struct {
		user, action string
		want         bool
	}{
		{"alice", "s3:PutObject", true},
		{"alice", "s3:GetObject", true},
		{"alice", "s3:DeleteObject", false}, // SCP
		{"bob", "s3:GetObject", true},
		{"bob", "s3:PutObject", false},    // boundary
		{"bob", "s3:DeleteObject", false}, // SCP, although the boundary allows it
		{"bob", "s3:ListBucket", true},
	} {
		if got := has(g[c.user], c.action); got != c.want {
			t.Errorf("groups: %s has %s = %v, want %v", c.user, c.action, got, c.want)
		}
	}
	// The same account outside the organization: the deletes come back, in
	// both views.
	g2, u2 := granted(scpSnapshot(false))
	if diff := cmp.Diff(u2, g2); diff != "" {
		t.Errorf("without SCPs, groups and unused disagree (-unused +groups):\n%s", diff)
	}
	if !has(g2["alice"], "s3:DeleteObject") || !has(g2["bob"], "s3:DeleteObject") || has(g2["bob"], "s3:PutObject") {
		t.Errorf("without SCPs: alice %v, bob %v", has(g2["alice"], "s3:DeleteObject"), g2["bob"])
	}
	if len(g2["alice"]) <= len(g["alice"]) {
		t.Errorf("the SCP deny removed nothing from alice: %d vs %d actions", len(g["alice"]), len(g2["alice"]))
	}
}
