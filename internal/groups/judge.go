package groups

import (
	"slices"
	"strings"
	"sync"

	"github.com/seiri-dev/seiri/internal/leastpriv"
)

// Judge returns the effective-permission computation of groups: leastpriv's
// (identity policies ∩ permissions boundary ∩ the SCPs above the account,
// through the policy engine), so that groups, unused, roles and policy
// generate agree on what a user may do. m is the model of the snapshot the
// groups model comes from (its SCPs apply); its catalog expands wildcards.
//
// A grant leastpriv marks undetermined (the identity side allows the action
// only on KMS keys whose key policy was not collected) counts as granted,
// as in unused's granted count: the same rule before and after a plan.
//
// Policy sets that share leastpriv's cached grants share one ActionSet
// (groups asks about the same candidate sets for many users and plans);
// the returned sets must not be modified.
func Judge(m *leastpriv.Model) Effective {
	var mu sync.Mutex
	sets := map[*leastpriv.Grants]ActionSet{}
	return func(g *Grants) (ActionSet, error) {
		ps := leastpriv.PolicySet{ARN: g.Principal, Account: accountOf(g.Principal), Name: g.UserName}
		for _, d := range g.Identity {
			ps.Identity = append(ps.Identity, leastpriv.PolicyDoc{Name: d.Name, JSON: d.JSON})
		}
		if g.Boundary != nil {
			ps.Boundary = &leastpriv.PolicyDoc{Name: g.Boundary.Name, JSON: g.Boundary.JSON}
		}
		gr, err := m.GrantedTo(ps)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		if s, ok := sets[gr]; ok {
			return s, nil
		}
		out := make(ActionSet, 0, len(gr.List))
		for _, x := range gr.List {
			out = append(out, x.Action.FullName())
		}
		s := out
		if !slices.IsSorted(out) {
			s = NewActionSet(out)
		}
		sets[gr] = s
		return s, nil
	}
}

func accountOf(arn string) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) < 6 {
		return ""
	}
	return p[4]
}
