// Package keys is the credential retirement workflow: which access keys look
// unused (with the evidence and how far that evidence can be trusted), the
// plans that disable, restore and delete them, the executor that applies
// those plans to IAM, and the watch that decides whether a disabled key was
// missed. Everything except the executor is a pure function over a snapshot,
// usage rows, the configuration and a time.
package keys

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/credreport"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// KeepTag on a user (or in a key's tags) excludes it from every plan.
const KeepTag = "seiri:keep"

// Options select candidates.
type Options struct {
	UnusedDays       int  // no use by any source in this many days
	IncludeNeverUsed bool // keys never used at all (and older than UnusedDays)
}

// Evidence is one source's answer about a key's last use.
type Evidence struct {
	Source   string     `json:"source"` // GetAccessKeyLastUsed, credential report, CloudTrail, Access Advisor (owner)
	LastUsed *time.Time `json:"lastUsed,omitempty"`
	Detail   string     `json:"detail,omitempty"`
	// Absent: the source was not collected (no Access Advisor, no scanned
	// CloudTrail log, no credential report row): shown as absent, never as
	// "no use".
	Absent bool `json:"absent,omitempty"`
}

// Value is how a report shows the evidence's answer: the last use, "no
// use", or "not collected" when the source is absent.
func (e Evidence) Value() string {
	switch {
	case e.LastUsed != nil:
		return e.LastUsed.Format("2006-01-02")
	case e.Absent:
		return "not collected"
	}
	return "no use"
}

// Coverage says how far silence can be trusted.
type Coverage struct {
	// Trail is true when a logging trail covers the key's account in every
	// region (multi-region) or the regions listed in Regions.
	Trail        bool     `json:"trail"`
	TrailRegions []string `json:"trailRegions,omitempty"` // "*" for all regions
	// DataEvents lists the resources the owner's policies grant data-plane
	// access to that no trail logs data events for.
	UnloggedData []string `json:"unloggedData,omitempty"`
	// DaysScanned is how many days of CloudTrail logs the usage store holds.
	DaysScanned int `json:"daysScanned"`
	// Gaps are the reasons silence might only mean "not logged".
	Gaps []string `json:"gaps,omitempty"`
}

// Complete reports whether the evidence has no known gap.
func (c Coverage) Complete() bool { return len(c.Gaps) == 0 }

// Candidate is an access key that looks unused.
type Candidate struct {
	Account     string     `json:"account"`
	User        string     `json:"user"`
	UserARN     string     `json:"userArn"`
	AccessKeyID string     `json:"accessKeyId"`
	CreateDate  time.Time  `json:"createDate"`
	LastUsed    *time.Time `json:"lastUsed,omitempty"` // latest over every source; nil: never used
	Evidence    []Evidence `json:"evidence"`
	Coverage    Coverage   `json:"coverage"`
	// Refused is set when the key must not be disabled (lockout protection).
	Refused string `json:"refused,omitempty"`
}

// Excluded is a key left out of the plan on purpose.
type Excluded struct {
	Account     string `json:"account"`
	User        string `json:"user"`
	AccessKeyID string `json:"accessKeyId"`
	Reason      string `json:"reason"`
}

// Input is what the analysis reads.
type Input struct {
	Snapshot *snapshot.Snapshot
	// KeyUsage is the usage store's rows per access key id (any time).
	KeyUsage map[string][]usage.Row
	// PrincipalUsage is the usage store's rows per principal ARN (users).
	PrincipalUsage map[string][]usage.Row
	Runs           []usage.Run
	// Logs are the scanned CloudTrail logs per account and region
	// (usage.Store.LogCoverageOf); when present, coverage is counted per
	// account from them (LogCoverage), not from the scan runs.
	Logs   []usage.LogCoverage
	Config config.Keys
	Now    time.Time
	// Caller protects the operator from locking themself out.
	Caller Caller
	// Restores are the keys seiri reactivated, from the journal (restored.go).
	Restores map[string]Restore
	// Log receives one debug line per decision: why each key or user is,
	// or is not, a candidate. Nil: no log.
	Log *slog.Logger
}

// decide logs a decision about a key or user at debug level.
func (in Input) decide(what string, candidate bool, account, user, key, why string) {
	if in.Log == nil {
		return
	}
	attrs := []any{"candidate", candidate, "account", account, "user", user}
	if key != "" {
		attrs = append(attrs, "key", key)
	}
	in.Log.Debug(what, append(attrs, "why", why)...)
}

// Caller is who runs seiri.
type Caller struct {
	ARN         string
	AccessKeyID string // the key of the current credentials ("" for roles' temporary ones is fine)
}

// Result of the candidates analysis.
type Result struct {
	Candidates []Candidate `json:"candidates"`
	Excluded   []Excluded  `json:"excluded,omitempty"`
	// Skipped counts keys not judged (unknown keys of imported accounts).
	Skipped int `json:"skipped,omitempty"`
	// Unjudged are the accounts whose keys could not be judged, why, and
	// what to run: a command must print them, never skip them silently.
	Unjudged []AccountGap `json:"unjudged,omitempty"`
	// Logs is the CloudTrail log coverage of the window per account and
	// region (empty when the usage store holds no scanned log files).
	Logs []AccountLogs `json:"logCoverage,omitempty"`
}

// AccountGap is an account an analysis could not judge for lack of
// evidence.
type AccountGap struct {
	Account string `json:"account"`
	Reason  string `json:"reason"`
	// Slots describes the credential report's active key slots (keys that
	// exist but whose ids are unknown), with their last use.
	Slots []string `json:"slots,omitempty"`
	Run   string   `json:"run"` // what to run to get the evidence
}

// String renders the gap for a person, on one line.
func (g AccountGap) String() string {
	s := fmt.Sprintf("account %s not judged: %s", g.Account, g.Reason)
	if len(g.Slots) > 0 {
		s += " (" + strings.Join(g.Slots, "; ") + ")"
	}
	return s + "; run: " + g.Run
}

// EvidenceGaps lists the accounts of s whose access keys (and so whose
// users' key activity) cannot be judged: imported accounts, whose key ids
// get-account-authorization-details does not list. The credential report,
// when there is one, still shows the active slots: they are named, with
// their last use, so that a key audit reports as unused is not silently
// absent from a plan.
func EvidenceGaps(s *snapshot.Snapshot, now time.Time) []AccountGap {
	if s == nil {
		return nil
	}
	var out []AccountGap
	for _, a := range s.Accounts {
		if !a.KeysUnknown {
			continue
		}
		g := AccountGap{Account: a.AccountID,
			Run: fmt.Sprintf("`seiri collect --account %s` (lists the keys with iam:ListAccessKeys and iam:GetAccessKeyLastUsed)", a.AccountID)}
		if a.CredentialReport == nil {
			g.Reason = "imported without a credential report: nothing says which users have access keys"
			out = append(out, g)
			continue
		}
		g.Reason = "imported: the access key ids are unknown (get-account-authorization-details does not list keys), so no key can be planned"
		for _, r := range a.CredentialReport.Rows {
			if r.User == credreport.RootUser {
				continue
			}
			for i, k := range r.AccessKeys {
				if !k.Active {
					continue
				}
				last := "never used"
				if k.LastUsedDate.Valid() {
					last = fmt.Sprintf("last used %s (%d days ago)", k.LastUsedDate.Time.UTC().Format(time.DateOnly), int(now.Sub(k.LastUsedDate.Time)/(24*time.Hour)))
				}
				slot := fmt.Sprintf("%s access_key_%d: active, %s", r.User, i+1, last)
				if r.Line > 0 { // the line is not kept in a snapshot's report
					slot += fmt.Sprintf(" (credential report line %d)", r.Line)
				}
				g.Slots = append(g.Slots, slot)
			}
		}
		out = append(out, g)
	}
	return out
}

// Candidates finds the active keys with no use in opt.UnusedDays by every
// source, ranked: complete coverage first, then the longest silence.
func Candidates(in Input, opt Options) Result {
	var res Result
	cutoff := in.Now.AddDate(0, 0, -opt.UnusedDays)
	days, logs := in.scannedDays(opt.UnusedDays)
	res.Logs = logs
	cache := newCovCache(in.Snapshot)
	res.Unjudged = EvidenceGaps(in.Snapshot, in.Now)
	for _, a := range in.Snapshot.Accounts {
		if a.KeysUnknown {
			for _, u := range a.Users {
				res.Skipped += len(u.AccessKeys)
			}
			continue
		}
		for ui := range a.Users {
			u := &a.Users[ui]
			slotMatch := matchSlots(a, u)
			for _, k := range u.AccessKeys {
				if !k.Active() {
					continue
				}
				if why := excluded(in.Config, u, k); why != "" {
					in.decide("key decision", false, a.AccountID, u.UserName, k.AccessKeyID, "excluded: "+why)
					res.Excluded = append(res.Excluded, Excluded{a.AccountID, u.UserName, k.AccessKeyID, why})
					continue
				}
				if why := unmatchedRecentSlot(slotMatch, k.AccessKeyID, cutoff); why != "" {
					in.decide("key decision", false, a.AccountID, u.UserName, k.AccessKeyID, "excluded: "+why)
					res.Excluded = append(res.Excluded, Excluded{a.AccountID, u.UserName, k.AccessKeyID, why})
					continue
				}
				c := Candidate{Account: a.AccountID, User: u.UserName, UserARN: u.ARN, AccessKeyID: k.AccessKeyID, CreateDate: k.CreateDate}
				c.Evidence = evidence(a, u, k, slotMatch, in.KeyUsage[k.AccessKeyID], in.scanned())
				for _, e := range c.Evidence {
					if e.LastUsed != nil && (c.LastUsed == nil || e.LastUsed.After(*c.LastUsed)) && e.Source != srcAdvisor {
						t := *e.LastUsed
						c.LastUsed = &t
					}
				}
				if c.LastUsed != nil && !c.LastUsed.Before(cutoff) {
					in.decide("key decision", false, a.AccountID, u.UserName, k.AccessKeyID, "used "+c.LastUsed.UTC().Format(time.RFC3339)+" per "+lastSource(c.Evidence, *c.LastUsed)+", within --days")
					continue
				}
				if c.LastUsed == nil && !opt.IncludeNeverUsed {
					in.decide("key decision", false, a.AccountID, u.UserName, k.AccessKeyID, "never used by any source, and --include-never-used is not set")
					continue
				}
				if c.LastUsed == nil && !k.CreateDate.Before(cutoff) {
					in.decide("key decision", false, a.AccountID, u.UserName, k.AccessKeyID, "never used, but created "+k.CreateDate.UTC().Format(time.RFC3339)+", within --days")
					continue
				}
				// Access Advisor is per owner, not per key: recent owner activity
				// with no console password and no other active key can only be
				// this key.
				if aa := ownerAdvisor(u); aa != nil && !aa.Before(cutoff) && u.LoginProfile == nil && activeKeys(u) == 1 {
					in.decide("key decision", false, a.AccountID, u.UserName, k.AccessKeyID, "the owner's Access Advisor shows access at "+aa.UTC().Format(time.RFC3339)+" and this key is its only credential")
					continue
				}
				c.Coverage = cache.coverage(a, u, days(a.AccountID), opt.UnusedDays)
				c.Refused = Lockout(in.Config, in.Caller, u, k.AccessKeyID)
				why := "no use by any source since " + cutoff.UTC().Format(time.RFC3339)
				if c.Refused != "" {
					why += "; refused: " + c.Refused
				}
				if !c.Coverage.Complete() {
					why += "; coverage gaps: " + strings.Join(c.Coverage.Gaps, "; ")
				}
				in.decide("key decision", true, a.AccountID, u.UserName, k.AccessKeyID, why)
				res.Candidates = append(res.Candidates, c)
			}
		}
	}
	res = holdRestored(res, in, opt)
	sort.SliceStable(res.Candidates, func(i, j int) bool {
		a, b := res.Candidates[i], res.Candidates[j]
		if a.Coverage.Complete() != b.Coverage.Complete() {
			return a.Coverage.Complete()
		}
		if (a.LastUsed == nil) != (b.LastUsed == nil) {
			return a.LastUsed == nil
		}
		if a.LastUsed != nil && !a.LastUsed.Equal(*b.LastUsed) {
			return a.LastUsed.Before(*b.LastUsed)
		}
		return a.Account+a.AccessKeyID < b.Account+b.AccessKeyID
	})
	return res
}

const (
	srcLastUsed = "GetAccessKeyLastUsed"
	srcReport   = "credential report"
	srcTrail    = "CloudTrail"
	srcAdvisor  = "Access Advisor (owner)"
)

func excluded(cfg config.Keys, u *snapshot.User, k snapshot.AccessKey) string {
	if _, ok := u.Tags[KeepTag]; ok {
		return "user tagged " + KeepTag
	}
	if _, ok := k.Tags[KeepTag]; ok {
		return "key tagged " + KeepTag
	}
	// IAM keeps access key tags on the user as "<key id>" = description;
	// a seiri:keep value on that tag is honoured too.
	if strings.Contains(u.Tags[k.AccessKeyID], KeepTag) {
		return "key description contains " + KeepTag
	}
	for _, v := range cfg.Allowlist {
		if v == u.UserName || v == u.ARN || v == k.AccessKeyID {
			return "allowlisted in seiri.yaml (" + v + ")"
		}
	}
	return ""
}

func matchSlots(a *snapshot.Account, u *snapshot.User) *slotMatch {
	if a.CredentialReport == nil {
		return nil
	}
	for i := range a.CredentialReport.Rows {
		r := &a.CredentialReport.Rows[i]
		if r.User != u.UserName {
			continue
		}
		ks := make([]credreport.Key, len(u.AccessKeys))
		for j, k := range u.AccessKeys {
			ks[j] = credreport.Key{ID: k.AccessKeyID, CreateDate: k.CreateDate, Active: k.Active()}
		}
		return &slotMatch{KeyMatch: credreport.MatchKeys(r.AccessKeys, ks), slots: r.AccessKeys}
	}
	return nil
}

// slotMatch is a user's report row slots with their match to real keys.
type slotMatch struct {
	credreport.KeyMatch
	slots [2]credreport.KeySlot
}

func evidence(a *snapshot.Account, u *snapshot.User, k snapshot.AccessKey, m *slotMatch, rows []usage.Row, scanned bool) []Evidence {
	var ev []Evidence
	if k.LastUsed != nil {
		t := k.LastUsed.Date
		ev = append(ev, Evidence{Source: srcLastUsed, LastUsed: &t, Detail: strings.TrimSpace(k.LastUsed.ServiceName + " " + k.LastUsed.Region)})
	} else {
		ev = append(ev, Evidence{Source: srcLastUsed, Detail: "never used (N/A)"})
	}
	switch {
	case m == nil:
		ev = append(ev, Evidence{Source: srcReport, Detail: "no credential report row", Absent: true})
	case m.Slot(k.AccessKeyID) < 0:
		why := "no slot matched by creation time"
		for _, uk := range m.UnmatchedKeys {
			if uk.KeyID == k.AccessKeyID && uk.Reason != "" {
				why = uk.Reason
			}
		}
		ev = append(ev, Evidence{Source: srcReport, Detail: why + " (not used as evidence)"})
	default:
		i := m.Slot(k.AccessKeyID)
		slot := m.slots[i]
		e := Evidence{Source: srcReport, Detail: fmt.Sprintf("slot access_key_%d", i+1)}
		if slot.LastUsedDate.Valid() {
			t := slot.LastUsedDate.Time
			e.LastUsed = &t
		} else {
			e.Detail += ": never used"
		}
		ev = append(ev, e)
	}
	// Failed calls count as use too: whatever made them still holds the key.
	var last *time.Time
	var n, failed int64
	for _, r := range rows {
		n += r.Count
		if r.ErrorCode != "" {
			failed += r.Count
		}
		if last == nil || r.LastSeen.After(*last) {
			t := r.LastSeen
			last = &t
		}
	}
	if len(rows) == 0 && !scanned {
		ev = append(ev, Evidence{Source: srcTrail, Detail: "no CloudTrail log scanned (run seiri trail scan)", Absent: true})
	} else if len(rows) == 0 {
		ev = append(ev, Evidence{Source: srcTrail, Detail: "no event with this key id"})
	} else {
		d := fmt.Sprintf("%d events in %d rows", n, len(rows))
		if failed > 0 {
			d += fmt.Sprintf(" (%d failed)", failed)
		}
		ev = append(ev, Evidence{Source: srcTrail, LastUsed: last, Detail: d})
	}
	if aa := ownerAdvisor(u); aa != nil {
		ev = append(ev, Evidence{Source: srcAdvisor, LastUsed: aa, Detail: "any credential of the owner"})
	} else if a.AccessAdvisorCollected {
		ev = append(ev, Evidence{Source: srcAdvisor, Detail: "no service accessed by the owner"})
	} else {
		ev = append(ev, Evidence{Source: srcAdvisor, Detail: "the account's Access Advisor was not collected", Absent: true})
	}
	return ev
}

// unmatchedRecentSlot: a report slot that shows recent use but matches no
// key by creation time may describe this (unmatched) key; it is then never
// planned, since attributing that use wrongly has deleted live keys.
func unmatchedRecentSlot(m *slotMatch, keyID string, cutoff time.Time) string {
	if m == nil || m.Slot(keyID) >= 0 {
		return ""
	}
	for i, s := range m.Slots {
		if s.KeyID == "" && m.slots[i].LastUsedDate.Valid() && !m.slots[i].LastUsedDate.Time.Before(cutoff) {
			return fmt.Sprintf("credential report slot access_key_%d shows use on %s but matches no key by creation time (may be this key)",
				i+1, m.slots[i].LastUsedDate.Time.Format("2006-01-02"))
		}
	}
	return ""
}

func ownerAdvisor(u *snapshot.User) *time.Time {
	var last *time.Time
	for _, s := range u.AccessAdvisor {
		if s.LastAuthenticated != nil && (last == nil || s.LastAuthenticated.After(*last)) {
			t := *s.LastAuthenticated
			last = &t
		}
	}
	return last
}

func activeKeys(u *snapshot.User) int {
	n := 0
	for _, k := range u.AccessKeys {
		if k.Active() {
			n++
		}
	}
	return n
}

// scannedDays returns the days of CloudTrail logs that count for an
// account's keys: from the scanned log files per account and region when
// the store has them (an account without any has 0), else from the scan
// runs (sources without log files, such as LookupEvents).
func (in Input) scannedDays(want int) (func(account string) int, []AccountLogs) {
	if len(in.Logs) == 0 {
		d := daysScanned(in.Runs)
		return func(string) int { return d }, nil
	}
	logs := LogCoverage(in.Snapshot, in.Logs, in.Now, want)
	by := map[string]int{}
	for _, a := range logs {
		by[a.Account] = a.Days
	}
	return func(account string) int { return by[account] }, logs
}

// scanned: some CloudTrail log was scanned into the usage store.
func (in Input) scanned() bool { return len(in.Runs) > 0 || len(in.Logs) > 0 }

// lastSource names the evidence sources that saw the use at t.
func lastSource(evs []Evidence, t time.Time) string {
	var out []string
	for _, e := range evs {
		if e.LastUsed != nil && e.LastUsed.Equal(t) {
			out = append(out, e.Source)
		}
	}
	return strings.Join(out, ", ")
}

// daysScanned is the number of distinct UTC days covered by the scan runs.
func daysScanned(runs []usage.Run) int {
	days := map[string]bool{}
	for _, r := range runs {
		if r.Since.IsZero() || r.Until.IsZero() {
			continue
		}
		for d := r.Since.UTC(); d.Before(r.Until); d = d.Add(24 * time.Hour) {
			days[d.Format("2006-01-02")] = true
			if len(days) > 3660 {
				break
			}
		}
	}
	return len(days)
}

// covCache keeps what coverage computes once per Candidates call: the
// organization trails and decoded policy statements (shared by every user
// of a group or managed policy).
type covCache struct {
	orgTrails  []orgTrail
	statements map[string][]statement
}

type orgTrail struct {
	owner *snapshot.Account
	trail snapshot.Trail
}

func newCovCache(s *snapshot.Snapshot) *covCache {
	c := &covCache{statements: map[string][]statement{}}
	for _, o := range s.Accounts {
		for _, t := range o.Trails {
			if t.IsOrganizationTrail {
				c.orgTrails = append(c.orgTrails, orgTrail{o, t})
			}
		}
	}
	return c
}

func (cc *covCache) statementsOf(doc json.RawMessage) []statement {
	k := string(doc)
	st, ok := cc.statements[k]
	if !ok {
		st = statements(doc)
		cc.statements[k] = st
	}
	return st
}

func (cc *covCache) coverage(a *snapshot.Account, u *snapshot.User, days, want int) Coverage {
	c := Coverage{DaysScanned: days}
	var dataPrefixes []string
	// An organization trail logs every member account (CloudTrail user
	// guide, "Creating a trail for an organization"), whichever account's
	// snapshot lists it.
	trails := append([]snapshot.Trail(nil), a.Trails...)
	for _, o := range cc.orgTrails {
		if o.owner != a {
			trails = append(trails, o.trail)
		}
	}
	for _, t := range trails {
		if !t.IsLogging {
			continue
		}
		c.Trail = true
		if t.IsMultiRegion {
			c.TrailRegions = []string{"*"}
		} else if !slices.Contains(c.TrailRegions, "*") && !slices.Contains(c.TrailRegions, t.HomeRegion) {
			c.TrailRegions = append(c.TrailRegions, t.HomeRegion)
		}
		dataPrefixes = append(dataPrefixes, dataResources(t)...)
	}
	switch {
	case !c.Trail:
		c.Gaps = append(c.Gaps, "no logging trail in account "+a.AccountID)
	case !slices.Contains(c.TrailRegions, "*"):
		c.Gaps = append(c.Gaps, "trail covers only "+strings.Join(c.TrailRegions, ", "))
	}
	for _, r := range cc.grantedDataResources(a, u) {
		if !coveredBy(r, dataPrefixes) {
			c.UnloggedData = append(c.UnloggedData, r)
		}
	}
	if len(c.UnloggedData) > 0 {
		c.Gaps = append(c.Gaps, fmt.Sprintf("data events not logged for %d granted resource(s): %s", len(c.UnloggedData), strings.Join(first(c.UnloggedData, 3), ", ")))
	}
	if days < want {
		c.Gaps = append(c.Gaps, fmt.Sprintf("only %d of %d days of CloudTrail logs scanned", days, want))
	}
	return c
}

func first(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
}

// dataResources reads the ARN prefixes a trail logs data events for, from
// basic event selectors (DataResources Values) and advanced ones
// (resources.ARN StartsWith/Equals; a resources.type selector alone logs the
// whole type). CloudTrail user guide, "Logging data events".
func dataResources(t snapshot.Trail) []string {
	var out []string
	var basic []struct {
		DataResources []struct {
			Type   *string
			Values []string
		}
	}
	if len(t.EventSelectors) > 0 && json.Unmarshal(t.EventSelectors, &basic) == nil {
		for _, s := range basic {
			for _, d := range s.DataResources {
				for _, v := range d.Values {
					// "arn:aws:s3" (all buckets) or "arn:aws:s3:::bucket/prefix".
					out = append(out, v)
				}
			}
		}
	}
	var adv []struct {
		FieldSelectors []struct {
			Field      *string
			Equals     []string
			StartsWith []string
		}
	}
	if len(t.AdvancedEventSelectors) > 0 && json.Unmarshal(t.AdvancedEventSelectors, &adv) == nil {
		for _, s := range adv {
			var types, arns []string
			for _, f := range s.FieldSelectors {
				if f.Field == nil {
					continue
				}
				switch *f.Field {
				case "resources.type":
					types = append(types, f.Equals...)
				case "resources.ARN":
					arns = append(arns, f.StartsWith...)
					arns = append(arns, f.Equals...)
				}
			}
			if len(arns) > 0 {
				out = append(out, arns...)
				continue
			}
			for _, ty := range types {
				switch ty {
				case "AWS::S3::Object":
					out = append(out, "arn:aws:s3")
				case "AWS::Lambda::Function":
					out = append(out, "arn:aws:lambda")
				case "AWS::DynamoDB::Table":
					out = append(out, "arn:aws:dynamodb")
				}
			}
		}
	}
	return out
}

// dataServices are the services whose object-level calls are data events.
var dataServices = []string{"s3", "lambda", "dynamodb"}

// grantedDataResources lists the resources the owner's identity policies
// (inline, attached, via groups) allow data-plane services on. A simple
// resource-prefix view: "*" stands for every resource of the service.
func (cc *covCache) grantedDataResources(a *snapshot.Account, u *snapshot.User) []string {
	var docs []json.RawMessage
	for _, p := range u.InlinePolicies {
		docs = append(docs, p.Document)
	}
	attached := append([]snapshot.AttachedPolicy(nil), u.AttachedPolicies...)
	for _, g := range a.Groups {
		if slices.Contains(u.Groups, g.GroupName) {
			for _, p := range g.InlinePolicies {
				docs = append(docs, p.Document)
			}
			attached = append(attached, g.AttachedPolicies...)
		}
	}
	for _, ap := range attached {
		for _, p := range a.Policies {
			if p.ARN == ap.PolicyARN {
				docs = append(docs, p.Document)
			}
		}
	}
	set := map[string]bool{}
	for _, d := range docs {
		for _, st := range cc.statementsOf(d) {
			if st.Effect != "Allow" {
				continue
			}
			for _, act := range st.Action {
				svc, _, _ := strings.Cut(strings.ToLower(act), ":")
				if act == "*" {
					svc = "*"
				}
				for _, ds := range dataServices {
					if svc != ds && svc != "*" {
						continue
					}
					for _, r := range st.Resource {
						if r == "*" {
							set["arn:aws:"+ds+":*"] = true
						} else if strings.HasPrefix(r, "arn:aws:"+ds+":") {
							set[r] = true
						}
					}
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

type statement struct {
	Effect   string
	Action   []string
	Resource []string
}

// statements decodes a policy's statements leniently (single values or
// lists); NotAction/NotResource statements are ignored (not data grants we
// can name).
func statements(doc json.RawMessage) []statement {
	var p struct {
		Statement json.RawMessage
	}
	if json.Unmarshal(doc, &p) != nil {
		return nil
	}
	var raw []json.RawMessage
	if json.Unmarshal(p.Statement, &raw) != nil {
		raw = []json.RawMessage{p.Statement}
	}
	var out []statement
	for _, r := range raw {
		var s struct {
			Effect   string
			Action   json.RawMessage
			Resource json.RawMessage
		}
		if json.Unmarshal(r, &s) != nil {
			continue
		}
		out = append(out, statement{Effect: s.Effect, Action: strs(s.Action), Resource: strs(s.Resource)})
	}
	return out
}

func strs(b json.RawMessage) []string {
	var one string
	if json.Unmarshal(b, &one) == nil {
		return []string{one}
	}
	var many []string
	json.Unmarshal(b, &many)
	return many
}

// coveredBy reports whether a granted resource is inside a logged prefix.
// "arn:aws:s3:*" (all buckets) is covered only by a whole-service selector.
func coveredBy(r string, prefixes []string) bool {
	base := strings.TrimSuffix(r, "*")
	for _, p := range prefixes {
		whole := p == "arn:aws:s3" || p == "arn:aws:s3:::" || p == "arn:aws:lambda" || p == "arn:aws:dynamodb"
		if whole && strings.HasPrefix(r, p) {
			return true
		}
		if !strings.HasSuffix(r, ":*") && strings.HasPrefix(base, p) {
			return true
		}
	}
	return false
}
