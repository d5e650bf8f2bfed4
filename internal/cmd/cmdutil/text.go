package cmdutil

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TrimValue shortens a value quoted in an error message to 40 characters.
func TrimValue(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// ParseWhen reads an absolute date/time or a relative "90d"/"12h" (before now).
func ParseWhen(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if d, err := strconv.Atoi(n); err == nil && d >= 0 {
			return now.AddDate(0, 0, -d).UTC(), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want 2006-01-02, an RFC 3339 time, or a duration like 90d or 12h", s)
}
