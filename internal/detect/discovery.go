package detect

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/finding"
)

var discoveryRule = Rule{
	Rule: finding.Rule{ID: "SEIRI-DETECT-DISCOVERY-BURST", Title: "Burst of discovery calls or access denials", Severity: finding.Medium,
		Description:    "One identity called many distinct List*/Describe*/Get* actions, or was denied many times, within a short window: what enumeration with stolen credentials looks like.",
		Recommendation: "Check that the identity's owner ran these calls; if not, deactivate its credentials and review what it read.",
		Tags:           []string{"suspicious-use"}},
	Threshold: "DiscoveryDistinct, DeniedCount, DiscoveryWindow",
	GuardDuty: []string{"Discovery:IAMUser/AnomalousBehavior"},
	ATTACK:    []string{"T1580", "T1526", "T1087.004"},
}

// window is one identity's recent discovery and denied calls, in arrival
// order, with running counts so each event costs O(1) amortized.
type window struct {
	calls   []call
	actions map[string]int // discovery action -> calls in the window
	denied  map[string]int // denied action -> denials in the window
	newest  time.Time
	quiet   time.Time
}

type call struct {
	action  string
	denied  bool
	support Support
}

func discoveryCall(name string) bool {
	return strings.HasPrefix(name, "List") || strings.HasPrefix(name, "Describe") || strings.HasPrefix(name, "Get")
}

// denied reports an authorization failure. Error codes: CloudTrail User
// Guide, "CloudTrail record contents" (errorCode), and the EC2 API's
// UnauthorizedOperation.
func denied(code string) bool {
	return code == "AccessDenied" || strings.HasSuffix(code, "AccessDeniedException") || strings.HasSuffix(code, "UnauthorizedOperation")
}

// discovery keeps a sliding window per identity. Events must arrive in
// time order per identity (within a window's slack): an event older than
// the identity's newest minus the window is counted in Stats.OutOfOrder
// and not judged.
// After a burst is reported the identity is quiet for one window, so one
// enumeration is one finding.
func (d *Detector) discovery(e *Event) {
	id := e.identity()
	if id == "" || e.Time.IsZero() || e.IdentityType == "AWSService" || e.InvokedBy != "" {
		return
	}
	isDenied := denied(e.ErrorCode)
	if !isDenied && (e.ErrorCode != "" || !discoveryCall(e.Name)) {
		return
	}
	w := d.burst[id]
	if w == nil {
		w = &window{actions: map[string]int{}, denied: map[string]int{}}
		d.burst[id] = w
	}
	if e.Time.Before(w.quiet) {
		return
	}
	if e.Time.Before(w.newest.Add(-d.cfg.DiscoveryWindow)) {
		// Older than this identity's window: the input is not in time
		// order here (e.g. another region's file fed later). Counted, not
		// judged: the burst rule needs events in time order.
		d.stats.OutOfOrder++
		return
	}
	c := call{action: e.Source + ":" + e.Name, denied: isDenied, support: supportOf(e)}
	w.calls = append(w.calls, c)
	if c.denied {
		w.denied[c.action]++
	} else {
		w.actions[c.action]++
	}
	if e.Time.After(w.newest) {
		w.newest = e.Time
	}
	start := w.newest.Add(-d.cfg.DiscoveryWindow)
	n := 0
	for n < len(w.calls) && w.calls[n].support.Time.Before(start) {
		x := w.calls[n]
		m := w.actions
		if x.denied {
			m = w.denied
		}
		if m[x.action]--; m[x.action] == 0 {
			delete(m, x.action)
		}
		n++
	}
	w.calls = w.calls[n:]
	if len(w.actions) < d.cfg.DiscoveryDistinct && len(w.denied) < d.cfg.DeniedCount {
		return
	}
	first := w.newest
	for _, x := range w.calls {
		if x.support.Time.Before(first) {
			first = x.support.Time
		}
	}
	f := &Finding{
		Finding: finding.Finding{
			RuleID:   discoveryRule.ID,
			Severity: discoveryRule.Severity,
			Account:  e.Account,
			Resource: id,
			Title:    discoveryRule.Title,
			Evidence: []finding.Evidence{
				{Name: "distinct discovery actions", Value: strconv.Itoa(len(w.actions))},
				{Name: "distinct denied actions", Value: strconv.Itoa(len(w.denied))},
				{Name: "window", Value: fmt.Sprintf("%s to %s (threshold %d distinct or %d distinct denied in %s)",
					first.Format(time.RFC3339), w.newest.Format(time.RFC3339), d.cfg.DiscoveryDistinct, d.cfg.DeniedCount, d.cfg.DiscoveryWindow)},
			},
			Recommendation: discoveryRule.Recommendation,
		},
		Events: len(w.calls),
	}
	f.ID = findingID(discoveryRule.ID, e.Account, id, first.Format(time.RFC3339))
	if sev, ok := d.cfg.Severity[discoveryRule.ID]; ok {
		f.Severity = sev
	}
	for _, x := range w.calls {
		if len(f.Support) == d.cfg.MaxSupport {
			break
		}
		f.Support = append(f.Support, x.support)
	}
	d.findings = append(d.findings, f)
	w.quiet = w.newest.Add(d.cfg.DiscoveryWindow)
	*w = window{actions: map[string]int{}, denied: map[string]int{}, newest: w.newest, quiet: w.quiet}
}
