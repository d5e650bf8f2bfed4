package snapshot

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

var importNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testRoot(f *cmdutil.Factory) *cobra.Command { return cmdtest.Root(f, NewCmd) }

// example is the AWS CLI reference's get-account-authorization-details output.
func example(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../snapshot/testdata/authdetails-awscli-example.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// mixed is the example with Bob moved to account 210987654321.
func mixed(t *testing.T) string {
	return strings.Replace(example(t), "arn:aws:iam::123456789012:user/Bob", "arn:aws:iam::210987654321:user/Bob", 1)
}

const reportCSV = `user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
<root_account>,arn:aws:iam::123456789012:root,2014-07-30T17:00:00+00:00,not_supported,2026-02-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
Alice,arn:aws:iam::123456789012:user/Alice,2014-07-30T17:00:00+00:00,false,N/A,N/A,N/A,false,true,2015-01-01T00:00:00+00:00,2026-02-20T00:00:00+00:00,us-east-1,iam,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
Dave,arn:aws:iam::123456789012:user/Dave,2014-07-30T17:00:00+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
`

func write(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// onlySnapshot is the one snapshot directory of workspace ws.
func onlySnapshot(t *testing.T, ws string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(ws, "snapshots", "*", "manifest.json"))
	if len(m) != 1 {
		t.Fatalf("snapshots: %v", m)
	}
	return filepath.Dir(m[0])
}

func TestSnapshotImportMixedAccounts(t *testing.T) {
	dir := t.TempDir()
	ws := filepath.Join(dir, "ws")
	auth := write(t, dir, "auth.json", mixed(t))
	out, errOut, code := cmdtest.RunWS(t, testRoot, importNow, nil, ws, "snapshot", "import", "--authorization-details", auth)
	if code != 0 {
		t.Fatalf("import: %d %s", code, errOut)
	}
	snap := onlySnapshot(t, ws)
	want := "Imported account 123456789012: 2 users, 3 groups, 1 roles, 3 managed policies\n" +
		"Imported account 210987654321: 1 users, 0 groups, 0 roles, 1 managed policies\n" +
		"Note: the file is one page of several (IsTruncated is true): users, groups, roles and policies of the later pages are missing; write the file with the AWS CLI without --max-items (it merges every page)\n" +
		"Snapshot: " + snap + "\n"
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
	s, err := snapshot.Open(snap)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range s.Accounts {
		ids = append(ids, a.AccountID)
	}
	if strings.Join(ids, ",") != "123456789012,210987654321" {
		t.Errorf("accounts: %v", ids)
	}
}

func TestSnapshotImportOneAccountWithReport(t *testing.T) {
	dir := t.TempDir()
	ws := filepath.Join(dir, "ws")
	auth := write(t, dir, "auth.json", mixed(t))
	api := `{"Content": "` + base64.StdEncoding.EncodeToString([]byte(reportCSV)) + `", "ReportFormat": "text/csv", "GeneratedTime": "2026-02-28T10:00:00Z"}`
	rep := write(t, dir, "report.json", api)
	out, errOut, code := cmdtest.RunWS(t, testRoot, importNow, nil, ws, "snapshot", "import", "--authorization-details", auth, "--credential-report", rep, "--account-id", "123456789012")
	if code != 0 {
		t.Fatalf("import: %d %s", code, errOut)
	}
	snap := onlySnapshot(t, ws)
	want := "Imported account 123456789012: 2 users, 3 groups, 1 roles, 3 managed policies, credential report with 3 rows\n" +
		"Credential report " + rep + ": GetCredentialReport JSON (base64 Content decoded), 3 rows, generated 2026-02-28T10:00:00Z; attached to account 123456789012\n" +
		"  line 4: user Dave (arn:aws:iam::123456789012:user/Dave) is not in the authorization details: the row is kept but used for no verdict\n" +
		"Note: left out 1 entities of account 210987654321 (not the account asked for)\n" +
		"Note: the file is one page of several (IsTruncated is true): users, groups, roles and policies of the later pages are missing; write the file with the AWS CLI without --max-items (it merges every page)\n" +
		"Snapshot: " + snap + "\n"
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}

	// The report of an account the import does not hold is refused.
	_, errOut, code = cmdtest.RunWS(t, testRoot, importNow.Add(time.Hour), nil, ws, "snapshot", "import", "--authorization-details", auth, "--credential-report", rep, "--account-id", "210987654321")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "line 2: the report is of account 123456789012, but the import holds 210987654321") {
		t.Errorf("report of another account: %d %s", code, errOut)
	}
}
