package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/finding"
)

// Rule is one detection: its report entry (ID, severity, description,
// recommendation) and what it is anchored to.
type Rule struct {
	finding.Rule
	// Threshold names the Config field that tunes the rule ("" when the
	// rule has no threshold: every matching event is a finding).
	Threshold string `json:"threshold,omitempty"`
	// GuardDuty lists Amazon GuardDuty finding types the rule compares
	// with; ATTACK lists MITRE ATT&CK technique IDs.
	GuardDuty []string `json:"guardDuty,omitempty"`
	ATTACK    []string `json:"attack,omitempty"`
}

// Config holds the thresholds of the stateful rules (seiri.yaml's detect:
// section maps onto it; zero fields take Defaults).
type Config struct {
	// DiscoveryWindow is the sliding window of the discovery-burst rule.
	DiscoveryWindow time.Duration
	// DiscoveryDistinct is how many distinct List*/Describe*/Get* actions
	// one identity must call within the window to be a burst.
	DiscoveryDistinct int
	// DeniedCount is how many distinct actions one identity must be denied
	// within the window to be a burst (a workload retrying the one call it
	// lacks permission for is a misconfiguration, not enumeration).
	DeniedCount int
	// MaxSupport bounds the supporting events kept per finding (the
	// finding still counts them all).
	MaxSupport int
	// NetworkPrefix is the IPv4 prefix length that makes a "network"
	// (16 or 24; IPv6 always /32).
	NetworkPrefix int
	// MinHistory is how long a credential must have been seen before its
	// baseline is trusted: younger credentials are learned, not judged.
	MinHistory time.Duration
	// Silence is the gap after which a long-term key's use is reported.
	Silence time.Duration
	// TravelWindow is how close in time two networks of one key must be.
	TravelWindow time.Duration
	// FailedLogins failed console sign-ins for one user, or from one
	// address, within FailedLoginWindow are a burst.
	FailedLogins      int
	FailedLoginWindow time.Duration
	// SecretDistinct distinct secrets (or decrypted SSM parameters) read
	// by one identity within SecretWindow are harvesting.
	SecretDistinct int
	SecretWindow   time.Duration
	// NewUserWindow is how close CreateUser, the credential and the
	// administrator policy of a new user must be.
	NewUserWindow time.Duration
	// AdminGroups are group names known to grant administrator rights
	// (groups given such a policy in the judged logs are learned).
	AdminGroups []string
	// LambdaTrustedAccounts are accounts whose layers (and grants to
	// which) are expected: vendors' public layers, a central account.
	LambdaTrustedAccounts []string
	// Disabled lists rule IDs not run; Severity overrides rule severities.
	Disabled []string
	Severity map[string]finding.Severity
}

// Defaults are the thresholds used when a Config field is zero.
var Defaults = Config{
	DiscoveryWindow:   10 * time.Minute,
	DiscoveryDistinct: 25,
	DeniedCount:       10,
	MaxSupport:        20,
	NetworkPrefix:     16,
	MinHistory:        7 * 24 * time.Hour,
	Silence:           60 * 24 * time.Hour,
	TravelWindow:      30 * time.Minute,
	FailedLogins:      5,
	FailedLoginWindow: 10 * time.Minute,
	SecretDistinct:    10,
	SecretWindow:      10 * time.Minute,
	NewUserWindow:     24 * time.Hour,
}

func (c Config) withDefaults() Config {
	d := Defaults
	positive(&c.DiscoveryWindow, d.DiscoveryWindow)
	positive(&c.DiscoveryDistinct, d.DiscoveryDistinct)
	positive(&c.DeniedCount, d.DeniedCount)
	positive(&c.MaxSupport, d.MaxSupport)
	if c.NetworkPrefix <= 0 || c.NetworkPrefix > 32 {
		c.NetworkPrefix = d.NetworkPrefix
	}
	positive(&c.MinHistory, d.MinHistory)
	positive(&c.Silence, d.Silence)
	positive(&c.TravelWindow, d.TravelWindow)
	positive(&c.FailedLogins, d.FailedLogins)
	positive(&c.FailedLoginWindow, d.FailedLoginWindow)
	positive(&c.SecretDistinct, d.SecretDistinct)
	positive(&c.SecretWindow, d.SecretWindow)
	positive(&c.NewUserWindow, d.NewUserWindow)
	return c
}

// positive sets *v to def unless it is above zero (an unset or nonsensical
// threshold).
func positive[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Finding is a finding of the common report model plus the events that
// support it (all of them counted in Events, the first MaxSupport kept).
type Finding struct {
	// ID is stable across runs (rule, account, resource and what is new
	// or the event): the key of duplicate suppression and acknowledgements.
	ID string `json:"id"`
	finding.Finding
	Support []Support `json:"support"`
	Events  int       `json:"events"`
}

// Report converts to the common model: the supporting events become
// evidence entries ("event", "eventID time sourceIP userAgent").
func (f *Finding) Report() finding.Finding {
	out := f.Finding
	out.Evidence = slices.Clone(f.Evidence)
	if f.ID != "" {
		out.Evidence = append([]finding.Evidence{{Name: "detection", Value: f.ID}}, out.Evidence...)
	}
	out.Evidence = append(out.Evidence, finding.Evidence{Name: "events", Value: strconv.Itoa(f.Events)})
	for _, s := range f.Support {
		id := s.EventID
		if id == "" {
			id = "(eventID not read)"
		}
		out.Evidence = append(out.Evidence, finding.Evidence{Name: "event",
			Value: fmt.Sprintf("%s %s %s %s %q", id, s.Time.Format(time.RFC3339), s.Name, s.SourceIP, s.UserAgent)})
	}
	return out
}

// Stats counts what the detector saw, each event exactly once per rule
// that looked at it.
type Stats struct {
	Events int `json:"events"` // events observed
	// Undetermined counts, per rule ID, events of the rule's kind it could
	// not judge because a field it needs was absent (e.g. requestParameters
	// not read). They are not findings and not "clean".
	Undetermined map[string]int `json:"undetermined"`
	// Failed counts, per rule ID, matching events that failed (errorCode
	// set): attempts, not changes, so not findings of the stateless rules.
	Failed map[string]int `json:"failed"`
	// OutOfOrder counts discovery/denied events the burst rule could not
	// judge because they came older than their identity's window (feed
	// events sorted by time for the burst rule to see them all).
	OutOfOrder int `json:"outOfOrder"`
	// Learning counts events of credentials whose baseline is younger
	// than MinHistory: learned from, not judged by the baseline rules.
	Learning int `json:"learning"`
	// Roaming counts events on a network new to a credential already seen
	// on more networks than the baseline keeps (not judged).
	Roaming int `json:"roaming"`
}

// Detector runs the rules over events fed in order of arrival.
type Detector struct {
	cfg      Config
	findings []*Finding
	stats    Stats
	burst    map[string]*window
	// The windowed rules' state (bursts.go, adminuser.go), swept of idle
	// keys every sweepEvery of event time.
	loginUser, loginIP, secrets map[string]*burstWin
	users                       map[string]*newUser
	adminGroups                 map[string]bool
	swept                       time.Time
	base                        *Baseline
	ranges                      AWSRanges
	country, asn                *IPDB
	disabled                    map[string]bool
}

// UseBaseline turns on the baseline rules (credentials used in a new way):
// events are judged against b, then b learns from them.
func (d *Detector) UseBaseline(b *Baseline) { d.base = b }

// UseRanges gives the detector AWS's address ranges (the workload rule
// needs them to tell inside AWS from outside).
func (d *Detector) UseRanges(r AWSRanges) { d.ranges = r }

// New returns a detector with cfg's thresholds (zero fields take Defaults).
func New(cfg Config) *Detector {
	d := &Detector{
		cfg:       cfg.withDefaults(),
		stats:     Stats{Undetermined: map[string]int{}, Failed: map[string]int{}},
		burst:     map[string]*window{},
		disabled:  map[string]bool{},
		loginUser: map[string]*burstWin{}, loginIP: map[string]*burstWin{}, secrets: map[string]*burstWin{},
		users: map[string]*newUser{}, adminGroups: map[string]bool{},
	}
	for _, id := range cfg.Disabled {
		d.disabled[id] = true
	}
	return d
}

// Rules lists every rule the detector runs, in ID order.
func Rules() []Rule {
	out := make([]Rule, 0, len(sensitive)+1)
	for _, s := range sensitive {
		out = append(out, s.rule)
	}
	out = append(out, discoveryRule, ruleFailedLogins, ruleSecretHarvest, ruleNewAdminUser)
	for _, r := range baselineRules {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Observe feeds one event to every rule.
func (d *Detector) Observe(e *Event) {
	d.stats.Events++
	for i := range sensitive {
		s := &sensitive[i]
		if !s.match(e) || d.disabled[s.rule.ID] {
			continue
		}
		if e.ErrorCode != "" {
			d.stats.Failed[s.rule.ID]++
			continue
		}
		v := s.verdict(d, e)
		switch {
		case v.undetermined:
			d.stats.Undetermined[s.rule.ID]++
		case v.hit:
			d.emit(&s.rule, e, v.evidence)
		}
	}
	if !d.disabled[discoveryRule.ID] {
		d.discovery(e)
	}
	if !d.disabled[ruleFailedLogins.ID] {
		d.failedLogin(e)
	}
	if !d.disabled[ruleSecretHarvest.ID] {
		d.secretHarvest(e)
	}
	if !d.disabled[ruleNewAdminUser.ID] {
		d.newAdminUser(e)
	}
	d.newWay(e)
	d.sweep(e.Time)
}

// sweepEvery is how often (in event time) the windowed rules forget
// identities idle for longer than their window.
const sweepEvery = time.Hour

// sweep keeps the windowed rules' state bounded by the identities active
// within a window: keys idle for longer are dropped. Dropping changes no
// verdict: an idle key's window is empty and its quiet time is over.
func (d *Detector) sweep(now time.Time) {
	if now.IsZero() || now.Sub(d.swept) < sweepEvery {
		return
	}
	d.swept = now
	sweepWindows(d.loginUser, now, d.cfg.FailedLoginWindow)
	sweepWindows(d.loginIP, now, d.cfg.FailedLoginWindow)
	sweepWindows(d.secrets, now, d.cfg.SecretWindow)
	d.sweepUsers(now)
	for k, w := range d.burst {
		if w.newest.Before(now.Add(-d.cfg.DiscoveryWindow)) && w.quiet.Before(now) {
			delete(d.burst, k)
		}
	}
}

func (d *Detector) emit(r *Rule, e *Event, ev []finding.Evidence) {
	key := e.EventID
	if key == "" {
		key = e.Time.Format(time.RFC3339Nano) + "|" + e.Source + ":" + e.Name + "|" + e.SourceIP
	}
	d.emitKey(r, e, key, ev)
}

// emitKey raises a finding of r on e; key names what makes it distinct
// (with the rule, account and resource it makes the finding's ID). A
// disabled rule raises nothing: the returned finding is then not kept.
func (d *Detector) emitKey(r *Rule, e *Event, key string, ev []finding.Evidence) *Finding {
	res := e.ARN
	if res == "" {
		res = e.AccessKeyID
	}
	f := &Finding{
		Finding: finding.Finding{
			RuleID:         r.ID,
			Severity:       r.Severity,
			Account:        e.Account,
			Resource:       res,
			Title:          r.Title,
			Evidence:       append([]finding.Evidence{{Name: "action", Value: e.Source + ":" + e.Name}}, ev...),
			Recommendation: r.Recommendation,
		},
		Support: []Support{supportOf(e)},
		Events:  1,
	}
	if sev, ok := d.cfg.Severity[r.ID]; ok {
		f.Severity = sev
	}
	f.ID = findingID(r.ID, e.Account, res, key)
	if !d.disabled[r.ID] {
		d.findings = append(d.findings, f)
	}
	return f
}

// findingID is a short stable hash: "D-" and 12 hex digits.
func findingID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "D-" + hex.EncodeToString(h.Sum(nil)[:6])
}

// Findings returns the findings so far, in the order they were raised.
func (d *Detector) Findings() []*Finding { return d.findings }

// Stats returns the counts so far.
func (d *Detector) Stats() Stats { return d.stats }
