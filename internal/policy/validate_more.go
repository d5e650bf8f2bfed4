package policy

import (
	"strconv"
	"strings"

	"github.com/seiri-dev/seiri/internal/catalog"
)

// Checks IAM Access Analyzer's policy validation also makes (IAM User
// Guide, "IAM Access Analyzer policy check reference"): malformed resource
// ARNs and principals, wildcards where IAM does not take them, and set
// operators that do not fit the condition key.
const (
	CodeBadResourceARN    = "RESOURCE_ARN_MALFORMED"
	CodeIAMTypeWildcard   = "RESOURCE_TYPE_WILDCARD"
	CodeSetOpSingleValued = "CONDITION_SET_OPERATOR_ON_SINGLE_VALUED_KEY"
	CodeMultiValuedNoSet  = "CONDITION_MULTIVALUED_KEY_WITHOUT_SET_OPERATOR"
	CodeIncompleteARN     = "RESOURCE_ARN_INCOMPLETE"
)

// partitions are the AWS partitions an ARN may name (AWS General Reference,
// "Amazon Resource Names (ARNs)").
var partitions = map[string]bool{"aws": true, "aws-cn": true, "aws-us-gov": true, "aws-iso": true, "aws-iso-b": true, "aws-iso-e": true, "aws-iso-f": true, "aws-eusc": true}

func hasWild(s string) bool { return strings.ContainsAny(s, "*?") }

// arnProblem describes what is wrong with a resource ARN pattern, or "".
func arnProblem(r string) string {
	if r == "*" || strings.Contains(r, "${") {
		return ""
	}
	if !strings.HasPrefix(r, "arn:") {
		return "is not an ARN or \"*\""
	}
	parts := strings.SplitN(r, ":", 6)
	if len(parts) < 6 {
		return "has fewer than the six colon-separated parts of an ARN"
	}
	part, svc, region, acct := parts[1], parts[2], parts[3], parts[4]
	if !partitions[part] && !hasWild(part) {
		return "names an unknown partition " + strconv.Quote(trim(part))
	}
	if svc == "" {
		return "has no service"
	}
	if strings.ContainsAny(region, "/ ") {
		return "has " + strconv.Quote(trim(region)) + " where the region goes (an S3 ARN is arn:aws:s3:::bucket/key)"
	}
	if acct != "" && acct != "aws" && !hasWild(acct) && !isAccountID(acct) {
		return "has account " + strconv.Quote(trim(acct)) + ", which is not a 12-digit account id"
	}
	return ""
}

// iamTypeWildcard reports an IAM ARN whose resource type carries a
// wildcard (arn:aws:iam::123456789012:u*): IAM resource types are literal
// (IAM User Guide, "IAM identifiers": ARNs; a wildcard may follow the
// type, as in user/*).
func iamTypeWildcard(r string) bool {
	parts := strings.SplitN(r, ":", 6)
	if len(parts) < 6 || parts[2] != "iam" || parts[5] == "*" {
		return false
	}
	typ, _, _ := strings.Cut(parts[5], "/")
	return hasWild(typ)
}

const placeholderAccount = "does not name a 12-digit account (replace the placeholder before use)"

// principalProblem describes a malformed principal value, or "".
// (IAM User Guide, "AWS JSON policy elements: Principal": an account id, an
// ARN of a root user, user, role, role session or federated user, or "*";
// "You cannot use a wildcard to match part of a principal name or ARN".)
func principalProblem(kind, v string) string {
	switch kind {
	case "AWS":
		if v == "*" || isAccountID(v) {
			return ""
		}
		if !strings.HasPrefix(v, "arn:") {
			if len(v) > 0 && strings.Trim(v, "0123456789") == "" {
				return "is not a 12-digit account id"
			}
			return "is not an account id, an ARN or \"*\""
		}
		parts, ok := splitARN(v)
		if !ok {
			return "has fewer than the six colon-separated parts of an ARN"
		}
		if hasWild(v) {
			return "uses a wildcard in a principal ARN, which IAM does not support"
		}
		if !isAccountID(parts[4]) {
			// A warning, not an error: templates carry placeholders
			// (arn:aws:iam::VENDOR_ACCOUNT_ID:root) to be filled in.
			return placeholderAccount
		}
		if parts[2] != "iam" && parts[2] != "sts" {
			return "is not an IAM or STS principal ARN"
		}
	case "Service":
		if v == "*" {
			return ""
		}
		if !strings.Contains(v, ".") || strings.ContainsAny(v, ":/ ") {
			return "is not a service principal (name.amazonaws.com)"
		}
	}
	return ""
}

func (v *validator) statementMore(st *Statement) {
	for _, elem := range []string{"Resource", "NotResource"} {
		nodes, paths := items(st, elem)
		for i, n := range nodes {
			if n.Kind != KindString {
				continue
			}
			r := n.Str
			identitySide := v.t == TypeIdentity || v.t == TypeBoundary || v.t == TypeSession
			if strings.HasPrefix(r, "arn:") && strings.Count(r, ":") < 5 {
				if identitySide && arnProblem(completeARN(r)) == "" {
					// "arn:aws:sqs" stands for arn:aws:sqs:*:*:* here.
					v.add(st, CodeIncompleteARN, SevSuggestion, n.Offset, paths[i], "incomplete ARN "+strconv.Quote(trim(r))+" matches every resource of the service ("+completeARN(r)+"); write it in full")
					continue
				}
			}
			if p := arnProblem(r); p != "" {
				v.add(st, CodeBadResourceARN, SevError, n.Offset, paths[i], "resource "+strconv.Quote(trim(r))+" "+p)
				continue
			}
			if iamTypeWildcard(r) {
				v.add(st, CodeIAMTypeWildcard, SevError, n.Offset, paths[i], "resource "+strconv.Quote(trim(r))+" puts a wildcard in the IAM resource type; write the type (user/, role/, policy/, …) literally")
			}
		}
	}
	for _, elem := range []string{"Principal", "NotPrincipal"} {
		pn := st.node.Get(elem)
		if pn == nil || pn.Kind != KindObject {
			continue
		}
		for _, m := range pn.Members {
			vals := []*Node{m.Value}
			paths := []string{st.Path + "." + elem + "." + m.Key}
			if m.Value.Kind == KindArray {
				vals = m.Value.Items
				paths = make([]string, len(vals))
				for i := range vals {
					paths[i] = st.Path + "." + elem + "." + m.Key + "[" + strconv.Itoa(i) + "]"
				}
			}
			for i, n := range vals {
				if n.Kind != KindString {
					continue
				}
				if p := principalProblem(m.Key, n.Str); p != "" {
					sev := SevError
					if p == placeholderAccount {
						sev = SevWarning
					}
					v.add(st, CodeBadPrincipal, sev, n.Offset, paths[i], m.Key+" principal "+strconv.Quote(trim(n.Str))+" "+p)
				}
			}
		}
	}
	v.setOperators(st)
}

// keyTyper is what the catalog says about condition keys.
type keyTyper interface {
	ConditionKey(name string) (catalog.ConditionKey, bool)
}

// setOperators warns about set operators on single-valued keys and plain
// operators on multivalued keys ("Multivalued context keys require a
// condition set operator. Do not use the condition set operators
// ForAllValues or ForAnyValue with single-valued context keys" — IAM User
// Guide, "Single-valued vs. multivalued context keys").
func (v *validator) setOperators(st *Statement) {
	kt, ok := v.cat.(keyTyper)
	if !ok {
		return
	}
	for i := range st.Conditions {
		c := &st.Conditions[i]
		_, set, _, err := parseOperator(c.Operator)
		if err != nil || strings.EqualFold(c.Operator, "Null") {
			continue
		}
		k, found := kt.ConditionKey(c.Key)
		if !found || k.Type == "" {
			continue
		}
		multi := strings.HasPrefix(k.Type, "ArrayOf")
		switch {
		case set != setNone && !multi:
			v.add(st, CodeSetOpSingleValued, SevWarning, c.Offset, c.Path, c.Operator+" on the single-valued key "+c.Key+": a set operator on a single-valued key can make the policy more permissive than intended; use the operator without ForAllValues/ForAnyValue")
		case set == setNone && multi:
			v.add(st, CodeMultiValuedNoSet, SevWarning, c.Offset, c.Path, c.Operator+" on the multivalued key "+c.Key+" ("+k.Type+") without ForAnyValue or ForAllValues: a request with several values never matches")
		}
	}
}
