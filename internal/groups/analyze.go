package groups

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// MaxGroupsPerUser is IAM's fixed limit (IAM User Guide, "IAM and AWS STS
// quotas": groups per user, 10).
const MaxGroupsPerUser = 10

// Options tune the analysis.
type Options struct {
	// Threshold is the Jaccard similarity at or above which two users'
	// granted actions count as near-identical (default 0.9).
	Threshold float64
	// NearLimit: users in at least this many groups are reported (default 8).
	NearLimit int
	// ManyTeams: users in groups of at least this many teams are reported
	// (default 3).
	ManyTeams int
	// Effective computes granted actions (default: the built-in Engine).
	Effective Effective
	// Used gives the actions a principal used in the window (nil: usage
	// unknown, and the "unused" checks are skipped).
	Used map[string]ActionSet
}

func (o *Options) defaults() {
	if o.Threshold <= 0 {
		o.Threshold = 0.9
	}
	if o.NearLimit <= 0 {
		o.NearLimit = 8
	}
	if o.ManyTeams <= 0 {
		o.ManyTeams = 3
	}
}

// Analysis is the result for one account.
type Analysis struct {
	Account    string        `json:"account"`
	Users      []UserRow     `json:"users"`
	Clusters   []Cluster     `json:"clusters"`
	Moves      []Move        `json:"moves"`
	Problems   []Problem     `json:"problems"`
	Redundant  []Redundancy  `json:"redundantMemberships"`
	UsageKnown bool          `json:"usageKnown"`
	Skipped    []SkippedUser `json:"skipped,omitempty"`

	model   *Model
	granted map[string]ActionSet
}

// UserRow is one line of the user × group × policy matrix.
type UserRow struct {
	User     string   `json:"user"`
	Groups   []string `json:"groups"`
	Direct   []string `json:"directPolicies,omitempty"`
	Inline   int      `json:"inlinePolicies,omitempty"`
	Granted  int      `json:"grantedActions"`
	Used     int      `json:"usedActions"`
	Services []string `json:"topServices,omitempty"`
}

// SkippedUser is a user whose permissions could not be computed.
type SkippedUser struct {
	User   string `json:"user"`
	Reason string `json:"reason"`
}

// Cluster is a set of users with near-identical granted actions: a candidate
// group.
type Cluster struct {
	Name       string   `json:"name"`
	Members    []string `json:"members"`
	Similarity float64  `json:"minSimilarity"`
	Services   []string `json:"dominantServices"`
	// CommonPolicies are the managed policies every member has (directly or
	// through a group): the candidate group's policies.
	CommonPolicies []string `json:"commonPolicies"`
}

// Move is a user whose direct policies an existing group already grants.
type Move struct {
	User     string   `json:"user"`
	Group    string   `json:"group"`
	Policies []string `json:"policies"` // direct policy ARNs to detach
}

// Redundancy is a membership that adds nothing: the user's other group
// grants a superset.
type Redundancy struct {
	User    string `json:"user"`
	Group   string `json:"group"`
	Covered string `json:"coveredBy"`
}

// Problem is one finding about the group model.
type Problem struct {
	Kind       string `json:"kind"` // near-limit, empty-group, no-policies, unused-group, subset-group, duplicate-path, many-teams
	Subject    string `json:"subject"`
	Detail     string `json:"detail"`
	Suggestion string `json:"suggestion,omitempty"`
}

// Analyze computes the analysis of one account's model.
func Analyze(m *Model, opt Options) (*Analysis, error) {
	opt.defaults()
	if opt.Effective == nil {
		return nil, fmt.Errorf("groups: no effective-permissions engine")
	}
	an := &Analysis{Account: m.Account, model: m, granted: map[string]ActionSet{}, UsageKnown: opt.Used != nil}
	users := an.grantUsers(opt.Effective)
	groupGranted := an.grantGroups(opt.Effective)
	an.matrix(users, opt.Used)
	an.Clusters = cluster(m, users, an.granted, opt.Threshold)
	an.Moves = moves(m, users, an.granted, opt.Effective)
	an.Redundant = redundant(users, groupGranted)
	an.nearLimit(users, opt.NearLimit)
	an.manyTeams(users, opt.ManyTeams)
	an.groupProblems(groupGranted, opt.Used)
	an.subsetGroups(groupGranted)
	an.duplicatePaths(users)
	sort.SliceStable(an.Problems, func(i, j int) bool { return an.Problems[i].Kind < an.Problems[j].Kind })
	return an, nil
}

// grantUsers computes every user's granted actions; a user whose policies
// cannot be read is skipped with the reason. It returns the computed users.
func (an *Analysis) grantUsers(eff Effective) []*User {
	m := an.model
	var users []*User
	for _, u := range m.Users {
		g, err := m.Grants(u)
		if err == nil {
			var s ActionSet
			s, err = eff(g)
			if err == nil {
				an.granted[u.Name] = s
				users = append(users, u)
				continue
			}
		}
		an.Skipped = append(an.Skipped, SkippedUser{User: u.Name, Reason: err.Error()})
	}
	return users
}

// grantGroups computes every group's granted actions on its own; an
// unreadable group is a problem.
func (an *Analysis) grantGroups(eff Effective) map[string]ActionSet {
	m := an.model
	groupGranted := map[string]ActionSet{}
	for _, gn := range sortedKeys(m.Groups) {
		g, err := m.GroupGrants(gn)
		if err != nil {
			an.Problems = append(an.Problems, Problem{Kind: "unreadable-group", Subject: gn, Detail: err.Error()})
			continue
		}
		s, err := eff(g)
		if err != nil {
			an.Problems = append(an.Problems, Problem{Kind: "unreadable-group", Subject: gn, Detail: err.Error()})
			continue
		}
		groupGranted[gn] = s
	}
	return groupGranted
}

// matrix fills the users × groups × policies rows.
func (an *Analysis) matrix(users []*User, used map[string]ActionSet) {
	for _, u := range users {
		s := an.granted[u.Name]
		row := UserRow{User: u.Name, Groups: u.Groups, Direct: u.Direct, Inline: len(u.Inline), Granted: len(s), Used: len(used[u.ARN])}
		for i, sc := range s.Services() {
			if i == 3 {
				break
			}
			row.Services = append(row.Services, sc.Service)
		}
		an.Users = append(an.Users, row)
	}
}

// nearLimit reports users in at least limit groups, suggesting the
// memberships other groups of the user cover.
func (an *Analysis) nearLimit(users []*User, limit int) {
	for _, u := range users {
		n := len(u.Groups)
		if n < limit {
			continue
		}
		sug := fmt.Sprintf("%d of %d groups used", n, MaxGroupsPerUser)
		var drop []string
		for _, r := range an.Redundant {
			if r.User == u.Name {
				drop = append(drop, r.Group)
			}
		}
		if len(drop) > 0 {
			sug = fmt.Sprintf("leave %s (granted by other groups of the user): %d groups, nothing lost", strings.Join(drop, ", "), n-len(drop))
		}
		an.Problems = append(an.Problems, Problem{Kind: "near-limit", Subject: u.Name, Detail: fmt.Sprintf("in %d groups (IAM limit %d)", n, MaxGroupsPerUser), Suggestion: sug})
	}
}

// manyTeams reports users in groups of at least many teams.
func (an *Analysis) manyTeams(users []*User, many int) {
	teamsOf := teamNames(an.model)
	for _, u := range users {
		teams := map[string]bool{}
		for _, g := range u.Groups {
			if t := teamsOf[g]; t != "" {
				teams[t] = true
			}
		}
		if len(teams) < many {
			continue
		}
		ts := sortedKeys(teams)
		// The concrete suggestion: leave the memberships another group of
		// the user covers; what remains is the user's model (≤ 10 groups).
		var keep []string
		for _, g := range u.Groups {
			if !slices.ContainsFunc(an.Redundant, func(r Redundancy) bool { return r.User == u.Name && r.Group == g }) {
				keep = append(keep, g)
			}
		}
		sug := fmt.Sprintf("keep %s (%d groups, nothing lost)", strings.Join(keep, ", "), len(keep))
		if len(keep) > MaxGroupsPerUser {
			sug = fmt.Sprintf("even without covered groups %d remain: create one group per role this person has across teams (see candidate groups)", len(keep))
		}
		an.Problems = append(an.Problems, Problem{Kind: "many-teams", Subject: u.Name,
			Detail: fmt.Sprintf("in groups of %d teams: %s", len(ts), strings.Join(ts, ", ")), Suggestion: sug})
	}
}

// groupProblems reports empty groups, groups without policies and (with
// usage) groups none of whose actions a member used.
func (an *Analysis) groupProblems(groupGranted map[string]ActionSet, used map[string]ActionSet) {
	m := an.model
	// A group the moves put users into is kept, whatever it looks like now:
	// advising to delete it would contradict the moves.
	movingInto := map[string][]string{}
	for _, mv := range an.Moves {
		movingInto[mv.Group] = append(movingInto[mv.Group], mv.User)
	}
	keepFor := func(gn, otherwise string) string {
		if us := movingInto[gn]; len(us) > 0 {
			return "keep it: the moves put " + strings.Join(us, ", ") + " in it"
		}
		return otherwise
	}
	for _, gn := range sortedKeys(m.Groups) {
		g := m.Groups[gn]
		members := m.Members(gn)
		if len(members) == 0 {
			an.Problems = append(an.Problems, Problem{Kind: "empty-group", Subject: gn, Detail: "no members", Suggestion: keepFor(gn, "delete the group")})
		}
		if len(g.Policies) == 0 && len(g.Inline) == 0 {
			an.Problems = append(an.Problems, Problem{Kind: "no-policies", Subject: gn, Detail: fmt.Sprintf("no policies (%d members)", len(members)), Suggestion: "attach the team's policy or delete the group"})
		}
		if used != nil && len(members) > 0 && len(groupGranted[gn]) > 0 && !anyMemberUsed(m, members, groupGranted[gn], used) {
			an.Problems = append(an.Problems, Problem{Kind: "unused-group", Subject: gn, Detail: fmt.Sprintf("no member used any of its %d actions in the window", len(groupGranted[gn])), Suggestion: keepFor(gn, "remove the members (they lose only unused permissions) or delete the group")})
		}
	}
}

// anyMemberUsed reports whether a member used one of the actions.
func anyMemberUsed(m *Model, members []string, actions ActionSet, used map[string]ActionSet) bool {
	for _, mn := range members {
		for _, a := range used[m.User(mn).ARN] {
			if actions.Contains(a) {
				return true
			}
		}
	}
	return false
}

// subsetGroups reports, once per group whose grants another group's
// contain, every such group; members of both are the ones the suggestion
// is for.
func (an *Analysis) subsetGroups(groupGranted map[string]ActionSet) {
	m := an.model
	names := sortedKeys(groupGranted)
	for _, a := range names {
		sa := groupGranted[a]
		if len(sa) == 0 {
			continue
		}
		var equal, wider []string
		both := map[string]bool{}
		for _, b := range names {
			sb := groupGranted[b]
			if a == b || !sa.SubsetOf(sb) {
				continue
			}
			if sa.Equal(sb) {
				equal = append(equal, b)
			} else {
				wider = append(wider, b)
			}
			for _, mn := range m.Members(a) {
				if slices.Contains(m.User(mn).Groups, b) {
					both[mn] = true
				}
			}
		}
		if len(equal) == 0 && len(wider) == 0 {
			continue
		}
		var parts []string
		if len(equal) > 0 {
			parts = append(parts, "the same as "+strings.Join(equal, ", "))
		}
		if len(wider) > 0 {
			parts = append(parts, "a subset of "+strings.Join(wider, ", "))
		}
		p := Problem{Kind: "subset-group", Subject: a, Detail: fmt.Sprintf("grants %s (%d actions)", strings.Join(parts, "; "), len(sa))}
		if len(both) > 0 {
			p.Suggestion = fmt.Sprintf("%d of its members are also in a group that covers it: they need only that one (see groups plan)", len(both))
		} else if len(equal) > 0 {
			p.Suggestion = "merge the equal groups"
		}
		an.Problems = append(an.Problems, p)
	}
}

// duplicatePaths reports a managed policy a user reaches through several
// paths (direct and groups).
func (an *Analysis) duplicatePaths(users []*User) {
	m := an.model
	for _, u := range users {
		paths := map[string][]string{}
		for _, p := range u.Direct {
			paths[p] = append(paths[p], "direct")
		}
		for _, gn := range u.Groups {
			if g := m.Groups[gn]; g != nil {
				for _, p := range g.Policies {
					paths[p] = append(paths[p], "group "+gn)
				}
			}
		}
		for _, p := range sortedKeys(paths) {
			if len(paths[p]) > 1 {
				an.Problems = append(an.Problems, Problem{Kind: "duplicate-path", Subject: u.Name, Detail: fmt.Sprintf("%s through %s", policyName(p), strings.Join(paths[p], ", ")), Suggestion: "keep one path"})
			}
		}
	}
}

// Granted returns the computed granted actions of a user.
func (a *Analysis) Granted(user string) ActionSet { return a.granted[user] }

// Model returns the model the analysis was made on.
func (a *Analysis) Model() *Model { return a.model }

func policyName(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// teamNames maps a group to its team: the prefix before the first '-' when
// at least two groups share it (payments-developers, payments-admins).
func teamNames(m *Model) map[string]string {
	count := map[string]int{}
	for gn := range m.Groups {
		if p, _, ok := strings.Cut(gn, "-"); ok {
			count[p]++
		}
	}
	out := map[string]string{}
	for gn := range m.Groups {
		if p, _, ok := strings.Cut(gn, "-"); ok && count[p] >= 2 {
			out[gn] = p
		}
	}
	return out
}

// cluster groups users greedily (in name order) with the first cluster
// whose every member is at least threshold-similar: deterministic and
// O(users × clusters).
func cluster(m *Model, users []*User, granted map[string]ActionSet, threshold float64) []Cluster {
	type cl struct {
		members []*User
		min     float64
	}
	var cls []*cl
	for _, u := range users {
		s := granted[u.Name]
		if len(s) == 0 {
			continue
		}
		placed := false
		for _, c := range cls {
			lo := 1.0
			ok := true
			for _, o := range c.members {
				// |a∩b|/|a∪b| ≤ min/max of the sizes (and so is its
				// rounded quotient: rounding is monotonic): a bound under
				// the threshold decides without comparing the sets.
				os := granted[o.Name]
				if lo, hi := min(len(s), len(os)), max(len(s), len(os)); float64(lo)/float64(hi) < threshold {
					ok = false
					break
				}
				j := Jaccard(s, os)
				if j < threshold {
					ok = false
					break
				}
				lo = min(lo, j)
			}
			if ok {
				c.members = append(c.members, u)
				c.min = min(c.min, lo)
				placed = true
				break
			}
		}
		if !placed {
			cls = append(cls, &cl{members: []*User{u}, min: 1})
		}
	}
	var out []Cluster
	used := map[string]bool{}
	for _, c := range cls {
		if len(c.members) < 2 {
			continue
		}
		inter := granted[c.members[0].Name]
		var names []string
		groupCount := map[string]int{}
		var common []string
		for i, u := range c.members {
			names = append(names, u.Name)
			for _, g := range u.Groups {
				groupCount[g]++
			}
			ps := allPolicies(m, u)
			if i == 0 {
				common = ps
			} else {
				common = slices.DeleteFunc(common, func(p string) bool { return !slices.Contains(ps, p) })
			}
			inter = intersect(inter, granted[u.Name])
		}
		var svcs []string
		for i, sc := range inter.Services() {
			if i == 2 {
				break
			}
			svcs = append(svcs, sc.Service)
		}
		name := clusterName(groupCount, len(c.members), svcs)
		for base, n := name, 2; used[name]; n++ {
			name = fmt.Sprintf("%s-%d", base, n)
		}
		used[name] = true
		out = append(out, Cluster{Name: name, Members: names, Similarity: round2(c.min), Services: svcs, CommonPolicies: common})
	}
	return out
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

// intersect returns the actions of a that b holds. Both sets are sorted,
// so one merge pass does; a set intersected with
// itself (users sharing a policy set share their ActionSet) is returned as
// is. The result is read-only.
func intersect(a, b ActionSet) ActionSet {
	if len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0]) {
		if len(a) == 0 {
			return nil
		}
		return a
	}
	out := make(ActionSet, 0, min(len(a), len(b)))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			out = append(out, a[i])
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// allPolicies lists a user's managed policies, direct and through groups.
func allPolicies(m *Model, u *User) []string {
	var ps []string
	ps = append(ps, u.Direct...)
	for _, gn := range u.Groups {
		if g := m.Groups[gn]; g != nil {
			ps = append(ps, g.Policies...)
		}
	}
	sort.Strings(ps)
	return slices.Compact(ps)
}

// clusterName names a candidate group from the group most members share
// and the dominant services: "payments-developers+dynamodb-s3".
func clusterName(groupCount map[string]int, n int, svcs []string) string {
	best, bestN := "", 0
	for _, g := range sortedKeys(groupCount) {
		// Groups everybody has everywhere (self-service) say nothing.
		if groupCount[g] > bestN && !strings.Contains(g, "self-service") {
			best, bestN = g, groupCount[g]
		}
	}
	parts := []string{}
	if best != "" && bestN*2 >= n {
		parts = append(parts, best)
	}
	if len(svcs) > 0 {
		parts = append(parts, strings.Join(svcs, "-"))
	}
	if len(parts) == 0 {
		return "candidate"
	}
	name := strings.Join(parts, "+")
	// IAM group names: up to 128 characters of [\w+=,.@-] (IAM API
	// Reference, CreateGroup).
	if len(name) > 128 {
		name = name[:128]
	}
	return name
}

// moves finds users whose direct managed policies an existing group already
// grants: joining the group and dropping the direct policies leaves the
// user's granted actions equal (checked through the engine).
func moves(m *Model, users []*User, granted map[string]ActionSet, eff Effective) []Move {
	var out []Move
	for _, u := range users {
		// Workloads get roles instead (seiri roles suggest), not groups.
		if len(u.Direct) == 0 || len(u.Groups) >= MaxGroupsPerUser || u.Machine {
			continue
		}
		for _, gn := range sortedKeys(m.Groups) {
			g := m.Groups[gn]
			if slices.Contains(u.Groups, gn) {
				continue
			}
			var covered []string
			for _, p := range u.Direct {
				if slices.Contains(g.Policies, p) {
					covered = append(covered, p)
				}
			}
			if len(covered) == 0 {
				continue
			}
			nu := *u
			nu.Groups = append(slices.Clone(u.Groups), gn)
			nu.Direct = slices.DeleteFunc(slices.Clone(u.Direct), func(p string) bool { return slices.Contains(covered, p) })
			gr, err := m.Grants(&nu)
			if err != nil {
				continue
			}
			s, err := eff(gr)
			if err != nil || !s.Equal(granted[u.Name]) {
				continue
			}
			out = append(out, Move{User: u.Name, Group: gn, Policies: covered})
			break
		}
	}
	return out
}

// redundant finds memberships whose group grants a subset of another group
// the user is in (the widest group kept; of equal groups the first by name).
func redundant(users []*User, groupGranted map[string]ActionSet) []Redundancy {
	var out []Redundancy
	for _, u := range users {
		gs := slices.Clone(u.Groups)
		sort.Strings(gs)
		dropped := map[string]bool{}
		for _, a := range gs {
			sa, ok := groupGranted[a]
			if !ok || len(sa) == 0 {
				continue
			}
			for _, b := range gs {
				sb, ok := groupGranted[b]
				if a == b || dropped[b] || !ok || !sa.SubsetOf(sb) {
					continue
				}
				if sa.Equal(sb) && a < b {
					continue // keep the first of equal groups
				}
				dropped[a] = true
				out = append(out, Redundancy{User: u.Name, Group: a, Covered: b})
				break
			}
		}
	}
	return out
}
