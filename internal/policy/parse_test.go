package policy

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseErrorsHavePositions(t *testing.T) {
	type pos struct {
		Code      string
		Line, Col int
		Path      string
	}
	tests := []struct {
		name string
		doc  string
		typ  Type
		want pos
	}{
		{"invalid JSON", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [ }", TypeIdentity, pos{CodeInvalidJSON, 3, 18, "$"}},
		{"truncated", `{"Version":"2012-10-17"`, TypeIdentity, pos{CodeInvalidJSON, 1, 24, "$"}},
		{"not an object", `[1]`, TypeIdentity, pos{CodeNotObject, 1, 1, "$"}},
		{"unknown top element", `{"Version":"2012-10-17","Statment":[]}`, TypeIdentity, pos{CodeUnknownElement, 1, 25, "$.Statment"}},
		{"bad version", `{"Version":"2012-10-18","Statement":[]}`, TypeIdentity, pos{CodeBadVersion, 1, 12, "$.Version"}},
		{"missing effect", "{\"Version\":\"2012-10-17\",\"Statement\":[\n {\"Action\":\"s3:*\",\"Resource\":\"*\"}]}", TypeIdentity, pos{CodeMissingEffect, 2, 2, "$.Statement[0]"}},
		{"bad effect", `{"Statement":{"Effect":"allow","Action":"s3:*","Resource":"*"}}`, TypeIdentity, pos{CodeBadEffect, 1, 24, "$.Statement.Effect"}},
		{"unknown statement element", `{"Statement":[{"Effect":"Allow","Actions":"s3:*","Resource":"*"}]}`, TypeIdentity, pos{CodeUnknownElement, 1, 33, "$.Statement[0].Actions"}},
		{"missing action", `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, TypeIdentity, pos{CodeMissingAction, 1, 15, "$.Statement[0]"}},
		{"bad action", `{"Statement":[{"Effect":"Allow","Action":["s3:Get","s3GetObject"],"Resource":"*"}]}`, TypeIdentity, pos{CodeBadAction, 1, 52, "$.Statement[0].Action[1]"}},
		{"missing resource", `{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}`, TypeIdentity, pos{CodeMissingResource, 1, 15, "$.Statement[0]"}},
		{"principal in identity policy", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`, TypeIdentity, pos{CodeUnexpectedPrinc, 1, 45, "$.Statement[0].Principal"}},
		{"principal in SCP", `{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"1"},"Action":"s3:*","Resource":"*"}]}`, TypeSCP, pos{CodeSCPUnsupported, 1, 47, "$.Statement[0].NotPrincipal"}},
		{"missing principal in resource policy", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, TypeResource, pos{CodeMissingPrincipal, 1, 15, "$.Statement[0]"}},
		{"resource in trust policy", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}`, TypeTrust, pos{CodeResourceInTrust, 1, 114, "$.Statement[0].Resource"}},
		{"unknown operator", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquale":{"k":"v"}}}]}`, TypeIdentity, pos{CodeUnknownOperator, 1, 93, "$.Statement[0].Condition.StringEquale.k"}},
		{"condition value object", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"k":{"a":1}}}}]}`, TypeIdentity, pos{CodeBadConditionValue, 1, 97, "$.Statement[0].Condition.StringEquals.k"}},
		{"duplicate sid", `{"Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, TypeIdentity, pos{CodeDuplicateSid, 1, 82, "$.Statement[1].Sid"}},
		{"both action and notaction", `{"Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"ec2:*","Resource":"*"}]}`, TypeIdentity, pos{CodeActionAndNot, 1, 61, "$.Statement[0].NotAction"}},
		{"multi-line column counts runes", "{\"Statement\":[{\"Sid\":\"é\",\n   \"Effect\":\"Maybe\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}", TypeIdentity, pos{CodeBadEffect, 2, 13, "$.Statement[0].Effect"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), tt.typ)
			if err == nil {
				t.Fatal("no error")
			}
			pe, ok := err.(*Error)
			if !ok {
				t.Fatalf("error type %T", err)
			}
			is := pe.Issues[0]
			got := pos{is.Code, is.Line, is.Column, is.Path}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("first issue (-want +got):\n%s\nall: %+v", diff, pe.Issues)
			}
			if !strings.Contains(err.Error(), "line ") {
				t.Errorf("error %q has no position", err)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		typ  Type
	}{
		{"statement object", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, TypeIdentity},
		{"no version", `{"Statement":[{"Effect":"Deny","NotAction":["iam:*"],"NotResource":"arn:aws:s3:::x"}]}`, TypeSCP},
		{"trust policy without resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333"],"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`, TypeTrust},
		{"rcp", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-1"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}`, TypeRCP},
		{"federated and canonical principals", `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com","CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`, TypeTrust},
		{"escaped strings", `{"Statement":[{"Sid":"\u0041\ud83d\ude00","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::a\/b"}]}`, TypeIdentity},
		{"condition numbers and booleans", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":[true]}}}]}`, TypeIdentity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.doc), tt.typ); err != nil {
				t.Fatal(err)
			}
		})
	}
	p := MustParse(`{"Statement":[{"Sid":"\u0041\ud83d\ude00","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::a\/b"}]}`, TypeIdentity)
	if p.Statements[0].Sid != "A😀" || p.Statements[0].Resources[0] != "arn:aws:s3:::a/b" {
		t.Errorf("escapes decoded as %q %q", p.Statements[0].Sid, p.Statements[0].Resources[0])
	}
}

func TestDecodeJSONDepthLimit(t *testing.T) {
	doc := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	if _, err := DecodeJSON([]byte(doc)); err == nil {
		t.Fatal("no error for deep nesting")
	}
}
