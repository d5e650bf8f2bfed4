// Package leastpriv compares what each IAM principal is granted with what it
// really used (CloudTrail usage, Access Advisor), and generates
// least-privilege policies from observed usage that are proven, call by call,
// through the policy engine.
//
// Everything here is a pure function of a snapshot, the usage rows, the IAM
// catalog and a clock: the same code serves a live organization, the demo and
// the tests.
package leastpriv

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// Principal is an IAM user or role with the policies that decide what it may
// do.
type Principal struct {
	ARN     string
	Account string
	Name    string
	Kind    string // "user" | "role"
	// PermissionSet is the IAM Identity Center permission set of an
	// AWSReservedSSO_* role, else "".
	PermissionSet string
	ServiceLinked bool
	Created       time.Time

	// Identity are the identity policies (inline, attached managed, and
	// those of the user's groups); Sources names each, in the same order.
	Identity []*policy.Policy
	Sources  []string
	Boundary *policy.Policy
	// SCPs are the SCP levels above the account, root first (empty for the
	// management account, which SCPs never affect).
	SCPs [][]*policy.Policy

	AccessAdvisor          []snapshot.ServiceAccess
	AccessAdvisorCollected bool

	// Problems are policies that could not be parsed (named, with the
	// error): they are left out, so grants may be understated.
	Problems []string

	delegate *policy.Policy
	key      string // policy-set fingerprint: principals sharing it share grants
}

// Model is a snapshot prepared for analysis: principals with compiled
// policies. Policies are parsed once per distinct document.
type Model struct {
	Catalog           *catalog.Catalog
	Snapshot          *snapshot.Snapshot
	ManagementAccount string
	Principals        []*Principal
	// Now is the analysis time (aws:CurrentTime when evaluating).
	Now time.Time
	// Regions are the aws:RequestedRegion values tried when a probe is
	// denied by a policy (typically an SCP's approved-regions deny): the
	// regions the snapshot shows in use, most used first, and us-east-1.
	Regions []string

	byARN  map[string]*Principal
	byName map[string]*Principal // account + "/" + kind + "/" + name (path-free match)
	docs   map[string]*policy.Policy
	docErr map[string]error
	// granted caches effective grants by policy-set fingerprint.
	granted map[string]*Grants
	// decideCtx caches Decide's request contexts (decide.go).
	decideCtx ctxCache
	// keys are the snapshot's collected KMS key policies (kms.go).
	keys *keyPolicies
	// scps are the SCP levels above each account (scpLevels).
	scps map[string][][]*policy.Policy
	// ranks order the catalog's actions by full name (actionRanks).
	ranksOnce sync.Once
	ranks     *actionRanks
	// stmtRanks are the actions each Allow statement names (statementRanks).
	stmtMu    sync.Mutex
	stmtRanks map[*policy.Statement][]int32
	// shared are the first user's answers of each user-keyed policy set
	// (share.go); noShare turns sharing off (tests compare).
	sharedMu sync.Mutex
	shared   map[string]*sharedRun
	noShare  bool
	// reused, when set (tests), hears of every answer a user took from
	// another user's run.
	reused func(arn, action string)
}

// NewModel indexes the principals of s (users and roles of every collected
// account) and compiles their policies.
func NewModel(s *snapshot.Snapshot, cat *catalog.Catalog) *Model {
	m := &Model{Catalog: cat, Snapshot: s, byARN: map[string]*Principal{}, byName: map[string]*Principal{},
		docs: map[string]*policy.Policy{}, docErr: map[string]error{}, granted: map[string]*Grants{}}
	if s.Organization != nil {
		m.ManagementAccount = s.Organization.ManagementAccount
	}
	m.Regions = regionsInUse(s)
	m.keys = newKeyPolicies(s)
	m.scps = m.scpLevels()
	scps := m.scps
	defer func() {
		// Precompute the delegating policies: Granted runs in parallel.
		for _, p := range m.Principals {
			p.delegate = m.delegating(p.Account)
		}
	}()
	for _, a := range s.Accounts {
		managed := make(map[string]*snapshot.ManagedPolicy, len(a.Policies))
		for i := range a.Policies {
			managed[a.Policies[i].ARN] = &a.Policies[i]
		}
		groups := make(map[string]*snapshot.Group, len(a.Groups))
		for i := range a.Groups {
			groups[a.Groups[i].GroupName] = &a.Groups[i]
		}
		var levels [][]*policy.Policy
		if a.AccountID != m.ManagementAccount {
			levels = scps[a.AccountID]
		}
		for i := range a.Users {
			u := &a.Users[i]
			p := &Principal{ARN: u.ARN, Account: a.AccountID, Name: u.UserName, Kind: "user", Created: u.CreateDate,
				AccessAdvisor: u.AccessAdvisor, AccessAdvisorCollected: a.AccessAdvisorCollected, SCPs: levels}
			m.addInline(p, "user "+u.UserName, u.InlinePolicies)
			m.addAttached(p, managed, u.AttachedPolicies)
			for _, gn := range u.Groups {
				g := groups[gn]
				if g == nil {
					p.Problems = append(p.Problems, fmt.Sprintf("group %q is not in the snapshot", gn))
					continue
				}
				m.addInline(p, "group "+g.GroupName, g.InlinePolicies)
				m.addAttached(p, managed, g.AttachedPolicies)
			}
			m.setBoundary(p, managed, u.PermissionsBoundary)
			m.add(p)
		}
		for i := range a.Roles {
			r := &a.Roles[i]
			p := &Principal{ARN: r.ARN, Account: a.AccountID, Name: r.RoleName, Kind: "role", Created: r.CreateDate,
				PermissionSet: usage.PermissionSetOf(r.ARN), ServiceLinked: r.ServiceLinked(),
				AccessAdvisor: r.AccessAdvisor, AccessAdvisorCollected: a.AccessAdvisorCollected, SCPs: levels}
			if p.ServiceLinked {
				// SCPs never affect service-linked roles (Organizations
				// User Guide, "Tasks and entities not restricted by SCPs").
				p.SCPs = nil
			}
			m.addInline(p, "role "+r.RoleName, r.InlinePolicies)
			m.addAttached(p, managed, r.AttachedPolicies)
			m.setBoundary(p, managed, r.PermissionsBoundary)
			m.add(p)
		}
	}
	return m
}

func (m *Model) now() time.Time { return m.Now }

// delegating returns, per account, a resource policy that hands the decision
// to the account's IAM policies (what the default KMS key policy does, KMS
// Developer Guide, "Default key policy"). Grants and proofs evaluate the
// identity side of a request: the key policies, trust policies and bucket
// policies of the resources are not in the snapshot and do not change when
// identity policies do.
func (m *Model) delegating(account string) *policy.Policy {
	k := "delegate\x00" + account
	if pol, ok := m.docs[k]; ok {
		return pol
	}
	pol := policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+account+`:root"},"Action":"*","Resource":"*"}]}`, policy.TypeResource)
	m.docs[k] = pol
	return pol
}

func (m *Model) add(p *Principal) {
	p.key = m.policySetKey(p)
	m.Principals = append(m.Principals, p)
	m.byARN[p.ARN] = p
	m.byName[p.Account+"/"+p.Kind+"/"+p.Name] = p
	if p.PermissionSet != "" {
		m.byName[p.Account+"/ps/"+p.PermissionSet] = p
	}
}

// policySetKey fingerprints what decides p's grants: principals with the
// same key share them.
func (m *Model) policySetKey(p *Principal) string {
	var b strings.Builder
	ids := make([]string, 0, len(p.Identity))
	for _, pol := range p.Identity {
		ids = append(ids, fmt.Sprintf("%p", pol))
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	b.WriteString(strings.Join(ids, ","))
	fmt.Fprintf(&b, "|b%p|", p.Boundary)
	for _, lvl := range p.SCPs {
		for _, s := range lvl {
			fmt.Fprintf(&b, "%p,", s)
		}
		b.WriteByte(';')
	}
	// What about the principal the statements read (conditions, policy
	// variables) decides how far its grants can be shared: the account
	// (aws:PrincipalAccount, …) within one account, the kind
	// (aws:PrincipalType) within one kind, who it is (its ARN, name, id,
	// tags) not at all.
	var reads principalReads
	for _, pol := range p.Identity {
		if hasVariables(pol) || m.keys.decides(pol) {
			// ${aws:username} and friends make the grants the principal's
			// own; so do key policies, which name principals and accounts.
			reads |= readsWho
		}
		reads |= readsOfPrincipal(pol)
	}
	reads |= readsOfPrincipal(p.Boundary)
	for _, lvl := range p.SCPs {
		for _, s := range lvl {
			reads |= readsOfPrincipal(s)
		}
	}
	switch {
	case reads&readsWho != 0:
		b.WriteString("|" + p.ARN)
	default:
		if reads&readsAccount != 0 {
			b.WriteString("|a" + p.Account)
		}
		if reads&readsKind != 0 {
			b.WriteString("|k" + p.Kind)
		}
	}
	return b.String()
}

// principalReads says which facts about the principal a policy's
// statements read.
type principalReads uint8

const (
	readsWho     principalReads = 1 << iota // ARN, name, unique id, tags
	readsAccount                            // its account, organization path
	readsKind                               // user or role
)

// readsOfPrincipal lists what a statement of pol reads about the principal
// in a condition or a policy variable (the context keys DeriveContext sets
// from the principal; a key seiri does not set reads nothing of it).
func readsOfPrincipal(pol *policy.Policy) principalReads {
	var r principalReads
	if pol == nil {
		return r
	}
	for _, st := range pol.Statements {
		for _, k := range st.ContextKeys() {
			switch {
			case k == "aws:principalarn", k == "aws:username", k == "aws:userid",
				strings.HasPrefix(k, "aws:principaltag/"):
				r |= readsWho
			case k == "aws:principalaccount", k == "aws:resourceaccount", k == "aws:principalorgpaths":
				r |= readsAccount
			case k == "aws:principaltype", k == "aws:principalisawsservice":
				r |= readsKind
			}
		}
	}
	return r
}

func (m *Model) parse(doc []byte, t policy.Type, name string, p *Principal) *policy.Policy {
	k := t.String() + "\x00" + string(doc)
	if pol, ok := m.docs[k]; ok {
		return pol
	}
	if err, ok := m.docErr[k]; ok {
		p.Problems = append(p.Problems, fmt.Sprintf("%s: %v", name, err))
		return nil
	}
	pol, err := policy.Parse(doc, t)
	if err != nil {
		m.docErr[k] = err
		p.Problems = append(p.Problems, fmt.Sprintf("%s: %v", name, err))
		return nil
	}
	m.docs[k] = pol
	return pol
}

func (m *Model) addInline(p *Principal, owner string, ips []snapshot.InlinePolicy) {
	for _, ip := range ips {
		name := owner + " inline " + ip.PolicyName
		if pol := m.parse(ip.Document, policy.TypeIdentity, name, p); pol != nil {
			p.Identity = append(p.Identity, pol)
			p.Sources = append(p.Sources, name)
		}
	}
}

// DocumentMissing starts the problem of a policy whose document the
// snapshot lacks (an import that left it out, an AWS managed policy not
// collected).
const DocumentMissing = "document missing: "

func (m *Model) addAttached(p *Principal, managed map[string]*snapshot.ManagedPolicy, aps []snapshot.AttachedPolicy) {
	for _, ap := range aps {
		mp := managed[ap.PolicyARN]
		if mp == nil || len(mp.Document) == 0 {
			p.Problems = append(p.Problems, fmt.Sprintf("%smanaged policy %s is attached but its document is not in the snapshot: what it grants is unknown", DocumentMissing, ap.PolicyARN))
			continue
		}
		if pol := m.parse(mp.Document, policy.TypeIdentity, ap.PolicyARN, p); pol != nil {
			p.Identity = append(p.Identity, pol)
			p.Sources = append(p.Sources, ap.PolicyARN)
		}
	}
}

func (m *Model) setBoundary(p *Principal, managed map[string]*snapshot.ManagedPolicy, arn string) {
	if arn == "" {
		return
	}
	mp := managed[arn]
	if mp == nil || len(mp.Document) == 0 {
		p.Problems = append(p.Problems, fmt.Sprintf("%spermissions boundary %s is set but its document is not in the snapshot", DocumentMissing, arn))
		return
	}
	p.Boundary = m.parse(mp.Document, policy.TypeBoundary, "boundary "+arn, p)
}

// scpLevels returns, per account id, the SCPs attached at each level of its
// path from the root (root first, account last).
func (m *Model) scpLevels() map[string][][]*policy.Policy {
	out := map[string][][]*policy.Policy{}
	o := m.Snapshot.Organization
	if o == nil {
		return out
	}
	attached := map[string][]*policy.Policy{}
	for _, op := range o.Policies {
		if op.Type != "SERVICE_CONTROL_POLICY" {
			continue
		}
		// A broken SCP is reported on every principal below it through
		// Problems of a placeholder; the parse error is kept once.
		k := policy.TypeSCP.String() + "\x00" + op.Content
		pol, ok := m.docs[k]
		if !ok {
			var err error
			pol, err = policy.Parse([]byte(op.Content), policy.TypeSCP)
			if err != nil {
				m.docErr[k] = err
				continue
			}
			m.docs[k] = pol
		}
		for _, t := range op.Targets {
			attached[t] = append(attached[t], pol)
		}
	}
	parent := map[string]string{}
	for _, ou := range o.OUs {
		parent[ou.ID] = ou.ParentID
	}
	for _, a := range o.Accounts {
		var path []string
		for id := a.ParentID; id != ""; id = parent[id] {
			path = append(path, id)
			if strings.HasPrefix(id, "r-") || len(path) > 10 { // the root, or a cycle in bad data
				break
			}
		}
		slices.Reverse(path)
		path = append(path, a.ID)
		levels := make([][]*policy.Policy, 0, len(path))
		for _, id := range path {
			// Every root, OU and account has at least one SCP attached
			// (Organizations User Guide, "Service control policies"): an
			// empty level means the snapshot lacks them, and is skipped
			// rather than read as "deny everything".
			if len(attached[id]) > 0 {
				levels = append(levels, attached[id])
			}
		}
		out[a.ID] = levels
	}
	return out
}

// Lookup finds a principal by ARN; an assumed-role session ARN or a role ARN
// without its path finds the role by name.
func (m *Model) Lookup(arn string) *Principal {
	if p := m.byARN[arn]; p != nil {
		return p
	}
	acct := usage.AccountOfARN(arn)
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return nil
	}
	res := parts[5]
	switch {
	case strings.HasPrefix(res, "assumed-role/"):
		name, _, _ := strings.Cut(strings.TrimPrefix(res, "assumed-role/"), "/")
		return m.role(acct, name)
	case strings.HasPrefix(res, "role/"):
		return m.role(acct, res[strings.LastIndexByte(res, '/')+1:])
	case strings.HasPrefix(res, "user/"):
		return m.byName[acct+"/user/"+res[strings.LastIndexByte(res, '/')+1:]]
	}
	return nil
}

// role finds a role by name; an Identity Center role whose suffix differs
// (the role was re-provisioned) is found by its permission set.
func (m *Model) role(account, name string) *Principal {
	if p := m.byName[account+"/role/"+name]; p != nil {
		return p
	}
	if ps := usage.PermissionSetOf("/" + name); ps != "" {
		return m.byName[account+"/ps/"+ps]
	}
	return nil
}

// hasVariables reports whether a policy's resources use ${...} variables
// (the grants then depend on who the principal is).
func hasVariables(pol *policy.Policy) bool {
	for _, st := range pol.Statements {
		for _, r := range st.Resources {
			if strings.Contains(r, "${") {
				return true
			}
		}
	}
	return false
}

// maxRegions bounds the regions tried per denied probe.
const maxRegions = 4

// regionsInUse lists the regions a snapshot shows activity in (Access
// Advisor's last regions, roles' last-used regions, trail home regions),
// most frequent first, with us-east-1 (global services) always included.
func regionsInUse(s *snapshot.Snapshot) []string {
	n := map[string]int{"us-east-1": 0}
	add := func(r string) {
		if r != "" {
			n[r]++
		}
	}
	for _, a := range s.Accounts {
		for _, t := range a.Trails {
			add(t.HomeRegion)
		}
		for _, r := range a.Roles {
			if r.LastUsed != nil {
				add(r.LastUsed.Region)
			}
			for _, sa := range r.AccessAdvisor {
				add(sa.LastRegion)
			}
		}
		for _, u := range a.Users {
			for _, sa := range u.AccessAdvisor {
				add(sa.LastRegion)
			}
		}
	}
	out := make([]string, 0, len(n))
	for r := range n {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b string) int {
		if n[a] != n[b] {
			return n[b] - n[a]
		}
		return strings.Compare(a, b)
	})
	if len(out) > maxRegions {
		out = out[:maxRegions]
		if !slices.Contains(out, "us-east-1") {
			out[maxRegions-1] = "us-east-1"
		}
	}
	return out
}
