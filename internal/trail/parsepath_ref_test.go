package trail

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// parsePathSplit and deliveryTimeSplit are ParsePath and deliveryTime as
// they were written before they stopped allocating (strings.Split,
// time.Parse): the reference the faster ones must agree with on every
// path (TestParsePathAgreesWithSplit, FuzzParsePath).
func parsePathSplit(p string) PathInfo {
	var pi PathInfo
	i := strings.Index(p, "AWSLogs/")
	if i < 0 {
		return pi
	}
	parts := strings.Split(p[i+len("AWSLogs/"):], "/")
	if len(parts) > 0 && strings.HasPrefix(parts[0], "o-") {
		pi.OrgID = parts[0]
		parts = parts[1:]
	}
	if len(parts) < 6 {
		if len(parts) >= 2 && parts[1] == "CloudTrail-Digest" {
			pi.Digest = true
		}
		if len(parts) >= 1 {
			pi.Account = parts[0]
		}
		return pi
	}
	pi.Account = parts[0]
	switch parts[1] {
	case "CloudTrail":
	case "CloudTrail-Digest":
		pi.Digest = true
	default:
		return pi
	}
	pi.Region = parts[2]
	y, ok1 := atoi([]byte(parts[3]))
	m, ok2 := atoi([]byte(parts[4]))
	d, ok3 := atoi([]byte(parts[5]))
	if ok1 && ok2 && ok3 && y >= 1970 && m >= 1 && m <= 12 && d >= 1 && d <= 31 && len(parts[3]) == 4 && isAccountID(pi.Account) && pi.Region != "" {
		pi.Date = time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		pi.OK = true
		if len(parts) >= 7 {
			pi.Delivered = deliveryTimeSplit(parts[len(parts)-1])
		}
	}
	return pi
}

func deliveryTimeSplit(name string) time.Time {
	fields := strings.Split(name, "_")
	for i := len(fields) - 1; i >= 0; i-- {
		v := fields[i]
		if len(v) == 14 && v[8] == 'T' && v[13] == 'Z' && allDigits(v[:8]) && allDigits(v[9:13]) {
			t, err := time.Parse("20060102T1504Z", v)
			if err == nil {
				return t
			}
		}
	}
	return time.Time{}
}

// TestParsePathAgreesWithSplit compares ParsePath with its reference on
// paths built from the pieces a delivery path and its near misses are
// made of (every combination of a few of each).
func TestParsePathAgreesWithSplit(t *testing.T) {
	prefixes := []string{"", "x/", "AWSLogs/", "a/AWSLogs/b/"}
	orgs := []string{"", "o-abc/", "o-/"}
	accounts := []string{"111111111111", "", "11111111111x"}
	kinds := []string{"CloudTrail", "CloudTrail-Digest", "Config", ""}
	regions := []string{"eu-west-1", ""}
	dates := []string{"2026/11/02", "2026/02/29", "1969/12/31", "2024/13/01", "2024/00/10", "26/11/02", "2026/11", "2026/11/02/", "0000000002026/000011/02"}
	files := []string{"", "f.json.gz", "111111111111_CloudTrail_eu-west-1_20261102T2355Z_AbC.json.gz",
		"a_20240229T1200Z_b_20230229T1200Z_c", "x_20261131T0000Z_y", "x_20261130T2400Z", "x_20261130T2360Z", "x_20261130T0000Z",
		"20261130T0000Z", "_", "x_00000101T0000Z_y", "sub/dir/z_20250101T0101Z_q.json", "x_2026113010000Z"}
	n := 0
	for _, pre := range prefixes {
		for _, org := range orgs {
			for _, acct := range accounts {
				for _, kind := range kinds {
					for _, region := range regions {
						for _, date := range dates {
							for _, file := range files {
								p := pre + "AWSLogs/" + org + acct + "/" + kind + "/" + region + "/" + date + "/" + file
								for _, q := range []string{p, strings.TrimPrefix(p, "AWSLogs/"), p[:len(p)/2]} {
									n++
									if diff := cmp.Diff(parsePathSplit(q), ParsePath(q)); diff != "" {
										t.Fatalf("ParsePath(%q) (-reference +got):\n%s", q, diff)
									}
								}
							}
						}
					}
				}
			}
		}
	}
	for _, name := range files {
		if got, want := deliveryTime(name), deliveryTimeSplit(name); !got.Equal(want) || got.Location() != want.Location() {
			t.Errorf("deliveryTime(%q) = %v, reference %v", name, got, want)
		}
	}
	if n < 10000 {
		t.Fatalf("only %d paths compared", n)
	}
}

// TestParsePathDoesNotAllocate: the listing parses every file's path.
func TestParsePathDoesNotAllocate(t *testing.T) {
	p := "AWSLogs/o-abc/111111111111/CloudTrail/eu-west-1/2026/11/02/111111111111_CloudTrail_eu-west-1_20261102T2355Z_AbC.json.gz"
	if a := testing.AllocsPerRun(100, func() { ParsePath(p) }); a != 0 {
		t.Errorf("ParsePath allocates %v times", a)
	}
}
