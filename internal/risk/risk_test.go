package risk

import (
	"flag"
	"fmt"
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
	for _, p := range ps {
		kind := "proven"
		if p.Possible {
			kind = "possible"
		}
		fmt.Fprintf(&b, "%s -> %s (%s, %d steps)\n", p.Principal, p.Goal, kind, len(p.Steps))
		for i, s := range p.Steps {
			fmt.Fprintf(&b, "  %d. %s: %s -> %s", i+1, s.Method, s.From, s.To)
			if s.Via != "" {
				fmt.Fprintf(&b, " via %s", s.Via)
			}
			b.WriteString("\n")
			for _, e := range s.Allowed {
				fmt.Fprintf(&b, "     %s\n", e)
			}
		}
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
