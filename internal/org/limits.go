package org

import "github.com/seiri-dev/seiri/internal/config"

// Limits are the AWS Organizations quotas seiri validates a spec against.
// They are data, not constants: AWS changes them (SCPs went from 5,120
// characters and 5 per target to 10,240 and 10 on 2026-05-15) and an
// organization may have different quotas, so seiri.yaml can override each.
type Limits struct {
	SCPSize              int `json:"scpSize"`
	SCPsPerTarget        int `json:"scpsPerTarget"`
	RCPSize              int `json:"rcpSize"`
	RCPsPerTarget        int `json:"rcpsPerTarget"`
	TagPolicySize        int `json:"tagPolicySize"`
	TagPoliciesPerTarget int `json:"tagPoliciesPerTarget"`
	// OtherPolicySize / OtherPerTarget cover backup, declarative, AI opt-out
	// and chatbot policies.
	OtherPolicySize int `json:"otherPolicySize"`
	OtherPerTarget  int `json:"otherPoliciesPerTarget"`
	OUDepth         int `json:"ouDepth"` // levels of OUs under the root
	OUs             int `json:"ous"`

	OUNameMax      int `json:"ouNameMax"`
	AccountNameMax int `json:"accountNameMax"`
	EmailMin       int `json:"emailMin"`
	EmailMax       int `json:"emailMax"`
	PolicyNameMax  int `json:"policyNameMax"`
	DescriptionMax int `json:"descriptionMax"`
}

// DefaultLimits are the current AWS values.
func DefaultLimits() Limits {
	return Limits{
		// Quotas for AWS Organizations ("Maximum size of a policy document",
		// "Maximum number of policies attached per root/OU/account"); SCP raised
		// on 2026-05-15.
		SCPSize:              10240,
		SCPsPerTarget:        10,
		RCPSize:              5120,
		RCPsPerTarget:        5,
		TagPolicySize:        10000,
		TagPoliciesPerTarget: 10,
		OtherPolicySize:      10000,
		OtherPerTarget:       10,
		// Quotas for AWS Organizations: "OU maximum nesting in a root: five
		// levels of OUs deep under a root"; 2,000 OUs per organization.
		OUDepth: 5,
		OUs:     2000,
		// API reference: CreateOrganizationalUnit Name 1–128; CreateAccount
		// AccountName 1–50, Email 6–64; CreatePolicy Name 1–128, Description ≤ 512.
		OUNameMax:      128,
		AccountNameMax: 50,
		EmailMin:       6,
		EmailMax:       64,
		PolicyNameMax:  128,
		DescriptionMax: 512,
	}
}

// LimitsFrom returns the defaults overridden by the org.limits section of
// seiri.yaml (0 keeps a default). A nil config gives the defaults.
func LimitsFrom(c *config.Config) Limits {
	l := DefaultLimits()
	if c == nil {
		return l
	}
	o := c.Org.Limits
	set := func(dst *int, v int) {
		if v > 0 {
			*dst = v
		}
	}
	set(&l.SCPSize, o.SCPSize)
	set(&l.SCPsPerTarget, o.SCPsPerTarget)
	set(&l.RCPSize, o.RCPSize)
	set(&l.RCPsPerTarget, o.RCPsPerTarget)
	set(&l.TagPolicySize, o.TagPolicySize)
	set(&l.TagPoliciesPerTarget, o.TagPoliciesPerTarget)
	set(&l.OtherPolicySize, o.OtherPolicySize)
	set(&l.OtherPerTarget, o.OtherPerTarget)
	set(&l.OUDepth, o.OUDepth)
	set(&l.OUs, o.OUs)
	return l
}

// SizeFor returns the maximum document size (characters) of a policy type.
func (l Limits) SizeFor(t PolicyType) int {
	switch t {
	case SCP:
		return l.SCPSize
	case RCP:
		return l.RCPSize
	case TagPolicy:
		return l.TagPolicySize
	default:
		return l.OtherPolicySize
	}
}

// PerTargetFor returns how many policies of a type one target may have.
func (l Limits) PerTargetFor(t PolicyType) int {
	switch t {
	case SCP:
		return l.SCPsPerTarget
	case RCP:
		return l.RCPsPerTarget
	case TagPolicy:
		return l.TagPoliciesPerTarget
	default:
		return l.OtherPerTarget
	}
}
