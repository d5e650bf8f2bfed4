package leastpriv

import (
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/policy"
)

// Decide evaluates one request of p with the same context Granted uses —
// identity policies, permissions boundary, SCP levels, the principal's
// global condition keys and the regions in use — plus a resource-based
// policy (a role's trust policy, a key policy; nil: none) and extra request
// context keys (iam:PassedToService, iam:PolicyARN…).
//
// Like Granted, a request denied in one region (an approved-regions SCP) is
// retried in the other regions in use; the first Allow is returned, else the
// decision in the first (most used) region. Safe for concurrent use.
func (m *Model) Decide(p *Principal, action, resource string, res *policy.Policy, extra map[string]string) policy.Result {
	pols := policy.Policies{Identity: p.Identity, Boundary: p.Boundary, SCPs: p.SCPs, Resource: res}
	opt := policy.Options{ManagementAccount: m.ManagementAccount, RCPServices: m.rcpServices()}
	req := policy.Request{Principal: p.ARN, Action: action, Resource: resource}
	var first policy.Result
	for i, ctx := range m.contexts(p, extra) {
		req.Context = ctx
		d := policy.Evaluate(&req, &pols, &opt)
		if d.Decision == policy.AllowDecision {
			return d
		}
		if i == 0 {
			first = d
		}
		if d.Decision == policy.ImplicitDeny && d.Gate != policy.GateSCP {
			break // not a region matter
		}
	}
	return first
}

// Allows reports whether p may perform action on at least one resource its
// policies name for it: the probe Granted makes for one action (the
// resource patterns of the Allow statements that name the action, with
// ${aws:username} filled in, or "*"), narrowed by the catalog: a pattern
// that is no resource type of the action is skipped (a NotAction statement
// on an S3 bucket grants no Lambda function), and an action without
// resource-level permissions is probed on "*" only. It returns the allowing
// decision and the resource it was found on, so callers can name the
// statement.
func (m *Model) Allows(p *Principal, action string, extra map[string]string) (policy.Result, string, bool) {
	var act *catalog.Action
	if m.Catalog != nil {
		act, _ = m.Catalog.Action(action)
	}
	fits := func(r string) bool {
		if act == nil || r == "*" {
			return true
		}
		if !act.SupportsResourceLevel() {
			return false // evaluated by AWS on "*" only
		}
		return !strings.HasPrefix(r, "arn:") || len(act.ResourceTypesMatching(r)) > 0
	}
	var probes []string
	for _, pol := range p.Identity {
		for _, st := range pol.Statements {
			if st.Effect != policy.Allow || matchesAny(st.Actions, action) == st.NotAction {
				continue
			}
			if !st.HasResource || st.NotResource {
				probes = append(probes, "*")
				continue
			}
			for _, r := range st.Resources {
				if r = substituteVars(r, p); fits(r) {
					probes = append(probes, r)
				}
			}
		}
	}
	slices.Sort(probes)
	probes = slices.Compact(probes)
	if len(probes) > maxResourceProbes {
		probes = probes[:maxResourceProbes]
	}
	var last policy.Result
	for _, r := range probes {
		d := m.Decide(p, action, r, p.delegate, extra)
		if d.Decision == policy.AllowDecision {
			return d, r, true
		}
		last = d
	}
	return last, "", false
}

// PolicyName names the policy a decision of p points at: the source of an
// identity policy ("user alice inline ci", a managed policy ARN), the
// boundary or an SCP level; "" when no single policy decided.
func (m *Model) PolicyName(p *Principal, d policy.Result) string {
	switch d.Source {
	case policy.SourceIdentity:
		if d.PolicyIndex >= 0 && d.PolicyIndex < len(p.Sources) {
			return p.Sources[d.PolicyIndex]
		}
	case policy.SourceBoundary:
		return "permissions boundary"
	case policy.SourceSCP:
		return d.PolicyLabel()
	case policy.SourceResource:
		return "resource policy"
	}
	return d.PolicyLabel()
}

// ctxCache holds the derived request contexts of principals, per extra
// key set: deriving them allocates, and Decide runs millions of times.
type ctxCache struct {
	mu sync.Mutex
	m  map[string][]policy.Context
}

func (m *Model) contexts(p *Principal, extra map[string]string) []policy.Context {
	cc := &m.decideCtx
	var b strings.Builder
	b.WriteString(p.ARN)
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString("\x00" + k + "=" + extra[k])
	}
	key := b.String()
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.m == nil {
		cc.m = map[string][]policy.Context{}
	}
	if ctxs, ok := cc.m[key]; ok {
		return ctxs
	}
	orgID := ""
	if o := m.Snapshot.Organization; o != nil {
		orgID = o.ID
	}
	regions := m.Regions
	if len(regions) == 0 {
		regions = []string{"us-east-1"}
	}
	ctxs := make([]policy.Context, len(regions))
	for i, r := range regions {
		for _, k := range keys {
			ctxs[i].Set(k, extra[k])
		}
		policy.DeriveContext(&ctxs[i], policy.PrincipalFacts{ARN: p.ARN, Region: r, OrgID: orgID}, m.now())
	}
	cc.m[key] = ctxs
	return ctxs
}

// Mentions reports whether an Allow statement of p's identity policies
// names the action (through a wildcard or NotAction): a cheap filter before
// asking the engine about many resources. The engine decides; this only
// rules out requests no policy could allow.
func (p *Principal) Mentions(action string) bool {
	for _, pol := range p.Identity {
		for _, st := range pol.Statements {
			if st.Effect == policy.Allow && matchesAny(st.Actions, action) != st.NotAction {
				return true
			}
		}
	}
	return false
}

// rcpServices is the model's catalog as the engine's list of services RCPs
// govern (nil, the engine's embedded default, without a catalog).
func (m *Model) rcpServices() policy.RCPServices {
	if m.Catalog == nil {
		return nil
	}
	return m.Catalog
}
