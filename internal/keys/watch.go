package keys

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/usage"
)

// Verdict of a watched key.
type Verdict string

const (
	Quiet   Verdict = "quiet"
	Noisy   Verdict = "noisy"
	Drifted Verdict = "drifted"
)

// Live is the key's state read from IAM right now.
type Live struct {
	Found    bool       // ListAccessKeys still lists the key
	Status   string     // Active | Inactive
	LastUsed *time.Time // GetAccessKeyLastUsed
	// Err is set when the live state could not be read (AccessDenied in
	// that account, ...): the verdict is then not quiet.
	Err string
}

// WatchInput is what the watch of one key reads.
type WatchInput struct {
	Key  Tracked
	Live Live
	// KeyRows are the usage rows carrying the key id (any time).
	KeyRows []usage.Row
	// FailedRows are rows with an error code in the key's account since the
	// disable time (any principal: calls with an inactive key may not be
	// attributed to its owner).
	FailedRows []usage.Row
	// OwnerRows are the owner's rows since the disable time.
	OwnerRows []usage.Row
	Now       time.Time
	Window    int // observation days
	// Evidence is what the logs and the snapshot cover (nil: no usage
	// store, nothing covered).
	Evidence *WatchEvidence
}

// Signal is one check and what it found.
type Signal struct {
	Name  string `json:"name"`
	Found string `json:"found"` // "" when nothing
	// Noisy is true when the finding means something still depends on the key.
	Noisy bool `json:"noisy,omitempty"`
}

// WatchResult is the outcome for one key.
type WatchResult struct {
	Key            Tracked  `json:"key"`
	Verdict        Verdict  `json:"verdict"`
	DaysLeft       int      `json:"daysLeft"`
	Signals        []Signal `json:"signals"`
	Recommendation string   `json:"recommendation,omitempty"`
	// NotWatched says what evidence is missing when the verdict is
	// Unwatched ("no logs after <time>").
	NotWatched string `json:"notWatched,omitempty"`
}

// authFailures are error codes of calls refused for their credentials or
// permissions: what a workload still holding a disabled key produces.
var authFailures = []string{
	"AccessDenied", "AccessDeniedException", "Client.UnauthorizedOperation", "UnauthorizedOperation",
	"InvalidClientTokenId", "SignatureDoesNotMatch", "AuthFailure", "InvalidAccessKeyId",
	"UnrecognizedClientException", "Client.AuthFailure", "Client.InvalidClientTokenId",
}

// IsAuthFailure reports whether code is a refused-credentials error code.
func IsAuthFailure(code string) bool { return slices.Contains(authFailures, code) }

// Fingerprint is where and how a key was used before it was disabled.
type Fingerprint struct {
	SourceIPs  []string `json:"sourceIps,omitempty"`
	UserAgents []string `json:"userAgents,omitempty"`
}

// FingerprintOf learns the source IPs and user agents of the key's calls
// before since.
func FingerprintOf(rows []usage.Row, since time.Time) Fingerprint {
	var fp Fingerprint
	for _, r := range rows {
		if r.FirstSeen.Before(since) {
			fp.SourceIPs = usage.MergeSet(fp.SourceIPs, r.SourceIPs, 0)
			fp.UserAgents = usage.MergeSet(fp.UserAgents, r.UserAgents, 0)
		}
	}
	return fp
}

// Watch judges one disabled key: drifted when it is active again or gone
// outside seiri, noisy when anything shows a caller still depends on it,
// quiet otherwise.
func Watch(in WatchInput) WatchResult {
	res := WatchResult{Key: in.Key, Verdict: Quiet}
	since := in.Key.Since
	end := since.AddDate(0, 0, in.Window)
	res.DaysLeft = max(0, int(math.Ceil(end.Sub(in.Now).Hours()/24)))

	// (1) events with the key id since the disable time.
	s1 := Signal{Name: "CloudTrail events with the key id since disable"}
	var n int64
	var codes []string
	for _, r := range in.KeyRows {
		if !r.LastSeen.Before(since) {
			n += r.Count
			code := r.ErrorCode
			if code == "" {
				code = "success"
			}
			codes = usage.MergeSet(codes, []string{r.Action + " " + code}, 5)
		}
	}
	if n > 0 {
		s1.Found, s1.Noisy = fmt.Sprintf("%d events: %s", n, strings.Join(codes, ", ")), true
	}
	// (2) failed calls from the key's fingerprint.
	fp := FingerprintOf(in.KeyRows, since)
	s2 := Signal{Name: "failed calls from the key's fingerprint (source IPs, user agents)"}
	if len(fp.SourceIPs) == 0 && len(fp.UserAgents) == 0 {
		s2.Found = "no fingerprint: the key has no logged use before the disable time"
	} else {
		var hits []string
		var weak int
		for _, r := range in.FailedRows {
			if r.LastSeen.Before(since) || !IsAuthFailure(r.ErrorCode) || r.AccessKeyID == in.Key.AccessKeyID {
				continue
			}
			ip := intersect(r.SourceIPs, fp.SourceIPs)
			if len(ip) > 0 {
				hits = append(hits, fmt.Sprintf("%s %s ×%d from %s (%s)", r.Action, r.ErrorCode, r.Count, strings.Join(ip, ","), r.LastSeen.Format(time.RFC3339)))
			} else if len(intersect(r.UserAgents, fp.UserAgents)) > 0 {
				weak++
			}
		}
		switch {
		case len(hits) > 0:
			s2.Found, s2.Noisy = strings.Join(first(hits, 3), "; "), true
		case weak > 0:
			s2.Found = fmt.Sprintf("%d failed call rows share only a user agent (not counted: user agents are common)", weak)
		}
	}
	// (3) live state: active again, gone, or last used after the disable.
	s3 := Signal{Name: "IAM key status and GetAccessKeyLastUsed"}
	switch {
	case in.Live.Err != "":
		s3.Found = "could not read: " + in.Live.Err
	case !in.Live.Found:
		s3.Found = "the key no longer exists (deleted outside seiri)"
		res.Verdict = Drifted
	case in.Live.Status == "Active":
		s3.Found = "the key is Active again (re-enabled outside seiri)"
		res.Verdict = Drifted
	case in.Live.LastUsed != nil && in.Live.LastUsed.After(since):
		s3.Found, s3.Noisy = "last used "+in.Live.LastUsed.UTC().Format(time.RFC3339)+", after the disable time", true
	}
	// (4) the owner's other activity (informational).
	s4 := Signal{Name: "owner's other activity since disable"}
	var on int64
	for _, r := range in.OwnerRows {
		if r.AccessKeyID != in.Key.AccessKeyID && !r.LastSeen.Before(since) {
			on += r.Count
		}
	}
	if on > 0 {
		s4.Found = fmt.Sprintf("%d events by %s with other credentials (the owner is active; this key may still be needed by them)", on, in.Key.User)
	}
	res.Signals = []Signal{s1, s2, s3, s4, in.Evidence.advisorSignal(since, in.Key.User)}
	if res.Verdict == Drifted {
		res.Recommendation = "stop: the key was changed outside seiri; find out why before going on"
		return res
	}
	for _, s := range res.Signals {
		if s.Noisy {
			res.Verdict = Noisy
		}
	}
	switch {
	case res.Verdict == Noisy:
		res.Recommendation = "restore: seiri keys restore " + in.Key.AccessKeyID
	case in.Live.Err != "":
		res.Verdict = Noisy
		res.Recommendation = "could not check the key's live state; not safe to delete"
	case res.DaysLeft > 0:
		res.Recommendation = fmt.Sprintf("keep watching (%d days left)", res.DaysLeft)
	default:
		res.Recommendation = "ready to delete: seiri keys delete"
	}
	judgeCoverage(&res, in.Evidence, in.Key.Account, since, in.Now, []int{0, 1, 3})
	return res
}

func intersect(a, b []string) []string {
	var out []string
	for _, v := range a {
		if slices.Contains(b, v) {
			out = append(out, v)
		}
	}
	return out
}
