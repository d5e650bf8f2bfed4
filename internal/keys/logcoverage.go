package keys

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// AccountLogs is how much of a plan's window (the last --days) the
// scanned CloudTrail logs cover in one account, region by region. In each
// region coverage starts at the latest of the start of the window, the
// first scanned log and the trail's start of logging: a trail created
// today is not "90 days of logs", whatever a scan's --since said.
type AccountLogs struct {
	Account string       `json:"account"`
	Regions []RegionLogs `json:"regions"`
	// Days is the days of the window covered in every region with logs
	// (the weakest region counts).
	Days int `json:"days"`
	Want int `json:"want"`
}

// RegionLogs is the coverage of one region of an account.
type RegionLogs struct {
	Region string    `json:"region"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Days   int       `json:"days"`
	// StartsAt says what bounds From: "window", "first scanned log" or
	// "start of logging".
	StartsAt string `json:"startsAt"`
}

// String is the account's coverage on one line.
func (a AccountLogs) String() string {
	var rs []string
	for _, r := range a.Regions {
		rs = append(rs, r.String())
	}
	return fmt.Sprintf("[%s] %d of %d days: %s", a.Account, a.Days, a.Want, strings.Join(rs, "; "))
}

// String is the region's coverage: "us-east-1 2026-10-02 → 2026-11-01 (30
// days, from the window)".
func (r RegionLogs) String() string {
	return fmt.Sprintf("%s %s → %s (%d days, from the %s)", r.Region, r.From.Format("2006-01-02"), r.To.Format("2006-01-02"), r.Days, r.StartsAt)
}

// LoggingStart is when logging began for account: the earliest start of
// the logging trails that log it (its own and organization trails of other
// accounts). Zero when unknown (no logging trail, or a trail whose start
// was not collected).
func LoggingStart(s *snapshot.Snapshot, account string) time.Time {
	if s == nil {
		return time.Time{}
	}
	var start time.Time
	for _, a := range s.Accounts {
		for _, t := range a.Trails {
			if !t.IsLogging || (a.AccountID != account && !t.IsOrganizationTrail) {
				continue
			}
			if t.StartLoggingTime == nil {
				return time.Time{}
			}
			if start.IsZero() || t.StartLoggingTime.Before(start) {
				start = t.StartLoggingTime.UTC()
			}
		}
	}
	return start
}

// LogCoverage folds the scanned logs into per-account coverage of the
// window of want days before now, sorted by account and region.
func LogCoverage(s *snapshot.Snapshot, logs []usage.LogCoverage, now time.Time, want int) []AccountLogs {
	windowStart := now.AddDate(0, 0, -want)
	// Coverage ends where the scan reached: the latest scanned log of any
	// account and region (a quiet region writes no log files, so its own
	// last file says little), or now when that is within CloudTrail's
	// delivery lag.
	var end time.Time
	for _, l := range logs {
		if l.Last.After(end) {
			end = l.Last.UTC()
		}
	}
	if end.After(now.Add(-DeliveryLag)) {
		end = now
	}
	by := map[string]*AccountLogs{}
	for _, l := range logs {
		a := by[l.Account]
		if a == nil {
			a = &AccountLogs{Account: l.Account, Want: want, Days: want}
			by[l.Account] = a
		}
		r := RegionLogs{Region: l.Region, From: windowStart, To: end, StartsAt: "window"}
		if l.First.After(r.From) {
			r.From, r.StartsAt = l.First.UTC(), "first scanned log"
		}
		if ls := LoggingStart(s, l.Account); ls.After(r.From) {
			r.From, r.StartsAt = ls, "start of logging"
		}
		if r.To.After(r.From) {
			// Whole days, to the nearest: the first log file of a day is
			// written minutes after the window's start.
			r.Days = min(want, int(math.Round(r.To.Sub(r.From).Hours()/24)))
		}
		a.Regions = append(a.Regions, r)
		a.Days = min(a.Days, r.Days)
	}
	out := make([]AccountLogs, 0, len(by))
	for _, a := range by {
		sort.Slice(a.Regions, func(i, j int) bool { return a.Regions[i].Region < a.Regions[j].Region })
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Account < out[j].Account })
	return out
}
