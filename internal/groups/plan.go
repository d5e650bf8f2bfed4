package groups

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/diag"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/plan/iamplan"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// Change kinds of a groups plan (the typed changes are in
// internal/plan/iamplan).
const (
	KindCreateGroup       = iamplan.KindCreateGroup
	KindAttachGroupPolicy = iamplan.KindAttachGroupPolicy
	KindAddUserToGroup    = iamplan.KindAddUserToGroup
	KindRemoveUser        = iamplan.KindRemoveUserFromGroup
	KindDetachUserPolicy  = iamplan.KindDetachUserPolicy
)

// PlanKind is the plan kind of groups plans.
const PlanKind = "groups"

// params are what a step of the model changes.
type params struct {
	GroupName string `json:"groupName,omitempty"`
	UserName  string `json:"userName,omitempty"`
	PolicyARN string `json:"policyArn,omitempty"`
}

// step is a change against the model, before it becomes a plan.Change.
type step struct {
	kind string
	p    params
	why  string
}

// Verdict is the before/after proof of a plan.
type Verdict struct {
	Unchanged  int            `json:"unchanged"`
	LoseUnused int            `json:"loseOnlyUnused"`
	Users      []UserVerdict  `json:"changedUsers,omitempty"`
	Refusals   []string       `json:"refusals,omitempty"`
	GroupsMax  map[string]int `json:"-"`
}

// UserVerdict is a user whose granted actions change.
type UserVerdict struct {
	User string   `json:"user"`
	Lost []string `json:"lost"`
	Used []string `json:"lostButUsed,omitempty"`
}

// Summary is the line every plan prints.
func (v *Verdict) Summary() string {
	return fmt.Sprintf("%d users unchanged, %d users lose only unused permissions", v.Unchanged, v.LoseUnused)
}

// PlanOptions tune the plan.
type PlanOptions struct {
	Options
	// Caller is the ARN of who will apply: the plan refuses to change the
	// caller's own permissions.
	Caller string
	// RemoveUnused also removes members from groups none of whose actions
	// they used in the window (needs usage).
	RemoveUnused bool
}

// Proposal is a groups plan for one account with its proof.
type Proposal struct {
	Account string        `json:"account"`
	Changes []plan.Change `json:"changes"`
	Verdict Verdict       `json:"verdict"`
	// After is the model with the changes made (for sso plan --proposed).
	After *Model `json:"-"`
}

// ErrRefused marks a plan the safety checks refuse.
type ErrRefused struct{ Reasons []string }

func (e *ErrRefused) Error() string {
	return "groups plan refused: " + strings.Join(e.Reasons, "; ")
}

// Propose builds the changes for one analysed account and proves them.
func planSteps(an *Analysis, opt PlanOptions) []step {
	m := an.model
	var creates, attaches, adds, removes, detaches []step
	// 1. Memberships another group of the user covers.
	for _, r := range an.Redundant {
		removes = append(removes, step{KindRemoveUser, params{GroupName: r.Group, UserName: r.User}, "granted by " + r.Covered})
	}
	// 2. Direct policies an existing group already grants.
	for _, mv := range an.Moves {
		adds = append(adds, step{KindAddUserToGroup, params{GroupName: mv.Group, UserName: mv.User}, "replaces direct " + joinNames(mv.Policies)})
		for _, p := range mv.Policies {
			detaches = append(detaches, step{KindDetachUserPolicy, params{UserName: mv.User, PolicyARN: p}, "granted by group " + mv.Group})
		}
	}
	// 3. Users sharing the same direct policies get a group for them. A
	// moved user counts with the direct policies the moves leave: skipping
	// them left those for a second plan (the plan must converge in one).
	movedOff := map[string][]string{}
	for _, mv := range an.Moves {
		movedOff[mv.User] = append(movedOff[mv.User], mv.Policies...)
	}
	bySet := map[string][]*User{}
	for _, u := range m.Users {
		rest := slices.DeleteFunc(slices.Clone(u.Direct), func(p string) bool { return slices.Contains(movedOff[u.Name], p) })
		if len(rest) == 0 || an.granted[u.Name] == nil || u.Machine {
			continue
		}
		ps := rest
		sort.Strings(ps)
		k := strings.Join(ps, "\n")
		bySet[k] = append(bySet[k], u)
	}
	for _, k := range sortedKeys(bySet) {
		us := bySet[k]
		if len(us) < 2 {
			continue
		}
		ps := strings.Split(k, "\n")
		name := directGroupName(m, ps)
		creates = append(creates, step{KindCreateGroup, params{GroupName: name}, fmt.Sprintf("%d users share these direct policies", len(us))})
		for _, p := range ps {
			attaches = append(attaches, step{KindAttachGroupPolicy, params{GroupName: name, PolicyARN: p}, ""})
		}
		for _, u := range us {
			adds = append(adds, step{KindAddUserToGroup, params{GroupName: name, UserName: u.Name}, ""})
			for _, p := range ps {
				detaches = append(detaches, step{KindDetachUserPolicy, params{UserName: u.Name, PolicyARN: p}, "granted by new group " + name})
			}
		}
	}
	// 4. Optionally, memberships whose actions the member never used.
	if opt.RemoveUnused && opt.Used != nil {
		for _, u := range m.Users {
			if an.granted[u.Name] == nil {
				continue // not computable: the proof could not cover it
			}
			for _, gn := range u.Groups {
				if m.Groups[gn] == nil {
					continue
				}
				g, err := m.GroupGrants(gn)
				if err != nil {
					continue
				}
				s, err := opt.Effective(g)
				if err != nil || len(s) == 0 {
					continue
				}
				if len(intersect(s, opt.Used[u.ARN])) == 0 && !hasStep(removes, KindRemoveUser, gn, u.Name) {
					removes = append(removes, step{KindRemoveUser, params{GroupName: gn, UserName: u.Name}, "no action of the group used in the window"})
				}
			}
		}
	}
	// Grants before revocations: nobody is without access in between.
	return slices.Concat(creates, attaches, adds, removes, detaches)
}

// Propose plans the account's group changes. A plan reaches its model in
// one pass: the model after the steps is analyzed again and what that
// finds (memberships the moves made redundant, ...) joins the plan, until
// nothing is left; an add the later rounds take back is dropped with its
// removal.
func Propose(an *Analysis, opt PlanOptions) (*Proposal, error) {
	opt.defaults()
	m := an.model
	steps := planSteps(an, opt)
	after := m.Clone()
	for _, s := range steps {
		after.apply(s)
	}
	for round := 0; round < 4 && len(steps) > 0; round++ {
		again, err := Analyze(after.Clone(), opt.Options)
		if err != nil {
			break
		}
		more := planSteps(again, opt)
		if len(more) == 0 {
			break
		}
		for _, s := range more {
			after.apply(s)
		}
		steps = cancelPairs(append(steps, more...))
	}
	v, err := verify(an, after, opt)
	if err != nil {
		return nil, err
	}
	pr := &Proposal{Account: m.Account, Verdict: *v, After: after, Changes: []plan.Change{}}
	for _, s := range steps {
		pr.Changes = append(pr.Changes, s.change(m.Account))
	}
	if len(v.Refusals) > 0 {
		return pr, &ErrRefused{Reasons: v.Refusals}
	}
	return pr, nil
}

// cancelPairs drops an add of a user to a group together with a later
// removal of the same membership: the two make no change.
func cancelPairs(ss []step) []step {
	drop := make([]bool, len(ss))
	for i, a := range ss {
		if a.kind != KindAddUserToGroup || drop[i] {
			continue
		}
		for j := i + 1; j < len(ss); j++ {
			r := ss[j]
			if !drop[j] && r.kind == KindRemoveUser && r.p.GroupName == a.p.GroupName && r.p.UserName == a.p.UserName {
				drop[i], drop[j] = true, true
				break
			}
		}
	}
	out := ss[:0:0]
	for i, s := range ss {
		if !drop[i] {
			out = append(out, s)
		}
	}
	return out
}

func hasStep(ss []step, kind, group, user string) bool {
	for _, s := range ss {
		if s.kind == kind && s.p.GroupName == group && s.p.UserName == user {
			return true
		}
	}
	return false
}

func joinNames(arns []string) string {
	var n []string
	for _, a := range arns {
		n = append(n, policyName(a))
	}
	return strings.Join(n, ", ")
}

func directGroupName(m *Model, ps []string) string {
	var n []string
	for _, p := range ps {
		n = append(n, policyName(p))
	}
	name := "with-" + strings.Join(n, "+")
	if len(name) > 120 {
		name = name[:120]
	}
	base := name
	for i := 2; m.Groups[name] != nil; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	return name
}

// apply performs one step on the model.
func (m *Model) apply(s step) {
	switch s.kind {
	case KindCreateGroup:
		if m.Groups[s.p.GroupName] == nil {
			m.Groups[s.p.GroupName] = &Group{ARN: fmt.Sprintf("arn:aws:iam::%s:group/%s", m.Account, s.p.GroupName), Name: s.p.GroupName}
		}
	case KindAttachGroupPolicy:
		if g := m.Groups[s.p.GroupName]; g != nil && !slices.Contains(g.Policies, s.p.PolicyARN) {
			g.Policies = append(g.Policies, s.p.PolicyARN)
		}
	case KindAddUserToGroup:
		if u := m.User(s.p.UserName); u != nil && !slices.Contains(u.Groups, s.p.GroupName) {
			u.Groups = append(u.Groups, s.p.GroupName)
		}
	case KindRemoveUser:
		if u := m.User(s.p.UserName); u != nil {
			u.Groups = slices.DeleteFunc(u.Groups, func(g string) bool { return g == s.p.GroupName })
		}
	case KindDetachUserPolicy:
		if u := m.User(s.p.UserName); u != nil {
			u.Direct = slices.DeleteFunc(u.Direct, func(p string) bool { return p == s.p.PolicyARN })
		}
	}
}

func (s step) change(account string) plan.Change {
	var notes []string
	if s.why != "" {
		notes = []string{s.why}
	}
	on := iamplan.Header{Account: account, User: s.p.UserName, NoGuard: true}
	var c plan.Change
	switch s.kind {
	case KindCreateGroup:
		c = iamplan.Wrap(&iamplan.CreateGroup{Header: on, GroupName: s.p.GroupName}, "group/"+s.p.GroupName, "create group "+s.p.GroupName, notes...)
	case KindAttachGroupPolicy:
		c = iamplan.Wrap(&iamplan.AttachGroupPolicy{Header: on, GroupName: s.p.GroupName, PolicyARN: s.p.PolicyARN}, "group/"+s.p.GroupName,
			fmt.Sprintf("attach %s to group %s", policyName(s.p.PolicyARN), s.p.GroupName), notes...)
	case KindAddUserToGroup:
		c = iamplan.Wrap(&iamplan.AddUserToGroup{Header: on, GroupName: s.p.GroupName}, "user/"+s.p.UserName,
			fmt.Sprintf("add user %s to group %s", s.p.UserName, s.p.GroupName), notes...)
	case KindRemoveUser:
		c = iamplan.Wrap(&iamplan.RemoveUserFromGroup{Header: on, GroupName: s.p.GroupName}, "user/"+s.p.UserName,
			fmt.Sprintf("remove user %s from group %s", s.p.UserName, s.p.GroupName), notes...)
		c.Op = plan.Delete // a grant removed
	case KindDetachUserPolicy:
		c = iamplan.Wrap(&iamplan.DetachUserPolicy{Header: on, PolicyARN: s.p.PolicyARN}, "user/"+s.p.UserName,
			fmt.Sprintf("detach %s from user %s", policyName(s.p.PolicyARN), s.p.UserName), notes...)
		c.Op = plan.Delete
	}
	return c
}

// verify recomputes every user's granted actions in the changed model and
// compares them with the analysis: unchanged, lose only actions they did not
// use, or (refused) lose used actions; it also refuses more than 10 groups
// per user and any change to the caller's own permissions.
func verify(an *Analysis, after *Model, opt PlanOptions) (*Verdict, error) {
	v := &Verdict{}
	for _, u := range after.Users {
		before, ok := an.granted[u.Name]
		if !ok {
			continue // not computable before: the plan does not touch it
		}
		if n := len(u.Groups); n > MaxGroupsPerUser {
			v.Refusals = append(v.Refusals, fmt.Sprintf("user %s would be in %d groups (IAM limit %d)", u.Name, n, MaxGroupsPerUser))
		}
		g, err := after.Grants(u)
		if err != nil {
			return nil, err
		}
		now, err := opt.Effective(g)
		if err != nil {
			return nil, err
		}
		gained := now.Minus(before)
		lost := before.Minus(now)
		if len(gained) > 0 {
			v.Refusals = append(v.Refusals, fmt.Sprintf("user %s would gain %d actions (%s)", u.Name, len(gained), preview(gained)))
		}
		if len(lost) == 0 {
			if len(gained) == 0 {
				v.Unchanged++
			}
			continue
		}
		if opt.Caller != "" && u.ARN == opt.Caller {
			v.Refusals = append(v.Refusals, fmt.Sprintf("the plan would remove %d actions from the caller %s", len(lost), u.Name))
		}
		uv := UserVerdict{User: u.Name, Lost: lost}
		for _, a := range lost {
			if opt.Used[u.ARN].Contains(a) {
				uv.Used = append(uv.Used, a)
			}
		}
		if opt.Used == nil {
			uv.Used = lost // usage unknown: every loss counts as used
		}
		if len(uv.Used) > 0 {
			v.Refusals = append(v.Refusals, fmt.Sprintf("user %s would lose used actions (%s)", u.Name, preview(uv.Used)))
		} else {
			v.LoseUnused++
		}
		v.Users = append(v.Users, uv)
	}
	return v, nil
}

func preview(s []string) string {
	if len(s) > 3 {
		return strings.Join(s[:3], ", ") + fmt.Sprintf(" and %d more", len(s)-3)
	}
	return strings.Join(s, ", ")
}

// NewPlan makes one plan of the proposals of several accounts. base is the
// fingerprint of the snapshot the proposals were made from.
func NewPlan(props []*Proposal, now time.Time, base string) *plan.Plan {
	cs := []plan.Change{}
	for _, p := range props {
		cs = append(cs, p.Changes...)
	}
	pl := plan.New(PlanKind, now, base, cs)
	for _, p := range props {
		pl.Diags = append(pl.Diags, diag.Notef("groups.verdict", "account %s: %s", p.Account, p.Verdict.Summary()).About(diag.Subject{Account: p.Account}))
	}
	return pl
}

// Snapshot returns a copy of the account with the model's memberships, user
// attachments and groups (new ones included) written back.
func (m *Model) Snapshot(a *snapshot.Account) *snapshot.Account {
	c := *a
	c.Users = slices.Clone(a.Users)
	for i := range c.Users {
		u := m.User(c.Users[i].UserName)
		if u == nil {
			continue
		}
		c.Users[i].Groups = slices.Clone(u.Groups)
		var att []snapshot.AttachedPolicy
		for _, p := range u.Direct {
			att = append(att, snapshot.AttachedPolicy{PolicyName: policyName(p), PolicyARN: p})
		}
		c.Users[i].AttachedPolicies = att
	}
	c.Groups = nil
	for _, gn := range sortedKeys(m.Groups) {
		g := m.Groups[gn]
		ng := snapshot.Group{ARN: g.ARN, GroupName: g.Name, Path: "/", InlinePolicies: g.Inline}
		for _, og := range a.Groups {
			if og.GroupName == gn {
				ng = og
			}
		}
		ng.AttachedPolicies = nil
		for _, p := range g.Policies {
			ng.AttachedPolicies = append(ng.AttachedPolicies, snapshot.AttachedPolicy{PolicyName: policyName(p), PolicyARN: p})
		}
		c.Groups = append(c.Groups, ng)
	}
	return &c
}
