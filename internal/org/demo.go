package org

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"time"

	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/usage"
)

// DemoRegionPolicy is the region-restriction SCP the demo plans for the
// Workloads OU: only the demo's home region (eu-west-1), global services
// exempt.
var DemoRegionPolicy = Policy{Name: "workloads-eu-west-1-only", Library: "allowed-regions",
	Description: "Workloads run in eu-west-1 only",
	Params:      map[string]any{"regions": []any{demo.HomeRegion}, "admin_roles": []any{"OrganizationAccountAccessRole"}}}

// DemoSpec returns the demo organization's org.yaml — imported, so that
// planning it alone changes nothing — with DemoRegionPolicy declared and
// attached to the Workloads OU, and the policy files it references.
func DemoSpec(d *demo.Org) ([]byte, map[string][]byte, error) {
	sp, files, cm, err := Import(d.Organization)
	if err != nil {
		return nil, nil, err
	}
	sp.Policies = append(sp.Policies, DemoRegionPolicy)
	found := false
	for i := range sp.Root.OUs {
		ou := &sp.Root.OUs[i]
		if ou.Name != "Workloads" {
			continue
		}
		if len(ou.Policies) == 0 {
			ou.Policies = []string{FullAWSAccess}
		}
		ou.Policies = append(append([]string(nil), ou.Policies...), DemoRegionPolicy.Name)
		found = true
	}
	if !found {
		return nil, nil, fmt.Errorf("demo organization has no Workloads OU")
	}
	cm.Header = append(cm.Header, "Demo: the organization as imported, plus a region-restriction SCP on Workloads (see the plan's impact).")
	return Marshal(sp, cm), files, nil
}

// DemoUsage turns the demo personas' uses into usage rows for the 30 days
// before d.Now, with each call's region (demo.UseRegion). Counts are
// deterministic. Personas never active record nothing.
func DemoUsage(d *demo.Org) []usage.Row {
	var rows []usage.Row
	for _, p := range d.Personas {
		if p.LastActive == nil || d.Now.Sub(*p.LastActive) > 30*24*time.Hour {
			continue
		}
		ptype := "IAMUser"
		principal := "arn:aws:iam::" + p.Account + ":user/" + p.UserName
		for _, u := range p.Uses {
			h := fnv.New32a()
			h.Write([]byte(p.Account + p.UserName + u.Action + u.Resource))
			n := int64(5 + h.Sum32()%60)
			if p.Machine {
				n *= 7
			}
			res := u.Resource
			if res == "*" {
				res = ""
			}
			errc := ""
			if u.ErrorRate >= 1 {
				errc = "AccessDenied"
			}
			rows = append(rows, usage.Row{Key: usage.Key{Account: p.Account, Principal: principal, PrincipalType: ptype,
				Action: u.Action, Resource: res, Region: demo.UseRegion(u), ErrorCode: errc},
				FirstSeen: d.Now.AddDate(0, 0, -30), LastSeen: *p.LastActive, Count: n, Authz: true})
		}
	}
	return rows
}

// DemoPlan writes DemoSpec into dir (org.yaml and its policy files), plans
// it against the demo organization and replays rows (DemoUsage(d) when
// nil; or the rows the demo scanned into its usage store) through it. The
// impact names backup-agent's disaster-recovery copy to us-east-1.
func DemoPlan(d *demo.Org, dir string, rows []usage.Row) (*Plan, *Impact, error) {
	text, files, err := DemoSpec(d)
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
	doc, err := Load(path)
	if err != nil {
		return nil, nil, err
	}
	desired, ps := Compile(doc, Options{})
	if len(ps) > 0 {
		return nil, nil, fmt.Errorf("demo spec: %v", ps)
	}
	p, err := NewPlan(doc, desired, d.Organization, d.Now)
	if err != nil {
		return nil, nil, err
	}
	if rows == nil {
		rows = DemoUsage(d)
	}
	base, err := FromSnapshot(d.Organization)
	if err != nil {
		return nil, nil, err
	}
	im, err := ReplayPlan(base, p.Changes, rows, ReplayOptions{OrgID: d.Organization.ID, Now: d.Now})
	return p, im, err
}
