package leastpriv

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/catalog"
)

// Confidence of an unused verdict.
const (
	ConfUnused  = "unused"  // the evidence covers the action and shows no use
	ConfUnknown = "unknown" // the evidence does not cover it; Why says why
	// ConfUndetermined: whether the action is granted at all is not known
	// (a KMS key whose key policy was not collected); Why says why.
	ConfUndetermined = "undetermined"
)

// MinWindowDays is the shortest window in which seiri calls an action
// unused: monthly jobs must have had a chance to run.
const MinWindowDays = 30

// ActionVerdict is one granted action that was not used.
type ActionVerdict struct {
	Action     string              `json:"action"`
	Access     catalog.AccessLevel `json:"access"`
	Confidence string              `json:"confidence"`
	Why        string              `json:"why,omitempty"`
}

// PrincipalResult is the unused-permissions analysis of one principal.
type PrincipalResult struct {
	Principal     string    `json:"principal"`
	Account       string    `json:"account"`
	Kind          string    `json:"kind"`
	PermissionSet string    `json:"permissionSet,omitempty"`
	Window        string    `json:"window"`
	WindowEnd     time.Time `json:"windowEnd"`
	Granted       int       `json:"granted"`
	Used          int       `json:"used"`
	// Unused counts granted actions without use; UnusedCertain those with
	// confidence "unused", UnusedHighRisk the certain ones at
	// Permissions management or Write.
	Unused         int             `json:"unused"`
	UnusedCertain  int             `json:"unusedCertain"`
	UnusedHighRisk int             `json:"unusedHighRisk"`
	ByLevel        map[string]int  `json:"unusedByLevel"`
	UsedActions    []string        `json:"usedActions,omitempty"`
	UsedNotGranted []string        `json:"usedNotGranted,omitempty"`
	UnusedServices []string        `json:"unusedServices,omitempty"`
	Actions        []ActionVerdict `json:"unusedActions,omitempty"` // ranked by risk
	// Top are the highest-risk certainly-unused actions (at most TopUnused).
	Top      []string   `json:"topUnused,omitempty"`
	LastUsed *time.Time `json:"lastUsed,omitempty"`
	Verdict  string     `json:"verdict"`
	Problems []string   `json:"problems,omitempty"`
	p        *Principal
}

// Analysis holds what every per-principal analysis needs.
type Analysis struct {
	Model    *Model
	Usage    *Usage
	Coverage map[string]*Coverage

	svcSeen map[string]bool
	bases   map[string]*base
}

// NewAnalysis prepares an analysis of u over m.
func NewAnalysis(m *Model, u *Usage) *Analysis {
	return &Analysis{Model: m, Usage: u, Coverage: Coverages(m.Snapshot, u.Seen)}
}

// base is the part of an analysis shared by the principals of one policy
// set in one account: every granted action's evidence gap and the counts
// as if nothing were used. A principal's result subtracts what it used, so
// --all costs O(used actions) per principal, not O(granted).
type base struct {
	why      []string // per Grants.List index; "" when the evidence covers it
	order    []int    // Grants.List indices, highest risk first, then name
	byLevel  map[catalog.AccessLevel]int
	certain  int
	highRisk int
	bySvc    map[string][]int
}

func highRisk(l catalog.AccessLevel) bool {
	return l == catalog.PermissionsManagement || l == catalog.Write
}

func (an *Analysis) base(p *Principal, g *Grants) *base {
	cov := an.Coverage[p.Account]
	k := p.key + "\x00" + cov.signature()
	if b, ok := an.bases[k]; ok {
		return b
	}
	b := &base{why: make([]string, len(g.List)), order: make([]int, len(g.List)), byLevel: map[catalog.AccessLevel]int{}, bySvc: map[string][]int{}}
	for i, gr := range g.List {
		a := gr.Action
		b.why[i] = an.why(a, strings.ToLower(a.FullName()), cov)
		if gr.Undetermined != "" {
			// Whether it is granted at all is not known (a key policy
			// not collected): never "unused".
			b.why[i] = gr.Undetermined
		}
		b.order[i] = i
		b.byLevel[a.Access]++
		if b.why[i] == "" {
			b.certain++
			if highRisk(a.Access) {
				b.highRisk++
			}
		}
		b.bySvc[a.Service.Prefix] = append(b.bySvc[a.Service.Prefix], i)
	}
	slices.SortFunc(b.order, func(x, y int) int {
		ax, ay := g.List[x].Action, g.List[y].Action
		if c := cmp.Compare(ay.Access.Rank(), ax.Access.Rank()); c != 0 {
			return c
		}
		if (b.why[x] == "") != (b.why[y] == "") {
			if b.why[x] == "" {
				return -1
			}
			return 1
		}
		return strings.Compare(ax.FullName(), ay.FullName())
	})
	if an.bases == nil {
		an.bases = map[string]*base{}
	}
	an.bases[k] = b
	return b
}

// TopUnused is how many certainly-unused actions a result names without
// detail (for findings).
const TopUnused = 10

// Unused analyses one principal. detail lists every unused action (ranked)
// and the used ones; without it only the counts and the TopUnused
// highest-risk certain ones are filled (the organization view).
func (an *Analysis) Unused(p *Principal, detail bool) *PrincipalResult {
	m := an.Model
	g := m.Granted(p)
	b := an.base(p, g)
	w := an.Usage.Window
	r := &PrincipalResult{Principal: p.ARN, Account: p.Account, Kind: p.Kind, PermissionSet: p.PermissionSet,
		Window: w.String(), WindowEnd: w.End, Granted: len(g.List), ByLevel: map[string]int{}, Problems: p.Problems, p: p}
	aa := an.accessAdvisorUsed(p)
	used, notGranted := an.used(p, g, aa, r, detail)
	override := an.overrides(b, aa, used)
	countUnused(r, g, b, used, override)
	usedSvc := map[string]bool{}
	for i := range used {
		usedSvc[g.List[i].Action.Service.Prefix] = true
	}
	for svc := range b.bySvc {
		if !usedSvc[svc] && !aa.service[svc] {
			r.UnusedServices = append(r.UnusedServices, svc)
		}
	}
	slices.Sort(r.UnusedServices)
	listUnused(r, g, b, used, override, detail)
	if detail {
		for i, how := range used {
			r.UsedActions = append(r.UsedActions, g.List[i].Action.FullName()+how)
		}
		slices.Sort(r.UsedActions)
		slices.Sort(notGranted)
		r.UsedNotGranted = notGranted
		for _, v := range r.Actions {
			if v.Confidence == ConfUnused && len(r.Top) < TopUnused {
				r.Top = append(r.Top, v.Action)
			}
		}
	}
	r.Verdict = verdict(r, w)
	return r
}

// used maps the granted actions p used to how the use is known: "" by
// CloudTrail, " (Access Advisor)" by the second witness alone. It sets the
// last call, and (with detail) lists the actions used but not granted.
func (an *Analysis) used(p *Principal, g *Grants, aa aaView, r *PrincipalResult, detail bool) (map[int]string, []string) {
	used := map[int]string{} // Grants.List index → "" (CloudTrail) or " (Access Advisor)"
	var notGranted []string
	if us := an.Usage.By[p]; us != nil {
		var last time.Time
		for k, t := range us.Actions {
			if t.After(last) {
				last = t
			}
			if i, ok := g.index()[k]; ok {
				used[i] = ""
			} else if detail {
				notGranted = append(notGranted, k)
			}
		}
		if !last.IsZero() {
			r.LastUsed = &last
		}
	}
	for k := range aa.action {
		if i, ok := g.index()[k]; ok {
			if _, seen := used[i]; !seen {
				// Access Advisor's action-level data saw it: used, by the
				// second witness.
				used[i] = " (Access Advisor)"
			}
		}
	}
	return used, notGranted
}

// overrides are the unused actions of services Access Advisor saw used
// while CloudTrail has no call to them: the logs miss something, so they
// are not called unused (the reason, by Grants.List index).
func (an *Analysis) overrides(b *base, aa aaView, used map[int]string) map[int]string {
	override := map[int]string{}
	for svc := range aa.service {
		if aa.tracked[svc] || an.serviceSeen(svc) {
			continue
		}
		for _, i := range b.bySvc[svc] {
			if _, u := used[i]; !u && b.why[i] == "" {
				override[i] = "Access Advisor saw " + svc + " used in the window but CloudTrail has no call to it"
			}
		}
	}
	return override
}

// countUnused fills the counts: used, unused, certain, high-risk and by
// access level, from the base's "nothing used" counts.
func countUnused(r *PrincipalResult, g *Grants, b *base, used, override map[int]string) {
	certain, hr := b.certain, b.highRisk
	for l, n := range b.byLevel {
		r.ByLevel[l.String()] = n
	}
	for i := range used {
		a := g.List[i].Action
		r.ByLevel[a.Access.String()]--
		if b.why[i] == "" {
			certain--
			if highRisk(a.Access) {
				hr--
			}
		}
	}
	for i := range override {
		certain--
		if highRisk(g.List[i].Action.Access) {
			hr--
		}
	}
	for l, n := range r.ByLevel {
		if n == 0 {
			delete(r.ByLevel, l)
		}
	}
	r.Used = len(used)
	r.Unused = r.Granted - r.Used
	r.UnusedCertain, r.UnusedHighRisk = certain, hr
}

// listUnused lists the unused actions in the base's risk order: every one
// with its confidence (detail), or the TopUnused certain ones.
func listUnused(r *PrincipalResult, g *Grants, b *base, used, override map[int]string, detail bool) {
	for _, i := range b.order {
		if _, u := used[i]; u {
			continue
		}
		why, over := override[i]
		if !over {
			why = b.why[i]
		}
		if !detail {
			if len(r.Top) == TopUnused {
				break
			}
			if why == "" {
				r.Top = append(r.Top, g.List[i].Action.FullName())
			}
			continue
		}
		v := ActionVerdict{Action: g.List[i].Action.FullName(), Access: g.List[i].Action.Access, Confidence: ConfUnused, Why: why}
		if why != "" {
			v.Confidence = ConfUnknown
		}
		if g.List[i].Undetermined != "" {
			v.Confidence = ConfUndetermined
		}
		r.Actions = append(r.Actions, v)
	}
}

func verdict(r *PrincipalResult, w Window) string {
	win := "window " + w.String()
	missing := 0
	for _, pr := range r.Problems {
		if strings.HasPrefix(pr, DocumentMissing) {
			missing++
		}
	}
	if missing > 0 {
		// A policy whose document is absent grants something unknown:
		// never "grants nothing", never a complete count.
		what := fmt.Sprintf("document missing for %d %s attached to it: what %s is unknown", missing, plural(missing, "policy", "policies"), plural(missing, "it grants", "they grant"))
		if r.Granted == 0 {
			return fmt.Sprintf("%s; the documents read grant nothing (%s)", what, win)
		}
		return fmt.Sprintf("%s; of what the documents read grant, it uses %d of %d actions (%s)", what, r.Used, r.Granted, win)
	}
	switch {
	case r.Granted == 0:
		return "grants nothing (" + win + ")"
	case r.Used == 0 && r.UnusedCertain == r.Unused:
		return fmt.Sprintf("used none of %d granted actions: remove its permissions or the principal (%s)", r.Granted, win)
	case r.Used == 0:
		return fmt.Sprintf("no use seen of %d granted actions, %d of them not covered by the evidence (%s)", r.Granted, r.Unused-r.UnusedCertain, win)
	case r.Unused == 0:
		return fmt.Sprintf("uses everything it is granted (%s)", win)
	}
	pct := 100 * r.Used / r.Granted
	return fmt.Sprintf("uses %d of %d granted actions (%d%%); %d unused, %d of them high-risk: generate a least-privilege policy (%s)",
		r.Used, r.Granted, pct, r.UnusedCertain, r.UnusedHighRisk, win)
}

type aaView struct {
	service map[string]bool // service accessed in the window
	action  map[string]bool // lower-cased "svc:action" accessed in the window
	// tracked are the services with action-level data.
	tracked map[string]bool
}

func (an *Analysis) accessAdvisorUsed(p *Principal) aaView {
	v := aaView{service: map[string]bool{}, action: map[string]bool{}, tracked: map[string]bool{}}
	start := an.Usage.Window.Start
	for _, sa := range p.AccessAdvisor {
		if sa.LastAuthenticated != nil && !sa.LastAuthenticated.Before(start) {
			v.service[sa.ServiceNamespace] = true
		}
		if len(sa.Actions) > 0 {
			v.tracked[sa.ServiceNamespace] = true
		}
		for _, aa := range sa.Actions {
			if aa.LastAccessed != nil && !aa.LastAccessed.Before(start) {
				v.action[strings.ToLower(sa.ServiceNamespace+":"+aa.ActionName)] = true
			}
		}
	}
	return v
}

// why returns why the evidence does not cover an action ("" when it
// does), from the window and the account's trail coverage.
func (an *Analysis) why(a *catalog.Action, k string, cov *Coverage) string {
	if r, ok := notRecorded[k]; ok {
		return r
	}
	w := an.Usage.Window
	if w.Days < MinWindowDays {
		return fmt.Sprintf("window of %d days is shorter than %d", w.Days, MinWindowDays)
	}
	if c := w.CoveredDays(); c < MinWindowDays {
		return fmt.Sprintf("the logs cover only %d days of the window", c)
	}
	if cov == nil || !cov.Management {
		return "no trail logs this account"
	}
	if t := dataEventType(a); t != "" && !cov.Data[t] {
		return "data events (" + t + ") are not logged for this account"
	}
	if !cov.AllRegions {
		return "only single-region trails (" + strings.Join(cov.Regions, ", ") + ") log this account"
	}
	return ""
}

// serviceSeen reports whether CloudTrail shows any call to the service.
func (an *Analysis) serviceSeen(svc string) bool {
	if an.svcSeen == nil {
		an.svcSeen = map[string]bool{}
		for _, us := range an.Usage.By {
			for k := range us.Actions {
				s, _, _ := strings.Cut(k, ":")
				an.svcSeen[s] = true
			}
		}
	}
	return an.svcSeen[svc]
}

// Principals selects principals: by ARN, by account, or all (service-linked
// roles are never selected: seiri does not change them).
func (m *Model) Select(arn, account string) []*Principal {
	var out []*Principal
	for _, p := range m.Principals {
		if p.ServiceLinked {
			continue
		}
		if arn != "" && p.ARN != arn && m.Lookup(arn) != p {
			continue
		}
		if account != "" && p.Account != account {
			continue
		}
		out = append(out, p)
	}
	return out
}

// OrgView is the organization-wide summary.
type OrgView struct {
	Window     string             `json:"window"`
	Principals []*PrincipalResult `json:"principals"` // most unused high-risk first
	Accounts   []AccountTotals    `json:"accounts"`
	// PermissionSets totals Identity Center roles by permission set.
	PermissionSets []PermissionSetTotals `json:"permissionSets,omitempty"`
	Skipped        map[string]int64      `json:"skippedUsageRows,omitempty"`
}

// AccountTotals sums one account's principals.
type AccountTotals struct {
	Account        string `json:"account"`
	Principals     int    `json:"principals"`
	Granted        int    `json:"granted"`
	Used           int    `json:"used"`
	Unused         int    `json:"unused"`
	UnusedCertain  int    `json:"unusedCertain"`
	UnusedHighRisk int    `json:"unusedHighRisk"`
	Idle           int    `json:"idlePrincipals"` // used nothing
}

// PermissionSetTotals sums the AWSReservedSSO_* roles of one permission set
// across accounts.
type PermissionSetTotals struct {
	PermissionSet  string `json:"permissionSet"`
	Roles          int    `json:"roles"`
	Used           int    `json:"usedActions"` // distinct actions used by any of its roles
	UnusedHighRisk int    `json:"unusedHighRisk"`
}

// Organization analyses ps (counts only) and ranks them.
func (an *Analysis) Organization(ps []*Principal, workers int) *OrgView {
	an.Model.GrantedAll(ps, workers)
	v := &OrgView{Window: an.Usage.Window.String(), Skipped: an.Usage.Skipped}
	acc := map[string]*AccountTotals{}
	psets := map[string]*PermissionSetTotals{}
	psUsed := map[string]map[string]bool{}
	for _, p := range ps {
		r := an.Unused(p, false)
		v.Principals = append(v.Principals, r)
		t := acc[p.Account]
		if t == nil {
			t = &AccountTotals{Account: p.Account}
			acc[p.Account] = t
		}
		t.Principals++
		t.Granted += r.Granted
		t.Used += r.Used
		t.Unused += r.Unused
		t.UnusedCertain += r.UnusedCertain
		t.UnusedHighRisk += r.UnusedHighRisk
		if r.Used == 0 {
			t.Idle++
		}
		if p.PermissionSet != "" {
			pt := psets[p.PermissionSet]
			if pt == nil {
				pt = &PermissionSetTotals{PermissionSet: p.PermissionSet}
				psets[p.PermissionSet] = pt
				psUsed[p.PermissionSet] = map[string]bool{}
			}
			pt.Roles++
			pt.UnusedHighRisk += r.UnusedHighRisk
			if us := an.Usage.By[p]; us != nil {
				for a := range us.Actions {
					psUsed[p.PermissionSet][a] = true
				}
			}
		}
	}
	slices.SortStableFunc(v.Principals, func(x, y *PrincipalResult) int {
		if c := cmp.Compare(y.UnusedHighRisk, x.UnusedHighRisk); c != 0 {
			return c
		}
		if c := cmp.Compare(y.UnusedCertain, x.UnusedCertain); c != 0 {
			return c
		}
		return strings.Compare(x.Principal, y.Principal)
	})
	for _, t := range acc {
		v.Accounts = append(v.Accounts, *t)
	}
	slices.SortFunc(v.Accounts, func(x, y AccountTotals) int { return strings.Compare(x.Account, y.Account) })
	for name, pt := range psets {
		pt.Used = len(psUsed[name])
		v.PermissionSets = append(v.PermissionSets, *pt)
	}
	slices.SortFunc(v.PermissionSets, func(x, y PermissionSetTotals) int { return strings.Compare(x.PermissionSet, y.PermissionSet) })
	return v
}
