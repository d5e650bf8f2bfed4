package org

import "fmt"

// LockoutRisk is a change apply must refuse without --force-lockout-risk.
type LockoutRisk struct {
	Step   int    `json:"step"` // 1-based index in the plan
	Change string `json:"change"`
	Reason string `json:"reason"`
}

func (r LockoutRisk) String() string {
	return fmt.Sprintf("step %d (%s): %s", r.Step, r.Change, r.Reason)
}

// LockoutRisks finds, by simulating the plan on base, the lockouts that can
// be decided without evaluating policies against requests:
//   - a deny-all SCP (every action on every resource, at most a principal
//     exemption) ends up attached to the root, by an attach or an update;
//   - the root is left without an allowing SCP;
//   - the account seiri runs from (callerAccount) is moved into the
//     Suspended OU, or under an OU that has a deny-all SCP.
//
// Whether the caller's own role keeps the Organizations and IAM actions it
// needs takes the policy engine and is checked by apply separately.
func LockoutRisks(base *State, changes []Change, callerAccount string) []LockoutRisk {
	var out []LockoutRisk
	s := base.Clone()
	for i, c := range changes {
		if err := c.apply(s); err != nil {
			return append(out, LockoutRisk{Step: i + 1, Change: c.Describe(), Reason: "cannot be simulated: " + err.Error()})
		}
		risk := func(format string, args ...any) {
			out = append(out, LockoutRisk{Step: i + 1, Change: c.Describe(), Reason: fmt.Sprintf(format, args...)})
		}
		switch ch := c.(type) {
		case *AttachPolicy:
			p := s.Policies[PolicyKey(ch.PolicyType, ch.PolicyName)]
			if ch.TargetKey == RootTarget && p != nil && p.Type == SCP {
				if f := Facts(p.Content); f.DenyAll {
					risk("attaches a deny-all SCP to the root%s: every member account is locked out", exemptNote(f))
				}
			}
		case *UpdatePolicy:
			if s.Attachments[RootTarget][PolicyKey(ch.Type, ch.Name)] && ch.Type == SCP {
				if f := Facts(ch.Content); f.DenyAll {
					risk("turns an SCP attached to the root into a deny-all%s", exemptNote(f))
				}
			}
		case *DetachPolicy:
			if ch.TargetKey == RootTarget && s.scpsEnabled() && !s.targetAllows(RootTarget) {
				risk("leaves the root without an allowing SCP: every member account is locked out")
			}
		case *MoveAccount:
			if callerAccount == "" || ch.AccountID != callerAccount {
				continue
			}
			if s.SuspendedOU != "" && (ch.To == s.SuspendedOU || isUnder(ch.To, s.SuspendedOU)) {
				risk("moves the account seiri runs from (%s) into the Suspended OU", callerAccount)
				continue
			}
			if callerAccount == s.Management {
				continue // SCPs never apply to the management account
			}
			for p := ch.To; p != ""; p = ParentOf(p) {
				if denyAllAt(s, OUTarget(p)) {
					risk("moves the account seiri runs from (%s) under OU %s, which has a deny-all SCP", callerAccount, p)
					break
				}
			}
		}
	}
	return out
}

func isUnder(path, ancestor string) bool {
	return len(path) > len(ancestor) && path[:len(ancestor)] == ancestor && path[len(ancestor)] == '/'
}

func denyAllAt(s *State, target string) bool {
	for k := range s.Attachments[target] {
		if p := s.Policies[k]; p != nil && p.Type == SCP && p.Facts().DenyAll {
			return true
		}
	}
	return false
}

func exemptNote(f PolicyFacts) string {
	if f.DenyAllExempt {
		return " (only the exempted principals keep access)"
	}
	return ""
}
