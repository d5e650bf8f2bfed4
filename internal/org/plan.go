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
// Diff verifies that by simulating every prefix and fails rather than
// return a plan that would open a gap.
func Diff(d *Document, desired, current *State) ([]Change, error) {
	return DiffLimits(d, desired, current, DefaultLimits())
}

func diff(d *Document, desired, current *State) ([]Change, error) {
	var ps Problems
	prob := func(path, format string, args ...any) { ps = append(ps, d.problem(path, format, args...)) }
	if d.Spec.ManagementAccount != "" && current.Management != "" && d.Spec.ManagementAccount != current.Management {
		prob("$.management_account", "the organization's management account is %s, not %s", current.Management, d.Spec.ManagementAccount)
	}
	var changes []Change
	full := PolicyKey(SCP, FullAWSAccess)
	scps := current.Policies[full] != nil

	// Accounts of the spec matched to existing ones: by id, or by email for
	// accounts declared without an id (created by an earlier apply).
	match := map[string]*AccountState{} // desired key → current account
	byEmail := map[string]*AccountState{}
	for _, a := range current.Accounts {
		if a.Email != "" {
			byEmail[strings.ToLower(a.Email)] = a
		}
	}
	for _, k := range desired.accountOrder {
		a := desired.Accounts[k]
		if a.ID != "" {
			cur := current.Accounts[a.ID]
			if cur == nil {
				prob(a.SpecPath+".id", "account %s is not in the organization (seiri creates accounts declared with name and email, without id)", a.ID)
				continue
			}
			match[k] = cur
		} else if cur := byEmail[strings.ToLower(a.Email)]; cur != nil {
			if _, placedByID := desired.Accounts[cur.ID]; placedByID {
				prob(a.SpecPath+".email", "email %s belongs to account %s, which is also placed by id", a.Email, cur.ID)
				continue
			}
			match[k] = cur
		}
	}
	matched := map[string]bool{}
	for _, cur := range match {
		matched[cur.ID] = true
	}
	// Accounts no longer in the spec go to the Suspended OU.
	var removed []*AccountState
	for _, id := range SortedKeys(current.Accounts) {
		if matched[id] {
			continue
		}
		a := current.Accounts[id]
		if id == current.Management {
			prob("$.root", "the management account %s is not placed in the spec", id)
			continue
		}
		removed = append(removed, a)
	}
	if len(removed) > 0 && desired.OUs[desired.SuspendedOU] == nil {
		prob("$.suspended_ou", "accounts %s are not in the spec and would move to the Suspended OU %q, which the spec does not have", idList(removed), desired.SuspendedOU)
	}
	for _, k := range SortedKeys(desired.Policies) {
		p := desired.Policies[k]
		if p.AWSManaged && current.Policies[k] == nil && attachedAnywhere(desired, k) {
			prob("$.root", "the organization has no %s policy (is the policy type enabled?)", p.Name)
		}
		if current.EnabledTypes != nil && !current.EnabledTypes[p.Type] && attachedAnywhere(desired, k) {
			path := p.SpecPath
			if path == "" {
				path = "$.root"
			}
			prob(path, "policy type %s is not enabled on the organization root (enable it first: EnablePolicyType)", p.Type)
		}
	}
	if len(ps) > 0 {
		return nil, ps
	}

	// 1. Create OUs, parents first, in spec order.
	for _, p := range desired.ouOrder {
		if cur := current.OUs[p]; cur == nil {
			parentID := current.RootID
			if pp := ParentOf(p); pp != "" {
				parentID = ""
				if c := current.OUs[pp]; c != nil {
					parentID = c.ID
				}
			}
			changes = append(changes, &CreateOU{Path: p, Name: desired.OUs[p].Name, ParentID: parentID})
		}
	}
	// 2. Create policies.
	for _, k := range desired.policyOrder {
		p := desired.Policies[k]
		if current.Policies[k] == nil {
			changes = append(changes, &CreatePolicy{Name: p.Name, Type: p.Type, Description: p.Description, Content: p.Content, Source: p.Source})
		}
	}
	// Targets of the spec, in spec order, with their current attachments
	// (what AWS attaches by itself to a new OU or account).
	type target struct {
		key, id string
		newAcct bool
	}
	var targets []target
	targets = append(targets, target{key: RootTarget, id: current.RootID})
	for _, p := range desired.ouOrder {
		id := ""
		if c := current.OUs[p]; c != nil {
			id = c.ID
		}
		targets = append(targets, target{key: OUTarget(p), id: id})
	}
	for _, k := range desired.accountOrder {
		if cur := match[k]; cur != nil {
			targets = append(targets, target{key: AccountTarget(k), id: cur.ID})
		} else {
			targets = append(targets, target{key: AccountTarget(k), newAcct: true})
		}
	}
	curAttached := func(t target) map[string]bool {
		if t.id == "" {
			if scps {
				return map[string]bool{full: true}
			}
			return map[string]bool{}
		}
		key := t.key
		if strings.HasPrefix(key, "account:") {
			key = AccountTarget(t.id)
		}
		return current.Attachments[key]
	}
	policyID := func(k string) string {
		if p := current.Policies[k]; p != nil {
			return p.ID
		}
		return ""
	}
	attach := func(t target) {
		cur := curAttached(t)
		for _, k := range sortedPolicyKeys(desired, desired.Attachments[t.key]) {
			if !cur[k] {
				p := desired.Policies[k]
				changes = append(changes, &AttachPolicy{PolicyName: p.Name, PolicyType: p.Type, PolicyID: policyID(k), TargetKey: stateKey(t.key, t.id), TargetID: t.id})
			}
		}
	}
	// 3. Attach new policies to existing targets and new OUs.
	for _, t := range targets {
		if !t.newAcct {
			attach(t)
		}
	}
	// Accounts leaving the spec keep their own attachments, which the spec
	// does not govern; if none of them would still allow once the spec's
	// policy changes are made, they get FullAWSAccess so that only the
	// Suspended OU's policies decide what they can do.
	for _, a := range removed {
		tk := AccountTarget(a.ID)
		allows := false
		for k := range current.Attachments[tk] {
			if p := desired.Policies[k]; p != nil && p.Type == SCP && Facts(p.Content).HasAllow {
				allows = true
			}
		}
		if !allows && scps && !current.Attachments[tk][full] {
			changes = append(changes, &AttachPolicy{PolicyName: FullAWSAccess, PolicyType: SCP, PolicyID: policyID(full), TargetKey: tk, TargetID: a.ID})
		}
	}
	// 4. Update policies that keep or gain an Allow; those that lose it wait
	// (below), so a target never loses its only Allow mid-way.
	var updates, losing []Change
	for _, k := range desired.policyOrder {
		want, cur := desired.Policies[k], current.Policies[k]
		if cur == nil || cur.AWSManaged || (SameContent(want.Content, cur.Content) && want.Description == cur.Description) {
			continue
		}
		u := &UpdatePolicy{PolicyID: cur.ID, Name: want.Name, Type: want.Type, Description: want.Description, Content: want.Content,
			OldDescription: cur.Description, OldContent: cur.Content}
		if Facts(cur.Content).HasAllow && !Facts(want.Content).HasAllow {
			losing = append(losing, u)
		} else {
			updates = append(updates, u)
		}
	}
	changes = append(changes, updates...)
	// 5. Create accounts, then attach their policies.
	for _, k := range desired.accountOrder {
		if match[k] != nil {
			continue
		}
		a := desired.Accounts[k]
		parentID := current.RootID
		if a.Parent != "" {
			parentID = ""
			if c := current.OUs[a.Parent]; c != nil {
				parentID = c.ID
			}
		}
		changes = append(changes, &CreateAccount{Name: a.Name, Email: a.Email, ParentPath: a.Parent, ParentID: parentID, Tags: a.Tags})
	}
	for _, t := range targets {
		if t.newAcct {
			attach(t)
		}
	}
	// 6. Move accounts.
	ouID := func(p string) string {
		if p == "" {
			return current.RootID
		}
		if c := current.OUs[p]; c != nil {
			return c.ID
		}
		return ""
	}
	for _, k := range desired.accountOrder {
		cur := match[k]
		if cur == nil {
			continue
		}
		want := desired.Accounts[k]
		if cur.Parent != want.Parent {
			changes = append(changes, &MoveAccount{AccountID: cur.ID, AccountName: cur.Name, From: cur.Parent, To: want.Parent, FromID: ouID(cur.Parent), ToID: ouID(want.Parent)})
		}
	}
	for _, a := range removed {
		if a.Parent != desired.SuspendedOU {
			changes = append(changes, &MoveAccount{AccountID: a.ID, AccountName: a.Name, From: a.Parent, To: desired.SuspendedOU,
				FromID: ouID(a.Parent), ToID: ouID(desired.SuspendedOU), Removed: true})
		}
	}
	// Updates that take an Allow away come after the moves: until then an
	// account may still sit in an OU whose only Allow they remove.
	changes = append(changes, losing...)
	// 7. Detach policies the spec no longer attaches; policies to be
	// deleted are also detached from targets outside the spec (accounts
	// moved to Suspended). OUs to be deleted take their attachments along.
	deleted := map[string]bool{}
	for k, p := range current.Policies {
		if desired.Policies[k] == nil && !p.AWSManaged {
			deleted[k] = true
		}
	}
	for _, t := range targets {
		want := desired.Attachments[t.key]
		for _, k := range sortedPolicyKeys(current, curAttached(t)) {
			if !want[k] {
				p := current.Policies[k]
				changes = append(changes, &DetachPolicy{PolicyName: p.Name, PolicyType: p.Type, PolicyID: p.ID, TargetKey: stateKey(t.key, t.id), TargetID: t.id})
			}
		}
	}
	for _, a := range removed {
		tk := AccountTarget(a.ID)
		for _, k := range sortedPolicyKeys(current, current.Attachments[tk]) {
			if deleted[k] {
				p := current.Policies[k]
				changes = append(changes, &DetachPolicy{PolicyName: p.Name, PolicyType: p.Type, PolicyID: p.ID, TargetKey: tk, TargetID: a.ID})
			}
		}
	}
	// Attachments to targets no longer in the organization are detached.
	for _, tk := range SortedKeys(current.Attachments) {
		if !strings.HasPrefix(tk, "leftover:") {
			continue
		}
		for _, k := range sortedPolicyKeys(current, current.Attachments[tk]) {
			p := current.Policies[k]
			changes = append(changes, &DetachPolicy{PolicyName: p.Name, PolicyType: p.Type, PolicyID: p.ID, TargetKey: tk, TargetID: strings.TrimPrefix(tk, "leftover:")})
		}
	}
	// 8. Delete OUs not in the spec, deepest first.
	var gone []string
	for p := range current.OUs {
		if desired.OUs[p] == nil {
			gone = append(gone, p)
		}
	}
	sort.Slice(gone, func(i, j int) bool {
		if depth(gone[i]) != depth(gone[j]) {
			return depth(gone[i]) > depth(gone[j])
		}
		return gone[i] < gone[j]
	})
	for _, p := range gone {
		changes = append(changes, &DeleteOU{Path: p, ID: current.OUs[p].ID})
	}
	// 9. Delete policies not in the spec.
	for _, k := range SortedKeys(deleted) {
		p := current.Policies[k]
		changes = append(changes, &DeletePolicy{PolicyID: p.ID, Name: p.Name, Type: p.Type, Content: p.Content})
	}
	return changes, nil
}

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
