package leastpriv

import (
	"testing"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// keySnapshot: one group policy, the same text in two accounts, held by
// alice and bob in 111111111111 and carol in 222222222222. It allows
// iam:PassRole to principals of 111111111111 only, and denies s3:DeleteBucket to
// the user named alice by a condition (no policy variable); an SCP denies
// cloudtrail:StopLogging to everyone but bob by aws:PrincipalArn.
func keySnapshot() *snapshot.Snapshot {
	doc := `{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Action":["s3:*","cloudtrail:*"],"Resource":"*"},
{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111111111111"}}},
{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*","Condition":{"StringEquals":{"aws:username":"alice"}}}]}`
	scp := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
{"Effect":"Deny","Action":"cloudtrail:StopLogging","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/bob"}}}]}`
	account := func(id string, names ...string) *snapshot.Account {
		a := &snapshot.Account{AccountID: id,
			Groups: []snapshot.Group{{GroupName: "ops", InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "ops", Document: []byte(doc)}}}}}
		for _, n := range names {
			a.Users = append(a.Users, snapshot.User{ARN: "arn:aws:iam::" + id + ":user/" + n, UserName: n, Path: "/", Groups: []string{"ops"}})
		}
		return a
	}
	return &snapshot.Snapshot{
		Organization: &snapshot.Organization{ManagementAccount: "999999999999",
			Accounts: []snapshot.OrgAccount{{ID: "111111111111", ParentID: "r-root"}, {ID: "222222222222", ParentID: "r-root"}},
			Policies: []snapshot.OrgPolicy{{ID: "p-1", Type: "SERVICE_CONTROL_POLICY", Content: scp, Targets: []string{"r-root"}}}},
		Accounts: []*snapshot.Account{account("111111111111", "alice", "bob"), account("222222222222", "carol")},
	}
}

// Principals with the same policies share their grants only where nothing
// about who they are can change them: the principal's account,
// and conditions on the principal's name or ARN (in identity policies and
// SCPs) keep each principal's grants its own, in any order of asking.
func TestGrantsSharedOnlyBetweenEquals(t *testing.T) {
	want := map[string]map[string]bool{
		"arn:aws:iam::111111111111:user/alice": {"iam:PassRole": true, "s3:DeleteBucket": false, "cloudtrail:StopLogging": false, "s3:GetObject": true},
		"arn:aws:iam::111111111111:user/bob":   {"iam:PassRole": true, "s3:DeleteBucket": true, "cloudtrail:StopLogging": true, "s3:GetObject": true},
		"arn:aws:iam::222222222222:user/carol": {"iam:PassRole": false, "s3:DeleteBucket": true, "cloudtrail:StopLogging": false, "s3:GetObject": true},
	}
	orders := [][]string{
		{"arn:aws:iam::111111111111:user/alice", "arn:aws:iam::111111111111:user/bob", "arn:aws:iam::222222222222:user/carol"},
		{"arn:aws:iam::222222222222:user/carol", "arn:aws:iam::111111111111:user/bob", "arn:aws:iam::111111111111:user/alice"},
		{"arn:aws:iam::111111111111:user/bob", "arn:aws:iam::222222222222:user/carol", "arn:aws:iam::111111111111:user/alice"},
	}
	for _, order := range orders {
		m := NewModel(keySnapshot(), catalog.Default())
		for _, arn := range order {
			p := m.Lookup(arn)
			if p == nil {
				t.Fatalf("%s not in the model", arn)
			}
			g := m.Granted(p)
			for action, granted := range want[arn] {
				if g.Has(action) != granted {
					t.Errorf("order %v: %s: %s granted %v, want %v", order, arn, action, g.Has(action), granted)
				}
			}
		}
	}
}
