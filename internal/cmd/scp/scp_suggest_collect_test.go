package scp

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/org"
)

// TestScpSuggestFromCollectedReport: collect --org stores the access reports
// (from the fake, through the SDK) and scp suggest keeps open exactly the
// services the root's report shows used in the window, with no CloudTrail.
func TestScpSuggestFromCollectedReport(t *testing.T) {
	cmdtest.IsolateAWS(t)
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	sc := awsfake.SampleScenario(now, 2, 2)
	fake := awsfake.New(sc)
	defer fake.Close()
	ws := t.TempDir()
	if _, errOut, code := runCollect(t, fake, ws, "collect", "--org", "--parallel", "2"); code != 0 {
		t.Fatalf("collect: %d %s", code, errOut)
	}
	want := map[string]bool{}
	since := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, -90)
	for _, a := range sc.Accounts {
		for _, u := range a.Users {
			for _, s := range u.AccessAdvisor {
				if s.LastAuthenticated != nil && !s.LastAuthenticated.Before(since) {
					want[s.ServiceNamespace] = true
				}
			}
		}
		for _, r := range a.Roles {
			for _, s := range r.AccessAdvisor {
				if s.LastAuthenticated != nil && !s.LastAuthenticated.Before(since) {
					want[s.ServiceNamespace] = true
				}
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("scenario has no Access Advisor use in the window")
	}
	out, errOut, code := runCollect(t, nil, ws, "--output", "json", "scp", "suggest", "--target", "root", "--days", "90")
	if code != 0 {
		t.Fatalf("suggest: %d %s %s", code, out, errOut)
	}
	var sg org.Suggestion
	if err := json.Unmarshal([]byte(out), &sg); err != nil {
		t.Fatal(err)
	}
	if sg.Report == nil || len(sg.Sources) != 2 || len(sg.TrailUsed) != 0 {
		t.Fatalf("suggestion %+v", sg)
	}
	got := map[string]bool{}
	for _, s := range sg.ReportUsed {
		got[s] = true
	}
	for s := range want {
		if !got[s] || !strings.Contains(sg.Content, `"`+s+`:*"`) {
			t.Errorf("%s used per the report but not left open: %+v", s, sg)
		}
	}
	if len(got) != len(want) {
		t.Errorf("report used %v, want %v", sg.ReportUsed, want)
	}
	text, _, code := runCollect(t, nil, ws, "scp", "suggest", "--target", "root", "--days", "90")
	if code != 0 || !strings.Contains(text, "Organizations access report (o-") || !strings.Contains(text, "the access report alone decides") {
		t.Errorf("suggest text: %d\n%s", code, text)
	}
}
