package keys

import (
	"fmt"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/plan"
)

// KindRestoreReason is the journal note a restore leaves with why the key
// was restored (the watch's noisy signals).
const KindRestoreReason = "keys.restore.reason"

// Restore is the latest reactivation of a key seiri had disabled, from the
// journal.
type Restore struct {
	AccessKeyID string    `json:"accessKeyId"`
	At          time.Time `json:"at"`
	Reason      string    `json:"reason,omitempty"`
}

// RestoresOf reads the journal for keys seiri reactivated (an UpdateAccessKey
// to Active that was done: keys restore and users retire restore), keeping
// the latest per key with the reason noted next to it.
func RestoresOf(es []plan.Entry) map[string]Restore {
	out := map[string]Restore{}
	reasons := map[string]string{} // plan id + key → reason
	for _, e := range es {
		if e.Phase == plan.Note && e.Kind == KindRestoreReason {
			reasons[e.Plan+" "+e.Target] = e.Detail
		}
	}
	for _, e := range es {
		if e.Phase != plan.Done || e.Kind != KindUpdateKey || !strings.Contains(e.Detail, "status Active") {
			continue
		}
		if r, ok := out[e.Target]; ok && r.At.After(e.Time) {
			continue
		}
		out[e.Target] = Restore{AccessKeyID: e.Target, At: e.Time, Reason: reasons[e.Plan+" "+e.Target]}
	}
	return out
}

// holdRestored keeps a key restored because something still used it out of
// the candidates until there is new evidence: its silence must span
// --days entirely after the restore, seen by a snapshot collected and
// logs scanned after the restore. The evidence that led to the disable
// (and then to the restore) never proposes it again.
func holdRestored(res Result, in Input, opt Options) Result {
	if len(in.Restores) == 0 {
		return res
	}
	kept := res.Candidates[:0]
	for _, c := range res.Candidates {
		r, ok := in.Restores[c.AccessKeyID]
		if !ok {
			kept = append(kept, c)
			continue
		}
		var missing []string
		if quietFrom := r.At.AddDate(0, 0, opt.UnusedDays); in.Now.Before(quietFrom) {
			missing = append(missing, fmt.Sprintf("%d days of silence after the restore (from %s)", opt.UnusedDays, quietFrom.UTC().Format("2006-01-02")))
		}
		if in.Snapshot != nil && !in.Snapshot.Manifest.FinishedAt.After(r.At) {
			missing = append(missing, "a snapshot collected after the restore")
		}
		if !scannedAfter(in, r.At) {
			missing = append(missing, "CloudTrail logs scanned after the restore")
		}
		if len(missing) == 0 {
			kept = append(kept, c)
			continue
		}
		why := "restored " + r.At.UTC().Format(time.RFC3339)
		if r.Reason != "" {
			why += " (" + r.Reason + ")"
		}
		why += "; not proposed again until there is new evidence: " + strings.Join(missing, ", ")
		in.decide("key decision", false, c.Account, c.User, c.AccessKeyID, "held back: "+why)
		res.Excluded = append(res.Excluded, Excluded{c.Account, c.User, c.AccessKeyID, why})
	}
	res.Candidates = kept
	return res
}

func scannedAfter(in Input, t time.Time) bool {
	for _, r := range in.Runs {
		if r.Until.After(t) || r.FinishedAt.After(t) && r.Until.IsZero() {
			return true
		}
	}
	return false
}
