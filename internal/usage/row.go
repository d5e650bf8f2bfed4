// Package usage is seiri's record of what was really used: one row per
// (account, principal, principal type, access key, action, resource, error
// code) with when, how often and from where. Both CloudTrail engines (the
// local scanner in internal/trail and the Athena engine) produce Rows and merge
// them into the same SQLite store with Store.Commit, so every analysis reads
// one table whatever engine filled it.
package usage

import (
	"slices"
	"strings"
	"time"
)

// MaxSamples bounds every sample list of a Row (source IPs, user agents,
// VPC endpoints, session names, source identities): the fingerprint needs a
// few examples, not a log.
const MaxSamples = 5

// Key is the aggregation key of a usage row. Empty strings mean "not present
// in the log" (for example no access key for AWS service calls, no resource
// for list calls, no error code for successful calls).
type Key struct {
	Account       string `json:"account"`       // recipient account of the call
	Principal     string `json:"principal"`     // normalized principal (see PrincipalType)
	PrincipalType string `json:"principalType"` // IAMUser, AssumedRole, IdentityCenter, Root, AWSService, FederatedUser, AWSAccount, ...
	AccessKeyID   string `json:"accessKeyId,omitempty"`
	Action        string `json:"action"`             // IAM action "service:Name", or "service:EventName" for non-authorization events
	Resource      string `json:"resource,omitempty"` // ARN
	ErrorCode     string `json:"errorCode,omitempty"`
	// Region is the call's awsRegion (what aws:RequestedRegion holds); ""
	// in rows recorded before schema 2. Last in the key so that the order
	// of older rows does not change.
	Region string `json:"region,omitempty"`
}

// Less orders keys field by field (the order rows are listed in).
func (k Key) Less(o Key) bool { return k.Compare(o) < 0 }

// Compare orders keys field by field.
func (k Key) Compare(o Key) int {
	for _, c := range [...]int{
		strings.Compare(k.Account, o.Account),
		strings.Compare(k.Principal, o.Principal),
		strings.Compare(k.PrincipalType, o.PrincipalType),
		strings.Compare(k.AccessKeyID, o.AccessKeyID),
		strings.Compare(k.Action, o.Action),
		strings.Compare(k.Resource, o.Resource),
		strings.Compare(k.ErrorCode, o.ErrorCode),
		strings.Compare(k.Region, o.Region),
	} {
		if c != 0 {
			return c
		}
	}
	return 0
}

// Row is one aggregated usage record.
type Row struct {
	Key
	FirstSeen time.Time `json:"firstSeen"`
	LastSeen  time.Time `json:"lastSeen"`
	Count     int64     `json:"count"`
	// Authz is false for events that are not IAM authorization decisions
	// (console sign-in, AWS service events, Insights): they show activity but
	// grant nothing to learn from.
	Authz bool `json:"authz"`
	// IPClasses is the set of source address classes seen: "aws-service:<name>"
	// (sourceIPAddress is a service name), "aws-internal", "private",
	// "public", "ipv6".
	IPClasses        []string `json:"ipClasses,omitempty"`
	SourceIPs        []string `json:"sourceIps,omitempty"`        // ≤ MaxSamples
	UserAgents       []string `json:"userAgents,omitempty"`       // ≤ MaxSamples
	VPCEndpoints     []string `json:"vpcEndpoints,omitempty"`     // ≤ MaxSamples
	Sessions         []string `json:"sessions,omitempty"`         // role session / federated user names, ≤ MaxSamples
	SourceIdentities []string `json:"sourceIdentities,omitempty"` // sts source identity, ≤ MaxSamples
}

// PermissionSet returns the IAM Identity Center permission set name of a row
// whose principal is an AWSReservedSSO_<name>_<suffix> role, else "".
func (r *Row) PermissionSet() string { return PermissionSetOf(r.Principal) }

// CrossAccount reports whether the principal belongs to another account than
// the one that received the call (from the principal's ARN).
func (r *Row) CrossAccount() bool {
	acct := AccountOfARN(r.Principal)
	return acct != "" && r.Account != "" && acct != r.Account
}

// Merge folds o (same key) into r: counts add, first seen is the minimum,
// last seen the maximum, sample sets are unioned and bounded.
func (r *Row) Merge(o *Row) {
	r.Count += o.Count
	if r.FirstSeen.IsZero() || (!o.FirstSeen.IsZero() && o.FirstSeen.Before(r.FirstSeen)) {
		r.FirstSeen = o.FirstSeen
	}
	if o.LastSeen.After(r.LastSeen) {
		r.LastSeen = o.LastSeen
	}
	r.Authz = r.Authz || o.Authz
	r.IPClasses = MergeSet(r.IPClasses, o.IPClasses, 0)
	r.SourceIPs = MergeSet(r.SourceIPs, o.SourceIPs, MaxSamples)
	r.UserAgents = MergeSet(r.UserAgents, o.UserAgents, MaxSamples)
	r.VPCEndpoints = MergeSet(r.VPCEndpoints, o.VPCEndpoints, MaxSamples)
	r.Sessions = MergeSet(r.Sessions, o.Sessions, MaxSamples)
	r.SourceIdentities = MergeSet(r.SourceIdentities, o.SourceIdentities, MaxSamples)
}

// MergeSet returns the sorted union of a and b, keeping at most max values
// (0: no bound). Keeping the smallest values makes the sample deterministic
// whatever order files were read in, so both engines produce equal rows.
func MergeSet(a, b []string, max int) []string {
	if len(b) == 0 {
		return a
	}
	out := make([]string, 0, len(a)+len(b))
	out = append(out, a...)
	for _, v := range b {
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	if max > 0 && len(out) > max {
		out = out[:max:max]
	}
	return out
}

// PermissionSetOf extracts the permission set name from an Identity Center
// role ARN (arn:aws:iam::ACCOUNT:role/aws-reserved/sso.amazonaws.com/[REGION/]AWSReservedSSO_NAME_HEX).
// IAM Identity Center user guide, "Referencing permission sets in resource
// policies": roles are named AWSReservedSSO_<permission set name>_<unique suffix>.
func PermissionSetOf(principal string) string {
	i := strings.LastIndex(principal, "/AWSReservedSSO_")
	if i < 0 {
		return ""
	}
	name := principal[i+len("/AWSReservedSSO_"):]
	if j := strings.LastIndexByte(name, '_'); j > 0 {
		name = name[:j]
	}
	return name
}

// AccountOfARN returns the account field of an ARN, or "".
func AccountOfARN(arn string) string {
	if !strings.HasPrefix(arn, "arn:") {
		return ""
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
