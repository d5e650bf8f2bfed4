package keys

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// The retirement state of a key lives on its IAM user as a tag, so every
// operator and machine sees the same truth (IAM has no tags on access keys
// themselves: TagUser is the place). Tag values allow letters, digits,
// spaces and _.:/=+-@ up to 256 characters (IAM user guide, "Tagging IAM
// resources"), which RFC 3339 times and ARNs fit.
const (
	retirePrefix = "seiri:retire:"
	// GuardTag marks a user being changed by a seiri run (the per-user lock).
	GuardTag = "seiri:lock"
	// GuardTTL: a guard older than this was left by a crashed run.
	GuardTTL = time.Hour
)

// RetireTag is the user tag that records an access key's retirement state.
func RetireTag(accessKeyID string) string { return retirePrefix + accessKeyID }

// State of a key seiri retires.
type State string

const (
	Disabled State = "disabled"
	Deleted  State = "deleted"
)

// RetireValue formats the tag value: "disabled 2026-11-29T12:00:00Z by ARN".
func RetireValue(st State, at time.Time, by string) string {
	v := fmt.Sprintf("%s %s by %s", st, at.UTC().Format(time.RFC3339), by)
	if len(v) > 256 {
		v = v[:256]
	}
	return v
}

// ParseRetire reads a retire tag value.
func ParseRetire(v string) (State, time.Time, string, error) {
	f := strings.SplitN(v, " ", 4)
	if len(f) < 2 {
		return "", time.Time{}, "", fmt.Errorf("retire tag value %q: want \"disabled <RFC3339> by <who>\"", trim(v))
	}
	t, err := time.Parse(time.RFC3339, f[1])
	if err != nil {
		return "", time.Time{}, "", fmt.Errorf("retire tag value %q: %v", trim(v), err)
	}
	by := ""
	if len(f) == 4 && f[2] == "by" {
		by = f[3]
	}
	switch State(f[0]) {
	case Disabled, Deleted, Quarantined:
	default:
		return "", time.Time{}, "", fmt.Errorf("retire tag value %q: unknown state %q", trim(v), f[0])
	}
	return State(f[0]), t.UTC(), by, nil
}

func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// GuardValue is the guard tag's value: the plan id, the time and the operator.
func GuardValue(planID string, at time.Time, by string) string {
	v := fmt.Sprintf("%s %s %s", planID, at.UTC().Format(time.RFC3339), by)
	if len(v) > 256 {
		v = v[:256]
	}
	return v
}

// GuardHeld reports whether a guard value holds the user for another run at
// now (a guard of the same plan, or older than GuardTTL, does not).
func GuardHeld(v, planID string, now time.Time) bool {
	f := strings.SplitN(v, " ", 3)
	if len(f) < 2 || f[0] == planID {
		return false
	}
	t, err := time.Parse(time.RFC3339, f[1])
	if err != nil {
		return true
	}
	return now.Sub(t) < GuardTTL
}

// Tracked is a key seiri disabled, read from its owner's tags.
type Tracked struct {
	Account     string    `json:"account"`
	User        string    `json:"user"`
	UserARN     string    `json:"userArn"`
	AccessKeyID string    `json:"accessKeyId"`
	State       State     `json:"state"`
	Since       time.Time `json:"since"`
	By          string    `json:"by,omitempty"`
	// Problem is a tag seiri could not read.
	Problem string `json:"problem,omitempty"`
}

// TrackedKeys lists the keys whose owners carry a retire tag in the
// snapshot, sorted by account, user and key.
func TrackedKeys(s *snapshot.Snapshot) []Tracked {
	var out []Tracked
	for _, a := range s.Accounts {
		for _, u := range a.Users {
			out = append(out, TrackedOf(a.AccountID, u.UserName, u.ARN, u.Tags)...)
		}
	}
	return out
}

// TrackedOf reads the retire tags of one user.
func TrackedOf(account, user, arn string, tags map[string]string) []Tracked {
	var out []Tracked
	for k, v := range tags {
		if !strings.HasPrefix(k, retirePrefix) {
			continue
		}
		t := Tracked{Account: account, User: user, UserARN: arn, AccessKeyID: strings.TrimPrefix(k, retirePrefix)}
		st, at, by, err := ParseRetire(v)
		if err != nil {
			t.Problem = err.Error()
		}
		t.State, t.Since, t.By = st, at, by
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AccessKeyID < out[j].AccessKeyID })
	return out
}

// Lockout says why disabling keyID of u would lock someone out, or "".
func Lockout(cfg config.Keys, caller Caller, u *snapshot.User, keyID string) string {
	if caller.AccessKeyID != "" && caller.AccessKeyID == keyID {
		return "this is the access key seiri is running with"
	}
	if caller.ARN != "" && caller.ARN == u.ARN {
		return "this key belongs to the user seiri is running as (" + u.UserName + ")"
	}
	if slices.Contains(cfg.BreakGlassUsers, u.UserName) || slices.Contains(cfg.BreakGlassUsers, u.ARN) {
		others := 0
		for _, k := range u.AccessKeys {
			if k.Active() && k.AccessKeyID != keyID {
				others++
			}
		}
		if others == 0 && u.LoginProfile == nil {
			return "last active credential of break-glass user " + u.UserName
		}
	}
	return ""
}
