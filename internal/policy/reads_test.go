package policy

import (
	"slices"
	"testing"
	"time"
)

func TestStatementContextKeys(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"none", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, nil},
		{"conditions, lower-cased, once",
			`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"},"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"],"AWS:PRINCIPALARN":"y"}}}}`,
			[]string{"aws:principalarn", "aws:requestedregion"}},
		{"variables in resources and condition values",
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","NotResource":"arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username, 'x'}","Condition":{"StringEquals":{"s3:prefix":"home/${aws:userid}/"}}}}`,
			[]string{"aws:principalaccount", "aws:userid", "aws:username", "s3:prefix"}},
		{"no variables before 2012-10-17",
			`{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::*:user/${aws:username}"}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := MustParse(tt.doc, TypeIdentity)
			if got := p.Statements[0].ContextKeys(); !slices.Equal(got, tt.want) {
				t.Errorf("ContextKeys = %q, want %q", got, tt.want)
			}
		})
	}
}

// CoversAction must agree with the evaluator: an Allow of the statement's
// actions on every resource, without conditions, allows exactly the
// actions it covers.
func TestCoversActionAgreesWithEvaluate(t *testing.T) {
	actions := []string{"s3:GetObject", "S3:getobject", "s3:PutObject", "s3:GetObjectAcl", "ec2:DescribeInstances",
		"iam:CreateAccessKey", "iam:ListUsers", "kms:Decrypt", "sts:AssumeRole", "s3x:GetObject", "s:GetObject"}
	patterns := []string{`"*"`, `"s3:*"`, `"s3:Get*"`, `"s3:GetObject"`, `"s?:Get*"`, `["ec2:Describe*","iam:*AccessKey*"]`, `"*:Get*"`, `"s3:*Object"`}
	for _, pat := range patterns {
		for _, not := range []bool{false, true} {
			elem := "Action"
			if not {
				elem = "NotAction"
			}
			doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","` + elem + `":` + pat + `,"Resource":"*"}}`
			p := MustParse(doc, TypeIdentity)
			for _, a := range actions {
				req := &Request{Principal: "arn:aws:iam::123456789012:user/alice", Action: a, Resource: "*"}
				allowed := Evaluate(req, &Policies{Identity: []*Policy{p}}, nil).Decision == AllowDecision
				if got := p.Statements[0].CoversAction(a); got != allowed {
					t.Errorf("%s %s: CoversAction(%s) = %v, Evaluate allows: %v", elem, pat, a, got, allowed)
				}
			}
		}
	}
}

func TestDifferingKeys(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	derive := func(arn, region string) *Context {
		var c Context
		DeriveContext(&c, PrincipalFacts{ARN: arn, Region: region}, now)
		return &c
	}
	alice := derive("arn:aws:iam::123456789012:user/alice", "eu-west-1")
	bob := derive("arn:aws:iam::123456789012:user/team/bob", "eu-west-1")
	if got := alice.DifferingKeys(derive("arn:aws:iam::123456789012:user/alice", "eu-west-1")); got != nil {
		t.Errorf("same facts: %q", got)
	}
	if got, want := alice.DifferingKeys(bob), []string{"aws:principalarn", "aws:username"}; !slices.Equal(got, want) {
		t.Errorf("two users of one account: %q, want %q", got, want)
	}
	if got, want := bob.DifferingKeys(alice), []string{"aws:principalarn", "aws:username"}; !slices.Equal(got, want) {
		t.Errorf("symmetric: %q, want %q", got, want)
	}
	other := derive("arn:aws:iam::210987654321:user/alice", "us-east-1")
	if got, want := alice.DifferingKeys(other), []string{"aws:principalaccount", "aws:principalarn", "aws:requestedregion"}; !slices.Equal(got, want) {
		t.Errorf("another account and region: %q, want %q", got, want)
	}
	// Presence and multivaluedness count too.
	a, b := NewContext(), NewContext()
	a.Set("s3:prefix", "x")
	b.SetMulti("s3:prefix", []string{"x"})
	b.Set("aws:SourceIp", "10.0.0.1")
	if got, want := a.DifferingKeys(&b), []string{"aws:sourceip", "s3:prefix"}; !slices.Equal(got, want) {
		t.Errorf("multi and missing: %q, want %q", got, want)
	}
}
