package unused

import (
	"sort"

	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/risk"
)

// opensPathNote marks an unused permission that opens a privilege-escalation
// path (internal/risk: Analysis.OpensPath).
const opensPathNote = "opens a path to administrator"

// actionView is an unused action with its escalation mark.
type actionView struct {
	leastpriv.ActionVerdict
	OpensPath bool `json:"opensPath"`
}

// principalView is a principal's result with its unused actions marked;
// the actions that open an escalation path come first.
type principalView struct {
	// Snapshot names the snapshot analysed (the window is the result's);
	// empty inside the organization view, which names it once.
	Snapshot string `json:"snapshot,omitempty"`
	*leastpriv.PrincipalResult
	Actions []actionView `json:"unusedActions,omitempty"`
	// OpeningUnused counts the unused permissions that open a path.
	OpeningUnused int `json:"unusedOpeningPath"`
}

// orgView is the organization view with every principal marked.
type orgView struct {
	// Snapshot names the snapshot analysed (the window is the view's).
	Snapshot string `json:"snapshot"`
	*leastpriv.OrgView
	Principals []principalView `json:"principals"`
}

// markEscalation orders r's unused actions so that those opening an
// escalation path of the principal come first (risk order kept within
// each part) and marks them.
func markEscalation(an *risk.Analysis, r *leastpriv.PrincipalResult) principalView {
	v := principalView{PrincipalResult: r}
	for _, a := range r.Actions {
		o := an != nil && an.OpensPath(r.Principal, a.Action)
		if o {
			v.OpeningUnused++
		}
		v.Actions = append(v.Actions, actionView{ActionVerdict: a, OpensPath: o})
	}
	sort.SliceStable(v.Actions, func(i, j int) bool { return v.Actions[i].OpensPath && !v.Actions[j].OpensPath })
	for i := range v.Actions {
		r.Actions[i] = v.Actions[i].ActionVerdict
	}
	return v
}

func markOrg(an *risk.Analysis, o *leastpriv.OrgView) orgView {
	v := orgView{OrgView: o, Principals: make([]principalView, 0, len(o.Principals))}
	for _, r := range o.Principals {
		v.Principals = append(v.Principals, markEscalation(an, r))
	}
	return v
}
