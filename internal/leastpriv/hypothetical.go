package leastpriv

import (
	"errors"
	"strings"

	"github.com/seiri-dev/seiri/internal/policy"
)

// PolicyDoc is one policy document of a policy set that is not (or not yet)
// the snapshot's: what an analysis that changes policies or memberships
// (groups' plans) asks about.
type PolicyDoc struct {
	Name string // a managed policy ARN, or "inline:<owner>/<name>"
	JSON []byte
}

// PolicySet is a principal of an account with the identity policies and
// permissions boundary it would have: a user after a plan moved it between
// groups, or a group on its own.
type PolicySet struct {
	ARN, Account, Name string
	Kind               string // "user" (the default) or "role"
	Identity           []PolicyDoc
	Boundary           *PolicyDoc
}

// GrantedTo is Granted for a policy set: the same computation (identity
// policies ∩ permissions boundary ∩ the SCPs above the account, through the
// policy engine, cached by policy set), so every analysis that asks what a
// principal may do — unused, groups, roles, policy generate — gets one
// answer. A document that does not parse is an error naming it.
func (m *Model) GrantedTo(ps PolicySet) (*Grants, error) {
	kind := ps.Kind
	if kind == "" {
		kind = "user"
	}
	p := &Principal{ARN: ps.ARN, Account: ps.Account, Name: ps.Name, Kind: kind}
	if ps.Account != m.ManagementAccount {
		p.SCPs = m.scps[ps.Account]
	}
	for _, d := range ps.Identity {
		if pol := m.parse(d.JSON, policy.TypeIdentity, d.Name, p); pol != nil {
			p.Identity = append(p.Identity, pol)
			p.Sources = append(p.Sources, d.Name)
		}
	}
	if ps.Boundary != nil {
		p.Boundary = m.parse(ps.Boundary.JSON, policy.TypeBoundary, "boundary "+ps.Boundary.Name, p)
	}
	if len(p.Problems) > 0 {
		return nil, errors.New(strings.Join(p.Problems, "; "))
	}
	p.delegate = m.delegating(p.Account)
	p.key = m.policySetKey(p)
	return m.Granted(p), nil
}
