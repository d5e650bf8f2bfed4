package keys_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

const oldSvcKey = "AKIAOLDSVC0000000001"

func (h *keysHarness) user(acct, name string) *snapshot.User {
	var out *snapshot.User
	h.fake.Update(func(sc *awsfake.Scenario) {
		for _, a := range sc.Accounts {
			for _, u := range a.Users {
				if a.AccountID == acct && u.UserName == name {
					c := u
					out = &c
				}
			}
		}
	})
	return out
}

func TestUsersRetireLifecycle(t *testing.T) {
	h := newKeysHarness(t)
	used := day(-200)
	h.fake.Update(func(sc *awsfake.Scenario) {
		a := sc.Accounts[0]
		a.Users = append(a.Users, snapshot.User{ARN: "arn:aws:iam::" + mgmtAcct + ":user/old-svc", UserName: "old-svc", UserID: "AIDAOLDSVC",
			Path: "/", CreateDate: day(-700), Tags: map[string]string{"team": "data"}, Groups: []string{"developers"},
			AttachedPolicies: []snapshot.AttachedPolicy{{PolicyName: "AmazonS3ReadOnlyAccess", PolicyARN: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}},
			InlinePolicies:   []snapshot.InlinePolicy{{PolicyName: "logs", Document: json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:Get*","Resource":"*"}]}`)}},
			LoginProfile:     &snapshot.LoginProfile{CreateDate: day(-700)},
			MFADevices:       []snapshot.MFADevice{{SerialNumber: "arn:aws:iam::" + mgmtAcct + ":mfa/old-svc", EnableDate: day(-690)}},
			AccessKeys: []snapshot.AccessKey{{AccessKeyID: oldSvcKey, Status: "Active", CreateDate: day(-650),
				LastUsed: &snapshot.KeyLastUsed{Date: used, ServiceName: "s3", Region: "us-east-1"}}},
		})
	})
	h.setup()

	out := h.mustRun("users", "retire", "plan", "--days", "90")
	mustContain(t, out, "old-svc", "report-job", "refused: break-glass user breakglass", "refused: this is the user seiri is running as", "excluded: ["+mgmtAcct+"] keeper")
	mustNotContain(t, out, "] alice", "] legacy-app", "] ci-bot")

	out = h.mustRun("users", "retire", "quarantine", "--days", "90", "--apply", "--yes")
	mustContain(t, out, "create policy arn:aws:iam::"+mgmtAcct+":policy/seiri/seiri-deny-all", "attach seiri-deny-all to old-svc")
	u := h.user(mgmtAcct, "old-svc")
	if !slices.ContainsFunc(u.AttachedPolicies, func(p snapshot.AttachedPolicy) bool { return p.PolicyARN == keys.DenyAllARN(mgmtAcct) }) {
		t.Errorf("deny-all not attached: %+v", u.AttachedPolicies)
	}
	if u.AccessKeys[0].Status != "Inactive" || u.LoginProfile == nil || u.Tags[keys.QuarantineKeysTag] != oldSvcKey {
		t.Errorf("quarantine: keys %+v, login profile %v, tags %v", u.AccessKeys, u.LoginProfile, u.Tags)
	}
	if st := h.keyStatus(memberAcct, reportKey); st != "Inactive" {
		t.Errorf("report-job key %s", st)
	}
	// Idempotent.
	writes := func() int {
		n := 0
		for _, op := range []string{"CreatePolicy", "AttachUserPolicy", "UpdateAccessKey"} {
			n += h.fake.Count("", op)
		}
		return n
	}
	before := writes()
	out = h.mustRun("users", "retire", "quarantine", "--days", "90", "--apply", "--yes")
	mustContain(t, out, "Applied 0, skipped 10 (already in effect), failed 0.")
	if n := writes() - before; n != 0 {
		t.Errorf("a second quarantine made %d writes", n)
	}

	// report-job's workload is refused by the deny-all (logged under the user).
	h.writeLogs(event{at: day(2), acct: memberAcct, user: "report-job", key: reportKey, source: "s3.amazonaws.com", name: "ListBuckets",
		ip: "198.51.100.99", agent: "report/1", errCode: "AccessDenied"})
	h.now = day(3)
	h.scanUpTo(h.now)
	out, _, code := h.run("users", "retire", "watch")
	if code != cmdutil.ExitFindings {
		t.Fatalf("watch exit %d\n%s", code, out)
	}
	mustContain(t, out, "report-job: NOISY", "old-svc: QUIET, 11 days left", "s3:ListAllMyBuckets AccessDenied")

	out = h.mustRun("users", "retire", "delete", "--apply", "--yes")
	mustContain(t, out, "refused ["+mgmtAcct+"] old-svc: observation window not over", "refused ["+memberAcct+"] report-job: noisy", "No changes")

	out = h.mustRun("users", "retire", "restore", "report-job", "--apply", "--yes")
	mustContain(t, out, "detach seiri-deny-all from report-job", "reactivate access key "+reportKey)
	if rj := h.user(memberAcct, "report-job"); len(rj.AttachedPolicies) != 0 || rj.AccessKeys[0].Status != "Active" || rj.Tags[keys.QuarantineTag] != "" {
		t.Errorf("restored report-job: %+v", rj)
	}

	h.now = day(15)
	h.scanUpTo(h.now)
	out = h.mustRun("users", "retire", "delete", "--apply", "--yes")
	mustContain(t, out, "delete console password of old-svc", "delete access key "+oldSvcKey, "deactivate MFA device",
		"delete inline policy logs", "detach AmazonS3ReadOnlyAccess", "remove old-svc from group developers", "delete user old-svc")
	if h.user(mgmtAcct, "old-svc") != nil {
		t.Fatal("old-svc still exists")
	}
	backups, _ := filepath.Glob(filepath.Join(h.ws, "backups", "*"+mgmtAcct+"-old-svc*.json"))
	if len(backups) < 2 {
		t.Fatalf("backups: %v", backups)
	}
	last := backups[len(backups)-1]

	h.now = day(16)
	out = h.mustRun("users", "restore-from-backup", last, "--apply", "--yes")
	mustContain(t, out, "create user old-svc", "passwords and access keys are never backed up")
	r := h.user(mgmtAcct, "old-svc")
	if r == nil {
		t.Fatal("not recreated")
	}
	if !slices.Equal(r.Groups, []string{"developers"}) || len(r.AttachedPolicies) != 1 || r.AttachedPolicies[0].PolicyName != "AmazonS3ReadOnlyAccess" ||
		len(r.InlinePolicies) != 1 || r.Tags["team"] != "data" || len(r.Tags) != 1 || r.LoginProfile != nil || len(r.AccessKeys) != 0 {
		t.Errorf("recreated user: %+v", r)
	}
	assertNoSecret(t, h.ws, out)
	_ = time.Second
}

func TestUsersDeleteCrashThenResume(t *testing.T) {
	h := newKeysHarness(t)
	h.fake.Update(func(sc *awsfake.Scenario) {
		a := sc.Accounts[0]
		a.Users = append(a.Users, snapshot.User{ARN: "arn:aws:iam::" + mgmtAcct + ":user/old-svc", UserName: "old-svc", UserID: "AIDAOLDSVC",
			Path: "/", CreateDate: day(-700), Groups: []string{"developers", "readers"},
			AttachedPolicies: []snapshot.AttachedPolicy{{PolicyName: "AmazonS3ReadOnlyAccess", PolicyARN: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}},
			LoginProfile:     &snapshot.LoginProfile{CreateDate: day(-700)}})
	})
	h.setup()
	h.mustRun("users", "retire", "quarantine", "--days", "90", "--apply", "--yes")
	h.now = day(15)
	h.scanUpTo(h.now)
	h.fake.FailAfter(h.fake.Total() + 40)
	if _, _, code := h.run("users", "retire", "delete", "old-svc", "--apply", "--yes"); code == 0 {
		t.Fatal("the delete did not fail")
	}
	h.fake.FailAfter(0)
	if h.user(mgmtAcct, "old-svc") == nil {
		t.Fatal("the injected failure came after the user was deleted; lower the call budget")
	}
	out := h.mustRun("users", "retire", "delete", "old-svc", "--apply", "--yes")
	mustContain(t, out, "(from an earlier run)", "delete user old-svc")
	if h.user(mgmtAcct, "old-svc") != nil {
		t.Fatal("old-svc still exists after the re-run")
	}
	es, err := plan.OpenJournal(filepath.Join(h.ws, "journal.jsonl"), nil).Entries()
	if err != nil {
		t.Fatal(err)
	}
	done := map[string]int{}
	for _, e := range es {
		if e.Phase == plan.Done && e.Target == "arn:aws:iam::"+mgmtAcct+":user/old-svc" {
			done[e.Kind+" "+e.Detail]++
		}
	}
	for k, n := range done {
		if n != 1 {
			t.Errorf("%s done %d times", k, n)
		}
	}
	if done[keys.KindDeleteUser+" user deleted"] != 1 || done[keys.KindRemoveFromGroup+" removed from readers"] != 1 {
		t.Errorf("journal: %v", done)
	}
	backups, _ := filepath.Glob(filepath.Join(h.ws, "backups", "*"+mgmtAcct+"-old-svc*.json"))
	var full string
	for _, b := range backups {
		var ub keys.UserBackup
		if err := plan.ReadBackup(b, &ub); err == nil && ub.Reason == "before deleting the user" {
			if full != "" {
				t.Errorf("two delete backups: %s and %s", full, b)
			}
			full = b
		}
	}
	h.mustRun("users", "restore-from-backup", full, "--apply", "--yes")
	if r := h.user(mgmtAcct, "old-svc"); r == nil || len(r.Groups) != 2 || len(r.AttachedPolicies) != 1 {
		t.Errorf("recreated from the first backup: %+v", r)
	}
}
