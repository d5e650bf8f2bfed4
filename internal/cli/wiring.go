package cli

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/collect"
	"github.com/seiri-dev/seiri/internal/credreport"
	"github.com/seiri-dev/seiri/internal/policy"
)

// The composition root: the hooks through which packages that must not
// import each other get their collaborators (the catalog for the policy
// validator and the CloudTrail mapping, the credential report parser for
// collect, the policy engine for org specs).
func init() {
	PolicyCatalog = func(f *Factory) (policy.Catalog, error) { return f.Catalog(), nil }
	trailActionChecker = catalog.Default()
	collect.ParseCredentialReport = func(b []byte) (*credreport.Report, error) {
		return credreport.Parse(bytes.NewReader(b), "credential report (GetCredentialReport)")
	}
	OrgPolicyValidator = validateOrgPolicy
}

// validateOrgPolicy runs `policy validate` on an organization policy: its
// errors fail the spec; warnings do not. Tag and other management policies
// are not IAM policy language and are left to the org package's checks.
func validateOrgPolicy(doc []byte, kind string) error {
	var t policy.Type
	switch strings.ToLower(kind) {
	case "scp", "service_control_policy":
		t = policy.TypeSCP
	case "rcp", "resource_control_policy":
		t = policy.TypeRCP
	default:
		return nil
	}
	var errs []error
	for _, is := range policy.Validate(doc, t, catalog.Default()) {
		if is.Severity == policy.SevError {
			errs = append(errs, fmt.Errorf("%s %s at %s: %s", is.Code, t, is.Path, is.Message))
		}
	}
	return errors.Join(errs...)
}
