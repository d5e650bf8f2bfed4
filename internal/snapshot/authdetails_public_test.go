package snapshot

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/credreport"
)

// TestAuthDetailsAWSCLIExample imports the AWS CLI's documented example
// output (testdata/README.md), which has two quirks: it is one truncated page
// and its groups' AttachedManagedPolicies is an object.
func TestAuthDetailsAWSCLIExample(t *testing.T) {
	data, err := os.ReadFile("testdata/authdetails-awscli-example.json")
	if err != nil {
		t.Fatal(err)
	}
	imp, err := ParseAuthorizationDetailsAccounts(data, "example.json", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Accounts) != 1 || imp.Accounts[0].AccountID != "123456789012" {
		t.Fatalf("accounts %+v", imp.Accounts)
	}
	a := imp.Accounts[0]
	var users, groups []string
	for _, u := range a.Users {
		users = append(users, u.UserName+":"+strings.Join(u.Groups, ","))
	}
	for _, g := range a.Groups {
		var ps []string
		for _, p := range g.AttachedPolicies {
			ps = append(ps, p.PolicyName)
		}
		groups = append(groups, g.GroupName+":"+strings.Join(ps, ","))
	}
	if diff := cmp.Diff([]string{"Alice:Admins", "Bob:Admins", "Charlie:Dev"}, users); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Admins:AdministratorAccess", "Dev:PowerUserAccess", "Finance:"}, groups); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if len(a.Roles) != 1 || len(a.Policies) != 3 {
		t.Errorf("%d roles, %d policies; want 1 and 3 (two customer managed, one AWS managed)", len(a.Roles), len(a.Policies))
	}
	if !imp.Truncated {
		t.Error("IsTruncated not reported")
	}
	if notes := imp.Notes(); len(notes) != 1 || !strings.Contains(notes[0], "one page of several") {
		t.Errorf("notes %q", notes)
	}
}

func TestAuthDetailsMixedAccounts(t *testing.T) {
	data, err := os.ReadFile("testdata/authdetails-awscli-example.json")
	if err != nil {
		t.Fatal(err)
	}
	// A file holding two accounts: the example, with its users also present
	// under a second account id (files concatenated from several accounts).
	var d map[string]any
	mustJSON(t, data, &d)
	var d2 map[string]any
	mustJSON(t, bytes.ReplaceAll(data, []byte("123456789012"), []byte("210987654321")), &d2)
	for _, k := range []string{"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"} {
		d[k] = append(d[k].([]any), d2[k].([]any)...)
	}
	delete(d, "IsTruncated")
	mixed := toJSON(t, d)

	if _, err := ParseAuthorizationDetails(mixed, "mixed.json", ""); err == nil || !strings.Contains(err.Error(), "is in account 210987654321, not 123456789012") {
		t.Fatalf("single-account parse: error %v", err)
	}
	imp, err := ParseAuthorizationDetailsAccounts(mixed, "mixed.json", "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range imp.Accounts {
		ids = append(ids, a.AccountID)
		if len(a.Users) != 3 || len(a.Groups) != 3 || len(a.Roles) != 1 || len(a.Policies) != 3 {
			t.Errorf("account %s: %d users, %d groups, %d roles, %d policies", a.AccountID, len(a.Users), len(a.Groups), len(a.Roles), len(a.Policies))
		}
		for _, u := range a.Users {
			if !strings.Contains(u.ARN, ":"+a.AccountID+":") {
				t.Errorf("account %s holds %s", a.AccountID, u.ARN)
			}
		}
	}
	if diff := cmp.Diff([]string{"123456789012", "210987654321"}, ids); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}

	one, err := ParseAuthorizationDetailsAccounts(mixed, "mixed.json", "210987654321")
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Accounts) != 1 || one.Accounts[0].AccountID != "210987654321" {
		t.Fatalf("filtered: %+v", one.Accounts)
	}
	// 3 users, 3 groups, 1 role, 2 customer managed policies of the other account.
	if diff := cmp.Diff(map[string]int{"123456789012": 9}, one.Skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	if notes := one.Notes(); len(notes) != 1 || !strings.Contains(notes[0], "left out 9 entities of account 123456789012") {
		t.Errorf("notes %q", notes)
	}
	if _, err := ParseAuthorizationDetailsAccounts(mixed, "mixed.json", "999999999999"); err == nil ||
		!strings.Contains(err.Error(), "no entity of account 999999999999 in the file (it holds 123456789012, 210987654321)") {
		t.Errorf("unknown account: error %v", err)
	}
}

func TestReportRowsWithoutUser(t *testing.T) {
	data, _ := os.ReadFile("testdata/authdetails-awscli-example.json")
	a, err := ParseAuthorizationDetails(data, "example.json", "")
	if err != nil {
		t.Fatal(err)
	}
	a.CredentialReport = &credreport.Report{Rows: []credreport.Row{{User: credreport.RootUser}, {User: "Alice"}, {User: "Mallory", Line: 4}}}
	got := ReportRowsWithoutUser(a)
	if len(got) != 1 || got[0].User != "Mallory" {
		t.Errorf("rows without user: %+v", got)
	}
}

func mustJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

func toJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
