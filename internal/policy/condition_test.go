package policy

import (
	"testing"
)

// condMatches compiles a one-statement identity policy with the given
// Condition block and reports whether the statement applies to a request
// with ctx.
func condMatches(t *testing.T, version, cond string, ctx map[string]any) bool {
	t.Helper()
	v := ""
	if version != "" {
		v = `"Version":"` + version + `",`
	}
	doc := `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":` + cond + `}}`
	p, err := Parse([]byte(doc), TypeIdentity)
	if err != nil {
		t.Fatalf("parse %s: %v", doc, err)
	}
	c := NewContext()
	for k, val := range ctx {
		switch x := val.(type) {
		case string:
			c.Set(k, x)
		case []string:
			c.SetMulti(k, x)
		}
	}
	er := evalReq{action: "s3:GetObject", service: "s3", resource: "arn:aws:s3:::b/k", ctx: &c, sc: &scratch{}}
	return p.Statements[0].matches(&er)
}

func TestConditionOperators(t *testing.T) {
	type ctx = map[string]any
	tests := []struct {
		name string
		cond string
		ctx  ctx
		want bool
	}{
		// String
		{"StringEquals match", `{"StringEquals":{"aws:username":"alice"}}`, ctx{"aws:username": "alice"}, true},
		{"StringEquals case-sensitive", `{"StringEquals":{"aws:username":"Alice"}}`, ctx{"aws:username": "alice"}, false},
		{"StringEquals key name case-insensitive", `{"StringEquals":{"AWS:UserName":"alice"}}`, ctx{"aws:username": "alice"}, true},
		{"StringEquals no wildcard", `{"StringEquals":{"aws:username":"al*"}}`, ctx{"aws:username": "alice"}, false},
		{"StringEquals OR over values", `{"StringEquals":{"aws:username":["bob","alice"]}}`, ctx{"aws:username": "alice"}, true},
		{"StringEquals missing key", `{"StringEquals":{"aws:username":"alice"}}`, ctx{}, false},
		{"StringEqualsIfExists missing key", `{"StringEqualsIfExists":{"aws:username":"alice"}}`, ctx{}, true},
		{"StringEqualsIfExists present mismatch", `{"StringEqualsIfExists":{"aws:username":"alice"}}`, ctx{"aws:username": "bob"}, false},
		{"StringNotEquals match", `{"StringNotEquals":{"aws:username":"alice"}}`, ctx{"aws:username": "bob"}, true},
		{"StringNotEquals NOR over values", `{"StringNotEquals":{"aws:username":["bob","alice"]}}`, ctx{"aws:username": "alice"}, false},
		{"StringNotEquals missing key is true", `{"StringNotEquals":{"aws:username":"alice"}}`, ctx{}, true},
		{"StringNotEqualsIfExists missing key", `{"StringNotEqualsIfExists":{"aws:username":"alice"}}`, ctx{}, true},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, ctx{"aws:username": "alice"}, true},
		{"StringEqualsIgnoreCase unicode", `{"StringEqualsIgnoreCase":{"aws:username":"ÉLISE"}}`, ctx{"aws:username": "élise"}, true},
		{"StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`, ctx{"aws:username": "alice"}, false},
		{"StringLike star", `{"StringLike":{"s3:prefix":"home/*"}}`, ctx{"s3:prefix": "home/alice/x"}, true},
		{"StringLike question", `{"StringLike":{"s3:prefix":"h?me"}}`, ctx{"s3:prefix": "home"}, true},
		{"StringLike question needs one char", `{"StringLike":{"s3:prefix":"home?"}}`, ctx{"s3:prefix": "home"}, false},
		{"StringLike case-sensitive", `{"StringLike":{"s3:prefix":"HOME*"}}`, ctx{"s3:prefix": "home"}, false},
		{"StringNotLike", `{"StringNotLike":{"s3:prefix":"home/*"}}`, ctx{"s3:prefix": "tmp/x"}, true},
		{"StringNotLike missing key", `{"StringNotLike":{"s3:prefix":"home/*"}}`, ctx{}, true},
		// Numeric
		{"NumericEquals", `{"NumericEquals":{"s3:max-keys":"10"}}`, ctx{"s3:max-keys": "10.0"}, true},
		{"NumericEquals JSON number", `{"NumericEquals":{"s3:max-keys":10}}`, ctx{"s3:max-keys": "10"}, true},
		{"NumericNotEquals", `{"NumericNotEquals":{"s3:max-keys":["10","20"]}}`, ctx{"s3:max-keys": "20"}, false},
		{"NumericLessThan", `{"NumericLessThan":{"s3:max-keys":"10"}}`, ctx{"s3:max-keys": "9"}, true},
		{"NumericLessThan equal", `{"NumericLessThan":{"s3:max-keys":"10"}}`, ctx{"s3:max-keys": "10"}, false},
		{"NumericLessThanEquals", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, ctx{"s3:max-keys": "10"}, true},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"aws:MultiFactorAuthAge":"3600"}}`, ctx{"aws:MultiFactorAuthAge": "3601"}, true},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"aws:MultiFactorAuthAge":"3600"}}`, ctx{"aws:MultiFactorAuthAge": "3599"}, false},
		{"Numeric missing key", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`, ctx{}, false},
		{"NumericLessThanIfExists missing", `{"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"3600"}}`, ctx{}, true},
		{"Numeric request not a number", `{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}`, ctx{"aws:MultiFactorAuthAge": "soon"}, false},
		{"Numeric bad policy value never matches", `{"NumericEquals":{"aws:MultiFactorAuthAge":"ten"}}`, ctx{"aws:MultiFactorAuthAge": "10"}, false},
		// Date
		{"DateLessThan ISO", `{"DateLessThan":{"aws:CurrentTime":"2024-06-01T12:00:00Z"}}`, ctx{"aws:CurrentTime": "2023-12-31T23:59:59Z"}, true},
		{"DateLessThan date only", `{"DateLessThan":{"aws:CurrentTime":"2024-06-01"}}`, ctx{"aws:CurrentTime": "2024-06-01T12:00:00Z"}, false},
		{"DateEquals epoch vs ISO", `{"DateEquals":{"aws:EpochTime":"2024-06-01T12:00:00Z"}}`, ctx{"aws:EpochTime": "1717243200"}, true},
		{"DateGreaterThan epoch policy", `{"DateGreaterThan":{"aws:CurrentTime":"1704067199"}}`, ctx{"aws:CurrentTime": "2024-01-01T00:00:00Z"}, true},
		{"DateGreaterThanEquals", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}`, ctx{"aws:CurrentTime": "2024-01-01T00:00:00Z"}, true},
		{"DateLessThanEquals offset", `{"DateLessThanEquals":{"aws:CurrentTime":"2024-01-01T01:00:00+01:00"}}`, ctx{"aws:CurrentTime": "2024-01-01T00:00:00Z"}, true},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}`, ctx{"aws:CurrentTime": "2024-01-02T00:00:00Z"}, true},
		{"Date missing key", `{"DateGreaterThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}`, ctx{}, false},
		{"DateNotEquals missing key", `{"DateNotEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}`, ctx{}, true},
		// Bool
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, ctx{"aws:SecureTransport": "true"}, true},
		{"Bool JSON boolean", `{"Bool":{"aws:SecureTransport":true}}`, ctx{"aws:SecureTransport": "true"}, true},
		{"Bool case-insensitive", `{"Bool":{"aws:SecureTransport":"TRUE"}}`, ctx{"aws:SecureTransport": "true"}, true},
		{"Bool mismatch", `{"Bool":{"aws:SecureTransport":"false"}}`, ctx{"aws:SecureTransport": "true"}, false},
		{"Bool missing", `{"Bool":{"aws:SecureTransport":"false"}}`, ctx{}, false},
		{"BoolIfExists missing", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`, ctx{}, true},
		// Binary
		{"BinaryEquals", `{"BinaryEquals":{"key":"QmluYXJ5VmFsdWU="}}`, ctx{"key": "QmluYXJ5VmFsdWU="}, true},
		{"BinaryEquals mismatch", `{"BinaryEquals":{"key":"QmluYXJ5VmFsdWU="}}`, ctx{"key": "QmluYXJ5"}, false},
		// IP
		{"IpAddress v4 CIDR", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx{"aws:SourceIp": "203.0.113.5"}, true},
		{"IpAddress v4 outside", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx{"aws:SourceIp": "203.0.114.5"}, false},
		{"IpAddress single address", `{"IpAddress":{"aws:SourceIp":"10.0.0.1"}}`, ctx{"aws:SourceIp": "10.0.0.1"}, true},
		{"IpAddress v6", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ctx{"aws:SourceIp": "2001:db8::1"}, true},
		{"IpAddress v6 vs v4 range", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{"aws:SourceIp": "2001:db8::1"}, false},
		{"IpAddress host bits set", `{"IpAddress":{"aws:SourceIp":"10.1.2.3/8"}}`, ctx{"aws:SourceIp": "10.9.9.9"}, true},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":["10.0.0.1/32","2001:db8::/32"]}}`, ctx{"aws:SourceIp": "10.0.0.1"}, false},
		{"NotIpAddress outside", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{"aws:SourceIp": "192.168.1.1"}, true},
		{"NotIpAddress missing key", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{}, true},
		{"IpAddress request not an IP", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, ctx{"aws:SourceIp": "ten"}, false},
		// ARN
		{"ArnLike", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111122223333:*"}}`, ctx{"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:alerts"}, true},
		{"ArnLike star does not cross components", `{"ArnLike":{"aws:SourceArn":"arn:aws:*:111122223333:x"}}`, ctx{"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:x"}, false},
		{"ArnEquals supports wildcards", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::*:role/dev"}}`, ctx{"aws:PrincipalArn": "arn:aws:iam::111122223333:role/dev"}, true},
		{"ArnEquals case-sensitive", `{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/Dev"}}`, ctx{"aws:PrincipalArn": "arn:aws:iam::111122223333:role/dev"}, false},
		{"ArnLike resource with colons", `{"ArnLike":{"aws:SourceArn":"arn:aws:logs:*:*:log-group:*"}}`, ctx{"aws:SourceArn": "arn:aws:logs:us-east-1:1:log-group:g:log-stream:s"}, true},
		{"ArnLike request not an ARN", `{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::*"}}`, ctx{"aws:SourceArn": "corp-logs"}, false},
		{"ArnNotEquals", `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:iam::444455556666:*"}}`, ctx{"aws:SourceArn": "arn:aws:s3:::corp-logs"}, true},
		{"ArnNotLike missing key", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::*"}}`, ctx{}, true},
		// Null
		{"Null true key absent", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctx{}, true},
		{"Null true key present", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctx{"aws:TokenIssueTime": "x"}, false},
		{"Null false key present", `{"Null":{"aws:TokenIssueTime":"false"}}`, ctx{"aws:TokenIssueTime": "x"}, true},
		{"Null false key absent", `{"Null":{"aws:TokenIssueTime":"false"}}`, ctx{}, false},
		{"Null JSON boolean", `{"Null":{"aws:TokenIssueTime":true}}`, ctx{}, true},
		{"Null empty list is absent", `{"Null":{"aws:TagKeys":"true"}}`, ctx{"aws:TagKeys": []string{}}, true},
		// Set operators
		{"ForAllValues subset", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, ctx{"aws:TagKeys": []string{"env"}}, true},
		{"ForAllValues extra value", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, ctx{"aws:TagKeys": []string{"env", "team"}}, false},
		{"ForAllValues missing key is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, ctx{}, true},
		{"ForAllValues empty set is true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, ctx{"aws:TagKeys": []string{}}, true},
		{"ForAllValues negated", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, ctx{"aws:TagKeys": []string{"env", "team"}}, true},
		{"ForAllValues negated one hit", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["team"]}}`, ctx{"aws:TagKeys": []string{"env", "team"}}, false},
		{"ForAllValues StringLike", `{"ForAllValues:StringLike":{"aws:TagKeys":["e*","t?am"]}}`, ctx{"aws:TagKeys": []string{"env", "team"}}, true},
		{"ForAnyValue hit", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["team"]}}`, ctx{"aws:TagKeys": []string{"env", "team"}}, true},
		{"ForAnyValue none", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["x"]}}`, ctx{"aws:TagKeys": []string{"env", "team"}}, false},
		{"ForAnyValue missing key is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["x"]}}`, ctx{}, false},
		{"ForAnyValue empty set is false", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["x"]}}`, ctx{"aws:TagKeys": []string{}}, false},
		{"ForAnyValue negated missing is false", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["x"]}}`, ctx{}, false},
		{"ForAnyValue negated", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}}`, ctx{"aws:TagKeys": []string{"env", "team"}}, true},
		// "ForAnyValue… on a missing key is false (there is no value to match)", IfExists or not.
		{"ForAnyValue IfExists missing", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["x"]}}`, ctx{}, false},
		{"ForAllValues IfExists missing", `{"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":["x"]}}`, ctx{}, true},
		{"ForAnyValue single-valued key", `{"ForAnyValue:StringEquals":{"aws:username":"alice"}}`, ctx{"aws:username": "alice"}, true},
		{"ForAllValues NumericLessThan", `{"ForAllValues:NumericLessThan":{"k":"10"}}`, ctx{"k": []string{"1", "9"}}, true},
		{"ForAnyValue IpAddress", `{"ForAnyValue:IpAddress":{"k":"10.0.0.0/8"}}`, ctx{"k": []string{"192.168.0.1", "10.1.1.1"}}, true},
		// Multivalued key with a single-valued operator: any value matching.
		// "Multivalued context keys require a condition set operator."
		{"single-valued operator multivalued key", `{"StringEquals":{"aws:TagKeys":"team"}}`, ctx{"aws:TagKeys": []string{"env", "team"}}, false},
		{"negated operator multivalued key", `{"StringNotEquals":{"aws:TagKeys":"x"}}`, ctx{"aws:TagKeys": []string{"env", "team"}}, false},
		{"negated single-valued operator multivalued key", `{"StringNotEquals":{"aws:TagKeys":"team"}}`, ctx{"aws:TagKeys": []string{"env", "team"}}, false},
		// Several keys and operators: AND.
		{"AND across keys", `{"StringEquals":{"a":"1","b":"2"}}`, ctx{"a": "1", "b": "3"}, false},
		{"AND across operators", `{"StringEquals":{"a":"1"},"StringLike":{"b":"2*"}}`, ctx{"a": "1", "b": "22"}, true},
		// Policy variables in condition values.
		{"variable in value", `{"StringEquals":{"s3:prefix":"home/${aws:username}"}}`, ctx{"s3:prefix": "home/alice", "aws:username": "alice"}, true},
		{"variable missing never matches", `{"StringEquals":{"s3:prefix":"home/${aws:username}"}}`, ctx{"s3:prefix": "home/"}, false},
		// An unresolvable variable never makes a condition true, negated or not.
		{"variable missing with negated", `{"StringNotEquals":{"s3:prefix":"home/${aws:username}"}}`, ctx{"s3:prefix": "home/"}, false},
		{"variable missing with ForAllValues negated", `{"ForAllValues:StringNotLike":{"aws:TagKeys":"${aws:PrincipalTag/x}"}}`, ctx{"aws:TagKeys": []string{"a"}}, false},
		{"variable missing, other value matches", `{"StringEquals":{"s3:prefix":["${aws:username}","x"]}}`, ctx{"s3:prefix": "x"}, true},
		{"variable missing, key missing, IfExists", `{"StringNotEqualsIfExists":{"s3:prefix":"${aws:username}"}}`, ctx{}, true},
		{"variable default", `{"StringEquals":{"s3:prefix":"home/${aws:username, 'nobody'}"}}`, ctx{"s3:prefix": "home/nobody"}, true},
		{"variable value is literal in StringLike", `{"StringLike":{"s3:prefix":"${aws:PrincipalTag/p}"}}`, ctx{"s3:prefix": "abc", "aws:PrincipalTag/p": "a*"}, false},
		{"variable value literal match", `{"StringLike":{"s3:prefix":"${aws:PrincipalTag/p}*"}}`, ctx{"s3:prefix": "a*bc", "aws:PrincipalTag/p": "a*"}, true},
		{"escape star", `{"StringLike":{"s3:prefix":"a${*}"}}`, ctx{"s3:prefix": "ab"}, false},
		{"escape star literal", `{"StringLike":{"s3:prefix":"a${*}"}}`, ctx{"s3:prefix": "a*"}, true},
		{"escape dollar", `{"StringEquals":{"s3:prefix":"${$}x"}}`, ctx{"s3:prefix": "$x"}, true},
		{"escape question", `{"StringLike":{"s3:prefix":"a${?}"}}`, ctx{"s3:prefix": "ab"}, false},
		{"multivalued key is not a variable", `{"StringEquals":{"s3:prefix":"${aws:TagKeys}"}}`, ctx{"s3:prefix": "env", "aws:TagKeys": []string{"env"}}, false},
		{"variable key case-insensitive", `{"StringEquals":{"s3:prefix":"${AWS:UserName}"}}`, ctx{"s3:prefix": "alice", "aws:username": "alice"}, true},
		{"variable in numeric value", `{"NumericLessThan":{"k":"${aws:PrincipalTag/max}"}}`, ctx{"k": "3", "aws:PrincipalTag/max": "5"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := condMatches(t, Version2012, tt.cond, tt.ctx); got != tt.want {
				t.Errorf("%s with %v = %v, want %v", tt.cond, tt.ctx, got, tt.want)
			}
		})
	}
}

// Under Version 2008-10-17 or without Version, ${...} is literal text.
func TestVariablesLiteralWithoutVersion(t *testing.T) {
	ctx := map[string]any{"s3:prefix": "${aws:username}", "aws:username": "alice"}
	for _, v := range []string{"", Version2008} {
		if !condMatches(t, v, `{"StringEquals":{"s3:prefix":"${aws:username}"}}`, ctx) {
			t.Errorf("version %q: variable was substituted, want literal", v)
		}
	}
	if condMatches(t, Version2012, `{"StringEquals":{"s3:prefix":"${aws:username}"}}`, ctx) {
		t.Error("2012-10-17: variable was not substituted")
	}
}

func TestParseOperatorErrors(t *testing.T) {
	for _, op := range []string{"StringEqualz", "ForSomeValues:StringEquals", "NullIfExists", "ForAnyValue:Null", "StringEqualsIfExist"} {
		doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"` + op + `":{"k":"v"}}}}`
		_, err := Parse([]byte(doc), TypeIdentity)
		if err == nil {
			t.Errorf("%s: no error", op)
			continue
		}
		pe := err.(*Error)
		if pe.Issues[0].Code != CodeUnknownOperator {
			t.Errorf("%s: code %s, want %s", op, pe.Issues[0].Code, CodeUnknownOperator)
		}
	}
}
