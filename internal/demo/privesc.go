package demo

import (
	"encoding/json"
	"time"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// escalationRoles adds the demo's realistic privilege-escalation paths
// (internal/risk finds them): in acme-prod, an administrator role that
// CloudFormation may assume — which the platform developers, whose
// ci-deploy policy allows iam:PassRole on every role and
// cloudformation:*, can pass to a new stack — and a release role that can
// pass an administrator Lambda role to a new function it invokes (Rhino
// Security Labs' methods 16 and 20).
//
// They are added after the account is finished and draw nothing from the
// random source, so the rest of the demo is unchanged.
func (b *accountBuilder) escalationRoles() {
	a := b.acct
	if a.AccountID != "555555555555" {
		return
	}
	acct := a.AccountID
	created := b.g.now.Add(-20 * 24 * time.Hour).Truncate(24 * time.Hour)
	trust := func(principal string) json.RawMessage {
		return json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"}]}`)
	}
	admin := []snapshot.AttachedPolicy{{PolicyName: "AdministratorAccess", PolicyARN: "arn:aws:iam::aws:policy/AdministratorAccess"}}
	a.Roles = append(a.Roles,
		snapshot.Role{ARN: "arn:aws:iam::" + acct + ":role/cfn-deploy-admin", RoleName: "cfn-deploy-admin", RoleID: "AROADEMOPRIVESC00001", Path: "/",
			CreateDate: created, MaxSessionDuration: 3600, Description: "CloudFormation service role for platform stacks",
			TrustPolicy: trust(`{"Service":"cloudformation.amazonaws.com"}`), AttachedPolicies: admin},
		snapshot.Role{ARN: "arn:aws:iam::" + acct + ":role/lambda-ops-admin", RoleName: "lambda-ops-admin", RoleID: "AROADEMOPRIVESC00002", Path: "/",
			CreateDate: created, MaxSessionDuration: 3600, Description: "Runs the account-maintenance functions",
			TrustPolicy: trust(`{"Service":"lambda.amazonaws.com"}`), AttachedPolicies: admin},
		snapshot.Role{ARN: "arn:aws:iam::" + acct + ":role/release-automation", RoleName: "release-automation", RoleID: "AROADEMOPRIVESC00003", Path: "/",
			CreateDate: created, MaxSessionDuration: 3600, Description: "Release pipeline",
			TrustPolicy: trust(`{"AWS":"arn:aws:iam::` + acct + `:root"}`),
			InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "release", Document: json.RawMessage(`{"Version":"2012-10-17","Statement":[` +
				`{"Sid":"PassOpsRole","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::` + acct + `:role/lambda-*"},` +
				`{"Sid":"Functions","Effect":"Allow","Action":["lambda:CreateFunction","lambda:InvokeFunction","lambda:UpdateFunctionConfiguration"],"Resource":"arn:aws:lambda:eu-west-1:` + acct + `:function:release-*"}]}`)}}},
	)
	for i := range a.Policies {
		if a.Policies[i].PolicyName == "AdministratorAccess" {
			a.Policies[i].AttachmentCount += 2
		}
	}
	if a.Summary != nil {
		a.Summary["Roles"] = int32(len(a.Roles))
	}
}
