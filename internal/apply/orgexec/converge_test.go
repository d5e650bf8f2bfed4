package orgexec

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/plan"
)

// ous lists the spec's OUs (pointers into sp) with their paths.
func ous(sp *org.Spec) (out []*org.OU, paths []string) {
	var visit func(list []org.OU, parent string)
	visit = func(list []org.OU, parent string) {
		for i := range list {
			p := list[i].Name
			if parent != "" {
				p = parent + "/" + p
			}
			out, paths = append(out, &list[i]), append(paths, p)
			visit(list[i].OUs, p)
		}
	}
	visit(sp.Root.OUs, "")
	return out, paths
}

// mutate makes random edits to an imported spec, the way people edit
// org.yaml: move accounts, add OUs, add SCPs (several to one OU, so
// targets fill up to the quota), remove or replace attachments, and empty
// and drop a leaf OU. Only the Suspended OU (the spec's suspended_ou) is
// left alone.
func mutate(r *rand.Rand, sp *org.Spec, seed uint64) {
	list, paths := ous(sp)
	editable := func() *org.OU {
		for range 10 {
			i := r.IntN(len(list))
			if paths[i] != sp.SuspendedOU && !strings.HasPrefix(paths[i], sp.SuspendedOU+"/") {
				return list[i]
			}
		}
		return nil
	}
	for n := 1 + r.IntN(5); n > 0; n-- {
		switch r.IntN(7) {
		case 0: // move an account to another OU
			from, to := editable(), editable()
			if from == nil || to == nil || from == to || len(from.Accounts) == 0 {
				continue
			}
			i := r.IntN(len(from.Accounts))
			to.Accounts = append(to.Accounts, from.Accounts[i])
			from.Accounts = append(from.Accounts[:i:i], from.Accounts[i+1:]...)
		case 1: // a new OU
			if p := editable(); p != nil {
				p.OUs = append(p.OUs, org.OU{Name: fmt.Sprintf("New%d%d", seed, n), Policies: []string{org.FullAWSAccess}})
			}
		case 2, 3: // a new deny SCP on an OU (filling it up)
			p := editable()
			if p == nil {
				continue
			}
			name := fmt.Sprintf("deny-%d-%d", seed, n)
			sp.Policies = append(sp.Policies, org.Policy{Name: name, Content: fmt.Sprintf(
				`{"Version":"2012-10-17","Statement":[{"Sid":"S%d","Effect":"Deny","Action":"ec2:DeleteVpc%d","Resource":"*"}]}`, n, seed)})
			if len(p.Policies) == 0 {
				p.Policies = []string{org.FullAWSAccess}
			}
			p.Policies = append(p.Policies, name)
		case 4: // replace a deny SCP of the fullest OU (at the quota)
			var p *org.OU
			for i := range list {
				if paths[i] != sp.SuspendedOU && (p == nil || len(list[i].Policies) > len(p.Policies)) {
					p = list[i]
				}
			}
			for i, name := range p.Policies {
				if name != org.FullAWSAccess {
					repl := fmt.Sprintf("repl-%d-%d", seed, n)
					sp.Policies = append(sp.Policies, org.Policy{Name: repl, Content: fmt.Sprintf(
						`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:DeleteSubnet%d","Resource":"*"}]}`, seed)})
					p.Policies = append(append(p.Policies[:i:i], p.Policies[i+1:]...), repl)
					break
				}
			}
		case 6: // drop a deny attachment
			p := editable()
			if p == nil {
				continue
			}
			for i, name := range p.Policies {
				if name != org.FullAWSAccess {
					p.Policies = append(p.Policies[:i:i], p.Policies[i+1:]...)
					break
				}
			}
		case 5: // empty a leaf OU into its sibling or parent, then drop it
			list, paths = ous(sp)
			for i := range list {
				if len(list[i].OUs) > 0 || strings.HasPrefix(paths[i], sp.SuspendedOU) {
					continue
				}
				parent := &sp.Root.OUs
				if k := strings.LastIndexByte(paths[i], '/'); k >= 0 {
					for j := range list {
						if paths[j] == paths[i][:k] {
							parent = &list[j].OUs
						}
					}
				}
				dst := editable()
				if dst == nil || dst == list[i] {
					break
				}
				dst.Accounts = append(dst.Accounts, list[i].Accounts...)
				for j := range *parent {
					if &(*parent)[j] == list[i] {
						*parent = append((*parent)[:j:j], (*parent)[j+1:]...)
						break
					}
				}
				break
			}
		}
		list, paths = ous(sp)
	}
}

// maxSCPs is the most SCPs any target holds in s.
func maxSCPs(s *org.State) int {
	m := 0
	for _, ps := range s.Attachments {
		n := 0
		for pk := range ps {
			if p := s.Policies[pk]; p != nil && p.Type == org.SCP {
				n++
			}
		}
		m = max(m, n)
	}
	return m
}

// attachesAtQuota: the plan attaches an SCP to a target already at the
// quota (so its detach must go first, or the fake refuses the attach).
func attachesAtQuota(s *org.State, cs []org.Change, quota int) bool {
	for _, c := range cs {
		a, ok := c.(*org.AttachPolicy)
		if !ok || a.PolicyType != org.SCP {
			continue
		}
		n := 0
		for pk := range s.Attachments[a.TargetKey] {
			if p := s.Policies[pk]; p != nil && p.Type == org.SCP {
				n++
			}
		}
		if n == quota {
			return true
		}
	}
	return false
}

// TestPlanApplyCollectConverges: over generated edits of the demo
// organization, a plan applied against the Organizations fake (which
// enforces the per-target SCP quota, set as tight as the organization and
// the spec allow) and read back gives an empty plan.
func TestPlanApplyCollectConverges(t *testing.T) {
	planned, tight := 0, 0
	for seed := uint64(1); seed <= 20; seed++ {
		e := newApplyEnv(t)
		sp, files, _, err := org.Import(e.live())
		if err != nil {
			t.Fatal(err)
		}
		mutate(rand.New(rand.NewPCG(seed, 7)), sp, seed)
		d := writeSpec(t, string(org.Marshal(sp, org.Comments{})), files)
		desired, ps := org.Compile(d, org.Options{})
		if len(ps) > 0 {
			t.Logf("seed %d: spec problems, skipped: %v", seed, ps)
			continue
		}
		current, err := org.FromSnapshot(e.live())
		if err != nil {
			t.Fatal(err)
		}
		lim := org.DefaultLimits()
		lim.SCPsPerTarget = max(1, maxSCPs(current), maxSCPs(desired))
		e.fake.SetOrgLimits(awsfake.OrgLimits{SCPSize: lim.SCPSize, SCPsPerTarget: lim.SCPsPerTarget, OUDepth: lim.OUDepth})
		p, err := org.NewPlanLimits(d, desired, e.live(), now, lim)
		if err != nil {
			if strings.Contains(err.Error(), "no detach of this plan can make room first") {
				continue
			}
			t.Fatalf("seed %d: plan: %v", seed, err)
		}
		if len(p.Changes) == 0 {
			continue
		}
		planned++
		if attachesAtQuota(current, p.Changes, lim.SCPsPerTarget) {
			tight++
		}
		gp, err := org.ToPlan(p)
		if err != nil {
			t.Fatal(err)
		}
		res, err := plan.Apply(context.Background(), gp, e.journal, e.executor(e.live()), plan.Options{Operator: "test"})
		if err != nil || res.Failed > 0 {
			t.Fatalf("seed %d: apply %+v: %v\nplan: %v", seed, res, err, describe(p.Changes))
		}
		again, err := org.NewPlanLimits(d, desired, e.live(), now, lim)
		if err != nil || len(again.Changes) != 0 {
			t.Fatalf("seed %d: plan after apply and re-read: %v %v\nfirst plan: %v", seed, err, describe(again.Changes), describe(p.Changes))
		}
	}
	t.Logf("%d plans applied (%d with a target at the quota)", planned, tight)
	if planned < 10 || tight < 3 {
		t.Errorf("only %d plans, %d at the quota: the generator no longer exercises apply", planned, tight)
	}
}
