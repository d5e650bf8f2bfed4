package leastpriv

import (
	"slices"
	"strings"
	"sync"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/policy/wildcard"
)

// Grant is one action a principal is effectively allowed, with the resource
// patterns (as the policies write them) it is allowed on.
type Grant struct {
	Action    *catalog.Action
	Resources []string
	// Undetermined is why the grant is not known for certain (""): the
	// identity side allows the action only on KMS keys whose key policy was
	// not collected (KeyPolicyNotCollected); Resources are then those keys'
	// patterns. Such an action is never called "unused" nor "allowed".
	Undetermined string
}

// Grants are a principal's effective permissions, sorted by action name.
type Grants struct {
	List []Grant
	idx  map[string]int // lower-cased action → index
}

// Get returns the grant of an action.
func (g *Grants) Get(action string) (Grant, bool) {
	i, ok := g.idx[strings.ToLower(action)]
	if !ok {
		return Grant{}, false
	}
	return g.List[i], true
}

// maxResourceProbes bounds the resource patterns tried per action.
const maxResourceProbes = 16

// Granted returns the principal's effective granted actions: identity
// policies ∩ permissions boundary ∩ SCPs, through the policy engine.
//
// The approximation (docs/leastpriv.md): the candidates are the catalog's
// expansion of every Allow statement's actions (NotAction: every action
// of the catalog). A candidate is granted when the engine allows it on at
// least one resource pattern written in the statements that name it (or
// "*"), evaluated as a literal resource with the principal's global
// condition keys and no request context. So "some resource is allowed":
// a Deny on part of a bucket does not remove s3:GetObject, and an Allow
// that needs request context (a condition on a tag, an IP…) is not
// counted, which errs on the side of fewer unused permissions.
//
// Principals with the same policy set share the result (cached).
func (m *Model) Granted(p *Principal) *Grants {
	if g, ok := m.granted[p.key]; ok {
		return g
	}
	g := m.computeGrants(p)
	m.granted[p.key] = g
	return g
}

// GrantedAll computes the grants of many principals with workers goroutines.
func (m *Model) GrantedAll(ps []*Principal, workers int) {
	if workers < 1 {
		workers = 1
	}
	todo := map[string]*Principal{}
	for _, p := range ps {
		if _, ok := m.granted[p.key]; !ok {
			todo[p.key] = p
		}
	}
	keys := make([]string, 0, len(todo))
	for k := range todo {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	res := make([]*Grants, len(keys))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res[i] = m.computeGrants(todo[keys[i]])
			}
		}()
	}
	for i := range keys {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, k := range keys {
		m.granted[k] = res[i]
	}
}

func (m *Model) computeGrants(p *Principal) *Grants {
	// candidate action → resource patterns to probe
	probes := map[*catalog.Action][]string{}
	addAll := func(as []*catalog.Action, res []string) {
		for _, a := range as {
			cur := probes[a]
			for _, r := range res {
				if len(cur) >= maxResourceProbes {
					break
				}
				if !slices.Contains(cur, r) {
					cur = append(cur, r)
				}
			}
			probes[a] = cur
		}
	}
	var everything []*catalog.Action
	for _, pol := range p.Identity {
		for _, st := range pol.Statements {
			if st.Effect != policy.Allow {
				continue
			}
			res := []string{"*"}
			if st.HasResource && !st.NotResource {
				res = make([]string, 0, len(st.Resources)+1)
				for _, r := range st.Resources {
					res = append(res, substituteVars(r, p))
				}
			}
			if st.NotAction {
				if everything == nil {
					everything = m.Catalog.Actions()
				}
				var as []*catalog.Action
				for _, a := range everything {
					if !matchesAny(st.Actions, a.FullName()) {
						as = append(as, a)
					}
				}
				addAll(as, res)
				continue
			}
			for _, pat := range st.Actions {
				addAll(m.Catalog.Expand(pat), res)
			}
		}
	}
	pols := &policy.Policies{Identity: p.Identity, Boundary: p.Boundary, SCPs: p.SCPs, Resource: p.delegate}
	opt := &policy.Options{ManagementAccount: m.ManagementAccount, RCPServices: m.rcpServices()}
	// One request context per region: approved-region SCPs deny requests
	// without aws:RequestedRegion, so a denied probe is retried in the
	// regions in use.
	ctxs := make([]policy.Context, len(m.Regions))
	for i, r := range m.Regions {
		policy.DeriveContext(&ctxs[i], policy.PrincipalFacts{ARN: p.ARN, Region: r}, m.now())
	}
	req := policy.Request{Principal: p.ARN, ResourceAccount: p.Account}
	identity := policy.Policies{Identity: p.Identity, Boundary: p.Boundary, SCPs: p.SCPs}
	g := &Grants{idx: map[string]int{}}
	for a, res := range probes {
		req.Action = a.FullName()
		var ok, und []string
		for _, r := range res {
			req.Resource = r
			if !allowedInSomeRegion(&req, pols, opt, ctxs) {
				continue
			}
			if !onKey(a, r) {
				ok = append(ok, r)
				continue
			}
			// The identity side allows; the key policy decides.
			switch m.keys.decideOnKeys(req, identity, opt, ctxs, p.Account) {
			case keyAllows:
				ok = append(ok, r)
			case keyUndetermined:
				und = append(und, r)
			}
		}
		switch {
		case len(ok) > 0:
			g.List = append(g.List, Grant{Action: a, Resources: ok})
		case len(und) > 0:
			g.List = append(g.List, Grant{Action: a, Resources: und, Undetermined: KeyPolicyNotCollected})
		}
	}
	slices.SortFunc(g.List, func(x, y Grant) int { return strings.Compare(x.Action.FullName(), y.Action.FullName()) })
	for i, gr := range g.List {
		g.idx[strings.ToLower(gr.Action.FullName())] = i
	}
	return g
}

// substituteVars fills the policy variables whose value a principal
// determines, so that "arn:aws:iam::*:user/${aws:username}" is probed as the
// user's own ARN.
func substituteVars(r string, p *Principal) string {
	if !strings.Contains(r, "${") {
		return r
	}
	if p.Kind == "user" {
		r = strings.ReplaceAll(r, "${aws:username}", p.Name)
	}
	r = strings.ReplaceAll(r, "${aws:PrincipalAccount}", p.Account)
	return r
}

// matchesAny reports whether action matches one of the Action patterns
// (case-insensitively, with the policy engine's matcher).
func matchesAny(patterns []string, action string) bool {
	for _, pat := range patterns {
		if wildcard.MatchFold(pat, action) {
			return true
		}
	}
	return false
}
