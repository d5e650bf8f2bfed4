package awsfake

import "github.com/seiri-dev/seiri/internal/snapshot"

// trailOps are the CloudTrail operations the fake serves (JSON 1.1). The
// account's trails are the ones in its snapshot (shadow trails of an
// organization trail included), in whatever region the client uses.
var trailOps = map[string]func(*call) (any, *Error){
	"DescribeTrails":    trailDescribeTrails,
	"GetEventSelectors": trailGetEventSelectors,
	"GetTrailStatus":    trailGetTrailStatus,
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
