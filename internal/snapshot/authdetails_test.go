package snapshot

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseAuthorizationDetails(t *testing.T) {
	data, err := os.ReadFile("testdata/authdetails-cli.json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseAuthorizationDetails(data, "authdetails-cli.json", "")
	if err != nil {
		t.Fatal(err)
	}
	if a.AccountID != "123456789012" {
		t.Errorf("account id %q", a.AccountID)
	}
	if len(a.Users) != 2 || len(a.Groups) != 1 || len(a.Roles) != 2 || len(a.Policies) != 1 {
		t.Fatalf("counts: %d users %d groups %d roles %d policies", len(a.Users), len(a.Groups), len(a.Roles), len(a.Policies))
	}
	alice := a.Users[0]
	if got, want := alice.CreateDate, time.Date(2019, 3, 4, 10, 11, 12, 0, time.UTC); !got.Equal(want) {
		t.Errorf("alice created %v, want %v", got, want)
	}
	if alice.PermissionsBoundary != "arn:aws:iam::123456789012:policy/boundary" || alice.Tags["team"] != "payments" ||
		len(alice.Groups) != 1 || len(alice.InlinePolicies) != 1 || len(alice.AttachedPolicies) != 1 {
		t.Errorf("alice = %+v", alice)
	}
	ci := a.Users[1]
	if got, want := ci.CreateDate, time.Date(2022, 8, 7, 12, 55, 43, 0, time.UTC); !got.Equal(want) {
		t.Errorf("ci created %v (space-separated timestamp), want %v", got, want)
	}
	if got := string(a.Groups[0].InlinePolicies[0].Document); !strings.Contains(got, `"ec2:Describe*"`) {
		t.Errorf("URL-encoded group policy not decoded: %s", got)
	}
	if a.Roles[0].LastUsed == nil || a.Roles[0].LastUsed.Region != "eu-west-1" {
		t.Errorf("RoleLastUsed not read: %+v", a.Roles[0].LastUsed)
	}
	if a.Roles[1].LastUsed != nil || !a.Roles[1].ServiceLinked() {
		t.Errorf("service-linked role: %+v", a.Roles[1])
	}
	if d := string(a.Policies[0].Document); !strings.Contains(d, `"s3:*"`) {
		t.Errorf("policy document is not the default version: %s", d)
	}
}

func TestParseAuthorizationDetailsErrors(t *testing.T) {
	cases := []struct {
		name, input, account string
		want                 []string
	}{
		{"not json", "{\n  \"UserDetailList\": [\n  oops", "", []string{"f.json", "line 3"}},
		{"wrong shape", `{"Users": []}`, "", []string{"f.json", "not the output of get-account-authorization-details"}},
		{"bad date", `{"UserDetailList":[{"UserName":"bob","Arn":"arn:aws:iam::123456789012:user/bob","CreateDate":"yesterday"}]}`, "", []string{"UserDetailList[0] (bob)", "CreateDate", `"yesterday"`}},
		{"type error", `{"UserDetailList":[{"UserName":7}]}`, "", []string{"f.json", "line 1"}},
		{"account mismatch", `{"UserDetailList":[{"UserName":"bob","Arn":"arn:aws:iam::999999999999:user/bob","CreateDate":"2020-01-01T00:00:00Z"}]}`, "123456789012", []string{"999999999999", "not 123456789012"}},
		{"bad document", `{"RoleDetailList":[{"RoleName":"r","Arn":"arn:aws:iam::123456789012:role/r","CreateDate":"2020-01-01T00:00:00Z","AssumeRolePolicyDocument":"not json"}]}`, "", []string{"RoleDetailList[0] (r)", "AssumeRolePolicyDocument", "not a JSON object"}},
		{"no version", `{"Policies":[{"PolicyName":"p","Arn":"arn:aws:iam::123456789012:policy/p","PolicyVersionList":[]}]}`, "", []string{"Policies[0] (p)", "no default version"}},
		{"no account", `{"UserDetailList":[]}`, "", []string{"--account-id"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseAuthorizationDetails([]byte(c.input), "f.json", c.account)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2022, 8, 7, 12, 55, 43, 0, time.UTC)
	for _, s := range []string{"2022-08-07T12:55:43Z", "2022-08-07T12:55:43+00:00", "2022-08-07 12:55:43+00:00", "2022-08-07T14:55:43+02:00", "2022-08-07T12:55:43.000Z"} {
		got, err := ParseTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "N/A", "2022-13-07T12:55:43Z", "07/08/2022", "2022-08-07T12:55:43"} {
		if _, err := ParseTime(s); err == nil {
			t.Errorf("ParseTime(%q) succeeded", s)
		}
	}
}

func FuzzParseAuthorizationDetails(f *testing.F) {
	data, _ := os.ReadFile("testdata/authdetails-cli.json")
	f.Add(data)
	f.Add([]byte(`{"UserDetailList":[{"UserName":"x","Arn":"arn:aws:iam::1:user/x","CreateDate":"2020-01-01 00:00:00+00:00"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseAuthorizationDetails(b, "fuzz.json", "")
		if err == nil && a.AccountID == "" {
			t.Fatal("accepted without an account id")
		}
	})
}
