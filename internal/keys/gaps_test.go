package keys

import (
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/credreport"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// TestImportedAccountIsNamedNotSkipped: on the AWS CLI's documented example
// of get-account-authorization-details, imported with a credential report
// whose slot shows a key unused for 1,430 days, the key plan cannot plan the
// key (its id is unknown) and says so, with the slot and what to run.
func TestImportedAccountIsNamedNotSkipped(t *testing.T) {
	data, err := os.ReadFile("../snapshot/testdata/authdetails-awscli-example.json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := snapshot.ParseAuthorizationDetails(data, "example.json", "")
	if err != nil {
		t.Fatal(err)
	}
	a.KeysUnknown = true
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	used := now.Add(-1430 * 24 * time.Hour)
	na := credreport.Time{Missing: credreport.NA}
	a.CredentialReport = &credreport.Report{Rows: []credreport.Row{
		{User: credreport.RootUser, Line: 2, AccessKeys: [2]credreport.KeySlot{{LastRotated: na, LastUsedDate: na}, {LastRotated: na, LastUsedDate: na}}},
		{User: "Bob", Line: 4, AccessKeys: [2]credreport.KeySlot{
			{Active: true, LastRotated: credreport.Time{Time: used.Add(-24 * time.Hour)}, LastUsedDate: credreport.Time{Time: used}},
			{LastRotated: na, LastUsedDate: na}}},
	}}
	s := &snapshot.Snapshot{Accounts: []*snapshot.Account{a}}
	res := Candidates(Input{Snapshot: s, Now: now}, Options{UnusedDays: 90, IncludeNeverUsed: true})
	if len(res.Candidates) != 0 {
		t.Fatalf("candidates %+v", res.Candidates)
	}
	want := []AccountGap{{
		Account: "123456789012",
		Reason:  "imported: the access key ids are unknown (get-account-authorization-details does not list keys), so no key can be planned",
		Slots:   []string{"Bob access_key_1: active, last used 2021-07-02 (1430 days ago) (credential report line 4)"},
		Run:     "`seiri collect --account 123456789012` (lists the keys with iam:ListAccessKeys and iam:GetAccessKeyLastUsed)",
	}}
	if diff := cmp.Diff(want, res.Unjudged); diff != "" {
		t.Errorf("unjudged (-want +got):\n%s", diff)
	}

	a.CredentialReport = nil
	gaps := EvidenceGaps(s, now)
	if len(gaps) != 1 || gaps[0].String() != "account 123456789012 not judged: imported without a credential report: nothing says which users have access keys; run: `seiri collect --account 123456789012` (lists the keys with iam:ListAccessKeys and iam:GetAccessKeyLastUsed)" {
		t.Errorf("gaps %q", gaps)
	}
}
