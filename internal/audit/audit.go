// Package audit turns a snapshot into findings. Run is a pure function of the
// snapshot, the thresholds and the clock: the same code audits a live
// collect, an import, the demo and the tests.
package audit

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/credreport"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
	"github.com/seiri-dev/seiri/internal/version"
)

// Options adjust a run beyond the thresholds.
type Options struct {
	// IsAdmin decides administrator-level access; nil means the built-in
	// IsAdmin.
	IsAdmin AdminFunc
	// Only, when not empty, runs just these rule ids (after cfg.Disabled).
	Only []string
	// Unused, when set, returns the findings of rule PermissionsUnused
	// (internal/leastpriv over the usage store; the CLI sets it when a
	// usage store exists). Kept as a hook so audit does not depend on it.
	Unused func() []finding.Finding
	// Activity is what CloudTrail recorded (the usage store's last use per
	// principal and per access key), read by the caller and passed in as
	// data; nil when there is no usage store. It is one witness of the
	// inactivity and unused-key rules, next to the credential report, IAM's
	// own last-used fields and Access Advisor.
	Activity *Activity
	// Risk, when set, returns the SEIRI-PRIVESC-* findings (PrivescFindings
	// over internal/risk's analysis, which needs the catalog).
	Risk func() []finding.Finding
	// RCPServices decides which services RCPs govern in the external
	// access rules: the catalog in force; nil is the engine's embedded list.
	RCPServices policy.RCPServices
}

// Activity is the CloudTrail witness: the last recorded call of principals
// and access keys, and which accounts' logs were scanned over which window.
type Activity struct {
	// Accounts are the accounts whose logs the usage store holds, with the
	// window scanned. An account missing here has no CloudTrail witness.
	Accounts map[string]Window
	// Principals maps a principal ARN (an IAM user's ARN) to its last call.
	Principals map[string]LastCall
	// Keys maps an access key id to its last call.
	Keys map[string]LastCall
}

// Window is the time span a scan covered.
type Window struct{ Since, Until time.Time }

// LastCall is the latest recorded call and how many calls were recorded.
type LastCall struct {
	Time  time.Time
	Calls int64
}

// ActivityFromUsage builds the CloudTrail witness from the usage store's rows
// and runs (the caller reads them; audit never opens the store). An account
// counts as scanned when rows of it exist; its window runs from the earliest
// --since of the runs (or, for runs without one, the account's first
// recorded call) to the latest end of a run. Every row is activity, failed
// calls and sign-ins included: they show the credential was used.
func ActivityFromUsage(rows []usage.Row, runs []usage.Run) *Activity {
	act := &Activity{Accounts: map[string]Window{}, Principals: map[string]LastCall{}, Keys: map[string]LastCall{}}
	var since, until time.Time
	openStart := len(runs) == 0
	for _, r := range runs {
		if r.Since.IsZero() {
			openStart = true
		} else if since.IsZero() || r.Since.Before(since) {
			since = r.Since
		}
		end := r.Until
		if end.IsZero() {
			end = r.FinishedAt
		}
		if end.After(until) {
			until = end
		}
	}
	first := map[string]time.Time{}
	last := map[string]time.Time{}
	seen := func(m map[string]LastCall, k string, r *usage.Row) {
		c := m[k]
		c.Calls += r.Count
		if r.LastSeen.After(c.Time) {
			c.Time = r.LastSeen
		}
		m[k] = c
	}
	for i := range rows {
		r := &rows[i]
		if f, ok := first[r.Account]; !ok || r.FirstSeen.Before(f) {
			first[r.Account] = r.FirstSeen
		}
		if r.LastSeen.After(last[r.Account]) {
			last[r.Account] = r.LastSeen
		}
		if r.PrincipalType == "IAMUser" {
			seen(act.Principals, r.Principal, r)
		}
		if r.AccessKeyID != "" {
			seen(act.Keys, r.AccessKeyID, r)
		}
	}
	for acct, f := range first {
		w := Window{Since: since, Until: until}
		if openStart || w.Since.IsZero() || f.Before(w.Since) {
			w.Since = f
		}
		if w.Until.IsZero() || last[acct].After(w.Until) {
			w.Until = last[acct]
		}
		act.Accounts[acct] = w
	}
	return act
}

// window returns the CloudTrail window of an account, if its logs were scanned.
func (a *Activity) window(account string) (Window, bool) {
	if a == nil {
		return Window{}, false
	}
	w, ok := a.Accounts[account]
	return w, ok
}

// RunWith audits s with the thresholds of cfg at time now, with options.
func RunWith(s *snapshot.Snapshot, cfg config.Audit, now time.Time, opts Options) *finding.Report {
	r := &run{cfg: cfg, now: now.UTC(), isAdmin: opts.IsAdmin, enabled: map[string]bool{}, activity: opts.Activity, rcps: opts.RCPServices}
	if r.isAdmin == nil {
		r.isAdmin = EngineAdmin()
	}
	rep := &finding.Report{Tool: "seiri", Version: version.String(), Rules: []finding.Rule{}, Findings: []finding.Finding{}}
	for _, rule := range Rules() {
		if slices.Contains(cfg.Disabled, rule.ID) || (len(opts.Only) > 0 && !slices.Contains(opts.Only, rule.ID)) {
			continue
		}
		r.enabled[rule.ID] = true
		rep.Rules = append(rep.Rules, rule)
	}
	if s != nil {
		if s.Dir != "" {
			rep.Snapshot = filepath.Base(s.Dir)
		}
		for _, a := range s.Accounts {
			r.account(a)
		}
		r.accountChecks(s) // account_rules.go
		r.external(s)      // external_rules.go
	}
	r.addRisk(opts) // risk_rules.go
	if opts.Unused != nil && r.enabled[PermissionsUnused] {
		for _, f := range opts.Unused() {
			r.add(PermissionsUnused, f.Account, f.Resource, f.Title, f.Evidence...)
		}
	}
	// Sort an index, not the findings: they are large and there can be
	// tens of thousands.
	order := make([]int, len(r.findings))
	for i := range order {
		order[i] = i
	}
	fs := r.findings
	sort.SliceStable(order, func(i, j int) bool {
		a, b := &fs[order[i]], &fs[order[j]]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if ia, ib := ruleIndex(a.RuleID), ruleIndex(b.RuleID); ia != ib {
			return ia < ib
		}
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		return a.Title < b.Title
	})
	rep.Findings = make([]finding.Finding, 0, len(fs))
	for _, i := range order {
		rep.Findings = append(rep.Findings, fs[i])
	}
	return rep
}

type run struct {
	cfg      config.Audit
	now      time.Time
	isAdmin  AdminFunc
	enabled  map[string]bool
	findings []finding.Finding
	ix       *index // of the account being audited
	activity *Activity
	gaps     *gaps // of the account being audited
	rcps     policy.RCPServices
}

// gaps collects, for one account, the rules that could not judge for lack
// of evidence, why, and the principals left unjudged.
type gaps struct {
	why     map[string]string   // rule id → reason
	unknown map[string][]string // rule id → principals it could not judge
}

// gap records that rule id could not run (for who, when not empty).
func (r *run) gap(id, why, who string) {
	if !r.enabled[id] || r.gaps == nil {
		return
	}
	if _, ok := r.gaps.why[id]; !ok {
		r.gaps.why[id] = why
	}
	if who != "" {
		r.gaps.unknown[id] = append(r.gaps.unknown[id], who)
	}
}

// reportGaps turns the account's gaps into one EvidenceMissing finding.
func (r *run) reportGaps(a *snapshot.Account) {
	g := r.gaps
	if len(g.why) == 0 {
		return
	}
	ids := make([]string, 0, len(g.why))
	for id := range g.why {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ruleIndex(ids[i]) < ruleIndex(ids[j]) })
	var evs []finding.Evidence
	for _, id := range ids {
		v := g.why[id]
		if who := g.unknown[id]; len(who) > 0 {
			listed := who
			if len(listed) > maxListed {
				listed = append(listed[:maxListed:maxListed], fmt.Sprintf("and %d more", len(who)-maxListed))
			}
			v += "; not judged: " + strings.Join(listed, ", ")
		}
		evs = append(evs, ev(id, v))
	}
	evs = append(evs, ev("to collect it", missingAdvice(a)))
	r.add(EvidenceMissing, a.AccountID, rootARN(a, nil),
		fmt.Sprintf("%s could not run in account %s for lack of evidence", plural(len(ids), "rule", "rules"), a.AccountID), evs...)
}

// missingAdvice says what to run to get the account's missing evidence.
func missingAdvice(a *snapshot.Account) string {
	var out []string
	if a.CredentialReport == nil {
		out = append(out, "a credential report: `aws iam generate-credential-report`, then `aws iam get-credential-report > report.json` and `seiri snapshot import --credential-report report.json` (or `seiri collect`)")
	}
	if a.KeysUnknown {
		out = append(out, "the access keys and console passwords: `seiri collect` (get-account-authorization-details does not list them)")
	}
	if !a.AccessAdvisorCollected {
		out = append(out, "Access Advisor: `seiri collect` with iam:GenerateServiceLastAccessedDetails allowed")
	}
	out = append(out, "CloudTrail usage: `seiri trail scan` over the account's logs")
	return strings.Join(out, "; ")
}

// add records a finding of rule id; it is a no-op for disabled rules.
func (r *run) add(id, account, resource, title string, ev ...finding.Evidence) {
	if !r.enabled[id] {
		return
	}
	rule := &registry[ruleIndex(id)]
	r.findings = append(r.findings, finding.Finding{
		RuleID: id, Severity: rule.Severity, Account: account, Resource: resource,
		Title: title, Evidence: ev, Recommendation: rule.Recommendation,
	})
}

// cutoff returns the instant before which something is older than days.
func (r *run) cutoff(days int) time.Time { return r.now.Add(-time.Duration(days) * 24 * time.Hour) }

// ageDays is the whole number of days from t to now.
func (r *run) ageDays(t time.Time) int { return int(r.now.Sub(t) / (24 * time.Hour)) }

// date renders a timestamp as evidence: RFC 3339 and its age.
func (r *run) date(t time.Time) string {
	d := r.ageDays(t)
	switch {
	case d == 1:
		return fmt.Sprintf("%s (1 day ago)", t.UTC().Format(time.RFC3339))
	case d >= 0:
		return fmt.Sprintf("%s (%d days ago)", t.UTC().Format(time.RFC3339), d)
	default:
		return fmt.Sprintf("%s (in the future)", t.UTC().Format(time.RFC3339))
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func ev(name, value string) finding.Evidence { return finding.Evidence{Name: name, Value: value} }

// reportTime renders a credential report timestamp or why it is missing.
func (r *run) reportTime(t credreport.Time) string {
	if t.Valid() {
		return r.date(t.Time)
	}
	switch t.Missing {
	case credreport.NA:
		return "N/A (never)"
	case credreport.Present:
		return "absent"
	}
	return string(t.Missing)
}

// latest returns the latest valid time and whether there is one.
func latest(ts ...time.Time) (time.Time, bool) {
	var m time.Time
	for _, t := range ts {
		if t.After(m) {
			m = t
		}
	}
	return m, !m.IsZero()
}

// index makes per-user lookups constant time: an account can have
// thousands of users.
type index struct {
	rows     map[string]*credreport.Row
	policies map[string]*snapshot.ManagedPolicy
	groups   map[string]*snapshot.Group
}

func newIndex(a *snapshot.Account) *index {
	ix := &index{rows: map[string]*credreport.Row{}, policies: map[string]*snapshot.ManagedPolicy{}, groups: map[string]*snapshot.Group{}}
	if a.CredentialReport != nil {
		for i := range a.CredentialReport.Rows {
			row := &a.CredentialReport.Rows[i]
			if _, dup := ix.rows[row.User]; !dup {
				ix.rows[row.User] = row
			}
		}
	}
	for i := range a.Policies {
		ix.policies[a.Policies[i].ARN] = &a.Policies[i]
	}
	for i := range a.Groups {
		ix.groups[a.Groups[i].GroupName] = &a.Groups[i]
	}
	return ix
}

func (r *run) account(a *snapshot.Account) {
	rep := a.CredentialReport
	r.gaps = &gaps{why: map[string]string{}, unknown: map[string][]string{}}
	defer r.reportGaps(a)
	if rep == nil && a.KeysUnknown {
		// An import without a credential report: nothing says which users
		// have keys or a console password.
		const why = "no credential report, and the access keys and console passwords were not listed (imported snapshot)"
		for _, id := range []string{KeyUnused, KeyOld, KeyTwoActive, UserNoMFA, PasswordOld, UserConsoleAndKeys, MachineUserAdmin} {
			r.gap(id, why, "")
		}
	}
	if !a.AccessAdvisorCollected && a.KeysUnknown {
		// A collect run with --no-access-advisor chose so (and collect
		// says so); an import never has it.
		r.gap(ServiceUnused, "Access Advisor was not collected for the account (imported snapshot)", "")
	}
	r.root(a, rep)
	r.ix = newIndex(a)
	members := map[string]int{}
	for i := range a.Users {
		u := &a.Users[i]
		for _, g := range u.Groups {
			members[g]++
		}
		var row *credreport.Row
		if rep != nil {
			row = r.ix.rows[u.UserName]
			if problem := sameUser(u, row); problem != "" {
				r.add(CredReportUnmatched, a.AccountID, u.ARN, fmt.Sprintf("Credential report row of %s describes another user", u.UserName),
					ev(reportLine("credential report", row), problem))
				row = nil
			}
		}
		r.user(a, u, row)
	}
	for _, row := range snapshot.ReportRowsWithoutUser(a) {
		arn := row.ARN
		if arn == "" {
			arn = row.User
		}
		r.add(CredReportUnmatched, a.AccountID, arn, fmt.Sprintf("Credential report lists user %s, who is not in the snapshot", row.User),
			ev(fmt.Sprintf("credential report line %d", row.Line), fmt.Sprintf("user %s (%s) has no entry in the snapshot: deleted since the report was generated, or missing from the import (a truncated or filtered file); its row is not used", row.User, row.ARN)))
	}
	for i := range a.Groups {
		r.group(a, &a.Groups[i], members[a.Groups[i].GroupName])
	}
	for i := range a.Roles {
		r.role(a, &a.Roles[i])
	}
}

// sameUser checks that a report row found by name describes this user and
// not an earlier user of the same name (deleted and re-created since the
// report): its ARN and creation time must agree. It returns the problem, or
// "" when the row can be used (or there is none).
func sameUser(u *snapshot.User, row *credreport.Row) string {
	if row == nil {
		return ""
	}
	if row.ARN != "" && u.ARN != "" && row.ARN != u.ARN {
		return fmt.Sprintf("row ARN %s differs from the user's %s", row.ARN, u.ARN)
	}
	if row.UserCreationTime.Valid() && !u.CreateDate.IsZero() &&
		!row.UserCreationTime.Time.Truncate(time.Second).Equal(u.CreateDate.UTC().Truncate(time.Second)) {
		return fmt.Sprintf("row user_creation_time %s differs from the user's CreateDate %s (user re-created since the report?)",
			row.UserCreationTime.Time.UTC().Format(time.RFC3339), u.CreateDate.UTC().Format(time.RFC3339))
	}
	return ""
}

// rootARN is the root user's ARN in the partition of the account's other ARNs.
func rootARN(a *snapshot.Account, row *credreport.Row) string {
	if row != nil && row.ARN != "" {
		return row.ARN
	}
	partition := "aws"
	for _, u := range a.Users {
		if p := strings.SplitN(u.ARN, ":", 3); len(p) == 3 && p[0] == "arn" {
			partition = p[1]
			break
		}
	}
	return fmt.Sprintf("arn:%s:iam::%s:root", partition, a.AccountID)
}

// root checks the root user from the credential report's <root_account> row
// and, when there is no report, GetAccountSummary's AccountAccessKeysPresent
// and AccountMFAEnabled (IAM API reference, GetAccountSummary).
func (r *run) root(a *snapshot.Account, rep *credreport.Report) {
	var row *credreport.Row
	if rep != nil {
		row = rep.Root()
	}
	arn := rootARN(a, row)
	if row != nil {
		var evs []finding.Evidence
		for i, k := range row.AccessKeys {
			if k.LastRotated.Valid() || k.Active {
				evs = append(evs,
					ev(fmt.Sprintf("access_key_%d_active (credential report)", i+1), fmt.Sprint(k.Active)),
					ev(fmt.Sprintf("access_key_%d_last_rotated (credential report)", i+1), r.reportTime(k.LastRotated)),
					ev(fmt.Sprintf("access_key_%d_last_used_date (credential report)", i+1), r.reportTime(k.LastUsedDate)))
			}
		}
		if len(evs) > 0 {
			r.add(RootKeys, a.AccountID, arn, "Root user has access keys", evs...)
		}
		if !row.MFAActive {
			r.add(RootNoMFA, a.AccountID, arn, "Root user has no MFA", ev("mfa_active (credential report)", "false"))
		}
		cut := r.cutoff(r.cfg.RootUsedDays)
		var used []finding.Evidence
		if t := row.PasswordLastUsed; t.Valid() && !t.Time.Before(cut) {
			used = append(used, ev("password_last_used (credential report)", r.date(t.Time)))
		}
		for i, k := range row.AccessKeys {
			if t := k.LastUsedDate; t.Valid() && !t.Time.Before(cut) {
				used = append(used, ev(fmt.Sprintf("access_key_%d_last_used_date (credential report)", i+1), r.date(t.Time)))
			}
		}
		if len(used) > 0 {
			used = append(used, ev("threshold", fmt.Sprintf("used within %d days", r.cfg.RootUsedDays)))
			r.add(RootUsed, a.AccountID, arn, fmt.Sprintf("Root user used in the last %d days", r.cfg.RootUsedDays), used...)
		}
		return
	}
	noRow := "no credential report"
	if rep != nil {
		noRow = "the credential report has no <root_account> row"
	}
	r.gap(RootUsed, noRow+" (the root user's last use is only there)", "")
	if n, ok := a.Summary["AccountAccessKeysPresent"]; ok && n > 0 {
		r.add(RootKeys, a.AccountID, arn, "Root user has access keys", ev("AccountAccessKeysPresent (account summary)", fmt.Sprint(n)))
	} else if !ok {
		r.gap(RootKeys, noRow+" and no account summary (AccountAccessKeysPresent)", "")
	}
	if n, ok := a.Summary["AccountMFAEnabled"]; ok && n == 0 {
		r.add(RootNoMFA, a.AccountID, arn, "Root user has no MFA", ev("AccountMFAEnabled (account summary)", "0"))
	} else if !ok {
		r.gap(RootNoMFA, noRow+" and no account summary (AccountMFAEnabled)", "")
	}
}

// keyUse is what the sources say about one access key.
type keyUse struct {
	key  snapshot.AccessKey
	slot int // 0 or 1; -1 when no credential report slot matched
	row  *credreport.Row
	// trail is the key's last call in CloudTrail (zero: none recorded);
	// trailWindow says whether the account's logs were scanned.
	trail       LastCall
	trailWindow *Window
}

// lastUsed combines GetAccessKeyLastUsed, the matched report slot and CloudTrail.
func (k keyUse) lastUsed() (time.Time, bool) {
	var ts []time.Time
	if k.key.LastUsed != nil {
		ts = append(ts, k.key.LastUsed.Date)
	}
	if !k.trail.Time.IsZero() {
		ts = append(ts, k.trail.Time)
	}
	if k.slot >= 0 {
		if t := k.row.AccessKeys[k.slot].LastUsedDate; t.Valid() {
			ts = append(ts, t.Time)
		}
	}
	return latest(ts...)
}

// evidence states what each source said about the key's last use.
func (r *run) keyEvidence(k keyUse) []finding.Evidence {
	evs := []finding.Evidence{
		ev("access_key_id", k.key.AccessKeyID),
		ev("status", k.key.Status),
		ev("created", r.date(k.key.CreateDate)),
	}
	if k.key.LastUsed != nil {
		v := r.date(k.key.LastUsed.Date)
		if k.key.LastUsed.ServiceName != "" && k.key.LastUsed.ServiceName != "N/A" {
			v += " " + k.key.LastUsed.ServiceName
			if k.key.LastUsed.Region != "" && k.key.LastUsed.Region != "N/A" {
				v += " in " + k.key.LastUsed.Region
			}
		}
		evs = append(evs, ev("last_used (GetAccessKeyLastUsed)", v))
	} else {
		evs = append(evs, ev("last_used (GetAccessKeyLastUsed)", "never"))
	}
	switch {
	case k.row == nil:
		evs = append(evs, ev("last_used (credential report)", "no report row"))
	case k.slot < 0:
		evs = append(evs, ev("last_used (credential report)", "no slot matches the key's creation time"))
	default:
		s := k.row.AccessKeys[k.slot]
		evs = append(evs, ev(fmt.Sprintf("access_key_%d_last_used_date (%s)", k.slot+1, reportLine("credential report", k.row)), r.reportTime(s.LastUsedDate)))
	}
	switch {
	case k.trailWindow == nil:
		evs = append(evs, ev("last call (CloudTrail)", "no logs scanned for this account"))
	case k.trail.Time.IsZero():
		evs = append(evs, ev(fmt.Sprintf("last call (CloudTrail, %s to %s)", k.trailWindow.Since.UTC().Format(time.DateOnly), k.trailWindow.Until.UTC().Format(time.DateOnly)), "no call recorded"))
	default:
		evs = append(evs, ev(fmt.Sprintf("last call (CloudTrail, %s to %s)", k.trailWindow.Since.UTC().Format(time.DateOnly), k.trailWindow.Until.UTC().Format(time.DateOnly)),
			fmt.Sprintf("%s, %s recorded", r.date(k.trail.Time), plural(int(k.trail.Calls), "call", "calls"))))
	}
	return evs
}

func (r *run) user(a *snapshot.Account, u *snapshot.User, row *credreport.Row) {
	acct := a.AccountID
	// Match the report's key slots to the real keys (exactly, or not at all).
	var match credreport.KeyMatch
	if a.KeysUnknown && row != nil {
		// Imported snapshot: the report's slots are all we know of the keys.
		// They get stand-in names, never invented key ids, and match their
		// own slots by creation time.
		u = slotUser(u, row)
	}
	if row != nil {
		keys := make([]credreport.Key, len(u.AccessKeys))
		for i, k := range u.AccessKeys {
			keys[i] = credreport.Key{ID: k.AccessKeyID, CreateDate: k.CreateDate, Active: k.Active()}
		}
		match = credreport.MatchKeys(row.AccessKeys, keys)
		if !a.KeysUnknown {
			r.unmatched(acct, u, row, match, a.CredentialReport.GeneratedTime)
		}
	}
	uses := make([]keyUse, len(u.AccessKeys))
	var active []keyUse
	for i, k := range u.AccessKeys {
		uses[i] = keyUse{key: k, slot: -1, row: row}
		if w, ok := r.activity.window(acct); ok {
			uses[i].trailWindow = &w
			uses[i].trail = r.activity.Keys[k.AccessKeyID]
		}
		if row != nil {
			uses[i].slot = match.Slot(k.AccessKeyID)
		}
		if k.Active() {
			active = append(active, uses[i])
		}
	}

	console := u.LoginProfile != nil
	consoleSrc := "login profile (GetLoginProfile)"
	if !console && row != nil && row.PasswordEnabled.Value {
		console, consoleSrc = true, fmt.Sprintf("password_enabled (%s)", reportLine("credential report", row))
	}

	r.userInactive(a, u, row)
	r.keys(acct, u, active)

	// MFA: MFA devices in the snapshot or mfa_active in the report.
	mfa := len(u.MFADevices) > 0 || (row != nil && row.MFAActive)
	if console && !mfa {
		evs := []finding.Evidence{ev("console password", "yes, from "+consoleSrc), ev("mfa devices", "0")}
		if row != nil {
			evs = append(evs, ev("mfa_active (credential report)", "false"))
		}
		r.add(UserNoMFA, acct, u.ARN, fmt.Sprintf("Console user %s has no MFA", u.UserName), evs...)
	}
	if console {
		r.passwordAge(a, u, row)
	}
	if console && len(active) > 0 {
		ids := make([]string, len(active))
		for i, k := range active {
			ids[i] = k.key.AccessKeyID
		}
		r.add(UserConsoleAndKeys, acct, u.ARN, fmt.Sprintf("User %s has a console password and active access keys", u.UserName),
			ev("console password", "yes, from "+consoleSrc), ev("active access keys", strings.Join(ids, ", ")))
	}
	if len(u.AttachedPolicies) > 0 {
		names := make([]string, len(u.AttachedPolicies))
		for i, p := range u.AttachedPolicies {
			names[i] = p.PolicyARN
		}
		r.add(UserDirectPolicy, acct, u.ARN, fmt.Sprintf("User %s has %s attached directly", u.UserName, plural(len(names), "managed policy", "managed policies")),
			ev("attached policies", strings.Join(names, ", ")))
	}
	if len(u.InlinePolicies) > 0 {
		names := make([]string, len(u.InlinePolicies))
		for i, p := range u.InlinePolicies {
			names[i] = p.PolicyName
		}
		r.add(UserInlinePolicy, acct, u.ARN, fmt.Sprintf("User %s has %s", u.UserName, plural(len(names), "inline policy", "inline policies")),
			ev("inline policies", strings.Join(names, ", ")))
	}
	if n := len(u.Groups); n >= r.cfg.GroupsPerUserWarn {
		r.add(UserManyGroups, acct, u.ARN, fmt.Sprintf("User %s is in %d groups (IAM limit: 10)", u.UserName, n),
			ev("groups", fmt.Sprintf("%d: %s", n, strings.Join(u.Groups, ", "))),
			ev("threshold", fmt.Sprintf("%d (IAM quota: 10 groups per user)", r.cfg.GroupsPerUserWarn)))
	}
	if len(active) > 0 && !console && r.enabled[MachineUserAdmin] {
		if ok, because := r.isAdmin(userPolicies(r.ix, u)); ok {
			ids := make([]string, len(active))
			for i, k := range active {
				ids[i] = k.key.AccessKeyID
			}
			r.add(MachineUserAdmin, acct, u.ARN, fmt.Sprintf("Machine user %s has administrator access", u.UserName),
				ev("administrator access from", because), ev("active access keys", strings.Join(ids, ", ")), ev("console password", "no"))
		}
	}
	r.serviceUnused(a, u.ARN, "User "+u.UserName, u.CreateDate, u.AccessAdvisor)
}

// slotUser returns a copy of u whose access keys are the credential report's
// used slots, named "access_key_N (id unknown)", with the slots' dates.
func slotUser(u *snapshot.User, row *credreport.Row) *snapshot.User {
	c := *u
	c.AccessKeys = nil
	for i, s := range row.AccessKeys {
		if !s.LastRotated.Valid() {
			continue
		}
		k := snapshot.AccessKey{AccessKeyID: fmt.Sprintf("access_key_%d (id unknown)", i+1), Status: "Inactive", CreateDate: s.LastRotated.Time}
		if s.Active {
			k.Status = "Active"
		}
		c.AccessKeys = append(c.AccessKeys, k)
	}
	return &c
}

// unmatched reports credential report slots and keys that could not be
// paired: their report data is then not used, and the user should know.
func (r *run) unmatched(acct string, u *snapshot.User, row *credreport.Row, m credreport.KeyMatch, generated time.Time) {
	created := map[string]time.Time{}
	for _, k := range u.AccessKeys {
		created[k.AccessKeyID] = k.CreateDate
	}
	var evs []finding.Evidence
	for i, s := range m.Slots {
		if s.Problem != "" {
			evs = append(evs, ev(fmt.Sprintf("access_key_%d (%s)", i+1, reportLine("credential report", row)), s.Problem))
		}
	}
	for _, k := range m.UnmatchedKeys {
		if !generated.IsZero() && created[k.KeyID].After(generated) {
			continue // created after the report was generated: expected
		}
		evs = append(evs, ev("access key "+k.KeyID, k.Reason))
	}
	if len(evs) > 0 {
		r.add(CredReportUnmatched, acct, u.ARN, fmt.Sprintf("Credential report key slots of %s do not match its access keys", u.UserName), evs...)
	}
}

// userInactive takes every witness of the user's activity — IAM's own
// last-used fields (a collect), the credential report, CloudTrail (the usage
// store) and Access Advisor — and judges on the latest. Each witness is shown.
// A witness that is absent is said to be absent; when none is present the
// user is not judged (and the gap is reported), never called unused.
func (r *run) userInactive(a *snapshot.Account, u *snapshot.User, row *credreport.Row) {
	acct := a.AccountID
	cut := r.cutoff(r.cfg.InactiveUserDays)
	var ts []time.Time
	var evs []finding.Evidence
	// complete: a witness that would have seen any use over the threshold,
	// so that its silence means "never".
	complete := false
	if !a.KeysUnknown {
		complete = true
		if u.PasswordLastUsed != nil {
			ts = append(ts, *u.PasswordLastUsed)
			evs = append(evs, ev("password_last_used (IAM user)", r.date(*u.PasswordLastUsed)))
		}
		for _, k := range u.AccessKeys {
			if k.LastUsed != nil {
				ts = append(ts, k.LastUsed.Date)
				evs = append(evs, ev(k.AccessKeyID+" last_used (GetAccessKeyLastUsed)", r.date(k.LastUsed.Date)))
			} else {
				evs = append(evs, ev(k.AccessKeyID+" last_used (GetAccessKeyLastUsed)", "never"))
			}
		}
	}
	if row != nil {
		complete = true
		if row.PasswordLastUsed.Valid() {
			ts = append(ts, row.PasswordLastUsed.Time)
		}
		evs = append(evs, ev("password_last_used (credential report)", r.reportTime(row.PasswordLastUsed)))
		// The report's slots are the user's, matched or not: any key use is
		// user activity.
		for i, k := range row.AccessKeys {
			if k.LastUsedDate.Valid() {
				ts = append(ts, k.LastUsedDate.Time)
			}
			if k.LastRotated.Valid() || k.LastUsedDate.Valid() {
				evs = append(evs, ev(fmt.Sprintf("access_key_%d_last_used_date (credential report)", i+1), r.reportTime(k.LastUsedDate)))
			}
		}
	} else {
		evs = append(evs, ev("credential report", "none for this account"))
	}
	if w, ok := r.activity.window(acct); ok {
		name := fmt.Sprintf("last call (CloudTrail, %s to %s)", w.Since.UTC().Format(time.DateOnly), w.Until.UTC().Format(time.DateOnly))
		if c, ok := r.activity.Principals[u.ARN]; ok && !c.Time.IsZero() {
			ts = append(ts, c.Time)
			evs = append(evs, ev(name, fmt.Sprintf("%s, %s recorded", r.date(c.Time), plural(int(c.Calls), "call", "calls"))))
		} else {
			evs = append(evs, ev(name, "no call recorded"))
			if !w.Since.After(cut) {
				complete = true
			}
		}
	} else {
		evs = append(evs, ev("CloudTrail", "no logs scanned for this account"))
	}
	if a.AccessAdvisorCollected && len(u.AccessAdvisor) > 0 {
		complete = true
		var last time.Time
		for _, s := range u.AccessAdvisor {
			if s.LastAuthenticated != nil && s.LastAuthenticated.After(last) {
				last = *s.LastAuthenticated
			}
		}
		if !last.IsZero() {
			ts = append(ts, last)
			evs = append(evs, ev("last authenticated (Access Advisor)", r.date(last)))
		} else {
			evs = append(evs, ev("last authenticated (Access Advisor)", "never, for any granted service"))
		}
	}
	last, used := latest(ts...)
	switch {
	case used && last.Before(cut):
		r.add(UserInactive, acct, u.ARN, fmt.Sprintf("User %s not active for %d days", u.UserName, r.ageDays(last)),
			append([]finding.Evidence{ev("last activity", r.date(last)), ev("threshold", fmt.Sprintf("%d days", r.cfg.InactiveUserDays))}, evs...)...)
	case !used && !complete:
		if u.CreateDate.Before(cut) {
			r.gap(UserInactive, "activity unknown (no credential report, no IAM last-used data, no CloudTrail covering the threshold, no Access Advisor)", u.UserName)
		}
	case !used && u.CreateDate.Before(cut):
		r.add(UserInactive, acct, u.ARN, fmt.Sprintf("User %s never used (created %d days ago)", u.UserName, r.ageDays(u.CreateDate)),
			append([]finding.Evidence{ev("last activity", "never"), ev("created", r.date(u.CreateDate)), ev("threshold", fmt.Sprintf("%d days", r.cfg.InactiveUserDays))}, evs...)...)
	}
}

func (r *run) keys(acct string, u *snapshot.User, active []keyUse) {
	unusedCut := r.cutoff(r.cfg.UnusedKeyDays)
	rotateCut := r.cutoff(r.cfg.KeyRotationDays)
	for _, k := range active {
		id := k.key.AccessKeyID
		last, used := k.lastUsed()
		switch {
		case used && last.Before(unusedCut):
			r.add(KeyUnused, acct, u.ARN, fmt.Sprintf("Access key %s of %s not used for %d days", id, u.UserName, r.ageDays(last)),
				append(r.keyEvidence(k), ev("threshold", fmt.Sprintf("%d days", r.cfg.UnusedKeyDays)))...)
		case !used && k.key.CreateDate.Before(unusedCut):
			r.add(KeyUnused, acct, u.ARN, fmt.Sprintf("Access key %s of %s never used (created %d days ago)", id, u.UserName, r.ageDays(k.key.CreateDate)),
				append(r.keyEvidence(k), ev("threshold", fmt.Sprintf("%d days", r.cfg.UnusedKeyDays)))...)
		}
		if k.key.CreateDate.Before(rotateCut) {
			r.add(KeyOld, acct, u.ARN, fmt.Sprintf("Access key %s of %s is %d days old", id, u.UserName, r.ageDays(k.key.CreateDate)),
				ev("access_key_id", id), ev("created", r.date(k.key.CreateDate)), ev("threshold", fmt.Sprintf("%d days", r.cfg.KeyRotationDays)))
		}
	}
	if len(active) >= 2 {
		evs := []finding.Evidence{}
		for _, k := range active {
			v := "created " + r.date(k.key.CreateDate)
			if last, ok := k.lastUsed(); ok {
				v += ", last used " + r.date(last)
			} else {
				v += ", never used"
			}
			evs = append(evs, ev(k.key.AccessKeyID, v))
		}
		r.add(KeyTwoActive, acct, u.ARN, fmt.Sprintf("User %s has %d active access keys", u.UserName, len(active)), evs...)
	}
}

// passwordAge uses the account's password policy expiry when set, else the
// configured default. The password's age comes from the report's
// password_last_changed, else from the login profile's creation.
func (r *run) passwordAge(a *snapshot.Account, u *snapshot.User, row *credreport.Row) {
	maxAge, maxSrc := r.cfg.PasswordMaxAgeDays, "audit.password_max_age_days (no password expiry in the account's password policy)"
	if p := a.PasswordPolicy; p != nil && p.ExpirePasswords && p.MaxPasswordAge > 0 {
		maxAge, maxSrc = int(p.MaxPasswordAge), "MaxPasswordAge of the account's password policy"
	}
	var changed time.Time
	var src string
	switch {
	case row != nil && row.PasswordLastChanged.Valid():
		changed, src = row.PasswordLastChanged.Time, "password_last_changed (credential report)"
	case u.LoginProfile != nil && !u.LoginProfile.CreateDate.IsZero():
		changed, src = u.LoginProfile.CreateDate, "login profile created (GetLoginProfile; no credential report date)"
	default:
		return
	}
	if changed.Before(r.cutoff(maxAge)) {
		r.add(PasswordOld, a.AccountID, u.ARN, fmt.Sprintf("Password of %s is %d days old", u.UserName, r.ageDays(changed)),
			ev(src, r.date(changed)), ev("maximum age", fmt.Sprintf("%d days, from %s", maxAge, maxSrc)))
	}
}

// userPolicies gathers every identity policy of u: attached, inline, and
// those of its groups; a permissions boundary is handled by requiring the
// boundary itself to be administrator-level.
func userPolicies(ix *index, u *snapshot.User) ([]Policy, *Policy) {
	doc := func(arn string) json.RawMessage {
		if p := ix.policies[arn]; p != nil {
			return p.Document
		}
		return nil // AWS managed policy not in the snapshot: judged by ARN only
	}
	var ps []Policy
	for _, ap := range u.AttachedPolicies {
		ps = append(ps, Policy{Name: ap.PolicyName, ARN: ap.PolicyARN, Source: "attached to the user", Document: doc(ap.PolicyARN)})
	}
	for _, ip := range u.InlinePolicies {
		ps = append(ps, Policy{Name: ip.PolicyName, Source: "inline in the user", Document: ip.Document})
	}
	for _, gname := range u.Groups {
		g := ix.groups[gname]
		if g == nil {
			continue
		}
		for _, ap := range g.AttachedPolicies {
			ps = append(ps, Policy{Name: ap.PolicyName, ARN: ap.PolicyARN, Source: "via group " + g.GroupName, Document: doc(ap.PolicyARN)})
		}
		for _, ip := range g.InlinePolicies {
			ps = append(ps, Policy{Name: ip.PolicyName, Source: "inline in group " + g.GroupName, Document: ip.Document})
		}
	}
	var boundary *Policy
	if u.PermissionsBoundary != "" {
		boundary = &Policy{ARN: u.PermissionsBoundary, Source: "permissions boundary", Document: doc(u.PermissionsBoundary)}
	}
	return ps, boundary
}

func (r *run) group(a *snapshot.Account, g *snapshot.Group, members int) {
	if members == 0 {
		r.add(GroupEmpty, a.AccountID, g.ARN, fmt.Sprintf("Group %s has no members", g.GroupName),
			ev("members", "0"), ev("created", r.date(g.CreateDate)))
	}
	if len(g.AttachedPolicies) == 0 && len(g.InlinePolicies) == 0 {
		r.add(GroupNoPolicy, a.AccountID, g.ARN, fmt.Sprintf("Group %s has no policies", g.GroupName),
			ev("attached policies", "0"), ev("inline policies", "0"), ev("members", fmt.Sprint(members)))
	}
}

func (r *run) role(a *snapshot.Account, ro *snapshot.Role) {
	if ro.ServiceLinked() {
		return // owned by an AWS service: seiri never changes it
	}
	cut := r.cutoff(r.cfg.UnusedRoleDays)
	th := ev("threshold", fmt.Sprintf("%d days", r.cfg.UnusedRoleDays))
	switch {
	case ro.LastUsed != nil && !ro.LastUsed.Date.IsZero():
		if ro.LastUsed.Date.Before(cut) {
			v := r.date(ro.LastUsed.Date)
			if ro.LastUsed.Region != "" {
				v += " in " + ro.LastUsed.Region
			}
			r.add(RoleUnused, a.AccountID, ro.ARN, fmt.Sprintf("Role %s not used for %d days", ro.RoleName, r.ageDays(ro.LastUsed.Date)),
				ev("last used (RoleLastUsed)", v), ev("created", r.date(ro.CreateDate)), th)
		}
	case ro.CreateDate.Before(cut):
		// RoleLastUsed covers the trailing 400 days (IAM API reference,
		// RoleLastUsed).
		r.add(RoleUnused, a.AccountID, ro.ARN, fmt.Sprintf("Role %s never used (created %d days ago)", ro.RoleName, r.ageDays(ro.CreateDate)),
			ev("last used (RoleLastUsed)", "never (no use recorded; IAM tracks the last 400 days)"), ev("created", r.date(ro.CreateDate)), th)
	}
	r.serviceUnused(a, ro.ARN, "Role "+ro.RoleName, ro.CreateDate, ro.AccessAdvisor)
}

// maxListed caps the services named in one evidence value.
const maxListed = 25

// serviceUnused reports services Access Advisor lists as granted but not
// accessed within the threshold. Only when Access Advisor was collected for
// the account: otherwise an empty list means "unknown".
func (r *run) serviceUnused(a *snapshot.Account, arn, who string, created time.Time, aa []snapshot.ServiceAccess) {
	if !a.AccessAdvisorCollected || len(aa) == 0 {
		return
	}
	cut := r.cutoff(r.cfg.UnusedServiceDays)
	if !created.Before(cut) {
		return // too new to have had the chance
	}
	var unused []string
	for _, s := range aa {
		switch {
		case s.LastAuthenticated == nil:
			unused = append(unused, s.ServiceNamespace+" (never)")
		case s.LastAuthenticated.Before(cut):
			unused = append(unused, fmt.Sprintf("%s (%s)", s.ServiceNamespace, s.LastAuthenticated.UTC().Format(time.RFC3339)))
		}
	}
	if len(unused) == 0 {
		return
	}
	sort.Strings(unused)
	listed := unused
	if len(listed) > maxListed {
		listed = append(listed[:maxListed:maxListed], fmt.Sprintf("and %d more", len(unused)-maxListed))
	}
	r.add(ServiceUnused, a.AccountID, arn, fmt.Sprintf("%s has %d of %d granted services not accessed in %d days", who, len(unused), len(aa), r.cfg.UnusedServiceDays),
		ev("services not accessed (Access Advisor)", strings.Join(listed, ", ")),
		ev("services granted", fmt.Sprint(len(aa))),
		ev("threshold", fmt.Sprintf("%d days", r.cfg.UnusedServiceDays)))
}

// reportLine names where a credential report row came from: its CSV line
// when known, else its user (rows of a stored snapshot carry no line; a
// "line 0" would send the reader to a line that does not exist).
func reportLine(what string, row *credreport.Row) string {
	if row == nil {
		return what
	}
	if row.Line > 0 {
		return fmt.Sprintf("%s, line %d", what, row.Line)
	}
	return fmt.Sprintf("%s, row of user %q", what, row.User)
}
