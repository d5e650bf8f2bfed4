package policy

import "testing"

// Cases where AWS's documentation decides against a naive reading of the
// policies (issue 12, section 1). Each names the page it follows.
func TestEvaluateAWSDocumented(t *testing.T) {
	alice := "arn:aws:iam::" + acctA + ":user/alice"
	devSession := "arn:aws:sts::" + acctA + ":assumed-role/dev/s1"
	key := "arn:aws:kms:us-east-1:" + acctA + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
	alias := "arn:aws:kms:us-east-1:" + acctA + ":alias/app"
	full := pol(fullAccess)
	keyPolicyAccount := pol(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},"Action":"kms:*","Resource":"*"}`)
	keyPolicyAlice := pol(`{"Effect":"Allow","Principal":{"AWS":"` + alice + `"},"Action":"kms:Decrypt","Resource":"*"}`)

	tests := []struct {
		evalCase
		undetermined bool
	}{
		// AWS KMS Developer Guide, "Key policies in AWS KMS": "Unless the key
		// policy explicitly allows it, you cannot use IAM policies to allow
		// access to a KMS key."
		{evalCase: evalCase{name: "kms key without key policy", principal: alice, action: "kms:Decrypt", resource: key, identity: []string{full}, want: ImplicitDeny, gate: GateResource}, undetermined: true},
		{evalCase: evalCase{name: "kms key without key policy, no identity allow", principal: alice, action: "kms:Decrypt", resource: key, want: ImplicitDeny, gate: GateResource}, undetermined: true},
		{evalCase: evalCase{name: "kms key policy enables IAM policies", principal: alice, action: "kms:Decrypt", resource: key, identity: []string{full}, resource_: keyPolicyAccount, want: AllowDecision, gate: GateIdentity}},
		{evalCase: evalCase{name: "kms key policy names the user", principal: alice, action: "kms:Decrypt", resource: key, resource_: keyPolicyAlice, want: AllowDecision, gate: GateResource}},
		{evalCase: evalCase{name: "kms explicit deny holds without key policy", principal: alice, action: "kms:Decrypt", resource: key, identity: []string{full, pol(denyStmt("kms:*", "*"))}, want: ExplicitDeny, gate: GateExplicitDeny}},
		{evalCase: evalCase{name: "kms scp gate holds without key policy", principal: alice, action: "kms:Decrypt", resource: key, identity: []string{full}, scps: [][]string{{pol(allowStmt("s3:*", "*"))}}, want: ImplicitDeny, gate: GateSCP}},
		{evalCase: evalCase{name: "kms alias is not a key", principal: alice, action: "kms:CreateAlias", resource: alias, identity: []string{full}, want: AllowDecision, gate: GateIdentity}},
		{evalCase: evalCase{name: "kms action without a key", principal: alice, action: "kms:CreateKey", resource: "*", identity: []string{full}, want: AllowDecision, gate: GateIdentity}},

		// AWS STS API Reference, GetCallerIdentity: "No permissions are
		// required to perform this operation."
		{evalCase: evalCase{name: "GetCallerIdentity needs no permission", principal: alice, action: "sts:GetCallerIdentity", resource: "*", want: AllowDecision, gate: GateNoPermission}},
		{evalCase: evalCase{name: "GetCallerIdentity cannot be denied", principal: devSession, action: "sts:GetCallerIdentity", resource: "*", identity: []string{pol(denyStmt("sts:GetCallerIdentity", "*"))}, scps: [][]string{{pol(denyStmt("*", "*"))}}, want: AllowDecision, gate: GateNoPermission}},
		{evalCase: evalCase{name: "GetCallerIdentity anonymous", principal: "anonymous", action: "sts:GetCallerIdentity", resource: "*", want: ImplicitDeny, gate: GateNoPolicy}},

		// RCP-supported services come from the catalog: SQS and Polly
		// support RCPs, EC2 does not.
		{evalCase: evalCase{name: "rcp deny on a catalog-listed service", principal: alice, action: "polly:SynthesizeSpeech", resource: "arn:aws:polly:us-east-1:" + acctA + ":lexicon/l", identity: []string{full}, rcps: [][]string{{pol(`{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}`)}}, want: ExplicitDeny, gate: GateExplicitDeny}},
		{evalCase: evalCase{name: "rcp ignored on ec2", principal: alice, action: "ec2:StopInstances", resource: "arn:aws:ec2:us-east-1:" + acctA + ":instance/i-1", identity: []string{full}, rcps: [][]string{{pol(`{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}`)}}, want: AllowDecision, gate: GateIdentity}},
		{evalCase: evalCase{name: "rcp list from options", principal: alice, action: "ec2:StopInstances", resource: "*", identity: []string{full}, rcps: [][]string{{pol(`{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}`)}}, opt: &Options{RCPServices: rcpSet{"ec2"}}, want: ExplicitDeny, gate: GateExplicitDeny}},

		// AWS-owned entities.
		{evalCase: evalCase{name: "aws managed policy cannot change", principal: alice, action: "iam:CreatePolicyVersion", resource: "arn:aws:iam::aws:policy/AdministratorAccess", identity: []string{full}, want: ImplicitDeny, gate: GateAWSOwned}},
		{evalCase: evalCase{name: "aws-reserved role cannot change", principal: alice, action: "iam:PutRolePolicy", resource: "arn:aws:iam::" + acctA + ":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1", identity: []string{full}, want: ImplicitDeny, gate: GateAWSOwned}},
		{evalCase: evalCase{name: "service-linked role policy cannot change", principal: alice, action: "iam:AttachRolePolicy", resource: "arn:aws:iam::" + acctA + ":role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig", identity: []string{full}, want: ImplicitDeny, gate: GateAWSOwned}},
		{evalCase: evalCase{name: "service-linked role description can change", principal: alice, action: "iam:UpdateRoleDescription", resource: "arn:aws:iam::" + acctA + ":role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig", identity: []string{full}, want: AllowDecision, gate: GateIdentity}},
		{evalCase: evalCase{name: "aws managed alias", principal: alice, action: "kms:DeleteAlias", resource: "arn:aws:kms:us-east-1:" + acctA + ":alias/aws/s3", identity: []string{full}, want: ImplicitDeny, gate: GateAWSOwned}},
		{evalCase: evalCase{name: "explicit deny on aws-owned stays explicit", principal: alice, action: "iam:DeletePolicy", resource: "arn:aws:iam::aws:policy/ReadOnlyAccess", identity: []string{pol(denyStmt("iam:*", "*"))}, want: ExplicitDeny, gate: GateExplicitDeny}},
		{evalCase: evalCase{name: "reading aws managed policy is fine", principal: alice, action: "iam:GetPolicy", resource: "arn:aws:iam::aws:policy/ReadOnlyAccess", identity: []string{full}, want: AllowDecision, gate: GateIdentity}},

		// VPC endpoint policies (Amazon VPC User Guide, "Control access to
		// VPC endpoints using endpoint policies").
		{evalCase: evalCase{name: "vpce allows", principal: alice, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", identity: []string{full}, vpce: []string{pol(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`)}, want: AllowDecision, gate: GateIdentity}},
		{evalCase: evalCase{name: "vpce does not allow", principal: alice, action: "s3:PutObject", resource: "arn:aws:s3:::b/k", identity: []string{full}, vpce: []string{pol(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`)}, want: ImplicitDeny, gate: GateVPCEndpoint}},
		{evalCase: evalCase{name: "vpce denies", principal: alice, action: "s3:GetObject", resource: "arn:aws:s3:::b/k", identity: []string{full}, vpce: []string{pol(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`)}, want: ExplicitDeny, gate: GateExplicitDeny}},

		// Policy variables that cannot be resolved never make a statement
		// apply (IAM User Guide, "IAM policy elements: Variables and tags").
		{evalCase: evalCase{name: "unresolved variable in NotResource deny", principal: devSession, action: "s3:GetObject", resource: "arn:aws:s3:::home/x", identity: []string{full, pol(`{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::home/${aws:username}/*"}`)}, want: AllowDecision, gate: GateIdentity}},
		{evalCase: evalCase{name: "unresolved variable in negated condition deny", principal: devSession, action: "s3:GetObject", resource: "arn:aws:s3:::home/x", ctx: map[string]string{"aws:ResourceTag/owner": "bob"}, identity: []string{full, pol(`{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:ResourceTag/owner":"${aws:PrincipalTag/owner}"}}}`)}, want: AllowDecision, gate: GateIdentity}},
		{evalCase: evalCase{name: "resolved variable in negated condition deny", principal: devSession, action: "s3:GetObject", resource: "arn:aws:s3:::home/x", ctx: map[string]string{"aws:ResourceTag/owner": "bob", "aws:PrincipalTag/owner": "alice"}, identity: []string{full, pol(`{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:ResourceTag/owner":"${aws:PrincipalTag/owner}"}}}`)}, want: ExplicitDeny, gate: GateExplicitDeny}},

		// IAM User Guide, "IAM JSON policy elements: Resource" and ARN
		// format: an incomplete ARN stands for all resources of the service.
		{evalCase: evalCase{name: "incomplete arn in deny", principal: alice, action: "sqs:SendMessage", resource: "arn:aws:sqs:us-east-1:" + acctA + ":q", identity: []string{full, pol(denyStmt("sqs:*", "arn:aws:sqs"))}, want: ExplicitDeny, gate: GateExplicitDeny}},
		{evalCase: evalCase{name: "incomplete arn with region", principal: alice, action: "sqs:SendMessage", resource: "arn:aws:sqs:us-east-1:" + acctA + ":q", identity: []string{pol(allowStmt("sqs:*", "arn:aws:sqs:us-east-1"))}, want: AllowDecision, gate: GateIdentity}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.run(t)
			if r.Decision != tc.want || r.Gate != tc.gate {
				t.Errorf("got %v gate %v (%s), want %v gate %v", r.Decision, r.Gate, r.Explain().Message, tc.want, tc.gate)
			}
			if got := !r.Determined(); got != tc.undetermined {
				t.Errorf("undetermined = %v (%v), want %v", got, r.Undetermined, tc.undetermined)
			}
		})
	}
}

type rcpSet []string

func (s rcpSet) SupportsRCP(p string) bool {
	for _, v := range s {
		if v == p {
			return true
		}
	}
	return false
}

func TestAWSOwned(t *testing.T) {
	for _, tc := range []struct {
		action, resource string
		want             bool
	}{
		{"iam:DeletePolicy", "arn:aws:iam::aws:policy/AdministratorAccess", true},
		{"iam:DeletePolicy", "arn:aws:iam::111122223333:policy/Mine", false},
		{"iam:DeleteRole", "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX", true},
		{"iam:DeleteServiceLinkedRole", "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX", false},
		{"iam:UpdateRoleDescription", "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_A_1", true},
		{"kms:UpdateAlias", "arn:aws:kms:us-east-1:111122223333:alias/aws/ebs", true},
		{"kms:UpdateAlias", "arn:aws:kms:us-east-1:111122223333:alias/mine", false},
		{"kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:alias/aws/ebs", false},
	} {
		if got := AWSOwned(tc.action, tc.resource); got != tc.want {
			t.Errorf("AWSOwned(%s, %s) = %v, want %v", tc.action, tc.resource, got, tc.want)
		}
	}
}
