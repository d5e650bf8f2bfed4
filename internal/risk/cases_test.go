package risk

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// The decisive request of every fixture and twin (the action the twins
// block, on the resource the path uses) is exported as a policy case
// (/work/shared/formats/policy-cases.md) with every policy that applies, and
// its "expected" decision comes from an evaluator we did not write:
// @cloud-copilot/iam-simulate 0.1.173, through testdata/iamsimulate/run.mjs.
// TestCasesMatchIAMSimulate replays them through the engine and requires
// the same decision — and the risk analysis's verdict (found for the case,
// absent for its twins) to agree with both.
//
// Regenerate (needs node and the npm package; not run in CI):
//
//	SEIRI_WRITE_CASES=1 go test ./internal/risk -run TestCasesMatchIAMSimulate
//	(cd internal/risk/testdata/iamsimulate && npm install @cloud-copilot/iam-simulate@0.1.173 && node run.mjs ../privesc-cases.jsonl)

const casesFile = "testdata/privesc-cases.jsonl"

type caseRequest struct {
	Principal       string            `json:"principal"`
	Action          string            `json:"action"`
	Resource        string            `json:"resource"`
	ResourceAccount string            `json:"resourceAccount"`
	Context         map[string]string `json:"context"`
}

type policyCase struct {
	ID                 string              `json:"id"`
	Request            caseRequest         `json:"request"`
	IdentityPolicies   []json.RawMessage   `json:"identityPolicies"`
	ResourcePolicy     json.RawMessage     `json:"resourcePolicy"`
	PermissionBoundary json.RawMessage     `json:"permissionBoundary"`
	SCPs               [][]json.RawMessage `json:"scps"`
	Expected           string              `json:"expected,omitempty"`
	// Found is the risk analysis's verdict: the path exists.
	Found bool `json:"found"`
}

// exportCase builds the case of fixture f blocked by b.
func exportCase(f fixture, b blocker, step Evidence, found bool) policyCase {
	s := fixtureSnapshot(f, b)
	a := s.Accounts[0]
	var actor *snapshot.User
	for i := range a.Users {
		if a.Users[i].UserName == "actor" {
			actor = &a.Users[i]
		}
	}
	managed := map[string]json.RawMessage{}
	for _, p := range a.Policies {
		managed[p.ARN] = p.Document
	}
	c := policyCase{ID: fmt.Sprintf("%s/%s", f.method, b), Found: found,
		Request: caseRequest{Principal: actorID, Action: step.Action, Resource: step.Resource, ResourceAccount: acct,
			Context: map[string]string{"aws:PrincipalArn": actorID, "aws:PrincipalAccount": acct, "aws:PrincipalType": "User",
				"aws:username": "actor", "aws:RequestedRegion": "us-east-1", "aws:MultiFactorAuthPresent": "false", "aws:PrincipalOrgID": "o-fixture"}}}
	if b == none {
		c.ID = f.method
	}
	for _, ip := range actor.InlinePolicies {
		c.IdentityPolicies = append(c.IdentityPolicies, ip.Document)
	}
	for _, ap := range actor.AttachedPolicies {
		c.IdentityPolicies = append(c.IdentityPolicies, managed[ap.PolicyARN])
	}
	for _, g := range a.Groups {
		for _, gn := range actor.Groups {
			if g.GroupName == gn {
				for _, ap := range g.AttachedPolicies {
					c.IdentityPolicies = append(c.IdentityPolicies, managed[ap.PolicyARN])
				}
			}
		}
	}
	if actor.PermissionsBoundary != "" {
		c.PermissionBoundary = managed[actor.PermissionsBoundary]
	}
	levels := map[string][]json.RawMessage{}
	for _, p := range s.Organization.Policies {
		for _, tg := range p.Targets {
			levels[tg] = append(levels[tg], json.RawMessage(p.Content))
		}
	}
	c.SCPs = [][]json.RawMessage{levels["r-root"], levels[acct]}
	switch {
	case strings.EqualFold(step.Action, "iam:PassRole"):
		for _, m := range Methods {
			if m.ID == f.method {
				c.Request.Context["iam:PassedToService"] = m.Service
			}
		}
	case strings.HasPrefix(step.Action, "iam:Attach"):
		c.Request.Context["iam:PolicyARN"] = adminPolicyARN
	case strings.EqualFold(step.Action, "sts:AssumeRole"):
		for _, r := range a.Roles {
			if r.ARN == step.Resource {
				c.ResourcePolicy = r.TrustPolicy
			}
		}
	}
	return c
}

func TestCasesMatchIAMSimulate(t *testing.T) {
	cat := catalog.Default()
	if os.Getenv("SEIRI_WRITE_CASES") != "" {
		var lines []string
		for _, f := range fixtures {
			an := Analyze(fixtureSnapshot(f, none), cat, Options{Workers: 1})
			ps, _ := an.PathsOf(actorID)
			stepOf := func(action string) Evidence {
				for _, p := range ps {
					for _, s := range p.Steps {
						for _, e := range s.Allowed {
							if strings.EqualFold(e.Action, action) {
								return e
							}
						}
					}
				}
				t.Fatalf("%s: no step uses %s", f.method, action)
				return Evidence{}
			}
			for _, b := range []blocker{none, byDeny, byBoundary, bySCP, byCondition} {
				action := f.block
				if b == byCondition && f.condBlock != "" {
					action = f.condBlock
				}
				ps, _ := Analyze(fixtureSnapshot(f, b), cat, Options{Workers: 1}).PathsOf(actorID)
				line, err := json.Marshal(exportCase(f, b, stepOf(action), len(ps) > 0))
				if err != nil {
					t.Fatal(err)
				}
				lines = append(lines, string(line))
			}
		}
		if err := os.WriteFile(casesFile, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fh, err := os.Open(casesFile)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for line := 1; sc.Scan(); line++ {
		var c policyCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("%s:%d: %v", casesFile, line, err)
		}
		if c.Expected == "" {
			t.Fatalf("%s:%d (%s): no expected decision: run testdata/iamsimulate/run.mjs", casesFile, line, c.ID)
		}
		// "found" is this test's own column (risk's verdict); the case
		// format refuses fields it does not know, so it is cut here.
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &fields); err != nil {
			t.Fatalf("%s:%d: %v", casesFile, line, err)
		}
		delete(fields, "found")
		caseLine, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		res := policy.RunCase(caseLine, line, nil)
		if res.Err != nil {
			t.Fatalf("%s:%d (%s): %v", casesFile, line, c.ID, res.Err)
		}
		if got := res.Decision.String(); got != c.Expected {
			t.Errorf("%s (line %d): engine %s, iam-simulate %s", c.ID, line, got, c.Expected)
		}
		if c.Found != (c.Expected == "Allow") {
			t.Errorf("%s (line %d): risk found=%v but iam-simulate says %s", c.ID, line, c.Found, c.Expected)
		}
		n++
	}
	if n != 5*len(fixtures) {
		t.Errorf("%d cases, want %d (regenerate)", n, 5*len(fixtures))
	}
}
