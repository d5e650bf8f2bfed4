package awsfake

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// trailOps are the CloudTrail operations the fake serves (JSON 1.1). The
// account's trails are the ones in its snapshot (shadow trails of an
// organization trail included), in whatever region the client uses.
var trailOps = map[string]func(*call) (any, *Error){
	"DescribeTrails":    trailDescribeTrails,
	"GetEventSelectors": trailGetEventSelectors,
	"GetTrailStatus":    trailGetTrailStatus,
	"LookupEvents":      trailLookupEvents,
}

func (c *call) trail(nameOrARN string) (*snapshot.Trail, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	for i := range a.Trails {
		if t := &a.Trails[i]; t.Name == nameOrARN || t.ARN == nameOrARN {
			return t, nil
		}
	}
	return nil, errf(400, "TrailNotFoundException", "Unknown trail: %s for the user: %s", nameOrARN, a.AccountID)
}

func trailDescribeTrails(c *call) (any, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	list := []map[string]any{}
	for _, t := range a.Trails {
		m := map[string]any{
			"Name":                       t.Name,
			"TrailARN":                   t.ARN,
			"HomeRegion":                 t.HomeRegion,
			"IsMultiRegionTrail":         t.IsMultiRegion,
			"IsOrganizationTrail":        t.IsOrganizationTrail,
			"IncludeGlobalServiceEvents": t.IncludeGlobalServiceEvents,
			"HasCustomEventSelectors":    len(t.EventSelectors) > 0 || len(t.AdvancedEventSelectors) > 0,
			"HasInsightSelectors":        false,
			"LogFileValidationEnabled":   true,
		}
		if t.S3BucketName != "" {
			m["S3BucketName"] = t.S3BucketName
		}
		if t.S3KeyPrefix != "" {
			m["S3KeyPrefix"] = t.S3KeyPrefix
		}
		list = append(list, m)
	}
	return map[string]any{"trailList": list}, nil
}

func trailGetEventSelectors(c *call) (any, *Error) {
	t, err := c.trail(c.str("TrailName"))
	if err != nil {
		return nil, err
	}
	out := map[string]any{"TrailARN": t.ARN}
	if v := rawOrNil(t.EventSelectors); v != nil {
		out["EventSelectors"] = v
	}
	if v := rawOrNil(t.AdvancedEventSelectors); v != nil {
		out["AdvancedEventSelectors"] = v
	}
	if len(out) == 1 {
		// A trail with default settings logs all management events.
		out["EventSelectors"] = []map[string]any{{"ReadWriteType": "All", "IncludeManagementEvents": true, "DataResources": []any{}}}
	}
	return out, nil
}

func trailGetTrailStatus(c *call) (any, *Error) {
	t, err := c.trail(c.str("Name"))
	if err != nil {
		return nil, err
	}
	out := map[string]any{"IsLogging": t.IsLogging}
	if t.StartLoggingTime != nil {
		// JSON protocol timestamps are epoch seconds.
		out["StartLoggingTime"] = float64(t.StartLoggingTime.UnixMilli()) / 1000
	}
	return out, nil
}

// HistoryEvent is one event of an account's CloudTrail event history, what
// LookupEvents serves in the region it was recorded in.
type HistoryEvent struct {
	Account, Region string
	Time            time.Time
	// Record is the event's CloudTrail record (JSON), returned as
	// CloudTrailEvent.
	Record string
}

// LookupEventsRequest is one LookupEvents request the fake answered (its
// time range as sent: StartTime and EndTime are both inclusive).
type LookupEventsRequest struct {
	Account, Region string
	Start, End      time.Time
	NextToken       string
}

// LookupEventsRequests returns the LookupEvents requests answered so far, in
// order.
func (s *Server) LookupEventsRequests() []LookupEventsRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]LookupEventsRequest(nil), s.lookups...)
}

// trailLookupEvents serves the caller's account event history in the
// client's region. AWS CloudTrail API Reference, LookupEvents: StartTime
// and EndTime are both inclusive ("after or at", "before or at"); events
// come most recent first; MaxResults is 1–50 (default 50); a NextToken must
// be sent with the same parameters as the first call.
func trailLookupEvents(c *call) (any, *Error) {
	start, end := c.epochTime("StartTime"), c.epochTime("EndTime")
	req := LookupEventsRequest{Account: c.who.account, Region: c.region, Start: start, End: end, NextToken: c.str("NextToken")}
	c.s.lookups = append(c.s.lookups, req)
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		return nil, errf(400, "InvalidTimeRangeException", "Start time must be before end time.")
	}
	max := c.num("MaxResults")
	if max == 0 {
		max = 50
	}
	if max < 1 || max > 50 {
		return nil, errf(400, "InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
	}
	var evs []HistoryEvent
	for _, e := range c.s.scenario.EventHistory {
		if e.Account != c.who.account || e.Region != c.region {
			continue
		}
		if (!start.IsZero() && e.Time.Before(start)) || (!end.IsZero() && e.Time.After(end)) {
			continue
		}
		evs = append(evs, e)
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.After(evs[j].Time) })
	off := 0
	if tok := req.NextToken; tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "lookup:"))
		if err != nil || !strings.HasPrefix(tok, "lookup:") || n < 0 || n > len(evs) {
			return nil, errf(400, "InvalidNextTokenException", "Invalid NextToken %q", tok)
		}
		off = n
	}
	list := []map[string]any{}
	for i := off; i < len(evs) && i < off+max; i++ {
		list = append(list, map[string]any{"EventId": fmt.Sprintf("fake-%d", i), "EventTime": epoch(evs[i].Time), "CloudTrailEvent": evs[i].Record})
	}
	out := map[string]any{"Events": list}
	if off+max < len(evs) {
		out["NextToken"] = fmt.Sprintf("lookup:%d", off+max)
	}
	return out, nil
}

// epochTime reads a JSON 1.1 timestamp (epoch seconds); zero when absent.
func (c *call) epochTime(name string) time.Time {
	v, ok := c.body[name].(float64)
	if !ok {
		return time.Time{}
	}
	sec := int64(v)
	return time.Unix(sec, int64((v-float64(sec))*1e9)).UTC()
}
