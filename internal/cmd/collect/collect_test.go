package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/collect"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/workspace"
)

func TestCollectFlags(t *testing.T) {
	tests := []struct {
		args    []string
		want    CollectOptions
		wantErr string
	}{
		{args: nil, want: CollectOptions{Parallel: 8}},
		{args: []string{"--org", "--parallel", "3", "--no-access-advisor"}, want: CollectOptions{Org: true, Parallel: 3, NoAccessAdvisor: true}},
		{args: []string{"--accounts", "111111111111,222222222222"}, want: CollectOptions{Parallel: 8, Accounts: []string{"111111111111", "222222222222"}}},
		{args: []string{"--parallel", "0"}, wantErr: "--parallel 0: must be at least 1"},
		{args: []string{"--accounts", "12345"}, wantErr: `"12345" is not an AWS account id`},
		{args: []string{"--regions", "us-east-1,eu-west-1"}, want: CollectOptions{Parallel: 8, Regions: []string{"us-east-1", "eu-west-1"}}},
		{args: []string{"--no-resource-policies"}, want: CollectOptions{Parallel: 8, NoResourcePolicies: true}},
		{args: []string{"--regions", "us-east1"}, wantErr: `--regions: "us-east1" is not an AWS region name`},
		{args: []string{"--regions", "eu-west-1", "--no-resource-policies"}, wantErr: "--regions and --no-resource-policies"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var got *CollectOptions
			f := cmdutil.NewFactory(&cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
			f.Globals.Output = "table"
			cmd := NewCmdCollect(f, func(o *CollectOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr != "" {
				var ee *cmdutil.ExitError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &ee) || ee.Code != cmdutil.ExitUsage {
					t.Fatalf("err %v, want usage error %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.IO != f.IO || got.Workspace == nil || got.Now == nil || got.AWS == nil || got.Log == nil || got.Context == nil || got.Output != "table" {
				t.Errorf("dependencies not carried: %+v", got)
			}
			deps := cmpopts.IgnoreFields(CollectOptions{}, "IO", "Context", "Workspace", "Now", "Log", "AWS", "Output", "Progress", "Lines")
			if diff := cmp.Diff(tt.want, *got, deps); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCollectCommandPartial(t *testing.T) {
	cmdtest.IsolateAWS(t)
	fake := awsfake.New(awsfake.SampleScenario(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 3, 2))
	defer fake.Close()
	fake.DenyAssumeRole("111111110002")
	ws := t.TempDir()
	out, errOut, code := runCollect(t, fake, ws, "collect", "--org", "--parallel", "2")
	if code != cmdutil.ExitPartial {
		t.Fatalf("exit %d, want %d; stderr %s", code, cmdutil.ExitPartial, errOut)
	}
	for _, want := range []string{"Collected 2 of 3 accounts and the organization", "Failed accounts (1):",
		"111111110002 (account-2): assume role arn:aws:iam::111111110002:role/OrganizationAccountAccessRole: AccessDenied"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "1 of 3 accounts failed") {
		t.Errorf("stderr %q", errOut)
	}
	// Progress from the first second (a line before the first AWS call),
	// then a line per finished account, on stderr when it is no terminal.
	lines := strings.Split(errOut, "\n")
	if !strings.HasPrefix(lines[0], "collect: the organization and every ACTIVE account in it") ||
		!strings.Contains(errOut, "collect: 3/3 accounts done (1 failed), ") {
		t.Errorf("no progress on stderr:\n%s", errOut)
	}
	snap, err := snapshot.Load(filepath.Join(ws, "snapshots"), "latest")
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Accounts) != 2 || snap.Organization == nil || snap.Manifest.SeiriVersion == "" {
		t.Errorf("snapshot accounts %d org %v", len(snap.Accounts), snap.Organization != nil)
	}

	// --output json prints the manifest.
	out, _, code = runCollect(t, fake, ws, "collect", "--accounts", "111111110001", "--no-access-advisor", "--output", "json")
	if code != cmdutil.ExitOK {
		t.Fatalf("exit %d", code)
	}
	var m struct {
		Dir      string                   `json:"dir"`
		Accounts []snapshot.AccountStatus `json:"accounts"`
		Complete bool                     `json:"complete"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || !m.Complete || len(m.Accounts) != 1 || m.Dir == "" {
		t.Errorf("json output %q: %v", out, err)
	}
}

func TestCollectCommandAllFailed(t *testing.T) {
	cmdtest.IsolateAWS(t)
	fake := awsfake.New(awsfake.SampleScenario(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 2, 1))
	defer fake.Close()
	fake.DenyAssumeRole("111111110001")
	_, errOut, code := runCollect(t, fake, t.TempDir(), "collect", "--accounts", "111111110001")
	if code != cmdutil.ExitInternal || !strings.Contains(errOut, "no account could be collected") {
		t.Errorf("exit %d stderr %q", code, errOut)
	}
}

func TestPermissionsCollect(t *testing.T) {
	out, _, code := runCollect(t, nil, t.TempDir(), "permissions", "collect", "--role-name", "SeiriReadOnly")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Version   string
		Statement []struct {
			Effect   string
			Action   []string
			Resource []string
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if doc.Version != "2012-10-17" || len(doc.Statement) != 2 ||
		!cmp.Equal(doc.Statement[1].Resource, []string{"arn:aws:iam::*:role/SeiriReadOnly"}) {
		t.Errorf("policy %+v", doc)
	}
	found := false
	for _, a := range doc.Statement[0].Action {
		found = found || a == "iam:GetAccountAuthorizationDetails"
	}
	if !found {
		t.Error("iam:GetAccountAuthorizationDetails missing")
	}
	// `seiri permissions` alone is a group that shows its subcommands.
	out, _, code = runCollect(t, nil, t.TempDir(), "permissions")
	if code != 0 || !strings.Contains(out, "collect") {
		t.Errorf("permissions: exit %d\n%s", code, out)
	}
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	b := &progressBar{w: &buf}
	b.update(collect.Progress{Total: 4, Done: 1, Failed: 1, APICalls: 120, APIErrors: 2})
	b.finish()
	want := "\r[#######.......................] 1/4 accounts · 120 API calls · 3 errors\r\033[K"
	if buf.String() != want {
		t.Errorf("bar %q, want %q", buf.String(), want)
	}
	var nilBar *progressBar
	nilBar.finish() // no-op without a terminal
}

// TestCollectRegionsStaleUnavailable: --regions reaches the collect and the
// summary says where resource policies were read; a stale unfinished
// snapshot is removed and named; a service the circuit breaker marked
// unavailable is listed.
func TestCollectRegionsStaleUnavailable(t *testing.T) {
	cmdtest.IsolateAWS(t)
	fake := awsfake.New(awsfake.SampleScenario(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 2, 1))
	defer fake.Close()
	fake.FailOp("111111110001", "GenerateServiceLastAccessedDetails", &awsfake.Error{Status: 500, Code: "ServiceFailure", Message: "Internal error"}, -1)
	ws := t.TempDir()
	stale := filepath.Join(ws, "snapshots", ".pending-20261030T000000Z-1")
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2020, 10, 30, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCollect(t, fake, ws, "collect", "--accounts", "111111110001", "--regions", "us-east-1,eu-west-1")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	// The SDK's retries of the failing operation are counted in the summary.
	if !regexp.MustCompile(`(?m)^Collected 1 of 1 accounts in .* with \d+ API calls \(\d+ retried\)\.$`).MatchString(out) {
		t.Errorf("retries not in the summary:\n%s", out)
	}
	lines := strings.Split(out, "\n")
	var got []string
	for i, l := range lines {
		if strings.HasPrefix(l, "Resource policies:") || strings.HasPrefix(l, "Services marked") || strings.HasPrefix(l, "Unfinished") {
			got = append(got, l, lines[i+1])
		}
	}
	want := []string{
		"Resource policies: read in us-east-1, eu-west-1 (S3 in every region).", "Warnings (1):",
		"Services marked unavailable after repeated failures (1):",
		"  IAM GenerateServiceLastAccessedDetails unavailable in 111111110001 for the rest of this run: its first 3 calls failed the same way (HTTP 500 ServiceFailure: Internal error); call not sent",
		"Unfinished snapshots of interrupted collects (1):",
		"  removed " + stale + ": no owner recorded, last written 2020-10-30T00:00:00Z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary (-want +got):\n%s\n%s", diff, out)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale folder kept: %v", err)
	}
	snap, err := snapshot.Load(filepath.Join(ws, "snapshots"), "latest")
	if err != nil {
		t.Fatal(err)
	}
	if rp := snap.Accounts[0].ResourcePolicies; rp == nil || !cmp.Equal(rp.Regions, []string{"us-east-1", "eu-west-1"}) {
		t.Errorf("resource policies %+v", rp)
	}

	out, errOut, code = runCollect(t, fake, ws, "collect", "--accounts", "111111110001", "--no-access-advisor", "--no-resource-policies")
	if code != 0 || !strings.Contains(out, "\nResource policies: not read (--no-resource-policies).\n") {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	snap, err = snapshot.Load(filepath.Join(ws, "snapshots"), "latest")
	if err != nil {
		t.Fatal(err)
	}
	if rp := snap.Accounts[0].ResourcePolicies; rp != nil {
		t.Errorf("resource policies read with --no-resource-policies: %+v", rp.Regions)
	}
}

// Issue 15: without credentials, or with expired ones, collect fails fast:
// exit 2, one line saying what to set, no SDK line, no workspace created,
// no progress line claiming a collect started.
func TestCollectCredentials(t *testing.T) {
	cmdtest.IsolateAWS(t)
	ws := filepath.Join(t.TempDir(), "ws")
	out, errOut, code := cmdtest.RunWS(t, testRoot, time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), nil, ws, "collect", "--org")
	const missing = "seiri: no AWS credentials found: pass --profile NAME or set AWS_PROFILE (for IAM Identity Center, run `aws sso login --profile NAME` first), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n"
	if code != cmdutil.ExitUsage || out != "" || errOut != missing {
		t.Errorf("no credentials: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	if _, err := os.Stat(ws); err == nil {
		t.Errorf("workspace created")
	}

	fake := awsfake.New(awsfake.SampleScenario(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 2, 1))
	defer fake.Close()
	fake.FailOp("", "GetCallerIdentity", &awsfake.Error{Status: 403, Code: "ExpiredToken", Message: "The security token included in the request is expired"}, -1)
	out, errOut, code = runCollect(t, fake, ws, "collect", "--org")
	const expired = "seiri: AWS credentials have expired (ExpiredToken): run `aws sso login --profile NAME` or get new credentials\n"
	if code != cmdutil.ExitUsage || out != "" || errOut != expired {
		t.Errorf("expired: exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	for call := range fake.Calls() {
		if call.Operation != "GetCallerIdentity" {
			t.Errorf("%s called with expired credentials", call.Operation)
		}
	}
}

// TestCollectRunFromOptions: the run function sees only its options; a
// credentials error from the AWS opener is bad input and nothing else runs.
func TestCollectRunFromOptions(t *testing.T) {
	var out, errOut bytes.Buffer
	o := &CollectOptions{IO: &cmdutil.IOStreams{Out: &out, ErrOut: &errOut}, Context: context.Background(), Lines: true,
		AWS: func(context.Context) (*awsclient.Session, error) {
			return nil, &awsclient.CredentialsError{Kind: "profile", Profile: "audit"}
		},
		Workspace: func() (*workspace.Workspace, error) { t.Fatal("workspace opened"); return nil, nil },
	}
	err := collectRun(o)
	var ee *cmdutil.ExitError
	want := "AWS profile \"audit\" is not in the AWS config or credentials file: check --profile and AWS_PROFILE (`aws configure list-profiles` lists them)"
	if !errors.As(err, &ee) || ee.Code != cmdutil.ExitUsage || err.Error() != want || out.Len()+errOut.Len() != 0 {
		t.Errorf("got %v (%q %q), want exit 2 %q", err, out.String(), errOut.String(), want)
	}
}
