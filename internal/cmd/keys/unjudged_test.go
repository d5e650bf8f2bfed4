package keys_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/root"
)

// importedReport is a credential report of the AWS CLI example account:
// Alice has an active key last used 40 days before the plan, Bob one never
// used, Charlie none.
const importedReport = `user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
<root_account>,arn:aws:iam::123456789012:root,2014-07-30T17:00:00+00:00,not_supported,N/A,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
Alice,arn:aws:iam::123456789012:user/Alice,2014-07-30T17:00:00+00:00,false,N/A,N/A,N/A,false,true,2015-01-01T00:00:00+00:00,2026-09-22T00:00:00+00:00,us-east-1,iam,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
Bob,arn:aws:iam::123456789012:user/Bob,2014-07-30T17:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,true,2015-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A
Charlie,arn:aws:iam::123456789012:user/Charlie,2014-07-30T17:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
`

// TestPlansSayWhatTheyCannotJudge: an imported account (no key ids) is
// named by keys plan and users retire plan, with its active key slots and
// what to run, instead of being silently absent.
func TestPlansSayWhatTheyCannotJudge(t *testing.T) {
	dir := t.TempDir()
	ws := filepath.Join(dir, "ws")
	rep := filepath.Join(dir, "report.csv")
	if err := os.WriteFile(rep, []byte(importedReport), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := cmdtest.RunWS(t, root.NewRootCmd, t0, nil, ws, "snapshot", "import",
		"--authorization-details", "../../snapshot/testdata/authdetails-awscli-example.json", "--credential-report", rep)
	if code != 0 {
		t.Fatalf("import: %d %s", code, errOut)
	}
	// One line, wrapped at 120 columns (the keys and users views fit
	// wherever they go).
	gap := "! account 123456789012 not judged: imported: the access key ids are unknown (get-account-authorization-details does not\n" +
		"  list keys), so no key can be planned (Alice access_key_1: active, last used 2026-09-22 (40 days ago); Bob\n" +
		"  access_key_2: active, never used); run: `seiri collect --account 123456789012` (lists the keys with iam:ListAccessKeys\n" +
		"  and iam:GetAccessKeyLastUsed)\n"
	noStore := "! no usage store: CloudTrail evidence is missing (run seiri trail scan)\n\n"

	out, errOut, code := cmdtest.RunWS(t, root.NewRootCmd, t0, nil, ws, "keys", "plan")
	// Both plans name their snapshot and usage window first, then the summary.
	snapLine := "snapshot 20261101T120000Z: collected 2026-11-01T12:00:00Z (import), 1 accounts\n" +
		"usage window: the last 90 days, 2026-08-03 to 2026-11-01 (last used, credential report, CloudTrail, Access Advisor)\n\n"
	want := snapLine + "0 candidate keys (0 refused by lockout protection), 0 excluded.\n\n" + noStore + "No access key looks unused.\n" + gap
	if code != 0 || out != want {
		t.Errorf("keys plan: %d %s\n%s\nwant:\n%s", code, errOut, out, want)
	}
	out, errOut, code = cmdtest.RunWS(t, root.NewRootCmd, t0, nil, ws, "users", "retire", "plan")
	want = snapLine + "0 inactive users, 0 excluded.\n\n" + noStore + gap
	if code != 0 || out != want {
		t.Errorf("users retire plan: %d %s\n%s\nwant:\n%s", code, errOut, out, want)
	}
}
