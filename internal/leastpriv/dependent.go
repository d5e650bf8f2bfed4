package leastpriv

import (
	"fmt"
	"slices"
	"strings"

	"github.com/seiri-dev/seiri/internal/catalog"
)

// addDependents adds to res (action → resources of a policy being
// generated) the actions the observed ones also need, from the catalog in
// force (Catalog.DependentsOf: the curated table and what the catalog's data
// lists), so the generated policy keeps working: a BatchGetSecretValue call also needs
// secretsmanager:GetSecretValue on each secret. An action already in res is
// left alone (the calls showed its resources). Resources of an added action
// are today's grant of it when that names resources, else the action's
// resource types in the account (never wider than "*" narrowed to the
// account). Dependencies that hold only for some requests (a When) are not
// added: a row does not show the request's shape; they are returned as
// review notes. Returns the notes, sorted.
func addDependents(res map[string]map[string]bool, cat *catalog.Catalog, granted func(action string) ([]string, bool), partition, account string) []string {
	observed := make([]string, 0, len(res))
	for name := range res {
		observed = append(observed, name)
	}
	slices.Sort(observed)
	var added, review []string
	for _, name := range observed {
		for _, d := range cat.DependentsOf(name) {
			needs := d.Needs
			a, known := cat.Action(needs)
			if known {
				needs = a.FullName()
			}
			if _, ok := res[needs]; ok {
				continue
			}
			if d.When != "" {
				review = append(review, fmt.Sprintf("REVIEW: %s also needs %s when %s (%s)", name, needs, d.When, d.Source))
				continue
			}
			set := map[string]bool{}
			switch {
			case d.Scope == catalog.SameResources:
				for r := range res[name] {
					set[r] = true
				}
			case d.Scope == catalog.AnyResource || (known && !a.SupportsResourceLevel()):
				set["*"] = true
			default:
				if rs, ok := granted(needs); ok && !slices.Contains(rs, "*") {
					for _, r := range rs {
						// Today's grant may name resources of other
						// actions of its statement (a bucket next to
						// objects): keep those of this action's types.
						if !known || len(a.ResourceTypesMatching(r)) > 0 {
							set[r] = true
						}
					}
				}
				if len(set) == 0 {
					if known {
						for _, r := range typePatterns(a, partition, account) {
							set[r] = true
						}
					} else {
						set["*"] = true
					}
				}
			}
			res[needs] = set
			added = append(added, fmt.Sprintf("%s (needed by %s: %s)", needs, name, d.Source))
		}
	}
	var notes []string
	if len(added) > 0 {
		slices.Sort(added)
		notes = append(notes, "dependent actions added so the policy keeps working: "+strings.Join(slices.Compact(added), "; "))
	}
	slices.Sort(review)
	return append(notes, slices.Compact(review)...)
}
