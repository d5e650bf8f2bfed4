// Package archtest holds the import rules of seiri (docs/architecture.md)
// and the test that enforces them over `go list -deps`:
//
//   - an analysis (audit, leastpriv, keys, groups, roles, sso, org, risk,
//     detect) reaches no AWS service client
//     (github.com/aws/aws-sdk-go-v2/service/...), no edge package (apply,
//     collect, awsclient) and no command package (cli, cmd);
//   - the model (snapshot, plan, usage, catalog, finding) reaches no
//     analysis, no edge and no command package;
//   - the CloudTrail scanner (trail, the package itself: its record,
//     decoder and local engine) reaches no AWS service client, so analyses
//     such as detect can read records with it; the sources that need SDK
//     clients live in the edge package trail/source;
//   - the policy engine (policy) imports nothing of seiri but catalog (and the leaf textenc, which imports nothing of ours);
//   - nothing but the demo command imports the demo (tests may);
//   - only the demo, the command layer (which registers the demo command)
//     and test support link the CloudTrail log generator (trail/gen): no
//     analysis, model or edge is built with it.
//
// Exceptions that other work still has to remove are listed in Allowed,
// each with the reason; a listed exception that no longer occurs fails the
// test too, so the list only shrinks.
package archtest

import (
	"fmt"
	"sort"
	"strings"
)

// Module is seiri's module path.
const Module = "github.com/seiri-dev/seiri"

const internal = Module + "/internal/"

// Package groups of the rules (paths under internal/; a group holds its
// subpackages).
var (
	Analyses = []string{"audit", "leastpriv", "keys", "groups", "roles", "sso", "org", "risk", "detect"}
	Model    = []string{"snapshot", "plan", "usage", "catalog", "finding"}
	Edges    = []string{"apply", "collect", "awsclient", "trail/source"}
	// Scanner is the CloudTrail scanner package itself (not its
	// subpackages: trail/source and trail/athena speak to AWS).
	Scanner  = "trail"
	Commands = []string{"cli", "cmd"}
	// DemoCommands may import internal/demo: the demo command (internal/cli
	// until the command layer is split, then internal/cmd/demo).
	DemoCommands = []string{"cli", "cmd/demo"}
	// TestSupport are packages only tests import (helpers shared by the
	// tests of several packages); like tests, they may import the demo.
	TestSupport = []string{"cmd/cmdtest"}
)

// Generator is the CloudTrail log generator the demo writes its logs with.
const Generator = "trail/gen"

// AWSServicePrefix is where the SDK's service clients live.
const AWSServicePrefix = "github.com/aws/aws-sdk-go-v2/service/"

// Package is one package of the build: its direct imports and all its
// dependencies (go list's Imports and Deps, without tests).
type Package struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// Violation is one forbidden import.
type Violation struct {
	Rule, From, To string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s: %s imports %s", v.Rule, short(v.From), short(v.To))
}

// Allowance is an exception to a rule, with why it exists and which work
// removes it.
type Allowance struct {
	Rule, From, To, Why string
}

// Allowed are the known exceptions. Never add one silently: name the issue
// that removes it.
var Allowed = []Allowance{}

func short(p string) string { return strings.TrimPrefix(p, internal) }

// rel returns the path under internal/ of an import path.
func rel(p string) (string, bool) {
	if !strings.HasPrefix(p, internal) {
		return "", false
	}
	return p[len(internal):], true
}

// in reports whether the package (path under internal/) is one of the
// groups or below one of them.
func in(r string, groups []string) bool {
	for _, g := range groups {
		if r == g || strings.HasPrefix(r, g+"/") {
			return true
		}
	}
	return false
}

// Check applies the rules to the packages and returns the violations that
// are not allowed, and the allowances that matched nothing (stale).
func Check(pkgs []Package, allowed []Allowance) (violations []Violation, stale []Allowance) {
	var all []Violation
	for _, p := range pkgs {
		from, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		switch {
		case in(from, TestSupport):
			continue
		case in(from, Analyses):
			for _, d := range p.Deps {
				to, ours := rel(d)
				if strings.HasPrefix(d, AWSServicePrefix) || ours && (in(to, Edges) || in(to, Commands) || in(to, []string{"demo"})) {
					all = append(all, Violation{"analysis", p.ImportPath, d})
				}
			}
		case in(from, Model):
			for _, d := range p.Deps {
				if to, ours := rel(d); ours && (in(to, Analyses) || in(to, Edges) || in(to, Commands)) {
					all = append(all, Violation{"model", p.ImportPath, d})
				}
			}
		case from == Scanner:
			for _, d := range p.Deps {
				to, ours := rel(d)
				if strings.HasPrefix(d, AWSServicePrefix) || ours && (in(to, Edges) || in(to, Commands)) {
					all = append(all, Violation{"scanner", p.ImportPath, d})
				}
			}
		case in(from, []string{"policy"}):
			for _, d := range p.Imports {
				if to, ours := rel(d); ours && !in(to, []string{"policy", "catalog", "textenc"}) {
					all = append(all, Violation{"policy", p.ImportPath, d})
				}
			}
		}
		if !in(from, Commands) && !in(from, []string{"demo", Generator}) {
			for _, d := range p.Deps {
				if to, ours := rel(d); ours && in(to, []string{Generator}) {
					all = append(all, Violation{"generator", p.ImportPath, d})
				}
			}
		}
		if !in(from, DemoCommands) && !in(from, []string{"demo"}) {
			for _, d := range p.Imports {
				if to, ours := rel(d); ours && in(to, []string{"demo"}) {
					all = append(all, Violation{"demo", p.ImportPath, d})
				}
			}
		}
	}
	used := make([]bool, len(allowed))
	for _, v := range all {
		ok := false
		for i, a := range allowed {
			if a.Rule == v.Rule && short(v.From) == a.From && (short(v.To) == a.To || strings.HasPrefix(short(v.To), a.To+"/")) {
				used[i], ok = true, true
			}
		}
		if !ok {
			violations = append(violations, v)
		}
	}
	for i, a := range allowed {
		if !used[i] {
			stale = append(stale, a)
		}
	}
	sort.Slice(violations, func(i, j int) bool { return violations[i].String() < violations[j].String() })
	return violations, stale
}
