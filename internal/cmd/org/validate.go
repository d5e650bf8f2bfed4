package org

import (
	"fmt"
	"strings"

	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/policy"
)

// ValidatePolicy runs `policy validate` on an organization policy: its
// errors fail the spec; warnings do not. Tag and other management policies
// are not IAM policy language and are left to the org package's checks.
// The error is an org.PolicyIssues, each issue with its line and column in
// doc.
func ValidatePolicy(cat policy.Catalog) org.Validator {
	return func(doc []byte, kind string) error {
		var t policy.Type
		switch strings.ToLower(kind) {
		case "scp", "service_control_policy":
			t = policy.TypeSCP
		case "rcp", "resource_control_policy":
			t = policy.TypeRCP
		default:
			return nil
		}
		var out org.PolicyIssues
		for _, is := range policy.Validate(doc, t, cat) {
			// The size is org's own check, against the limits of seiri.yaml
			// (org.Limits): reporting the built-in quota again would say it
			// twice, the second time with another number.
			if is.Severity == policy.SevError && is.Code != policy.CodePolicyTooLarge {
				out = append(out, org.PolicyIssue{Code: is.Code, Line: is.Line, Column: is.Column, Path: is.Path, Message: is.Message,
					Text: fmt.Sprintf("%s %s at %s: %s", is.Code, t, is.Path, is.Message)})
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
}
