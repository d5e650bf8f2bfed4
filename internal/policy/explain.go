package policy

import (
	"strconv"
)

// Reason is the printable explanation of a Result.
type Reason struct {
	Gate         string `json:"gate"`
	Policy       string `json:"policy,omitempty"`
	Statement    *int   `json:"statement,omitempty"`
	Sid          string `json:"sid,omitempty"`
	CrossAccount bool   `json:"crossAccount"`
	Message      string `json:"message"`
	// Undetermined names the policy the decision depends on that the
	// request did not carry ("key-policy"); empty when determined.
	Undetermined string `json:"undetermined,omitempty"`
}

// PolicyLabel names the deciding policy with the case format's field names:
// identityPolicies[2], resourcePolicy, permissionBoundary, sessionPolicy,
// scps[1][0], rcps[0][0]; scps[1] for an SCP level that allowed nothing.
func (r Result) PolicyLabel() string {
	switch r.Source {
	case SourceIdentity:
		if r.Statement < 0 {
			return "identityPolicies"
		}
		return "identityPolicies[" + strconv.Itoa(r.PolicyIndex) + "]"
	case SourceResource:
		return "resourcePolicy"
	case SourceVPCEndpoint:
		return "vpcEndpointPolicies[" + strconv.Itoa(r.PolicyIndex) + "]"
	case SourceBoundary:
		return "permissionBoundary"
	case SourceSession:
		return "sessionPolicy"
	case SourceSCP, SourceRCP:
		name := "scps"
		if r.Source == SourceRCP {
			name = "rcps"
		}
		if r.Statement < 0 {
			return name + "[" + strconv.Itoa(r.Level) + "]"
		}
		return name + "[" + strconv.Itoa(r.Level) + "][" + strconv.Itoa(r.PolicyIndex) + "]"
	}
	return ""
}

// Explain builds the Reason of a result.
func (r Result) Explain() Reason {
	re := Reason{Gate: r.Gate.String(), Policy: r.PolicyLabel(), Sid: r.Sid, CrossAccount: r.CrossAccount, Undetermined: r.Undetermined.String()}
	if r.Statement >= 0 {
		st := r.Statement
		re.Statement = &st
	}
	where := re.Policy
	if r.Statement >= 0 {
		where += " statement " + strconv.Itoa(r.Statement)
		if r.Sid != "" {
			where += " (" + r.Sid + ")"
		}
	}
	switch r.Gate {
	case GateExplicitDeny:
		re.Message = "explicitly denied by " + where
	case GateSCP:
		re.Message = "no SCP attached at level " + strconv.Itoa(r.Level) + " (root = 0) allows the request"
	case GateResource:
		switch {
		case r.Decision == AllowDecision:
			re.Message = "allowed by " + where
		case r.CrossAccount:
			re.Message = "cross-account request: the resource-based policy does not allow the caller"
		case r.Undetermined == MissingKeyPolicy:
			re.Message = "the request carries no key policy: a KMS key's key policy must allow its use, so the decision depends on it (undetermined)"
		default:
			re.Message = "the key policy or role trust policy does not allow the caller"
		}
	case GateIdentity:
		if r.Decision == AllowDecision {
			re.Message = "allowed by " + where
		} else {
			re.Message = "no identity-based policy allows the request"
		}
	case GateBoundary:
		re.Message = "the permissions boundary does not allow the request"
	case GateSession:
		re.Message = "the session policy does not allow the request"
	case GateRoot:
		re.Message = "the account root user has full access in its own account"
	case GateNoPolicy:
		re.Message = "no resource-based policy allows this anonymous or service caller"
	case GateAWSOwned:
		re.Message = "the resource is owned by AWS (AWS managed policy, aws-reserved or service-linked role, alias/aws/*): the call fails whatever the policies allow"
	case GateNoPermission:
		re.Message = "sts:GetCallerIdentity needs no permission and cannot be denied"
	case GateVPCEndpoint:
		re.Message = "the VPC endpoint policy " + re.Policy + " does not allow the request"
	}
	if r.Undetermined != MissingNone && r.Gate != GateResource {
		re.Message += " (undetermined: the request carries no key policy)"
	}
	return re
}
