package org

import (
	"fmt"
	"sort"
)

// DefaultStagingOU is the OU of AWS's recommended structure where broad
// policy changes are tested first ("Organizing Your AWS Environment Using
// Multiple Accounts", Policy Staging OU).
const DefaultStagingOU = "Policy Staging"

// StageOptions describe a Policy Staging rollout of one policy to one OU.
type StageOptions struct {
	// Policy is the policy to roll out (from the spec: name, type, content).
	Policy *PolicyState
	// Target is the OU path the policy is meant for.
	Target string
	// Canary is the account of the target OU that gets the policy before
	// the whole OU (default: the target's first account by id).
	Canary string
	// TestAccounts are moved into the mirror OU in the first step.
	TestAccounts []string
	// StagingOU is the staging OU's path (default "Policy Staging").
	StagingOU string
	// MaxDepth is the OU depth limit (default 5).
	MaxDepth int
}

// Stage steps.
const (
	StageMirror = 1 // the mirror of the target under Policy Staging (with test accounts)
	StageCanary = 2 // one account of the target OU
	StageOU     = 3 // the whole target OU (and off the canary account)
	StageDone   = 4
)

// StageNames name the steps for people.
var StageNames = map[int]string{StageMirror: "mirror", StageCanary: "canary", StageOU: "ou", StageDone: "done"}

// Stage is the next step of a rollout: its changes, and the target key the
// step attaches to (whose journaled attach time starts the waiting period of
// the next step).
type Stage struct {
	Step      int      `json:"step"`
	Name      string   `json:"name"`
	Changes   []Change `json:"-"`
	AttachTo  string   `json:"attachTo,omitempty"`
	Previous  string   `json:"previous,omitempty"` // target key of the previous step's attach
	Mirror    string   `json:"mirror"`
	Canary    string   `json:"canary,omitempty"`
	Describes []string `json:"changes"`
}

// NextStage works out, from the current organization, which step of the
// rollout comes next and its changes:
//
//  1. create the mirror OU "Policy Staging/<target path>" (and the policy
//     when it does not exist), attach the policy to it, move the test
//     accounts in;
//  2. attach the policy to one canary account of the target OU;
//  3. attach it to the target OU and detach it from the canary account.
//
// A policy that exists with other content is refused: updating it would
// reach everything it is attached to at once, which is what staging avoids.
func NextStage(cur *State, opt StageOptions) (*Stage, error) {
	if opt.Policy == nil {
		return nil, fmt.Errorf("no policy to stage")
	}
	if opt.StagingOU == "" {
		opt.StagingOU = DefaultStagingOU
	}
	if opt.MaxDepth <= 0 {
		opt.MaxDepth = DefaultLimits().OUDepth
	}
	if cur.OUs[opt.Target] == nil {
		return nil, fmt.Errorf("no OU %q in the organization", trim(opt.Target))
	}
	if opt.Target == opt.StagingOU || isUnder(opt.Target, opt.StagingOU) {
		return nil, fmt.Errorf("the target %s is already under %s", opt.Target, opt.StagingOU)
	}
	mirror := opt.StagingOU + "/" + opt.Target
	if depth(mirror) > opt.MaxDepth {
		return nil, fmt.Errorf("the mirror %s would be %d levels deep (limit %d); stage to a shallower OU or shorten the staging OU", mirror, depth(mirror), opt.MaxDepth)
	}
	k := opt.Policy.Key()
	existing := cur.Policies[k]
	if existing != nil && !SameContent(existing.Content, opt.Policy.Content) {
		return nil, fmt.Errorf("%s %q exists with other content: staging rolls out a new policy (give the new version a new name)", ShortType(opt.Policy.Type), opt.Policy.Name)
	}
	st := &Stage{Mirror: mirror}
	var changes []Change
	s := cur.Clone()
	add := func(c Change) error {
		if err := c.apply(s); err != nil {
			return fmt.Errorf("%s: %v", c.Describe(), err)
		}
		changes = append(changes, c)
		return nil
	}
	attached := func(target string) bool { return cur.Attachments[target][k] }
	canary := opt.Canary
	if canary == "" {
		var ids []string
		for id, a := range cur.Accounts {
			if a.Parent == opt.Target && a.ID != "" {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			if attached(AccountTarget(id)) {
				canary = id // a rollout in progress
				break
			}
		}
		if canary == "" && len(ids) > 0 {
			canary = ids[0]
		}
	} else if a := cur.Accounts[canary]; a == nil || a.Parent != opt.Target {
		return nil, fmt.Errorf("canary account %s is not directly in OU %s", canary, opt.Target)
	}
	st.Canary = canary
	switch {
	case !attached(OUTarget(mirror)) && !attached(OUTarget(opt.Target)):
		st.Step, st.AttachTo = StageMirror, OUTarget(mirror)
		if existing == nil {
			p := opt.Policy
			if err := add(&CreatePolicy{Name: p.Name, Type: p.Type, Description: p.Description, Content: compactJSON(p.Content), Source: p.Source}); err != nil {
				return nil, err
			}
		}
		path := ""
		for _, part := range splitPath(mirror) {
			if path == "" {
				path = part
			} else {
				path += "/" + part
			}
			if s.OUs[path] == nil {
				c := &CreateOU{Path: path, Name: part}
				if p := ParentOf(path); p == "" {
					c.ParentID = s.RootID
				} else if ou := s.OUs[p]; ou != nil {
					c.ParentID = ou.ID
				}
				if err := add(c); err != nil {
					return nil, err
				}
			}
		}
		if err := add(&AttachPolicy{PolicyName: opt.Policy.Name, PolicyType: opt.Policy.Type, PolicyID: policyIDOf(cur, k), TargetKey: OUTarget(mirror), TargetID: ouIDOf(cur, mirror)}); err != nil {
			return nil, err
		}
		for _, id := range opt.TestAccounts {
			a := cur.Accounts[id]
			if a == nil {
				return nil, fmt.Errorf("test account %s is not in the organization", id)
			}
			if id == cur.Management {
				return nil, fmt.Errorf("test account %s is the management account, which SCPs never affect: it tests nothing", id)
			}
			if a.Parent == mirror {
				continue
			}
			if err := add(&MoveAccount{AccountID: id, AccountName: a.Name, From: a.Parent, To: mirror, FromID: ouIDOf(cur, a.Parent), ToID: ouIDOf(cur, mirror)}); err != nil {
				return nil, err
			}
		}
	case canary != "" && !attached(AccountTarget(canary)) && !attached(OUTarget(opt.Target)):
		st.Step, st.AttachTo, st.Previous = StageCanary, AccountTarget(canary), OUTarget(mirror)
		if err := add(&AttachPolicy{PolicyName: opt.Policy.Name, PolicyType: opt.Policy.Type, PolicyID: policyIDOf(cur, k), TargetKey: AccountTarget(canary), TargetID: canary}); err != nil {
			return nil, err
		}
	case !attached(OUTarget(opt.Target)):
		st.Step, st.AttachTo, st.Previous = StageOU, OUTarget(opt.Target), AccountTarget(canary)
		if canary == "" {
			st.Previous = OUTarget(mirror)
		}
		if err := add(&AttachPolicy{PolicyName: opt.Policy.Name, PolicyType: opt.Policy.Type, PolicyID: policyIDOf(cur, k), TargetKey: OUTarget(opt.Target), TargetID: ouIDOf(cur, opt.Target)}); err != nil {
			return nil, err
		}
		if canary != "" && attached(AccountTarget(canary)) {
			if err := add(&DetachPolicy{PolicyName: opt.Policy.Name, PolicyType: opt.Policy.Type, PolicyID: policyIDOf(cur, k), TargetKey: AccountTarget(canary), TargetID: canary}); err != nil {
				return nil, err
			}
		}
	default:
		st.Step = StageDone
	}
	st.Name = StageNames[st.Step]
	st.Changes = changes
	for _, c := range changes {
		st.Describes = append(st.Describes, c.Describe())
	}
	return st, nil
}

func splitPath(p string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return out
}

func policyIDOf(s *State, k string) string {
	if p := s.Policies[k]; p != nil {
		return p.ID
	}
	return ""
}

func ouIDOf(s *State, path string) string {
	if path == "" {
		return s.RootID
	}
	if ou := s.OUs[path]; ou != nil {
		return ou.ID
	}
	return ""
}
