package groups

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/demo/demotest"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/usage"
)

func TestGroupsAnalyzeCommand(t *testing.T) {
	ws, _ := groupsDemoWorkspace(t)
	out, errOut, code := groupsRun(t, nil, ws, "groups", "analyze", "--account", demo.ManagementAccount)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"[near-limit] maria.schneider: in 9 groups (IAM limit 10)",
		"leave billing, finance-developers, oncall, platform-admins, support-developers",
		"[empty-group] legacy-admins",
		"[many-teams] maria.schneider",
		"Candidate groups",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if !strings.Contains(errOut, "usage from "+filepath.Join(ws, "usage.db")) {
		t.Errorf("stderr does not say where usage came from: %s", errOut)
	}
	out, _, code = groupsRun(t, nil, ws, "groups", "analyze", "--output", "json")
	// The JSON names what it used: the snapshot, the usage store and the
	// window's start (90 days before the clock).
	var v struct {
		SchemaVersion int
		Snapshot      string
		Usage         *struct {
			Store string
			Since time.Time
		}
		Accounts []map[string]any
	}
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || len(v.Accounts) != 5 {
		t.Fatalf("json: exit %d, %d accounts", code, len(v.Accounts))
	}
	if v.SchemaVersion != 1 || v.Snapshot != "20261129T000000Z" || v.Usage == nil || v.Usage.Store != filepath.Join(ws, "usage.db") ||
		!v.Usage.Since.Equal(groupsNow.AddDate(0, 0, -90)) {
		t.Errorf("json source: %d %q %+v", v.SchemaVersion, v.Snapshot, v.Usage)
	}
}

func TestGroupsBadInput(t *testing.T) {
	ws, _ := groupsDemoWorkspace(t)
	for _, args := range [][]string{
		{"groups", "analyze", "--threshold", "1.5"},
		{"groups", "analyze", "--account", "999999999999"},
		{"groups", "analyze", "--account", "111111111111", "--all"},
		{"groups", "plan", "--since", "yesterday-ish"},
		{"groups", "plan", "--output", "csv"},
		{"groups", "analyze", "--snapshot", "missing"},
	} {
		_, errOut, code := groupsRun(t, nil, ws, args...)
		if code != cmdutil.ExitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, cmdutil.ExitUsage, errOut)
		}
	}
}

func TestGroupsPlanApply(t *testing.T) {
	cmdtest.IsolateAWS(t)
	ws, org := groupsDemoWorkspace(t)
	fake := awsfake.New(awsfake.Scenario{Organization: org.Organization, Accounts: org.Accounts})
	defer fake.Close()
	planFile := filepath.Join(t.TempDir(), "plan.json")
	out, errOut, code := groupsRun(t, nil, ws, "groups", "plan", "--account", demo.ManagementAccount, "--out", planFile)
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "37 users unchanged, 0 users lose only unused permissions") || !strings.Contains(out, "- [111111111111] remove user maria.schneider from group billing") {
		t.Errorf("plan output:\n%s", out)
	}
	if _, err := plan.Load(planFile); err != nil {
		t.Errorf("saved plan: %v", err)
	}
	// Without --yes and without a terminal nothing is applied.
	_, _, code = groupsRun(t, fake, ws, "groups", "plan", "--account", demo.ManagementAccount, "--apply")
	if code != cmdutil.ExitUsage || fake.Count(demo.ManagementAccount, "RemoveUserFromGroup") != 0 {
		t.Fatalf("apply without --yes: exit %d, %d removals", code, fake.Count(demo.ManagementAccount, "RemoveUserFromGroup"))
	}
	out, errOut, code = groupsRun(t, fake, ws, "groups", "plan", "--account", demo.ManagementAccount, "--apply", "--yes")
	if code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errOut)
	}
	// One pass reaches the model: the membership the new group makes
	// redundant (rupert.novak in contractors) is removed in the same plan.
	if !strings.Contains(out, "Applied 17, skipped 0") {
		t.Errorf("apply output:\n%s", out)
	}
	if n := fake.Count(demo.ManagementAccount, "RemoveUserFromGroup"); n != 9 {
		t.Errorf("%d RemoveUserFromGroup calls, want 9", n)
	}
	j, err := os.ReadFile(filepath.Join(ws, "journal.jsonl"))
	if err != nil || strings.Count(string(j), `"phase":"done"`) != 17 {
		t.Errorf("journal: %v\n%s", err, j)
	}
}

func TestGroupsPlanRemoveUnused(t *testing.T) {
	ws, _ := groupsDemoWorkspace(t)
	out, errOut, code := groupsRun(t, nil, ws, "groups", "plan", "--account", "555555555555", "--remove-unused")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "account 555555555555: 6 users unchanged, 37 users lose only unused permissions") {
		t.Errorf("output:\n%s", out)
	}
}

// TestGroupsApplyMemberAccount applies in a member account, through the
// role seiri assumes there, and re-runs: everything is then in effect.
func TestGroupsApplyMemberAccount(t *testing.T) {
	cmdtest.IsolateAWS(t)
	ws, org := groupsDemoWorkspace(t)
	fake := awsfake.New(awsfake.Scenario{Organization: org.Organization, Accounts: org.Accounts})
	defer fake.Close()
	out, errOut, code := groupsRun(t, fake, ws, "groups", "plan", "--account", "555555555555", "--apply", "--yes")
	if code != 0 || !strings.Contains(out, "Applied 12, skipped 0 (already in effect), failed 0") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	if fake.Count("555555555555", "RemoveUserFromGroup") != 7 {
		t.Errorf("%d removals in 555555555555", fake.Count("555555555555", "RemoveUserFromGroup"))
	}
	// The snapshot is now stale: the same plan again finds every change in effect.
	out, errOut, code = groupsRun(t, fake, ws, "groups", "plan", "--account", "555555555555", "--apply", "--yes")
	if code != 0 || !strings.Contains(out, "Applied 0, skipped 12") {
		t.Errorf("re-run: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestGroupsUsageStore reads usage from usage.db; an account the store has
// no rows for counts as "usage unknown", not "nothing used".
func TestGroupsUsageStore(t *testing.T) {
	ws, _ := cmdtest.DemoWorkspace(t, groupsNow)
	st, err := usage.Open(context.Background(), filepath.Join(ws, "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []usage.Row
	for _, r := range demotest.Rows(t, groupsNow) {
		if r.Account == "555555555555" {
			rows = append(rows, r)
		}
	}
	if err := st.Upsert(context.Background(), rows); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, errOut, code := groupsRun(t, nil, ws, "groups", "analyze", "--output", "json")
	if code != 0 || !strings.Contains(errOut, "usage from") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Accounts []struct {
			Account    string
			UsageKnown bool
			Problems   []struct{ Kind string }
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, a := range doc.Accounts {
		unused := 0
		for _, p := range a.Problems {
			if p.Kind == "unused-group" {
				unused++
			}
		}
		if want := a.Account == "555555555555"; a.UsageKnown != want || (!want && unused > 0) {
			t.Errorf("account %s: usageKnown %v, %d unused-group problems", a.Account, a.UsageKnown, unused)
		}
	}
	// Without usage for the account, removing "unused" memberships removes nothing.
	out, _, code = groupsRun(t, nil, ws, "groups", "plan", "--account", demo.ManagementAccount, "--remove-unused")
	if code != 0 || !strings.Contains(out, "37 users unchanged, 0 users lose only unused permissions") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// TestGroupsApplySavedPlan: a plan saved by `groups plan --out` is applied
// by `groups apply`; a file edited after review and a plan whose snapshot
// changed are refused (exit 2) before any write; applying again resumes.
func TestGroupsApplySavedPlan(t *testing.T) {
	cmdtest.IsolateAWS(t)
	ws, org := groupsDemoWorkspace(t)
	fake := awsfake.New(awsfake.Scenario{Organization: org.Organization, Accounts: org.Accounts})
	defer fake.Close()
	planFile := filepath.Join(t.TempDir(), "plan.json")
	if _, errOut, code := groupsRun(t, nil, ws, "groups", "plan", "--account", "555555555555", "--out", planFile); code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	edited := filepath.Join(t.TempDir(), "edited.json")
	os.WriteFile(edited, []byte(strings.Replace(string(b), "remove user", "remove  user", 1)), 0o600)
	_, errOut, code := groupsRun(t, fake, ws, "groups", "apply", edited, "--account", "555555555555", "--yes")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "the plan file was edited after it was made [plan.file.edited]") {
		t.Errorf("edited plan: exit %d\n%s", code, errOut)
	}
	// Another account selection is another base: the plan is stale.
	_, errOut, code = groupsRun(t, fake, ws, "groups", "apply", planFile, "--yes")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "[plan.stale]") {
		t.Errorf("stale plan: exit %d\n%s", code, errOut)
	}
	if n := fake.Total(); n != 0 && fake.Count("555555555555", "RemoveUserFromGroup") != 0 {
		t.Fatalf("a refused plan made writes")
	}
	out, errOut, code := groupsRun(t, fake, ws, "groups", "apply", planFile, "--account", "555555555555", "--yes")
	if code != 0 || !strings.Contains(out, "Applied 12, skipped 0 (already in effect), failed 0") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = groupsRun(t, fake, ws, "groups", "apply", planFile, "--account", "555555555555", "--yes")
	if code != 0 || !strings.Contains(out, "Applied 0, skipped 12") || !strings.Contains(errOut, "[apply.resume]") {
		t.Errorf("again: exit %d\n%s\n%s", code, out, errOut)
	}
}

// A demo snapshot without a usage store has no usage: groups says so and
// what to run, and no account counts as "usage known" (no made-up rows).
func TestGroupsDemoWithoutUsageStore(t *testing.T) {
	ws, _ := cmdtest.DemoWorkspace(t, groupsNow)
	out, errOut, code := groupsRun(t, nil, ws, "groups", "analyze", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := "snapshot 20261129T000000Z: collected 2026-11-29T00:00:00Z (demo), 6 accounts\n" +
		"no usage store " + filepath.Join(ws, "usage.db") + ": unused-permission checks skipped (the demo's usage comes from its CloudTrail logs: run seiri demo without --no-trail, or seiri trail scan)\n"
	if errOut != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, want)
	}
	// The JSON says the same: usage null, not an empty window.
	var doc struct {
		Snapshot string
		Usage    *struct{ Store string }
		Accounts []struct {
			Account    string
			UsageKnown bool
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Accounts) == 0 || doc.Snapshot != "20261129T000000Z" || doc.Usage != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, a := range doc.Accounts {
		if a.UsageKnown {
			t.Errorf("account %s: usage known without a usage store", a.Account)
		}
	}
}

// TestGroupsApplyWithoutCredentials: without AWS credentials, groups apply
// and groups plan --apply stop before anything else with one line saying
// what to set, exit 2 — no SDK error chain, no SDK log line, nothing
// written. groups plan without --apply needs no credentials.
func TestGroupsApplyWithoutCredentials(t *testing.T) {
	cmdtest.IsolateAWS(t)
	ws, _ := groupsDemoWorkspace(t)
	planFile := filepath.Join(t.TempDir(), "plan.json")
	if _, errOut, code := groupsRun(t, nil, ws, "groups", "plan", "--account", "555555555555", "--out", planFile); code != 0 {
		t.Fatalf("plan without credentials: exit %d: %s", code, errOut)
	}
	want := "seiri: no AWS credentials found: pass --profile NAME or set AWS_PROFILE (for IAM Identity Center, run `aws sso login --profile NAME` first), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n"
	for _, args := range [][]string{
		{"groups", "apply", planFile, "--account", "555555555555", "--yes"},
		{"groups", "plan", "--account", "555555555555", "--apply", "--yes"},
	} {
		out, errOut, code := groupsRun(t, nil, ws, args...)
		if code != cmdutil.ExitUsage || errOut != want || out != "" {
			t.Errorf("%v: exit %d\nstdout:\n%s\nstderr:\n%s\nwant stderr:\n%s", args, code, out, errOut, want)
		}
	}
	if _, err := os.Stat(filepath.Join(ws, "journal.jsonl")); err == nil {
		t.Error("a journal was written without credentials")
	}
}
