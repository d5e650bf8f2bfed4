package dashboard

import (
	"cmp"
	"fmt"
	"html/template"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// page is what the template renders.
type page struct {
	Title     string
	Version   string
	Generated string
	Snapshot  string
	Previous  string
	UsageLine string
	Stats     []stat
	Next      []step
	Notes     []string
	Trend     *trend
	Sections  []*section
	Data      *data
}

type stat struct {
	Label, Value, Note string
}

type step struct {
	Text, Cmd, Href string
}

type trend struct {
	New, Resolved, Same int
	Changes             []string // "users 112 → 115"
}

type section struct {
	ID, Title string
	Intro     []string
	Absent    string // why the section is empty and what to run
	Facts     []stat
	Charts    []template.HTML
	Tables    []string
	Details   []detail
	Tree      *org.ReportNode
}

type detail struct {
	Summary, Body string
}

// builder turns an Input into a page.
type builder struct {
	in   Input
	d    *data
	p    *page
	now  time.Time
	keys map[string]keyInfo // access key id → its owner and seiri's record
	// journalState is what seiri did to a key: disabled, restored, deleted.
	journalState map[string]string
	findingsBy   map[string]int // account → findings
}

type keyInfo struct {
	account, user, userARN string
	key                    snapshot.AccessKey
}

func build(in Input) (*page, error) {
	if in.Snapshot == nil {
		return nil, fmt.Errorf("dashboard: no snapshot")
	}
	if in.Absent == nil {
		in.Absent = map[string]string{}
	}
	now := in.Now
	if now.IsZero() {
		now = in.Snapshot.Manifest.FinishedAt
	}
	b := &builder{in: in, d: newData(), now: now, keys: map[string]keyInfo{}, journalState: map[string]string{}, findingsBy: map[string]int{}}
	b.p = &page{
		Title:     "seiri report · " + filepath.Base(in.Snapshot.Dir),
		Version:   in.Version,
		Generated: in.Generated.UTC().Format(time.RFC3339),
		Snapshot:  snapshotLine(in.Snapshot),
		Notes:     in.Notes,
		Data:      b.d,
	}
	if in.Previous != nil {
		b.p.Previous = snapshotLine(in.Previous)
	}
	if in.Usage != nil {
		b.p.UsageLine = fmt.Sprintf("usage store %s: %s events in %s rows, %s to %s; analyses use %s",
			filepath.Base(in.Usage.Path), thousands(in.Usage.Totals.Events), thousands(in.Usage.Totals.Rows),
			day(in.Usage.Totals.FirstSeen), day(in.Usage.Totals.LastSeen), in.Usage.Window)
	}
	b.journal()
	b.entities()
	b.findings()
	b.keysSection()
	b.unusedSection()
	b.policiesSection()
	b.usageSection()
	b.groupsSection()
	b.rolesSection()
	b.ssoSection()
	b.orgSection()
	b.orgPlanSection()
	b.journalSection()
	b.overview()
	b.entitiesSection()
	return b.p, nil
}

func snapshotLine(s *snapshot.Snapshot) string {
	failed := 0
	for _, a := range s.Manifest.Accounts {
		if a.Failed() {
			failed++
		}
	}
	line := fmt.Sprintf("snapshot %s: collected %s", filepath.Base(s.Dir), s.Manifest.FinishedAt.UTC().Format(time.RFC3339))
	if s.Manifest.Source != "" {
		line += " (" + s.Manifest.Source + ")"
	}
	line += fmt.Sprintf(", %d accounts", len(s.Manifest.Accounts)-failed)
	if failed > 0 {
		line += fmt.Sprintf(" (%d not collected)", failed)
	}
	return line
}

func (b *builder) section(id, title string) *section {
	s := &section{ID: id, Title: title}
	b.p.Sections = append(b.p.Sections, s)
	return s
}

// absent marks a section empty with the reason given by the command, or the
// fallback (which names the command that produces it).
func (b *builder) absent(s *section, fallback string) {
	if r := b.in.Absent[s.ID]; r != "" {
		s.Absent = r
		return
	}
	s.Absent = fallback
}

// journal reads what seiri did to access keys.
func (b *builder) journal() {
	for _, e := range b.in.Journal {
		if e.Phase != plan.Done {
			continue
		}
		switch e.Kind {
		case "iam:UpdateAccessKey":
			if strings.Contains(e.Detail, "status Active") {
				b.journalState[e.Target] = "restored by seiri " + day(e.Time)
			} else {
				b.journalState[e.Target] = "disabled by seiri " + day(e.Time)
			}
		case "iam:DeleteAccessKey":
			b.journalState[e.Target] = "deleted by seiri " + day(e.Time)
		}
	}
}

// entities registers every account, user, role and access key of the
// snapshot, so that every table can link to them.
func (b *builder) entities() {
	s := b.in.Snapshot
	names := map[string]string{}
	for _, st := range s.Manifest.Accounts {
		names[st.AccountID] = st.Name
	}
	for _, st := range s.Manifest.Accounts {
		if st.Failed() {
			b.d.Entities[entityID("account", st.AccountID)] = &Entity{Kind: "account", Name: st.AccountID,
				Facts: [][]any{{"Account", st.AccountID}, {"Name", st.Name}, {"Collected", "no: " + st.Error}}}
		}
	}
	for _, a := range s.Accounts {
		aid := entityID("account", a.AccountID)
		name := a.Name
		if name == "" {
			name = names[a.AccountID]
		}
		keysN, active := 0, 0
		for _, u := range a.Users {
			for _, k := range u.AccessKeys {
				keysN++
				if k.Active() {
					active++
				}
			}
		}
		facts := [][]any{{"Account", a.AccountID}, {"Name", name}}
		if a.Alias != "" {
			facts = append(facts, []any{"Alias", a.Alias})
		}
		facts = append(facts, []any{"Collected", a.CollectedAt.UTC().Format(time.RFC3339)},
			[]any{"IAM users", len(a.Users)}, []any{"Roles", len(a.Roles)}, []any{"Groups", len(a.Groups)},
			[]any{"Access keys", fmt.Sprintf("%d (%d active)", keysN, active)}, []any{"CloudTrail trails", len(a.Trails)})
		if a.KeysUnknown {
			facts = append(facts, []any{"Access key ids", "unknown (imported account: get-account-authorization-details does not list them)"})
		}
		b.d.Entities[aid] = &Entity{Kind: "account", Name: a.AccountID, Facts: facts}
	}
	for _, a := range s.Accounts {
		for _, u := range a.Users {
			b.d.Entities[entityID("principal", u.ARN)] = &Entity{Kind: "user", Name: shortARN(u.ARN), Account: a.AccountID}
			for _, k := range u.AccessKeys {
				b.keys[k.AccessKeyID] = keyInfo{account: a.AccountID, user: u.UserName, userARN: u.ARN, key: k}
				b.d.Entities[entityID("key", k.AccessKeyID)] = &Entity{Kind: "key", Name: k.AccessKeyID, Account: a.AccountID}
			}
		}
		for _, r := range a.Roles {
			b.d.Entities[entityID("principal", r.ARN)] = &Entity{Kind: "role", Name: shortARN(r.ARN), Account: a.AccountID}
		}
	}
	// Facts second: they link to each other.
	for _, a := range s.Accounts {
		for _, u := range a.Users {
			e := b.d.Entities[entityID("principal", u.ARN)]
			e.Facts = [][]any{{"ARN", u.ARN}, {"Account", b.d.account(a.AccountID)}, {"Created", day(u.CreateDate)}}
			if len(u.Groups) > 0 {
				e.Facts = append(e.Facts, []any{"Groups", strings.Join(u.Groups, ", ")})
			}
			var pols []string
			for _, p := range u.AttachedPolicies {
				pols = append(pols, p.PolicyName)
			}
			for _, p := range u.InlinePolicies {
				pols = append(pols, p.PolicyName+" (inline)")
			}
			if len(pols) > 0 {
				e.Facts = append(e.Facts, []any{"Policies", strings.Join(pols, ", ")})
			}
			if u.PermissionsBoundary != "" {
				e.Facts = append(e.Facts, []any{"Permissions boundary", u.PermissionsBoundary})
			}
			console := "no console password"
			if u.LoginProfile != nil {
				console = "console password; last used " + orNever(dayPtr(u.PasswordLastUsed))
			}
			e.Facts = append(e.Facts, []any{"Console", console}, []any{"MFA devices", len(u.MFADevices)})
			for _, k := range u.AccessKeys {
				e.Facts = append(e.Facts, []any{"Access key", b.d.key(k.AccessKeyID)})
			}
			if t := tags(u.Tags); t != "" {
				e.Facts = append(e.Facts, []any{"Tags", t})
			}
			for _, k := range u.AccessKeys {
				ke := b.d.Entities[entityID("key", k.AccessKeyID)]
				ke.Facts = [][]any{{"Access key id", k.AccessKeyID}, {"User", b.d.principal(u.ARN)}, {"Account", b.d.account(a.AccountID)},
					{"Status", k.Status}, {"Created", fmt.Sprintf("%s (%d days ago)", day(k.CreateDate), days(b.now, k.CreateDate))}}
				lu := "never (or not recorded)"
				if k.LastUsed != nil {
					lu = day(k.LastUsed.Date)
					if k.LastUsed.ServiceName != "" {
						lu += " " + k.LastUsed.ServiceName
					}
					if k.LastUsed.Region != "" {
						lu += " " + k.LastUsed.Region
					}
				}
				ke.Facts = append(ke.Facts, []any{"Last used (GetAccessKeyLastUsed)", lu})
				if st := b.journalState[k.AccessKeyID]; st != "" {
					ke.Facts = append(ke.Facts, []any{"seiri", st})
				}
				if t := tags(k.Tags); t != "" {
					ke.Facts = append(ke.Facts, []any{"Tags", t})
				}
			}
		}
		for _, r := range a.Roles {
			e := b.d.Entities[entityID("principal", r.ARN)]
			e.Facts = [][]any{{"ARN", r.ARN}, {"Account", b.d.account(a.AccountID)}, {"Created", day(r.CreateDate)}}
			if r.Description != "" {
				e.Facts = append(e.Facts, []any{"Description", r.Description})
			}
			lu := "no use recorded by IAM"
			if r.LastUsed != nil {
				lu = day(r.LastUsed.Date) + " " + r.LastUsed.Region
			}
			e.Facts = append(e.Facts, []any{"Last used (IAM)", strings.TrimSpace(lu)})
			var pols []string
			for _, p := range r.AttachedPolicies {
				pols = append(pols, p.PolicyName)
			}
			for _, p := range r.InlinePolicies {
				pols = append(pols, p.PolicyName+" (inline)")
			}
			if len(pols) > 0 {
				e.Facts = append(e.Facts, []any{"Policies", strings.Join(pols, ", ")})
			}
			if len(r.TrustPolicy) > 0 {
				e.Facts = append(e.Facts, []any{"Trust policy", string(r.TrustPolicy)})
			}
			if t := tags(r.Tags); t != "" {
				e.Facts = append(e.Facts, []any{"Tags", t})
			}
		}
	}
}

func tags(m map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, "; ")
}

func orNever(s string) string {
	if s == "" {
		return "never"
	}
	return s
}

func days(now, t time.Time) int {
	if t.IsZero() {
		return 0
	}
	return int(now.Sub(t).Hours() / 24)
}

var findingCols = []Col{{Name: "Severity", Type: "sev", Enum: true}, {Name: "Rule", Type: "id", Enum: true}, {Name: "Account", Type: "id", Enum: true},
	{Name: "Resource"}, {Name: "Finding"}, {Name: "Evidence"}}

func (b *builder) findingRow(f finding.Finding) []any {
	var ev []string
	for _, e := range f.Evidence {
		ev = append(ev, e.Name+": "+e.Value)
	}
	return []any{f.Severity.String(), f.RuleID, b.d.account(f.Account), b.d.resource(f.Resource), f.Title, strings.Join(ev, "; ")}
}

func hasPrefix(id string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}

func findingKey(f finding.Finding) string {
	return f.RuleID + "\x00" + f.Account + "\x00" + f.Resource + "\x00" + f.Title
}

func (b *builder) findings() {
	s := b.section(SecFindings, "Audit findings")
	rs := b.section(SecRisk, "Privilege escalation and external access")
	ss := b.section(SecSuspicious, "Suspicious use of credentials")
	rep := b.in.Audit
	if rep == nil {
		b.absent(s, "the audit did not run: run seiri audit")
		b.absent(rs, "the audit did not run: run seiri risk paths")
		b.absent(ss, "no detection ran: run seiri detect")
		return
	}
	s.Intro = append(s.Intro, fmt.Sprintf("%s from %s over %s.", plural(len(rep.Findings), "finding", "findings"), plural(len(rep.Rules), "rule", "rules"), filepath.Base(b.in.Snapshot.Dir)))
	all := b.d.add(&Table{ID: "t-findings", Caption: "Every finding", Cols: findingCols})
	risk := &Table{ID: "t-risk", Caption: "Privilege-escalation paths and external access", Cols: findingCols}
	susp := &Table{ID: "t-suspicious", Caption: "Suspicious use", Cols: findingCols}
	bySev := map[finding.Severity]int{}
	for _, f := range sortFindings(rep.Findings) {
		row := b.findingRow(f)
		all.Rows = append(all.Rows, row)
		bySev[f.Severity]++
		if f.Account != "" {
			b.findingsBy[f.Account]++
		}
		if hasPrefix(f.RuleID, b.in.RiskPrefixes) {
			risk.Rows = append(risk.Rows, row)
		}
		if hasPrefix(f.RuleID, b.in.SuspiciousPrefixes) {
			susp.Rows = append(susp.Rows, row)
		}
	}
	var bars []Bar
	for sev := finding.Critical; sev >= finding.Info; sev-- {
		bars = append(bars, Bar{Label: sev.String(), Value: int64(bySev[sev])})
	}
	s.Charts = append(s.Charts, barChart("c-sev", "Findings by severity", bars))
	var acc []Bar
	for _, a := range sortedKeys(b.findingsBy) {
		acc = append(acc, Bar{Label: a + " " + accountName(b.in.Snapshot, a), Value: int64(b.findingsBy[a])})
	}
	slices.SortStableFunc(acc, func(x, y Bar) int { return cmp.Compare(y.Value, x.Value) })
	title := "Findings by account"
	if len(acc) > 15 {
		title = fmt.Sprintf("Findings by account (the 15 with most of %d; every account in the accounts table)", len(acc))
		acc = acc[:15]
	}
	if len(acc) > 0 {
		s.Charts = append(s.Charts, barChart("c-acct", title, acc))
	}
	// The rules with their recommendation (said once, not on every row).
	rt := b.d.add(&Table{ID: "t-rules", Caption: "Rules that found something, and what to do", Cols: []Col{{Name: "Rule", Type: "id"}, {Name: "Severity", Type: "sev", Enum: true}, {Name: "Findings", Type: "num"}, {Name: "Title"}, {Name: "Recommendation"}}})
	byRule := map[string]int{}
	recs := map[string]string{}
	for _, f := range rep.Findings {
		byRule[f.RuleID]++
		if recs[f.RuleID] == "" {
			recs[f.RuleID] = f.Recommendation
		}
	}
	for _, r := range rep.Rules {
		if byRule[r.ID] == 0 {
			continue
		}
		rec := r.Recommendation
		if rec == "" {
			rec = recs[r.ID]
		}
		rt.Rows = append(rt.Rows, []any{r.ID, r.Severity.String(), byRule[r.ID], r.Title, rec})
	}
	s.Tables = append(s.Tables, rt.ID, all.ID)
	if b.in.PrevAudit != nil {
		prev := map[string]bool{}
		for _, f := range b.in.PrevAudit.Findings {
			prev[findingKey(f)] = true
		}
		cur := map[string]bool{}
		tr := &trend{}
		nt := b.d.add(&Table{ID: "t-new", Caption: "New since the previous snapshot", Cols: findingCols})
		for _, f := range sortFindings(rep.Findings) {
			cur[findingKey(f)] = true
			if prev[findingKey(f)] {
				tr.Same++
			} else {
				tr.New++
				nt.Rows = append(nt.Rows, b.findingRow(f))
			}
		}
		rt := b.d.add(&Table{ID: "t-resolved", Caption: "Resolved since the previous snapshot", Cols: findingCols})
		for _, f := range sortFindings(b.in.PrevAudit.Findings) {
			if !cur[findingKey(f)] {
				tr.Resolved++
				rt.Rows = append(rt.Rows, b.findingRow(f))
			}
		}
		tr.Changes = snapshotChanges(b.in.Previous, b.in.Snapshot)
		b.p.Trend = tr
		s.Tables = append(s.Tables, nt.ID, rt.ID)
	}
	ran := func(prefixes []string) int {
		n := 0
		for _, r := range rep.Rules {
			if hasPrefix(r.ID, prefixes) {
				n++
			}
		}
		return n
	}
	if n := ran(b.in.RiskPrefixes); n > 0 {
		b.d.add(risk)
		rs.Intro = append(rs.Intro, fmt.Sprintf("%s from %s decided by the policy engine over the snapshot (seiri risk paths, seiri risk external).", plural(len(risk.Rows), "finding", "findings"), plural(n, "rule", "rules")))
		rs.Tables = append(rs.Tables, risk.ID)
	} else {
		b.absent(rs, "the audit ran no privilege-escalation or external-access rule: run seiri risk paths")
	}
	if b.in.SuspiciousRan && ran(b.in.SuspiciousPrefixes) > 0 {
		b.d.add(susp)
		ss.Intro = append(ss.Intro, fmt.Sprintf("%s over the scanned CloudTrail logs.", plural(len(susp.Rows), "detection", "detections")))
		ss.Tables = append(ss.Tables, susp.ID)
	} else {
		b.absent(ss, "no suspicious-use detection in this workspace: run seiri detect over scanned CloudTrail")
	}
}

func sortFindings(fs []finding.Finding) []finding.Finding {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(x, y finding.Finding) int {
		if c := cmp.Compare(y.Severity, x.Severity); c != 0 {
			return c
		}
		if c := strings.Compare(x.RuleID, y.RuleID); c != 0 {
			return c
		}
		if c := strings.Compare(x.Account, y.Account); c != 0 {
			return c
		}
		return strings.Compare(x.Resource, y.Resource)
	})
	return out
}

func accountName(s *snapshot.Snapshot, id string) string {
	for _, st := range s.Manifest.Accounts {
		if st.AccountID == id {
			return st.Name
		}
	}
	return ""
}

type counts struct{ accounts, users, roles, serviceRoles, keys, activeKeys int }

func countOf(s *snapshot.Snapshot) counts {
	var c counts
	c.accounts = len(s.Accounts)
	for _, a := range s.Accounts {
		c.users += len(a.Users)
		for _, r := range a.Roles {
			c.roles++
			if r.ServiceLinked() {
				c.serviceRoles++
			}
		}
		for _, u := range a.Users {
			for _, k := range u.AccessKeys {
				c.keys++
				if k.Active() {
					c.activeKeys++
				}
			}
		}
	}
	return c
}

func snapshotChanges(prev, cur *snapshot.Snapshot) []string {
	if prev == nil {
		return nil
	}
	p, c := countOf(prev), countOf(cur)
	var out []string
	add := func(name string, a, b int) {
		if a != b {
			out = append(out, fmt.Sprintf("%s %d → %d", name, a, b))
		}
	}
	add("accounts", p.accounts, c.accounts)
	add("users", p.users, c.users)
	add("roles", p.roles, c.roles)
	add("access keys", p.keys, c.keys)
	add("active access keys", p.activeKeys, c.activeKeys)
	return out
}

func (b *builder) keysSection() {
	s := b.section(SecKeys, "Access keys and their retirement")
	// Credentials by state: every key of the snapshot exactly once, plus
	// the keys seiri deleted (no longer in the snapshot).
	cand := map[string]bool{}
	if b.in.Keys != nil {
		for _, c := range b.in.Keys.Candidates {
			cand[c.AccessKeyID] = true
		}
	}
	var inUse, candidates, disabledSeiri, inactive, deleted int
	ageBars := []Bar{{Label: "under 30 days"}, {Label: "30–89 days"}, {Label: "90–179 days"}, {Label: "180–364 days"}, {Label: "1–2 years"}, {Label: "2 years or more"}}
	useBars := []Bar{{Label: "within 30 days"}, {Label: "30–89 days ago"}, {Label: "90–179 days ago"}, {Label: "180–364 days ago"}, {Label: "a year ago or more"}, {Label: "never (or not recorded)"}}
	ids := sortedKeys(b.keys)
	for _, id := range ids {
		k := b.keys[id].key
		switch {
		case !k.Active() && strings.HasPrefix(b.journalState[id], "disabled"):
			disabledSeiri++
		case !k.Active():
			inactive++
		case cand[id]:
			candidates++
		default:
			inUse++
		}
		if !k.Active() {
			continue
		}
		ageBars[bucket(days(b.now, k.CreateDate), []int{30, 90, 180, 365, 730})].Value++
		if k.LastUsed == nil {
			useBars[5].Value++
		} else {
			useBars[bucket(days(b.now, k.LastUsed.Date), []int{30, 90, 180, 365})].Value++
		}
	}
	for _, st := range b.journalState {
		if strings.HasPrefix(st, "deleted") {
			deleted++
		}
	}
	stateBars := []Bar{{Label: "active, in use", Value: int64(inUse)}}
	if b.in.Keys != nil {
		stateBars = append(stateBars, Bar{Label: "active, unused (candidate)", Value: int64(candidates)})
	} else {
		stateBars[0].Label = "active (use not judged)"
		stateBars[0].Value += int64(candidates)
	}
	stateBars = append(stateBars, Bar{Label: "disabled by seiri", Value: int64(disabledSeiri)}, Bar{Label: "inactive (other)", Value: int64(inactive)})
	if b.in.Journal != nil {
		stateBars = append(stateBars, Bar{Label: "deleted by seiri", Value: int64(deleted)})
	}
	s.Charts = append(s.Charts,
		barChart("c-keystate", "Access keys by state", stateBars),
		barChart("c-keyage", "Active access keys by age", ageBars),
		barChart("c-keyuse", "Active access keys by last use (IAM's GetAccessKeyLastUsed)", useBars))
	if b.in.Keys == nil {
		b.absent(s, "retirement candidates were not computed: run seiri keys plan")
		return
	}
	r := b.in.Keys
	s.Intro = append(s.Intro, fmt.Sprintf("%s, %s excluded on purpose.", plural(len(r.Candidates), "retirement candidate", "retirement candidates"), plural(len(r.Excluded), "key", "keys")))
	if b.in.KeysNote != "" {
		s.Intro = append(s.Intro, b.in.KeysNote)
	}
	for _, g := range r.Unjudged {
		s.Intro = append(s.Intro, g.String())
	}
	t := b.d.add(&Table{ID: "t-keys", Caption: "Retirement candidates (seiri keys plan)", Cols: []Col{{Name: "Account", Type: "id", Enum: true}, {Name: "User"}, {Name: "Access key", Type: "id"},
		{Name: "Created", Type: "date"}, {Name: "Last used (any witness)", Type: "date"}, {Name: "Coverage"}, {Name: "Refused"}}})
	ev := b.d.add(&Table{ID: "t-keyev", Caption: "Evidence per witness", Cols: []Col{{Name: "Access key", Type: "id"}, {Name: "Witness", Enum: true}, {Name: "Last used", Type: "date"}, {Name: "Detail"}}})
	for _, c := range r.Candidates {
		cov := "complete"
		if !c.Coverage.Complete() {
			cov = strings.Join(c.Coverage.Gaps, "; ")
		}
		t.Rows = append(t.Rows, []any{b.d.account(c.Account), b.d.principal(c.UserARN), b.d.key(c.AccessKeyID), day(c.CreateDate), orNever(dayPtr(c.LastUsed)), cov, c.Refused})
		for _, e := range c.Evidence {
			ev.Rows = append(ev.Rows, []any{b.d.key(c.AccessKeyID), e.Source, orNever(dayPtr(e.LastUsed)), e.Detail})
		}
	}
	s.Tables = append(s.Tables, t.ID, ev.ID)
	if len(r.Excluded) > 0 {
		x := b.d.add(&Table{ID: "t-keyx", Caption: "Excluded on purpose", Cols: []Col{{Name: "Account", Type: "id", Enum: true}, {Name: "User"}, {Name: "Access key", Type: "id"}, {Name: "Reason"}}})
		for _, e := range r.Excluded {
			arn := ""
			if k, ok := b.keys[e.AccessKeyID]; ok {
				arn = k.userARN
			}
			user := any(e.User)
			if arn != "" {
				user = b.d.principal(arn)
			}
			x.Rows = append(x.Rows, []any{b.d.account(e.Account), user, b.d.key(e.AccessKeyID), e.Reason})
		}
		s.Tables = append(s.Tables, x.ID)
	}
}

func bucket(v int, bounds []int) int {
	for i, b := range bounds {
		if v < b {
			return i
		}
	}
	return len(bounds)
}

func (b *builder) unusedSection() {
	s := b.section(SecUnused, "Unused permissions")
	v := b.in.Unused
	if v == nil {
		b.absent(s, "no usage store: run seiri trail scan, then seiri unused")
		return
	}
	s.Intro = append(s.Intro, "Granted actions without a recorded call in the window "+v.Window+"; \"certain\" where the evidence covers the action (a logging trail, data events for data-plane actions).")
	t := b.d.add(&Table{ID: "t-unused", Caption: "Principals, most unused high-risk permissions first (seiri unused --all)", Cols: []Col{{Name: "Principal"}, {Name: "Account", Type: "id", Enum: true}, {Name: "Kind", Enum: true},
		{Name: "Granted", Type: "num"}, {Name: "Used", Type: "num"}, {Name: "Unused", Type: "num"}, {Name: "Certain", Type: "num"}, {Name: "High-risk", Type: "num"}, {Name: "Last call", Type: "date"}, {Name: "Verdict"}}})
	for _, r := range v.Principals {
		t.Rows = append(t.Rows, []any{b.d.principal(r.Principal), b.d.account(r.Account), r.Kind, r.Granted, r.Used, r.Unused, r.UnusedCertain, r.UnusedHighRisk, orNever(dayPtr(r.LastUsed)), r.Verdict})
	}
	at := b.d.add(&Table{ID: "t-unused-acct", Caption: "Per account", Cols: []Col{{Name: "Account", Type: "id"}, {Name: "Principals", Type: "num"}, {Name: "Idle", Type: "num"},
		{Name: "Granted", Type: "num"}, {Name: "Used", Type: "num"}, {Name: "Unused", Type: "num"}, {Name: "Certain", Type: "num"}, {Name: "High-risk", Type: "num"}}})
	var bars []Bar
	for _, a := range v.Accounts {
		at.Rows = append(at.Rows, []any{b.d.account(a.Account), a.Principals, a.Idle, a.Granted, a.Used, a.Unused, a.UnusedCertain, a.UnusedHighRisk})
		bars = append(bars, Bar{Label: a.Account + " " + accountName(b.in.Snapshot, a.Account), Value: int64(a.UnusedCertain), Note: fmt.Sprintf("(%d high-risk)", a.UnusedHighRisk)})
	}
	slices.SortStableFunc(bars, func(x, y Bar) int { return cmp.Compare(y.Value, x.Value) })
	title := "Certainly unused permissions per account (granted actions summed over principals)"
	if len(bars) > 20 {
		title = fmt.Sprintf("Certainly unused permissions: the 20 accounts with most of %d (every account in the table)", len(bars))
		bars = bars[:20]
	}
	s.Charts = append(s.Charts, barChart("c-unused", title, bars))
	s.Tables = append(s.Tables, t.ID, at.ID)
	if len(v.PermissionSets) > 0 {
		pt := b.d.add(&Table{ID: "t-unused-ps", Caption: "Identity Center permission sets", Cols: []Col{{Name: "Permission set"}, {Name: "Roles", Type: "num"}, {Name: "Actions used", Type: "num"}, {Name: "High-risk unused", Type: "num"}}})
		for _, p := range v.PermissionSets {
			pt.Rows = append(pt.Rows, []any{p.PermissionSet, p.Roles, p.Used, p.UnusedHighRisk})
		}
		s.Tables = append(s.Tables, pt.ID)
	}
	if len(v.Skipped) > 0 {
		var parts []string
		for _, k := range sortedKeys(v.Skipped) {
			parts = append(parts, fmt.Sprintf("%s %d", k, v.Skipped[k]))
		}
		s.Intro = append(s.Intro, "Usage rows not attributed to a principal of the snapshot: "+strings.Join(parts, "; ")+".")
	}
}

func (b *builder) policiesSection() {
	s := b.section(SecPolicies, "Generated least-privilege policies")
	if len(b.in.Policies) == 0 && len(b.in.PolicyErrors) == 0 {
		b.absent(s, "no policy generated: run seiri trail scan, then seiri policy generate --principal ARN")
		return
	}
	s.Intro = append(s.Intro, "Each policy is proved by replaying every observed call of the window through the policy engine (\"covers N/N\").")
	t := b.d.add(&Table{ID: "t-policies", Caption: "Generated policies", Cols: []Col{{Name: "Principal"}, {Name: "Proof"}, {Name: "Actions kept", Type: "num"}, {Name: "Actions granted today", Type: "num"}, {Name: "Documents", Type: "num"}, {Name: "Notes"}}})
	for _, g := range b.in.Policies {
		t.Rows = append(t.Rows, []any{b.d.principal(g.Principal), g.Proof.String(), g.Kept, g.Granted, len(g.Policies), strings.Join(g.Notes, "; ")})
		var body strings.Builder
		for i, d := range g.Policies {
			if i > 0 {
				body.WriteString("\n\n")
			}
			body.Write(d.JSON())
		}
		s.Details = append(s.Details, detail{Summary: fmt.Sprintf("%s — %s", g.Principal, g.Proof), Body: body.String()})
	}
	s.Tables = append(s.Tables, t.ID)
	for _, e := range b.in.PolicyErrors {
		s.Intro = append(s.Intro, "not generated: "+e)
	}
}

// maxActionsPerPrincipal bounds the usage table: the busiest actions of each
// principal; the entity page says how many more there are.
const maxActionsPerPrincipal = 10

func (b *builder) usageSection() {
	s := b.section(SecUsage, "Usage (CloudTrail)")
	u := b.in.Usage
	if u == nil {
		b.absent(s, "no usage store: run seiri trail scan")
		return
	}
	s.Intro = append(s.Intro, b.p.UsageLine+".",
		"The store keeps, per principal, action, resource and error, the first and last call and a count; it holds no per-day series, so the charts show when principals were last active and each action's first-to-last span.")
	type agg struct {
		account, principal, action string
		count, errors              int64
		first, last                time.Time
	}
	byP := map[string]map[string]*agg{}
	for _, r := range u.Rows {
		m := byP[r.Principal]
		if m == nil {
			m = map[string]*agg{}
			byP[r.Principal] = m
		}
		a := m[r.Action]
		if a == nil {
			a = &agg{account: r.Account, principal: r.Principal, action: r.Action, first: r.FirstSeen, last: r.LastSeen}
			m[r.Action] = a
		}
		a.count += r.Count
		if r.ErrorCode != "" {
			a.errors += r.Count
		}
		if r.FirstSeen.Before(a.first) {
			a.first = r.FirstSeen
		}
		if r.LastSeen.After(a.last) {
			a.last = r.LastSeen
		}
	}
	pt := b.d.add(&Table{ID: "t-principal-usage", Caption: "Principals seen in CloudTrail", Cols: []Col{{Name: "Principal"}, {Name: "Actions", Type: "num"}, {Name: "Calls", Type: "num"}, {Name: "Errors", Type: "num"}, {Name: "First call", Type: "date"}, {Name: "Last call", Type: "date"}}})
	at := b.d.add(&Table{ID: "t-usage", Caption: fmt.Sprintf("Usage by action (the %d busiest actions of each principal)", maxActionsPerPrincipal), Cols: []Col{{Name: "Principal"}, {Name: "Account", Type: "id", Enum: true}, {Name: "Action"}, {Name: "Calls", Type: "num"}, {Name: "Errors", Type: "num"}, {Name: "First call", Type: "date"}, {Name: "Last call", Type: "date"}}})
	type ptot struct {
		p       string
		actions int
		calls   int64
		last    time.Time
		spans   []Span
		first   time.Time
	}
	var tots []ptot
	weeks := map[string]int64{}
	for _, p := range sortedKeys(byP) {
		m := byP[p]
		as := make([]*agg, 0, len(m))
		for _, a := range m {
			as = append(as, a)
		}
		slices.SortFunc(as, func(x, y *agg) int {
			if c := cmp.Compare(y.count, x.count); c != 0 {
				return c
			}
			return strings.Compare(x.action, y.action)
		})
		var calls, errs int64
		first, last := as[0].first, as[0].last
		for _, a := range as {
			calls += a.count
			errs += a.errors
			if a.first.Before(first) {
				first = a.first
			}
			if a.last.After(last) {
				last = a.last
			}
		}
		link := b.d.principal(p)
		pt.Rows = append(pt.Rows, []any{link, len(as), calls, errs, day(first), day(last)})
		tp := ptot{p: p, actions: len(as), calls: calls, last: last, first: first}
		for i, a := range as {
			if i < maxActionsPerPrincipal {
				at.Rows = append(at.Rows, []any{link, b.d.account(a.account), a.action, a.count, a.errors, day(a.first), day(a.last)})
			}
			if i < 12 {
				tp.spans = append(tp.spans, Span{Label: a.action, First: a.first, Last: a.last, Count: a.count})
			}
		}
		tots = append(tots, tp)
		if e, ok := b.d.Entities[entityID("principal", p)]; ok {
			e.Facts = append(e.Facts, []any{"CloudTrail", fmt.Sprintf("%s calls of %s, %s to %s", thousands(calls), plural(len(as), "action", "actions"), day(first), day(last))})
			if len(as) > maxActionsPerPrincipal {
				e.Facts = append(e.Facts, []any{"Usage table", fmt.Sprintf("shows the %d busiest of %d actions; all: seiri trail usage --principal %s", maxActionsPerPrincipal, len(as), p)})
			}
		}
		y, w := last.ISOWeek()
		weeks[fmt.Sprintf("%d-W%02d", y, w)]++
	}
	var wbars []Bar
	for _, w := range sortedKeys(weeks) {
		wbars = append(wbars, Bar{Label: "week " + w, Value: weeks[w]})
	}
	if len(wbars) > 26 {
		wbars = wbars[len(wbars)-26:]
	}
	s.Charts = append(s.Charts, barChart("c-lastweek", "Principals by the week of their last recorded call (last 26 weeks)", wbars))
	slices.SortStableFunc(tots, func(x, y ptot) int { return cmp.Compare(y.calls, x.calls) })
	for i, tp := range tots {
		if i == 3 {
			break
		}
		s.Charts = append(s.Charts, timeline(fmt.Sprintf("c-tl%d", i), fmt.Sprintf("Usage over time of %s (%s calls): first to last call of its busiest actions", shortARN(tp.p), thousands(tp.calls)), tp.spans, u.Totals.FirstSeen, u.Totals.LastSeen))
	}
	s.Tables = append(s.Tables, pt.ID, at.ID)
}

func (b *builder) groupsSection() {
	s := b.section(SecGroups, "Groups")
	if b.in.Groups == nil {
		b.absent(s, "the group model was not analysed: run seiri groups analyze")
		return
	}
	pt := b.d.add(&Table{ID: "t-group-problems", Caption: "Problems of the group model (seiri groups analyze)", Cols: []Col{{Name: "Account", Type: "id", Enum: true}, {Name: "Kind", Enum: true}, {Name: "Subject"}, {Name: "Detail"}, {Name: "Suggestion"}}})
	ct := b.d.add(&Table{ID: "t-group-clusters", Caption: "Candidate groups: users with near-identical permissions", Cols: []Col{{Name: "Account", Type: "id", Enum: true}, {Name: "Candidate group"}, {Name: "Members"}, {Name: "Similarity", Type: "num"}, {Name: "Services"}}})
	for _, an := range b.in.Groups {
		for _, p := range an.Problems {
			pt.Rows = append(pt.Rows, []any{b.d.account(an.Account), p.Kind, b.userOrText(an.Account, p.Subject), p.Detail, p.Suggestion})
		}
		for _, c := range an.Clusters {
			ct.Rows = append(ct.Rows, []any{b.d.account(an.Account), c.Name, strings.Join(c.Members, ", "), fmt.Sprintf("%.2f", c.Similarity), strings.Join(c.Services, ", ")})
		}
		if !an.UsageKnown {
			s.Intro = append(s.Intro, "account "+an.Account+": no usage recorded, unused-group checks skipped")
		}
	}
	s.Tables = append(s.Tables, pt.ID, ct.ID)
	if b.in.GroupsPlan != nil {
		t := b.d.add(b.planTable("t-groups-plan", "The groups plan (seiri groups plan)", b.in.GroupsPlan.Changes))
		s.Tables = append(s.Tables, t.ID)
		s.Intro = append(s.Intro, fmt.Sprintf("The groups plan has %s.", plural(len(b.in.GroupsPlan.Changes), "change", "changes")))
	}
	for _, r := range b.in.GroupsRefusals {
		s.Intro = append(s.Intro, "groups plan refused: "+r)
	}
}

// userOrText links a user name of an account when the snapshot has it.
func (b *builder) userOrText(account, name string) any {
	a := b.in.Snapshot.Account(account)
	if a != nil {
		for _, u := range a.Users {
			if u.UserName == name {
				return b.d.principal(u.ARN)
			}
		}
	}
	return name
}

func (b *builder) planTable(id, caption string, cs []plan.Change) *Table {
	t := &Table{ID: id, Caption: caption, Cols: []Col{{Name: "#", Type: "num"}, {Name: "Op", Enum: true}, {Name: "Kind", Enum: true}, {Name: "Account", Type: "id", Enum: true}, {Name: "Target"}, {Name: "Change"}, {Name: "Notes"}}}
	for i, c := range cs {
		t.Rows = append(t.Rows, []any{i + 1, string(c.Op), c.Kind, b.d.account(c.Account), b.d.resource(c.Target), c.Description, strings.Join(c.Notes, "; ")})
	}
	return t
}

func (b *builder) rolesSection() {
	s := b.section(SecRoles, "Roles instead of static keys")
	if b.in.Roles == nil {
		b.absent(s, "no role suggestions: run seiri roles suggest")
		return
	}
	counts := map[string]int{}
	t := b.d.add(&Table{ID: "t-roles", Caption: "Suggestions, workloads first (seiri roles suggest)", Cols: []Col{{Name: "Account", Type: "id", Enum: true}, {Name: "User"}, {Name: "Access keys", Type: "id"}, {Name: "Use instead", Enum: true}, {Name: "Why"}, {Name: "Role"}, {Name: "Evidence"}}})
	for _, r := range b.in.Roles {
		counts[r.Kind]++
		var ks []string
		for _, k := range r.Keys {
			ks = append(ks, k)
		}
		keyCell := any(strings.Join(ks, " "))
		if len(ks) == 1 {
			keyCell = b.d.key(ks[0])
		}
		ev := []string{fmt.Sprintf("%s calls", thousands(r.Evidence.Calls))}
		if len(r.Evidence.Environments) > 0 {
			ev = append(ev, "environments "+strings.Join(r.Evidence.Environments, ", "))
		}
		if len(r.Evidence.UserAgents) > 0 {
			ev = append(ev, "user agents "+strings.Join(r.Evidence.UserAgents, ", "))
		}
		if len(r.Evidence.AWSAddresses) > 0 {
			ev = append(ev, "from "+strings.Join(r.Evidence.AWSAddresses, ", "))
		}
		t.Rows = append(t.Rows, []any{b.d.account(r.Account), b.userOrText(r.Account, r.User), keyCell, r.Kind, r.Summary, r.RoleName, strings.Join(ev, "; ")})
		if len(r.Policy) > 0 {
			s.Details = append(s.Details, detail{Summary: fmt.Sprintf("%s %s → %s: policy", r.Account, r.User, r.RoleName), Body: string(r.Policy)})
		}
		if len(r.Trust) > 0 {
			s.Details = append(s.Details, detail{Summary: fmt.Sprintf("%s %s → %s: trust policy", r.Account, r.User, r.RoleName), Body: string(r.Trust)})
		}
	}
	var parts []string
	for _, k := range sortedKeys(counts) {
		parts = append(parts, fmt.Sprintf("%s %d", k, counts[k]))
	}
	s.Intro = append(s.Intro, fmt.Sprintf("%s with active keys: %s.", plural(len(b.in.Roles), "user", "users"), strings.Join(parts, ", ")))
	s.Tables = append(s.Tables, t.ID)
}

func (b *builder) ssoSection() {
	s := b.section(SecSSO, "IAM Identity Center plan")
	p := b.in.SSO
	if p == nil {
		b.absent(s, "no Identity Center plan: run seiri sso plan")
		return
	}
	retire := 0
	for _, u := range p.Users {
		if u.Retire {
			retire++
		}
	}
	s.Intro = append(s.Intro, fmt.Sprintf("%s, %s; %d of %s can be retired after the move.", plural(len(p.PermissionSets), "permission set", "permission sets"), plural(len(p.Assignments), "assignment", "assignments"), retire, plural(len(p.Users), "IAM user", "IAM users")))
	s.Intro = append(s.Intro, p.Warnings...)
	pt := b.d.add(&Table{ID: "t-sso-ps", Caption: "Permission sets", Cols: []Col{{Name: "Permission set"}, {Name: "From IAM group"}, {Name: "Managed policies"}, {Name: "Inline policy (bytes)", Type: "num"}, {Name: "Session"}}})
	for _, ps := range p.PermissionSets {
		pt.Rows = append(pt.Rows, []any{ps.Name, ps.FromGroup, strings.Join(ps.Managed, ", "), len(ps.Inline), ps.Session})
	}
	at := b.d.add(&Table{ID: "t-sso-assign", Caption: "Assignments", Cols: []Col{{Name: "Group"}, {Name: "Permission set", Enum: true}, {Name: "Account", Type: "id", Enum: true}}})
	for _, a := range p.Assignments {
		at.Rows = append(at.Rows, []any{a.Group, a.PermissionSet, b.d.account(a.Account)})
	}
	ut := b.d.add(&Table{ID: "t-sso-users", Caption: "Migration per IAM user", Cols: []Col{{Name: "Account", Type: "id", Enum: true}, {Name: "IAM user"}, {Name: "Identity Center user"}, {Name: "Groups"}, {Name: "Retire", Enum: true}, {Name: "Blockers"}}})
	for _, u := range p.Users {
		ut.Rows = append(ut.Rows, []any{b.d.account(u.Account), b.userOrText(u.Account, u.IAMUser), u.IdentityUser, strings.Join(u.Groups, ", "), yesNo(u.Retire), strings.Join(u.Blockers, "; ")})
	}
	s.Tables = append(s.Tables, pt.ID, at.ID, ut.ID)
}

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

func (b *builder) orgSection() {
	s := b.section(SecOrg, "Organization")
	r := b.in.Org
	if r == nil {
		b.absent(s, "the snapshot holds no organization (collected without Organizations access): run seiri collect from the management account")
		return
	}
	s.Intro = append(s.Intro, "Organization "+r.Organization+": the OU tree with the policies attached at each level (seiri org report).")
	s.Tree = r.Root
	t := b.d.add(&Table{ID: "t-org-services", Caption: "Organization-wide services against the baseline", Cols: []Col{{Name: "Service"}, {Name: "Enabled", Enum: true}, {Name: "Delegated administrator", Type: "id"}, {Name: "Why it matters"}, {Name: "Detail"}}})
	for _, sv := range r.Services {
		t.Rows = append(t.Rows, []any{sv.Name, yesNo(sv.Enabled), strings.Join(sv.DelegatedAdmin, " "), sv.Why, sv.Detail})
	}
	s.Tables = append(s.Tables, t.ID)
	if len(r.OtherServices) > 0 {
		s.Intro = append(s.Intro, "Other trusted services: "+strings.Join(r.OtherServices, ", ")+".")
	}
}

func (b *builder) orgPlanSection() {
	s := b.section(SecOrgPlan, "Pending organization plan and its SCP impact")
	p := b.in.OrgPlan
	if p == nil {
		b.absent(s, "no pending organization plan given: run seiri org plan --spec org.yaml --out org-plan.json, then seiri report --org-plan org-plan.json")
		return
	}
	t := b.d.add(&Table{ID: "t-orgplan", Caption: "Changes, in the order they would be made", Cols: []Col{{Name: "#", Type: "num"}, {Name: "Action", Enum: true}, {Name: "Kind", Enum: true}, {Name: "Target"}, {Name: "Change"}}})
	for i, c := range p.Changes {
		t.Rows = append(t.Rows, []any{i + 1, string(c.Action()), c.Kind(), c.Target(), c.Describe()})
	}
	s.Intro = append(s.Intro, fmt.Sprintf("Plan for organization %s (created %s): %s.", p.Organization, p.CreatedAt.UTC().Format(time.RFC3339), plural(len(p.Changes), "change", "changes")))
	s.Intro = append(s.Intro, p.Findings...)
	s.Tables = append(s.Tables, t.ID)
	im := b.in.OrgImpact
	if im == nil {
		if r := b.in.Absent[SecOrgPlan]; r != "" {
			s.Intro = append(s.Intro, "impact not replayed: "+r)
		} else {
			s.Intro = append(s.Intro, "impact not replayed: no usage store (run seiri trail scan)")
		}
		return
	}
	s.Intro = append(s.Intro, "Impact, replaying the recorded calls of the affected accounts through the policy engine: "+im.Summary()+".")
	it := b.d.add(&Table{ID: "t-impact", Caption: "Calls the plan would newly deny, per principal", Cols: []Col{{Name: "Account", Type: "id", Enum: true}, {Name: "Principal"}, {Name: "Action"}, {Name: "Region", Enum: true}, {Name: "Calls", Type: "num"}, {Name: "Denied by"}}})
	var bars []Bar
	for _, d := range im.Top {
		it.Rows = append(it.Rows, []any{b.d.account(d.Account), b.d.principal(d.Principal), d.Action, d.Region, d.Calls, d.By})
		bars = append(bars, Bar{Label: shortARN(d.Principal) + " " + d.Action, Value: d.Calls})
	}
	if len(bars) > 0 {
		s.Charts = append(s.Charts, barChart("c-impact", "Calls newly denied by the pending plan (largest groups)", bars))
	}
	if im.NewlyDenied > 0 && len(im.Top) < im.DeniedPrincipals {
		it.Note = fmt.Sprintf("the %d largest groups; %d principals in all", len(im.Top), im.DeniedPrincipals)
	}
	s.Tables = append(s.Tables, it.ID)
}

func (b *builder) journalSection() {
	s := b.section(SecJournal, "What seiri changed (journal)")
	if b.in.Journal == nil {
		b.absent(s, "no journal: seiri has made no change from this workspace (seiri keys disable --apply, groups apply, org apply write it)")
		return
	}
	t := b.d.add(&Table{ID: "t-journal", Caption: "Every write seiri made or tried", Cols: []Col{{Name: "Time", Type: "date"}, {Name: "Phase", Enum: true}, {Name: "Kind", Enum: true}, {Name: "Account", Type: "id", Enum: true}, {Name: "Target"}, {Name: "Operator"}, {Name: "Detail"}, {Name: "Error"}}})
	for _, e := range b.in.Journal {
		t.Rows = append(t.Rows, []any{e.Time.UTC().Format(time.RFC3339), string(e.Phase), e.Kind, b.d.account(e.Account), b.d.resource(e.Target), e.Operator, e.Detail, e.Error})
	}
	s.Intro = append(s.Intro, fmt.Sprintf("%s.", plural(len(b.in.Journal), "journal entry", "journal entries")))
	s.Tables = append(s.Tables, t.ID)
}

func (b *builder) overview() {
	c := countOf(b.in.Snapshot)
	failed := len(b.in.Snapshot.Manifest.Accounts) - len(b.in.Snapshot.Accounts)
	accNote := ""
	if failed > 0 {
		accNote = fmt.Sprintf("%d not collected", failed)
	}
	b.p.Stats = []stat{
		{Label: "Accounts", Value: fmt.Sprint(c.accounts), Note: accNote},
		{Label: "IAM users", Value: fmt.Sprint(c.users)},
		{Label: "Roles", Value: fmt.Sprint(c.roles), Note: fmt.Sprintf("%d service-linked", c.serviceRoles)},
		{Label: "Access keys", Value: fmt.Sprint(c.keys), Note: fmt.Sprintf("%d active", c.activeKeys)},
	}
	if b.in.Audit != nil {
		bySev := map[finding.Severity]int{}
		for _, f := range b.in.Audit.Findings {
			bySev[f.Severity]++
		}
		b.p.Stats = append(b.p.Stats, stat{Label: "Findings", Value: fmt.Sprint(len(b.in.Audit.Findings)),
			Note: fmt.Sprintf("%d critical, %d high, %d medium, %d low, %d info", bySev[finding.Critical], bySev[finding.High], bySev[finding.Medium], bySev[finding.Low], bySev[finding.Info])})
	} else {
		b.p.Stats = append(b.p.Stats, stat{Label: "Findings", Value: "not audited"})
	}
	// Accounts table: one row per account with what each section found.
	t := b.d.add(&Table{ID: "t-accounts", Caption: "Accounts", Cols: []Col{{Name: "Account", Type: "id"}, {Name: "Name"}, {Name: "Users", Type: "num"}, {Name: "Roles", Type: "num"}, {Name: "Active keys", Type: "num"}, {Name: "Findings", Type: "num"}, {Name: "Key candidates", Type: "num"}, {Name: "Unused high-risk", Type: "num"}}})
	cand := map[string]int{}
	if b.in.Keys != nil {
		for _, k := range b.in.Keys.Candidates {
			cand[k.Account]++
		}
	}
	unusedHR := map[string]int{}
	if b.in.Unused != nil {
		for _, a := range b.in.Unused.Accounts {
			unusedHR[a.Account] = a.UnusedHighRisk
		}
	}
	na := func(ok bool, v int) any {
		if !ok {
			return "not judged"
		}
		return v
	}
	for _, a := range b.in.Snapshot.Accounts {
		active := 0
		for _, u := range a.Users {
			for _, k := range u.AccessKeys {
				if k.Active() {
					active++
				}
			}
		}
		t.Rows = append(t.Rows, []any{b.d.account(a.AccountID), accountName(b.in.Snapshot, a.AccountID), len(a.Users), len(a.Roles), active,
			na(b.in.Audit != nil, b.findingsBy[a.AccountID]), na(b.in.Keys != nil, cand[a.AccountID]), na(b.in.Unused != nil, unusedHR[a.AccountID])})
	}
	b.next()
}

// next orders what to do: the worst findings first, then evidence gaps that
// keep seiri from judging, then the safe clean-ups, then the structural work.
func (b *builder) next() {
	add := func(text, cmd, href string) { b.p.Next = append(b.p.Next, step{Text: text, Cmd: cmd, Href: href}) }
	if b.in.Audit != nil {
		n := b.in.Audit.AtLeast(finding.High)
		if n > 0 {
			add(fmt.Sprintf("Fix the %s at high or critical severity.", plural(n, "finding", "findings")), "seiri audit --fail-on high", "#"+SecFindings)
		}
	}
	if b.in.Usage == nil {
		add("Scan CloudTrail: without it, unused keys and permissions cannot be told apart from unlogged ones.", "seiri trail scan", "#"+SecUsage)
	}
	if b.in.Keys != nil && len(b.in.Keys.Candidates) > 0 {
		add(fmt.Sprintf("Disable the %s (reversible; watched before deletion).", plural(len(b.in.Keys.Candidates), "unused access key", "unused access keys")), "seiri keys disable --apply", "#"+SecKeys)
	}
	for _, st := range b.journalState {
		if strings.HasPrefix(st, "disabled") {
			add("Watch the keys seiri disabled, then delete those that stayed quiet.", "seiri keys watch", "#"+SecJournal)
			break
		}
	}
	if b.in.Unused != nil {
		hr := 0
		for _, a := range b.in.Unused.Accounts {
			hr += a.UnusedHighRisk
		}
		if hr > 0 {
			add(fmt.Sprintf("Replace over-broad policies: %s high-risk grants (principal × action) are certainly unused.", thousands(int64(hr))), "seiri policy generate --principal ARN", "#"+SecUnused)
		}
	}
	if len(b.in.Roles) > 0 {
		add(fmt.Sprintf("Move %s with static keys to roles, federation or Identity Center.", plural(len(b.in.Roles), "user", "users")), "seiri roles suggest", "#"+SecRoles)
	}
	if b.in.GroupsPlan != nil && len(b.in.GroupsPlan.Changes) > 0 {
		add(fmt.Sprintf("Review and apply the groups plan (%s).", plural(len(b.in.GroupsPlan.Changes), "change", "changes")), "seiri groups plan --out groups-plan.json", "#"+SecGroups)
	}
	if b.in.OrgImpact != nil && b.in.OrgImpact.NewlyDenied > 0 {
		add("Do not apply the pending organization plan as is: "+b.in.OrgImpact.Summary()+".", "seiri org plan", "#"+SecOrgPlan)
	}
	if len(b.p.Next) == 0 {
		add("Nothing seiri can recommend from the data at hand; collect a fresh snapshot regularly to see what changes.", "seiri collect", "#"+SecOverview)
	}
}

// entitiesSection lists every account (the principals and keys are reached
// from the tables); the entity pages are drawn by the script.
func (b *builder) entitiesSection() {
	s := &section{ID: SecEntities, Title: "Accounts, principals and keys"}
	s.Intro = append(s.Intro, "Every account, principal and access key links to a page with all the report knows about it: its facts and every row of every table that names it (findings, evidence, usage, plans).")
	s.Tables = append(s.Tables, "t-accounts")
	s.Tables = append(s.Tables, "t-entities")
	b.p.Sections = append(b.p.Sections, s)
}
