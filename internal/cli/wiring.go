package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/collect"
	"github.com/seiri-dev/seiri/internal/credreport"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/roles"
	"github.com/seiri-dev/seiri/internal/snapshot"
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
	RolesPolicyGenerator = leastPrivilegeGenerator
}

// leastPrivilegeGenerator lets `roles suggest` hand each role the policy
// `policy generate` proves (the latest snapshot, 90 days of usage). Without
// a usage store, or for a principal with no recorded use, it answers nothing
// and roles falls back to its own usage-based policy.
func leastPrivilegeGenerator(f *Factory) roles.PolicyGenerator {
	var an *leastpriv.Analysis
	var loadErr error
	loaded := false
	return func(arn string) ([]byte, error) {
		if !loaded {
			loaded = true
			ws, err := f.Workspace()
			if err != nil {
				loadErr = err
			} else if _, err := os.Stat(ws.UsageDB()); err == nil {
				an, loadErr = loadAnalysis(f.Context, ws, snapshot.Latest, f.Catalog(), f.Now(), 90, "", true)
			}
		}
		if loadErr != nil {
			return nil, loadErr
		}
		if an == nil {
			return nil, nil
		}
		p := an.Model.Lookup(arn)
		if p == nil {
			return nil, nil
		}
		g, err := an.Generate(p, leastpriv.GenerateOptions{})
		if errors.Is(err, leastpriv.ErrNoUsage) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		// A role's inline policy holds more than a managed policy: one
		// document with every generated statement.
		doc := leastpriv.Document{Version: "2012-10-17"}
		for _, d := range g.Policies {
			doc.Statement = append(doc.Statement, d.Statement...)
		}
		return json.MarshalIndent(doc, "", "  ")
	}
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
