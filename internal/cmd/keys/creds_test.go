package keys_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
)

// noCredsLine is the one line a command that needs AWS prints without
// credentials (awsclient.CredentialsError).
const noCredsLine = "seiri: no AWS credentials found: pass --profile NAME or set AWS_PROFILE (for IAM Identity Center, run `aws sso login --profile NAME` first), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n"

// TestKeysAndUsersWithoutCredentials (issue 15): every keys and users
// command without AWS credentials either computes its plan from the
// snapshot alone and says that applying needs credentials (keys plan,
// keys disable, users retire plan and quarantine without --apply), or
// fails fast with exit 2 and one line saying what to set: no SDK error
// chain, no SDK log line, nothing on stdout.
func TestKeysAndUsersWithoutCredentials(t *testing.T) {
	h := newKeysHarness(t)
	h.setup()
	backup := filepath.Join(t.TempDir(), "backup.json")
	if err := os.WriteFile(backup, []byte(`{"kind": "iam-user", "account": "`+mgmtAcct+`", "user": {"UserName": "gone", "Path": "/"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	h.noCreds = true
	snap := "snapshot 20261101T120000Z"
	planNote := "seiri: note: plan computed from " + snap + " without AWS credentials; applying it needs them: " + strings.TrimPrefix(strings.TrimSuffix(noCredsLine, "\n"), "seiri: ") + "\n"
	for _, c := range []struct {
		args   []string
		stderr string // the whole of stderr
		code   int
		stdout string // a line stdout must hold ("" for an empty stdout)
	}{
		{[]string{"keys", "plan", "--days", "30"}, "", cmdutil.ExitOK, "5 candidate keys (2 refused by lockout protection), 1 excluded."},
		{[]string{"keys", "disable", "--days", "30"}, planNote, cmdutil.ExitOK, "Next: seiri keys disable --apply"},
		{[]string{"keys", "disable", "--days", "30", "-o", "json"}, planNote, cmdutil.ExitOK, `"kind": "keys.disable"`},
		{[]string{"keys", "disable", "--days", "30", "--apply", "--yes"}, noCredsLine, cmdutil.ExitUsage, ""},
		{[]string{"keys", "watch"}, noCredsLine, cmdutil.ExitUsage, ""},
		{[]string{"keys", "restore", ciKey}, noCredsLine, cmdutil.ExitUsage, ""},
		{[]string{"keys", "delete"}, noCredsLine, cmdutil.ExitUsage, ""},
		{[]string{"users", "retire", "plan", "--days", "30"}, "", cmdutil.ExitOK, "inactive users"},
		{[]string{"users", "retire", "quarantine", "--days", "30"}, planNote, cmdutil.ExitOK, snap},
		{[]string{"users", "retire", "quarantine", "--days", "30", "--apply", "--yes"}, noCredsLine, cmdutil.ExitUsage, ""},
		{[]string{"users", "retire", "watch"}, noCredsLine, cmdutil.ExitUsage, ""},
		{[]string{"users", "retire", "restore", "ci-bot"}, noCredsLine, cmdutil.ExitUsage, ""},
		{[]string{"users", "retire", "delete"}, noCredsLine, cmdutil.ExitUsage, ""},
		{[]string{"users", "restore-from-backup", backup}, noCredsLine, cmdutil.ExitUsage, ""},
	} {
		out, errOut, code := h.run(c.args...)
		name := strings.Join(c.args, " ")
		if code != c.code || errOut != c.stderr {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant exit %d, stderr:\n%s", name, code, errOut, c.code, c.stderr)
		}
		if c.stdout == "" && out != "" || !strings.Contains(out, c.stdout) {
			t.Errorf("%s: stdout lacks %q:\n%s", name, c.stdout, out)
		}
	}
}
