package org

import (
	"sort"
	"strings"
)

// differ holds what the steps of diff share: the spec, the two states, the
// accounts of the spec matched to existing ones, the accounts leaving the
// spec, the targets of the spec, and the changes so far.
type differ struct {
	d                *Document
	desired, current *State
	full             string // the FullAWSAccess policy key
	scps             bool   // the organization has SCPs (FullAWSAccess exists)
	match            map[string]*AccountState
	removed          []*AccountState
	targets          []diffTarget
	changes          []Change
}

// diffTarget is a target of the spec: its key, its id when it exists, and
// whether it is an account seiri is to create.
type diffTarget struct {
	key, id string
	newAcct bool
}

// diff computes the ordered changes (see Diff for the order and why).
func diff(d *Document, desired, current *State) ([]Change, error) {
	full := PolicyKey(SCP, FullAWSAccess)
	x := &differ{d: d, desired: desired, current: current, full: full, scps: current.Policies[full] != nil}
	if ps := x.check(); len(ps) > 0 {
		return nil, ps
	}
	x.createOUs()         // 1
	x.createPolicies()    // 2
	x.collectTargets()    //
	x.attachExisting()    // 3
	losing := x.updates() // 4
	x.createAccounts()    // 5
	x.moveAccounts()      // 6
	// Updates that take an Allow away come after the moves: until then an
	// account may still sit in an OU whose only Allow they remove.
	x.changes = append(x.changes, losing...)
	deleted := x.detach()     // 7
	x.deleteOUs()             // 8
	x.deletePolicies(deleted) // 9
	return x.changes, nil
}

// check matches the spec's accounts to existing ones, finds the accounts
// leaving the spec, and returns the problems that forbid any plan.
func (x *differ) check() Problems {
	d, desired, current := x.d, x.desired, x.current
	var ps Problems
	prob := func(path, format string, args ...any) { ps = append(ps, d.problem(path, format, args...)) }
	if d.Spec.ManagementAccount != "" && current.Management != "" && d.Spec.ManagementAccount != current.Management {
		prob("$.management_account", "the organization's management account is %s, not %s", current.Management, d.Spec.ManagementAccount)
	}
	// Accounts of the spec matched to existing ones: by id, or by email for
	// accounts declared without an id (created by an earlier apply).
	x.match = map[string]*AccountState{} // desired key → current account
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
			x.match[k] = cur
		} else if cur := byEmail[strings.ToLower(a.Email)]; cur != nil {
			if _, placedByID := desired.Accounts[cur.ID]; placedByID {
				prob(a.SpecPath+".email", "email %s belongs to account %s, which is also placed by id", a.Email, cur.ID)
				continue
			}
			x.match[k] = cur
		}
	}
	matched := map[string]bool{}
	for _, cur := range x.match {
		matched[cur.ID] = true
	}
	// Accounts no longer in the spec go to the Suspended OU.
	for _, id := range SortedKeys(current.Accounts) {
		if matched[id] {
			continue
		}
		if id == current.Management {
			prob("$.root", "the management account %s is not placed in the spec", id)
			continue
		}
		x.removed = append(x.removed, current.Accounts[id])
	}
	if len(x.removed) > 0 && desired.OUs[desired.SuspendedOU] == nil {
		prob("$.suspended_ou", "accounts %s are not in the spec and would move to the Suspended OU %q, which the spec does not have", idList(x.removed), desired.SuspendedOU)
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
	return ps
}

// createOUs (step 1) creates the spec's new OUs, parents first, in spec
// order.
func (x *differ) createOUs() {
	for _, p := range x.desired.ouOrder {
		if cur := x.current.OUs[p]; cur == nil {
			parentID := x.current.RootID
			if pp := ParentOf(p); pp != "" {
				parentID = ""
				if c := x.current.OUs[pp]; c != nil {
					parentID = c.ID
				}
			}
			x.changes = append(x.changes, &CreateOU{Path: p, Name: x.desired.OUs[p].Name, ParentID: parentID})
		}
	}
}

// createPolicies (step 2) creates the spec's new policies.
func (x *differ) createPolicies() {
	for _, k := range x.desired.policyOrder {
		p := x.desired.Policies[k]
		if x.current.Policies[k] == nil {
			x.changes = append(x.changes, &CreatePolicy{Name: p.Name, Type: p.Type, Description: p.Description, Content: p.Content, Source: p.Source})
		}
	}
}

// collectTargets lists the targets of the spec in spec order: the root,
// the OUs, the accounts (new ones marked).
func (x *differ) collectTargets() {
	x.targets = append(x.targets, diffTarget{key: RootTarget, id: x.current.RootID})
	for _, p := range x.desired.ouOrder {
		id := ""
		if c := x.current.OUs[p]; c != nil {
			id = c.ID
		}
		x.targets = append(x.targets, diffTarget{key: OUTarget(p), id: id})
	}
	for _, k := range x.desired.accountOrder {
		if cur := x.match[k]; cur != nil {
			x.targets = append(x.targets, diffTarget{key: AccountTarget(k), id: cur.ID})
		} else {
			x.targets = append(x.targets, diffTarget{key: AccountTarget(k), newAcct: true})
		}
	}
}

// curAttached is what t holds now (what AWS attaches by itself to a new OU
// or account: FullAWSAccess).
func (x *differ) curAttached(t diffTarget) map[string]bool {
	if t.id == "" {
		if x.scps {
			return map[string]bool{x.full: true}
		}
		return map[string]bool{}
	}
	key := t.key
	if strings.HasPrefix(key, "account:") {
		key = AccountTarget(t.id)
	}
	return x.current.Attachments[key]
}

func (x *differ) policyID(k string) string {
	if p := x.current.Policies[k]; p != nil {
		return p.ID
	}
	return ""
}

// attach attaches to t what the spec attaches and t does not hold.
func (x *differ) attach(t diffTarget) {
	cur := x.curAttached(t)
	for _, k := range sortedPolicyKeys(x.desired, x.desired.Attachments[t.key]) {
		if !cur[k] {
			p := x.desired.Policies[k]
			x.changes = append(x.changes, &AttachPolicy{PolicyName: p.Name, PolicyType: p.Type, PolicyID: x.policyID(k), TargetKey: stateKey(t.key, t.id), TargetID: t.id})
		}
	}
}

// attachExisting (step 3) attaches new policies to existing targets and
// new OUs. Accounts leaving the spec keep their own attachments, which the
// spec does not govern; if none of them would still allow once the spec's
// policy changes are made, they get FullAWSAccess so that only the
// Suspended OU's policies decide what they can do.
func (x *differ) attachExisting() {
	for _, t := range x.targets {
		if !t.newAcct {
			x.attach(t)
		}
	}
	for _, a := range x.removed {
		tk := AccountTarget(a.ID)
		allows := false
		for k := range x.current.Attachments[tk] {
			if p := x.desired.Policies[k]; p != nil && p.Type == SCP && Facts(p.Content).HasAllow {
				allows = true
			}
		}
		if !allows && x.scps && !x.current.Attachments[tk][x.full] {
			x.changes = append(x.changes, &AttachPolicy{PolicyName: FullAWSAccess, PolicyType: SCP, PolicyID: x.policyID(x.full), TargetKey: tk, TargetID: a.ID})
		}
	}
}

// updates (step 4) updates the policies that keep or gain an Allow, and
// returns those that lose it: they wait until after the moves, so a target
// never loses its only Allow mid-way.
func (x *differ) updates() (losing []Change) {
	for _, k := range x.desired.policyOrder {
		want, cur := x.desired.Policies[k], x.current.Policies[k]
		if cur == nil || cur.AWSManaged || (SameContent(want.Content, cur.Content) && want.Description == cur.Description) {
			continue
		}
		u := &UpdatePolicy{PolicyID: cur.ID, Name: want.Name, Type: want.Type, Description: want.Description, Content: want.Content,
			OldDescription: cur.Description, OldContent: cur.Content}
		if Facts(cur.Content).HasAllow && !Facts(want.Content).HasAllow {
			losing = append(losing, u)
		} else {
			x.changes = append(x.changes, u)
		}
	}
	return losing
}

// createAccounts (step 5) creates the spec's new accounts, then attaches
// their policies.
func (x *differ) createAccounts() {
	for _, k := range x.desired.accountOrder {
		if x.match[k] != nil {
			continue
		}
		a := x.desired.Accounts[k]
		parentID := x.current.RootID
		if a.Parent != "" {
			parentID = ""
			if c := x.current.OUs[a.Parent]; c != nil {
				parentID = c.ID
			}
		}
		x.changes = append(x.changes, &CreateAccount{Name: a.Name, Email: a.Email, ParentPath: a.Parent, ParentID: parentID, Tags: a.Tags})
	}
	for _, t := range x.targets {
		if t.newAcct {
			x.attach(t)
		}
	}
}

func (x *differ) ouID(p string) string {
	if p == "" {
		return x.current.RootID
	}
	if c := x.current.OUs[p]; c != nil {
		return c.ID
	}
	return ""
}

// moveAccounts (step 6) moves accounts to their OU of the spec, and the
// accounts leaving the spec to the Suspended OU.
func (x *differ) moveAccounts() {
	for _, k := range x.desired.accountOrder {
		cur := x.match[k]
		if cur == nil {
			continue
		}
		want := x.desired.Accounts[k]
		if cur.Parent != want.Parent {
			x.changes = append(x.changes, &MoveAccount{AccountID: cur.ID, AccountName: cur.Name, From: cur.Parent, To: want.Parent, FromID: x.ouID(cur.Parent), ToID: x.ouID(want.Parent)})
		}
	}
	for _, a := range x.removed {
		if a.Parent != x.desired.SuspendedOU {
			x.changes = append(x.changes, &MoveAccount{AccountID: a.ID, AccountName: a.Name, From: a.Parent, To: x.desired.SuspendedOU,
				FromID: x.ouID(a.Parent), ToID: x.ouID(x.desired.SuspendedOU), Removed: true})
		}
	}
}

// detach (step 7) detaches the policies the spec no longer attaches;
// policies to be deleted (returned) are also detached from targets outside
// the spec (accounts moved to Suspended), and attachments to targets no
// longer in the organization are detached. OUs to be deleted take their
// attachments along.
func (x *differ) detach() (deleted map[string]bool) {
	current := x.current
	deleted = map[string]bool{}
	for k, p := range current.Policies {
		if x.desired.Policies[k] == nil && !p.AWSManaged {
			deleted[k] = true
		}
	}
	detach := func(k, tk, id string) {
		p := current.Policies[k]
		x.changes = append(x.changes, &DetachPolicy{PolicyName: p.Name, PolicyType: p.Type, PolicyID: p.ID, TargetKey: tk, TargetID: id})
	}
	for _, t := range x.targets {
		want := x.desired.Attachments[t.key]
		for _, k := range sortedPolicyKeys(current, x.curAttached(t)) {
			if !want[k] {
				detach(k, stateKey(t.key, t.id), t.id)
			}
		}
	}
	for _, a := range x.removed {
		tk := AccountTarget(a.ID)
		for _, k := range sortedPolicyKeys(current, current.Attachments[tk]) {
			if deleted[k] {
				detach(k, tk, a.ID)
			}
		}
	}
	for _, tk := range SortedKeys(current.Attachments) {
		if !strings.HasPrefix(tk, "leftover:") {
			continue
		}
		for _, k := range sortedPolicyKeys(current, current.Attachments[tk]) {
			detach(k, tk, strings.TrimPrefix(tk, "leftover:"))
		}
	}
	return deleted
}

// deleteOUs (step 8) deletes the OUs not in the spec, deepest first.
func (x *differ) deleteOUs() {
	var gone []string
	for p := range x.current.OUs {
		if x.desired.OUs[p] == nil {
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
		x.changes = append(x.changes, &DeleteOU{Path: p, ID: x.current.OUs[p].ID})
	}
}

// deletePolicies (step 9) deletes the policies not in the spec.
func (x *differ) deletePolicies(deleted map[string]bool) {
	for _, k := range SortedKeys(deleted) {
		p := x.current.Policies[k]
		x.changes = append(x.changes, &DeletePolicy{PolicyID: p.ID, Name: p.Name, Type: p.Type, Content: p.Content})
	}
}
