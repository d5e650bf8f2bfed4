package org

import (
	"fmt"
	"strings"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// CheckOrganizationTrail judges the "Organization CloudTrail" baseline by
// the trail itself, not by trusted access alone: trusted access for
// cloudtrail.amazonaws.com only lets an organization trail be created
// (CloudTrail user guide, "Creating a trail for an organization"). It is
// enabled when some collected account has an organization trail that is
// multi-region and logging. accounts are the snapshot's accounts (the
// management account holds organization trails); when none of them had
// its trails collected, the state is "not collected", never "enabled".
func CheckOrganizationTrail(r *Report, accounts []*snapshot.Account, managementAccount string) {
	for i := range r.Services {
		s := &r.Services[i]
		if s.Name != "Organization CloudTrail" {
			continue
		}
		trusted := s.Enabled
		s.Enabled = false
		var seen []string
		collected := false
		for _, a := range accounts {
			collected = collected || a.AccountID == managementAccount
			for _, t := range a.Trails {
				if !t.IsOrganizationTrail {
					continue
				}
				var why []string
				if !t.IsMultiRegion {
					why = append(why, "single-region ("+t.HomeRegion+")")
				}
				if !t.IsLogging {
					why = append(why, "not logging")
				}
				if len(why) == 0 {
					s.Enabled = trusted
					s.Detail = fmt.Sprintf("trail %s in %s: organization trail, multi-region, logging", t.Name, a.AccountID)
					if !trusted {
						s.Detail += "; but trusted access for cloudtrail.amazonaws.com is off"
					}
					return
				}
				seen = append(seen, fmt.Sprintf("trail %s in %s is %s", t.Name, a.AccountID, strings.Join(why, ", ")))
			}
		}
		switch {
		case len(seen) > 0:
			s.Detail = strings.Join(seen, "; ")
		case !collected:
			s.Detail = "not collected: the management account's trails are not in the snapshot"
		case trusted:
			s.Detail = "trusted access is on, but no organization trail exists"
		}
		return
	}
}
