package collect

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// expectedReport aggregates the scenario's Access Advisor data of the
// accounts at or below target the way IAM's Organizations access report
// does: per service, the latest use and the number of accounts using it.
func expectedReport(sc awsfake.Scenario, target string) map[string]snapshot.OrgServiceAccess {
	under := map[string]bool{target: true}
	for changed := true; changed; {
		changed = false
		for _, u := range sc.Organization.OUs {
			if under[u.ParentID] && !under[u.ID] {
				under[u.ID], changed = true, true
			}
		}
	}
	out := map[string]snapshot.OrgServiceAccess{}
	users := map[string]map[string]bool{}
	for _, oa := range sc.Organization.Accounts {
		if !under[oa.ParentID] {
			continue
		}
		for _, a := range sc.Accounts {
			if a.AccountID != oa.ID {
				continue
			}
			var all []snapshot.ServiceAccess
			for _, u := range a.Users {
				all = append(all, u.AccessAdvisor...)
			}
			for _, r := range a.Roles {
				all = append(all, r.AccessAdvisor...)
			}
			for _, s := range all {
				o := out[s.ServiceNamespace]
				o.Namespace = s.ServiceNamespace
				if s.LastAuthenticated != nil {
					if users[s.ServiceNamespace] == nil {
						users[s.ServiceNamespace] = map[string]bool{}
					}
					users[s.ServiceNamespace][a.AccountID] = true
					if o.LastAuthenticated == nil || s.LastAuthenticated.After(*o.LastAuthenticated) {
						t := s.LastAuthenticated.UTC()
						o.LastAuthenticated = &t
					}
				}
				o.Entities = len(users[s.ServiceNamespace])
				out[s.ServiceNamespace] = o
			}
		}
	}
	return out
}

func TestCollectOrgAccessReports(t *testing.T) {
	tests := []struct {
		name      string
		configure func(*awsfake.Server)
		wantWarn  string // substring of the warning; "" = none about reports
		missing   int    // reports not stored (-1: all)
	}{
		{"completed after polls", func(f *awsfake.Server) { f.AccessAdvisorInProgress(2) }, "", 0},
		{"denied everywhere is one warning", func(f *awsfake.Server) {
			f.FailOp("", "GenerateOrganizationsAccessReport", &awsfake.Error{Status: 403, Code: "AccessDenied", Message: "not allowed"}, -1)
		}, "organizations access reports not collected for any of the 4 root(s) and OU(s): iam GenerateOrganizationsAccessReport o-fake12345/r-ab12", -1},
		{"one target failing is a warning", func(f *awsfake.Server) {
			f.FailOp("", "GetOrganizationsAccessReport", &awsfake.Error{Status: 400, Code: "InvalidInput", Message: "boom"}, 1)
		}, ": iam GetOrganizationsAccessReport o-fake12345/r-ab12", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, 3, 2, tt.configure)
			res, err := Run(context.Background(), e.sess, e.ws, fastOpts(Options{Org: true, Parallel: 2}))
			if err != nil {
				t.Fatal(err)
			}
			snap, err := snapshot.Load(e.ws, snapshot.Latest)
			if err != nil {
				t.Fatal(err)
			}
			o := snap.Organization
			want := len(o.Roots) + len(o.OUs) - tt.missing
			if tt.missing < 0 {
				want = 0
			}
			if len(o.AccessReports) != want {
				t.Fatalf("%d reports, want %d", len(o.AccessReports), want)
			}
			var warned int
			for _, w := range res.Warnings {
				if strings.Contains(w, "organizations access report") {
					warned++
					if tt.wantWarn == "" || !strings.Contains(w, tt.wantWarn) {
						t.Errorf("unexpected warning %q", w)
					}
				}
			}
			if tt.wantWarn != "" && warned != 1 {
				t.Errorf("no warning %q in %q", tt.wantWarn, res.Warnings)
			}
			for _, r := range o.AccessReports {
				if !strings.HasPrefix(r.EntityPath, o.ID+"/") || !strings.HasSuffix(r.EntityPath, "/"+r.TargetID) || r.GeneratedAt.IsZero() {
					t.Errorf("report header %+v", r)
				}
				got := map[string]snapshot.OrgServiceAccess{}
				for _, s := range r.Services {
					if s.LastAuthenticated != nil && !strings.HasPrefix(s.LastEntityPath, r.EntityPath+"/") {
						t.Errorf("%s: %s last used by %q, outside the target", r.TargetID, s.Namespace, s.LastEntityPath)
					}
					s.Name, s.LastEntityPath, s.Region = "", "", ""
					got[s.Namespace] = s
				}
				if diff := cmp.Diff(expectedReport(e.sc, r.TargetID), got); diff != "" {
					t.Errorf("report %s (-want +got):\n%s", r.TargetID, diff)
				}
			}
		})
	}
}

func TestCollectOrgAccessReportsSkippedWithoutAccessAdvisor(t *testing.T) {
	e := setup(t, 2, 1, nil)
	if _, err := Run(context.Background(), e.sess, e.ws, fastOpts(Options{Org: true, NoAccessAdvisor: true})); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Count("", "GenerateOrganizationsAccessReport") + e.fake.Count(e.sc.Organization.ManagementAccount, "GenerateOrganizationsAccessReport"); n != 0 {
		t.Errorf("%d report jobs with --no-access-advisor", n)
	}
}

func TestCollectOrgAccessReportsNotManagement(t *testing.T) {
	e := setup(t, 2, 1, nil)
	o := *e.sc.Organization
	o.ManagementAccount = "999999999999"
	reps, warns := collectOrgAccessReports(context.Background(), e.sess.Base().IAM, e.sess.Base().AccountID, &o, &Options{})
	if len(reps) != 0 || len(warns) != 1 || !strings.Contains(warns[0], "only the management account (999999999999)") {
		t.Errorf("reports %v, warnings %q", reps, warns)
	}
	if n := e.fake.Count(e.sess.Base().AccountID, "GenerateOrganizationsAccessReport"); n != 0 {
		t.Errorf("%d calls", n)
	}
}
