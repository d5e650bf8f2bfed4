package policy

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSimulateBadLinesContinue(t *testing.T) {
	good := `{"id":"ok","request":{"principal":"arn:aws:iam::111122223333:user/a","action":"s3:GetObject","resource":"arn:aws:s3:::b/k"},"identityPolicies":[{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}]}`
	in := strings.Join([]string{
		good,
		`{"id":"broken", "request": `,
		``,
		`{"id":"norequest"}`,
		`{"id":"badpolicy","request":{"principal":"anonymous","action":"s3:GetObject","resource":"*"},"identityPolicies":[{"Statement":{"Action":"s3:*","Resource":"*"}}]}`,
		`{"id":"badcontext","request":{"principal":"anonymous","action":"s3:GetObject","resource":"*","context":{"k":{"x":1}}}}`,
		`{"id":7,"request":{"principal":"anonymous","action":"s3:GetObject","resource":"*"},"scps":[[]],"rcps":null}`,
		`[1,2]`,
		good,
	}, "\n")
	type row struct {
		ID       any
		Line     int
		Decision string
		ErrHas   string
	}
	var got []row
	err := Simulate(strings.NewReader(in), nil, 3, func(cr CaseResult) error {
		r := row{ID: cr.ID, Line: cr.Line, Decision: cr.Decision.String()}
		if cr.Err != nil {
			r.Decision = ""
			msg := cr.Err.Error()
			for _, frag := range []string{"invalid JSON", "no request", "identityPolicies[0]", "context key", "must be a JSON object"} {
				if strings.Contains(msg, frag) {
					r.ErrHas = frag
				}
			}
		}
		got = append(got, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{"ok", 1, "Allow", ""},
		{"broken", 2, "", "invalid JSON"},
		{"norequest", 4, "", "no request"},
		{"badpolicy", 5, "", "identityPolicies[0]"},
		{"badcontext", 6, "", "context key"},
		{any(nil), 7, "ImplicitDeny", ""},
		{nil, 8, "", "must be a JSON object"},
		{"ok", 9, "Allow", ""},
	}
	// The numeric id is kept as written.
	want[5].ID = got[5].ID
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if s, ok := got[5].ID.(interface{ String() string }); !ok || s.String() != "7" {
		t.Errorf("numeric id = %#v", got[5].ID)
	}
}

func TestSimulateStopsOnEmitError(t *testing.T) {
	line := `{"id":"x","request":{"principal":"anonymous","action":"s3:GetObject","resource":"*"}}` + "\n"
	stop := errors.New("stop")
	n := 0
	err := Simulate(strings.NewReader(strings.Repeat(line, 2000)), nil, 2, func(CaseResult) error {
		n++
		if n == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 10 {
		t.Fatalf("err %v after %d results", err, n)
	}
}

func TestDeriveContext(t *testing.T) {
	ctx := NewContext()
	ctx.Set("aws:SourceIp", "10.9.9.9") // kept: already present
	now := time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC)
	DeriveContext(&ctx, PrincipalFacts{
		ARN: "arn:aws:sts::111122223333:assumed-role/dev/s1", UserID: "AROAEXAMPLE:s1",
		OrgID: "o-1", OrgPaths: []string{"o-1/r-1/"}, Tags: map[string]string{"team": "blue"},
		SourceIP: "10.0.0.1", Secure: true, Region: "eu-west-1",
	}, now)
	get := func(k string) string {
		v, ok := ctx.get(keyID(strings.ToLower(k)))
		if !ok {
			return "<absent>"
		}
		return strings.Join(v, ",")
	}
	want := map[string]string{
		"aws:PrincipalArn":           "arn:aws:iam::111122223333:role/dev",
		"aws:PrincipalAccount":       "111122223333",
		"aws:PrincipalType":          "AssumedRole",
		"aws:username":               "<absent>",
		"aws:userid":                 "AROAEXAMPLE:s1",
		"aws:CurrentTime":            "2025-01-15T00:00:00Z",
		"aws:EpochTime":              "1736899200",
		"aws:PrincipalOrgID":         "o-1",
		"aws:PrincipalOrgPaths":      "o-1/r-1/",
		"aws:PrincipalTag/team":      "blue",
		"aws:SourceIp":               "10.9.9.9",
		"aws:SecureTransport":        "true",
		"aws:MultiFactorAuthPresent": "false",
		"aws:RequestedRegion":        "eu-west-1",
		"aws:PrincipalIsAWSService":  "false",
	}
	got := map[string]string{}
	for k := range want {
		got[k] = get(k)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("derived context (-want +got):\n%s", diff)
	}
	user := NewContext()
	DeriveContext(&user, PrincipalFacts{ARN: "arn:aws:iam::111122223333:user/team/carol"}, now)
	if v, _ := user.single(keyID("aws:username")); v != "carol" {
		t.Errorf("aws:username = %q", v)
	}
}

func TestSimulateLineTooLong(t *testing.T) {
	old := MaxCaseLine
	MaxCaseLine = 100
	defer func() { MaxCaseLine = old }()
	ok := `{"id":"ok","request":{"principal":"anonymous","action":"s3:GetObject","resource":"*"}}`
	in := ok + "\n" + `{"id":"big","x":"` + strings.Repeat("a", 5000) + `"}` + "\n" + ok
	var got []string
	err := Simulate(strings.NewReader(in), nil, 1, func(cr CaseResult) error {
		if cr.Err != nil {
			got = append(got, cr.Err.Error())
		} else {
			got = append(got, cr.Decision.String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ImplicitDeny", "line 2: longer than 100 bytes", "ImplicitDeny"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}

// Policies are decoded lazily; a JSON error inside one is still reported
// at its own position.
func TestLazyPolicyJSONErrors(t *testing.T) {
	tests := []struct{ line, want string }{
		{`{"id":"p1","request":{"principal":"anonymous","action":"s3:GetObject","resource":"*"},"identityPolicies":[{"Statement":[}]}`,
			`line 1, column 121: invalid JSON: invalid character "}" looking for the beginning of a value`},
		{`{"id":"p2","request":{"principal":"anonymous","action":"s3:GetObject","resource":"*"},"scps":[[{"Statement":"x"]]}`,
			`line 1, column 112: invalid JSON: invalid character "]" after object value, expected ',' or '}'`},
		{`{"id":"p3","request":{"principal":"anonymous","action":"s3:GetObject","resource":"*"},"resourcePolicy":{"Statement":"\"}`,
			`line 1, column 117: invalid JSON: unterminated string`},
	}
	for _, tt := range tests {
		cr := runCase(nil, []byte(tt.line), 1, nil, true)
		if cr.Err == nil || cr.Err.Error() != tt.want {
			t.Errorf("%s:\n got %v\nwant %s", tt.line, cr.Err, tt.want)
		}
	}
}
