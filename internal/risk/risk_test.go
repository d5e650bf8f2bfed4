package risk

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/name (or rewrites it with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, d)
	}
}

// render prints paths for golden files.
func render(ps []Path) string {
	var b strings.Builder
	if err := WritePaths(&b, ps); err != nil {
		panic(err)
	}
	return b.String()
}

func methodsOf(p Path) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Method)
	}
	return out
}

func TestEveryMethodHasAFixture(t *testing.T) {
	have := map[string]bool{}
	for _, f := range fixtures {
		if MethodByID(f.method) == nil {
			t.Errorf("fixture names unknown method %q", f.method)
		}
		have[f.method] = true
	}
	for _, m := range Methods {
		if !have[m.ID] {
			t.Errorf("method %s has no fixture", m.ID)
		}
		if len(m.Sources) == 0 {
			t.Errorf("method %s cites no source", m.ID)
		}
	}
}

func TestFixturesFoundAndTwinsNot(t *testing.T) {
	cat := catalog.Default()
	var all strings.Builder
	for _, f := range fixtures {
		m := MethodByID(f.method)
		an := Analyze(fixtureSnapshot(f, none), cat, Options{Workers: 1})
		paths, err := an.PathsOf(actorID)
		if err != nil {
			t.Fatal(err)
		}
		if len(paths) != 1 || paths[0].Goal != GoalAdmin {
			t.Errorf("%s: want one path to administrator, got %d:\n%s", f.method, len(paths), render(paths))
			continue
		}
		p := paths[0]
		if !slices.Contains(methodsOf(p), f.method) {
			t.Errorf("%s: path does not use the method:\n%s", f.method, render(paths))
		}
		if p.Possible != m.Possible {
			t.Errorf("%s: path possible=%v, want %v", f.method, p.Possible, m.Possible)
		}
		// The actor's first step names the case's inline policy statement.
		if e := p.Steps[0].Allowed[0]; e.Policy != "user actor inline case" || e.Statement < 0 {
			t.Errorf("%s: first step allowed by %q statement %d, want the case's inline policy", f.method, e.Policy, e.Statement)
		}
		if got := an.OpeningActions(actorID); !slices.Contains(got, f.block) && !slices.Contains(got, "iam:PassRole") {
			t.Errorf("%s: opening actions %v lack %s", f.method, got, f.block)
		}
		all.WriteString(render(paths))
		for _, b := range []blocker{byDeny, byBoundary, bySCP, byCondition} {
			an := Analyze(fixtureSnapshot(f, b), cat, Options{Workers: 1})
			paths, _ := an.PathsOf(actorID)
			if len(paths) > 0 {
				t.Errorf("%s twin blocked by %s: want no path, got:\n%s", f.method, b, render(paths))
			}
			if got := an.OpeningActions(actorID); len(got) > 0 {
				t.Errorf("%s twin blocked by %s: opening actions %v, want none", f.method, b, got)
			}
		}
	}
	golden(t, "fixtures.golden", all.String())
}

// TestMultiHop: the actor can only assume ci-role; ci-role can pass the
// Lambda admin role to a new function. A high-value target is reached
// through the same chain, and a cross-account role trusted by the actor's
// account is assumed across the boundary.
func TestMultiHop(t *testing.T) {
	f := fixture{method: "sts-assume-role", stmts: []string{allowStmt("Assume", arn("role", "ci-role"), "sts:AssumeRole")}}
	s := fixtureSnapshot(f, none)
	a := s.Accounts[0]
	a.Roles = append(a.Roles, snapshotRole("ci-role", `{"AWS":"arn:aws:iam::`+acct+`:root"}`,
		passRole("lambda"), allowStmt("Fn", "*", "lambda:CreateFunction", "lambda:InvokeFunction"), allowStmt("Hop", "arn:aws:iam::"+mgmt+":role/remote", "sts:AssumeRole")))
	// A role in another account that trusts the fixture account.
	s.Accounts = append(s.Accounts, otherAccount())
	an := Analyze(s, catalog.Default(), Options{Workers: 2, Targets: []string{"arn:aws:iam::" + mgmt + ":role/remote", "arn:aws:iam::" + acct + ":role/nope"}})
	if !slices.Equal(an.Unknown, []string{"arn:aws:iam::" + acct + ":role/nope"}) {
		t.Errorf("unknown targets %v", an.Unknown)
	}
	paths, err := an.PathsOf(actorID)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "multihop.golden", render(paths))
	if len(paths) != 2 || len(paths[0].Steps) != 2 || len(paths[1].Steps) != 2 {
		t.Fatalf("want a 2-step path to administrator and one to the target:\n%s", render(paths))
	}
	if _, err := an.PathsOf("arn:aws:iam::" + acct + ":user/ghost"); err == nil {
		t.Error("unknown principal: want an error")
	}
}

func snapshotRole(name, trustPrincipal string, stmts ...string) snapshot.Role {
	r := snapshot.Role{ARN: arn("role", name), RoleName: name, Path: "/", TrustPolicy: trustDoc(trustPrincipal)}
	if len(stmts) > 0 {
		r.InlinePolicies = []snapshot.InlinePolicy{{PolicyName: name, Document: policyDoc(stmts...)}}
	}
	return r
}

func otherAccount() *snapshot.Account {
	return &snapshot.Account{AccountID: mgmt, CollectedAt: t0, Roles: []snapshot.Role{{
		ARN: "arn:aws:iam::" + mgmt + ":role/remote", RoleName: "remote", Path: "/",
		TrustPolicy:    trustDoc(`{"AWS":"arn:aws:iam::` + acct + `:root"}`),
		InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "read", Document: policyDoc(allowStmt("Read", "*", "s3:GetObject"))}},
	}}}
}

// TestReport: the JSON a `seiri risk paths` command prints for one
// principal, and the permissions `unused` lists first.
func TestReport(t *testing.T) {
	f := fixtures[0] // iam-create-policy-version
	an := Analyze(fixtureSnapshot(f, none), catalog.Default(), Options{Workers: 1})
	r, err := an.Report("arn:aws:iam::" + acct + ":user/actor")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json", string(b)+"\n")
	if !an.OpensPath(actorID, "IAM:CreatePolicyVersion") || an.OpensPath(actorID, "s3:ListAllMyBuckets") {
		t.Errorf("OpensPath wrong: %v", an.OpeningActions(actorID))
	}
	if got := an.Opening(); !cmp.Equal(got, map[string][]string{actorID: {"iam:CreatePolicyVersion"}}) {
		t.Errorf("Opening() = %v", got)
	}
	admin, _ := an.Report(arn("role", "admin-role"))
	if !admin.Admin || len(admin.AdminEvidence) == 0 || len(admin.Paths) != 0 {
		t.Errorf("admin-role report = %+v", admin)
	}
}

// TestTargetBoundaries: changing the policies of a role one can assume is
// no escalation when the role's permissions boundary caps it, and joining
// an administrators' group is none for a user whose boundary caps it; a
// role (not only users) escalates through its own policies.
func TestTargetBoundaries(t *testing.T) {
	cat := catalog.Default()
	f := fixture{method: "iam-attach-role-policy", stmts: []string{allowStmt("Attach", arn("role", "dev-role"), "iam:AttachRolePolicy"), allowStmt("Assume", arn("role", "dev-role"), "sts:AssumeRole")}}
	s := fixtureSnapshot(f, none)
	for i := range s.Accounts[0].Roles {
		if s.Accounts[0].Roles[i].RoleName == "dev-role" {
			s.Accounts[0].Roles[i].PermissionsBoundary = "arn:aws:iam::" + acct + ":policy/s3-only-boundary"
		}
	}
	if ps, _ := Analyze(s, cat, Options{Workers: 1}).PathsOf(actorID); len(ps) != 0 {
		t.Errorf("bounded dev-role: want no path, got\n%s", render(ps))
	}

	// A role that may put inline policies on itself.
	s = fixtureSnapshot(fixture{stmts: []string{allowStmt("Read", "*", "s3:GetObject")}}, none)
	s.Accounts[0].Roles = append(s.Accounts[0].Roles, snapshotRole("self-editor", `{"AWS":"arn:aws:iam::`+acct+`:root"}`,
		allowStmt("Self", arn("role", "self-editor"), "iam:PutRolePolicy")))
	an := Analyze(s, cat, Options{Workers: 1})
	ps, _ := an.PathsOf(arn("role", "self-editor"))
	if len(ps) != 1 || ps[0].Steps[0].Method != "iam-put-role-policy" {
		t.Errorf("self-editor role: want one path by iam-put-role-policy, got\n%s", render(ps))
	}
	if ps, _ := an.PathsOf(actorID); len(ps) != 0 {
		t.Errorf("reader: want no path, got\n%s", render(ps))
	}
}

// TestJoinThenChangeGroup: adding oneself to a harmless group whose
// policies one can then write is a two-step path; without the write, none.
func TestJoinThenChangeGroup(t *testing.T) {
	cat := catalog.Default()
	join := allowStmt("Join", arn("group", "harmless"), "iam:AddUserToGroup")
	write := allowStmt("Write", arn("group", "harmless"), "iam:PutGroupPolicy")
	for _, tc := range []struct {
		stmts []string
		want  int
	}{{[]string{join, write}, 1}, {[]string{join}, 0}, {[]string{write}, 0}} {
		s := fixtureSnapshot(fixture{stmts: tc.stmts}, none)
		s.Accounts[0].Groups = append(s.Accounts[0].Groups, snapshot.Group{ARN: arn("group", "harmless"), GroupName: "harmless", Path: "/"})
		ps, _ := Analyze(s, cat, Options{Workers: 1}).PathsOf(actorID)
		if len(ps) != tc.want {
			t.Errorf("%d statements: want %d paths, got\n%s", len(tc.stmts), tc.want, render(ps))
			continue
		}
		if tc.want == 1 && !slices.Equal(methodsOf(ps[0]), []string{"iam-add-user-to-group", "iam-put-group-policy"}) {
			t.Errorf("path methods %v", methodsOf(ps[0]))
		}
	}
}

// TestBadInput: unreadable policies and trust policies are reported, never
// a panic; a snapshot without an organization has no SCPs.
func TestBadInput(t *testing.T) {
	s := fixtureSnapshot(fixture{stmts: []string{allowStmt("Assume", arn("role", "broken-trust"), "sts:AssumeRole")}}, none)
	s.Organization = nil
	a := s.Accounts[0]
	a.Roles = append(a.Roles, snapshot.Role{ARN: arn("role", "broken-trust"), RoleName: "broken-trust", Path: "/", TrustPolicy: json.RawMessage(`{"Statement":[`)})
	for i := range a.Users {
		if a.Users[i].UserName == "actor" {
			a.Users[i].InlinePolicies = append(a.Users[i].InlinePolicies, snapshot.InlinePolicy{PolicyName: "garbled", Document: json.RawMessage(`{"Version":"2012-10-17","Statement":{"Effect":"Sometimes"}}`)})
		}
	}
	an := Analyze(s, catalog.Default(), Options{Workers: 1})
	joined := strings.Join(an.Problems, "\n")
	for _, want := range []string{"trust policy of " + arn("role", "broken-trust"), "user actor inline garbled"} {
		if !strings.Contains(joined, want) {
			t.Errorf("problems lack %q:\n%s", want, joined)
		}
	}
	r, err := an.Report(actorID)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 1 || len(r.Paths) != 0 {
		t.Errorf("report: problems %v, paths %d", r.Problems, len(r.Paths))
	}
}
