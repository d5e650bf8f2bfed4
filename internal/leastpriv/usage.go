package leastpriv

import (
	"iter"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/usage"
)

// Window is the period of usage an analysis looks at.
type Window struct {
	Start, End time.Time
	Days       int // as requested
	// LogsFrom/LogsUntil are the first and last events in the usage store:
	// a window reaching before LogsFrom is only partly covered.
	LogsFrom, LogsUntil time.Time
}

// CoveredDays is the number of whole days of the window the logs cover.
func (w Window) CoveredDays() int {
	start := w.Start
	if w.LogsFrom.After(start) {
		start = w.LogsFrom
	}
	if w.LogsFrom.IsZero() || !w.End.After(start) {
		return 0
	}
	return int(w.End.Sub(start).Hours()/24 + 0.5)
}

// String prints the window for verdicts: "90 days to 2026-11-29".
func (w Window) String() string {
	s := itoa(w.Days) + " days to " + w.End.UTC().Format("2006-01-02")
	if c := w.CoveredDays(); c < w.Days {
		s += " (logs cover " + itoa(c) + ")"
	}
	return s
}

// NewWindow is the window of days ending at end.
func NewWindow(end time.Time, days int, logsFrom, logsUntil time.Time) Window {
	return Window{Start: end.Add(-time.Duration(days) * 24 * time.Hour), End: end, Days: days, LogsFrom: logsFrom, LogsUntil: logsUntil}
}

// Call is an observed successful (principal, action, resource) in the window.
type Call struct {
	Action    string // as the usage store holds it (catalog casing when mapped)
	Resource  string // "" when the event named none
	Account   string // recipient account
	Count     int64
	FirstSeen time.Time
	LastSeen  time.Time
	Via       string // principal type of the rows: IAMUser, AssumedRole, IdentityCenter, FederatedUser
}

// Used is what one principal did in the window.
type Used struct {
	Calls []Call
	// Actions maps lower-cased action → last seen.
	Actions map[string]time.Time
}

// Usage is the window's usage attributed to the model's principals.
type Usage struct {
	Window Window
	By     map[*Principal]*Used
	// Rows counts what was read; Skipped counts rows not attributed, by
	// reason (service-linked role, principal not in the snapshot, AWS
	// service, failed call, outside the window, not an authorization).
	Rows    int64
	Skipped map[string]int64
	// Seen are the data event types with successful events, per account.
	Seen SeenData
}

// Skip reasons.
const (
	SkipFailed        = "failed call (error code)"
	SkipNotAuthz      = "not an authorization event"
	SkipOutside       = "outside the window"
	SkipServiceLinked = "service-linked role"
	SkipUnknown       = "principal not in the snapshot"
	SkipNotIAM        = "not an IAM user or role (root, AWS service, web identity, ...)"
)

// Attribute folds usage rows into per-principal usage: successful
// authorization events in the window; assumed-role and Identity Center
// sessions go to their role (whose PermissionSet names the permission set),
// federated users to the IAM user that issued them; service-linked roles are
// skipped (seiri never changes them).
//
// keepCalls keeps every distinct (action, resource, account) per principal,
// which policy generation needs; the unused analysis needs only the actions.
func (m *Model) Attribute(rows iter.Seq[*usage.Row], w Window, keepCalls bool) *Usage {
	u := &Usage{Window: w, By: map[*Principal]*Used{}, Skipped: map[string]int64{}, Seen: SeenData{}}
	// Per distinct action string: its lower-cased form and data event type
	// ("" none), so that 10 million rows cost map lookups, not allocations.
	type actionInfo struct{ lower, dataType string }
	infos := map[string]actionInfo{}
	var lastP string
	var last *Principal
	for r := range rows {
		u.Rows++
		switch {
		case r.ErrorCode != "":
			u.Skipped[SkipFailed]++
			continue
		case !r.Authz:
			u.Skipped[SkipNotAuthz]++
			continue
		case r.LastSeen.Before(w.Start) || !r.FirstSeen.Before(w.End):
			u.Skipped[SkipOutside]++
			continue
		}
		info, ok := infos[r.Action]
		if !ok {
			info.lower = strings.ToLower(r.Action)
			if a, found := m.Catalog.Action(r.Action); found {
				info.dataType = dataEventType(a)
			}
			infos[r.Action] = info
		}
		dt := info.dataType
		if dt != "" {
			d := u.Seen[r.Account]
			if d == nil {
				d = map[string]bool{}
				u.Seen[r.Account] = d
			}
			d[dt] = true
		} else if _, ok := u.Seen[r.Account]; !ok {
			u.Seen[r.Account] = map[string]bool{}
		}
		switch r.PrincipalType {
		case "IAMUser", "AssumedRole", "IdentityCenter", "FederatedUser":
		default:
			u.Skipped[SkipNotIAM]++
			continue
		}
		// Rows come ordered by principal: remember the last lookup.
		if r.Principal != lastP || last == nil {
			lastP, last = r.Principal, m.Lookup(r.Principal)
		}
		p := last
		if p == nil {
			u.Skipped[SkipUnknown]++
			continue
		}
		if p.ServiceLinked {
			u.Skipped[SkipServiceLinked]++
			continue
		}
		us := u.By[p]
		if us == nil {
			us = &Used{Actions: map[string]time.Time{}}
			u.By[p] = us
		}
		us.add(r, info.lower, keepCalls)
	}
	return u
}

func (us *Used) add(r *usage.Row, k string, keepCalls bool) {
	if t, ok := us.Actions[k]; !ok || r.LastSeen.After(t) {
		us.Actions[k] = r.LastSeen
	}
	if !keepCalls {
		return
	}
	// Access keys split rows of one (action, resource): merge them.
	for i := len(us.Calls) - 1; i >= 0 && i >= len(us.Calls)-8; i-- {
		c := &us.Calls[i]
		if c.Action == r.Action && c.Resource == r.Resource && c.Account == r.Account {
			c.Count += r.Count
			if r.FirstSeen.Before(c.FirstSeen) {
				c.FirstSeen = r.FirstSeen
			}
			if r.LastSeen.After(c.LastSeen) {
				c.LastSeen = r.LastSeen
			}
			return
		}
	}
	us.Calls = append(us.Calls, Call{Action: r.Action, Resource: r.Resource, Account: r.Account, Count: r.Count,
		FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, Via: r.PrincipalType})
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
