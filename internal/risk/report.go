package risk

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// PrincipalReport is everything `seiri risk paths PRINCIPAL` shows: whether
// the principal already is an administrator, its shortest paths, every
// method it can perform, and the permissions that open its paths.
type PrincipalReport struct {
	Principal string `json:"principal"`
	Admin     bool   `json:"administrator"`
	// AdminEvidence names a statement that grants the administrator access.
	AdminEvidence []Evidence `json:"administratorEvidence,omitempty"`
	Paths         []Path     `json:"paths"`
	Methods       []Step     `json:"methods"`
	// OpeningActions are the permissions to remove first.
	OpeningActions []string `json:"openingActions"`
	// Problems are policies of the principal seiri could not read: paths
	// through them are missing.
	Problems []string `json:"problems,omitempty"`
}

// Report builds the report of one principal (by ARN; a role ARN without
// its path or an assumed-role session ARN finds the role).
func (an *Analysis) Report(arn string) (*PrincipalReport, error) {
	n := an.Node(arn)
	if n == nil {
		return nil, fmt.Errorf("principal %q is not in the snapshot", arn)
	}
	paths, _ := an.PathsOf(n.P.ARN)
	r := &PrincipalReport{Principal: n.P.ARN, Admin: n.Admin, AdminEvidence: n.AdminEvidence, Paths: paths,
		Methods: an.Steps(n.P.ARN), OpeningActions: an.OpeningActions(n.P.ARN), Problems: n.P.Problems}
	if r.Paths == nil {
		r.Paths = []Path{}
	}
	if r.Methods == nil {
		r.Methods = []Step{}
	}
	return r, nil
}

// OpensPath reports whether action (as the catalogue spells it, any case
// of the service prefix) is one of the principal's opening permissions.
func (an *Analysis) OpensPath(arn, action string) bool {
	return slices.ContainsFunc(an.OpeningActions(arn), func(a string) bool { return strings.EqualFold(a, action) })
}

// WritePaths prints paths as text, one step per line with the statements
// that allow it.
func WritePaths(w io.Writer, ps []Path) error {
	for _, p := range ps {
		kind := "proven"
		if p.Possible {
			kind = "possible"
		}
		goal := p.Goal
		if goal == GoalAdmin {
			goal += " of " + p.Account
		}
		if _, err := fmt.Fprintf(w, "%s -> %s (%s, %d steps)\n", p.Principal, goal, kind, len(p.Steps)); err != nil {
			return err
		}
		for i, s := range p.Steps {
			line := fmt.Sprintf("  %d. %s: %s -> %s", i+1, s.Method, s.From, s.To)
			if s.Via != "" {
				line += " via " + s.Via
			}
			if _, err := fmt.Fprintln(w, line); err != nil {
				return err
			}
			for _, e := range s.Allowed {
				if _, err := fmt.Fprintf(w, "     %s\n", e); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
