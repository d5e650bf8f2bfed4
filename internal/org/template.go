package org

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/seiri-dev/seiri/internal/org/scplib"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// Templates lists the names Template accepts.
var Templates = []string{"aws-multi-account"}

// Template returns a starting spec. "aws-multi-account" is the OU structure
// of AWS's whitepaper "Organizing Your AWS Environment Using Multiple
// Accounts", each OU with a comment on its purpose and starting SCPs.
func Template(name string) (*Spec, Comments, error) {
	if name != "aws-multi-account" {
		return nil, Comments{}, fmt.Errorf("unknown template %q (known: %s)", trim(name), strings.Join(Templates, ", "))
	}
	full := FullAWSAccess
	guard := []string{full, "deny-iam-users", "require-imdsv2"}
	sp := &Spec{
		Version: SpecVersion,
		Root: Root{
			Policies: []string{full, "deny-leave-organization", "deny-root-user", "protect-security-services", "allowed-regions", "protect-admin-roles"},
			OUs: []OU{
				{Name: "Security"},
				{Name: "Infrastructure", Policies: guard},
				{Name: "Workloads", Policies: guard, OUs: []OU{{Name: "Prod"}, {Name: "SDLC"}}},
				{Name: "Sandbox", Policies: guard},
				{Name: "Deployments", Policies: []string{full, "require-imdsv2"}},
				{Name: "Policy Staging"},
				{Name: "Suspended", Policies: []string{full, "suspended-deny-all"}},
				{Name: "Individual Business Users", Policies: []string{full, "deny-iam-users"}},
				{Name: "Exceptions"},
				{Name: "Transitional"},
			},
		},
		Policies: []Policy{
			{Name: "deny-leave-organization", Type: "scp", Library: scplib.DenyLeaveOrganization},
			{Name: "deny-root-user", Type: "scp", Library: scplib.DenyRootUser},
			{Name: "protect-security-services", Type: "scp", Library: scplib.ProtectSecurityServices,
				Params: map[string]any{"admin_roles": []any{"security-admin"}}},
			{Name: "allowed-regions", Type: "scp", Library: scplib.AllowedRegions,
				Params: map[string]any{"regions": []any{"us-east-1", "eu-west-1"}, "admin_roles": []any{"break-glass"}}},
			{Name: "protect-admin-roles", Type: "scp", Library: scplib.ProtectRoles,
				Params: map[string]any{"roles": []any{"break-glass", "OrganizationAccountAccessRole"}, "admin_roles": []any{"break-glass"}}},
			{Name: "deny-iam-users", Type: "scp", Library: scplib.DenyIAMUsers},
			{Name: "require-imdsv2", Type: "scp", Library: scplib.RequireIMDSv2},
			{Name: "suspended-deny-all", Type: "scp", Library: scplib.SuspendedDenyAll,
				Params: map[string]any{"break_glass_roles": []any{"break-glass"}}},
		},
	}
	cm := Comments{
		Header: []string{
			"org.yaml: the organization as code (seiri org validate | plan). JSON Schema: seiri org schema.",
			"Structure from AWS's whitepaper \"Organizing Your AWS Environment Using Multiple Accounts\".",
			"Before planning: set the regions and role names below, and place your accounts",
			"(seiri org import shows them): accounts not placed are moved to Suspended, never closed.",
		},
		OUs: map[string]string{
			"Security":                  "Security: log archive and security tooling accounts, owned by the security team.",
			"Infrastructure":            "Infrastructure: shared network and IT services (DNS, transit, directory).",
			"Workloads":                 "Workloads: business applications, split by environment.",
			"Workloads/Prod":            "Prod: production workloads, the strictest guardrails.",
			"Workloads/SDLC":            "SDLC: development and test workloads, before production.",
			"Sandbox":                   "Sandbox: experiments, cut off from internal networks, with budgets.",
			"Deployments":               "Deployments: CI/CD accounts that deploy into the workload accounts.",
			"Policy Staging":            "Policy Staging: test broad policy changes on a mirror of the real tree before rollout.",
			"Suspended":                 "Suspended: closed or compromised accounts; everything denied but break-glass.",
			"Individual Business Users": "Individual Business Users: accounts for people or small teams outside the workload model.",
			"Exceptions":                "Exceptions: accounts that need exceptions to the Workloads policies, kept visible.",
			"Transitional":              "Transitional: acquired or legacy accounts while they move into the structure.",
		},
		Policies: map[string]string{
			"allowed-regions":     "Edit the regions to those you use; global services stay exempted.",
			"protect-admin-roles": "The roles nobody may change: break-glass and the account access role.",
		},
	}
	return sp, cm, nil
}

// Import turns a snapshot's organization into a spec that a plan against the
// same organization finds unchanged. Policies other than the AWS-managed
// ones become files (returned by relative path, content as stored,
// indented when it is JSON) under policies/.
func Import(o *snapshot.Organization) (*Spec, map[string][]byte, Comments, error) {
	cur, err := FromSnapshot(o)
	if err != nil {
		return nil, nil, Comments{}, err
	}
	sp := &Spec{Version: SpecVersion, ManagementAccount: o.ManagementAccount}
	cm := Comments{
		Header: []string{
			fmt.Sprintf("org.yaml imported by seiri from organization %s.", o.ID),
			"Accounts are placed by id; their names and emails are comments (the organization holds them).",
		},
		OUs: map[string]string{}, Accounts: map[string]string{},
	}
	files := map[string][]byte{}
	fileNames := map[string]bool{}
	for _, k := range SortedKeys(cur.Policies) {
		p := cur.Policies[k]
		if p.AWSManaged {
			continue
		}
		base := slug(p.Name)
		if ShortType(p.Type) != "scp" {
			base = ShortType(p.Type) + "-" + base
		}
		name := "policies/" + base + ".json"
		for i := 2; fileNames[name]; i++ {
			name = fmt.Sprintf("policies/%s-%d.json", base, i)
		}
		fileNames[name] = true
		files[name] = pretty(p.Content)
		sp.Policies = append(sp.Policies, Policy{Name: p.Name, Type: ShortType(p.Type), Description: p.Description, File: name})
	}
	sort.SliceStable(sp.Policies, func(i, j int) bool { return sp.Policies[i].Name < sp.Policies[j].Name })
	attached := func(target string) []string {
		set := cur.Attachments[target]
		if len(set) == 1 && set[PolicyKey(SCP, FullAWSAccess)] {
			return nil // the default
		}
		var names []string
		for k := range set {
			names = append(names, cur.Policies[k].Name)
		}
		sort.Slice(names, func(i, j int) bool {
			mi, mj := names[i] == FullAWSAccess, names[j] == FullAWSAccess
			if mi != mj {
				return mi
			}
			return names[i] < names[j]
		})
		if names == nil {
			names = []string{}
		}
		return names
	}
	// Index children once: a big organization has thousands of OUs.
	acctsBy, ousBy := map[string][]string{}, map[string][]string{}
	for _, id := range SortedKeys(cur.Accounts) {
		acctsBy[cur.Accounts[id].Parent] = append(acctsBy[cur.Accounts[id].Parent], id)
	}
	for _, p := range SortedKeys(cur.OUs) {
		ousBy[ParentOf(p)] = append(ousBy[ParentOf(p)], p)
	}
	accountsIn := func(path string) []Account {
		var out []Account
		for _, id := range acctsBy[path] {
			a := cur.Accounts[id]
			c := a.Name
			if a.Email != "" {
				c += " <" + a.Email + ">"
			}
			if id == o.ManagementAccount {
				c += ", management account"
			}
			if a.Status != "" && a.Status != "ACTIVE" {
				c += ", " + a.Status
			}
			cm.Accounts[id] = c
			out = append(out, Account{ID: id, Policies: attached(AccountTarget(id))})
		}
		return out
	}
	var children func(path string) []OU
	children = func(path string) []OU {
		var out []OU
		for _, p := range ousBy[path] {
			ou := cur.OUs[p]
			cm.OUs[p] = ou.ID
			out = append(out, OU{Name: ou.Name, Policies: attached(OUTarget(p)), OUs: children(p), Accounts: accountsIn(p)})
		}
		return out
	}
	sp.Root = Root{Policies: attached(RootTarget), OUs: children(""), Accounts: accountsIn("")}
	return sp, files, cm, nil
}

var reSlug = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func slug(s string) string {
	s = strings.Trim(reSlug.ReplaceAllString(s, "-"), "-.")
	if len(s) > 60 {
		s = s[:60]
	}
	if s == "" {
		s = "policy"
	}
	return s
}

// pretty indents a JSON document without reordering it, so that its
// minified form is the stored content's.
func pretty(content string) []byte {
	var b bytes.Buffer
	if json.Indent(&b, []byte(content), "", "  ") != nil {
		return []byte(content)
	}
	b.WriteByte('\n')
	return b.Bytes()
}
