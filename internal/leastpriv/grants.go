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

	// idx maps a lower-cased action to its index in List; built on first
	// use (index): most callers only read List, and a grant of every
	// action would otherwise cost 20,000 map entries per policy set.
	idxOnce sync.Once
	idx     map[string]int
}

// index returns the lower-cased action → List index map. Safe for
// concurrent use: cached grants are shared.
func (g *Grants) index() map[string]int {
	g.idxOnce.Do(func() {
		g.idx = make(map[string]int, len(g.List))
		for i, gr := range g.List {
			g.idx[strings.ToLower(gr.Action.FullName())] = i
		}
	})
	return g.idx
}

// Get returns the grant of an action.
func (g *Grants) Get(action string) (Grant, bool) {
	i, ok := g.index()[strings.ToLower(action)]
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
	// candidate action → resource patterns to probe, by the action's rank
	// in full-name order (so the grants come out sorted without a string
	// sort): an Allow of "*" makes every catalog action a candidate.
	rank := m.actionRanks()
	pr := probePool.Get().(*probeSet)
	pr.reset(len(rank.byRank))
	defer probePool.Put(pr)
	addAll := func(ranks []int32, res []string) {
		// A statement's resources are usually few and distinct: the first
		// statement naming an action then shares them (capacity clipped,
		// so a later statement's append copies).
		shareable := len(res) <= maxResourceProbes && distinct(res)
		for _, i := range ranks {
			cur := pr.res[i]
			if !pr.seen[i] {
				pr.seen[i] = true
				pr.touched = append(pr.touched, i)
				if shareable {
					pr.res[i] = res[:len(res):len(res)]
					continue
				}
			}
			for _, r := range res {
				if len(cur) >= maxResourceProbes {
					break
				}
				if !slices.Contains(cur, r) {
					cur = append(cur, r)
				}
			}
			pr.res[i] = cur
		}
	}
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
			addAll(m.statementRanks(st), res)
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
	g := &Grants{List: make([]Grant, 0, len(pr.touched))}
	slices.Sort(pr.touched)
	// Answers another user proved for the same statements (share.go), or
	// this user's answers for the next one; one service at a time (its
	// actions are adjacent in rank order).
	sh := m.newSharing(p, ctxs)
	var from, keep *sharedRun
	var dependent []*policy.Statement
	var key, service string
	k := 0 // the next candidate of from
	for n, i := range pr.touched {
		a, res := rank.byRank[i], pr.res[i]
		req.Action = rank.names[i]
		if svc, _, _ := strings.Cut(req.Action, ":"); sh != nil && (n == 0 || svc != service) {
			if keep != nil {
				m.keepRun(key, keep)
			}
			service, key, k, keep = svc, sh.key(svc), 0, nil
			if from = m.sharedRunFor(key); from != nil {
				var ok bool
				if dependent, ok = sh.dependentOn(from); !ok {
					from = nil
				}
			} else {
				e := n + 1
				for e < len(pr.touched) && strings.HasPrefix(rank.names[pr.touched[e]], svc+":") {
					e++
				}
				keep = &sharedRun{arn: p.ARN, ctxs: ctxs, ranks: make([]int32, 0, e-n), probes: make([][]string, 0, e-n), grant: make([]Grant, 0, e-n)}
			}
		}
		if keep != nil {
			keep.ranks = append(keep.ranks, i)
			keep.probes = append(keep.probes, res)
			keep.grant = append(keep.grant, Grant{})
		}
		if from != nil {
			for k < len(from.ranks) && from.ranks[k] < i {
				k++
			}
			if k < len(from.ranks) && from.ranks[k] == i && slices.Equal(from.probes[k], res) &&
				!slices.ContainsFunc(res, func(r string) bool { return onKey(a, r) }) && !coveredByAny(dependent, req.Action) {
				if gr := from.grant[k]; gr.Action != nil {
					g.List = append(g.List, gr)
				}
				if m.reused != nil {
					m.reused(p.ARN, req.Action)
				}
				continue
			}
		}
		// ok holds the allowed probes; while every probe so far is
		// allowed it is not built (allOK): the grant then shares res.
		var ok, und []string
		allOK := true
		for n, r := range res {
			req.Resource = r
			verdict := keyDenies
			if allowedInSomeRegion(&req, pols, opt, ctxs) {
				verdict = keyAllows
				if onKey(a, r) {
					// The identity side allows; the key policy decides.
					verdict = m.keys.decideOnKeys(req, identity, opt, ctxs, p.Account)
				}
			}
			switch {
			case verdict == keyAllows && allOK:
			case verdict == keyAllows:
				ok = append(ok, r)
			case allOK:
				allOK = false
				ok = append(ok, res[:n]...)
			}
			if verdict == keyUndetermined {
				und = append(und, r)
			}
		}
		if allOK {
			ok = res[:len(res):len(res)]
		}
		switch {
		case len(ok) > 0:
			g.List = append(g.List, Grant{Action: a, Resources: ok})
		case len(und) > 0:
			g.List = append(g.List, Grant{Action: a, Resources: und, Undetermined: KeyPolicyNotCollected})
		default:
			continue
		}
		if keep != nil {
			keep.grant[len(keep.grant)-1] = g.List[len(g.List)-1]
		}
	}
	if keep != nil {
		m.keepRun(key, keep)
	}
	return g
}

// actionRanks are the catalog's actions in full-name order (as
// strings.Compare sorts them) and each action's rank in it.
type actionRanks struct {
	byRank []*catalog.Action
	names  []string // full names by rank
	of     map[*catalog.Action]int32
}

// statementRanks returns the ranks of the catalog actions an Allow
// statement names: the expansion of its Action patterns, or with
// NotAction every action none of its patterns matches. Cached per
// statement (policies are parsed once per model and shared by users).
func (m *Model) statementRanks(st *policy.Statement) []int32 {
	m.stmtMu.Lock()
	rs, ok := m.stmtRanks[st]
	m.stmtMu.Unlock()
	if ok {
		return rs
	}
	rank := m.actionRanks()
	if st.NotAction {
		for i, a := range rank.byRank {
			if !matchesAny(st.Actions, a.FullName()) {
				rs = append(rs, int32(i))
			}
		}
	} else {
		for _, pat := range st.Actions {
			for _, a := range m.Catalog.Expand(pat) {
				rs = append(rs, rank.of[a])
			}
		}
		// Patterns may overlap: each action once.
		slices.Sort(rs)
		rs = slices.Compact(rs)
	}
	m.stmtMu.Lock()
	if m.stmtRanks == nil {
		m.stmtRanks = map[*policy.Statement][]int32{}
	}
	m.stmtRanks[st] = rs
	m.stmtMu.Unlock()
	return rs
}

// actionRanks returns the model catalog's ranks, computed once (Granted
// runs in parallel).
func (m *Model) actionRanks() *actionRanks {
	m.ranksOnce.Do(func() {
		as := slices.Clone(m.Catalog.Actions())
		slices.SortFunc(as, func(x, y *catalog.Action) int { return strings.Compare(x.FullName(), y.FullName()) })
		r := &actionRanks{byRank: as, names: make([]string, len(as)), of: make(map[*catalog.Action]int32, len(as))}
		for i, a := range as {
			r.of[a] = int32(i)
			r.names[i] = a.FullName()
		}
		m.ranks = r
	})
	return m.ranks
}

// probeSet is computeGrants' scratch space, indexed by action rank;
// pooled, since an Allow of "*" touches every catalog action.
type probeSet struct {
	res     [][]string
	seen    []bool
	touched []int32
}

var probePool = sync.Pool{New: func() any { return &probeSet{} }}

// reset readies the set for n actions, clearing what the last use touched.
func (p *probeSet) reset(n int) {
	for _, i := range p.touched {
		p.res[i], p.seen[i] = nil, false
	}
	p.touched = p.touched[:0]
	if len(p.res) != n {
		p.res, p.seen = make([][]string, n), make([]bool, n)
	}
}

// distinct reports whether no string of ss repeats.
func distinct(ss []string) bool {
	for i := 1; i < len(ss); i++ {
		if slices.Contains(ss[:i], ss[i]) {
			return false
		}
	}
	return true
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
