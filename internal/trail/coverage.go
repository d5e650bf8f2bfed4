package trail

import "fmt"

// MappingCoverage is mapped / (mapped + unmapped): the share of the API calls
// a scan read that seiri could turn into IAM actions. ok is false when there
// was no such call (no records, or only sign-ins and service events): there
// is no coverage over nothing, and a caller must not print one.
func MappingCoverage(mapped, unmapped int64) (coverage float64, ok bool) {
	d := mapped + unmapped
	if d <= 0 {
		return 0, false
	}
	return float64(mapped) / float64(d), true
}

// MappingCoverage is the scan's coverage (see the function of that name).
func (s *Summary) MappingCoverage() (float64, bool) { return MappingCoverage(s.Mapped, s.Unmapped) }

// CoverageText renders the coverage for people: "99.20%", or why there is
// none ("no records", "no API calls to map (12 records: sign-ins and
// service events)").
func CoverageText(records, mapped, notAuthz, unmapped int64) string {
	if c, ok := MappingCoverage(mapped, unmapped); ok {
		return fmt.Sprintf("%.2f%%", 100*c)
	}
	if records == 0 {
		return "no records"
	}
	return fmt.Sprintf("no API calls to map (%d records, %d of them sign-ins, service events or calls that need no permission)", records, notAuthz)
}

// CoverageText renders the scan's coverage (see the function of that name).
func (s *Summary) CoverageText() string {
	return CoverageText(s.Records, s.Mapped, s.NotAuthz, s.Unmapped)
}
