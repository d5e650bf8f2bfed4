package keys_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/apply/iamexec"
	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/plan"
)

// doneChanges counts the journal's done lines per (kind, target).
func doneChanges(t *testing.T, ws string) map[string]int {
	t.Helper()
	es, err := plan.OpenJournal(filepath.Join(ws, "journal.jsonl"), nil).Entries()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range es {
		if e.Phase == plan.Done {
			out[e.Kind+" "+e.Target]++
		}
	}
	return out
}

func TestKeysDisableCrashThenResume(t *testing.T) {
	for _, after := range []int{3, 6, 9, 14} {
		t.Run("", func(t *testing.T) {
			h := newKeysHarness(t)
			h.setup()
			h.fake.FailAfter(h.fake.Total() + after)
			_, _, code := h.run("keys", "disable", "--days", "30", "--apply", "--yes")
			if code == 0 {
				t.Fatalf("FailAfter(+%d): the apply did not fail", after)
			}
			h.fake.FailAfter(0)
			// The re-run is a minute later: a new plan id, whose run must
			// take over the crashed run's guards and keep its disable time.
			h.now = t0.Add(time.Minute)
			out := h.mustRun("keys", "disable", "--days", "30", "--apply", "--yes")
			for _, k := range [][2]string{{mgmtAcct, ciKey}, {mgmtAcct, legacyKey}, {memberAcct, reportKey}} {
				if st := h.keyStatus(k[0], k[1]); st != "Inactive" {
					t.Errorf("%s: %s after the re-run, want Inactive\n%s", k[1], st, out)
				}
			}
			done := doneChanges(t, h.ws)
			for _, k := range []string{ciKey, legacyKey, reportKey} {
				if n := done[keys.KindUpdateKey+" "+k]; n != 1 {
					t.Errorf("%s disabled %d times, want exactly once", k, n)
				}
			}
			for _, u := range [][2]string{{mgmtAcct, "ci-bot"}, {mgmtAcct, "legacy-app"}, {memberAcct, "report-job"}} {
				tags := h.userTags(u[0], u[1])
				if v := tags[keys.RetireTag(map[string]string{"ci-bot": ciKey, "legacy-app": legacyKey, "report-job": reportKey}[u[1]])]; !strings.HasPrefix(v, "disabled ") {
					t.Errorf("%s: tags %v", u[1], tags)
				}
				if _, ok := tags[keys.GuardTag]; ok {
					t.Errorf("%s: guard tag left after the re-run", u[1])
				}
			}
		})
	}
}

func TestKeysPartialFailureAcrossAccounts(t *testing.T) {
	h := newKeysHarness(t)
	h.setup()
	h.fake.FailOp(memberAcct, "UpdateAccessKey", awsfake.AccessDenied("iam:UpdateAccessKey"), -1)
	out, _, code := h.run("keys", "disable", "--days", "30", "--apply", "--yes")
	if code != cmdutil.ExitPartial {
		t.Fatalf("exit %d, want %d\n%s", code, cmdutil.ExitPartial, out)
	}
	mustContain(t, out, "failed   disable access key "+reportKey+" of report-job: AccessDenied",
		"failed   tag report-job", iamexec.ErrEarlierFailed.Error(), "done     disable access key "+ciKey)
	if st := h.keyStatus(mgmtAcct, legacyKey); st != "Inactive" {
		t.Errorf("the other account's failure stopped %s: %s", legacyKey, st)
	}
	if _, ok := h.userTags(memberAcct, "report-job")[keys.RetireTag(reportKey)]; ok {
		t.Error("a key that was not disabled was tagged disabled")
	}
}

func TestKeysDrift(t *testing.T) {
	h := newKeysHarness(t)
	h.setup()
	h.mustRun("keys", "disable", "--days", "30", "--apply", "--yes")
	// Someone re-enables the key outside seiri.
	h.fake.Update(func(sc *awsfake.Scenario) {
		for i := range sc.Accounts[0].Users {
			for j := range sc.Accounts[0].Users[i].AccessKeys {
				if sc.Accounts[0].Users[i].AccessKeys[j].AccessKeyID == legacyKey {
					sc.Accounts[0].Users[i].AccessKeys[j].Status = "Active"
				}
			}
		}
	})
	h.now = day(20)
	out, _, code := h.run("keys", "watch")
	if code != cmdutil.ExitFindings {
		t.Fatalf("exit %d, want %d\n%s", code, cmdutil.ExitFindings, out)
	}
	mustContain(t, out, legacyKey+": DRIFTED", "Active again (re-enabled outside seiri)", "stop:")
	out, _, _ = h.run("keys", "delete", legacyKey, "--force", "--reason", "sure", "--apply", "--yes")
	mustContain(t, out, "refused ["+mgmtAcct+"] legacy-app "+legacyKey+": drifted")
	if st := h.keyStatus(mgmtAcct, legacyKey); st != "Active" {
		t.Errorf("drifted key changed: %s", st)
	}
}

func TestKeysForceDeleteIsJournaled(t *testing.T) {
	h := newKeysHarness(t)
	h.setup()
	h.mustRun("keys", "disable", "--days", "30", "--apply", "--yes")
	h.now = day(2)
	if _, errOut, code := h.run("keys", "delete", legacyKey, "--force"); code != cmdutil.ExitUsage || !strings.Contains(errOut, "--reason") {
		t.Errorf("--force without --reason: exit %d %s", code, errOut)
	}
	out := h.mustRun("keys", "delete", legacyKey, "--force", "--reason", "vendor confirmed decommissioned", "--apply", "--yes")
	mustContain(t, out, "FORCED despite", "delete access key "+legacyKey)
	mustNotContain(t, out, "delete access key "+ciKey)
	if st := h.keyStatus(mgmtAcct, legacyKey); st != "absent" {
		t.Errorf("forced delete: key %s", st)
	}
	es, _ := plan.OpenJournal(filepath.Join(h.ws, "journal.jsonl"), nil).Entries()
	found := false
	for _, e := range es {
		if e.Kind == "keys.force" && e.Target == legacyKey && strings.Contains(e.Detail, "vendor confirmed") {
			found = true
		}
	}
	if !found {
		t.Error("the forced delete's reason is not in the journal")
	}
}

func TestKeysTwoOperators(t *testing.T) {
	h := newKeysHarness(t)
	h.setup()
	// Another run on this machine holds the workspace lock.
	lock, err := plan.Acquire(filepath.Join(h.ws, "lock"), "other operator")
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := h.run("keys", "disable", "--days", "30", "--apply", "--yes")
	lock.Release()
	if code == 0 || !strings.Contains(errOut, "locked") {
		t.Fatalf("disable under another run's lock: exit %d\n%s%s", code, out, errOut)
	}
	if st := h.keyStatus(mgmtAcct, ciKey); st != "Active" {
		t.Fatalf("a locked run changed a key: %s", st)
	}
	// Another operator on another machine is changing legacy-app right now.
	h.fake.Update(func(sc *awsfake.Scenario) {
		for i := range sc.Accounts[0].Users {
			if sc.Accounts[0].Users[i].UserName == "legacy-app" {
				sc.Accounts[0].Users[i].Tags = map[string]string{keys.GuardTag: keys.GuardValue("keys.disable-other", t0.Add(-10*60e9), "arn:aws:iam::111111110000:user/bob")}
			}
		}
	})
	out, _, code = h.run("keys", "disable", "--days", "30", "--apply", "--yes")
	if code != cmdutil.ExitPartial {
		t.Fatalf("exit %d, want %d\n%s", code, cmdutil.ExitPartial, out)
	}
	mustContain(t, out, "failed   disable access key "+legacyKey, "another seiri run is changing this user", "done     disable access key "+ciKey)
	if st := h.keyStatus(mgmtAcct, legacyKey); st != "Active" {
		t.Errorf("a guarded user's key changed: %s", st)
	}
	// The other operator's guard expires: a later run takes over.
	h.now = t0.Add(2 * keys.GuardTTL)
	h.mustRun("keys", "disable", "--days", "30", "--apply", "--yes")
	if st := h.keyStatus(mgmtAcct, legacyKey); st != "Inactive" {
		t.Errorf("after the guard expired: %s", st)
	}
}

func TestKeysInteractiveConfirm(t *testing.T) {
	h := newKeysHarness(t)
	h.setup()
	h.terminal = true
	for _, tc := range []struct {
		answer string
		want   string
	}{{"n\n", "Inactive?no"}, {"\n", "Inactive?no"}, {"yes\n", "Inactive?yes"}} {
		h.stdin = tc.answer
		out, errOut, code := h.run("keys", "disable", "--days", "30", "--apply")
		if code != 0 {
			t.Fatalf("answer %q: exit %d\n%s%s", tc.answer, code, out, errOut)
		}
		if !strings.Contains(errOut, "Apply these 6 changes? [y/N]") {
			t.Errorf("no question asked: %s", errOut)
		}
		got := "Inactive?no"
		if h.keyStatus(mgmtAcct, ciKey) == "Inactive" {
			got = "Inactive?yes"
		}
		if got != tc.want {
			t.Errorf("answer %q: %s, want %s\n%s", tc.answer, got, tc.want, out)
		}
	}
}

// An emergency restore from a workspace whose snapshot predates the
// disable (and whose journal never saw it) reads the live owner's tag and
// works.
func TestKeysRestoreFromOlderWorkspace(t *testing.T) {
	h := newKeysHarness(t)
	h.setup()
	old := h.ws + "-before-disable"
	if err := os.CopyFS(old, os.DirFS(h.ws)); err != nil {
		t.Fatal(err)
	}
	h.mustRun("keys", "disable", "--days", "30", "--apply", "--yes")
	if st := h.keyStatus(mgmtAcct, legacyKey); st != "Inactive" {
		t.Fatalf("legacy key %s after disable", st)
	}
	h.ws = old
	out := h.mustRun("keys", "restore", legacyKey, "--apply", "--yes")
	mustContain(t, out, "reactivate access key "+legacyKey)
	if st := h.keyStatus(mgmtAcct, legacyKey); st != "Active" {
		t.Errorf("legacy key %s after restore from the older workspace\n%s", st, out)
	}
	if _, ok := h.userTags(mgmtAcct, "legacy-app")[keys.RetireTag(legacyKey)]; ok {
		t.Errorf("retire tag left after the restore")
	}
	// A key seiri never disabled is still refused, naming the tag.
	_, errOut, code := h.run("keys", "restore", aliceKey)
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "is not a key seiri disabled (no "+keys.RetireTag(aliceKey)+" tag on its user)") {
		t.Errorf("restore of alice's key: %d %s", code, errOut)
	}
}

// A keys or users plan, applied and re-collected, gives an empty plan (the
// same property the groups and org planners have).
func TestKeysAndUsersPlansConverge(t *testing.T) {
	h := newKeysHarness(t)
	h.setup()
	changes := func(args ...string) int {
		t.Helper()
		out := h.mustRun(append(args, "--output", "json")...)
		var p struct {
			Changes []json.RawMessage `json:"changes"`
		}
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return len(p.Changes)
	}
	empty := func(args ...string) {
		t.Helper()
		if n := changes(args...); n != 0 {
			t.Errorf("%v after apply and collect: %d changes", args, n)
		}
	}
	if n := changes("keys", "disable", "--days", "30", "--include-never-used"); n == 0 {
		t.Fatal("no keys to disable: the test proves nothing")
	}
	h.mustRun("keys", "disable", "--days", "30", "--include-never-used", "--apply", "--yes")
	h.now = h.now.Add(time.Minute)
	h.mustRun("collect", "--org")
	empty("keys", "disable", "--days", "30", "--include-never-used")

	if n := changes("users", "retire", "quarantine", "--days", "30"); n == 0 {
		t.Fatal("no users to quarantine: the test proves nothing")
	}
	h.mustRun("users", "retire", "quarantine", "--days", "30", "--apply", "--yes")
	h.now = h.now.Add(time.Minute)
	h.mustRun("collect", "--org")
	empty("users", "retire", "quarantine", "--days", "30")
	empty("keys", "disable", "--days", "30", "--include-never-used")
}

// --log-level debug logs the AWS calls (service, operation, account,
// duration, retries), the decisions (why a key is or is not a candidate,
// each watch verdict) and the files used, on stderr only: the JSON on
// stdout stays machine-readable. Without it, stderr stays quiet.
func TestKeysDebugLog(t *testing.T) {
	h := newKeysHarness(t)
	h.setup()
	out, errOut, code := h.run("keys", "plan", "--days", "30", "-o", "json", "--log-level", "debug")
	if code != 0 || !json.Valid([]byte(out)) {
		t.Fatalf("keys plan: %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		`level=DEBUG msg="snapshot loaded" dir=`,
		`level=DEBUG msg="usage store opened" path=`,
		`level=DEBUG msg="journal read" path=`,
		`level=DEBUG msg="key decision" candidate=false account=` + mgmtAcct + ` user=alice key=` + aliceKey + ` why="used `,
		`level=DEBUG msg="key decision" candidate=false account=` + mgmtAcct + ` user=keeper key=` + keeperKey + ` why="excluded: `,
		`level=DEBUG msg="key decision" candidate=true account=` + mgmtAcct + ` user=ci-bot key=` + ciKey + ` why="no use by any source since `,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("debug log lacks %q:\n%s", want, errOut)
		}
	}
	h.mustRun("keys", "disable", "--days", "30", "--apply", "--yes")
	out, errOut, code = h.run("keys", "watch", "-o", "json", "--log-level", "debug")
	if !json.Valid([]byte(out)) || code == cmdutil.ExitInternal {
		t.Fatalf("keys watch: %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		`level=DEBUG msg="aws call" service=IAM operation=ListAccessKeys account=` + mgmtAcct + ` duration=`,
		` attempts=1 retries=0`,
		`level=DEBUG msg="watch verdict" account=` + mgmtAcct + ` user=ci-bot key=` + ciKey + ` verdict=`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("debug log lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, awsfake.SecretAccessKey) {
		t.Error("the debug log holds the secret access key")
	}
	if _, errOut, _ := h.run("keys", "watch", "-o", "json"); strings.Contains(errOut, "level=DEBUG") {
		t.Errorf("debug lines without --log-level debug:\n%s", errOut)
	}
}
