package leastpriv

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/policy"
)

// Every multi-action API of the catalog's dependent-action table
// (catalog.Dependents, each entry with its AWS documentation page): a
// principal seen calling only the API gets a generated policy that also
// allows every action the call always needs, and the policy — evaluated by
// the engine — allows the call and its dependencies in the account, and not
// in another account. Dependencies that hold only for some requests (When)
// are review notes, not grants.
func TestGenerateCoversEveryDependentAPI(t *testing.T) {
	const acct, other = "555555555555", "666666666666"
	cat := catalog.Embedded()
	byAction := map[string][]catalog.Dependent{}
	var order []string
	for _, d := range catalog.Dependents() {
		if _, ok := byAction[d.Action]; !ok {
			order = append(order, d.Action)
		}
		byAction[d.Action] = append(byAction[d.Action], d)
	}
	if len(order) < 40 {
		t.Fatalf("only %d APIs in the table", len(order))
	}
	demo := loadDemo(t)
	for _, api := range order {
		t.Run(api, func(t *testing.T) {
			gc := generateForCall(t, demo, cat, api, acct, 2)
			g, res, text := gc.g, gc.res, gc.text
			allows := gc.allows
			if !allows(api, concrete(res), acct) {
				t.Errorf("the generated policy does not allow the observed call %s on %s:\n%s", api, res, text)
			}
			notes := strings.Join(g.Notes, "\n")
			// names reports whether a note names both the API and what it
			// needs: the dependent-action note, the review note of a
			// conditional dependency, or generation's own note on
			// iam:PassRole kept for an API that passes roles.
			names := func(d catalog.Dependent) bool {
				for _, n := range g.Notes {
					for _, line := range strings.Split(n, "; ") {
						if strings.Contains(line, d.Needs) && strings.Contains(line, api) {
							return true
						}
					}
				}
				return false
			}
			for _, d := range byAction[api] {
				if !names(d) {
					t.Errorf("no note names %s → %s (%s):\n%s", api, d.Needs, d.Source, notes)
				}
				if d.When != "" {
					continue
				}
				needRes := res
				if d.Scope != catalog.SameResources {
					// Another resource of the call: the policy names it
					// (today's grant, else the action's types in the
					// account); check the first it names.
					if needRes = gc.firstResourceOf(d.Needs); needRes == "" {
						t.Errorf("%s needs %s (%s): not in the generated policy:\n%s", api, d.Needs, d.Source, text)
						continue
					}
				}
				needRes = concrete(needRes)
				if !allows(d.Needs, needRes, acct) {
					t.Errorf("%s needs %s (%s), not allowed on %s:\n%s", api, d.Needs, d.Source, needRes, text)
				}
				if needRes != "" && needRes != "*" && strings.Contains(needRes, ":"+acct+":") {
					if otherRes := strings.Replace(needRes, ":"+acct+":", ":"+other+":", 1); allows(d.Needs, otherRes, other) {
						t.Errorf("%s allowed on another account's %s:\n%s", d.Needs, otherRes, text)
					}
				}
			}
		})
	}
}

// sampleResource is a resource of the action's first required resource type
// (else its first type) in the account, placeholders filled; "*" for an
// action without resource-level permissions.
func sampleResource(t *testing.T, cat *catalog.Catalog, action, acct string) string {
	t.Helper()
	a, ok := cat.Action(action)
	if !ok {
		t.Fatalf("%s is no catalog action", action)
	}
	var rt *catalog.ResourceType
	for _, r := range a.Resources {
		if r.Required && len(r.Type.ARNFormats) > 0 {
			rt = r.Type
			break
		}
	}
	if rt == nil {
		for _, r := range a.Resources {
			if len(r.Type.ARNFormats) > 0 {
				rt = r.Type
				break
			}
		}
	}
	if rt == nil {
		return "*"
	}
	f := rt.ARNFormats[0]
	var b strings.Builder
	for {
		i := strings.Index(f, "${")
		if i < 0 {
			b.WriteString(f)
			break
		}
		j := strings.IndexByte(f[i:], '}')
		if j < 0 {
			b.WriteString(f)
			break
		}
		b.WriteString(f[:i])
		switch f[i+2 : i+j] {
		case "Partition":
			b.WriteString("aws")
		case "Region":
			b.WriteString("eu-west-1")
		case "Account", "AccountId":
			b.WriteString(acct)
		default:
			b.WriteString("sample1")
		}
		f = f[i+j+1:]
	}
	return b.String()
}

// concrete turns a pattern ending in "*" into a resource it matches; "*"
// stays "*" (an action without resource-level permissions).
func concrete(r string) string {
	if r == "*" {
		return r
	}
	return strings.TrimSuffix(r, "*")
}

// generatedCall is the policy generated for the demo's ci-deployer seen
// calling one API on a sample resource of the account: parsed, as text,
// and checked through the engine.
type generatedCall struct {
	g    *Generated
	p    *Principal
	res  string // the sample resource the call was seen on
	pols []*policy.Policy
	text string
}

func generateForCall(t *testing.T, demo *demoFixture, cat *catalog.Catalog, api, acct string, count int64) *generatedCall {
	t.Helper()
	an := demo.analysis(90)
	p := an.Model.Lookup("arn:aws:iam::" + acct + ":user/ci-deployer")
	if p == nil {
		t.Fatal("ci-deployer not in the demo")
	}
	res := sampleResource(t, cat, api, acct)
	an.Usage.By[p] = &Used{Calls: []Call{{Action: api, Resource: concrete(res), Account: acct, Count: count}}}
	g, err := an.Generate(p, GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gc := &generatedCall{g: g, p: p, res: res}
	var text strings.Builder
	for _, d := range g.Policies {
		b, _ := json.Marshal(d)
		text.Write(b)
		pol, err := policy.Parse(b, policy.TypeIdentity)
		if err != nil {
			t.Fatal(err)
		}
		gc.pols = append(gc.pols, pol)
	}
	gc.text = text.String()
	return gc
}

// allows evaluates the generated policies (with the key policy delegating
// to IAM for kms actions).
func (gc *generatedCall) allows(action, resource, account string) bool {
	ps := &policy.Policies{Identity: gc.pols}
	if strings.HasPrefix(action, "kms:") {
		ps.Resource = gc.p.delegate
	}
	req := policy.Request{Principal: gc.p.ARN, ResourceAccount: account, Action: action, Resource: resource}
	return policy.Evaluate(&req, ps, nil).Decision == policy.AllowDecision
}

// firstResourceOf is the first resource a generated statement grants the
// action on ("" when none does).
func (gc *generatedCall) firstResourceOf(action string) string {
	for _, pol := range gc.pols {
		for _, st := range pol.Statements {
			if len(st.Resources) > 0 && slices.ContainsFunc(st.Actions, func(a string) bool { return strings.EqualFold(a, action) }) {
				return st.Resources[0]
			}
		}
	}
	return ""
}
