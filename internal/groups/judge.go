package groups

import (
	"strings"

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
func Judge(m *leastpriv.Model) Effective {
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
		out := make(ActionSet, 0, len(gr.List))
		for _, x := range gr.List {
			out = append(out, x.Action.FullName())
		}
		return NewActionSet(out), nil
	}
}

func accountOf(arn string) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) < 6 {
		return ""
	}
	return p[4]
}
