package org

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// State is an organization reduced to what the spec governs: the OU tree by
// path, where each account sits, the policies and their attachments. Both
// the spec (desired) and a snapshot (current) become a State; a plan is the
// difference, and simulating a plan is applying its changes to a State.
type State struct {
	RootID      string
	OUs         map[string]*OUState      // by path; "" is the root and not listed
	Accounts    map[string]*AccountState // by Key()
	Policies    map[string]*PolicyState  // by PolicyKey
	Attachments map[string]map[string]bool
	// Management is the management account id (SCPs never apply to it).
	Management string
	// SuspendedOU is the path accounts removed from the spec go to.
	SuspendedOU string
	// EnabledTypes are the policy types enabled on the root; nil: unknown.
	EnabledTypes map[PolicyType]bool
	// Leftovers are policy attachments to targets no longer in the
	// organization (an OU deleted while attached); they are attached to
	// LeftoverTarget(id) and the plan detaches them.
	Leftovers []string
	// order keeps the spec's order for stable plans.
	ouOrder, accountOrder, policyOrder []string
	rank                               map[string]int // policyOrder index, built on demand
}

// OUState is one OU.
type OUState struct {
	Path     string `json:"path"`
	Name     string `json:"name"`
	ID       string `json:"id,omitempty"` // empty for an OU not yet created
	SpecPath string `json:"-"`            // YAML path in the spec
}

// AccountState is one account.
type AccountState struct {
	ID       string            `json:"id,omitempty"` // empty: to be created
	Name     string            `json:"name,omitempty"`
	Email    string            `json:"email,omitempty"`
	Status   string            `json:"status,omitempty"`
	Parent   string            `json:"parent"` // OU path, "" for the root
	Tags     map[string]string `json:"tags,omitempty"`
	SpecPath string            `json:"-"`
}

// Key identifies the account: its id, or "new:EMAIL" before it exists.
func (a *AccountState) Key() string {
	if a.ID != "" {
		return a.ID
	}
	return "new:" + strings.ToLower(a.Email)
}

// PolicyState is one policy.
type PolicyState struct {
	Name        string     `json:"name"`
	Type        PolicyType `json:"type"`
	ID          string     `json:"id,omitempty"`
	Description string     `json:"description,omitempty"`
	Content     string     `json:"content"`
	AWSManaged  bool       `json:"awsManaged,omitempty"`
	Source      string     `json:"source,omitempty"` // file, library or inline, for display
	SpecPath    string     `json:"-"`

	facts      PolicyFacts // cached Facts(factsFor)
	factsFor   string
	factsValid bool
}

// Facts returns the policy's facts, computed once per content.
func (p *PolicyState) Facts() PolicyFacts {
	if !p.factsValid || p.factsFor != p.Content {
		p.facts, p.factsFor, p.factsValid = Facts(p.Content), p.Content, true
	}
	return p.facts
}

// PolicyKey identifies a policy by type and name (names are unique per type).
func PolicyKey(t PolicyType, name string) string { return string(t) + "/" + name }

// Key returns the policy's PolicyKey.
func (p *PolicyState) Key() string { return PolicyKey(p.Type, p.Name) }

// Target keys name where a policy is attached.
const RootTarget = "root"

// OUTarget returns the target key of the OU at path ("" is the root).
func OUTarget(path string) string {
	if path == "" {
		return RootTarget
	}
	return "ou:" + path
}

// AccountTarget returns the target key of an account by its Key().
func AccountTarget(key string) string { return "account:" + key }

func newState() *State {
	return &State{OUs: map[string]*OUState{}, Accounts: map[string]*AccountState{},
		Policies: map[string]*PolicyState{}, Attachments: map[string]map[string]bool{}}
}

func (s *State) attach(target, policy string) {
	if s.Attachments[target] == nil {
		s.Attachments[target] = map[string]bool{}
	}
	s.Attachments[target][policy] = true
}

// Clone returns a deep copy.
func (s *State) Clone() *State {
	c := newState()
	c.RootID, c.Management, c.SuspendedOU, c.EnabledTypes = s.RootID, s.Management, s.SuspendedOU, s.EnabledTypes
	c.Leftovers = append([]string(nil), s.Leftovers...)
	for k, v := range s.OUs {
		x := *v
		c.OUs[k] = &x
	}
	for k, v := range s.Accounts {
		x := *v
		c.Accounts[k] = &x
	}
	for k, v := range s.Policies {
		x := *v
		c.Policies[k] = &x
	}
	for t, set := range s.Attachments {
		for p := range set {
			c.attach(t, p)
		}
	}
	c.ouOrder = append([]string(nil), s.ouOrder...)
	c.accountOrder = append([]string(nil), s.accountOrder...)
	c.policyOrder = append([]string(nil), s.policyOrder...)
	return c
}

// ParentOf returns the parent path of an OU path.
func ParentOf(path string) string {
	if i := strings.LastIndex(path, "/"); i >= 0 {
		return path[:i]
	}
	return ""
}

func depth(path string) int {
	if path == "" {
		return 0
	}
	return strings.Count(path, "/") + 1
}

// chain returns the targets whose SCPs apply to an account: root, each OU
// down to its parent, and the account itself.
func (s *State) chain(a *AccountState) []string {
	var out []string
	for p := a.Parent; p != ""; p = ParentOf(p) {
		out = append(out, OUTarget(p))
	}
	out = append(out, RootTarget)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return append(out, AccountTarget(a.Key()))
}

// scpsEnabled reports whether the state uses SCPs at all.
func (s *State) scpsEnabled() bool {
	for _, p := range s.Policies {
		if p.Type == SCP {
			return true
		}
	}
	return false
}

// targetAllows reports whether a target has at least one attached SCP with
// an Allow statement. A level with only deny SCPs (for example after
// detaching FullAWSAccess without a replacement) denies everything below it.
func (s *State) targetAllows(target string) bool {
	for k := range s.Attachments[target] {
		if p := s.Policies[k]; p != nil && p.Type == SCP && p.Facts().HasAllow {
			return true
		}
	}
	return false
}

// AllowGaps lists the accounts (other than the management account, which
// SCPs never affect) left without an allowing SCP at some level of their
// chain, as "ACCOUNT: TARGET".
func (s *State) AllowGaps() []string {
	if !s.scpsEnabled() {
		return nil
	}
	var out []string
	for _, k := range SortedKeys(s.Accounts) {
		if g := s.accountGap(s.Accounts[k]); g != "" {
			out = append(out, k+": "+g)
		}
	}
	return out
}

// accountGap returns the first target of the account's chain without an
// allowing SCP, or "".
func (s *State) accountGap(a *AccountState) string {
	if a.ID != "" && a.ID == s.Management {
		return ""
	}
	for _, t := range s.chain(a) {
		if !s.targetAllows(t) {
			return t
		}
	}
	return ""
}

// PolicyFacts are what can be told about a policy document statically.
type PolicyFacts struct {
	Valid    bool // parsed as a JSON policy document
	HasAllow bool // some statement allows
	// DenyAll: a statement denies every action on every resource, with no
	// condition or only a condition exempting principals (a break-glass role).
	DenyAll bool
	// DenyAllExempt: DenyAll, but some principals are exempted.
	DenyAllExempt bool
}

// Facts inspects a policy document.
func Facts(content string) PolicyFacts {
	var doc struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(content), &doc); err != nil {
		return PolicyFacts{}
	}
	var stmts []map[string]json.RawMessage
	if err := json.Unmarshal(doc.Statement, &stmts); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(doc.Statement, &one); err != nil {
			return PolicyFacts{}
		}
		stmts = []map[string]json.RawMessage{one}
	}
	f := PolicyFacts{Valid: true}
	for _, st := range stmts {
		var effect string
		_ = json.Unmarshal(st["Effect"], &effect)
		switch effect {
		case "Allow":
			f.HasAllow = true
		case "Deny":
			if _, na := st["NotAction"]; na || !hasStar(st["Action"]) || !hasStar(st["Resource"]) {
				continue
			}
			cond, ok := st["Condition"]
			if !ok || string(cond) == "{}" || string(cond) == "null" {
				f.DenyAll = true
				continue
			}
			if principalExemptionOnly(cond) {
				f.DenyAll, f.DenyAllExempt = true, true
			}
		}
	}
	return f
}

func hasStar(raw json.RawMessage) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == "*"
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		for _, v := range list {
			if v == "*" {
				return true
			}
		}
	}
	return false
}

// principalExemptionOnly reports whether a condition only exempts
// principals (negated operators on principal keys), which leaves a deny-all
// in force for everyone else.
func principalExemptionOnly(raw json.RawMessage) bool {
	var cond map[string]map[string]json.RawMessage
	if json.Unmarshal(raw, &cond) != nil || len(cond) == 0 {
		return false
	}
	for op, keys := range cond {
		if !strings.Contains(op, "Not") {
			return false
		}
		for k := range keys {
			if !strings.HasPrefix(strings.ToLower(k), "aws:principal") && !strings.HasPrefix(strings.ToLower(k), "aws:userid") {
				return false
			}
		}
	}
	return true
}

// FromSnapshot builds the current State of a snapshot's organization.
func FromSnapshot(o *snapshot.Organization) (*State, error) {
	if o == nil {
		return nil, fmt.Errorf("the snapshot has no organization (collected without Organizations access?)")
	}
	if len(o.Roots) != 1 {
		return nil, fmt.Errorf("organization %s: has %d roots, want 1", o.ID, len(o.Roots))
	}
	s := newState()
	s.RootID, s.Management = o.Roots[0].ID, o.ManagementAccount
	if types := o.Roots[0].PolicyTypes; len(types) > 0 {
		s.EnabledTypes = map[PolicyType]bool{}
		for _, t := range types {
			s.EnabledTypes[PolicyType(t)] = true
		}
	}
	byID := map[string]snapshot.OU{}
	for _, ou := range o.OUs {
		byID[ou.ID] = ou
	}
	paths := map[string]string{s.RootID: ""}
	var pathOf func(id string, seen int) (string, error)
	pathOf = func(id string, seen int) (string, error) {
		if p, ok := paths[id]; ok {
			return p, nil
		}
		ou, ok := byID[id]
		if !ok {
			return "", fmt.Errorf("organization %s: parent %q is neither the root nor a known OU", o.ID, trim(id))
		}
		if seen > len(o.OUs) {
			return "", fmt.Errorf("organization %s: OU %s: parent chain loops", o.ID, ou.ID)
		}
		if strings.Contains(ou.Name, "/") {
			return "", fmt.Errorf("organization %s: OU %s: name %q contains \"/\", which seiri uses to separate OU paths", o.ID, ou.ID, trim(ou.Name))
		}
		pp, err := pathOf(ou.ParentID, seen+1)
		if err != nil {
			return "", err
		}
		p := ou.Name
		if pp != "" {
			p = pp + "/" + ou.Name
		}
		paths[id] = p
		return p, nil
	}
	for _, ou := range o.OUs {
		p, err := pathOf(ou.ID, 0)
		if err != nil {
			return nil, err
		}
		if prev, dup := s.OUs[p]; dup {
			return nil, fmt.Errorf("organization %s: OUs %s and %s have the same path %q", o.ID, prev.ID, ou.ID, p)
		}
		s.OUs[p] = &OUState{Path: p, Name: ou.Name, ID: ou.ID}
	}
	targets := map[string]string{s.RootID: RootTarget}
	for p, ou := range s.OUs {
		targets[ou.ID] = OUTarget(p)
	}
	for _, a := range o.Accounts {
		p, ok := paths[a.ParentID]
		if !ok {
			return nil, fmt.Errorf("organization %s: account %s: parent %q is neither the root nor a known OU", o.ID, a.ID, trim(a.ParentID))
		}
		s.Accounts[a.ID] = &AccountState{ID: a.ID, Name: a.Name, Email: a.Email, Status: a.Status, Parent: p}
		targets[a.ID] = AccountTarget(a.ID)
	}
	for _, p := range o.Policies {
		ps := &PolicyState{Name: p.Name, Type: PolicyType(p.Type), ID: p.ID, Description: p.Description, Content: p.Content, AWSManaged: p.AWSManaged}
		// RCPFullAWSAccess is attached everywhere by AWS and cannot be
		// detached (Organizations User Guide, "Resource control policies").
		if ps.AWSManaged && ps.Name == RCPFullAWSAccess {
			continue
		}
		if _, dup := s.Policies[ps.Key()]; dup {
			return nil, fmt.Errorf("organization %s: two %s policies named %q", o.ID, ShortType(ps.Type), trim(p.Name))
		}
		s.Policies[ps.Key()] = ps
		for _, t := range p.Targets {
			tk, ok := targets[t]
			if !ok {
				// One stale attachment must not stop every org command: it
				// is reported and its clean-up planned.
				s.Leftovers = append(s.Leftovers, fmt.Sprintf("%s policy %q (%s) is attached to %q, which is not in organization %s",
					strings.ToUpper(ShortType(ps.Type)), trim(p.Name), p.ID, trim(t), o.ID))
				tk = LeftoverTarget(t)
			}
			s.attach(tk, ps.Key())
		}
	}
	return s, nil
}

// LeftoverTarget is the target key of an attachment to a target that is
// not in the organization.
func LeftoverTarget(id string) string { return "leftover:" + id }

// compactJSON returns the minified form of a JSON document, or the input
// unchanged when it is not JSON.
func compactJSON(s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return s
	}
	return b.String()
}

// SameContent compares policy documents ignoring insignificant whitespace
// (seiri uploads minified documents; AWS stores what it was given).
func SameContent(a, b string) bool { return a == b || compactJSON(a) == compactJSON(b) }

// SortedKeys returns the keys of m in order.
func SortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
