package policy

import (
	"slices"
	"strings"
)

// What a decision reads. A caller that asks the evaluator the same question
// for several principals (leastpriv asks "may this user do X" for every
// user with the same policies) can share one answer where it proves that
// the answer cannot differ: Evaluate reads a request's context only through
// the statements that cover its action (their conditions, and the policy
// variables of their Resource, NotResource and condition values), so two
// requests that differ only in context keys none of those statements reads
// get the same decision. These functions expose exactly that, with the
// evaluator's own compiled forms.

// ContextKeys returns the lower-cased context keys the statement reads when
// the evaluator decides a request on it: the keys of its Condition block,
// and the keys of the policy variables in its Resource or NotResource and
// in its condition values (only a policy that substitutes variables has
// any). Sorted, without repeats; nil when it reads none.
func (st *Statement) ContextKeys() []string {
	var out []string
	vars := func(t *tmpl) {
		for i := range t.parts {
			if t.parts[i].kind == partVar {
				out = append(out, t.parts[i].key)
			}
		}
	}
	for i := range st.resources {
		vars(&st.resources[i])
	}
	for i := range st.conds {
		out = append(out, st.conds[i].key)
		for j := range st.conds[i].vals {
			vars(&st.conds[i].vals[j].t)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// CoversAction reports whether the statement's Action (or NotAction)
// covers the action, with the evaluator's own matcher: a statement that
// does not cover an action takes no part in any decision on it, whatever
// its resources, conditions and principal.
func (st *Statement) CoversAction(action string) bool {
	svc, _, _ := strings.Cut(action, ":")
	in := false
	for i := range st.actions {
		ap := &st.actions[i]
		if s := ap.service(); s != nil && !equalFoldASCIIBytes(s, svc) {
			continue
		}
		if ap.match(action) {
			in = true
			break
		}
	}
	return in != st.NotAction
}

// DifferingKeys returns the lower-cased keys set in only one of c and o, or
// set to different values (or one single-valued, the other multivalued).
// Sorted; nil when both contexts hold the same keys and values.
func (c *Context) DifferingKeys(o *Context) []string {
	var ids []int32
	for _, e := range c.ents {
		f, ok := o.ent(e.id)
		if !ok || f.multi != e.multi || !slices.Equal(f.vals, e.vals) {
			ids = append(ids, e.id)
		}
	}
	for _, f := range o.ents {
		if _, ok := c.ent(f.id); !ok {
			ids = append(ids, f.id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	out := make([]string, 0, len(ids))
	keyIDs.RLock()
	for k, id := range keyIDs.m {
		if slices.Contains(ids, id) {
			out = append(out, k)
		}
	}
	keyIDs.RUnlock()
	slices.Sort(out)
	return out
}

func (c *Context) ent(id int32) (ctxEnt, bool) {
	for _, e := range c.ents {
		if e.id == id {
			return e, true
		}
	}
	return ctxEnt{}, false
}
