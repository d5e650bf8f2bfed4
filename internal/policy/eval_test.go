package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	acctA = "111122223333"
	acctB = "444455556666"
)

func pol(stmts string) string { return `{"Version":"2012-10-17","Statement":[` + stmts + `]}` }

func allowStmt(action, resource string) string {
	return `{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}`
}

func denyStmt(action, resource string) string {
	return `{"Effect":"Deny","Action":"` + action + `","Resource":"` + resource + `"}`
}

const fullAccess = `{"Effect":"Allow","Action":"*","Resource":"*"}`

type evalCase struct {
	name      string
	principal string
	action    string
	resource  string
	resAcct   string
	ctx       map[string]string
	identity  []string
	resource_ string
	boundary  string
	session   string
	scps      [][]string
	rcps      [][]string
	vpce      []string
	opt       *Options
	want      Decision
	gate      Gate
}

func (ec evalCase) run(t *testing.T) Result {
	t.Helper()
	req := Request{Principal: ec.principal, Action: ec.action, Resource: ec.resource, ResourceAccount: ec.resAcct, Context: NewContext()}
	for k, v := range ec.ctx {
		req.Context.Set(k, v)
	}
	var ps Policies
	for _, d := range ec.identity {
		ps.Identity = append(ps.Identity, MustParse(d, TypeIdentity))
	}
	if ec.resource_ != "" {
		ps.Resource = MustParse(ec.resource_, TypeResource)
	}
	if ec.boundary != "" {
		ps.Boundary = MustParse(ec.boundary, TypeBoundary)
	}
	if ec.session != "" {
		ps.Session = MustParse(ec.session, TypeSession)
	}
	levels := func(in [][]string, t Type) [][]*Policy {
		if in == nil {
			return nil
		}
		out := make([][]*Policy, len(in))
		for i, l := range in {
			out[i] = []*Policy{}
			for _, d := range l {
				out[i] = append(out[i], MustParse(d, t))
			}
		}
		return out
	}
	ps.SCPs = levels(ec.scps, TypeSCP)
	ps.RCPs = levels(ec.rcps, TypeRCP)
	for _, d := range ec.vpce {
		ps.VPCEndpoint = append(ps.VPCEndpoint, MustParse(d, TypeEndpoint))
	}
	return Evaluate(&req, &ps, ec.opt)
}

func TestEvaluate(t *testing.T) {
	alice := "arn:aws:iam::" + acctA + ":user/alice"
	devRole := "arn:aws:iam::" + acctA + ":role/team/dev"
	devSession := "arn:aws:sts::" + acctA + ":assumed-role/dev/s1"
	mallory := "arn:aws:iam::" + acctB + ":user/mallory"
	root := "arn:aws:iam::" + acctA + ":root"
	obj := "arn:aws:s3:::corp-data/a.txt"
	table := "arn:aws:dynamodb:us-east-1:" + acctA + ":table/orders"
	key := "arn:aws:kms:us-east-1:" + acctA + ":key/k1"
	full := pol(fullAccess)
	scpAllowAll := pol(fullAccess)

	tests := []evalCase{
		// Identity policies.
		{name: "no policy", principal: alice, action: "s3:GetObject", resource: obj, want: ImplicitDeny, gate: GateIdentity},
		{name: "identity allow", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{pol(allowStmt("s3:Get*", "arn:aws:s3:::corp-data/*"))}, want: AllowDecision, gate: GateIdentity},
		{name: "action case-insensitive", principal: alice, action: "S3:getobject", resource: obj, identity: []string{pol(allowStmt("s3:GetObject", obj))}, want: AllowDecision, gate: GateIdentity},
		{name: "resource case-sensitive", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{pol(allowStmt("s3:GetObject", "arn:aws:s3:::CORP-DATA/*"))}, want: ImplicitDeny, gate: GateIdentity},
		{name: "deny wins over allow", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{full, pol(denyStmt("s3:*", "*"))}, want: ExplicitDeny, gate: GateExplicitDeny},
		{name: "NotAction allow excludes listed", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{pol(`{"Effect":"Allow","NotAction":"s3:Get*","Resource":"*"}`)}, want: ImplicitDeny, gate: GateIdentity},
		{name: "NotAction allow includes others", principal: alice, action: "s3:PutObject", resource: obj, identity: []string{pol(`{"Effect":"Allow","NotAction":"s3:Get*","Resource":"*"}`)}, want: AllowDecision, gate: GateIdentity},
		{name: "NotResource deny", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{full, pol(`{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::public/*"}`)}, want: ExplicitDeny, gate: GateExplicitDeny},
		{name: "NotResource deny skips listed", principal: alice, action: "s3:GetObject", resource: "arn:aws:s3:::public/x", identity: []string{full, pol(`{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::public/*"}`)}, want: AllowDecision, gate: GateIdentity},
		{name: "resource star request only matches star", principal: alice, action: "ec2:DescribeInstances", resource: "*", identity: []string{pol(allowStmt("ec2:*", "arn:aws:ec2:*:*:*"))}, want: ImplicitDeny, gate: GateIdentity},
		{name: "resource variable", principal: alice, action: "s3:GetObject", resource: "arn:aws:s3:::home/alice/x", ctx: map[string]string{"aws:username": "alice"}, identity: []string{pol(allowStmt("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"))}, want: AllowDecision, gate: GateIdentity},
		{name: "resource variable missing", principal: alice, action: "s3:GetObject", resource: "arn:aws:s3:::home/alice/x", identity: []string{pol(allowStmt("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"))}, want: ImplicitDeny, gate: GateIdentity},
		{name: "condition gates allow", principal: alice, action: "s3:GetObject", resource: obj, ctx: map[string]string{"aws:SecureTransport": "false"}, identity: []string{pol(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`)}, want: ImplicitDeny, gate: GateIdentity},

		// Permissions boundary.
		{name: "boundary does not allow", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{full}, boundary: pol(allowStmt("ec2:*", "*")), want: ImplicitDeny, gate: GateBoundary},
		{name: "boundary allows", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{full}, boundary: pol(allowStmt("s3:*", "*")), want: AllowDecision, gate: GateIdentity},
		{name: "boundary alone grants nothing", principal: alice, action: "s3:GetObject", resource: obj, boundary: full, want: ImplicitDeny, gate: GateIdentity},
		{name: "boundary deny", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{full}, boundary: pol(fullAccess + "," + denyStmt("s3:GetObject", "*")), want: ExplicitDeny, gate: GateExplicitDeny},

		// Session policy.
		{name: "session policy does not allow", principal: devSession, action: "s3:GetObject", resource: obj, identity: []string{full}, session: pol(allowStmt("ec2:*", "*")), want: ImplicitDeny, gate: GateSession},
		{name: "session policy allows", principal: devSession, action: "s3:GetObject", resource: obj, identity: []string{full}, session: pol(allowStmt("s3:GetObject", "*")), want: AllowDecision, gate: GateIdentity},
		{name: "session policy alone grants nothing", principal: devSession, action: "s3:GetObject", resource: obj, session: full, want: ImplicitDeny, gate: GateIdentity},

		// SCPs.
		{name: "scp every level allows", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{full}, scps: [][]string{{scpAllowAll}, {pol(allowStmt("s3:*", "*"))}}, want: AllowDecision, gate: GateIdentity},
		{name: "scp one level missing allow", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{full}, scps: [][]string{{scpAllowAll}, {pol(allowStmt("ec2:*", "*"))}}, want: ImplicitDeny, gate: GateSCP},
		{name: "scp level with nothing attached", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{full}, scps: [][]string{{}}, want: ImplicitDeny, gate: GateSCP},
		{name: "scp deny", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{full}, scps: [][]string{{scpAllowAll, pol(denyStmt("s3:*", "*"))}}, want: ExplicitDeny, gate: GateExplicitDeny},
		{name: "scp not for management account", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{full}, scps: [][]string{{}}, opt: &Options{ManagementAccount: acctA}, want: AllowDecision, gate: GateIdentity},
		{name: "scp not for service-linked role", principal: "arn:aws:iam::" + acctA + ":role/aws-service-role/elasticbeanstalk.amazonaws.com/AWSServiceRoleForElasticBeanstalk", action: "s3:GetObject", resource: obj, identity: []string{full}, scps: [][]string{{pol(denyStmt("*", "*"))}}, want: AllowDecision, gate: GateIdentity},
		{name: "scp not for service-linked role session", principal: "arn:aws:sts::" + acctA + ":assumed-role/AWSServiceRoleForConfig/s", action: "s3:GetObject", resource: obj, identity: []string{full}, scps: [][]string{{}}, want: AllowDecision, gate: GateIdentity},
		{name: "scp applies to root user", principal: root, action: "s3:GetObject", resource: obj, scps: [][]string{{pol(allowStmt("ec2:*", "*"))}}, want: ImplicitDeny, gate: GateSCP},
		{name: "scp does not apply to resource-policy-only anonymous", principal: "anonymous", action: "s3:GetObject", resource: obj, resAcct: acctA, resource_: pol(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`), scps: [][]string{{}}, want: AllowDecision, gate: GateResource},

		// RCPs.
		{name: "rcp deny on supported service", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{full}, rcps: [][]string{{pol(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}`)}}, want: ExplicitDeny, gate: GateExplicitDeny},
		{name: "rcp ignored for unsupported service", principal: alice, action: "ec2:RunInstances", resource: "*", identity: []string{full}, rcps: [][]string{{pol(`{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}`)}}, want: AllowDecision, gate: GateIdentity},
		{name: "rcp empty level is full access", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{full}, rcps: [][]string{{}}, want: AllowDecision, gate: GateIdentity},
		{name: "rcp not for management account resources", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{full}, rcps: [][]string{{pol(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}`)}}, opt: &Options{ManagementAccount: acctA}, want: AllowDecision, gate: GateIdentity},

		// Resource-based policies, same account.
		{name: "resource policy names the user", principal: alice, action: "s3:GetObject", resource: obj, resource_: pol(`{"Effect":"Allow","Principal":{"AWS":"` + alice + `"},"Action":"s3:GetObject","Resource":"*"}`), want: AllowDecision, gate: GateResource},
		{name: "user grant not limited by boundary", principal: alice, action: "s3:GetObject", resource: obj, boundary: pol(allowStmt("ec2:*", "*")), resource_: pol(`{"Effect":"Allow","Principal":{"AWS":"` + alice + `"},"Action":"s3:GetObject","Resource":"*"}`), want: AllowDecision, gate: GateResource},
		{name: "account grant needs identity allow", principal: alice, action: "s3:GetObject", resource: obj, resource_: pol(`{"Effect":"Allow","Principal":{"AWS":"` + acctA + `"},"Action":"s3:GetObject","Resource":"*"}`), want: ImplicitDeny, gate: GateIdentity},
		{name: "role ARN grant to session", principal: devSession, action: "s3:GetObject", resource: obj, resource_: pol(`{"Effect":"Allow","Principal":{"AWS":"` + devRole + `"},"Action":"s3:GetObject","Resource":"*"}`), want: AllowDecision, gate: GateResource},
		{name: "role ARN grant limited by boundary", principal: devSession, action: "s3:GetObject", resource: obj, boundary: pol(allowStmt("ec2:*", "*")), resource_: pol(`{"Effect":"Allow","Principal":{"AWS":"` + devRole + `"},"Action":"s3:GetObject","Resource":"*"}`), want: ImplicitDeny, gate: GateBoundary},
		{name: "role ARN grant limited by session policy", principal: devSession, action: "s3:GetObject", resource: obj, session: pol(allowStmt("ec2:*", "*")), resource_: pol(`{"Effect":"Allow","Principal":{"AWS":"` + devRole + `"},"Action":"s3:GetObject","Resource":"*"}`), want: ImplicitDeny, gate: GateSession},
		{name: "session ARN grant not limited", principal: devSession, action: "s3:GetObject", resource: obj, boundary: pol(allowStmt("ec2:*", "*")), session: pol(allowStmt("ec2:*", "*")), resource_: pol(`{"Effect":"Allow","Principal":{"AWS":"` + devSession + `"},"Action":"s3:GetObject","Resource":"*"}`), want: AllowDecision, gate: GateResource},
		{name: "resource policy deny naming account", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{full}, resource_: pol(`{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},"Action":"s3:GetObject","Resource":"*"}`), want: ExplicitDeny, gate: GateExplicitDeny},
		{name: "resource policy other principal", principal: alice, action: "s3:GetObject", resource: obj, resource_: pol(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:user/bob"},"Action":"s3:GetObject","Resource":"*"}`), want: ImplicitDeny, gate: GateIdentity},

		// NotPrincipal.
		{name: "NotPrincipal deny applies to others", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{full}, resource_: pol(`{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::` + acctA + `:user/bob"},"Action":"s3:*","Resource":"*"}`), want: ExplicitDeny, gate: GateExplicitDeny},
		{name: "NotPrincipal deny exempts listed", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{full}, resource_: pol(`{"Effect":"Deny","NotPrincipal":{"AWS":["` + alice + `","arn:aws:iam::` + acctA + `:root"]},"Action":"s3:*","Resource":"*"}`), want: AllowDecision, gate: GateIdentity},
		{name: "NotPrincipal deny exempts role session by role ARN", principal: devSession, action: "s3:GetObject", resource: obj, identity: []string{full}, resource_: pol(`{"Effect":"Deny","NotPrincipal":{"AWS":"` + devRole + `"},"Action":"s3:*","Resource":"*"}`), want: AllowDecision, gate: GateIdentity},
		{name: "NotPrincipal deny always applies with a boundary", principal: alice, action: "s3:GetObject", resource: obj, identity: []string{full}, boundary: full, resource_: pol(`{"Effect":"Deny","NotPrincipal":{"AWS":"` + alice + `"},"Action":"s3:*","Resource":"*"}`), want: ExplicitDeny, gate: GateExplicitDeny},
		{name: "NotPrincipal deny applies to anonymous", principal: "anonymous", action: "s3:GetObject", resource: obj, resAcct: acctA, resource_: pol(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},{"Effect":"Deny","NotPrincipal":{"AWS":"` + acctA + `"},"Action":"s3:*","Resource":"*"}`), want: ExplicitDeny, gate: GateExplicitDeny},

		// Cross-account.
		{name: "cross-account needs resource policy", principal: mallory, action: "dynamodb:GetItem", resource: table, identity: []string{full}, want: ImplicitDeny, gate: GateResource},
		{name: "cross-account both allow", principal: mallory, action: "dynamodb:GetItem", resource: table, identity: []string{full}, resource_: pol(`{"Effect":"Allow","Principal":{"AWS":"` + acctB + `"},"Action":"dynamodb:GetItem","Resource":"*"}`), want: AllowDecision, gate: GateIdentity},
		{name: "cross-account resource only", principal: mallory, action: "dynamodb:GetItem", resource: table, resource_: pol(`{"Effect":"Allow","Principal":{"AWS":"` + mallory + `"},"Action":"dynamodb:GetItem","Resource":"*"}`), want: ImplicitDeny, gate: GateIdentity},
		{name: "cross-account boundary", principal: mallory, action: "dynamodb:GetItem", resource: table, identity: []string{full}, boundary: pol(allowStmt("s3:*", "*")), resource_: pol(`{"Effect":"Allow","Principal":{"AWS":"` + mallory + `"},"Action":"dynamodb:GetItem","Resource":"*"}`), want: ImplicitDeny, gate: GateBoundary},
		{name: "cross-account s3 via resourceAccount", principal: alice, action: "s3:GetObject", resource: obj, resAcct: acctB, identity: []string{full}, want: ImplicitDeny, gate: GateResource},
		{name: "cross-account principal star", principal: mallory, action: "s3:GetObject", resource: obj, resAcct: acctA, identity: []string{full}, resource_: pol(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`), want: AllowDecision, gate: GateIdentity},
		{name: "cross-account root", principal: "arn:aws:iam::" + acctB + ":root", action: "s3:GetObject", resource: obj, resAcct: acctA, resource_: pol(`{"Effect":"Allow","Principal":{"AWS":"` + acctB + `"},"Action":"s3:GetObject","Resource":"*"}`), want: AllowDecision, gate: GateResource},

		// Root user.
		{name: "root user same account", principal: root, action: "s3:DeleteBucket", resource: "arn:aws:s3:::corp-data", want: AllowDecision, gate: GateRoot},
		{name: "root user denied by resource policy", principal: root, action: "s3:DeleteBucket", resource: "arn:aws:s3:::corp-data", resAcct: acctA, resource_: pol(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}`), want: ExplicitDeny, gate: GateExplicitDeny},

		// Anonymous and service principals.
		{name: "anonymous public read", principal: "anonymous", action: "s3:GetObject", resource: obj, resAcct: acctA, resource_: pol(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::corp-data/*"}`), want: AllowDecision, gate: GateResource},
		{name: "anonymous not an account principal", principal: "anonymous", action: "s3:GetObject", resource: obj, resAcct: acctA, resource_: pol(`{"Effect":"Allow","Principal":{"AWS":"` + acctA + `"},"Action":"s3:GetObject","Resource":"*"}`), want: ImplicitDeny, gate: GateNoPolicy},
		{name: "anonymous ignores identity policies", principal: "anonymous", action: "s3:GetObject", resource: obj, resAcct: acctA, identity: []string{full}, want: ImplicitDeny, gate: GateNoPolicy},
		{name: "service principal", principal: "cloudtrail.amazonaws.com", action: "s3:PutObject", resource: obj, resAcct: acctA, resource_: pol(`{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"*"}`), want: AllowDecision, gate: GateResource},
		{name: "service principal other service", principal: "lambda.amazonaws.com", action: "s3:PutObject", resource: obj, resAcct: acctA, resource_: pol(`{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"*"}`), want: ImplicitDeny, gate: GateNoPolicy},

		// Key policies and trust policies must allow within the account.
		{name: "kms key policy silent", principal: alice, action: "kms:Decrypt", resource: key, identity: []string{full}, resource_: pol(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:user/bob"},"Action":"kms:*","Resource":"*"}`), want: ImplicitDeny, gate: GateResource},
		{name: "kms key policy delegates to account", principal: alice, action: "kms:Decrypt", resource: key, identity: []string{full}, resource_: pol(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},"Action":"kms:*","Resource":"*"}`), want: AllowDecision, gate: GateIdentity},
		{name: "trust policy names user", principal: alice, action: "sts:AssumeRole", resource: devRole, resource_: pol(`{"Effect":"Allow","Principal":{"AWS":"` + alice + `"},"Action":"sts:AssumeRole"}`), want: AllowDecision, gate: GateResource},
		{name: "trust policy silent", principal: alice, action: "sts:AssumeRole", resource: devRole, identity: []string{full}, resource_: pol(`{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`), want: ImplicitDeny, gate: GateResource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.run(t)
			got := struct{ D, G string }{r.Decision.String(), r.Gate.String()}
			want := struct{ D, G string }{tt.want.String(), tt.gate.String()}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("decision (-want +got):\n%s\nresult %+v", diff, r)
			}
		})
	}
}

func TestExplainLocatesStatement(t *testing.T) {
	ec := evalCase{
		principal: "arn:aws:iam::" + acctA + ":user/alice", action: "s3:GetObject", resource: "arn:aws:s3:::b/k",
		identity: []string{pol(fullAccess), pol(fullAccess + `,{"Sid":"NoS3","Effect":"Deny","Action":"s3:*","Resource":"*"}`)},
		scps:     [][]string{{pol(fullAccess)}},
	}
	r := ec.run(t)
	got := r.Explain()
	st := 1
	want := Reason{Gate: "explicit-deny", Policy: "identityPolicies[1]", Statement: &st, Sid: "NoS3", Message: "explicitly denied by identityPolicies[1] statement 1 (NoS3)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reason (-want +got):\n%s", diff)
	}
	ec.identity = []string{pol(fullAccess)}
	ec.scps = [][]string{{pol(fullAccess)}, {pol(allowStmt("ec2:*", "*"))}}
	r = ec.run(t)
	if r.PolicyLabel() != "scps[1]" || r.Gate != GateSCP {
		t.Errorf("scp gate: %+v (%s)", r, r.PolicyLabel())
	}
}

func TestParsePrincipal(t *testing.T) {
	tests := []struct {
		in   string
		want PrincipalInfo
	}{
		{"anonymous", PrincipalInfo{ARN: "anonymous", Kind: PrincipalAnonymous}},
		{"arn:aws:iam::111122223333:root", PrincipalInfo{ARN: "arn:aws:iam::111122223333:root", Kind: PrincipalRoot, Partition: "aws", Account: acctA}},
		{"111122223333", PrincipalInfo{ARN: "111122223333", Kind: PrincipalRoot, Partition: "aws", Account: acctA}},
		{"arn:aws:iam::111122223333:user/team/carol", PrincipalInfo{ARN: "arn:aws:iam::111122223333:user/team/carol", Kind: PrincipalUser, Partition: "aws", Account: acctA, Name: "carol"}},
		{"arn:aws:sts::111122223333:assumed-role/dev/a@b.c", PrincipalInfo{ARN: "arn:aws:sts::111122223333:assumed-role/dev/a@b.c", Kind: PrincipalAssumedRole, Partition: "aws", Account: acctA, Name: "dev", Session: "a@b.c"}},
		{"arn:aws:sts::111122223333:federated-user/bob", PrincipalInfo{ARN: "arn:aws:sts::111122223333:federated-user/bob", Kind: PrincipalFederatedUser, Partition: "aws", Account: acctA, Name: "bob"}},
		{"lambda.amazonaws.com", PrincipalInfo{ARN: "lambda.amazonaws.com", Kind: PrincipalService}},
		{"arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX", PrincipalInfo{ARN: "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX", Kind: PrincipalRole, Partition: "aws", Account: acctA, Name: "AWSServiceRoleForX", ServiceLinked: true}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, ParsePrincipal(tt.in)); diff != "" {
			t.Errorf("ParsePrincipal(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}
