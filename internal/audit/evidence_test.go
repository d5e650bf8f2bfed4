package audit

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/credreport"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// importExample imports the AWS CLI's documented example of
// get-account-authorization-details as `snapshot import` does (keys unknown).
func importExample(t *testing.T) *snapshot.Account {
	t.Helper()
	data, err := os.ReadFile("../snapshot/testdata/authdetails-awscli-example.json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := snapshot.ParseAuthorizationDetails(data, "example.json", "")
	if err != nil {
		t.Fatal(err)
	}
	a.KeysUnknown = true
	return a
}

func byRule(rep *finding.Report, id string) []finding.Finding {
	var out []finding.Finding
	for _, f := range rep.Findings {
		if f.RuleID == id {
			out = append(out, f)
		}
	}
	return out
}

// TestImportWithoutCredentialReport: the documented minimal import path
// (authorization details only) must not call anyone "never used": it says
// which rules could not run, who was not judged, and what to collect.
func TestImportWithoutCredentialReport(t *testing.T) {
	a := importExample(t)
	rep := Run(snap(a), cfg(), now)
	if got := byRule(rep, UserInactive); len(got) != 0 {
		t.Errorf("inactivity judged without evidence: %+v", got)
	}
	miss := byRule(rep, EvidenceMissing)
	if len(miss) != 1 {
		t.Fatalf("evidence-missing findings: %+v", miss)
	}
	f := miss[0]
	if f.Title != "12 rules could not run in account 123456789012 for lack of evidence" || f.Resource != "arn:aws:iam::123456789012:root" {
		t.Errorf("finding %q on %s", f.Title, f.Resource)
	}
	var rules []string
	ev := map[string]string{}
	for _, e := range f.Evidence {
		ev[e.Name] = e.Value
		if strings.HasPrefix(e.Name, "SEIRI-") {
			rules = append(rules, e.Name)
		}
	}
	want := []string{RootKeys, RootNoMFA, RootUsed, MachineUserAdmin, UserNoMFA, KeyUnused, UserInactive, KeyOld,
		UserConsoleAndKeys, PasswordOld, KeyTwoActive, ServiceUnused}
	if diff := cmp.Diff(want, rules); diff != "" {
		t.Errorf("rules that could not run (-want +got):\n%s", diff)
	}
	if v := ev[UserInactive]; !strings.HasSuffix(v, "not judged: Alice, Bob, Charlie") || !strings.HasPrefix(v, "activity unknown (no credential report") {
		t.Errorf("%s: %q", UserInactive, v)
	}
	if v := ev["to collect it"]; !strings.Contains(v, "--credential-report") || !strings.Contains(v, "seiri trail scan") {
		t.Errorf("advice %q", v)
	}
}

// TestWitnessesLatestWins: with a credential report and CloudTrail usage,
// the latest witness decides and every witness is shown.
func TestWitnessesLatestWins(t *testing.T) {
	a := importExample(t)
	arn := func(u string) string { return "arn:aws:iam::123456789012:user/" + u }
	row := func(name string, mods ...func(*credreport.Row)) credreport.Row {
		r := reportRow(name, mods...)
		r.ARN = arn(name)
		r.UserCreationTime = credreport.Time{Missing: credreport.NA}
		return r
	}
	a.CredentialReport = &credreport.Report{Rows: []credreport.Row{
		rootRow(),
		row("Alice", func(r *credreport.Row) {
			r.PasswordEnabled.Value = true
			r.MFAActive = true
			r.PasswordLastUsed = rt(ago(12, 0))
		}),
		row("Bob"),
		row("Charlie"),
		row("Mallory", func(r *credreport.Row) { r.Line = 9 }),
	}}
	act := &Activity{
		Accounts:   map[string]Window{"123456789012": {Since: ago(200, 0), Until: now}},
		Principals: map[string]LastCall{arn("Charlie"): {Time: ago(3, 0), Calls: 87}},
	}
	rep := RunWith(snap(a), cfg(), now, Options{Activity: act, Only: []string{UserInactive, CredReportUnmatched}})
	var titles []string
	for _, f := range rep.Findings {
		titles = append(titles, f.Title)
	}
	slices.Sort(titles)
	want := []string{"Credential report lists user Mallory, who is not in the snapshot", "User Bob never used (created 4247 days ago)"}
	if diff := cmp.Diff(want, titles); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	bob := byRule(rep, UserInactive)[0]
	got := map[string]string{}
	for _, e := range bob.Evidence {
		got[e.Name] = e.Value
	}
	if got["password_last_used (credential report)"] != "N/A (never)" || got["last call (CloudTrail, 2024-11-13 to 2025-06-01)"] != "no call recorded" {
		t.Errorf("Bob's witnesses: %v", got)
	}

	// The same with CloudTrail alone for Bob: the window is shorter than the
	// threshold, so its silence is not "never".
	a.CredentialReport = nil
	act.Accounts["123456789012"] = Window{Since: ago(30, 0), Until: now}
	rep = RunWith(snap(a), cfg(), now, Options{Activity: act, Only: []string{UserInactive, EvidenceMissing}})
	if got := byRule(rep, UserInactive); len(got) != 0 {
		t.Errorf("judged on a 30-day window: %+v", got)
	}
	miss := byRule(rep, EvidenceMissing)
	if len(miss) != 1 || !strings.HasSuffix(miss[0].Evidence[0].Value, "not judged: Alice, Bob") {
		t.Errorf("evidence missing: %+v", miss)
	}
}

// TestActivityFromUsage: the usage store's rows become the CloudTrail
// witness; a user with 87 recorded calls is active.
func TestActivityFromUsage(t *testing.T) {
	user := "arn:aws:iam::123456789012:user/Charlie"
	rows := []usage.Row{
		{Key: usage.Key{Account: "123456789012", Principal: user, PrincipalType: "IAMUser", AccessKeyID: "AKIAEXAMPLE1", Action: "s3:GetObject"},
			FirstSeen: ago(100, 0), LastSeen: ago(5, 0), Count: 80},
		{Key: usage.Key{Account: "123456789012", Principal: user, PrincipalType: "IAMUser", Action: "signin:ConsoleLogin"},
			FirstSeen: ago(40, 0), LastSeen: ago(3, 0), Count: 7},
		{Key: usage.Key{Account: "123456789012", Principal: "arn:aws:iam::123456789012:role/r", PrincipalType: "AssumedRole", Action: "s3:GetObject"},
			FirstSeen: ago(150, 0), LastSeen: ago(1, 0), Count: 2},
	}
	runs := []usage.Run{{Since: ago(120, 0), Until: ago(0, 0)}}
	act := ActivityFromUsage(rows, runs)
	want := &Activity{
		Accounts:   map[string]Window{"123456789012": {Since: ago(150, 0), Until: now}},
		Principals: map[string]LastCall{user: {Time: ago(3, 0), Calls: 87}},
		Keys:       map[string]LastCall{"AKIAEXAMPLE1": {Time: ago(5, 0), Calls: 80}},
	}
	if diff := cmp.Diff(want, act); diff != "" {
		t.Errorf("activity (-want +got):\n%s", diff)
	}
	a := importExample(t)
	rep := RunWith(snap(a), cfg(), now, Options{Activity: act, Only: []string{UserInactive}})
	var titles []string
	for _, f := range rep.Findings {
		titles = append(titles, f.Title)
	}
	// Charlie is active; Alice and Bob have no call in a 150-day window that
	// covers the 90-day threshold: never used.
	if diff := cmp.Diff([]string{"User Alice never used (created 4247 days ago)", "User Bob never used (created 4247 days ago)"}, titles); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}
