package groups_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/apply/iamexec"
	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/demo/demotest"
	"github.com/seiri-dev/seiri/internal/groups"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/plan/iamplan"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

var demoNow = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)

// engine is the production effective-permission computation (groups.Judge,
// leastpriv's) over a snapshot without an organization: no SCPs apply.
var engine = struct{ Effective groups.Effective }{groups.Judge(leastpriv.NewModel(&snapshot.Snapshot{}, catalog.Embedded()))}

func usedByPrincipal(rows []usage.Row) map[string]groups.ActionSet {
	m := map[string]groups.ActionSet{}
	for _, r := range rows {
		if r.Authz && r.ErrorCode == "" {
			m[r.Principal] = append(m[r.Principal], r.Action)
		}
	}
	for k, v := range m {
		m[k] = groups.NewActionSet(v)
	}
	return m
}

func demoAccount(t *testing.T, id string) (*demo.Org, *snapshot.Account, map[string]groups.ActionSet) {
	t.Helper()
	// An organization of the test's own (a fake made from it changes it);
	// the usage is the demo's logs as scanned (shared).
	org := demo.Generate(demoNow, demo.Seed)
	for _, a := range org.Accounts {
		if a.AccountID == id {
			return org, a, usedByPrincipal(demotest.Rows(t, demoNow))
		}
	}
	t.Fatalf("no demo account %s", id)
	return nil, nil, nil
}

func problems(an *groups.Analysis, kind string) []string {
	var out []string
	for _, p := range an.Problems {
		if p.Kind == kind {
			out = append(out, p.Subject)
		}
	}
	return out
}

// TestDemoAnalysis pins the demo's group problems and its plan's proof.
func TestDemoAnalysis(t *testing.T) {
	_, a, used := demoAccount(t, demo.ManagementAccount)
	opt := groups.Options{Effective: engine.Effective, Used: used}
	an, err := groups.Analyze(groups.NewModel(a), opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(an.Skipped) > 0 {
		t.Errorf("skipped users: %+v", an.Skipped)
	}
	for kind, want := range map[string][]string{
		"near-limit":   {"maria.schneider"},
		"many-teams":   {"maria.schneider"},
		"empty-group":  {"legacy-admins"},
		"no-policies":  {"new-hires"},
		"unused-group": {"billing", "contractors", "oncall", "self-service"},
	} {
		if d := cmp.Diff(want, problems(an, kind)); d != "" {
			t.Errorf("%s (-want +got):\n%s", kind, d)
		}
	}
	if !slices.Contains(problems(an, "subset-group"), "platform-developers") || !slices.Contains(problems(an, "duplicate-path"), "maria.schneider") {
		t.Errorf("subset/duplicate problems missing: %v %v", problems(an, "subset-group"), problems(an, "duplicate-path"))
	}
	if len(an.Clusters) == 0 {
		t.Fatal("no candidate groups")
	}
	for _, c := range an.Clusters {
		if len(c.Members) < 2 || c.Similarity < 0.9 || c.Name == "" {
			t.Errorf("cluster %+v", c)
		}
	}

	pr, err := groups.Propose(an, groups.PlanOptions{Options: opt})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Verdict.Unchanged != len(a.Users) || pr.Verdict.LoseUnused != 0 {
		t.Errorf("verdict %s; want all %d users unchanged", pr.Verdict.Summary(), len(a.Users))
	}
	var mariaLeaves []string
	for _, c := range pr.Changes {
		ch, err := iamplan.Decode(c)
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := ch.(*iamplan.RemoveUserFromGroup); ok && r.User == "maria.schneider" {
			mariaLeaves = append(mariaLeaves, r.GroupName)
		}
	}
	if d := cmp.Diff([]string{"billing", "finance-developers", "oncall", "platform-admins", "support-developers"}, mariaLeaves); d != "" {
		t.Errorf("maria leaves (-want +got):\n%s", d)
	}

	// Removing unused memberships: some users lose only unused permissions.
	pr2, err := groups.Propose(an, groups.PlanOptions{Options: opt, RemoveUnused: true})
	if err != nil {
		t.Fatal(err)
	}
	if pr2.Verdict.LoseUnused == 0 || pr2.Verdict.Unchanged+pr2.Verdict.LoseUnused != len(a.Users) {
		t.Errorf("remove-unused verdict: %s", pr2.Verdict.Summary())
	}
	// ... but never for the caller.
	var loser string
	for _, u := range pr2.Verdict.Users {
		loser = u.User
	}
	_, err = groups.Propose(an, groups.PlanOptions{Options: opt, RemoveUnused: true, Caller: "arn:aws:iam::" + demo.ManagementAccount + ":user/" + loser})
	var ref *groups.ErrRefused
	if !errors.As(err, &ref) || !strings.Contains(err.Error(), "from the caller "+loser) {
		t.Errorf("caller protection: %v", err)
	}
}

func doc(actions ...string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": actions, "Resource": "*"}}})
	return b
}

// smallAccount: ten one-policy groups, two users sharing a direct policy, one
// of them already in ten groups; a group subset of another.
func smallAccount() *snapshot.Account {
	const id = "123456789012"
	a := &snapshot.Account{AccountID: id}
	pol := func(name string, actions ...string) string {
		arn := "arn:aws:iam::" + id + ":policy/" + name
		a.Policies = append(a.Policies, snapshot.ManagedPolicy{ARN: arn, PolicyName: name, Document: doc(actions...)})
		return arn
	}
	var ten []string
	for i := 1; i <= 10; i++ {
		n := fmt.Sprintf("g%02d", i)
		arn := pol(n, fmt.Sprintf("sqs:%s", []string{"SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueUrl", "ListQueues", "PurgeQueue", "TagQueue", "UntagQueue", "CreateQueue", "DeleteQueue"}[i-1]))
		a.Groups = append(a.Groups, snapshot.Group{ARN: "arn:aws:iam::" + id + ":group/" + n, GroupName: n, AttachedPolicies: []snapshot.AttachedPolicy{{PolicyName: n, PolicyARN: arn}}})
		ten = append(ten, n)
	}
	s3 := pol("s3-read", "s3:GetObject", "s3:ListBucket")
	user := func(name string, groups []string, direct ...string) {
		u := snapshot.User{ARN: "arn:aws:iam::" + id + ":user/" + name, UserName: name, Groups: groups, LoginProfile: &snapshot.LoginProfile{}}
		for _, d := range direct {
			u.AttachedPolicies = append(u.AttachedPolicies, snapshot.AttachedPolicy{PolicyName: "x", PolicyARN: d})
		}
		a.Users = append(a.Users, u)
	}
	user("full", ten, s3)
	user("small", []string{"g01"}, s3)
	return a
}

func TestPlanRefusesMoreThanTenGroups(t *testing.T) {
	a := smallAccount()
	an, err := groups.Analyze(groups.NewModel(a), groups.Options{Effective: engine.Effective})
	if err != nil {
		t.Fatal(err)
	}
	_, err = groups.Propose(an, groups.PlanOptions{Options: groups.Options{Effective: engine.Effective}})
	var ref *groups.ErrRefused
	if !errors.As(err, &ref) || !strings.Contains(err.Error(), "user full would be in 11 groups") {
		t.Fatalf("got %v; want a refusal for 11 groups", err)
	}
	// Without the over-full user the same model is accepted.
	a.Users = a.Users[1:]
	a.Users = append(a.Users, snapshot.User{ARN: "arn:aws:iam::123456789012:user/other", UserName: "other", Groups: []string{"g02"}, AttachedPolicies: a.Users[0].AttachedPolicies, LoginProfile: &snapshot.LoginProfile{}})
	an, _ = groups.Analyze(groups.NewModel(a), groups.Options{Effective: engine.Effective})
	pr, err := groups.Propose(an, groups.PlanOptions{Options: groups.Options{Effective: engine.Effective}})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Verdict.Summary() != "2 users unchanged, 0 users lose only unused permissions" {
		t.Errorf("summary %q", pr.Verdict.Summary())
	}
}

func TestJaccardAndSets(t *testing.T) {
	a := groups.NewActionSet([]string{"s3:GetObject", "s3:PutObject", "s3:GetObject"})
	b := groups.NewActionSet([]string{"s3:GetObject"})
	tests := []struct {
		a, b groups.ActionSet
		want float64
	}{{a, b, 0.5}, {a, a, 1}, {nil, nil, 1}, {b, nil, 0}}
	for _, tt := range tests {
		if got := groups.Jaccard(tt.a, tt.b); got != tt.want {
			t.Errorf("Jaccard(%v,%v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	if d := cmp.Diff(groups.ActionSet{"s3:GetObject", "s3:ListBucket", "s3:PutObject"}, b.Union(groups.ActionSet{"s3:ListBucket", "s3:PutObject"}).Union(a)); d != "" {
		t.Errorf("union (-want +got):\n%s", d)
	}
	if !b.SubsetOf(a) || a.SubsetOf(b) || len(a.Minus(b)) != 1 {
		t.Error("set operations")
	}
}

// TestApplyThroughFake applies the demo plan to the IAM fake with the real
// SDK client, checks every user's permissions are unchanged afterwards, and
// that a second run changes nothing.
func TestApplyThroughFake(t *testing.T) {
	org, a, used := demoAccount(t, demo.ManagementAccount)
	opt := groups.Options{Effective: engine.Effective, Used: used}
	before := groups.NewModel(a)
	an, err := groups.Analyze(before, opt)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := groups.Propose(an, groups.PlanOptions{Options: opt})
	if err != nil {
		t.Fatal(err)
	}
	pl := groups.NewPlan([]*groups.Proposal{pr}, demoNow, "base")
	srv := awsfake.New(awsfake.Scenario{Organization: org.Organization, Accounts: org.Accounts})
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", Credentials: srv.Credentials(), BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1}
	exec := &iamexec.GroupExecutor{Client: func(ctx context.Context, account string) (iamexec.GroupIAM, error) {
		return iam.NewFromConfig(cfg), nil
	}}
	j := plan.OpenJournal(filepath.Join(t.TempDir(), "journal.jsonl"), func() time.Time { return demoNow })
	res, err := plan.Apply(context.Background(), pl, j, exec, plan.Options{Progress: func(c plan.Change, ph plan.Phase, err error) { t.Logf("%s %s %v", ph, c.Description, err) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied != len(pl.Changes) || res.Failed != 0 {
		t.Fatalf("apply: %+v of %d", res, len(pl.Changes))
	}
	after := groups.NewModel(a) // the fake changed the account in place
	for _, u := range after.Users {
		g, _ := after.Grants(u)
		s, err := engine.Effective(g)
		if err != nil {
			t.Fatal(err)
		}
		if !s.Equal(an.Granted(u.Name)) {
			t.Errorf("user %s: permissions changed by apply", u.Name)
		}
	}
	if n := len(after.User("maria.schneider").Groups); n != 4 {
		t.Errorf("maria is in %d groups after apply, want 4", n)
	}
	// Re-run with a fresh journal: every change is found in effect.
	j2 := plan.OpenJournal(filepath.Join(t.TempDir(), "journal.jsonl"), nil)
	res, err = plan.Apply(context.Background(), pl, j2, exec, plan.Options{})
	if err != nil || res.Applied != 0 || res.Skipped != len(pl.Changes) {
		t.Errorf("second apply: %+v %v", res, err)
	}
}

// A group the analysis moves users into is never advised for deletion,
// even when it is empty today.
func TestAnalyzeKeepsMoveTargets(t *testing.T) {
	ro := snapshot.AttachedPolicy{PolicyName: "s3-read", PolicyARN: "arn:aws:iam::123456789012:policy/s3-read"}
	a := &snapshot.Account{AccountID: "123456789012",
		Policies: []snapshot.ManagedPolicy{{ARN: ro.PolicyARN, PolicyName: ro.PolicyName, Path: "/", IsAttachable: true,
			Document: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)}},
		Users: []snapshot.User{{UserName: "ana", ARN: "arn:aws:iam::123456789012:user/ana", Path: "/", LoginProfile: &snapshot.LoginProfile{},
			AttachedPolicies: []snapshot.AttachedPolicy{ro}}},
		Groups: []snapshot.Group{{GroupName: "readers", ARN: "arn:aws:iam::123456789012:group/readers", Path: "/", AttachedPolicies: []snapshot.AttachedPolicy{ro}}},
	}
	an, err := groups.Analyze(groups.NewModel(a), groups.Options{Effective: engine.Effective})
	if err != nil {
		t.Fatal(err)
	}
	if len(an.Moves) != 1 || an.Moves[0].Group != "readers" {
		t.Fatalf("moves %+v, want ana into readers", an.Moves)
	}
	found := false
	for _, p := range an.Problems {
		if p.Subject == "readers" {
			found = true
			if strings.Contains(p.Suggestion, "delete") || p.Suggestion != "keep it: the moves put ana in it" {
				t.Errorf("%s: %q", p.Kind, p.Suggestion)
			}
		}
	}
	if !found {
		t.Error("the empty group is not reported")
	}
}
