package audit

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/credreport"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

var auditNow = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// writeSnapshot stores a small account with known findings in a temp
// workspace and returns the workspace and the snapshot folder.
func writeSnapshot(t *testing.T) (ws, dir string) {
	t.Helper()
	ws = t.TempDir()
	w, err := snapshot.Create(filepath.Join(ws, "snapshots"), auditNow.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	old := auditNow.AddDate(0, 0, -400)
	a := &snapshot.Account{
		AccountID: "111111111111", CollectedAt: auditNow.Add(-time.Hour),
		Users: []snapshot.User{
			{ARN: "arn:aws:iam::111111111111:user/ci", UserName: "ci", CreateDate: old,
				AccessKeys: []snapshot.AccessKey{{AccessKeyID: "AKIACI", Status: "Active", CreateDate: old}}},
			{ARN: "arn:aws:iam::111111111111:user/amy", UserName: "amy", CreateDate: old,
				LoginProfile: &snapshot.LoginProfile{CreateDate: auditNow.AddDate(0, 0, -10)}, PasswordLastUsed: ptrTime(auditNow.AddDate(0, 0, -1)),
				MFADevices: []snapshot.MFADevice{{SerialNumber: "arn:aws:iam::111111111111:mfa/amy", EnableDate: old}}},
		},
		CredentialReport: &credreport.Report{Rows: []credreport.Row{{
			User: credreport.RootUser, ARN: "arn:aws:iam::111111111111:root", MFAActive: true,
			PasswordEnabled: credreport.Bool{Missing: credreport.NotSupported},
		}}},
	}
	file, err := w.WriteAccount(a)
	if err != nil {
		t.Fatal(err)
	}
	dir, err = w.Commit(&snapshot.Manifest{Source: "test", StartedAt: auditNow.Add(-time.Hour), FinishedAt: auditNow.Add(-time.Hour),
		Accounts: []snapshot.AccountStatus{{AccountID: "111111111111", File: file}, {AccountID: "222222222222", Error: "AccessDenied on AssumeRole"}}})
	if err != nil {
		t.Fatal(err)
	}
	return ws, dir
}

func ptrTime(t time.Time) *time.Time { return &t }

// runCLI runs seiri with args and returns exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	io := &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	f := cmdutil.NewFactory(io)
	f.Now = func() time.Time { return auditNow }
	root := testRoot(f)
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	code := cmdutil.ExitCode(io, root.Execute())
	return code, out.String(), errOut.String()
}

func TestAuditOutputs(t *testing.T) {
	ws, _ := writeSnapshot(t)
	tests := []struct {
		format string
		check  func(t *testing.T, out string)
	}{
		{"table", func(t *testing.T, out string) {
			for _, s := range []string{"3 findings: critical 0, high 0, medium 3", "By account (1):", "Top findings (3 of 3", "SEIRI-KEY-UNUSED", "Next:\n  seiri audit --long"} {
				if !strings.Contains(out, s) {
					t.Errorf("table lacks %q:\n%s", s, out)
				}
			}
		}},
		{"json", func(t *testing.T, out string) {
			var r finding.Report
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, f := range r.Findings {
				ids = append(ids, f.RuleID+" "+f.Resource)
			}
			want := []string{
				"SEIRI-KEY-UNUSED arn:aws:iam::111111111111:user/ci",
				"SEIRI-USER-INACTIVE arn:aws:iam::111111111111:user/ci",
				"SEIRI-KEY-OLD arn:aws:iam::111111111111:user/ci",
				// No Access Advisor in a collected account is a choice
				// (collect --no-access-advisor) collect reports, not a gap.
			}
			if diff := cmp.Diff(want, ids); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if r.Snapshot == "" || len(r.Rules) == 0 {
				t.Errorf("report header: %+v", r)
			}
		}},
		{"csv", func(t *testing.T, out string) {
			recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 4 || recs[0][0] != "severity" {
				t.Errorf("csv = %q", recs)
			}
		}},
		{"sarif", func(t *testing.T, out string) {
			var log struct {
				Version string `json:"version"`
				Runs    []struct {
					Results []struct {
						RuleID string `json:"ruleId"`
					} `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal([]byte(out), &log); err != nil {
				t.Fatal(err)
			}
			if log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) != 3 {
				t.Errorf("sarif = %+v", log)
			}
		}},
		{"markdown", func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "# seiri audit") || !strings.Contains(out, "| medium | 3 |") {
				t.Errorf("markdown:\n%s", out)
			}
		}},
		{"html", func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, "SEIRI-KEY-OLD") {
				t.Errorf("html:\n%s", out)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			code, out, errOut := runCLI(t, "--workspace", ws, "--output", tt.format, "audit")
			if code != cmdutil.ExitOK {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			tt.check(t, out)
			if !strings.Contains(errOut, "account 222222222222 was not collected (AccessDenied on AssumeRole)") {
				t.Errorf("stderr lacks the failed-account warning:\n%s", errOut)
			}
			if tt.format != "table" && !strings.Contains(errOut, "3 findings: critical 0, high 0, medium 3, low 0, info 0") {
				t.Errorf("stderr lacks the summary:\n%s", errOut)
			}
		})
	}
}

func TestAuditFailOn(t *testing.T) {
	ws, dir := writeSnapshot(t)
	tests := []struct {
		args     []string
		code     int
		inStderr string
	}{
		{[]string{"--fail-on", "medium"}, cmdutil.ExitFindings, "3 findings at or above medium (--fail-on)"},
		{[]string{"--fail-on", "LOW"}, cmdutil.ExitFindings, "3 findings at or above low"},
		{[]string{"--fail-on", "high"}, cmdutil.ExitOK, ""},
		{[]string{"--fail-on", "medium", "--rule", "SEIRI-ROOT-NO-MFA"}, cmdutil.ExitOK, ""},
		{[]string{"--fail-on", "medium", "--rule", "SEIRI-KEY-OLD"}, cmdutil.ExitFindings, "1 findings at or above medium"},
		{[]string{}, cmdutil.ExitOK, ""},
		{[]string{"--fail-on", "severe"}, cmdutil.ExitUsage, `--fail-on: unknown severity "severe"`},
		{[]string{"--rule", "SEIRI-NOPE"}, cmdutil.ExitUsage, `--rule: unknown rule id "SEIRI-NOPE"`},
		{[]string{"--snapshot", filepath.Base(dir), "--fail-on", "critical"}, cmdutil.ExitOK, ""},
		{[]string{"--snapshot", dir, "--fail-on", "info"}, cmdutil.ExitFindings, "3 findings at or above info"},
		{[]string{"--snapshot", "nope"}, cmdutil.ExitUsage, `snapshot "nope" not found`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errOut := runCLI(t, append([]string{"--workspace", ws, "--output", "json", "audit"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
			if tt.inStderr != "" && !strings.Contains(errOut, tt.inStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.inStderr, errOut)
			}
		})
	}
}

func TestAuditBadSnapshot(t *testing.T) {
	tests := []struct {
		name     string
		breakIt  func(t *testing.T, dir string)
		inStderr []string
	}{
		{"corrupt manifest", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "manifest.json"), []byte("{\n  \"schemaVersion\": 1,\n  \"complete\": tru}"), 0o600)
		}, []string{"manifest.json", "line 3, column"}},
		{"missing manifest", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "manifest.json"))
		}, []string{"manifest.json", "no such file"}},
		{"unknown schema version", func(t *testing.T, dir string) {
			data, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
			data = bytes.Replace(data, []byte(`"schemaVersion": 1`), []byte(`"schemaVersion": 99`), 1)
			os.WriteFile(filepath.Join(dir, "manifest.json"), data, 0o600)
		}, []string{"manifest.json", "schemaVersion 99 is not supported"}},
		{"corrupt account file", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "accounts", "111111111111.json.gz"), []byte("not gzip"), 0o600)
		}, []string{"111111111111.json.gz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, dir := writeSnapshot(t)
			tt.breakIt(t, dir)
			code, out, errOut := runCLI(t, "--workspace", ws, "audit", "--snapshot", dir)
			if code != cmdutil.ExitUsage {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, errOut)
			}
			for _, s := range append(tt.inStderr, dir) {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			if out != "" {
				t.Errorf("stdout not empty:\n%s", out)
			}
		})
	}
}

func TestAuditOutFile(t *testing.T) {
	ws, _ := writeSnapshot(t)
	path := filepath.Join(t.TempDir(), "sub", "audit.sarif")
	code, out, errOut := runCLI(t, "--workspace", ws, "-o", "sarif", "audit", "--out", path)
	if code != cmdutil.ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if out != "" {
		t.Errorf("stdout = %q, want empty", out)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	if !json.Valid(data) || !strings.Contains(string(data), `"version": "2.1.0"`) {
		t.Errorf("file content:\n%s", data)
	}
	if !strings.Contains(errOut, "written to "+path) || !strings.Contains(errOut, "Top rules:") {
		t.Errorf("stderr:\n%s", errOut)
	}
}

func TestAuditConfig(t *testing.T) {
	ws, _ := writeSnapshot(t)
	cfgPath := filepath.Join(t.TempDir(), "seiri.yaml")
	os.WriteFile(cfgPath, []byte("audit:\n  disabled_rules: [SEIRI-KEY-OLD, SEIRI-MADE-UP]\n  unused_key_days: 500\n"), 0o600)
	code, out, errOut := runCLI(t, "--workspace", ws, "--config", cfgPath, "-o", "json", "audit")
	if code != cmdutil.ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r finding.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.RuleID)
	}
	if diff := cmp.Diff([]string{"SEIRI-USER-INACTIVE"}, ids); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !strings.Contains(errOut, `unknown rule ids "SEIRI-MADE-UP"`) {
		t.Errorf("stderr:\n%s", errOut)
	}
}

func TestAuditFlags(t *testing.T) {
	var got *AuditOptions
	f := cmdutil.NewFactory(&cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	f.Globals.Output = "csv"
	cmd := NewCmdAudit(f, func(o *AuditOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--snapshot", "x", "--fail-on", "high", "--rule", "A", "--rule", "B", "--out", "f.csv"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := AuditOptions{Output: "csv", Snapshot: "x", FailOn: "high", Rules: []string{"A", "B"}, Out: "f.csv"}
	got.IO, got.Workspace, got.Config, got.Now, got.Catalog = nil, nil, nil, nil, nil
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestAuditListRules(t *testing.T) {
	code, out, _ := runCLI(t, "--workspace", t.TempDir(), "audit", "--list-rules")
	if code != cmdutil.ExitOK || !strings.Contains(out, "SEIRI-ROOT-NO-MFA") || !strings.HasPrefix(out, "ID") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// Issue 18: the default table is the short form (summary, counts by
// account, top findings, Next:); --long lists every finding with its
// resource, as the table always did.
func TestAuditShortAndLong(t *testing.T) {
	ws, _ := writeSnapshot(t)
	code, short, errOut := runCLI(t, "--workspace", ws, "audit")
	if code != cmdutil.ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	code, long, errOut := runCLI(t, "--workspace", ws, "audit", "--long")
	if code != cmdutil.ExitOK {
		t.Fatalf("--long: exit %d: %s", code, errOut)
	}
	for name, out := range map[string]string{"short": short, "long": long} {
		want, err := os.ReadFile(filepath.Join("testdata", "audit-"+name+".txt"))
		got := strings.ReplaceAll(out, filepath.Base(filepath.Dir(ws)), "TMP")
		if *update {
			if err := os.WriteFile(filepath.Join("testdata", "audit-"+name+".txt"), []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if diff := cmp.Diff(string(want), got); diff != "" {
			t.Errorf("%s form (-want +got):\n%s", name, diff)
		}
		for i, l := range strings.Split(out, "\n") {
			if len([]rune(l)) > 120 {
				t.Errorf("%s line %d over 120 columns: %q", name, i+1, l)
			}
		}
	}
	if strings.Contains(short, "arn:aws:iam::111111111111:user/ci") || !strings.Contains(long, "arn:aws:iam::111111111111:user/ci") {
		t.Errorf("the long form lists resources, the short form does not")
	}
}
