package leastpriv

import (
	"fmt"
	"strings"

	"github.com/seiri-dev/seiri/internal/finding"
)

// RuleID is the audit rule of unused permissions (registered in
// internal/audit so that suppressions and --rule know it).
const RuleID = "SEIRI-PERMISSIONS-UNUSED"

// MinUnusedForFinding is how many certain unused actions make a finding.
const MinUnusedForFinding = 1

// Findings turns analysed principals into findings: one per principal with
// certainly-unused permissions, evidence naming the counts, the window and
// the highest-risk unused actions.
func Findings(rs []*PrincipalResult) []finding.Finding {
	var out []finding.Finding
	for _, r := range rs {
		if r.UnusedCertain < MinUnusedForFinding {
			continue
		}
		title := fmt.Sprintf("%d of %d granted actions unused (%d high-risk)", r.UnusedCertain, r.Granted, r.UnusedHighRisk)
		if r.Used == 0 {
			title = fmt.Sprintf("No use of any of its %d granted actions", r.Granted)
		}
		ev := []finding.Evidence{
			{Name: "window", Value: r.Window},
			{Name: "granted", Value: itoa(r.Granted)},
			{Name: "used", Value: itoa(r.Used)},
			{Name: "unused (certain)", Value: itoa(r.UnusedCertain)},
			{Name: "unused (unknown: evidence does not cover them)", Value: itoa(r.Unused - r.UnusedCertain)},
		}
		if len(r.UnusedServices) > 0 {
			ev = append(ev, finding.Evidence{Name: "unused services", Value: clip(r.UnusedServices, 15)})
		}
		if len(r.Top) > 0 {
			ev = append(ev, finding.Evidence{Name: "highest-risk unused actions", Value: strings.Join(r.Top, ", ")})
		}
		if r.PermissionSet != "" {
			ev = append(ev, finding.Evidence{Name: "permission set", Value: r.PermissionSet})
		}
		out = append(out, finding.Finding{RuleID: RuleID, Account: r.Account, Resource: r.Principal, Title: title, Evidence: ev,
			Recommendation: "Replace its policies with `seiri policy generate " + r.Principal + "` (proven against every observed call)."})
	}
	return out
}

func clip(vs []string, n int) string {
	if len(vs) <= n {
		return strings.Join(vs, ", ")
	}
	return strings.Join(vs[:n], ", ") + fmt.Sprintf(" and %d more", len(vs)-n)
}
