package awsfake

import (
	"fmt"
	"sort"
	"strings"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// orgOps are the Organizations operations the fake serves (JSON 1.1).
// Only the management account may call them, except DescribeOrganization
// (any member), as in AWS without delegated administration.
var orgOps = map[string]func(*call) (any, *Error){
	"DescribeOrganization":                orgDescribeOrganization,
	"ListRoots":                           orgListRoots,
	"ListOrganizationalUnitsForParent":    orgListOUsForParent,
	"ListAccounts":                        orgListAccounts,
	"ListAccountsForParent":               orgListAccountsForParent,
	"ListParents":                         orgListParents,
	"ListChildren":                        orgListChildren,
	"ListPolicies":                        orgListPolicies,
	"DescribePolicy":                      orgDescribePolicy,
	"ListTargetsForPolicy":                orgListTargetsForPolicy,
	"ListTagsForResource":                 orgListTagsForResource,
	"ListDelegatedAdministrators":         orgListDelegatedAdministrators,
	"ListDelegatedServicesForAccount":     orgListDelegatedServicesForAccount,
	"ListAWSServiceAccessForOrganization": orgListAWSServiceAccess,
}

func (c *call) org(managementOnly bool) (*snapshot.Organization, *Error) {
	o := c.s.scenario.Organization
	if o == nil {
		return nil, errf(400, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
	}
	if managementOnly && c.who.account != o.ManagementAccount {
		return nil, errf(400, "AccessDeniedException", "You don't have permissions to access this resource.")
	}
	return o, nil
}

// pageJSON pages n items with MaxResults/NextToken.
func (c *call) pageJSON(n int) (int, int, map[string]any, *Error) {
	start, end, next, err := c.page(n, "MaxResults", "NextToken")
	out := map[string]any{}
	if next != "" {
		out["NextToken"] = next
	}
	return start, end, out, err
}

func orgARN(o *snapshot.Organization, kind, id string) string {
	switch kind {
	case "account":
		return fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", o.ManagementAccount, o.ID, id)
	case "ou":
		return fmt.Sprintf("arn:aws:organizations::%s:ou/%s/%s", o.ManagementAccount, o.ID, id)
	case "root":
		return fmt.Sprintf("arn:aws:organizations::%s:root/%s/%s", o.ManagementAccount, o.ID, id)
	}
	return ""
}

func orgDescribeOrganization(c *call) (any, *Error) {
	o, err := c.org(false)
	if err != nil {
		return nil, err
	}
	arn := o.ARN
	if arn == "" {
		arn = fmt.Sprintf("arn:aws:organizations::%s:organization/%s", o.ManagementAccount, o.ID)
	}
	fs := o.FeatureSet
	if fs == "" {
		fs = "ALL"
	}
	return map[string]any{"Organization": map[string]any{
		"Id": o.ID, "Arn": arn, "FeatureSet": fs,
		"MasterAccountId":    o.ManagementAccount,
		"MasterAccountArn":   orgARN(o, "account", o.ManagementAccount),
		"MasterAccountEmail": o.ManagementEmail,
	}}, nil
}

// enabledTypes are the policy types enabled on the root: the scenario's, or
// the types of its policies when the scenario names none.
func enabledTypes(o *snapshot.Organization, r snapshot.Root) []string {
	if len(r.PolicyTypes) > 0 {
		return r.PolicyTypes
	}
	set := map[string]bool{}
	for _, p := range o.Policies {
		set[p.Type] = true
	}
	var out []string
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

func orgListRoots(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	start, end, out, perr := c.pageJSON(len(o.Roots))
	if perr != nil {
		return nil, perr
	}
	var roots []map[string]any
	for _, r := range o.Roots[start:end] {
		var pts []map[string]any
		for _, t := range enabledTypes(o, r) {
			pts = append(pts, map[string]any{"Type": t, "Status": "ENABLED"})
		}
		arn := r.ARN
		if arn == "" {
			arn = orgARN(o, "root", r.ID)
		}
		roots = append(roots, map[string]any{"Id": r.ID, "Arn": arn, "Name": r.Name, "PolicyTypes": pts})
	}
	out["Roots"] = roots
	return out, nil
}

func (c *call) parentExists(o *snapshot.Organization, id string) bool {
	for _, r := range o.Roots {
		if r.ID == id {
			return true
		}
	}
	for _, u := range o.OUs {
		if u.ID == id {
			return true
		}
	}
	return false
}

func orgListOUsForParent(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	pid := c.str("ParentId")
	if !c.parentExists(o, pid) {
		return nil, errf(400, "ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified: %s", pid)
	}
	var ous []snapshot.OU
	for _, u := range o.OUs {
		if u.ParentID == pid {
			ous = append(ous, u)
		}
	}
	start, end, out, perr := c.pageJSON(len(ous))
	if perr != nil {
		return nil, perr
	}
	list := []map[string]any{}
	for _, u := range ous[start:end] {
		arn := u.ARN
		if arn == "" {
			arn = orgARN(o, "ou", u.ID)
		}
		list = append(list, map[string]any{"Id": u.ID, "Arn": arn, "Name": u.Name})
	}
	out["OrganizationalUnits"] = list
	return out, nil
}

func accountJSON(o *snapshot.Organization, a snapshot.OrgAccount) map[string]any {
	arn := a.ARN
	if arn == "" {
		arn = orgARN(o, "account", a.ID)
	}
	jm := a.JoinedMethod
	if jm == "" {
		jm = "CREATED"
	}
	m := map[string]any{"Id": a.ID, "Arn": arn, "Name": a.Name, "Email": a.Email,
		"Status": a.Status, "JoinedMethod": jm}
	// State superseded Status in 2025; AWS returns both.
	switch a.Status {
	case "ACTIVE", "SUSPENDED", "PENDING_CLOSURE":
		m["State"] = a.Status
	}
	if t := epoch(a.JoinedAt); t != nil {
		m["JoinedTimestamp"] = t
	}
	return m
}

func (c *call) listAccounts(o *snapshot.Organization, accts []snapshot.OrgAccount) (any, *Error) {
	start, end, out, perr := c.pageJSON(len(accts))
	if perr != nil {
		return nil, perr
	}
	list := []map[string]any{}
	for _, a := range accts[start:end] {
		list = append(list, accountJSON(o, a))
	}
	out["Accounts"] = list
	return out, nil
}

func orgListAccounts(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	return c.listAccounts(o, o.Accounts)
}

func orgListAccountsForParent(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	pid := c.str("ParentId")
	if !c.parentExists(o, pid) {
		return nil, errf(400, "ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified: %s", pid)
	}
	var accts []snapshot.OrgAccount
	for _, a := range o.Accounts {
		if a.ParentID == pid {
			accts = append(accts, a)
		}
	}
	return c.listAccounts(o, accts)
}

func containerType(o *snapshot.Organization, id string) string {
	for _, r := range o.Roots {
		if r.ID == id {
			return "ROOT"
		}
	}
	return "ORGANIZATIONAL_UNIT"
}

func orgListParents(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	id := c.str("ChildId")
	parent := ""
	for _, a := range o.Accounts {
		if a.ID == id {
			parent = a.ParentID
		}
	}
	for _, u := range o.OUs {
		if u.ID == id {
			parent = u.ParentID
		}
	}
	if parent == "" {
		return nil, errf(400, "ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified: %s", id)
	}
	return map[string]any{"Parents": []map[string]any{{"Id": parent, "Type": containerType(o, parent)}}}, nil
}

func orgListChildren(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	pid, typ := c.str("ParentId"), c.str("ChildType")
	if !c.parentExists(o, pid) {
		return nil, errf(400, "ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified: %s", pid)
	}
	var ids []string
	switch typ {
	case "ACCOUNT":
		for _, a := range o.Accounts {
			if a.ParentID == pid {
				ids = append(ids, a.ID)
			}
		}
	case "ORGANIZATIONAL_UNIT":
		for _, u := range o.OUs {
			if u.ParentID == pid {
				ids = append(ids, u.ID)
			}
		}
	default:
		return nil, errf(400, "InvalidInputException", "ChildType %q is invalid", typ)
	}
	start, end, out, perr := c.pageJSON(len(ids))
	if perr != nil {
		return nil, perr
	}
	list := []map[string]any{}
	for _, id := range ids[start:end] {
		list = append(list, map[string]any{"Id": id, "Type": typ})
	}
	out["Children"] = list
	return out, nil
}

func policySummary(p snapshot.OrgPolicy) map[string]any {
	return map[string]any{"Id": p.ID, "Arn": p.ARN, "Name": p.Name, "Description": p.Description,
		"Type": p.Type, "AwsManaged": p.AWSManaged}
}

func orgListPolicies(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	typ := c.str("Filter")
	enabled := false
	for _, r := range o.Roots {
		for _, t := range enabledTypes(o, r) {
			enabled = enabled || t == typ
		}
	}
	if !enabled {
		return nil, errf(400, "PolicyTypeNotEnabledException", "This operation can be performed only for enabled policy types: %s", typ)
	}
	var ps []snapshot.OrgPolicy
	for _, p := range o.Policies {
		if p.Type == typ {
			ps = append(ps, p)
		}
	}
	start, end, out, perr := c.pageJSON(len(ps))
	if perr != nil {
		return nil, perr
	}
	list := []map[string]any{}
	for _, p := range ps[start:end] {
		list = append(list, policySummary(p))
	}
	out["Policies"] = list
	return out, nil
}

func (c *call) policy(o *snapshot.Organization) (*snapshot.OrgPolicy, *Error) {
	id := c.str("PolicyId")
	for i := range o.Policies {
		if o.Policies[i].ID == id {
			return &o.Policies[i], nil
		}
	}
	return nil, errf(400, "PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified: %s", id)
}

func orgDescribePolicy(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	p, err := c.policy(o)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Policy": map[string]any{"PolicySummary": policySummary(*p), "Content": p.Content}}, nil
}

func orgListTargetsForPolicy(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	p, err := c.policy(o)
	if err != nil {
		return nil, err
	}
	start, end, out, perr := c.pageJSON(len(p.Targets))
	if perr != nil {
		return nil, perr
	}
	list := []map[string]any{}
	for _, id := range p.Targets[start:end] {
		typ, name, arn := "ACCOUNT", id, orgARN(o, "account", id)
		switch {
		case strings.HasPrefix(id, "r-"):
			typ, arn = "ROOT", orgARN(o, "root", id)
		case strings.HasPrefix(id, "ou-"):
			typ, arn = "ORGANIZATIONAL_UNIT", orgARN(o, "ou", id)
		}
		for _, u := range o.OUs {
			if u.ID == id {
				name = u.Name
			}
		}
		for _, a := range o.Accounts {
			if a.ID == id {
				name = a.Name
			}
		}
		list = append(list, map[string]any{"TargetId": id, "Arn": arn, "Name": name, "Type": typ})
	}
	out["Targets"] = list
	return out, nil
}

func orgListTagsForResource(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	id := c.str("ResourceId")
	var tags map[string]string
	found := false
	for _, a := range o.Accounts {
		if a.ID == id {
			tags, found = a.Tags, true
		}
	}
	if !found && !c.parentExists(o, id) {
		return nil, errf(400, "TargetNotFoundException", "We can't find a resource with the ResourceId that you specified: %s", id)
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	start, end, out, perr := c.pageJSON(len(keys))
	if perr != nil {
		return nil, perr
	}
	list := []map[string]any{}
	for _, k := range keys[start:end] {
		list = append(list, map[string]any{"Key": k, "Value": tags[k]})
	}
	out["Tags"] = list
	return out, nil
}

func orgListDelegatedAdministrators(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	var das []snapshot.DelegatedAdmin
	for _, d := range o.DelegatedAdmins {
		if sp := c.str("ServicePrincipal"); sp != "" {
			ok := false
			for _, p := range d.ServicePrincipals {
				ok = ok || p == sp
			}
			if !ok {
				continue
			}
		}
		das = append(das, d)
	}
	start, end, out, perr := c.pageJSON(len(das))
	if perr != nil {
		return nil, perr
	}
	list := []map[string]any{}
	for _, d := range das[start:end] {
		m := map[string]any{"Id": d.AccountID, "Arn": orgARN(o, "account", d.AccountID), "Status": "ACTIVE", "State": "ACTIVE"}
		for _, a := range o.Accounts {
			if a.ID == d.AccountID {
				m["Name"], m["Email"] = a.Name, a.Email
			}
		}
		list = append(list, m)
	}
	out["DelegatedAdministrators"] = list
	return out, nil
}

func orgListDelegatedServicesForAccount(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	id := c.str("AccountId")
	for _, d := range o.DelegatedAdmins {
		if d.AccountID != id {
			continue
		}
		start, end, out, perr := c.pageJSON(len(d.ServicePrincipals))
		if perr != nil {
			return nil, perr
		}
		list := []map[string]any{}
		for _, sp := range d.ServicePrincipals[start:end] {
			list = append(list, map[string]any{"ServicePrincipal": sp})
		}
		out["DelegatedServices"] = list
		return out, nil
	}
	return nil, errf(400, "AccountNotRegisteredException", "The provided account is not a registered delegated administrator for your organization: %s", id)
}

func orgListAWSServiceAccess(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	start, end, out, perr := c.pageJSON(len(o.TrustedServices))
	if perr != nil {
		return nil, perr
	}
	list := []map[string]any{}
	for _, sp := range o.TrustedServices[start:end] {
		list = append(list, map[string]any{"ServicePrincipal": sp})
	}
	out["EnabledServicePrincipals"] = list
	return out, nil
}
