package orgexec

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/collect"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// applyEnv is the demo organization served by the Organizations fake.
type applyEnv struct {
	t       *testing.T
	fake    *awsfake.Server
	sess    *awsclient.Session
	journal *plan.Journal
	sleeps  int
	// lastSpec and lastFiles are the spec of the last plan.
	lastSpec  *org.Spec
	lastFiles map[string][]byte
}

func newApplyEnv(t *testing.T) *applyEnv {
	t.Helper()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	d := demo.Generate(now, 1)
	fake := awsfake.New(awsfake.Scenario{Organization: d.Organization}, awsfake.Options{PageSize: 5})
	t.Cleanup(fake.Close)
	fake.CreateAccountPolls(2)
	sess, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: fake.URL, Credentials: fake.Credentials(),
		Region: "us-east-1", RetryMode: aws.RetryModeStandard, MaxBackoff: time.Millisecond, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return &applyEnv{t: t, fake: fake, sess: sess, journal: plan.OpenJournal(filepath.Join(t.TempDir(), "journal.jsonl"), func() time.Time { return now })}
}

func (e *applyEnv) live() *snapshot.Organization {
	e.t.Helper()
	o, _, err := collect.ReadOrganization(context.Background(), e.sess.Base())
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *applyEnv) plan(sp *org.Spec, files map[string][]byte) *org.Plan {
	e.t.Helper()
	e.lastSpec, e.lastFiles = sp, files
	d := writeSpec(e.t, string(org.Marshal(sp, org.Comments{})), files)
	p, err := org.NewPlan(d, compile(e.t, d), e.live(), now)
	if err != nil {
		e.t.Fatal(err)
	}
	// Saved and read back, as `org plan --out` and `org apply` do.
	b, err := json.Marshal(p)
	if err != nil {
		e.t.Fatal(err)
	}
	var back org.Plan
	if err := json.Unmarshal(b, &back); err != nil {
		e.t.Fatal(err)
	}
	return &back
}

func (e *applyEnv) executor(live *snapshot.Organization) *Executor {
	return &Executor{API: e.sess.Base().Organizations, Live: live, Backoff: time.Millisecond, PollEvery: time.Millisecond,
		Sleep: func(ctx context.Context, d time.Duration) error { e.sleeps++; return nil }}
}

func (e *applyEnv) apply(p *org.Plan) (*plan.Result, *Executor, error) {
	e.t.Helper()
	live := e.live()
	if fp := org.Fingerprint(live); fp != p.BaseFingerprint {
		e.t.Fatalf("plan is stale before apply")
	}
	gp, err := org.ToPlan(p)
	if err != nil {
		e.t.Fatal(err)
	}
	ex := e.executor(live)
	res, err := plan.Apply(context.Background(), gp, e.journal, ex, plan.Options{Operator: "test"})
	return res, ex, err
}

// edit is the spec change of the end-to-end test: a new Sandbox/Experiments
// org.OU with a new account, a region-restriction SCP on Workloads/SDLC, and
// the tag policy removed.
func edit(t *testing.T, sp *org.Spec) {
	t.Helper()
	sp.Policies = append(sp.Policies, org.Policy{Name: "regions", Library: "allowed-regions", Params: map[string]any{"regions": []any{"eu-west-1"}}})
	var visit func(ous []org.OU, path string) bool
	found := 0
	visit = func(ous []org.OU, path string) bool {
		for i := range ous {
			p := ous[i].Name
			if path != "" {
				p = path + "/" + p
			}
			switch p {
			case "Sandbox":
				ous[i].OUs = append(ous[i].OUs, org.OU{Name: "Experiments", Accounts: []org.Account{{Name: "exp-1", Email: "exp-1@example.com", Tags: map[string]string{"owner": "lab"}}}})
				found++
			case "Workloads/SDLC":
				ous[i].Policies = append(append([]string{}, ous[i].Policies...), "regions")
				if len(ous[i].Policies) == 1 {
					ous[i].Policies = []string{org.FullAWSAccess, "regions"}
				}
				found++
			}
			visit(ous[i].OUs, p)
		}
		return true
	}
	visit(sp.Root.OUs, "")
	if found != 2 {
		t.Fatalf("demo OUs not found (%d)", found)
	}
}

func describe(cs []org.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Describe())
	}
	return out
}

// init → plan → apply → plan (empty) → edit → plan with replay impact →
// apply → plan (empty), against the Organizations fake.
func TestApplyEndToEnd(t *testing.T) {
	e := newApplyEnv(t)
	sp, files, _, err := org.Import(e.live())
	if err != nil {
		t.Fatal(err)
	}
	if p := e.plan(sp, files); len(p.Changes) != 0 {
		t.Fatalf("import: plan not empty: %v", describe(p.Changes))
	}
	edit(t, sp)
	p := e.plan(sp, files)
	want := []string{
		"create OU Sandbox/Experiments",
		`create SCP "regions"`,
		`attach SCP "regions" to OU Workloads/SDLC`,
		`create account "exp-1" <exp-1@example.com> in OU Sandbox/Experiments`,
	}
	got := describe(p.Changes)
	for i := range got {
		got[i], _, _ = strings.Cut(got[i], " (")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("plan (-want +got):\n%s", diff)
	}

	// Impact: a workload in SDLC that calls outside eu-west-1 is newly
	// denied; a global service (IAM) and the same call in eu-west-1 are not.
	base, _ := org.FromSnapshot(e.live())
	var sdlc string
	for id, a := range base.Accounts {
		if a.Parent == "Workloads/SDLC" {
			sdlc = id
			break
		}
	}
	ci := "arn:aws:iam::" + sdlc + ":role/ci-deployer"
	row := func(action, region string, n int64) usage.Row {
		return usage.Row{Key: usage.Key{Account: sdlc, Principal: ci, PrincipalType: "AssumedRole", Action: action, Region: region}, Count: n, Authz: true}
	}
	rows := []usage.Row{row("ec2:RunInstances", "eu-west-3", 412), row("ec2:RunInstances", "eu-west-1", 50), row("iam:GetRole", "us-east-1", 9),
		{Key: usage.Key{Account: sdlc, Principal: "arn:aws:iam::" + sdlc + ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
			PrincipalType: "AssumedRole", Action: "ec2:RunInstances", Region: "eu-west-3"}, Count: 30, Authz: true}}
	im, err := org.ReplayPlan(base, p.Changes, rows, org.ReplayOptions{OrgID: e.live().ID, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(im.Summary(), "would newly deny 412 calls by 1 principal(s) in 1 account(s) (top: ci-deployer ec2:RunInstances in eu-west-3 ×412)") {
		t.Errorf("impact: %s\n%+v", im.Summary(), im.Denied)
	}

	res, _, err := e.apply(p)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if res.Applied != len(p.Changes) || e.sleeps < 2 {
		t.Errorf("apply: %+v, %d sleeps (want CreateAccount polled)", res, e.sleeps)
	}
	// The new account sits in its org.OU, tagged.
	live := e.live()
	st, _ := org.FromSnapshot(live)
	a := accountByEmail(st, "exp-1@example.com")
	if a == nil || a.Parent != "Sandbox/Experiments" {
		t.Fatalf("created account: %+v", a)
	}
	for _, x := range live.Accounts {
		if x.ID == a.ID && x.Tags["owner"] != "lab" {
			t.Errorf("tags: %v", x.Tags)
		}
	}
	if p2 := e.plan(sp, files); len(p2.Changes) != 0 {
		t.Fatalf("plan after apply is not empty: %v", describe(p2.Changes))
	}
	// Applying the same plan again changes nothing (journal says done).
	gp, _ := org.ToPlan(p)
	calls := e.fake.Total()
	res, err = plan.Apply(context.Background(), gp, e.journal, e.executor(live), plan.Options{})
	if err != nil || res.Applied != 0 || res.Skipped != len(p.Changes) {
		t.Errorf("second apply: %+v %v", res, err)
	}
	if e.fake.Total() != calls {
		t.Errorf("second apply made %d calls", e.fake.Total()-calls)
	}

	// Drop the region SCP again: detach, then delete with a backup.
	sp.Policies = sp.Policies[:len(sp.Policies)-1]
	var drop func(ous []org.OU)
	drop = func(ous []org.OU) {
		for i := range ous {
			var keep []string
			for _, n := range ous[i].Policies {
				if n != "regions" {
					keep = append(keep, n)
				}
			}
			ous[i].Policies = keep
			drop(ous[i].OUs)
		}
	}
	drop(sp.Root.OUs)
	p3 := e.plan(sp, files)
	if got := describe(p3.Changes); len(got) != 2 || !strings.HasPrefix(got[0], `detach SCP "regions"`) || !strings.HasPrefix(got[1], `delete SCP "regions"`) {
		t.Fatalf("plan 3: %v", got)
	}
	gp3, _ := org.ToPlan(p3)
	ex3 := e.executor(e.live())
	ex3.BackupDir = t.TempDir()
	if res, err := plan.Apply(context.Background(), gp3, e.journal, ex3, plan.Options{}); err != nil || res.Applied != 2 {
		t.Fatalf("apply 3: %+v %v", res, err)
	}
	var bk struct {
		Kind   string
		Policy snapshot.OrgPolicy
	}
	matches, _ := filepath.Glob(filepath.Join(ex3.BackupDir, "*org-policy-regions.json"))
	if len(matches) != 1 || plan.ReadBackup(matches[0], &bk) != nil || bk.Policy.Name != "regions" || !strings.Contains(bk.Policy.Content, "RequestedRegion") {
		t.Errorf("backup %v: %+v", matches, bk)
	}
	if p4 := e.plan(sp, files); len(p4.Changes) != 0 {
		t.Errorf("plan 4 not empty: %v", describe(p4.Changes))
	}
}

// A crash mid-apply (every call after some point fails) leaves a journal
// from which the next run finishes without repeating done changes.
func TestApplyCrashThenResume(t *testing.T) {
	e := newApplyEnv(t)
	sp, files, _, err := org.Import(e.live())
	if err != nil {
		t.Fatal(err)
	}
	edit(t, sp)
	p := e.plan(sp, files)
	gp, _ := org.ToPlan(p)
	ex := e.executor(e.live())
	e.fake.FailAfter(e.fake.Total() + 2) // two writes succeed, then the "crash"
	_, err = plan.Apply(context.Background(), gp, e.journal, ex, plan.Options{})
	e.fake.FailAfter(0)
	if err == nil || !strings.Contains(err.Error(), "InjectedFailure") {
		t.Fatalf("want an injected failure, got %v", err)
	}
	st, _ := e.journal.Status(gp.ID)
	if st["001"] != plan.Done || st["002"] != plan.Done || st["003"] != plan.Failed {
		t.Fatalf("journal after crash: %v", st)
	}
	creates := e.fake.Count("", "CreateOrganizationalUnit")
	// Resume: the base changed (stale fingerprint), which apply accepts for
	// a plan the journal shows started; done changes are not repeated.
	res, err := plan.Apply(context.Background(), gp, e.journal, e.executor(e.live()), plan.Options{})
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if e.fake.Count("", "CreateOrganizationalUnit") != creates {
		t.Errorf("resume created the OU again")
	}
	if res.Skipped == 0 || res.Applied+res.Skipped != len(p.Changes) {
		t.Errorf("resume: %+v", res)
	}
	if p2 := e.plan(sp, files); len(p2.Changes) != 0 {
		t.Fatalf("plan after resume is not empty: %v", describe(p2.Changes))
	}
}

// ConcurrentModificationException and throttling are retried with backoff.
func TestApplyRetriesConcurrentModification(t *testing.T) {
	e := newApplyEnv(t)
	sp, files, _, err := org.Import(e.live())
	if err != nil {
		t.Fatal(err)
	}
	edit(t, sp)
	p := e.plan(sp, files)
	e.fake.ConcurrentModification("AttachPolicy", 2)
	e.fake.Throttle("", "CreatePolicy", 1)
	res, ex, err := e.apply(p)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if ex.Retried < 2 || res.Applied != len(p.Changes) {
		t.Errorf("retried %d, result %+v", ex.Retried, res)
	}
	// A persistent conflict gives up with the error named.
	e2 := newApplyEnv(t)
	p2 := e2.plan(sp, files)
	e2.fake.ConcurrentModification("CreateOrganizationalUnit", -1)
	_, _, err = e2.apply(p2)
	if err == nil || !strings.Contains(err.Error(), "ConcurrentModificationException") {
		t.Errorf("want ConcurrentModificationException, got %v", err)
	}
}

// CreateAccount that ends FAILED stops apply with the reason.
func TestApplyCreateAccountFails(t *testing.T) {
	e := newApplyEnv(t)
	sp, files, _, err := org.Import(e.live())
	if err != nil {
		t.Fatal(err)
	}
	edit(t, sp)
	p := e.plan(sp, files)
	e.fake.FailCreateAccount("exp-1@example.com", "EMAIL_ALREADY_EXISTS")
	_, _, err = e.apply(p)
	if err == nil || !strings.Contains(err.Error(), "EMAIL_ALREADY_EXISTS") {
		t.Errorf("want EMAIL_ALREADY_EXISTS, got %v", err)
	}
}

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// writeSpec writes spec text and policy files into a temp dir and parses it.
func writeSpec(t testing.TB, text string, files map[string][]byte) *org.Document {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "org.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := org.Load(path)
	if err != nil {
		t.Fatalf("parse:\n%s\n%v", text, err)
	}
	return d
}

func compile(t testing.TB, d *org.Document) *org.State {
	t.Helper()
	s, ps := org.Compile(d, org.Options{})
	if len(ps) > 0 {
		t.Fatalf("problems:\n%v", ps)
	}
	return s
}
