// Package demoorg is the demo organization as code: the org.yaml `seiri
// demo` writes (the organization as imported, plus a region-restriction SCP
// on the Workloads OU), its plan, and that plan's impact replayed on the
// usage the demo's CloudTrail logs recorded. It lives next to the demo, not
// in internal/org, so that no analysis links the demo's generators.
package demoorg

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/usage"
)

// RegionPolicy is the region-restriction SCP the demo plans for the
// Workloads OU: only the demo's home region (eu-west-1), global services
// exempt.
var RegionPolicy = org.Policy{Name: "workloads-eu-west-1-only", Library: "allowed-regions",
	Description: "Workloads run in eu-west-1 only",
	Params:      map[string]any{"regions": []any{demo.HomeRegion}, "admin_roles": []any{"OrganizationAccountAccessRole"}}}

// Spec returns the demo organization's org.yaml — imported, so that
// planning it alone changes nothing — with RegionPolicy declared and
// attached to the Workloads OU, and the policy files it references.
func Spec(d *demo.Org) ([]byte, map[string][]byte, error) {
	sp, files, cm, err := org.Import(d.Organization)
	if err != nil {
		return nil, nil, err
	}
	sp.Policies = append(sp.Policies, RegionPolicy)
	found := false
	for i := range sp.Root.OUs {
		ou := &sp.Root.OUs[i]
		if ou.Name != "Workloads" {
			continue
		}
		if len(ou.Policies) == 0 {
			ou.Policies = []string{org.FullAWSAccess}
		}
		ou.Policies = append(append([]string(nil), ou.Policies...), RegionPolicy.Name)
		found = true
	}
	if !found {
		return nil, nil, fmt.Errorf("demo organization has no Workloads OU")
	}
	cm.Header = append(cm.Header, "Demo: the organization as imported, plus a region-restriction SCP on Workloads (see the plan's impact).")
	return org.Marshal(sp, cm), files, nil
}

// Plan writes Spec into dir (org.yaml and its policy files), plans it
// against the demo organization and replays rows — the usage the demo's
// CloudTrail logs recorded, as scanned into its usage store — through it.
// With no rows (the logs were not generated) there is no evidence to replay
// on, and the impact is nil: the caller says so. The impact names
// backup-agent's disaster-recovery copy to us-east-1.
func Plan(d *demo.Org, dir string, rows []usage.Row) (*org.Plan, *org.Impact, error) {
	text, files, err := Spec(d)
	if err != nil {
		return nil, nil, err
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return nil, nil, err
		}
	}
	path := filepath.Join(dir, "org.yaml")
	if err := os.WriteFile(path, text, 0o600); err != nil {
		return nil, nil, err
	}
	doc, err := org.Load(path)
	if err != nil {
		return nil, nil, err
	}
	desired, ps := org.Compile(doc, org.Options{})
	if len(ps) > 0 {
		return nil, nil, fmt.Errorf("demo spec: %v", ps)
	}
	p, err := org.NewPlan(doc, desired, d.Organization, d.Now)
	if err != nil {
		return nil, nil, err
	}
	if rows == nil {
		return p, nil, nil
	}
	base, err := org.FromSnapshot(d.Organization)
	if err != nil {
		return nil, nil, err
	}
	im, err := org.ReplayPlan(base, p.Changes, rows, org.ReplayOptions{OrgID: d.Organization.ID, Now: d.Now})
	return p, im, err
}
