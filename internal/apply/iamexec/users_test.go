package iamexec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

const (
	oldKey   = "AKIALEGACY0000000001"
	spareKey = "AKIALEGACY0000000002"
	operator = "arn:aws:iam::111111110000:user/seiri-operator"
)

// env is the IAM fake with two accounts; the member account has the user
// legacy-app with two access keys, a group, an inline policy and an MFA
// device.
type env struct {
	t       *testing.T
	fake    *awsfake.Server
	sess    *awsclient.Session
	journal *plan.Journal
	dir     string
	member  string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	for _, k := range []string{"AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	sc := awsfake.SampleScenario(t0, 2, 0)
	member := sc.Accounts[1].AccountID
	sc.Accounts[1].Groups = append(sc.Accounts[1].Groups, snapshot.Group{GroupName: "deployers", ARN: "arn:aws:iam::" + member + ":group/deployers", Path: "/", CreateDate: t0.AddDate(-1, 0, 0)})
	sc.Accounts[1].Policies = append(sc.Accounts[1].Policies, snapshot.ManagedPolicy{ARN: "arn:aws:iam::" + member + ":policy/payments-read",
		PolicyName: "payments-read", Path: "/", DefaultVersionID: "v1", IsAttachable: true})
	sc.Accounts[1].Users = []snapshot.User{{
		ARN: "arn:aws:iam::" + member + ":user/legacy-app", UserName: "legacy-app", UserID: "AIDALEGACY", Path: "/apps/", CreateDate: t0.AddDate(-2, 0, 0),
		Tags:       map[string]string{"team": "payments"},
		AccessKeys: []snapshot.AccessKey{{AccessKeyID: oldKey, Status: "Active", CreateDate: t0.AddDate(-1, 0, 0)}, {AccessKeyID: spareKey, Status: "Inactive", CreateDate: t0.AddDate(0, -1, 0)}},
		Groups:     []string{"deployers"},
		InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "read-bucket",
			Document: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::payments/*"}]}`)}},
		MFADevices: []snapshot.MFADevice{{SerialNumber: "arn:aws:iam::" + member + ":mfa/legacy-app", EnableDate: t0.AddDate(-1, 0, 0)}},
	}}
	fake := awsfake.New(sc)
	t.Cleanup(fake.Close)
	sess, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: fake.URL, Credentials: fake.Credentials(),
		Region: "us-east-1", RetryMode: aws.RetryModeStandard, MaxBackoff: time.Millisecond, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	return &env{t: t, fake: fake, sess: sess, dir: dir, member: member,
		journal: plan.OpenJournal(filepath.Join(dir, "journal.jsonl"), func() time.Time { return t0 })}
}

func (e *env) clients(ctx context.Context, account string) (IAM, error) {
	c, err := e.sess.ForAccount(ctx, account)
	if err != nil {
		return nil, err
	}
	return c.IAM, nil
}

func (e *env) executor(p *plan.Plan) *Executor {
	return &Executor{Clients: e.clients, PlanID: p.ID, Operator: operator, Now: func() time.Time { return t0 }, BackupDir: filepath.Join(e.dir, "backups")}
}

func (e *env) state() *keys.UserState {
	e.t.Helper()
	cl, _ := e.clients(context.Background(), e.member)
	st, err := ReadUserState(context.Background(), cl, e.member, "legacy-app")
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func (e *env) apply(p *plan.Plan) *plan.Result {
	e.t.Helper()
	ex := e.executor(p)
	res, err := plan.Apply(context.Background(), p, e.journal, ex, plan.Options{Operator: operator, ContinueOnError: true})
	if err != nil {
		e.t.Fatalf("apply %s: %v", p.Kind, err)
	}
	if err := ex.Release(context.Background(), p); err != nil {
		e.t.Fatalf("release: %v", err)
	}
	if res.Failed > 0 {
		e.t.Fatalf("apply %s: %v", p.Kind, res.Errors)
	}
	return res
}

func (e *env) writes() int {
	n := 0
	for _, op := range []string{"UpdateAccessKey", "DeleteAccessKey", "TagUser", "UntagUser", "CreatePolicy", "AttachUserPolicy", "DetachUserPolicy",
		"PutUserPolicy", "DeleteUserPolicy", "AddUserToGroup", "RemoveUserFromGroup", "DeleteLoginProfile", "DeactivateMFADevice", "DeleteUser", "CreateUser"} {
		n += e.fake.Count("", op)
	}
	return n
}

func (e *env) disablePlan() *plan.Plan {
	p, refused := keys.DisablePlan([]keys.Candidate{{Account: e.member, User: "legacy-app", UserARN: "arn:aws:iam::" + e.member + ":user/legacy-app", AccessKeyID: oldKey}},
		"base", operator, t0)
	if len(refused) > 0 || len(p.Changes) != 2 {
		e.t.Fatalf("disable plan: %v %v", p.Changes, refused)
	}
	return p
}

// The key executor disables a key, records it on the owner, backs the owner
// up first (never a secret), releases its guard, and a re-run changes
// nothing.
func TestKeyExecutorDisableRestore(t *testing.T) {
	e := newEnv(t)
	p := e.disablePlan()
	res := e.apply(p)
	if res.Applied != 2 {
		t.Fatalf("apply: %+v", res)
	}
	st := e.state()
	got := map[string]string{}
	for _, k := range st.AccessKeys {
		got[k.AccessKeyID] = k.Status
	}
	if diff := cmp.Diff(map[string]string{oldKey: "Inactive", spareKey: "Inactive"}, got); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	tag := st.Tags[keys.RetireTag(oldKey)]
	if s, at, by, err := keys.ParseRetire(tag); err != nil || s != keys.Disabled || !at.Equal(t0) || by != operator {
		t.Errorf("retire tag %q: %v %v %v %v", tag, s, at, by, err)
	}
	if _, held := st.Tags[keys.GuardTag]; held {
		t.Errorf("guard tag left: %v", st.Tags)
	}
	backups, _ := filepath.Glob(filepath.Join(e.dir, "backups", "*legacy-app.json"))
	var b keys.UserBackup
	if len(backups) != 1 || plan.ReadBackup(backups[0], &b) != nil || b.User.UserName != "legacy-app" || len(b.LiveKeys) != 2 || b.LiveTags["team"] != "payments" {
		t.Fatalf("backup %v: %+v", backups, b)
	}
	raw, _ := os.ReadFile(backups[0])
	if strings.Contains(string(raw), awsfake.SecretAccessKey) {
		t.Errorf("backup holds a secret")
	}
	writes := e.writes()
	if res := e.apply(p); res.Skipped != 2 || e.writes() != writes {
		t.Errorf("re-run: %+v, %d writes", res, e.writes()-writes)
	}
	// Restore: the key active again, the tag gone.
	tr := keys.Tracked{Account: e.member, User: "legacy-app", UserARN: "arn:aws:iam::" + e.member + ":user/legacy-app", AccessKeyID: oldKey, Since: t0}
	e.apply(keys.RestorePlan(tr, "base", t0.Add(time.Hour)))
	st = e.state()
	if _, tagged := st.Tags[keys.RetireTag(oldKey)]; tagged || st.AccessKeys[0].Status != "Active" {
		t.Errorf("after restore: %+v %v", st.AccessKeys, st.Tags)
	}
}

// Another seiri run's guard tag on the user stops the change; an earlier
// change of the same key failing stops the later ones.
func TestKeyExecutorGuardAndEarlierFailure(t *testing.T) {
	e := newEnv(t)
	cl, _ := e.clients(context.Background(), e.member)
	p := e.disablePlan()
	other := keys.GuardValue("keys.disable-otherplan", t0.Add(-time.Minute), "arn:aws:iam::111111110000:user/colleague")
	if _, err := cl.TagUser(context.Background(), tagInput("legacy-app", keys.GuardTag, other)); err != nil {
		t.Fatal(err)
	}
	res, err := plan.Apply(context.Background(), p, e.journal, e.executor(p), plan.Options{ContinueOnError: true})
	if err != nil || res.Failed != 2 || res.Applied != 0 {
		t.Fatalf("guarded: %+v %v", res, err)
	}
	if !strings.Contains(res.Errors[0].Error(), ErrUserGuarded.Error()) || !strings.Contains(res.Errors[1].Error(), ErrEarlierFailed.Error()) {
		t.Errorf("errors: %v", res.Errors)
	}
	if e.fake.Count("", "UpdateAccessKey") != 0 {
		t.Errorf("the guarded key was changed")
	}
}

// The resume path of the key executor: a crash after the journal's begin
// line of each change (the call made, its done line not written); the next
// run makes no second call and completes the plan.
func TestKeyExecutorResume(t *testing.T) {
	for i, op := range []string{"UpdateAccessKey", "TagUser"} {
		t.Run(op, func(t *testing.T) {
			e := newEnv(t)
			p := e.disablePlan()
			crashAfterBegin(t, e, p, i)
			calls := e.fake.Count("", op)
			res, err := plan.Apply(context.Background(), p, e.journal, e.executor(p), plan.Options{ContinueOnError: true})
			if err != nil || res.Failed != 0 || res.Skipped != i+1 {
				t.Fatalf("resume: %+v %v", res, err)
			}
			if op == "UpdateAccessKey" && e.fake.Count("", op) != calls {
				t.Errorf("resume called %s again", op)
			}
			if st := e.state(); st.AccessKeys[0].Status != "Inactive" || st.Tags[keys.RetireTag(oldKey)] == "" {
				t.Errorf("after resume: %+v %v", st.AccessKeys, st.Tags)
			}
		})
	}
}

// crashAfterBegin plays a run that died after change i's AWS call: changes
// before i journaled done, change i journaled begin only.
func crashAfterBegin(t *testing.T, e *env, p *plan.Plan, i int) {
	t.Helper()
	ex := e.executor(p)
	for _, c := range p.Changes[:i+1] {
		if err := e.journal.Append(plan.Entry{Plan: p.ID, Change: c.ID, Phase: plan.Begin}); err != nil {
			t.Fatal(err)
		}
		if _, err := ex.Apply(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		if c.ID != p.Changes[i].ID {
			if err := e.journal.Append(plan.Entry{Plan: p.ID, Change: c.ID, Phase: plan.Done}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func quarantineCandidate(e *env) keys.UserCandidate {
	return keys.UserCandidate{Account: e.member, User: "legacy-app", UserARN: "arn:aws:iam::" + e.member + ":user/legacy-app", ActiveKeys: []string{oldKey}}
}

// The user executor: quarantine (deny-all, keys off, tags), delete with
// everything IAM requires removed first, and recreate from the backup.
func TestUserExecutorQuarantineDeleteRecreate(t *testing.T) {
	e := newEnv(t)
	q, refused := keys.QuarantinePlan([]keys.UserCandidate{quarantineCandidate(e)}, "base", operator, t0)
	if len(refused) > 0 {
		t.Fatal(refused)
	}
	e.apply(q)
	st := e.state()
	qu, err := st.Quarantine()
	if err != nil || qu == nil || !qu.DenyHeld || !slicesEqual(qu.Keys, []string{oldKey}) || st.AccessKeys[0].Status != "Inactive" {
		t.Fatalf("quarantined: %+v %v (%+v)", qu, err, st.AccessKeys)
	}
	writes := e.writes()
	if res := e.apply(q); res.Applied != 0 || e.writes() != writes {
		t.Errorf("quarantine re-run: %+v, %d writes", res, e.writes()-writes)
	}

	del := keys.UserDeletePlan(e.state(), t0.Add(24*time.Hour), nil)
	var kinds []string
	for _, c := range del.Changes {
		kinds = append(kinds, c.Kind)
	}
	want := []string{keys.KindDeleteKey, keys.KindDeleteKey, keys.KindDeactivateMFA, keys.KindDeleteUserPolicy, keys.KindDetachUserPolicy, keys.KindRemoveFromGroup, keys.KindDeleteUser}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Fatalf("delete plan (-want +got):\n%s", diff)
	}
	b := keys.UserBackup{Kind: "iam-user", Account: e.member, TakenAt: t0, User: e.state().User}
	e.apply(del)
	cl, _ := e.clients(context.Background(), e.member)
	if _, err := ReadUserState(context.Background(), cl, e.member, "legacy-app"); !isNoSuchEntity(err) {
		t.Fatalf("user not deleted: %v", err)
	}
	rp, err := keys.RecreatePlan(&b, t0.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	e.apply(rp)
	u := e.state().User
	if u.Path != "/apps/" || u.Tags["team"] != "payments" || !slicesEqual(u.Groups, []string{"deployers"}) || len(u.InlinePolicies) != 1 || len(u.AttachedPolicies) != 0 {
		t.Errorf("recreated: %+v", u)
	}
	for k := range u.Tags {
		if strings.HasPrefix(k, "seiri:") {
			t.Errorf("recreated with seiri's tag %s", k)
		}
	}
}

// The resume path of every change of a quarantine plan.
func TestUserExecutorResume(t *testing.T) {
	e0 := newEnv(t)
	q0, _ := keys.QuarantinePlan([]keys.UserCandidate{quarantineCandidate(e0)}, "base", operator, t0)
	for i := range q0.Changes {
		c := q0.Changes[i]
		t.Run(c.Kind+"-"+c.ID, func(t *testing.T) {
			e := newEnv(t)
			q, _ := keys.QuarantinePlan([]keys.UserCandidate{quarantineCandidate(e)}, "base", operator, t0)
			crashAfterBegin(t, e, q, i)
			writes := e.writes()
			ex := e.executor(q)
			res, err := plan.Apply(context.Background(), q, e.journal, ex, plan.Options{ContinueOnError: true})
			if err != nil || res.Failed != 0 || res.Skipped != i+1 || res.Applied != len(q.Changes)-i-1 {
				t.Fatalf("resume: %+v %v", res, err)
			}
			// The guard tag of the crashed run (same plan) is taken over,
			// and released at the end.
			if err := ex.Release(context.Background(), q); err != nil {
				t.Fatal(err)
			}
			// Every remaining change costs one write; the resumed one none
			// (the guard tag adds one TagUser and one UntagUser at most).
			if n := e.writes() - writes; n > len(q.Changes)-i-1+2 {
				t.Errorf("resume made %d writes for %d remaining changes", n, len(q.Changes)-i-1)
			}
			st := e.state()
			if qu, _ := st.Quarantine(); qu == nil || !qu.DenyHeld || st.Tags[keys.GuardTag] != "" {
				t.Errorf("after resume: %+v %v", qu, st.Tags)
			}
		})
	}
}

func slicesEqual(a, b []string) bool { return cmp.Diff(a, b) == "" }

func tagInput(user, key, value string) *iam.TagUserInput {
	return &iam.TagUserInput{UserName: aws.String(user), Tags: []types.Tag{{Key: aws.String(key), Value: aws.String(value)}}}
}

// A change whose Before no longer holds is refused: a disabled key that
// someone re-enabled is not deleted; a user deleted and created again under
// the same name is not deleted.
func TestExecutorRefusesDrift(t *testing.T) {
	e := newEnv(t)
	e.apply(e.disablePlan())
	cl, _ := e.clients(context.Background(), e.member)
	if _, err := cl.UpdateAccessKey(context.Background(), &iam.UpdateAccessKeyInput{UserName: aws.String("legacy-app"), AccessKeyId: aws.String(oldKey), Status: types.StatusTypeActive}); err != nil {
		t.Fatal(err)
	}
	tr := keys.Tracked{Account: e.member, User: "legacy-app", UserARN: "arn:aws:iam::" + e.member + ":user/legacy-app", AccessKeyID: oldKey, Since: t0, State: keys.Disabled}
	del, _ := keys.DeletePlan([]keys.WatchResult{{Key: tr, Verdict: keys.Quiet}}, "base", t0.AddDate(0, 1, 0), nil)
	if len(del.Changes) != 2 {
		t.Fatalf("delete plan: %v", del.Changes)
	}
	res, err := plan.Apply(context.Background(), del, e.journal, e.executor(del), plan.Options{ContinueOnError: true})
	if err != nil || res.Failed != 2 || !strings.Contains(res.Errors[0].Error(), "refused: changed since the plan was made: access key "+oldKey+" of legacy-app is Active, the plan expects Inactive") {
		t.Fatalf("re-enabled key: %+v %v", res, err)
	}
	if e.fake.Count("", "DeleteAccessKey") != 0 {
		t.Errorf("the re-enabled key was deleted")
	}

	st := e.state()
	up := keys.UserDeletePlan(st, t0, nil)
	// The user is deleted and created again by someone else.
	e.apply(keys.UserDeletePlan(st, t0.Add(time.Minute), nil))
	if _, err := cl.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("legacy-app")}); err != nil {
		t.Fatal(err)
	}
	last := up.Changes[len(up.Changes)-1]
	in, err := e.executor(up).InEffect(context.Background(), last)
	if in || err == nil || !strings.Contains(err.Error(), "user legacy-app has id") || !errors.Is(err, ErrDrift) {
		t.Errorf("recreated user: %v %v", in, err)
	}
}

func untagInput(user, key string) *iam.UntagUserInput {
	return &iam.UntagUserInput{UserName: aws.String(user), TagKeys: []string{key}}
}

// The user delete plan records what it expects (Before) for the password,
// the MFA device and the inline policy; each one changed since the plan is
// refused as drift, nothing of it is deleted, and the user's later changes
// are not attempted.
func TestExecutorRefusesUserDrift(t *testing.T) {
	later := t0.Add(time.Hour)
	for _, tc := range []struct {
		name, op, want string
		drift          func(e *env)
	}{
		{"password", "DeleteLoginProfile", "the console password of legacy-app was set " + later.Format(time.RFC3339) + ", the plan expects the one set " + t0.AddDate(-1, 0, 0).Format(time.RFC3339),
			func(e *env) {
				e.fake.Update(func(sc *awsfake.Scenario) { sc.Accounts[1].Users[0].LoginProfile.CreateDate = later })
			}},
		{"mfa", "DeactivateMFADevice", "mfa/legacy-app of legacy-app was enabled " + later.Format(time.RFC3339) + ", the plan expects " + t0.AddDate(-1, 0, 0).Format(time.RFC3339),
			func(e *env) {
				e.fake.Update(func(sc *awsfake.Scenario) { sc.Accounts[1].Users[0].MFADevices[0].EnableDate = later })
			}},
		{"inline", "DeleteUserPolicy", "inline policy read-bucket of legacy-app was rewritten since the plan",
			func(e *env) {
				cl, _ := e.clients(context.Background(), e.member)
				if _, err := cl.PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String("legacy-app"), PolicyName: aws.String("read-bucket"),
					PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}); err != nil {
					t.Fatal(err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.fake.Update(func(sc *awsfake.Scenario) {
				sc.Accounts[1].Users[0].LoginProfile = &snapshot.LoginProfile{CreateDate: t0.AddDate(-1, 0, 0)}
			})
			del := keys.UserDeletePlan(e.state(), t0, nil)
			tc.drift(e)
			res, err := plan.Apply(context.Background(), del, e.journal, e.executor(del), plan.Options{ContinueOnError: true})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(res.Errors, func(err plan.ChangeError) bool {
				return strings.Contains(err.Error(), ErrDrift.Error()+": ") && strings.Contains(err.Error(), tc.want)
			}) {
				t.Errorf("no drift refusal %q in %v", tc.want, res.Errors)
			}
			for _, op := range []string{tc.op, "DeleteUser"} {
				if n := e.fake.Count("", op); n != 0 {
					t.Errorf("%s called %d times despite the drift", op, n)
				}
			}
		})
	}
}
