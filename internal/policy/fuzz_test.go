package policy

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

func addSampleSeeds(f *testing.F) {
	fh, err := os.Open("testdata/policy-cases-sample.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f.Add(append([]byte(nil), sc.Bytes()...))
	}
}

// FuzzParse checks that no document makes the parser or the validator
// panic, and that every issue carries a position inside the input.
func FuzzParse(f *testing.F) {
	seeds := []string{
		pol(fullAccess),
		`{"Version":"2012-10-17","Statement":{"Sid":"x","Effect":"Deny","NotAction":["s3:*"],"NotResource":"arn:aws:s3:::${aws:username}/*","Condition":{"ForAllValues:StringLikeIfExists":{"aws:TagKeys":["a*","${*}"]},"Null":{"k":true}}}}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::1:root"],"Service":"x"},"Action":"sts:AssumeRole"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::1"]},"DateLessThan":{"aws:CurrentTime":"2024-01-01"}}}]}`,
		`{"a":`, `[`, `"\ud800"`, `{"Statement":[1,"x",null]}`, "",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	types := []Type{TypeIdentity, TypeResource, TypeTrust, TypeSCP, TypeRCP}
	cat := newTinyCatalog()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, typ := range types {
			for _, is := range Validate(data, typ, cat) {
				if is.Line < 1 || is.Column < 1 || is.offset < 0 || is.offset > len(data) {
					t.Fatalf("issue %+v has a bad position for %d bytes", is, len(data))
				}
			}
			p, err := Parse(data, typ)
			if err == nil && p == nil {
				t.Fatal("nil policy without error")
			}
		}
	})
}

// FuzzCondition evaluates one condition with arbitrary operator, key,
// policy value and request value.
func FuzzCondition(f *testing.F) {
	f.Add("StringLike", "aws:username", "a*${aws:username}?", "alice", false)
	f.Add("ForAllValues:NumericLessThanIfExists", "k", "10", "3", true)
	f.Add("DateGreaterThan", "aws:CurrentTime", "2024-01-01T00:00:00Z", "1717243200", false)
	f.Add("NotIpAddress", "aws:SourceIp", "2001:db8::/32", "::ffff:10.0.0.1", false)
	f.Add("ArnLike", "aws:SourceArn", "arn:aws:s3:::${aws:PrincipalTag/x, 'd'}*", "arn:aws:s3:::d1", true)
	f.Add("Null", "k", "true", "", false)
	f.Add("Bool", "k", "TRUE", "true", false)
	f.Fuzz(func(t *testing.T, op, key, policyValue, requestValue string, multi bool) {
		c := Condition{Operator: op, Key: key, Values: []string{policyValue}}
		cc, err := compileCondition(&c, true)
		if err != nil {
			return
		}
		ctx := NewContext()
		if multi {
			ctx.SetMulti(key, []string{requestValue, policyValue})
		} else if requestValue != "" {
			ctx.Set(key, requestValue)
		}
		ctx.Set("aws:username", requestValue)
		sc := &scratch{}
		r1 := cc.eval(&ctx, sc)
		if r2 := cc.eval(&ctx, sc); r1 != r2 {
			t.Fatalf("non-deterministic result for %+v", c)
		}
		_ = badConditionValue(&c)
	})
}

// FuzzCase runs arbitrary case lines through the simulator.
func FuzzCase(f *testing.F) {
	addSampleSeeds(f)
	f.Add([]byte(`{"id":1,"request":{"principal":"anonymous","action":"s3:GetObject","resource":"*","context":{"a":[1,true,"x"],"b":null}},"scps":[[]],"rcps":[[]]}`))
	f.Add([]byte(`{"id":"s","request":{"principal":"arn:aws:iam::1:root","action":":","resource":""},"identityPolicies":["{\"Statement\":[]}"]}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		cr := RunCase(line, 1, nil)
		if cr.Err == nil && cr.Decision > ExplicitDeny {
			t.Fatalf("bad decision %v", cr.Decision)
		}
		if cr.Err != nil && strings.TrimSpace(cr.Err.Error()) == "" {
			t.Fatal("empty error message")
		}
		_ = cr.Result.Explain()
	})
}
