package org

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// PlanVersion is the version of the saved plan format.
const PlanVersion = 1

// Plan is an ordered list of changes that turns the base organization into
// the spec's. BaseFingerprint identifies the base state: apply refuses the
// plan when the live organization's fingerprint differs.
type Plan struct {
	Version         int       `json:"version"`
	Organization    string    `json:"organizationId"`
	BaseFingerprint string    `json:"baseFingerprint"`
	Spec            string    `json:"spec,omitempty"`
	CreatedAt       time.Time `json:"createdAt"`
	// BasedOn names the state the plan was computed from: the snapshot
	// (name and collection time) or the organization read after an
	// apply (and when), so that apply can say what was reviewed.
	BasedOn string `json:"basedOn,omitempty"`
	// Findings are what the current organization holds that seiri did not
	// expect (attachments to deleted targets), with their clean-up planned.
	Findings []string `json:"-"`
	Changes  []Change `json:"-"`
}

type planJSON struct {
	Version         int               `json:"version"`
	Organization    string            `json:"organizationId"`
	BaseFingerprint string            `json:"baseFingerprint"`
	Spec            string            `json:"spec,omitempty"`
	CreatedAt       time.Time         `json:"createdAt"`
	BasedOn         string            `json:"basedOn,omitempty"`
	Findings        []string          `json:"findings,omitempty"`
	Changes         []json.RawMessage `json:"changes"`
}

// MarshalJSON writes the plan with each change in its JSON form.
func (p *Plan) MarshalJSON() ([]byte, error) {
	pj := planJSON{Version: p.Version, Organization: p.Organization, BaseFingerprint: p.BaseFingerprint, Spec: p.Spec, CreatedAt: p.CreatedAt,
		BasedOn: p.BasedOn, Findings: p.Findings, Changes: []json.RawMessage{}}
	for _, c := range p.Changes {
		b, err := MarshalChange(c)
		if err != nil {
			return nil, err
		}
		pj.Changes = append(pj.Changes, b)
	}
	return json.Marshal(pj)
}

// UnmarshalJSON reads a saved plan.
func (p *Plan) UnmarshalJSON(data []byte) error {
	var pj planJSON
	if err := json.Unmarshal(data, &pj); err != nil {
		return err
	}
	if pj.Version != PlanVersion {
		return fmt.Errorf("plan version %d is not supported (this seiri reads %d)", pj.Version, PlanVersion)
	}
	*p = Plan{Version: pj.Version, Organization: pj.Organization, BaseFingerprint: pj.BaseFingerprint, Spec: pj.Spec, CreatedAt: pj.CreatedAt, BasedOn: pj.BasedOn, Findings: pj.Findings}
	for i, raw := range pj.Changes {
		c, err := UnmarshalChange(raw)
		if err != nil {
			return fmt.Errorf("change %d: %w", i+1, err)
		}
		p.Changes = append(p.Changes, c)
	}
	return nil
}

// Fingerprint hashes what a plan depends on in an organization: the tree,
// account placement, policies with their content and attachments. Order of
// lists does not matter; collection times and tags do not count.
func Fingerprint(o *snapshot.Organization) string {
	if o == nil {
		return ""
	}
	type acct struct{ ID, Name, Email, Status, Parent string }
	type pol struct {
		ID, Name, Type, Description, Content string
		Targets                              []string
	}
	var v struct {
		ID, Management string
		Roots          []string
		OUs            []snapshot.OU
		Accounts       []acct
		Policies       []pol
	}
	v.ID, v.Management = o.ID, o.ManagementAccount
	for _, r := range o.Roots {
		v.Roots = append(v.Roots, r.ID)
	}
	sort.Strings(v.Roots)
	for _, ou := range o.OUs {
		v.OUs = append(v.OUs, snapshot.OU{ID: ou.ID, Name: ou.Name, ParentID: ou.ParentID})
	}
	sort.Slice(v.OUs, func(i, j int) bool { return v.OUs[i].ID < v.OUs[j].ID })
	for _, a := range o.Accounts {
		v.Accounts = append(v.Accounts, acct{a.ID, a.Name, a.Email, a.Status, a.ParentID})
	}
	sort.Slice(v.Accounts, func(i, j int) bool { return v.Accounts[i].ID < v.Accounts[j].ID })
	for _, p := range o.Policies {
		t := append([]string(nil), p.Targets...)
		sort.Strings(t)
		v.Policies = append(v.Policies, pol{p.ID, p.Name, p.Type, p.Description, p.Content, t})
	}
	sort.Slice(v.Policies, func(i, j int) bool { return v.Policies[i].ID < v.Policies[j].ID })
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Diff computes the ordered changes from current to desired. doc places
// errors in the spec. The order keeps every account under an allowing SCP
// at every step:
//
//	create OUs → create policies → attach new policies → update policies
//	(keeping their Allow) → create accounts (and attach to them) → move
//	accounts → update policies (losing their Allow) → detach old policies →
//	delete empty OUs → delete policies
//
// DiffLimits verifies that by simulating every prefix and fails rather than
// return a plan that would open a gap.

// NewPlan diffs the spec against a snapshot's organization.
func NewPlan(d *Document, desired *State, o *snapshot.Organization, now time.Time) (*Plan, error) {
	return NewPlanLimits(d, desired, o, now, DefaultLimits())
}

// stateKey is the target key a change uses: accounts by id when they exist.
func stateKey(key, id string) string {
	if strings.HasPrefix(key, "account:") && id != "" {
		return AccountTarget(id)
	}
	return key
}

func attachedAnywhere(s *State, k string) bool {
	for _, set := range s.Attachments {
		if set[k] {
			return true
		}
	}
	return false
}

// sortedPolicyKeys orders a set of policy keys: the spec's declaration order
// first (AWS-managed first of all), then by key.
func sortedPolicyKeys(s *State, set map[string]bool) []string {
	if len(set) == 0 {
		return nil
	}
	if s.rank == nil {
		s.rank = map[string]int{}
		for i, k := range s.policyOrder {
			s.rank[k] = i + 1
		}
	}
	rank := s.rank
	keys := SortedKeys(set)
	sort.SliceStable(keys, func(i, j int) bool {
		ri, rj := rank[keys[i]], rank[keys[j]]
		if ri == 0 {
			ri = 1 << 30
			if p := s.Policies[keys[i]]; p != nil && p.AWSManaged {
				ri = 0
			}
		}
		if rj == 0 {
			rj = 1 << 30
			if p := s.Policies[keys[j]]; p != nil && p.AWSManaged {
				rj = 0
			}
		}
		return ri < rj
	})
	return keys
}

func idList(as []*AccountState) string {
	var ids []string
	for _, a := range as {
		ids = append(ids, a.ID)
	}
	if len(ids) > 5 {
		return strings.Join(ids[:5], ", ") + fmt.Sprintf(" and %d more", len(ids)-5)
	}
	return strings.Join(ids, ", ")
}

// Simulate applies changes to a copy of base and returns the result.
func Simulate(base *State, changes []Change) (*State, error) {
	s := base.Clone()
	for i, c := range changes {
		if err := c.apply(s); err != nil {
			return nil, fmt.Errorf("step %d (%s): %w", i+1, c.Describe(), err)
		}
	}
	return s, nil
}

// checkSteps simulates the plan step by step and fails when a step is
// impossible or leaves an account without an allowing SCP.
func checkSteps(base *State, changes []Change, lim Limits) error {
	s := base.Clone()
	// Accounts already without an allowing path before the plan are not
	// the plan's doing (and may still be fixed by it).
	before := gapAccounts(s)
	for i, c := range changes {
		if err := c.apply(s); err != nil {
			return fmt.Errorf("internal error: plan step %d (%s): %w", i+1, c.Describe(), err)
		}
		// Only some steps can open a gap, and only for some accounts:
		// checking just those keeps a plan over thousands of accounts fast.
		var check []*AccountState
		switch ch := c.(type) {
		case *MoveAccount:
			check = []*AccountState{s.Accounts[ch.AccountID]}
		case *CreateAccount:
			check = []*AccountState{s.Accounts["new:"+strings.ToLower(ch.Email)]}
		case *DetachPolicy:
			if !s.targetAllows(ch.TargetKey) {
				check = s.accountList()
			}
		case *AttachPolicy:
			if n := s.attachedOfType(ch.TargetKey, ch.PolicyType); n > lim.PerTargetFor(ch.PolicyType) && n > base.attachedOfType(ch.TargetKey, ch.PolicyType) {
				return fmt.Errorf("plan step %d (%s) would give %s %d %s policies, over the quota of %d per target", i+1, c.Describe(), ch.TargetKey, n, ShortType(ch.PolicyType), lim.PerTargetFor(ch.PolicyType))
			}
		case *UpdatePolicy:
			check = s.accountList()
		}
		for _, a := range check {
			if a == nil || before[a.Key()] {
				continue
			}
			if g := s.accountGap(a); g != "" {
				return fmt.Errorf("plan step %d (%s) would leave %s: %s without an allowing SCP; split the change", i+1, c.Describe(), a.Key(), g)
			}
		}
	}
	return nil
}

func (s *State) accountList() []*AccountState {
	out := make([]*AccountState, 0, len(s.Accounts))
	for _, k := range SortedKeys(s.Accounts) {
		out = append(out, s.Accounts[k])
	}
	return out
}

// Summary counts changes by action.
func Summary(changes []Change) (add, change, destroy int) {
	for _, c := range changes {
		switch c.Action() {
		case Create:
			add++
		case Update:
			change++
		case Destroy:
			destroy++
		}
	}
	return
}

// WriteText prints a plan the Terraform way: one line per change with its
// marker, the summary line last.
func WriteText(w io.Writer, p *Plan) error {
	for _, f := range p.Findings {
		fmt.Fprintf(w, "! %s: its clean-up is planned (detach)\n", f)
	}
	if len(p.Findings) > 0 {
		fmt.Fprintln(w)
	}
	if len(p.Changes) == 0 {
		_, err := fmt.Fprintf(w, "No changes. Organization %s matches the spec.\n", p.Organization)
		return err
	}
	fmt.Fprintf(w, "seiri will make these changes to organization %s, in this order:\n\n", p.Organization)
	for i, c := range p.Changes {
		fmt.Fprintf(w, "  %s %3d. %s\n", c.Action().Symbol(), i+1, c.Describe())
		if dt, ok := c.(Detailer); ok {
			for _, l := range dt.Details() {
				fmt.Fprintf(w, "           %s\n", l)
			}
		}
	}
	a, c, d := Summary(p.Changes)
	_, err := fmt.Fprintf(w, "\nPlan: %d to add, %d to change, %d to destroy.\n", a, c, d)
	return err
}

func gapAccount(gap string) string { a, _, _ := strings.Cut(gap, ": "); return a }

func gapAccounts(s *State) map[string]bool {
	m := map[string]bool{}
	for _, g := range s.AllowGaps() {
		m[gapAccount(g)] = true
	}
	return m
}
