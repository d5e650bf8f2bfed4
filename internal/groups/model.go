// Package groups analyses the group model of IAM accounts: each user's
// effective permissions (leastpriv's computation through the policy engine,
// SCPs and permissions boundaries included: see Judge), clusters of users with near-identical permissions, problems
// (group limit, empty, unused and subset groups, duplicate paths, users in
// many teams' groups), and a plan of typed changes whose effect on every
// user's permissions is proven by recomputing them before and after.
package groups

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// Grants are the policies that apply to one principal as IAM sees them:
// identity policies (attached, inline, and its groups') and the permissions
// boundary.
type Grants struct {
	Principal string // ARN
	UserName  string
	Identity  []Doc
	Boundary  *Doc
}

// Doc is one policy document with where it came from.
type Doc struct {
	Name   string // policy ARN for managed policies, "inline:<owner>/<name>" for inline ones
	Source string // "direct", "group:<name>", "boundary"
	JSON   []byte
}

// Effective computes the actions a principal is granted. Production uses
// Judge: leastpriv's effective permissions, the one computation every
// analysis shares.
type Effective func(g *Grants) (ActionSet, error)

// ActionSet is a sorted set of canonical action names ("s3:GetObject").
type ActionSet []string

// Contains reports whether the set holds a.
func (s ActionSet) Contains(a string) bool {
	_, ok := slices.BinarySearch(s, a)
	return ok
}

// Equal reports whether both sets hold the same actions.
func (s ActionSet) Equal(o ActionSet) bool { return slices.Equal(s, o) }

// SubsetOf reports whether every action of s is in o.
func (s ActionSet) SubsetOf(o ActionSet) bool {
	// Sets hold each action once: a larger set is never a subset, and a
	// set shared by two groups (one cached answer) is its own subset.
	if len(s) > len(o) {
		return false
	}
	if len(s) > 0 && len(s) == len(o) && &s[0] == &o[0] {
		return true
	}
	// Equal first: the judge's sets share their strings, so an equal
	// pair is a pointer comparison, and most pairs compared are equal.
	i := 0
	for _, a := range s {
		for {
			if i == len(o) {
				return false
			}
			if o[i] == a {
				i++
				break
			}
			if o[i] > a {
				return false
			}
			i++
		}
	}
	return true
}

// Minus returns the actions of s not in o.
func (s ActionSet) Minus(o ActionSet) ActionSet {
	var out ActionSet
	j := 0
	for _, a := range s {
		for j < len(o) && o[j] < a {
			j++
		}
		if j == len(o) || o[j] != a {
			out = append(out, a)
		}
	}
	return out
}

// Union returns the actions in s or o.
func (s ActionSet) Union(o ActionSet) ActionSet {
	out := make(ActionSet, 0, max(len(s), len(o)))
	i, j := 0, 0
	for i < len(s) || j < len(o) {
		switch {
		case j == len(o) || (i < len(s) && s[i] < o[j]):
			out = append(out, s[i])
			i++
		case i == len(s) || o[j] < s[i]:
			out = append(out, o[j])
			j++
		default:
			out = append(out, s[i])
			i++
			j++
		}
	}
	return out
}

// Jaccard is |a∩b| / |a∪b| (1 for two empty sets).
func Jaccard(a, b ActionSet) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	i, j, inter := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			inter++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	union := len(a) + len(b) - inter
	return float64(inter) / float64(union)
}

// Services returns the service prefixes of the set with their action counts,
// most actions first.
func (s ActionSet) Services() []ServiceCount {
	// A sorted set holds each service's actions in one run: count runs,
	// then merge runs of one service (a set built unsorted).
	var out []ServiceCount
	for i := 0; i < len(s); {
		svc, _, _ := strings.Cut(s[i], ":")
		j := i + 1
		for j < len(s) && len(s[j]) > len(svc) && s[j][len(svc)] == ':' && s[j][:len(svc)] == svc {
			j++
		}
		out = append(out, ServiceCount{svc, j - i})
		i = j
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Service < out[j].Service })
	merged := out[:0]
	for _, sc := range out {
		if n := len(merged); n > 0 && merged[n-1].Service == sc.Service {
			merged[n-1].Actions += sc.Actions
			continue
		}
		merged = append(merged, sc)
	}
	out = merged
	sort.Slice(out, func(i, j int) bool {
		if out[i].Actions != out[j].Actions {
			return out[i].Actions > out[j].Actions
		}
		return out[i].Service < out[j].Service
	})
	return out
}

// ServiceCount is a service prefix and how many of its actions a set holds.
type ServiceCount struct {
	Service string `json:"service"`
	Actions int    `json:"actions"`
}

// Model is the IAM group model of one account, in a form the analysis and
// the plan can change and recompute: users' group memberships and direct
// policies, groups' policies, and every managed policy's document.
type Model struct {
	Account  string
	Users    []*User
	Groups   map[string]*Group
	Policies map[string][]byte // managed policy ARN → document
}

// User is a user of the model.
type User struct {
	ARN, Name string
	Groups    []string
	Direct    []string // managed policy ARNs attached to the user
	Inline    []snapshot.InlinePolicy
	Boundary  string
	Machine   bool // has active keys and no console password
	Console   bool
	ActiveKey bool
	Tags      map[string]string
}

// Group is a group of the model.
type Group struct {
	ARN, Name string
	Policies  []string // managed policy ARNs
	Inline    []snapshot.InlinePolicy
}

// NewModel builds the model of one account of a snapshot.
func NewModel(a *snapshot.Account) *Model {
	m := &Model{Account: a.AccountID, Groups: map[string]*Group{}, Policies: map[string][]byte{}}
	for _, p := range a.Policies {
		m.Policies[p.ARN] = p.Document
	}
	for _, g := range a.Groups {
		ng := &Group{ARN: g.ARN, Name: g.GroupName, Inline: g.InlinePolicies}
		for _, p := range g.AttachedPolicies {
			ng.Policies = append(ng.Policies, p.PolicyARN)
		}
		m.Groups[g.GroupName] = ng
	}
	for _, u := range a.Users {
		nu := &User{ARN: u.ARN, Name: u.UserName, Groups: slices.Clone(u.Groups), Inline: u.InlinePolicies, Boundary: u.PermissionsBoundary, Tags: u.Tags}
		for _, p := range u.AttachedPolicies {
			nu.Direct = append(nu.Direct, p.PolicyARN)
		}
		nu.Console = u.LoginProfile != nil
		for _, k := range u.AccessKeys {
			if k.Active() {
				nu.ActiveKey = true
			}
		}
		nu.Machine = nu.ActiveKey && !nu.Console
		m.Users = append(m.Users, nu)
	}
	sort.Slice(m.Users, func(i, j int) bool { return m.Users[i].Name < m.Users[j].Name })
	return m
}

// Clone returns a deep copy the plan can change.
func (m *Model) Clone() *Model {
	c := &Model{Account: m.Account, Groups: map[string]*Group{}, Policies: m.Policies}
	for k, g := range m.Groups {
		ng := *g
		ng.Policies = slices.Clone(g.Policies)
		c.Groups[k] = &ng
	}
	for _, u := range m.Users {
		nu := *u
		nu.Groups = slices.Clone(u.Groups)
		nu.Direct = slices.Clone(u.Direct)
		c.Users = append(c.Users, &nu)
	}
	return c
}

// User returns the user named n.
func (m *Model) User(n string) *User {
	for _, u := range m.Users {
		if u.Name == n {
			return u
		}
	}
	return nil
}

// Members returns the names of the group's members, sorted.
func (m *Model) Members(group string) []string {
	var out []string
	for _, u := range m.Users {
		if slices.Contains(u.Groups, group) {
			out = append(out, u.Name)
		}
	}
	return out
}

// MissingPolicyError names a managed policy whose document the snapshot
// lacks.
type MissingPolicyError struct{ ARN, Where string }

func (e *MissingPolicyError) Error() string {
	return fmt.Sprintf("managed policy %s (attached to %s) has no document in the snapshot", e.ARN, e.Where)
}

// Grants returns the policies that apply to user u.
func (m *Model) Grants(u *User) (*Grants, error) {
	g := &Grants{Principal: u.ARN, UserName: u.Name}
	add := func(arn, src string) error {
		doc, ok := m.Policies[arn]
		if !ok {
			return &MissingPolicyError{ARN: arn, Where: src}
		}
		g.Identity = append(g.Identity, Doc{Name: arn, Source: src, JSON: doc})
		return nil
	}
	for _, p := range u.Direct {
		if err := add(p, "user "+u.Name); err != nil {
			return nil, err
		}
	}
	for _, p := range u.Inline {
		g.Identity = append(g.Identity, Doc{Name: "inline:" + u.Name + "/" + p.PolicyName, Source: "direct", JSON: p.Document})
	}
	for _, gn := range u.Groups {
		gr := m.Groups[gn]
		if gr == nil {
			return nil, fmt.Errorf("user %s is in group %s, which the snapshot does not have", u.Name, gn)
		}
		for _, p := range gr.Policies {
			if err := add(p, "group "+gn); err != nil {
				return nil, err
			}
		}
		for _, p := range gr.Inline {
			g.Identity = append(g.Identity, Doc{Name: "inline:" + gn + "/" + p.PolicyName, Source: "group:" + gn, JSON: p.Document})
		}
	}
	if u.Boundary != "" {
		doc, ok := m.Policies[u.Boundary]
		if !ok {
			return nil, &MissingPolicyError{ARN: u.Boundary, Where: "boundary of " + u.Name}
		}
		g.Boundary = &Doc{Name: u.Boundary, Source: "boundary", JSON: doc}
	}
	return g, nil
}

// GroupGrants returns the policies of a group alone, as a user named like
// the group that had only that group would have them (policy variables such
// as ${aws:username} then grant the member's own resources), for subset
// comparisons between groups.
func (m *Model) GroupGrants(name string) (*Grants, error) {
	g := m.Groups[name]
	if g == nil {
		return nil, fmt.Errorf("no group %s in account %s", name, m.Account)
	}
	return m.Grants(&User{ARN: strings.Replace(g.ARN, ":group/", ":user/", 1), Name: name, Groups: []string{name}})
}

// NewActionSet sorts and deduplicates actions into a set.
func NewActionSet(actions []string) ActionSet {
	s := slices.Clone(actions)
	sort.Strings(s)
	return slices.Compact(s)
}
