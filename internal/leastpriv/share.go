package leastpriv

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/seiri-dev/seiri/internal/policy"
)

// Sharing answers between users.
//
// Grants are cached by policy set, but a policy set whose resources use
// ${aws:username} (a self-service policy), or that allows kms actions while
// key policies were collected, is keyed by the user too: its grants are the
// user's own. And users whose policy sets differ (one more team policy)
// still get the same answer for most actions. Computing every answer again
// (an AdministratorAccess user is 22,000 candidate actions) is most of the
// cost of `seiri groups`. So the first user to evaluate a service's actions
// under some statements leaves those answers (a sharedRun), and a later
// user takes an answer from it when this proof holds for the action:
//
//  1. The evaluator decides on the same request but for the principal and
//     its context. Same action; the same probe resources in the same order
//     (compared); the same resource account, delegating resource policy,
//     partition, options and clock (the run's key). Both principals are
//     IAM users of that account, so the evaluator's principal-kind,
//     account and service-linked branches go the same way.
//  2. The same statements take part. A statement whose Action/NotAction
//     does not cover the action takes no part in a decision on it
//     (policy.Statement.CoversAction), so the key holds, per place — the
//     identity policies (which of them allows or denies does not change
//     the decision), the permissions boundary (and whether there is one),
//     each SCP level, the resource policy — the statements that can cover
//     the service's actions (statementsFor): equal sets of those mean
//     equal sets of covering statements for every action of the service.
//  3. The evaluator reads the context only through the statements that
//     cover the action (policy.Statement.ContextKeys), and the principal
//     only through the Principal element of resource-policy statements.
//     So no statement covering the action may read a context key whose
//     value differs between the two users' request contexts
//     (policy.Context.DifferingKeys, every region tried), nor name in its
//     Principal element anything but accounts or everyone.
//  4. The request is not on a KMS key: key policies name principals and are
//     decided apart (decideOnKeys), so such actions are always evaluated.
//
// Otherwise the action is evaluated for the user as usual. So every user's
// grants are exactly what a computation of its own gives
// (TestSharedAnswersEqualSeparateComputation,
// TestSharingNeverCrossesAUserSpecificValue).

// sharedRun is the evaluated candidates of one service for the first user
// of some statements.
type sharedRun struct {
	arn    string
	ctxs   []policy.Context
	ranks  []int32    // candidate action ranks, ascending
	probes [][]string // each candidate's probe resources, in probe order
	grant  []Grant    // each candidate's grant; Action nil: not granted
}

// sharing is one computeGrants' view of the shared runs: its user's
// statements by place, and what differs from the users it takes from.
type sharing struct {
	p    *Principal
	base string
	ctxs []policy.Context
	// stmts are every statement of the user's policies with its place.
	stmts []placedStatement
	nSCP  int
	// dependent: by the other user's ARN, the statements whose part in a
	// decision may differ between the two users (point 3); absent from
	// the map: not computed yet; ok false: nothing can be taken.
	dependent map[string]dependentStatements
	buf       strings.Builder
}

type placedStatement struct {
	st    *policy.Statement
	place int // 0 identity, 1 boundary, 2 resource policy, 3+i SCP level i
	id    string
	// anyService: a NotAction or a pattern with a wildcard in its
	// service part; else services are the lower-cased literal services.
	anyService bool
	services   []string
}

type dependentStatements struct {
	sts []*policy.Statement
	ok  bool
}

// newSharing returns p's view of the shared runs, or nil when p is not an
// IAM user of its account (nothing is shared) or sharing is off.
func (m *Model) newSharing(p *Principal, ctxs []policy.Context) *sharing {
	if m.noShare || p.Kind != "user" {
		return nil
	}
	pi := policy.ParsePrincipal(p.ARN)
	if pi.Kind != policy.PrincipalUser || pi.Account != p.Account || pi.ServiceLinked || p.delegate == nil {
		return nil
	}
	sh := &sharing{p: p, ctxs: ctxs, nSCP: len(p.SCPs), dependent: map[string]dependentStatements{},
		base: fmt.Sprintf("%s|%s|%p|%d", pi.Partition, pi.Account, p.delegate, len(p.SCPs))}
	add := func(pol *policy.Policy, place int) {
		if pol == nil {
			return
		}
		for _, st := range pol.Statements {
			ps := placedStatement{st: st, place: place, id: fmt.Sprintf("%p", st), anyService: st.NotAction}
			for _, a := range st.Actions {
				svc, _, found := strings.Cut(a, ":")
				if !found || strings.ContainsAny(svc, "*?") {
					ps.anyService = true
					break
				}
				ps.services = append(ps.services, strings.ToLower(svc))
			}
			sh.stmts = append(sh.stmts, ps)
		}
	}
	for _, pol := range p.Identity {
		add(pol, 0)
	}
	if p.Boundary != nil {
		sh.base += "|boundary"
		add(p.Boundary, 1)
	}
	add(p.delegate, 2)
	for i, lvl := range p.SCPs {
		for _, pol := range lvl {
			add(pol, 3+i)
		}
	}
	return sh
}

// key returns the key of the user's runs of a service: the base and, place
// by place, the statements that can cover the service's actions.
func (sh *sharing) key(service string) string {
	ids := make([]string, 0, 16)
	for i := range sh.stmts {
		ps := &sh.stmts[i]
		if ps.anyService || slices.Contains(ps.services, strings.ToLower(service)) {
			ids = append(ids, strconv.Itoa(ps.place)+"="+ps.id)
		}
	}
	// A place's statements are a set (identity policies, the policies
	// of one SCP level): sorted, without repeats.
	slices.Sort(ids)
	ids = slices.Compact(ids)
	sh.buf.Reset()
	sh.buf.WriteString(sh.base)
	sh.buf.WriteString("|" + service + "|")
	sh.buf.WriteString(strings.Join(ids, ","))
	return sh.buf.String()
}

// dependentOn returns the statements of the user's policies whose part in
// a decision may differ between the user and the run's user (point 3), or
// false when the contexts cannot be compared (nothing is taken then).
func (sh *sharing) dependentOn(run *sharedRun) ([]*policy.Statement, bool) {
	if d, ok := sh.dependent[run.arn]; ok {
		return d.sts, d.ok
	}
	var d dependentStatements
	if len(sh.ctxs) == len(run.ctxs) {
		d.ok = true
		var differ []string
		for i := range sh.ctxs {
			differ = append(differ, sh.ctxs[i].DifferingKeys(&run.ctxs[i])...)
		}
		for i := range sh.stmts {
			st := sh.stmts[i].st
			if readsAny(st.ContextKeys(), differ) || st.Principal != nil && !namesOnlyAccounts(st.Principal) {
				d.sts = append(d.sts, st)
			}
		}
	}
	sh.dependent[run.arn] = d
	return d.sts, d.ok
}

// sharedRunFor returns the run of a key, if any.
func (m *Model) sharedRunFor(key string) *sharedRun {
	m.sharedMu.Lock()
	defer m.sharedMu.Unlock()
	return m.shared[key]
}

// keepRun records run as the key's, unless another user's is there
// already.
func (m *Model) keepRun(key string, run *sharedRun) {
	m.sharedMu.Lock()
	defer m.sharedMu.Unlock()
	if m.shared == nil {
		m.shared = map[string]*sharedRun{}
	}
	if _, ok := m.shared[key]; !ok {
		m.shared[key] = run
	}
}

func readsAny(keys, differ []string) bool {
	for _, k := range keys {
		if slices.Contains(differ, k) {
			return true
		}
	}
	return false
}

// namesOnlyAccounts reports whether a Principal element matches an IAM
// user of an account through the account alone: everyone, account ids and
// account root ARNs (never a user's ARN). Service principals are compared
// only with service callers.
func namesOnlyAccounts(pr *policy.Principal) bool {
	if pr.Wildcard {
		return true
	}
	if len(pr.Federated) > 0 || len(pr.CanonicalUser) > 0 {
		return false
	}
	for _, v := range pr.AWS {
		if !isAccountID(v) && !strings.HasSuffix(v, ":root") {
			return false
		}
	}
	return true
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// coveredByAny reports whether one of the statements covers the action.
func coveredByAny(sts []*policy.Statement, action string) bool {
	for _, st := range sts {
		if st.CoversAction(action) {
			return true
		}
	}
	return false
}
