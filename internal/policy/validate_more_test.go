package policy

import (
	"testing"

	"github.com/seiri-dev/seiri/internal/catalog"
)

// The malformed forms come from issue 12 and from IAM Access Analyzer's
// policy check reference; the catalog is the embedded one.
func TestValidateMalformed(t *testing.T) {
	cat := catalog.Embedded()
	res := func(r string) string {
		return pol(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + r + `"}`)
	}
	prin := func(kind, v string) string {
		return pol(`{"Effect":"Allow","Principal":{"` + kind + `":"` + v + `"},"Action":"s3:GetObject","Resource":"*"}`)
	}
	for _, tc := range []struct {
		name, doc string
		t         Type
		code      string // "" : none of the new codes
		sev       string
	}{
		{"s3 arn without the empty parts", res("arn:aws:s3:bucket/*"), TypeIdentity, CodeBadResourceARN, SevError},
		{"five-digit account", pol(`{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:12345:q"}`), TypeIdentity, CodeBadResourceARN, SevError},
		{"not an arn", res("bucket/*"), TypeIdentity, CodeBadResourceARN, SevError},
		{"good s3 arn", res("arn:aws:s3:::bucket/*"), TypeIdentity, "", ""},
		{"wildcard in iam resource type", pol(`{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::111122223333:u*"}`), TypeIdentity, CodeIAMTypeWildcard, SevError},
		{"wildcard after iam resource type", pol(`{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::111122223333:user/*"}`), TypeIdentity, "", ""},
		{"incomplete arn in identity policy is not an error", pol(`{"Effect":"Deny","Action":"sqs:*","Resource":"arn:aws:sqs"}`), TypeIdentity, CodeIncompleteARN, SevSuggestion},
		{"incomplete arn in a resource policy", pol(`{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"arn:aws:sqs"}`), TypeResource, CodeBadResourceARN, SevError},
		{"short account principal", prin("AWS", "12345"), TypeResource, CodeBadPrincipal, SevError},
		{"service without domain", prin("Service", "lambda"), TypeResource, CodeBadPrincipal, SevError},
		{"principal path without arn", prin("AWS", "user/*"), TypeResource, CodeBadPrincipal, SevError},
		{"principal arn with a placeholder account", prin("AWS", "arn:aws:iam::VENDOR_ACCOUNT_ID:root"), TypeResource, CodeBadPrincipal, SevWarning},
		{"principal arn wildcard", prin("AWS", "arn:aws:iam::111122223333:user/*"), TypeResource, CodeBadPrincipal, SevError},
		{"good principals", pol(`{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:role/r"],"Service":"lambda.amazonaws.com"},"Action":"s3:GetObject","Resource":"*"}`), TypeResource, "", ""},
		{"set operator on single-valued key", pol(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"o-1"}}}`), TypeIdentity, CodeSetOpSingleValued, SevWarning},
		{"plain operator on multivalued key", pol(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:TagKeys":"env"}}}`), TypeIdentity, CodeMultiValuedNoSet, SevWarning},
		{"set operator on multivalued key", pol(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-1/*"}}}`), TypeIdentity, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			issues := Validate([]byte(tc.doc), tc.t, cat)
			newCodes := map[string]bool{CodeBadResourceARN: true, CodeIAMTypeWildcard: true, CodeSetOpSingleValued: true, CodeMultiValuedNoSet: true, CodeIncompleteARN: true, CodeBadPrincipal: true}
			found := false
			for _, is := range issues {
				if is.Code == tc.code {
					found = true
					if is.Severity != tc.sev || is.Line == 0 || is.Path == "" {
						t.Errorf("%s: severity %s line %d path %q", is.Code, is.Severity, is.Line, is.Path)
					}
				} else if newCodes[is.Code] {
					t.Errorf("unexpected %s: %s", is.Code, is.Message)
				}
			}
			if tc.code != "" && !found {
				t.Errorf("no %s in %+v", tc.code, issues)
			}
		})
	}
}
