package keys_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/plan"
)

// The case: the bucket already holds a failed call from the key's
// fingerprint after the disable, but no scan read it. The watch must not
// call that silence quiet, and delete refuses unless forced with a reason.
func TestKeysDeleteRefusesWhatWasNotWatched(t *testing.T) {
	h := newKeysHarness(t)
	h.setup()
	h.mustRun("keys", "disable", "--days", "30", "--apply", "--yes")
	h.writeLogs(event{at: day(9), acct: mgmtAcct, source: "s3.amazonaws.com", name: "ListBuckets", ip: "198.51.100.7", agent: "legacy/2.0", errCode: "InvalidClientTokenId"})
	h.heartbeat(day(15)) // the logs reach today; the scan does not
	h.now = day(15)
	out, _, code := h.run("keys", "watch")
	if code != cmdutil.ExitFindings {
		t.Fatalf("watch: exit %d, want %d\n%s", code, cmdutil.ExitFindings, out)
	}
	noLogs := "no logs after " + t0.Add(-5*time.Minute).Format(time.RFC3339)
	mustContain(t, out, legacyKey+": NOT WATCHED, 0 days left", "CloudTrail log coverage since disable: us-east-1: "+noLogs,
		"not collected: no scanned logs since the disable", "not watched: "+noLogs, "3 watched: 0 quiet, 0 noisy, 0 drifted, 3 not watched")
	mustNotContain(t, out, "QUIET")
	out = h.mustRun("keys", "delete", "--apply", "--yes")
	mustContain(t, out, "refused ["+mgmtAcct+"] legacy-app "+legacyKey+": not watched: "+noLogs, "No changes")
	if st := h.keyStatus(mgmtAcct, legacyKey); st != "Inactive" {
		t.Fatalf("an unwatched key was deleted: %s", st)
	}
	// Forced, with a reason that is journaled.
	out = h.mustRun("keys", "delete", reportKey, "--force", "--reason", "owner confirmed the job is gone", "--apply", "--yes")
	mustContain(t, out, `FORCED despite "not watched: `+noLogs, "delete access key "+reportKey)
	es, _ := plan.OpenJournal(filepath.Join(h.ws, "journal.jsonl"), nil).Entries()
	journaled := false
	for _, e := range es {
		journaled = journaled || e.Kind == "keys.force" && e.Target == reportKey && strings.Contains(e.Detail, "owner confirmed")
	}
	if !journaled {
		t.Error("the forced delete's reason is not in the journal")
	}
	// Once scanned, the failed call makes the key noisy.
	h.mustRun("trail", "scan", "--source", "s3://"+trailBucket+"/AWSLogs")
	out, _, _ = h.run("keys", "watch")
	mustContainWords(t, out, legacyKey+": NOISY", "InvalidClientTokenId ×1 from 198.51.100.7")
}

// Without a usage store nothing is watched, and the watch says so first.
func TestKeysWatchWithoutUsageStore(t *testing.T) {
	h := newKeysHarness(t)
	h.mustRun("collect", "--org")
	h.mustRun("keys", "disable", "--days", "30", "--apply", "--yes")
	h.now = day(15)
	out, _, code := h.run("keys", "watch")
	if code != cmdutil.ExitFindings {
		t.Fatalf("watch: exit %d\n%s", code, out)
	}
	// The snapshot and window lines, the summary, then the missing store,
	// before any key.
	if !strings.HasPrefix(out, "snapshot 20261101T120000Z: collected 2026-11-01T12:00:00Z (collect), 2 accounts\n"+
		"usage window: each one since seiri disabled or quarantined it (observation window 14 days)\n\n"+
		"3 watched: 0 quiet, 0 noisy, 0 drifted, 3 not watched.\n\n"+
		"! no usage store: CloudTrail evidence is missing (run seiri trail scan): nothing can be judged quiet") {
		t.Errorf("the snapshot and the missing store are not said first:\n%s", out)
	}
	mustContain(t, out, "CloudTrail events with the key id since disable: not collected: no usage store",
		"owner's Access Advisor since disable: ", "not watched: no usage store")
	mustNotContain(t, out, "QUIET", "no use")
	out = h.mustRun("keys", "delete", "--apply", "--yes")
	mustContain(t, out, "refused ["+mgmtAcct+"] legacy-app "+legacyKey+": not watched: no usage store", "No changes")
}

// A month of simulated days against the fakes: disable; a forgotten job
// fails with the legacy key on day 9 while the daily scan is broken; the
// watch, restore, new evidence, a second disable and the delete. After
// every day, no key used after its disable may have been deleted.
func TestKeysRetirementMonth(t *testing.T) {
	h := newKeysHarness(t)
	h.setup()
	uses := map[string][]time.Time{} // injected uses per key, the truth
	deleted := map[string]bool{}
	disabledAt := func(key string) time.Time {
		es, err := plan.OpenJournal(filepath.Join(h.ws, "journal.jsonl"), nil).Entries()
		if err != nil {
			t.Fatal(err)
		}
		var at time.Time
		for _, e := range es {
			if e.Phase == plan.Done && e.Kind == keys.KindUpdateKey && e.Target == key && strings.Contains(e.Detail, "status Inactive") {
				at = e.Time
			}
		}
		return at
	}
	check := func(d int) {
		t.Helper()
		for _, k := range [][2]string{{mgmtAcct, ciKey}, {mgmtAcct, legacyKey}, {memberAcct, reportKey}} {
			if deleted[k[1]] || h.keyStatus(k[0], k[1]) != "absent" {
				continue
			}
			deleted[k[1]] = true
			since := disabledAt(k[1])
			for _, u := range uses[k[1]] {
				if !u.Before(since) {
					t.Fatalf("day %d: %s was deleted although it was used at %s, after its disable at %s", d, k[1], u, since)
				}
			}
		}
	}
	scanBroken := func(d int) bool { return d >= 8 && d <= 16 }
	var restoredOn, redisabledOn int
	for d := 0; d <= 40; d++ {
		h.now = day(d)
		if d > 0 {
			h.heartbeat(h.now)
		}
		if d == 9 {
			// The forgotten job still holds the legacy key.
			h.writeLogs(event{at: day(9), acct: mgmtAcct, source: "s3.amazonaws.com", name: "ListBuckets", ip: "198.51.100.7", agent: "legacy/2.0", errCode: "InvalidClientTokenId"})
			uses[legacyKey] = append(uses[legacyKey], day(9))
		}
		if d > 0 && !scanBroken(d) {
			h.mustRun("trail", "scan", "--source", "s3://"+trailBucket+"/AWSLogs")
		}
		switch {
		case d == 0:
			out := h.mustRun("keys", "disable", "--days", "30", "--apply", "--yes")
			mustContain(t, out, "done     disable access key "+legacyKey)
		case restoredOn == 0 && d > 0:
			out, _, _ := h.run("keys", "watch")
			if strings.Contains(out, legacyKey+": NOISY") {
				if d != 17 {
					t.Errorf("day %d: the legacy key turned noisy, want day 17 (the first scan after the job failed)\n%s", d, out)
				}
				h.mustRun("keys", "restore", legacyKey, "--apply", "--yes")
				restoredOn = d
			} else if scanBroken(d) && !strings.Contains(out, legacyKey+": NOT WATCHED") {
				t.Errorf("day %d: the scan is broken but the watch says\n%s", d, out)
			}
		case restoredOn > 0 && redisabledOn == 0:
			// The job was moved off the key after the restore; the operator
			// collects and plans the disable every day.
			h.mustRun("collect", "--org")
			out := h.mustRun("keys", "disable", "--days", "7", "--apply", "--yes")
			if h.keyStatus(mgmtAcct, legacyKey) == "Inactive" {
				redisabledOn = d
				if d != restoredOn+7 {
					t.Errorf("day %d: re-disabled %d days after the restore, want 7 (new evidence only)", d, d-restoredOn)
				}
			} else {
				mustContainWords(t, out, "held back ["+mgmtAcct+"] legacy-app "+legacyKey+": restored "+day(restoredOn).Format(time.RFC3339),
					"(watch: noisy; s3:ListAllMyBuckets InvalidClientTokenId ×1 from 198.51.100.7")
			}
		}
		if d > 0 {
			h.mustRun("keys", "delete", "--apply", "--yes")
		}
		check(d)
	}
	if restoredOn == 0 || redisabledOn == 0 {
		t.Fatalf("restored on day %d, disabled again on day %d", restoredOn, redisabledOn)
	}
	for _, k := range []string{ciKey, reportKey, legacyKey} {
		if !deleted[k] {
			t.Errorf("%s not deleted by day 40", k)
		}
	}
	if got := fmt.Sprint(h.keyStatus(mgmtAcct, aliceKey)); got != "Active" {
		t.Errorf("alice's key (used every day) is %s", got)
	}
}

// Days of logs are counted per account and region from the latest of the
// window's start, the first scanned log and the trail's start of logging,
// never from a scan's --since; the plan shows the coverage per account.
func TestKeysPlanCoveragePerAccount(t *testing.T) {
	h := newKeysHarness(t)
	h.setup() // scans --since 120d; the oldest log of the management account is from day -60, of the member from day -1
	plan := func() keys.Result {
		t.Helper()
		out := h.mustRun("keys", "plan", "--days", "90", "-o", "json")
		var res keys.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Candidates) == 0 {
			t.Fatalf("%v\n%s", err, out)
		}
		return res
	}
	days := func(res keys.Result) map[string]string {
		out := map[string]string{}
		for _, c := range res.Candidates {
			out[c.AccessKeyID] = fmt.Sprint(c.Coverage.DaysScanned)
		}
		for _, a := range res.Logs {
			for _, r := range a.Regions {
				out[a.Account+" "+r.Region] = fmt.Sprintf("%d %s", r.Days, r.StartsAt)
			}
		}
		return out
	}
	want := map[string]string{awsfake.AccessKeyID: "60", opOldKey: "60", reportKey: "1",
		mgmtAcct + " us-east-1": "60 first scanned log", memberAcct + " us-east-1": "1 first scanned log"}
	if diff := cmp.Diff(want, days(plan())); diff != "" {
		t.Errorf("coverage (-want +got):\n%s", diff)
	}
	// The table names the coverage per account.
	out := h.mustRun("keys", "plan", "--days", "90")
	mustContain(t, out, "  ["+mgmtAcct+"] 60 of 90 days\n    us-east-1 "+day(-60).Format("2006-01-02")+" → "+t0.Format("2006-01-02")+" (60 days, from the first scanned log)\n",
		"  ["+memberAcct+"] 1 of 90 days\n    us-east-1")

	// A trail whose logging started 10 days ago: its logs cannot cover more.
	started := day(-10)
	h.fake.Update(func(sc *awsfake.Scenario) {
		for ai := range sc.Accounts {
			for ti := range sc.Accounts[ai].Trails {
				sc.Accounts[ai].Trails[ti].StartLoggingTime = &started
			}
		}
	})
	h.mustRun("collect", "--org")
	want[awsfake.AccessKeyID], want[opOldKey] = "10", "10"
	want[mgmtAcct+" us-east-1"] = "10 start of logging"
	if diff := cmp.Diff(want, days(plan())); diff != "" {
		t.Errorf("coverage after the trail's start of logging is known (-want +got):\n%s", diff)
	}
}
