package trail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
)

// The trail commands that read AWS, run without usable credentials.
var awsTrailCommands = [][]string{
	{"trail", "scan", "--source", "s3://org-trail/AWSLogs"},
	{"trail", "scan", "--source", "lookup-events"},
	{"trail", "scan", "--engine", "athena", "--since", "2026-11-01"},
	{"trail", "athena", "setup", "--bucket", "org-trail"},
}

// Issue 15: without AWS credentials the commands fail fast, before any
// call and before the workspace is created, with exit 2 and one line
// saying what to set; no SDK log line, no coverage figure.
func TestTrailWithoutCredentials(t *testing.T) {
	cmdtest.IsolateAWS(t)
	const want = "seiri: no AWS credentials found: pass --profile NAME or set AWS_PROFILE (for IAM Identity Center, run `aws sso login --profile NAME` first), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n"
	for _, args := range awsTrailCommands {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			ws := filepath.Join(t.TempDir(), "ws")
			out, errOut, code := runTrail(t, append([]string{"--workspace", ws}, args...)...)
			if code != cmdutil.ExitUsage || out != "" || errOut != want {
				t.Errorf("exit %d\nstdout %q\nstderr %q\nwant exit 2, no stdout and stderr %q", code, out, errOut, want)
			}
			if _, err := os.Stat(ws); err == nil {
				t.Errorf("workspace %s created by a command that could not run", ws)
			}
		})
	}
}

// Expired credentials (STS answers ExpiredToken) are said once, in one
// line, exit 2: no LookupEvents, S3 or Athena call is made (let alone
// retried), and no coverage is printed.
func TestTrailExpiredCredentials(t *testing.T) {
	cmdtest.IsolateAWS(t)
	fake := awsfake.New(awsfake.Scenario{})
	defer fake.Close()
	fake.FailOp("", "GetCallerIdentity", &awsfake.Error{Status: 403, Code: "ExpiredToken", Message: "The security token included in the request is expired"}, -1)
	const want = "seiri: AWS credentials have expired (ExpiredToken): run `aws sso login --profile NAME` or get new credentials\n"
	for _, args := range awsTrailCommands {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, errOut, code := runOnFake(t, fake, args...)
			if code != cmdutil.ExitUsage || out != "" || errOut != want {
				t.Errorf("exit %d\nstdout %q\nstderr %q\nwant exit 2, no stdout and stderr %q", code, out, errOut, want)
			}
		})
	}
	for call, n := range fake.Calls() {
		if call.Operation != "GetCallerIdentity" {
			t.Errorf("%d %s calls with expired credentials", n, call.Operation)
		}
	}
	if len(fake.AthenaQueries()) != 0 {
		t.Errorf("Athena queries sent: %+v", fake.AthenaQueries())
	}
}
