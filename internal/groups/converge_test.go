package groups_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/seiri-dev/seiri/internal/groups"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// randomAccount is an account of people with random direct policies and
// group memberships over a few customer managed policies.
func randomAccount(r *rand.Rand) *snapshot.Account {
	const acct = "123456789012"
	actions := []string{"s3:GetObject", "ec2:DescribeInstances", "logs:GetLogEvents", "dynamodb:GetItem", "sqs:SendMessage"}
	a := &snapshot.Account{AccountID: acct}
	var pols []snapshot.AttachedPolicy
	for i, act := range actions[:2+r.IntN(len(actions)-1)] {
		p := snapshot.AttachedPolicy{PolicyName: fmt.Sprintf("p%d", i), PolicyARN: fmt.Sprintf("arn:aws:iam::%s:policy/p%d", acct, i)}
		pols = append(pols, p)
		a.Policies = append(a.Policies, snapshot.ManagedPolicy{ARN: p.PolicyARN, PolicyName: p.PolicyName, Path: "/", IsAttachable: true,
			Document: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + act + `","Resource":"*"}]}`)})
	}
	some := func(n int) []snapshot.AttachedPolicy {
		var out []snapshot.AttachedPolicy
		for _, p := range pols {
			if r.IntN(n) == 0 {
				out = append(out, p)
			}
		}
		return out
	}
	for g := range 1 + r.IntN(3) {
		a.Groups = append(a.Groups, snapshot.Group{GroupName: fmt.Sprintf("g%d", g), ARN: fmt.Sprintf("arn:aws:iam::%s:group/g%d", acct, g), Path: "/",
			AttachedPolicies: some(2)})
	}
	for u := range 2 + r.IntN(6) {
		nu := snapshot.User{UserName: fmt.Sprintf("u%d", u), ARN: fmt.Sprintf("arn:aws:iam::%s:user/u%d", acct, u), Path: "/",
			LoginProfile: &snapshot.LoginProfile{}, AttachedPolicies: some(2)}
		for _, g := range a.Groups {
			if r.IntN(3) == 0 {
				nu.Groups = append(nu.Groups, g.GroupName)
			}
		}
		a.Users = append(a.Users, nu)
	}
	return a
}

// TestPlanConvergesProperty: over generated accounts, a groups plan applied
// (to the model, written back as the account a re-collect would see) gives
// an empty second plan.
func TestPlanConvergesProperty(t *testing.T) {
	opt := groups.PlanOptions{Options: groups.Options{Effective: engine.Effective}}
	planned := 0
	for seed := uint64(0); seed < 150; seed++ {
		a := randomAccount(rand.New(rand.NewPCG(seed, 3)))
		an, err := groups.Analyze(groups.NewModel(a), opt.Options)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		pr, err := groups.Propose(an, opt)
		var refused *groups.ErrRefused
		if errors.As(err, &refused) {
			continue
		} else if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if len(pr.Changes) == 0 {
			continue
		}
		planned++
		after := pr.After.Snapshot(a)
		an2, err := groups.Analyze(groups.NewModel(after), opt.Options)
		if err != nil {
			t.Fatalf("seed %d: second analysis: %v", seed, err)
		}
		pr2, err := groups.Propose(an2, opt)
		if err != nil && !errors.As(err, &refused) {
			t.Fatalf("seed %d: second plan: %v", seed, err)
		}
		if len(pr2.Changes) != 0 {
			var first, second []string
			for _, c := range pr.Changes {
				first = append(first, c.Description)
			}
			for _, c := range pr2.Changes {
				second = append(second, c.Description)
			}
			t.Fatalf("seed %d: the plan does not converge.\nfirst plan: %q\nsecond plan: %q", seed, first, second)
		}
	}
	if planned < 30 {
		t.Errorf("only %d of 150 generated accounts had a plan", planned)
	}
}
