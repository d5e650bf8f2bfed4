package org

import (
	"fmt"
	"time"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// AWS Organizations refuses an AttachPolicy that would give a target more
// policies of a type than the quota allows (ConstraintViolationException,
// POLICY_NUMBER_LIMIT_EXCEEDED; Organizations user guide, "Quotas for AWS
// Organizations"). A plan that attaches a target's new policies before
// detaching its old ones goes over the quota mid-apply when the target is
// full: detaches of the same target and type are moved ahead of the attach
// that needs the room, as long as the target keeps an allowing SCP.

// DiffLimits is Diff with the per-target quotas of lim: the plan's order
// keeps every prefix within them.
func DiffLimits(d *Document, desired, current *State, lim Limits) ([]Change, error) {
	changes, err := diff(d, desired, current)
	if err != nil {
		return nil, err
	}
	if changes, err = orderForQuota(current, changes, lim); err != nil {
		return nil, err
	}
	if err := checkSteps(current, changes, lim); err != nil {
		return nil, err
	}
	return changes, nil
}

// NewPlanLimits is NewPlan with the per-target quotas of lim.
func NewPlanLimits(d *Document, desired *State, o *snapshot.Organization, now time.Time, lim Limits) (*Plan, error) {
	current, err := FromSnapshot(o)
	if err != nil {
		return nil, err
	}
	changes, err := DiffLimits(d, desired, current, lim)
	if err != nil {
		return nil, err
	}
	return &Plan{Version: PlanVersion, Organization: o.ID, BaseFingerprint: Fingerprint(o), Spec: d.Path, CreatedAt: now.UTC(),
		Findings: current.Leftovers, Changes: changes}, nil
}

// attachedOfType counts the policies of type t attached to target.
func (s *State) attachedOfType(target string, t PolicyType) int {
	n := 0
	for k := range s.Attachments[target] {
		if p := s.Policies[k]; p != nil && p.Type == t {
			n++
		}
	}
	return n
}

// quotaOK reports whether an attach of a t policy to target fits: the
// count after it is within the quota, or no higher than before the plan
// (a target already over a lowered quota is not the plan's doing).
func quotaOK(base, s *State, target string, t PolicyType, lim Limits) bool {
	n := s.attachedOfType(target, t) + 1
	return n <= lim.PerTargetFor(t) || n <= base.attachedOfType(target, t)
}

func orderForQuota(base *State, changes []Change, lim Limits) ([]Change, error) {
	s := base.Clone()
	out := make([]Change, 0, len(changes))
	used := make([]bool, len(changes))
	for i, c := range changes {
		if used[i] {
			continue
		}
		if a, ok := c.(*AttachPolicy); ok {
			for !quotaOK(base, s, a.TargetKey, a.PolicyType, lim) {
				j := roomMaker(s, changes, used, i, a)
				if j < 0 {
					return nil, fmt.Errorf("%s: %s already has %d %s policies, the quota per target (%d); no detach of this plan can make room first without leaving it without an allowing SCP: detach one in a separate plan",
						c.Describe(), a.TargetKey, s.attachedOfType(a.TargetKey, a.PolicyType), ShortType(a.PolicyType), lim.PerTargetFor(a.PolicyType))
				}
				if err := changes[j].apply(s); err != nil {
					return nil, fmt.Errorf("internal error: %s: %w", changes[j].Describe(), err)
				}
				out, used[j] = append(out, changes[j]), true
			}
		}
		if err := c.apply(s); err != nil {
			return nil, fmt.Errorf("internal error: plan step %d (%s): %w", len(out)+1, c.Describe(), err)
		}
		out, used[i] = append(out, c), true
	}
	return out, nil
}

// roomMaker finds a later detach from the attach's target of the same type
// whose removal leaves the target with an allowing SCP (-1: none).
func roomMaker(s *State, changes []Change, used []bool, after int, a *AttachPolicy) int {
	for j := after + 1; j < len(changes); j++ {
		d, ok := changes[j].(*DetachPolicy)
		if used[j] || !ok || d.TargetKey != a.TargetKey || d.PolicyType != a.PolicyType {
			continue
		}
		if d.PolicyType != SCP {
			return j
		}
		k := PolicyKey(d.PolicyType, d.PolicyName)
		if !s.Attachments[d.TargetKey][k] {
			continue
		}
		delete(s.Attachments[d.TargetKey], k)
		allows := s.targetAllows(d.TargetKey)
		s.Attachments[d.TargetKey][k] = true
		if allows {
			return j
		}
	}
	return -1
}
