package leastpriv

import (
	"encoding/json"
	"strings"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/policy/wildcard"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// KMS keys are decided by their key policy too: "Unless the key policy
// explicitly allows it, you cannot use IAM policies to allow access to a KMS
// key" (AWS KMS Developer Guide, "Key policies in AWS KMS"). An identity
// policy alone never proves that a principal may use a key: where the
// snapshot holds the key's policy (collect reads them for external access)
// seiri evaluates the request with it; where it does not, the answer is
// undetermined, never "allowed" nor "unused". An alias ARN (alias/…) is not
// a key: key policies do not apply to it (AWS KMS Developer Guide, "Using
// aliases to control access to KMS keys").

// KeyPolicyNotCollected is the reason of an undetermined verdict on a key.
const KeyPolicyNotCollected = "undetermined (key policy not collected)"

// keyPolicies are the snapshot's collected KMS keys.
type keyPolicies struct {
	// collected: account → its KMS key policies were read (a kms-key scope
	// without error in some region).
	collected map[string]bool
	keys      []kmsKey
}

type kmsKey struct {
	arn, account string
	policy       *policy.Policy // nil: no usable document (missing or unparsable)
}

func newKeyPolicies(s *snapshot.Snapshot) *keyPolicies {
	kp := &keyPolicies{collected: map[string]bool{}}
	for _, a := range s.Accounts {
		rp := a.ResourcePolicies
		if rp == nil {
			continue
		}
		for _, sc := range rp.Scopes {
			if sc.Service == snapshot.ResourceKMSKey && sc.Error == "" {
				kp.collected[a.AccountID] = true
			}
		}
		for i := range rp.Items {
			it := &rp.Items[i]
			if it.Type != snapshot.ResourceKMSKey {
				continue
			}
			k := kmsKey{arn: it.ARN, account: a.AccountID}
			if len(it.Policy) > 0 {
				k.policy, _ = policy.Parse(normalizeDoc(it.Policy), policy.TypeResource)
			}
			kp.keys = append(kp.keys, k)
		}
	}
	return kp
}

// decides reports whether key policies can make a grant of pol depend on
// who holds it: some key policy was collected and pol allows kms actions.
func (kp *keyPolicies) decides(pol *policy.Policy) bool {
	if kp == nil || len(kp.keys) == 0 {
		return false
	}
	for _, st := range pol.Statements {
		if st.Effect != policy.Allow {
			continue
		}
		if st.NotAction {
			return true
		}
		for _, a := range st.Actions {
			svc, _, _ := strings.Cut(a, ":")
			if a == "*" || wildcard.MatchFold(svc, "kms") {
				return true
			}
		}
	}
	return false
}

// normalizeDoc accepts a policy document stored as a JSON string (as some
// APIs return it) as well as an object.
func normalizeDoc(b json.RawMessage) []byte {
	var s string
	if len(b) > 0 && b[0] == '"' && json.Unmarshal(b, &s) == nil {
		return []byte(s)
	}
	return b
}

// onKey reports whether a request of action on resource (an ARN or an ARN
// pattern of a policy) is a request on a KMS key, which its key policy
// decides: a kms action with a key resource type, on a key ARN or on a
// pattern that can name keys. Aliases are not keys.
func onKey(a *catalog.Action, resource string) bool {
	if a == nil || a.Service == nil || !strings.EqualFold(a.Service.Prefix, "kms") {
		return false
	}
	hasKey := false
	for _, r := range a.Resources {
		if r.Type != nil && strings.EqualFold(r.Type.Name, "key") {
			hasKey = true
		}
	}
	if !hasKey {
		return false
	}
	if resource == "*" {
		return true
	}
	parts := strings.SplitN(resource, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !wildcard.MatchFold(parts[2], "kms") {
		return false
	}
	if !strings.ContainsAny(parts[5], "*?") {
		return strings.HasPrefix(parts[5], "key/")
	}
	// A pattern: can it name a key (key/<key id>)?
	return wildcard.Match(parts[5], "key/1234abcd-12ab-34cd-56ef-1234567890ab")
}

// keyVerdict is the key-policy side of a request the identity side allows.
type keyVerdict int

const (
	keyAllows keyVerdict = iota
	keyDenies
	keyUndetermined
)

// decideOnKeys evaluates req (whose identity side allows) on the collected
// keys its resource names, each with its own key policy; pols are the
// identity side (identity policies, boundary, SCPs). A concrete key ARN
// whose policy seiri has not collected, or a pattern while the principal's
// account's key policies were not collected, is undetermined.
func (kp *keyPolicies) decideOnKeys(req policy.Request, pols policy.Policies, opt *policy.Options, ctxs []policy.Context, account string) keyVerdict {
	if kp == nil {
		return keyUndetermined
	}
	concrete := !strings.ContainsAny(req.Resource, "*?")
	pattern := req.Resource
	found, missing := false, false
	for i := range kp.keys {
		k := &kp.keys[i]
		if concrete && k.arn != pattern || !concrete && !wildcard.Match(pattern, k.arn) {
			continue
		}
		found = true
		if k.policy == nil {
			missing = true
			continue
		}
		r := req
		r.Resource, r.ResourceAccount = k.arn, k.account
		if keyPolicyAllows(r, pols, k.policy, account, opt, ctxs) {
			return keyAllows
		}
	}
	switch {
	case missing:
		return keyUndetermined
	case concrete && !found:
		return keyUndetermined
	case !concrete && !kp.collected[account]:
		return keyUndetermined
	}
	return keyDenies
}

// keyPolicyAllows decides a request on one key whose identity side allows:
// no explicit Deny in any policy (the key policy included), and the key
// policy either allows the principal's account (the "Enable IAM User
// Permissions" statement of the default key policy: IAM policies decide,
// and they allow) or names the principal itself (AWS KMS Developer Guide,
// "Default key policy" and "Allowing users in other accounts to use a KMS
// key"). The key policy alone is judged as if in the principal's account,
// so the engine applies no cross-account rule to it.
func keyPolicyAllows(req policy.Request, identity policy.Policies, key *policy.Policy, account string, opt *policy.Options, ctxs []policy.Context) bool {
	full := identity
	full.Resource = key
	if !allowedInSomeRegion(&req, &full, opt, ctxs) {
		return false
	}
	alone := policy.Policies{Resource: key}
	r := req
	r.ResourceAccount = account
	for _, who := range []string{"arn:" + partitionOf(req.Principal) + ":iam::" + account + ":root", req.Principal} {
		r.Principal = who
		if allowedInSomeRegion(&r, &alone, opt, ctxs) {
			return true
		}
	}
	return false
}

// allowedInSomeRegion evaluates req in each context (one per region in
// use) and reports an Allow; a deny that is no SCP's stops early (not a
// region matter).
func allowedInSomeRegion(req *policy.Request, pols *policy.Policies, opt *policy.Options, ctxs []policy.Context) bool {
	if len(ctxs) == 0 {
		return policy.Evaluate(req, pols, opt).Decision == policy.AllowDecision
	}
	for i := range ctxs {
		req.Context = ctxs[i]
		d := policy.Evaluate(req, pols, opt)
		if d.Decision == policy.AllowDecision {
			return true
		}
		if d.Decision == policy.ImplicitDeny && d.Gate != policy.GateSCP {
			return false
		}
	}
	return false
}
