package risk

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/policy/wildcard"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// group is an IAM group with its compiled policies.
type group struct {
	g        *snapshot.Group
	policies []*policy.Policy
	managed  []string // customer managed policy ARNs attached
}

// account indexes one account's IAM for the builder.
type account struct {
	a       *snapshot.Account
	users   map[string]*snapshot.User
	roles   map[string]*snapshot.Role
	groups  map[string]*group
	managed map[string]*snapshot.ManagedPolicy
}

// builder decides the edges of the graph.
type builder struct {
	an       *Analysis
	m        *leastpriv.Model
	accounts map[string]*account
	trust    map[string]*policy.Policy  // role ARN → trust policy (nil: unreadable)
	services map[string]map[string]bool // role ARN → service principals its trust policy lets assume it
	roles    []*Node                    // every non-service-linked role
	mu       sync.Mutex
	grantOK  map[string]bool // principal ARN (+ group) → would be administrator with an Allow *:*
	base     map[string][]bool
}

func newBuilder(an *Analysis) *builder {
	b := &builder{an: an, m: an.Model, accounts: map[string]*account{}, trust: map[string]*policy.Policy{}, services: map[string]map[string]bool{}, grantOK: map[string]bool{}, base: map[string][]bool{}}
	docs := map[string]*policy.Policy{}
	parse := func(doc []byte, t policy.Type, what string) *policy.Policy {
		k := t.String() + "\x00" + string(doc)
		if p, ok := docs[k]; ok {
			return p
		}
		p, err := policy.Parse(doc, t)
		if err != nil {
			an.Problems = append(an.Problems, what+": "+err.Error())
			p = nil
		}
		docs[k] = p
		return p
	}
	for _, a := range an.Model.Snapshot.Accounts {
		ac := &account{a: a, users: map[string]*snapshot.User{}, roles: map[string]*snapshot.Role{}, groups: map[string]*group{}, managed: map[string]*snapshot.ManagedPolicy{}}
		for i := range a.Policies {
			ac.managed[a.Policies[i].ARN] = &a.Policies[i]
		}
		for i := range a.Users {
			ac.users[a.Users[i].ARN] = &a.Users[i]
		}
		for i := range a.Roles {
			r := &a.Roles[i]
			ac.roles[r.ARN] = r
			if len(r.TrustPolicy) > 0 {
				tr := parse(r.TrustPolicy, policy.TypeTrust, "trust policy of "+r.ARN)
				b.trust[r.ARN] = tr
				if tr != nil {
					b.services[r.ARN] = trustedServices(tr)
				}
			}
		}
		for i := range a.Groups {
			g := &a.Groups[i]
			gr := &group{g: g}
			for _, ip := range g.InlinePolicies {
				if p := parse(ip.Document, policy.TypeIdentity, "group "+g.GroupName+" inline "+ip.PolicyName); p != nil {
					gr.policies = append(gr.policies, p)
				}
			}
			for _, ap := range g.AttachedPolicies {
				if mp := ac.managed[ap.PolicyARN]; mp != nil && len(mp.Document) > 0 {
					if p := parse(mp.Document, policy.TypeIdentity, ap.PolicyARN); p != nil {
						gr.policies = append(gr.policies, p)
					}
				}
				if !isAWSManaged(ap.PolicyARN) {
					gr.managed = append(gr.managed, ap.PolicyARN)
				}
			}
			ac.groups[g.GroupName] = gr
		}
		b.accounts[a.AccountID] = ac
	}
	for _, n := range an.Nodes {
		if n.P.Kind == "role" && !n.P.ServiceLinked {
			b.roles = append(b.roles, n)
		}
	}
	return b
}

func isAWSManaged(arn string) bool { return strings.Contains(arn, ":iam::aws:policy/") }

// evidence turns an engine decision into the statement that allowed it.
func (b *builder) evidence(p *leastpriv.Principal, action, resource string, d policy.Result, resourceName string) Evidence {
	e := Evidence{Action: action, Resource: resource, Statement: d.Statement, Sid: d.Sid}
	if d.Source == policy.SourceResource {
		e.Policy = resourceName
	} else {
		e.Policy = b.m.PolicyName(p, d)
	}
	return e
}

// isAdmin decides administrator-equivalent access: every probe of
// adminProbes that a principal with AdministratorAccess and no boundary
// would be allowed in the same account (under the same SCPs) is allowed.
// Probes the SCPs deny to everyone (organizations:LeaveOrganization,
// cloudtrail:StopLogging under the usual guardrails) do not count: an
// administrator of a guarded account is still its administrator.
func (b *builder) isAdmin(p *leastpriv.Principal) (bool, []Evidence) {
	if len(p.Identity) == 0 {
		return false, nil
	}
	base := b.baseline(p)
	var ev []Evidence
	n := 0
	for i, a := range adminProbes {
		if !base[i] {
			continue
		}
		n++
		d := b.m.Decide(p, a, "*", nil, nil)
		if d.Decision != policy.AllowDecision {
			return false, nil
		}
		if len(ev) == 0 {
			ev = append(ev, b.evidence(p, a, "*", d, ""))
		}
	}
	return n > 0, ev
}

// baseline returns which admin probes a full administrator in p's place
// (same account and SCPs, no boundary) is allowed.
func (b *builder) baseline(p *leastpriv.Principal) []bool {
	k := "baseline\x00" + p.Account
	if p.ServiceLinked {
		k += "\x00slr"
	}
	b.mu.Lock()
	got, ok := b.base[k]
	b.mu.Unlock()
	if ok {
		return got
	}
	c := *p
	c.Identity, c.Sources, c.Boundary = []*policy.Policy{allowAll}, nil, nil
	got = make([]bool, len(adminProbes))
	for i, a := range adminProbes {
		got[i] = b.m.Decide(&c, a, "*", nil, nil).Decision == policy.AllowDecision
	}
	b.mu.Lock()
	b.base[k] = got
	b.mu.Unlock()
	return got
}

// wouldBeAdmin reports whether p becomes administrator-equivalent when it
// is given an Allow *:* identity policy (key ""), or a group's policies
// (extra, key naming the group): its permissions boundary and the SCPs
// above its account still apply.
func (b *builder) wouldBeAdmin(p *leastpriv.Principal, extra []*policy.Policy, key string) bool {
	k := p.ARN + "\x00" + key
	b.mu.Lock()
	ok, done := b.grantOK[k]
	b.mu.Unlock()
	if done {
		return ok
	}
	c := *p
	if key == "" {
		c.Identity = []*policy.Policy{allowAll}
	} else {
		c.Identity = append(append([]*policy.Policy(nil), p.Identity...), extra...)
	}
	c.Sources = nil
	ok, _ = b.isAdmin(&c)
	b.mu.Lock()
	b.grantOK[k] = ok
	b.mu.Unlock()
	return ok
}

// actor is one source principal being decided, with per-action caches.
type actor struct {
	b       *builder
	n       *Node
	p       *leastpriv.Principal
	named   map[string]bool
	anyRes  map[string]*Evidence // action → evidence of "allowed on some resource" (nil: not allowed)
	checked map[string]bool
	mine    *policy.Policy // a trust policy naming the actor (after UpdateAssumeRolePolicy)
	compute []*Method      // the PassRole and existing-compute methods whose actions its policies name
}

// computeMethods lists the compute methods whose every action an Allow
// statement of the actor names (the engine decides each later).
func (a *actor) computeMethods() []*Method {
	var out []*Method
	for i := range Methods {
		m := &Methods[i]
		if m.Kind != KindPassRole && m.Kind != KindExistingCompute {
			continue
		}
		ok := a.names(m.Action)
		for _, act := range m.Also {
			ok = ok && a.names(act)
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// names is Principal.Mentions, cached per action.
func (a *actor) names(action string) bool {
	v, ok := a.named[action]
	if !ok {
		v = a.p.Mentions(action)
		a.named[action] = v
	}
	return v
}

// on decides action on a resource (extra context keys optional).
func (a *actor) on(action, resource string, res *policy.Policy, resName string, extra map[string]string) (Evidence, bool) {
	if res == nil && !a.names(action) {
		return Evidence{}, false
	}
	d := a.b.m.Decide(a.p, action, resource, res, extra)
	if d.Decision != policy.AllowDecision {
		return Evidence{}, false
	}
	return a.b.evidence(a.p, action, resource, d, resName), true
}

// onSome decides action on some resource the actor's policies name.
func (a *actor) onSome(action string) (Evidence, bool) {
	if a.checked[action] {
		e := a.anyRes[action]
		if e == nil {
			return Evidence{}, false
		}
		return *e, true
	}
	a.checked[action] = true
	if !a.names(action) {
		return Evidence{}, false
	}
	d, r, ok := a.b.m.Allows(a.p, action, nil)
	if !ok {
		return Evidence{}, false
	}
	e := a.b.evidence(a.p, action, r, d, "")
	a.anyRes[action] = &e
	return e, true
}

func (a *actor) step(m *Method, to, via string, ev ...Evidence) Step {
	return Step{From: a.p.ARN, To: to, Method: m.ID, Title: m.Title, Via: via, Possible: m.Possible, Allowed: ev}
}

// edges decides every method n's principal can perform.
func (b *builder) edges(n *Node) {
	a := &actor{b: b, n: n, p: n.P, named: map[string]bool{}, anyRes: map[string]*Evidence{}, checked: map[string]bool{}}
	a.compute = a.computeMethods()
	ac := b.accounts[n.P.Account]
	if ac == nil {
		return
	}
	var out []Edge
	// 1. Change its own permissions.
	if b.wouldBeAdmin(n.P, nil, "") {
		for _, s := range a.grants(ac, n.P.ARN) {
			out = append(out, Edge{Steps: []Step{s}})
		}
	}
	// 2. Join a group with administrator access.
	if n.P.Kind == "user" {
		u := ac.users[n.P.ARN]
		m := MethodByID("iam-add-user-to-group")
		for _, gn := range sortedKeys(ac.groups) {
			g := ac.groups[gn]
			if u != nil && slices.Contains(u.Groups, gn) {
				continue
			}
			ev, ok := a.on(m.Action, g.g.ARN, nil, "", nil)
			if !ok {
				continue
			}
			join := a.step(m, n.P.ARN, g.g.ARN, ev)
			if b.wouldBeAdmin(n.P, g.policies, "group "+gn) {
				out = append(out, Edge{Steps: []Step{join}})
				continue
			}
			// Join a group whose policies it can change (Rhino methods 9
			// and 12 on a group it is not yet in).
			if gs := a.groupGrants(n.P.ARN, g); len(gs) > 0 && b.wouldBeAdmin(n.P, nil, "") {
				out = append(out, Edge{Steps: []Step{join, gs[0]}})
			}
		}
	}
	// 3. Become another principal.
	var become []Edge
	for _, uarn := range sortedKeys(ac.users) {
		if uarn == n.P.ARN {
			continue
		}
		u := ac.users[uarn]
		t := b.an.byARN[uarn]
		if t == nil {
			continue
		}
		for _, id := range []string{"iam-create-access-key", "iam-create-login-profile", "iam-update-login-profile"} {
			m := MethodByID(id)
			switch id {
			case "iam-create-access-key":
				if !ac.a.KeysUnknown && len(u.AccessKeys) >= 2 {
					continue // IAM quota: two access keys per user
				}
			case "iam-create-login-profile":
				if u.LoginProfile != nil {
					continue
				}
			case "iam-update-login-profile":
				if u.LoginProfile == nil {
					continue
				}
			}
			if ev, ok := a.on(m.Action, uarn, nil, "", nil); ok {
				become = append(become, Edge{To: t, Steps: []Step{a.step(m, uarn, "", ev)}})
			}
		}
	}
	for _, t := range b.roles {
		if t == n {
			continue
		}
		become = append(become, a.roleEdges(t)...)
	}
	out = append(out, become...)
	// 4. Change the permissions of a principal it can become, then become it.
	done := map[*Node]bool{}
	for _, e := range become {
		t := e.To
		if done[t] || t.Admin || t.P.Account != n.P.Account {
			continue
		}
		done[t] = true
		if !b.wouldBeAdmin(t.P, nil, "") {
			continue
		}
		if gs := a.grants(ac, t.P.ARN); len(gs) > 0 {
			out = append(out, Edge{Steps: []Step{gs[0], e.Steps[0]}})
		}
	}
	n.Out = out
}

// roleEdges decides the methods that make the actor act as role t.
func (a *actor) roleEdges(t *Node) []Edge {
	b := a.b
	var out []Edge
	tr := b.trust[t.P.ARN]
	// Assume it.
	if tr != nil && trustNames(tr, a.p) {
		m := MethodByID("sts-assume-role")
		if ev, ok := a.on(m.Action, t.P.ARN, tr, "trust policy of role "+t.P.Name, nil); ok {
			out = append(out, Edge{To: t, Steps: []Step{a.step(m, t.P.ARN, "", ev)}})
		}
	}
	if t.P.Account != a.p.Account {
		return out // IAM and iam:PassRole act only within the account
	}
	// Rewrite its trust policy, then assume it.
	if m := MethodByID("iam-update-assume-role-policy"); a.names(m.Action) {
		if ev, ok := a.on(m.Action, t.P.ARN, nil, "", nil); ok {
			if a.mine == nil {
				a.mine = trustOf(a.p.ARN)
			}
			if ev2, ok := a.on("sts:AssumeRole", t.P.ARN, a.mine, "the rewritten trust policy", nil); a.mine != nil && ok {
				out = append(out, Edge{To: t, Steps: []Step{a.step(m, t.P.ARN, "", ev, ev2)}})
			}
		}
	}
	if tr == nil {
		return out
	}
	r := b.accounts[t.P.Account].roles[t.P.ARN]
	svcs := b.services[t.P.ARN]
	for _, m := range a.compute {
		if !svcs[m.Service] || (m.InstanceProfile && (r == nil || len(r.InstanceProfiles) == 0)) {
			continue
		}
		var evs []Evidence
		if m.Kind == KindPassRole {
			// iam:PassedToService is the service the role is passed to
			// (IAM User Guide, "Granting a user permissions to pass a role").
			ev, ok := a.on(m.Action, t.P.ARN, nil, "", map[string]string{"iam:PassedToService": m.Service})
			if !ok {
				continue
			}
			evs = append(evs, ev)
		} else {
			ev, ok := a.onSome(m.Action)
			if !ok {
				continue
			}
			evs = append(evs, ev)
		}
		ok := true
		for _, act := range m.Also {
			ev, yes := a.onSome(act)
			if !yes {
				ok = false
				break
			}
			evs = append(evs, ev)
		}
		if ok {
			out = append(out, Edge{To: t, Steps: []Step{a.step(m, t.P.ARN, "", evs...)}})
		}
	}
	return out
}

// grants returns the steps by which the actor can change the permissions of
// principal arn (itself or another of its account): policies on it, on its
// groups, and new versions of the customer managed policies attached to them.
func (a *actor) grants(ac *account, arn string) []Step {
	var out []Step
	var attached []string // customer managed policies of the target and its groups
	var targetKind Target
	if u := ac.users[arn]; u != nil {
		targetKind = TargetUser
		for _, ap := range u.AttachedPolicies {
			if !isAWSManaged(ap.PolicyARN) {
				attached = append(attached, ap.PolicyARN)
			}
		}
		for _, gn := range u.Groups {
			g := ac.groups[gn]
			if g == nil {
				continue
			}
			out = append(out, a.groupGrants(arn, g)...)
			attached = append(attached, g.managed...)
		}
	} else if r := ac.roles[arn]; r != nil {
		targetKind = TargetRole
		for _, ap := range r.AttachedPolicies {
			if !isAWSManaged(ap.PolicyARN) {
				attached = append(attached, ap.PolicyARN)
			}
		}
	} else {
		return nil
	}
	for i := range Methods {
		m := &Methods[i]
		if m.Kind != KindGrant || m.Target != targetKind {
			continue
		}
		var extra map[string]string
		if strings.HasPrefix(m.Action, "iam:Attach") {
			extra = map[string]string{"iam:PolicyARN": adminPolicyARN}
		}
		if ev, ok := a.on(m.Action, arn, nil, "", extra); ok {
			out = append(out, a.step(m, arn, "", ev))
		}
	}
	seen := map[string]bool{}
	for _, parn := range attached {
		if seen[parn] {
			continue
		}
		seen[parn] = true
		for _, id := range []string{"iam-create-policy-version", "iam-set-default-policy-version"} {
			m := MethodByID(id)
			if ev, ok := a.on(m.Action, parn, nil, "", nil); ok {
				out = append(out, a.step(m, arn, parn, ev))
			}
		}
	}
	// Proven steps first: a path prefers them.
	proven := out[:0:0]
	var possible []Step
	for _, s := range out {
		if s.Possible {
			possible = append(possible, s)
		} else {
			proven = append(proven, s)
		}
	}
	return append(proven, possible...)
}

// groupGrants returns the steps by which the actor can attach or write a
// policy on group g, for member arn.
func (a *actor) groupGrants(arn string, g *group) []Step {
	var out []Step
	for _, id := range []string{"iam-attach-group-policy", "iam-put-group-policy"} {
		m := MethodByID(id)
		var extra map[string]string
		if id == "iam-attach-group-policy" {
			extra = map[string]string{"iam:PolicyARN": adminPolicyARN}
		}
		if ev, ok := a.on(m.Action, g.g.ARN, nil, "", extra); ok {
			out = append(out, a.step(m, arn, g.g.ARN, ev))
		}
	}
	return out
}

// trustOf is the trust policy an attacker writes: it names the attacker.
func trustOf(arn string) *policy.Policy {
	name, _ := json.Marshal(arn)
	p, err := policy.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":`+string(name)+`},"Action":"sts:AssumeRole"}]}`), policy.TypeTrust)
	if err != nil {
		return nil
	}
	return p
}

// trustNames reports whether a trust policy has an Allow statement whose
// Principal could name the caller (its ARN, its account, or everyone): a
// filter before the engine decides.
func trustNames(tr *policy.Policy, p *leastpriv.Principal) bool {
	for _, st := range tr.Statements {
		if st.Effect != policy.Allow || st.Principal == nil {
			continue
		}
		if st.NotPrincipal || st.Principal.Wildcard {
			return true
		}
		for _, v := range st.Principal.AWS {
			if v == "*" || v == p.ARN || v == p.Account || strings.HasSuffix(v, ":iam::"+p.Account+":root") {
				return true
			}
			// A principal named by a role ARN with a different path still
			// matches the role by name (the engine decides).
			if p.Kind == "role" && strings.HasSuffix(v, "/"+p.Name) && strings.Contains(v, ":"+p.Account+":role/") {
				return true
			}
			if p.Kind == "user" && strings.HasSuffix(v, "/"+p.Name) && strings.Contains(v, ":"+p.Account+":user/") {
				return true
			}
		}
	}
	return false
}

// trustedServices returns the service principals a trust policy lets
// assume the role (Allow statements naming sts:AssumeRole or a wildcard of
// it); conditions are left to the engine where it matters.
func trustedServices(tr *policy.Policy) map[string]bool {
	out := map[string]bool{}
	for _, st := range tr.Statements {
		if st.Effect != policy.Allow || st.Principal == nil || st.NotPrincipal || st.NotAction {
			continue
		}
		if !slices.ContainsFunc(st.Actions, func(pat string) bool { return wildcard.MatchFold(pat, "sts:assumerole") }) {
			continue
		}
		for _, s := range st.Principal.Service {
			out[strings.ToLower(s)] = true
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
