package policy

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tinyCatalog is an in-test catalog: a handful of actions and the ARN
// shapes of the resource types they accept.
type tinyCatalog map[string][]*regexp.Regexp

func newTinyCatalog() tinyCatalog {
	obj := regexp.MustCompile(`^arn:aws:s3:::[^/]+/.+$`)
	bucket := regexp.MustCompile(`^arn:aws:s3:::[^/]+$`)
	role := regexp.MustCompile(`^arn:aws:iam::[0-9*]+:role/.+$`)
	user := regexp.MustCompile(`^arn:aws:iam::[0-9*]+:user/.+$`)
	return tinyCatalog{
		"s3:GetObject":          {obj},
		"s3:PutObject":          {obj},
		"s3:ListBucket":         {bucket},
		"s3:ListAllMyBuckets":   nil,
		"iam:PassRole":          {role},
		"iam:CreateUser":        {user},
		"ec2:DescribeInstances": nil,
		"sts:AssumeRole":        {role},
	}
}

func (c tinyCatalog) canonical(name string) (string, bool) {
	for k := range c {
		if strings.EqualFold(k, name) {
			return k, true
		}
	}
	return "", false
}

func (c tinyCatalog) ActionExists(name string) bool { _, ok := c.canonical(name); return ok }

func (c tinyCatalog) ExpandActions(pattern string) []string {
	ap, err := compileAction(pattern)
	if err != nil {
		return nil
	}
	var out []string
	for k := range c {
		if ap.match(k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func (c tinyCatalog) ResourceARNMatchesAction(action, arn string) (bool, bool) {
	k, ok := c.canonical(action)
	if !ok {
		return false, false
	}
	types := c[k]
	if types == nil {
		return true, arn == "*"
	}
	for _, re := range types {
		if re.MatchString(arn) {
			return true, true
		}
	}
	return true, false
}

func (c tinyCatalog) ActionHasResourceLevel(action string) bool {
	k, ok := c.canonical(action)
	return ok && c[k] != nil
}

func TestValidate(t *testing.T) {
	type finding struct {
		Code      string
		Severity  string
		Statement int
		Path      string
	}
	tests := []struct {
		name string
		typ  Type
		doc  string
		want []finding
	}{
		{"clean", TypeIdentity, pol(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), nil},
		{"unknown action", TypeIdentity, pol(`{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjekt"],"Resource":"arn:aws:s3:::b/*"}`),
			[]finding{{CodeActionNotFound, SevError, 0, "$.Statement[0].Action[1]"}}},
		{"pattern matches nothing", TypeIdentity, pol(`{"Effect":"Allow","Action":"s3:Frob*","Resource":"*"}`),
			[]finding{{CodePatternNoMatch, SevError, 0, "$.Statement[0].Action"}}},
		{"wildcard single action", TypeIdentity, pol(`{"Effect":"Allow","Action":"s3:GetObj*","Resource":"arn:aws:s3:::b/*"}`),
			[]finding{{CodeWildcardSingleAction, SevSuggestion, 0, "$.Statement[0].Action"}}},
		{"resource matches no resource type", TypeIdentity, pol(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-only"}`),
			[]finding{{CodeResourceNoMatch, SevError, 0, "$.Statement[0].Resource"}}},
		{"resource fits one of the actions", TypeIdentity, pol(`{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}`), nil},
		{"full access", TypeIdentity, pol(`{"Effect":"Allow","Action":"*","Resource":"*"}`),
			[]finding{{CodeFullAccess, SevWarning, 0, "$.Statement[0]"}}},
		{"passrole star", TypeIdentity, pol(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}`),
			[]finding{{CodePassRoleWildcard, SevWarning, 0, "$.Statement[0]"}}},
		{"passrole all roles", TypeIdentity, pol(`{"Effect":"Allow","Action":"iam:Pass*","Resource":"arn:aws:iam::*:role/*"}`),
			[]finding{{CodePassRoleWildcard, SevWarning, 0, "$.Statement[0]"}, {CodeWildcardSingleAction, SevSuggestion, 0, "$.Statement[0].Action"}}},
		{"allow with notaction", TypeIdentity, pol(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`),
			[]finding{{CodeAllowNotAction, SevWarning, 0, "$.Statement[0].NotAction"}}},
		{"redundant statement", TypeIdentity, pol(`{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"Dup","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
			[]finding{{CodeRedundantStatement, SevSuggestion, 1, "$.Statement[1]"}}},
		{"identical statements reported once", TypeIdentity, pol(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
			[]finding{{CodeRedundantStatement, SevSuggestion, 1, "$.Statement[1]"}}},
		{"principal in identity policy", TypeIdentity, pol(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
			[]finding{{CodeUnexpectedPrinc, SevError, 0, "$.Statement[0].Principal"}}},
		{"missing effect and unknown element", TypeIdentity, pol(`{"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condtion":{}}`),
			[]finding{{CodeMissingEffect, SevError, 0, "$.Statement[0]"}, {CodeUnknownElement, SevError, 0, "$.Statement[0].Condtion"}}},
		{"rcp allow unsupported", TypeRCP, pol(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}`),
			[]finding{{CodeRCPUnsupported, SevError, 0, "$.Statement[0].Effect"}}},
		{"rcp principal must be star", TypeRCP, pol(`{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"*"}`),
			[]finding{{CodeRCPUnsupported, SevError, 0, "$.Statement[0].Principal"}}},
		{"scp principal", TypeSCP, pol(`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*"}`),
			[]finding{{CodeSCPUnsupported, SevError, 0, "$.Statement[0].Principal"}}},
		{"trust notprincipal", TypeTrust, pol(`{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}`),
			[]finding{{CodeTrustUnsupported, SevError, 0, "$.Statement[0].NotPrincipal"}}},
		{"public resource policy", TypeResource, pol(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`),
			[]finding{{CodePublicPrincipal, SevWarning, 0, "$.Statement[0].Principal"}}},
		{"condition value never matches", TypeIdentity, pol(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.300/8"}}}`),
			[]finding{{CodeConditionNeverMatch, SevWarning, 0, "$.Statement[0].Condition.IpAddress.aws:SourceIp"}}},
		{"variables without version", TypeIdentity, `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"}]}`,
			[]finding{{CodeVariablesLiteral, SevWarning, -1, "$"}}},
		{"malformed variable", TypeIdentity, pol(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username/*"}`),
			[]finding{{CodeVariableMalformed, SevWarning, 0, "$.Statement[0].Resource"}}},
		{"invalid JSON", TypeIdentity, `{"Statement":[`, []finding{{CodeInvalidJSON, SevError, -1, "$"}}},
	}
	cat := newTinyCatalog()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []finding
			for _, is := range Validate([]byte(tt.doc), tt.typ, cat) {
				if is.Line < 1 || is.Column < 1 {
					t.Errorf("issue %s has no position", is.Code)
				}
				got = append(got, finding{is.Code, is.Severity, is.Statement, is.Path})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateWithoutCatalog(t *testing.T) {
	issues := Validate([]byte(pol(`{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"arn:aws:s3:::b/*"}`)), TypeIdentity, nil)
	if len(issues) != 0 {
		t.Errorf("without a catalog, unknown actions are not checked: %+v", issues)
	}
}
