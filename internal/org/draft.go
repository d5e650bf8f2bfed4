package org

import (
	"fmt"
	"regexp"
	"strings"
)

var accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)

// TargetKey resolves what a user names as a target — "root", an account id
// or an OU path ("Workloads/Prod", with or without a leading "ou:") — to a
// target key of s.
func (s *State) TargetKey(target string) (string, error) {
	t := strings.Trim(strings.TrimSpace(target), "/")
	switch {
	case t == "" || strings.EqualFold(t, "root") || t == s.RootID:
		return RootTarget, nil
	case accountIDRE.MatchString(t):
		if s.Accounts[t] == nil {
			return "", fmt.Errorf("account %s is not in the organization", t)
		}
		return AccountTarget(t), nil
	}
	t = strings.TrimPrefix(t, "ou:")
	if s.OUs[t] != nil {
		return OUTarget(t), nil
	}
	for p, ou := range s.OUs {
		if ou.ID == t {
			return OUTarget(p), nil
		}
	}
	return "", fmt.Errorf("no OU %q in the organization (name OUs by path, e.g. Workloads/Prod, or by id)", trim(target))
}

// WithDraft returns a copy of s with a draft policy attached to target (a
// target key), for `seiri scp simulate`. A policy of the same name is
// replaced.
func (s *State) WithDraft(name string, t PolicyType, content, target string) (*State, error) {
	if !Facts(content).Valid {
		return nil, fmt.Errorf("policy %q is not a JSON policy document", name)
	}
	c := s.Clone()
	p := &PolicyState{Name: name, Type: t, Content: compactJSON(content)}
	c.Policies[p.Key()] = p
	c.attach(target, p.Key())
	return c, nil
}
