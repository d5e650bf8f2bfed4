package org

import (
	"testing"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

func TestCheckOrganizationTrail(t *testing.T) {
	const mgmt = "111111111111"
	good := snapshot.Trail{Name: "org", HomeRegion: "us-east-1", IsOrganizationTrail: true, IsMultiRegion: true, IsLogging: true}
	stopped := good
	stopped.IsLogging = false
	local := snapshot.Trail{Name: "local", HomeRegion: "us-east-1", IsMultiRegion: true, IsLogging: true}
	acct := func(id string, ts ...snapshot.Trail) *snapshot.Account {
		return &snapshot.Account{AccountID: id, Trails: ts}
	}
	tests := []struct {
		name     string
		trusted  bool
		accounts []*snapshot.Account
		enabled  bool
		detail   string
	}{
		{"trusted access alone", true, []*snapshot.Account{acct(mgmt, local)}, false, "trusted access is on, but no organization trail exists"},
		{"organization trail not logging", true, []*snapshot.Account{acct(mgmt, stopped)}, false, "trail org in 111111111111 is not logging"},
		{"organization trail logging", true, []*snapshot.Account{acct(mgmt, good)}, true, "trail org in 111111111111: organization trail, multi-region, logging"},
		{"trail without trusted access", false, []*snapshot.Account{acct(mgmt, good)}, false, "trail org in 111111111111: organization trail, multi-region, logging; but trusted access for cloudtrail.amazonaws.com is off"},
		{"management account not collected", true, []*snapshot.Account{acct("222222222222")}, false, "not collected: the management account's trails are not in the snapshot"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := &snapshot.Organization{ID: "o-1", ManagementAccount: mgmt, Roots: []snapshot.Root{{ID: "r-1", Name: "Root"}},
				Accounts: []snapshot.OrgAccount{{ID: mgmt, Name: "m", ParentID: "r-1"}}}
			if tc.trusted {
				o.TrustedServices = []string{"cloudtrail.amazonaws.com"}
			}
			r, err := BuildReport(o)
			if err != nil {
				t.Fatal(err)
			}
			CheckOrganizationTrail(r, tc.accounts, mgmt)
			s := r.Services[0]
			if s.Name != "Organization CloudTrail" || s.Enabled != tc.enabled || s.Detail != tc.detail {
				t.Errorf("%s: enabled %v %q; want %v %q", s.Name, s.Enabled, s.Detail, tc.enabled, tc.detail)
			}
		})
	}
}
