package policy

import (
	"strings"
	"sync"

	"github.com/seiri-dev/seiri/internal/catalog"
)

// Decision is the outcome of an authorization request.
type Decision uint8

const (
	ImplicitDeny Decision = iota
	AllowDecision
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case AllowDecision:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "ImplicitDeny"
}

// Request is one authorization request.
type Request struct {
	Principal       string // ARN, service principal, or "anonymous"
	Action          string // service:Action
	Resource        string // ARN or "*"
	ResourceAccount string // optional owner of the resource
	Context         Context
}

// Policies are every policy that applies to a request.
type Policies struct {
	Identity []*Policy
	Resource *Policy
	Boundary *Policy
	Session  *Policy
	// SCPs and RCPs hold one slice per level of the organization path, root
	// first, account last. nil or empty: not in an organization.
	SCPs [][]*Policy
	RCPs [][]*Policy
	// VPCEndpoint holds the policies of the VPC endpoint the request passes
	// through (resource-based, with a Principal). Each must allow and any
	// Deny denies (Amazon VPC User Guide, "Control access to VPC endpoints
	// using endpoint policies"). nil: the request uses no endpoint.
	VPCEndpoint []*Policy
}

// Options adjust the evaluation to facts a case cannot carry.
type Options struct {
	// ManagementAccount is the organization's management account: SCPs do
	// not apply to its principals and RCPs not to its resources (AWS
	// Organizations User Guide, "Service control policies" and "Resource
	// control policies").
	ManagementAccount string
	// RCPServices decides which services RCPs govern. nil: the catalog in
	// force (catalog.Default()), which marks each service that supports
	// RCPs.
	RCPServices RCPServices
}

// RCPServices reports whether resource control policies apply to a service
// prefix (lower case). *catalog.Catalog implements it.
type RCPServices interface {
	SupportsRCP(prefix string) bool
}

// Source names the policy a reason points at.
type Source uint8

const (
	SourceNone Source = iota
	SourceIdentity
	SourceResource
	SourceBoundary
	SourceSession
	SourceSCP
	SourceRCP
	SourceVPCEndpoint
)

var sourceNames = [...]string{"", "identity", "resource", "boundary", "session", "scp", "rcp", "vpc-endpoint"}

func (s Source) String() string { return sourceNames[s] }

// Gate names the step of the evaluation that decided.
type Gate uint8

const (
	GateNone         Gate = iota
	GateExplicitDeny      // a Deny statement matched
	GateSCP               // an SCP level has no applicable Allow
	GateResource          // resource-based policy allowed, or (cross-account, key/trust policy) did not
	GateIdentity          // identity-based policies allowed or had no Allow
	GateBoundary          // permissions boundary has no applicable Allow
	GateSession           // session policy has no applicable Allow
	GateRoot              // the account root user acts with full access
	GateNoPolicy          // anonymous or service caller and no resource policy allows
	GateAWSOwned          // the resource is owned by AWS: no policy can allow the change
	GateNoPermission      // the action needs no permission (sts:GetCallerIdentity)
	GateVPCEndpoint       // the VPC endpoint policy does not allow the request
)

var gateNames = [...]string{"", "explicit-deny", "scp", "resource-policy", "identity-policy", "permissions-boundary", "session-policy", "root-user", "no-applicable-allow", "aws-owned-resource", "no-permission-required", "vpc-endpoint-policy"}

func (g Gate) String() string { return gateNames[g] }

// Result is a decision with its reason. It holds no allocated data.
type Result struct {
	Decision Decision
	Gate     Gate
	// Source, PolicyIndex (position in Identity, or in the SCP/RCP level),
	// Level (SCP/RCP level, root = 0) and Statement locate the deciding
	// statement; Statement is -1 when no single statement decided (an
	// implicit deny).
	Source       Source
	PolicyIndex  int
	Level        int
	Statement    int
	Sid          string
	CrossAccount bool
	// Undetermined is set when the decision depends on a policy the
	// request did not carry: today a KMS key's key policy (every key has
	// one, and "unless the key policy explicitly allows it, you cannot use
	// IAM policies to allow access to a KMS key" — AWS KMS Developer Guide,
	// "Key policies in AWS KMS"). The Decision is then what AWS would decide
	// if the key policy granted nothing; callers that evaluate real
	// principals must show "undetermined", not "denied".
	Undetermined Missing
}

// Missing names the policy an undetermined result lacks.
type Missing uint8

const (
	MissingNone Missing = iota
	MissingKeyPolicy
)

func (m Missing) String() string {
	if m == MissingKeyPolicy {
		return "key-policy"
	}
	return ""
}

// Determined reports whether the decision holds whatever the policies the
// request did not carry say.
func (r Result) Determined() bool { return r.Undetermined == MissingNone }

// resourcePolicyRequired reports actions whose resource policy must allow
// the caller even within one account: "IAM role trust policies and KMS key
// policies are exceptions to this logic, because they must explicitly allow
// access for principals" (IAM User Guide, "How AWS enforcement code logic
// evaluates requests to allow or deny access").
//
// It applies when the resource is a KMS key or an IAM role: other KMS
// actions (kms:CreateKey, kms:ListKeys) and aliases have no key policy.
func resourcePolicyRequired(action, resource string) bool {
	svc, name, _ := strings.Cut(action, ":")
	parts, ok := splitARN(resource)
	if !ok {
		return false
	}
	if strings.EqualFold(svc, "kms") {
		return isKMSKey(parts)
	}
	if !strings.EqualFold(svc, "sts") || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return false
	}
	for _, a := range trustActions {
		if strings.EqualFold(name, a) {
			return true
		}
	}
	return false
}

// trustActions are the actions a role trust policy governs (IAM User Guide,
// "Role trust policies").
var trustActions = []string{"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "TagSession", "SetSourceIdentity", "SetContext"}

// isKMSKey reports a KMS key ARN (arn:aws:kms:REGION:ACCT:key/ID). An alias
// (alias/NAME) is not a key: key policies do not apply to it (AWS KMS
// Developer Guide, "Controlling access to aliases").
func isKMSKey(parts [6]string) bool {
	return parts[2] == "kms" && strings.HasPrefix(parts[5], "key/")
}

type evalReq struct {
	action   string
	service  string // action's service prefix
	resource string
	ctx      *Context
	sc       *scratch
	pi       *PrincipalInfo
	boundary bool // the caller has a permissions boundary
}

var scratchPool = sync.Pool{New: func() any { return &scratch{pat: make([]byte, 0, 256), wild: make([]bool, 0, 256)} }}

// matches reports whether the statement applies to the request's action,
// resource and conditions (not its principal).
func (st *Statement) matches(er *evalReq) bool {
	in := false
	for i := range st.actions {
		ap := &st.actions[i]
		if svc := ap.service(); svc != nil && !equalFoldASCIIBytes(svc, er.service) {
			continue
		}
		if ap.match(er.action) {
			in = true
			break
		}
	}
	if in == st.NotAction {
		return false
	}
	if st.HasResource {
		if st.badNotResource {
			// A malformed ARN never makes a statement apply: NotResource
			// cannot be read as "everything but it".
			return false
		}
		in = false
		for i := range st.resources {
			rt := &st.resources[i]
			if !rt.hasV {
				if rt.matchPlain(er.resource) {
					in = true
					break
				}
				continue
			}
			p, w, ok := rt.expand(er.ctx, er.sc)
			if !ok {
				// An unresolvable policy variable never makes a statement
				// apply: the value matches nothing, and a NotResource
				// holding it does not apply (IAM User Guide, "IAM policy
				// elements: Variables and tags").
				if st.NotResource {
					return false
				}
				continue
			}
			if glob(p, w, er.resource, false) {
				in = true
				break
			}
		}
		if in == st.NotResource {
			return false
		}
	}
	for i := range st.conds {
		if !st.conds[i].eval(er.ctx, er.sc) {
			return false
		}
	}
	return true
}

// principalMatch returns how a resource-based statement names the caller.
// Statements without a Principal element (SCPs, identity policies) apply to
// the caller as a whole.
func (st *Statement) principalMatch(er *evalReq) principalMatch {
	if st.Principal == nil {
		return pmDirect
	}
	if st.NotPrincipal {
		// "The NotPrincipal element with a Deny effect will always deny any
		// IAM principal that has a permissions boundary policy attached"
		// (IAM User Guide, "AWS JSON policy elements: NotPrincipal").
		if st.Effect == Deny && er.boundary && er.pi.iam() && er.pi.Kind != PrincipalRoot {
			return pmDirect
		}
		if st.Principal.excludes(er.pi) {
			return pmNone
		}
		return pmDirect
	}
	return st.Principal.match(er.pi)
}

// firstMatch returns the index of the first statement with the effect that
// applies, and how it names the caller (the strongest over all matching
// statements for Allow).
func (p *Policy) firstMatch(eff Effect, er *evalReq) (int, principalMatch) {
	best, bestIdx := pmNone, -1
	for _, st := range p.byEffect[eff] {
		pm := st.principalMatch(er)
		if pm <= best || !st.matches(er) {
			continue
		}
		best, bestIdx = pm, st.Index
		if pm == pmDirect {
			break
		}
	}
	return bestIdx, best
}

func (p *Policy) sid(i int) string {
	if i < 0 || i >= len(p.Statements) {
		return ""
	}
	return p.Statements[i].Sid
}

// Evaluate decides one request following AWS's policy evaluation logic
// (IAM User Guide, "Policy evaluation logic", "How AWS enforcement code
// logic evaluates requests to allow or deny access", "Cross-account policy
// evaluation logic"). It does not allocate.
func Evaluate(req *Request, pol *Policies, opt *Options) Result {
	sc := scratchPool.Get().(*scratch)
	r := evaluate(req, pol, opt, sc)
	scratchPool.Put(sc)
	return r
}

func evaluate(req *Request, pol *Policies, opt *Options, sc *scratch) Result {
	r := evaluatePolicies(req, pol, opt, sc)
	if r.Decision != ExplicitDeny && r.Gate != GateNoPermission && maybeOwned(req.Action) && awsOwned(req.Action, req.Resource) {
		// AWS-owned entities cannot be changed whatever the policies say
		// (see owned.go); an explicit deny still names its statement.
		return Result{Decision: ImplicitDeny, Gate: GateAWSOwned, Statement: -1, CrossAccount: r.CrossAccount}
	}
	return r
}

func evaluatePolicies(req *Request, pol *Policies, opt *Options, sc *scratch) Result {
	pi := ParsePrincipal(req.Principal)
	svc, _, _ := strings.Cut(req.Action, ":")
	er := evalReq{action: req.Action, service: svc, resource: req.Resource, ctx: &req.Context, sc: sc, pi: &pi}

	resAcct := req.ResourceAccount
	if resAcct == "" {
		// AWS managed policies (account "aws") are shared with every
		// account: using them is not cross-account.
		if parts, ok := splitARN(req.Resource); ok && parts[4] != "" && parts[4] != "aws" {
			resAcct = parts[4]
		} else {
			resAcct = pi.Account
		}
	}
	mgmt := ""
	var rcps RCPServices
	if opt != nil {
		mgmt, rcps = opt.ManagementAccount, opt.RCPServices
	}
	if len(req.Action) == len("sts:GetCallerIdentity") && pi.Kind != PrincipalAnonymous && strings.EqualFold(req.Action, "sts:GetCallerIdentity") {
		// "No permissions are required to perform this operation. If an
		// administrator attaches a policy to your identity that explicitly
		// denies access to the sts:GetCallerIdentity action, you can still
		// perform this operation" (AWS STS API Reference, GetCallerIdentity).
		return Result{Decision: AllowDecision, Gate: GateNoPermission, Statement: -1}
	}
	iamCaller := pi.iam()
	// Identity-side policies exist only for IAM users and roles (and their
	// sessions); the root user has none and acts with full access.
	identitySide := iamCaller && pi.Kind != PrincipalRoot
	cross := iamCaller && resAcct != "" && pi.Account != "" && resAcct != pi.Account
	res := Result{Statement: -1, CrossAccount: cross}

	var boundary, session *Policy
	var identity []*Policy
	if identitySide {
		boundary, session, identity = pol.Boundary, pol.Session, pol.Identity
	}
	er.boundary = boundary != nil

	scpApply := len(pol.SCPs) > 0 && iamCaller && !pi.ServiceLinked && (mgmt == "" || pi.Account != mgmt)
	rcpApply := len(pol.RCPs) > 0 && !pi.ServiceLinked && (mgmt == "" || resAcct != mgmt) && rcpService(rcps, svc)

	deny := func(src Source, idx, level int, p *Policy, st int) Result {
		res.Decision, res.Gate, res.Source = ExplicitDeny, GateExplicitDeny, src
		res.PolicyIndex, res.Level, res.Statement, res.Sid = idx, level, st, p.sid(st)
		return res
	}

	// 1. Explicit deny in any applicable policy wins.
	if rcpApply {
		for l, level := range pol.RCPs {
			for k, p := range level {
				if p == nil {
					continue
				}
				if i, _ := p.firstMatch(Deny, &er); i >= 0 {
					return deny(SourceRCP, k, l, p, i)
				}
			}
		}
	}
	if scpApply {
		for l, level := range pol.SCPs {
			for k, p := range level {
				if p == nil {
					continue
				}
				if i, _ := p.firstMatch(Deny, &er); i >= 0 {
					return deny(SourceSCP, k, l, p, i)
				}
			}
		}
	}
	if pol.Resource != nil {
		if i, _ := pol.Resource.firstMatch(Deny, &er); i >= 0 {
			return deny(SourceResource, 0, 0, pol.Resource, i)
		}
	}
	for k, p := range pol.VPCEndpoint {
		if p == nil {
			continue
		}
		if i, _ := p.firstMatch(Deny, &er); i >= 0 {
			return deny(SourceVPCEndpoint, k, 0, p, i)
		}
	}
	// The root user has no identity policies, but a case may still list
	// some: their Deny statements are honoured, their Allows are not needed.
	idPolicies := identity
	if pi.Kind == PrincipalRoot {
		idPolicies = pol.Identity
	}
	for k, p := range idPolicies {
		if p == nil {
			continue
		}
		if i, _ := p.firstMatch(Deny, &er); i >= 0 {
			return deny(SourceIdentity, k, 0, p, i)
		}
	}
	if boundary != nil {
		if i, _ := boundary.firstMatch(Deny, &er); i >= 0 {
			return deny(SourceBoundary, 0, 0, boundary, i)
		}
	}
	if session != nil {
		if i, _ := session.firstMatch(Deny, &er); i >= 0 {
			return deny(SourceSession, 0, 0, session, i)
		}
	}

	// 2. RCPs: the AWS-managed RCPFullAWSAccess is attached at every level
	// and cannot be detached, so RCPs only ever deny explicitly (handled
	// above).

	// 3. SCPs: every level from the root down to the account must allow.
	if scpApply {
		for l, level := range pol.SCPs {
			allowed := false
			for _, p := range level {
				if p == nil {
					continue
				}
				if i, _ := p.firstMatch(Allow, &er); i >= 0 {
					allowed = true
					break
				}
			}
			if !allowed {
				res.Decision, res.Gate, res.Source, res.Level = ImplicitDeny, GateSCP, SourceSCP, l
				return res
			}
		}
	}

	// The VPC endpoint the request passes through must allow it too.
	for k, p := range pol.VPCEndpoint {
		if p == nil {
			continue
		}
		if i, _ := p.firstMatch(Allow, &er); i < 0 {
			res.Decision, res.Gate, res.Source, res.PolicyIndex = ImplicitDeny, GateVPCEndpoint, SourceVPCEndpoint, k
			return res
		}
	}

	// A KMS key always has a key policy; without it in the request, what
	// follows depends on it.
	keyPolicy := strings.EqualFold(svc, "kms") && isKMSKeyARN(req.Resource)
	if keyPolicy && pol.Resource == nil {
		res.Undetermined = MissingKeyPolicy
	}

	// 4. Resource-based policy.
	resIdx, resPM := -1, pmNone
	if pol.Resource != nil {
		resIdx, resPM = pol.Resource.firstMatch(Allow, &er)
	}
	allowBy := func(g Gate, src Source, idx int, p *Policy, st int) Result {
		res.Decision, res.Gate, res.Source, res.PolicyIndex, res.Statement = AllowDecision, g, src, idx, st
		if p != nil {
			res.Sid = p.sid(st)
		}
		return res
	}
	implicit := func(g Gate, src Source) Result {
		res.Decision, res.Gate, res.Source = ImplicitDeny, g, src
		return res
	}

	if !iamCaller {
		// Anonymous callers and service principals have no identity
		// policies: only a resource-based policy can allow them.
		if resPM != pmNone {
			return allowBy(GateResource, SourceResource, 0, pol.Resource, resIdx)
		}
		return implicit(GateNoPolicy, SourceNone)
	}

	// Identity side: identity policies, then boundary, then session policy.
	idIdx, idStmt := -1, -1
	for k, p := range identity {
		if p == nil {
			continue
		}
		if i, _ := p.firstMatch(Allow, &er); i >= 0 {
			idIdx, idStmt = k, i
			break
		}
	}
	boundaryOK := boundary == nil
	if boundary != nil {
		i, _ := boundary.firstMatch(Allow, &er)
		boundaryOK = i >= 0
	}
	sessionOK := session == nil
	if session != nil {
		i, _ := session.firstMatch(Allow, &er)
		sessionOK = i >= 0
	}
	rootCaller := pi.Kind == PrincipalRoot
	// Key policies must allow even within the account; a missing key policy
	// grants nothing. Role trust policies are applied when the case carries
	// them.
	mustResource := keyPolicy || (pol.Resource != nil && resourcePolicyRequired(req.Action, req.Resource))

	if cross {
		// Cross-account: the resource policy must allow the caller and the
		// caller's own account must allow the request (IAM User Guide,
		// "Cross-account policy evaluation logic").
		if resPM == pmNone {
			return implicit(GateResource, SourceResource)
		}
		if rootCaller {
			return allowBy(GateResource, SourceResource, 0, pol.Resource, resIdx)
		}
		if idIdx < 0 {
			return implicit(GateIdentity, SourceIdentity)
		}
		if !boundaryOK {
			return implicit(GateBoundary, SourceBoundary)
		}
		if !sessionOK {
			return implicit(GateSession, SourceSession)
		}
		return allowBy(GateIdentity, SourceIdentity, idIdx, identity[idIdx], idStmt)
	}

	// Same account.
	switch resPM {
	case pmDirect:
		// A grant naming the user, the role session, the federated user or
		// everyone is not limited by an implicit deny in identity policies,
		// the boundary or the session policy.
		return allowBy(GateResource, SourceResource, 0, pol.Resource, resIdx)
	case pmWildcard:
		// "*" is not the session's own ARN: "If a resource-based policy
		// specifies the ARN of the session … the resource-based policy
		// permissions are not limited by the session policy" holds only
		// for a grant naming the session (IAM User Guide, "Session
		// policies"); a grant to everyone still meets the session policy.
		if !sessionOK {
			return implicit(GateSession, SourceSession)
		}
		return allowBy(GateResource, SourceResource, 0, pol.Resource, resIdx)
	case pmRole:
		// A grant naming the role ARN is limited by the boundary and the
		// session policy, but needs no identity-based allow.
		if !boundaryOK {
			return implicit(GateBoundary, SourceBoundary)
		}
		if !sessionOK {
			return implicit(GateSession, SourceSession)
		}
		return allowBy(GateResource, SourceResource, 0, pol.Resource, resIdx)
	}
	if mustResource && resPM == pmNone {
		return implicit(GateResource, SourceResource)
	}
	if rootCaller {
		res.Decision, res.Gate = AllowDecision, GateRoot
		return res
	}
	if idIdx < 0 {
		return implicit(GateIdentity, SourceIdentity)
	}
	if !boundaryOK {
		return implicit(GateBoundary, SourceBoundary)
	}
	if !sessionOK {
		return implicit(GateSession, SourceSession)
	}
	return allowBy(GateIdentity, SourceIdentity, idIdx, identity[idIdx], idStmt)
}

// rcpService reports whether RCPs govern the service, from the catalog's
// list of services that support RCPs (AWS Organizations User Guide,
// "Resource control policies (RCPs)"). Prefixes are case-insensitive.
func rcpService(rcps RCPServices, svc string) bool {
	if rcps == nil {
		rcps = catalog.Default()
	}
	return rcps.SupportsRCP(svc)
}

// maybeOwned is a cheap pre-check for awsOwned: only IAM and KMS actions
// can touch AWS-owned entities.
func maybeOwned(action string) bool {
	return len(action) > 4 && action[3] == ':' && (strings.EqualFold(action[:3], "iam") || strings.EqualFold(action[:3], "kms"))
}

func isKMSKeyARN(resource string) bool {
	parts, ok := splitARN(resource)
	return ok && isKMSKey(parts)
}
