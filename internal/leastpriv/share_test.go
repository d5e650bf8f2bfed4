package leastpriv

import (
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// shareSnapshot: alice and bob have the same policies (one group): every
// action on everything, a self-service statement on their own user
// (${aws:username}), a Deny that names one of them by a user-specific
// value (aws:username), and an SCP whose Deny reads aws:PrincipalArn.
func shareSnapshot(deniedUser string) *snapshot.Snapshot {
	const acct = "111111111111"
	doc := `{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Action":"*","Resource":"*"},
{"Effect":"Allow","Action":"iam:CreateAccessKey","Resource":"arn:aws:iam::*:user/${aws:username}"},
{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*","Condition":{"StringEquals":{"aws:username":"` + deniedUser + `"}}}]}`
	scp := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
{"Effect":"Deny","Action":"cloudtrail:StopLogging","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/alice"}}}]}`
	user := func(name string) snapshot.User {
		return snapshot.User{ARN: "arn:aws:iam::" + acct + ":user/" + name, UserName: name, Path: "/", Groups: []string{"everyone"}}
	}
	return &snapshot.Snapshot{
		Organization: &snapshot.Organization{ManagementAccount: "999999999999",
			Accounts: []snapshot.OrgAccount{{ID: acct, ParentID: "r-root"}},
			Policies: []snapshot.OrgPolicy{{ID: "p-1", Type: "SERVICE_CONTROL_POLICY", Content: scp, Targets: []string{"r-root"}}}},
		Accounts: []*snapshot.Account{{AccountID: acct,
			Users:  []snapshot.User{user("alice"), user("bob")},
			Groups: []snapshot.Group{{GroupName: "everyone", InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "all", Document: []byte(doc)}}}}}},
	}
}

// The proof of share.go as a test: the second user takes the first user's
// answers only for actions no user-specific value can change. Flipping the
// user a Deny names (by aws:username), or computing the users in the other
// order, the answers stay those of separate computations, and the actions
// a user-specific value decides are never taken from the other user.
func TestSharingNeverCrossesAUserSpecificValue(t *testing.T) {
	for _, denied := range []string{"alice", "bob"} {
		for _, order := range [][]string{{"alice", "bob"}, {"bob", "alice"}} {
			t.Run("deny "+denied+", "+order[0]+" first", func(t *testing.T) {
				snap := shareSnapshot(denied)
				m := NewModel(snap, catalog.Default())
				reused := map[string][]string{}
				m.reused = func(arn, action string) { reused[arn] = append(reused[arn], action) }
				alone := NewModel(snap, catalog.Default())
				alone.noShare = true
				for _, name := range order {
					arn := "arn:aws:iam::111111111111:user/" + name
					got, want := m.Granted(m.Lookup(arn)), alone.Granted(alone.Lookup(arn))
					if d := cmp.Diff(grantsOf(want), grantsOf(got)); d != "" {
						t.Errorf("%s: shared answers differ from a separate computation (-want +got):\n%s", name, d)
					}
					if got.Has("s3:DeleteBucket") == (name == denied) {
						t.Errorf("%s: s3:DeleteBucket granted %v, the Deny names %s", name, got.Has("s3:DeleteBucket"), denied)
					}
					if got.Has("cloudtrail:StopLogging") != (name == "alice") {
						t.Errorf("%s: cloudtrail:StopLogging granted %v (the SCP exempts alice only)", name, got.Has("cloudtrail:StopLogging"))
					}
					if gr, _ := got.Get("iam:CreateAccessKey"); !slices.Contains(gr.Resources, "arn:aws:iam::*:user/"+name) {
						t.Errorf("%s: iam:CreateAccessKey on %q, want the user's own among them", name, gr.Resources)
					}
				}
				first, second := "arn:aws:iam::111111111111:user/"+order[0], "arn:aws:iam::111111111111:user/"+order[1]
				if len(reused[first]) != 0 {
					t.Errorf("the first user took %d answers: there was nothing to take", len(reused[first]))
				}
				if n := len(reused[second]); n < 10000 {
					t.Errorf("the second user took %d answers, want most of the catalog", n)
				}
				for _, a := range []string{"s3:DeleteBucket", "cloudtrail:StopLogging", "iam:CreateAccessKey"} {
					if slices.Contains(reused[second], a) {
						t.Errorf("%s was taken from %s: a user-specific value decides it", a, order[0])
					}
				}
				if !slices.Contains(reused[second], "s3:GetObject") {
					t.Errorf("s3:GetObject was not shared: no user-specific value decides it")
				}
			})
		}
	}
}

// Users whose policy sets differ share the answers of the services no
// differing statement can cover: carol has one more policy, on ec2 (with a
// Deny), and takes alice's s3 answers, never her ec2 ones.
func TestSharingAcrossPolicySets(t *testing.T) {
	snap := shareSnapshot("nobody")
	a := snap.Accounts[0]
	a.Groups = append(a.Groups, snapshot.Group{GroupName: "compute", InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "ec2",
		Document: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:TerminateInstances","Resource":"*"}]}`)}}})
	a.Users = append(a.Users, snapshot.User{ARN: "arn:aws:iam::111111111111:user/carol", UserName: "carol", Path: "/", Groups: []string{"everyone", "compute"}})
	m := NewModel(snap, catalog.Default())
	reused := map[string]bool{}
	m.reused = func(arn, action string) {
		if arn == "arn:aws:iam::111111111111:user/carol" {
			reused[action] = true
		}
	}
	alone := NewModel(snap, catalog.Default())
	alone.noShare = true
	for _, name := range []string{"alice", "carol"} {
		arn := "arn:aws:iam::111111111111:user/" + name
		if d := cmp.Diff(grantsOf(alone.Granted(alone.Lookup(arn))), grantsOf(m.Granted(m.Lookup(arn)))); d != "" {
			t.Errorf("%s (-separate +shared):\n%s", name, d)
		}
	}
	carol := m.Granted(m.Lookup("arn:aws:iam::111111111111:user/carol"))
	if carol.Has("ec2:TerminateInstances") || !carol.Has("ec2:RunInstances") {
		t.Errorf("carol: ec2:TerminateInstances %v (denied), ec2:RunInstances %v", carol.Has("ec2:TerminateInstances"), carol.Has("ec2:RunInstances"))
	}
	for _, a := range []string{"ec2:TerminateInstances", "ec2:RunInstances"} {
		if reused[a] {
			t.Errorf("%s taken from alice: carol's ec2 statements differ", a)
		}
	}
	if !reused["s3:GetObject"] || !reused["dynamodb:GetItem"] {
		t.Errorf("s3:GetObject taken %v, dynamodb:GetItem taken %v: carol's statements on them are alice's", reused["s3:GetObject"], reused["dynamodb:GetItem"])
	}
}

// On the demo organization (self-service policies, collected KMS key
// policies, SCPs), every user's grants with sharing are exactly those
// computed one by one, and sharing does happen (only users take answers
// from one another).
func TestSharedAnswersEqualSeparateComputation(t *testing.T) {
	f := loadDemo(t)
	m := NewModel(f.snap, catalog.Default())
	m.Now = demoNow
	n := 0
	m.reused = func(string, string) { n++ }
	alone := NewModel(f.snap, catalog.Default())
	alone.Now = demoNow
	alone.noShare = true
	var users []*Principal
	for _, p := range m.Principals {
		if p.Kind == "user" {
			users = append(users, p)
		}
	}
	m.GrantedAll(users, 1)
	for _, p := range users {
		want := alone.Granted(alone.Lookup(p.ARN))
		if d := cmp.Diff(grantsOf(want), grantsOf(m.Granted(p))); d != "" {
			t.Errorf("%s (-separate +shared):\n%s", p.ARN, d)
		}
	}
	if n == 0 {
		t.Error("no answer was shared on the demo")
	}
}

type grantRow struct {
	Action, Undetermined string
	Resources            []string
}

func grantsOf(g *Grants) []grantRow {
	out := make([]grantRow, 0, len(g.List))
	for _, gr := range g.List {
		out = append(out, grantRow{Action: gr.Action.FullName(), Undetermined: gr.Undetermined, Resources: gr.Resources})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Action < out[j].Action })
	return out
}
