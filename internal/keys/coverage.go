package keys

import (
	"fmt"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// Unwatched is the verdict of a key (or quarantined user) whose watch has
// no evidence for part of the time since its disable: silence there proves
// nothing, so it is never deleted on it.
const Unwatched Verdict = "not watched"

// DeliveryLag is how far the last scanned log may trail "now" and still
// count as covering it. CloudTrail delivers log files within about 5
// minutes of an API call on average (CloudTrail user guide, "How
// CloudTrail works"); the rest is slack for the scan that read them.
const DeliveryLag = 15 * time.Minute

// WatchEvidence is what a watch can rest on besides the key's own rows:
// which logs were scanned, which trails log the account, and the owner's
// Access Advisor as last collected.
type WatchEvidence struct {
	// Store is false when the workspace has no usage store: no CloudTrail
	// evidence at all.
	Store bool
	// Logs are the scanned CloudTrail logs of the key's account, per
	// region (usage.Store.LogCoverageOf).
	Logs []usage.LogCoverage
	// TrailGaps are the reasons a call of the key might not be logged at
	// all (no logging trail, a trail in some regions only), from the
	// snapshot.
	TrailGaps []string
	// LoggingStart is when logging began for the account, when the
	// snapshot knows it (zero: unknown, the first scanned log counts).
	LoggingStart time.Time
	// Advisor is the owner's Access Advisor: nil when not collected.
	Advisor *AdvisorWitness
}

// AdvisorWitness is the owner's Access Advisor in the snapshot.
type AdvisorWitness struct {
	CollectedAt       time.Time
	LastAuthenticated *time.Time // nil: no service accessed
	// OnlyThisKey is true when the owner has no console password and no
	// other active access key: any access after the disable was this key.
	OnlyThisKey bool
}

// EvidenceOf gathers the watch evidence of a key of user in account from
// the snapshot and the usage store's log coverage (logs == nil and
// store false: no usage store).
func EvidenceOf(s *snapshot.Snapshot, account, userName string, store bool, logs []usage.LogCoverage, keyID string) WatchEvidence {
	ev := WatchEvidence{Store: store}
	for _, l := range logs {
		if l.Account == account {
			ev.Logs = append(ev.Logs, l)
		}
	}
	if s == nil {
		ev.TrailGaps = []string{"no snapshot: the trails are unknown"}
		return ev
	}
	ev.LoggingStart = LoggingStart(s, account)
	for _, a := range s.Accounts {
		if a.AccountID != account {
			continue
		}
		cov := newCovCache(s).coverage(a, &snapshot.User{}, 0, 0)
		for _, g := range cov.Gaps {
			if !strings.HasPrefix(g, "data events") {
				ev.TrailGaps = append(ev.TrailGaps, g)
			}
		}
		for i := range a.Users {
			u := &a.Users[i]
			if u.UserName != userName || !a.AccessAdvisorCollected {
				continue
			}
			w := &AdvisorWitness{CollectedAt: s.Manifest.FinishedAt, LastAuthenticated: ownerAdvisor(u), OnlyThisKey: u.LoginProfile == nil}
			for _, k := range u.AccessKeys {
				if k.AccessKeyID != keyID && k.Active() {
					w.OnlyThisKey = false
				}
			}
			ev.Advisor = w
		}
		return ev
	}
	ev.TrailGaps = []string{"account " + account + " is not in the snapshot: its trails are unknown"}
	return ev
}

// gaps lists why the time from since to now is not fully covered by
// scanned logs, and the time after which there are no logs ("" and zero
// when it is covered).
func (ev *WatchEvidence) gaps(account string, since, now time.Time) (why []string, noLogsAfter time.Time) {
	if ev == nil || !ev.Store {
		return []string{"no usage store: no CloudTrail log was scanned (run seiri trail scan)"}, since
	}
	why = append(why, ev.TrailGaps...)
	if len(ev.Logs) == 0 {
		return append(why, "no scanned CloudTrail logs of account "+account), since
	}
	noLogsAfter = now
	for _, l := range ev.Logs {
		// Coverage starts at the latest of the start of logging and the
		// first scanned log: nothing before either was seen.
		start := l.First
		if ev.LoggingStart.After(start) {
			start = ev.LoggingStart
		}
		if start.After(since.Add(DeliveryLag)) {
			why = append(why, fmt.Sprintf("%s: no logs between the disable (%s) and %s", l.Region, since.UTC().Format(time.RFC3339), start.UTC().Format(time.RFC3339)))
			if since.Before(noLogsAfter) {
				noLogsAfter = since
			}
		}
		if l.Last.Before(now.Add(-DeliveryLag)) {
			why = append(why, fmt.Sprintf("%s: no logs after %s", l.Region, l.Last.UTC().Format(time.RFC3339)))
			if l.Last.Before(noLogsAfter) {
				noLogsAfter = l.Last
			}
		}
	}
	if len(why) == 0 {
		return nil, time.Time{}
	}
	return why, noLogsAfter
}

// advisorSignal is the owner's Access Advisor since since.
func (ev *WatchEvidence) advisorSignal(since time.Time, owner string) Signal {
	s := Signal{Name: "owner's Access Advisor since disable"}
	switch {
	case ev == nil || ev.Advisor == nil:
		s.Found = "not collected"
	case ev.Advisor.CollectedAt.Before(since):
		s.Found = "not collected since the disable (last collected " + ev.Advisor.CollectedAt.UTC().Format(time.RFC3339) + ")"
	case ev.Advisor.LastAuthenticated == nil || !ev.Advisor.LastAuthenticated.After(since):
		s.Found = "no service accessed since the disable (collected " + ev.Advisor.CollectedAt.UTC().Format(time.RFC3339) + ")"
	default:
		s.Found = owner + " accessed a service at " + ev.Advisor.LastAuthenticated.UTC().Format(time.RFC3339)
		if ev.Advisor.OnlyThisKey {
			s.Found += " with no other credential than this key"
			s.Noisy = true
		} else {
			s.Found += " (the owner has other credentials)"
		}
	}
	return s
}

// judgeCoverage turns a quiet verdict into "not watched" when the logs do
// not cover the whole time since the disable, and says so in the signals
// that found nothing: their silence is only as long as the logs.
func judgeCoverage(res *WatchResult, ev *WatchEvidence, account string, since, now time.Time, logSignals []int) {
	why, after := ev.gaps(account, since, now)
	if len(why) == 0 {
		return
	}
	for _, i := range logSignals {
		if res.Signals[i].Found != "" {
			continue
		}
		switch {
		case ev == nil || !ev.Store:
			res.Signals[i].Found = "not collected: no usage store"
		case after.After(since):
			res.Signals[i].Found = "nothing in the logs scanned up to " + after.UTC().Format(time.RFC3339) + "; later calls not seen"
		default:
			res.Signals[i].Found = "not collected: no scanned logs since the disable"
		}
	}
	res.Signals = append(res.Signals, Signal{Name: "CloudTrail log coverage since disable", Found: strings.Join(why, "; ")})
	if res.Verdict != Quiet {
		return
	}
	res.Verdict = Unwatched
	res.NotWatched = "no logs after " + after.UTC().Format(time.RFC3339)
	if ev == nil || !ev.Store {
		res.NotWatched = "no usage store (no CloudTrail log scanned)"
	}
	res.Recommendation = "not watched: " + res.NotWatched + "; run seiri trail scan over the logs up to now (delete refuses until then)"
}
