package demo

import (
	"sort"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

const rootID = "r-a1b2"

type ouSpec struct{ ID, Name, Parent string }

var ouSpecs = []ouSpec{
	{"ou-a1b2-security1", "Security", rootID},
	{"ou-a1b2-infra001", "Infrastructure", rootID},
	{"ou-a1b2-workload", "Workloads", rootID},
	{"ou-a1b2-prod0001", "Prod", "ou-a1b2-workload"},
	{"ou-a1b2-sdlc0001", "SDLC", "ou-a1b2-workload"},
	{"ou-a1b2-sandbox1", "Sandbox", rootID},
	{"ou-a1b2-suspend1", "Suspended", rootID},
}

func ouID(name string) string {
	for _, o := range ouSpecs {
		if o.Name == name {
			return o.ID
		}
	}
	return rootID
}

const fullAWSAccess = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

func (g *generator) organization() *snapshot.Organization {
	o := &snapshot.Organization{
		ID: OrgID, ARN: "arn:aws:organizations::" + ManagementAccount + ":organization/" + OrgID,
		ManagementAccount: ManagementAccount, ManagementEmail: "aws-management@acme.example", FeatureSet: "ALL",
		Roots: []snapshot.Root{{ID: rootID, ARN: "arn:aws:organizations::" + ManagementAccount + ":root/" + OrgID + "/" + rootID, Name: "Root",
			PolicyTypes: []string{"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY", "TAG_POLICY"}}},
		TrustedServices: []string{"cloudtrail.amazonaws.com", "sso.amazonaws.com", "guardduty.amazonaws.com", "access-analyzer.amazonaws.com"},
		DelegatedAdmins: []snapshot.DelegatedAdmin{{AccountID: "222222222222", ServicePrincipals: []string{"guardduty.amazonaws.com", "access-analyzer.amazonaws.com"}}},
	}
	for _, s := range ouSpecs {
		o.OUs = append(o.OUs, snapshot.OU{ID: s.ID, ARN: "arn:aws:organizations::" + ManagementAccount + ":ou/" + OrgID + "/" + s.ID, Name: s.Name, ParentID: s.Parent})
	}
	all := []string{rootID}
	for _, s := range ouSpecs {
		all = append(all, s.ID)
	}
	for _, a := range accountSpecs {
		o.Accounts = append(o.Accounts, snapshot.OrgAccount{ID: a.ID, ARN: "arn:aws:organizations::" + ManagementAccount + ":account/" + OrgID + "/" + a.ID,
			Name: a.Name, Email: a.Email, Status: "ACTIVE", ParentID: ouID(a.OU), JoinedMethod: joined(a.ID), JoinedAt: g.daysAgo(g.between(900, 2000)),
			Tags: map[string]string{"owner": "platform"}})
		all = append(all, a.ID)
	}
	o.Policies = []snapshot.OrgPolicy{
		{ID: "p-FullAWSAccess", ARN: "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess", Name: "FullAWSAccess",
			Description: "Allows access to every operation", Type: "SERVICE_CONTROL_POLICY", AWSManaged: true, Content: fullAWSAccess, Targets: all},
		{ID: "p-RCPFullAWSAccess", ARN: "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess", Name: "RCPFullAWSAccess",
			Description: "Allows access to every operation", Type: "RESOURCE_CONTROL_POLICY", AWSManaged: true,
			Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, Targets: all},
		{ID: "p-denyleave01", ARN: "arn:aws:organizations::" + ManagementAccount + ":policy/" + OrgID + "/service_control_policy/p-denyleave01", Name: "deny-leave-organization",
			Description: "Accounts cannot leave the organization", Type: "SERVICE_CONTROL_POLICY",
			Content: `{"Version":"2012-10-17","Statement":[{"Sid":"DenyLeave","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`, Targets: []string{rootID}},
		{ID: "p-protectsec1", ARN: "arn:aws:organizations::" + ManagementAccount + ":policy/" + OrgID + "/service_control_policy/p-protectsec1", Name: "protect-security-services",
			Description: "Nobody but the security team's role may stop CloudTrail, GuardDuty or Config", Type: "SERVICE_CONTROL_POLICY",
			Content: `{"Version":"2012-10-17","Statement":[{"Sid":"ProtectSecurity","Effect":"Deny","Action":["cloudtrail:StopLogging","cloudtrail:DeleteTrail","guardduty:DeleteDetector","config:StopConfigurationRecorder","config:DeleteConfigurationRecorder"],"Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/security-admin"}}}]}`,
			Targets: []string{ouID("Security"), ouID("Workloads")}},
		{ID: "p-denyall0001", ARN: "arn:aws:organizations::" + ManagementAccount + ":policy/" + OrgID + "/service_control_policy/p-denyall0001", Name: "suspended-deny-all",
			Description: "Suspended accounts: nothing but break-glass", Type: "SERVICE_CONTROL_POLICY",
			Content: `{"Version":"2012-10-17","Statement":[{"Sid":"DenyAll","Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/break-glass"}}}]}`,
			Targets: []string{ouID("Suspended")}},
		{ID: "p-tagcost001", ARN: "arn:aws:organizations::" + ManagementAccount + ":policy/" + OrgID + "/tag_policy/p-tagcost001", Name: "cost-center-tags",
			Description: "cost-center tag values", Type: "TAG_POLICY",
			Content: `{"tags":{"cost-center":{"tag_key":{"@@assign":"cost-center"},"tag_value":{"@@assign":["payments","data","web","platform"]}}}}`, Targets: []string{rootID}},
	}
	sort.Slice(o.Accounts, func(i, j int) bool { return o.Accounts[i].ID < o.Accounts[j].ID })
	return o
}

func joined(id string) string {
	if id == ManagementAccount {
		return "INVITED"
	}
	return "CREATED"
}
