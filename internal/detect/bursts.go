package detect

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/finding"
)

// The windowed rules beside the discovery burst: failed console sign-ins
// and secret harvesting. Each keeps, per key (a user, a source IP, an
// identity), the matching events of the last window; the state is swept
// of idle keys as time advances (sweep), so it is bounded by the window
// and the number of active keys, not by the corpus.

var (
	ruleFailedLogins = rule("SEIRI-DETECT-FAILED-LOGINS", "Burst of failed console sign-ins", finding.Medium,
		"Many console sign-ins failed for one user, or from one source address, within a short window: password guessing or spraying.",
		"Check whether the user's owner mistyped or an outsider is guessing; block the source network if it is not yours, require MFA, and make sure the user's password is long and unique.",
		nil, []string{"T1110.001", "T1110.003"})
	ruleSecretHarvest = rule("SEIRI-DETECT-SECRET-HARVEST", "Many secrets read by one identity", finding.High,
		"One identity read the values of many distinct Secrets Manager secrets, or decrypted many distinct SSM parameters, within a short window: what collecting credentials from a compromised account looks like.",
		"Confirm the identity's owner needed these secrets (a deployment, a migration); if not, revoke its credentials and rotate every secret it read.",
		[]string{"CredentialAccess:IAMUser/AnomalousBehavior"}, []string{"T1555.006", "T1552"})
)

func init() {
	ruleFailedLogins.Threshold = "FailedLogins, FailedLoginWindow"
	ruleSecretHarvest.Threshold = "SecretDistinct, SecretWindow"
}

// burstWin holds one key's matching events of the last window, in arrival
// order, and how often each distinct item occurs among them.
type burstWin struct {
	items  []burstItem
	counts map[string]int
	newest time.Time
	quiet  time.Time // after a finding: nothing is counted before this
}

type burstItem struct {
	items   []string
	support Support
}

// burstAdd puts e (with the distinct items it touched) into m[key]'s window of length win,
// dropping what fell out of it. ok is false when the event is not counted:
// in the quiet time after a finding, or older than the window.
func (d *Detector) burstAdd(m map[string]*burstWin, key string, items []string, e *Event, win time.Duration) (*burstWin, bool) {
	w := m[key]
	if w == nil {
		w = &burstWin{counts: map[string]int{}}
		m[key] = w
	}
	if e.Time.Before(w.quiet) {
		return w, false
	}
	if e.Time.Before(w.newest.Add(-win)) {
		d.stats.OutOfOrder++
		return w, false
	}
	w.items = append(w.items, burstItem{items: items, support: supportOf(e)})
	for _, it := range items {
		w.counts[it]++
	}
	if e.Time.After(w.newest) {
		w.newest = e.Time
	}
	start := w.newest.Add(-win)
	n := 0
	for n < len(w.items) && w.items[n].support.Time.Before(start) {
		for _, it := range w.items[n].items {
			if w.counts[it]--; w.counts[it] == 0 {
				delete(w.counts, it)
			}
		}
		n++
	}
	w.items = w.items[n:]
	return w, true
}

// fire turns a window into a finding of r and quiets the key for one window.
func (d *Detector) fire(r *Rule, e *Event, resource string, w *burstWin, win time.Duration, ev []finding.Evidence) *Finding {
	first := w.newest
	for _, x := range w.items {
		if x.support.Time.Before(first) {
			first = x.support.Time
		}
	}
	f := &Finding{
		Finding: finding.Finding{
			RuleID: r.ID, Severity: r.Severity, Account: e.Account, Resource: resource, Title: r.Title,
			Evidence:       append(ev, finding.Evidence{Name: "window", Value: first.Format(time.RFC3339) + " to " + w.newest.Format(time.RFC3339)}),
			Recommendation: r.Recommendation,
		},
		Events: len(w.items),
	}
	f.ID = findingID(r.ID, e.Account, resource, first.Format(time.RFC3339))
	if sev, ok := d.cfg.Severity[r.ID]; ok {
		f.Severity = sev
	}
	for _, x := range w.items {
		if len(f.Support) == d.cfg.MaxSupport {
			break
		}
		f.Support = append(f.Support, x.support)
	}
	d.findings = append(d.findings, f)
	*w = burstWin{counts: map[string]int{}, newest: w.newest, quiet: w.newest.Add(win)}
	return f
}

// sweepWindows forgets the keys whose window and quiet time are over.
func sweepWindows(m map[string]*burstWin, now time.Time, win time.Duration) {
	for k, w := range m {
		if w.newest.Before(now.Add(-win)) && w.quiet.Before(now) {
			delete(m, k)
		}
	}
}

// failedLogin: a ConsoleLogin whose responseElements.ConsoleLogin is
// "Failure" (errorMessage "Failed authentication"; CloudTrail User Guide,
// "AWS console sign-in events"). Counted per user (account and user name:
// for a name that does not exist AWS writes HIDDEN_DUE_TO_SECURITY_REASONS,
// so unknown names share one key) and per source address; when either
// reaches FailedLogins within FailedLoginWindow, one finding names both.
func (d *Detector) failedLogin(e *Event) {
	if e.Source != "signin.amazonaws.com" || e.Name != "ConsoleLogin" || e.Time.IsZero() {
		return
	}
	if e.LoginResult == "" {
		if e.ErrorCode == "" && e.IdentityType != "" {
			d.stats.Undetermined[ruleFailedLogins.ID]++
		}
		return
	}
	if e.LoginResult != "Failure" {
		return
	}
	user := e.UserName
	if user == "" {
		user = e.ARN
	}
	win := d.cfg.FailedLoginWindow
	var fired []string
	var w *burstWin
	var ev []finding.Evidence
	if user != "" {
		uw, ok := d.burstAdd(d.loginUser, e.Account+"|"+user, []string{e.SourceIP}, e, win)
		if ok && len(uw.items) >= d.cfg.FailedLogins {
			fired = append(fired, "user")
			w = uw
			ev = append(ev, finding.Evidence{Name: "failed sign-ins for the user", Value: fmt.Sprintf("%d from %d addresses", len(uw.items), len(uw.counts))})
		}
	}
	if e.SourceIP != "" {
		iw, ok := d.burstAdd(d.loginIP, e.SourceIP, []string{e.Account + "|" + user}, e, win)
		if ok && len(iw.items) >= d.cfg.FailedLogins {
			fired = append(fired, "ip")
			if w == nil || len(iw.items) > len(w.items) {
				w = iw
			}
			ev = append(ev, finding.Evidence{Name: "failed sign-ins from " + e.SourceIP, Value: fmt.Sprintf("%d for %d users", len(iw.items), len(iw.counts))})
		}
	}
	if w == nil {
		return
	}
	resource := e.ARN
	if resource == "" {
		resource = user
	}
	if len(fired) == 1 && fired[0] == "ip" {
		resource = e.SourceIP // a spray: the source is what the finding is about
	}
	ev = append(ev, finding.Evidence{Name: "threshold", Value: fmt.Sprintf("%d failures in %s", d.cfg.FailedLogins, win)})
	d.fire(&ruleFailedLogins, e, resource, w, win, ev)
	// One finding for one burst: the other key that reached the threshold
	// on the same event is quieted too.
	for _, k := range fired {
		x := d.loginIP[e.SourceIP]
		if k == "user" {
			x = d.loginUser[e.Account+"|"+user]
		}
		if x != w {
			*x = burstWin{counts: map[string]int{}, newest: x.newest, quiet: x.newest.Add(win)}
		}
	}
}

// secretRead returns the distinct resources whose secret values e read:
// secretsmanager GetSecretValue (secretId), BatchGetSecretValue
// (secretIdList, or its filters as one item), ssm GetParameter (name) and
// GetParameters (names) with withDecryption true (Secrets Manager and
// Systems Manager API references; their CloudTrail logging pages).
// matched reports a call of these kinds; undetermined that its
// requestParameters were not there to read.
func secretRead(e *Event) (items []string, matched, undetermined bool) {
	switch {
	case e.Source == "secretsmanager.amazonaws.com" && (e.Name == "GetSecretValue" || e.Name == "BatchGetSecretValue"):
	case e.Source == "ssm.amazonaws.com" && (e.Name == "GetParameter" || e.Name == "GetParameters"):
	default:
		return nil, false, false
	}
	if e.Request == nil {
		return nil, true, true
	}
	var p struct {
		SecretID       string          `json:"secretId"`
		SecretIDList   []string        `json:"secretIdList"`
		Filters        json.RawMessage `json:"filters"`
		Name           string          `json:"name"`
		Names          []string        `json:"names"`
		WithDecryption *bool           `json:"withDecryption"`
	}
	if json.Unmarshal(e.Request, &p) != nil {
		return nil, true, true
	}
	switch e.Name {
	case "GetSecretValue":
		if p.SecretID != "" {
			items = []string{secretName(p.SecretID, e.Region)}
		}
	case "BatchGetSecretValue":
		for _, id := range p.SecretIDList {
			items = append(items, secretName(id, e.Region))
		}
		if len(items) == 0 && len(p.Filters) > 0 {
			items = []string{"filters " + string(p.Filters)}
		}
	default:
		if p.WithDecryption == nil || !*p.WithDecryption {
			return nil, true, false // the value of a SecureString stays encrypted
		}
		items = p.Names
		if p.Name != "" {
			items = []string{p.Name}
		}
	}
	if len(items) == 0 {
		return nil, true, true
	}
	return items, true, false
}

// secretName is one name per secret, however the caller named it: a secret
// ARN ends with the name, a hyphen and six random characters Secrets
// Manager adds (Secrets Manager User Guide, "Secret ARN"); a name or a
// partial ARN is the name. The region keeps equal names of two regions
// apart.
func secretName(id, region string) string {
	if i := strings.Index(id, ":secret:"); i >= 0 && strings.HasPrefix(id, "arn:") {
		parts := strings.Split(id, ":")
		if len(parts) >= 4 && parts[3] != "" {
			region = parts[3]
		}
		id = id[i+len(":secret:"):]
		if j := strings.LastIndexByte(id, '-'); j > 0 && len(id)-j-1 == 6 {
			id = id[:j]
		}
	}
	return region + "/" + id
}

// secretHarvest counts, per identity, the distinct secrets and decrypted
// parameters read within SecretWindow; SecretDistinct of them is a finding.
func (d *Detector) secretHarvest(e *Event) {
	if e.ErrorCode != "" || e.Time.IsZero() || e.IdentityType == "AWSService" || e.InvokedBy != "" {
		return
	}
	items, matched, undetermined := secretRead(e)
	if !matched {
		return
	}
	if undetermined {
		d.stats.Undetermined[ruleSecretHarvest.ID]++
		return
	}
	id := e.identity()
	if id == "" {
		return
	}
	for i, it := range items {
		items[i] = strings.TrimSuffix(e.Source, ".amazonaws.com") + " " + it
	}
	w, ok := d.burstAdd(d.secrets, id, items, e, d.cfg.SecretWindow)
	if !ok || len(w.counts) < d.cfg.SecretDistinct {
		return
	}
	names := make([]string, 0, len(w.counts))
	for k := range w.counts {
		names = append(names, k)
	}
	slices.Sort(names)
	if len(names) > 10 {
		names = append(names[:10], "…")
	}
	d.fire(&ruleSecretHarvest, e, id, w, d.cfg.SecretWindow, []finding.Evidence{
		{Name: "distinct secrets read", Value: strconv.Itoa(len(w.counts))},
		{Name: "secrets", Value: strings.Join(names, ", ")},
		{Name: "threshold", Value: fmt.Sprintf("%d distinct in %s", d.cfg.SecretDistinct, d.cfg.SecretWindow)},
	})
}
