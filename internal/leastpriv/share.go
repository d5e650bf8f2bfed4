package leastpriv

import (
	"fmt"
	"slices"
	"strings"

	"github.com/seiri-dev/seiri/internal/policy"
)

// Sharing answers between users.
//
// Grants are cached by policy set, but a policy set whose resources use
// ${aws:username} (a self-service policy), or that allows kms actions while
// key policies were collected, is keyed by the user too: its grants are the
// user's own. Most of such a set's answers still cannot depend on who the
// user is, and computing every one again (an AdministratorAccess user is
// 22,000 candidate actions) is most of the cost of `seiri groups`. So the
// first user of a policy set leaves its answers (a sharedRun), and a later
// user of the same policy set, account and partition takes an answer from
// it when this proof holds for the action:
//
//  1. The evaluator sees the same request but for the principal and its
//     context: same policies (the policy-set fingerprint, account and
//     partition are the run's key), same action, the same probe resources
//     in the same order (compared), the same resource account, options and
//     clock. Both principals are IAM users of that account, so the
//     evaluator's principal-kind, account and service-linked branches go
//     the same way.
//  2. The evaluator reads the context only through the statements that
//     cover the action (policy.Statement.ContextKeys), and the principal
//     only through the Principal element of resource-policy statements
//     that cover it. So no statement covering the action
//     (policy.Statement.CoversAction) may read a context key whose value
//     differs between the two users' request contexts
//     (policy.Context.DifferingKeys, every region tried), nor name in its
//     Principal element anything but accounts or everyone.
//  3. The request is not on a KMS key: key policies name principals and are
//     decided apart (decideOnKeys), so such actions are always evaluated.
//
// Otherwise the action is evaluated for the user as usual. The two users'
// grants are then exactly what two separate computations give
// (TestSharedAnswersEqualSeparateComputation).

// sharedRun is the evaluated candidates of the first user of a policy set.
type sharedRun struct {
	arn    string
	ctxs   []policy.Context
	ranks  []int32    // candidate action ranks, ascending
	probes [][]string // each candidate's probe resources, in probe order
	grant  []int32    // each candidate's index in g.List, or -1: not granted
	g      *Grants
}

// shareKey returns the key of p's shared runs, or false when p's grants
// are not the user's own (the plain cache shares them already) or p is not
// an IAM user.
func shareKey(p *Principal) (string, bool) {
	if p.Kind != "user" {
		return "", false
	}
	set, own := strings.CutSuffix(p.key, "|"+p.ARN)
	if !own {
		return "", false
	}
	pi := policy.ParsePrincipal(p.ARN)
	if pi.Kind != policy.PrincipalUser || pi.Account != p.Account || pi.ServiceLinked {
		return "", false
	}
	return fmt.Sprintf("%s|%s|%s|%p", set, pi.Partition, pi.Account, p.delegate), true
}

// sharedRunFor returns the run p may take answers from, if any.
func (m *Model) sharedRunFor(key string) *sharedRun {
	m.sharedMu.Lock()
	defer m.sharedMu.Unlock()
	return m.shared[key]
}

// keepRun records run as the policy set's first, unless another user's is
// there already.
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

// userDependent returns the statements of p's policies whose part in a
// decision may differ between p and the run's user (point 2 above), or
// false when the contexts cannot be compared (nothing is shared then).
func userDependent(p *Principal, run *sharedRun, ctxs []policy.Context) ([]*policy.Statement, bool) {
	if len(ctxs) != len(run.ctxs) {
		return nil, false
	}
	var differ []string
	for i := range ctxs {
		differ = append(differ, ctxs[i].DifferingKeys(&run.ctxs[i])...)
	}
	var out []*policy.Statement
	add := func(pol *policy.Policy) {
		if pol == nil {
			return
		}
		for _, st := range pol.Statements {
			if readsAny(st.ContextKeys(), differ) || st.Principal != nil && !namesOnlyAccounts(st.Principal) {
				out = append(out, st)
			}
		}
	}
	for _, pol := range p.Identity {
		add(pol)
	}
	add(p.Boundary)
	for _, lvl := range p.SCPs {
		for _, pol := range lvl {
			add(pol)
		}
	}
	add(p.delegate)
	return out, true
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
