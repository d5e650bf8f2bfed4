package leastpriv

import (
	"slices"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/catalog"
)

// Every API whose dependent actions the catalog's extract takes from the
// Service Authorization Reference's own tables (catalog.DependentFacts:
// the "Dependent actions" column, the "API operations" table): a principal seen calling only the
// API gets a generated policy that — evaluated by the engine — allows the
// call and each dependency the catalog says every call needs, in the
// account and not in another; a dependency needed only for some requests
// is named in a review note instead.
func TestGenerateCoversExtractDependents(t *testing.T) {
	const acct, other = "555555555555", "666666666666"
	cat := catalog.Embedded()
	facts, _, err := catalog.DependentFacts()
	if err != nil {
		t.Fatal(err)
	}
	var apis []string
	for _, f := range facts {
		if (f.Column || f.Operations) && len(f.Needs) > 0 && !slices.Contains(apis, f.Action) {
			apis = append(apis, f.Action)
		}
	}
	if len(apis) < 3 {
		t.Fatalf("only %d APIs with column facts: %v", len(apis), apis)
	}
	demo := loadDemo(t)
	granted := 0
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			gc := generateForCall(t, demo, cat, api, acct, 1)
			g, res, text, allows := gc.g, gc.res, gc.text, gc.allows
			if !allows(api, concrete(res), acct) {
				t.Fatalf("the generated policy does not allow the observed call %s on %s:\n%s", api, res, text)
			}
			deps := cat.DependentsOf(api)
			a, _ := cat.Action(api)
			for _, need := range a.Dependent {
				i := slices.IndexFunc(deps, func(d catalog.Dependent) bool { return strings.EqualFold(d.Needs, need) })
				if i < 0 {
					t.Errorf("%s lists %s as dependent action, DependentsOf does not return it", api, need)
					continue
				}
				d := deps[i]
				if d.When != "" {
					if !slices.ContainsFunc(g.Notes, func(n string) bool { return strings.Contains(n, "REVIEW: "+api+" also needs "+d.Needs) }) {
						t.Errorf("%s → %s (when %s): no review note:\n%s", api, d.Needs, d.When, strings.Join(g.Notes, "\n"))
					}
					continue
				}
				needRes := gc.firstResourceOf(d.Needs)
				if needRes == "" {
					t.Errorf("%s needs %s (%s): not in the generated policy:\n%s", api, d.Needs, d.Source, text)
					continue
				}
				needRes = concrete(needRes)
				if !allows(d.Needs, needRes, acct) {
					t.Errorf("%s needs %s, not allowed on %s:\n%s", api, d.Needs, needRes, text)
				}
				if strings.Contains(needRes, ":"+acct+":") {
					if o := strings.Replace(needRes, ":"+acct+":", ":"+other+":", 1); allows(d.Needs, o, other) {
						t.Errorf("%s allowed on another account's %s:\n%s", d.Needs, o, text)
					}
				}
				granted++
			}
		})
	}
	if granted == 0 {
		t.Error("no dependency of the extract was granted: the test checked nothing")
	}
}
