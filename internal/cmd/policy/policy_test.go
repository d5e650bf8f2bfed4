package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
)

func policyTestIO(in string) (*cmdutil.IOStreams, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return &cmdutil.IOStreams{In: strings.NewReader(in), Out: out, ErrOut: errOut}, out, errOut
}

func policyExitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *cmdutil.ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return cmdutil.ExitInternal
}

func TestPolicyValidateFlags(t *testing.T) {
	io, _, _ := policyTestIO("")
	f := cmdutil.NewFactory(io)
	f.Globals.Output = "json"
	var got *PolicyValidateOptions
	cmd := NewCmdPolicyValidate(f, func(o *PolicyValidateOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"p.json", "--type", "scp", "--fail-on", "warning"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := struct{ File, Type, FailOn, Output string }{"p.json", "scp", "warning", "json"}
	if diff := cmp.Diff(want, struct{ File, Type, FailOn, Output string }{got.File, got.Type, got.FailOn, got.Output}); diff != "" {
		t.Error(diff)
	}
}

func TestPolicyValidateRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	clean := write("clean.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`)
	warn := write("warn.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	bad := write("bad.json", "{\"Version\":\"2012-10-17\",\n\"Statement\":[{\"Action\":\"s3:*\",\"Resource\":\"*\"}]}")
	tests := []struct {
		name     string
		opts     PolicyValidateOptions
		wantCode int
		wantOut  []string
	}{
		{"clean table", PolicyValidateOptions{File: clean, Type: "identity", FailOn: "error", Output: "table"}, 0, []string{"0 errors, 0 warnings, 0 suggestions"}},
		{"warning does not fail by default", PolicyValidateOptions{File: warn, Type: "identity", FailOn: "error", Output: "table"}, 0, []string{"SECURITY_ALLOW_ALL", "1 warnings"}},
		{"fail on warning", PolicyValidateOptions{File: warn, Type: "identity", FailOn: "warning", Output: "table"}, 1, []string{"SECURITY_ALLOW_ALL"}},
		{"error exits 1", PolicyValidateOptions{File: bad, Type: "identity", FailOn: "error", Output: "table"}, 1, []string{"STATEMENT_MISSING_EFFECT", "2:14"}},
		{"json", PolicyValidateOptions{File: bad, Type: "identity", FailOn: "none", Output: "json"}, 0, []string{`"code": "STATEMENT_MISSING_EFFECT"`, `"line": 2`}},
		{"unreadable file", PolicyValidateOptions{File: filepath.Join(dir, "nope.json"), Type: "identity", FailOn: "error", Output: "table"}, 2, nil},
		{"bad type", PolicyValidateOptions{File: clean, Type: "banana", FailOn: "error", Output: "table"}, 2, nil},
		{"bad output", PolicyValidateOptions{File: clean, Type: "identity", FailOn: "error", Output: "csv"}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, out, _ := policyTestIO("")
			tt.opts.IO = io
			err := policyValidateRun(&tt.opts)
			if code := policyExitCode(err); code != tt.wantCode {
				t.Fatalf("exit %d (%v), want %d\n%s", code, err, tt.wantCode, out)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestPolicyValidateStdin(t *testing.T) {
	io, out, _ := policyTestIO(`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	err := policyValidateRun(&PolicyValidateOptions{IO: io, File: "-", Type: "identity", FailOn: "error", Output: "table"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "POLICY_MISSING_VERSION") {
		t.Errorf("output: %s", out)
	}
}

func TestPolicySimulateSamples(t *testing.T) {
	io, out, errOut := policyTestIO("")
	err := policySimulateRun(&PolicySimulateOptions{IO: io, Cases: "../../policy/testdata/policy-cases-sample.jsonl", Check: true, Explain: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 40 {
		t.Fatalf("%d lines, want 40", len(lines))
	}
	var first struct {
		ID       string          `json:"id"`
		Decision string          `json:"decision"`
		Error    *string         `json:"error"`
		Reason   json.RawMessage `json:"reason"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.ID != "rand-7-0" || first.Decision != "ImplicitDeny" || first.Error != nil || len(first.Reason) == 0 {
		t.Errorf("first line: %s", lines[0])
	}
}

func TestPolicySimulateOutput(t *testing.T) {
	in := strings.Join([]string{
		`{"id":"a\"b","request":{"principal":"anonymous","action":"s3:GetObject","resource":"*"}}`,
		`not json`,
		`{"request":{"principal":"anonymous","action":"s3:GetObject","resource":"*"}}`,
		`{"id":"x","request":{"principal":"anonymous","action":"s3:GetObject","resource":"*"},"expected":"Allow"}`,
	}, "\n")
	io, out, errOut := policyTestIO(in)
	err := policySimulateRun(&PolicySimulateOptions{IO: io, Cases: "-", Check: true})
	if code := policyExitCode(err); code != 1 {
		t.Fatalf("exit %d, want 1 (mismatch and bad line)", code)
	}
	want := `{"id":"a\"b","decision":"ImplicitDeny","error":null}
{"id":null,"line":2,"decision":null,"error":"line 2, column 1: invalid JSON: invalid literal, expected \"null\""}
{"id":null,"line":3,"decision":"ImplicitDeny","error":null}
{"id":"x","decision":"ImplicitDeny","error":null}
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	wantErr := `4 cases: 0 allowed, 3 implicitly denied, 0 explicitly denied, 1 could not be evaluated
checked 1 case against their expected decision: 0 match, 1 differ; 2 without an expected decision (not compared)
  differs: "x" (line 4): expected Allow, got ImplicitDeny
`
	if diff := cmp.Diff(wantErr, errOut.String()); diff != "" {
		t.Errorf("stderr summary (-want +got):\n%s", diff)
	}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !json.Valid([]byte(l)) {
			t.Errorf("invalid JSON line %s", l)
		}
	}
}

// Without --check nothing is compared, the summary says so, and the run
// succeeds even when an expected decision differs.
func TestPolicySimulateSummaryWithoutCheck(t *testing.T) {
	in := `{"id":"x","request":{"principal":"anonymous","action":"s3:GetObject","resource":"*"},"expected":"Allow"}` + "\n"
	io, _, errOut := policyTestIO(in)
	if err := policySimulateRun(&PolicySimulateOptions{IO: io, Cases: "-"}); err != nil {
		t.Fatalf("exit %d: %v", policyExitCode(err), err)
	}
	want := "1 case: 0 allowed, 1 implicitly denied, 0 explicitly denied, 0 could not be evaluated\n" +
		"expected decisions not compared (1 case carry one): use --check to compare\n"
	if diff := cmp.Diff(want, errOut.String()); diff != "" {
		t.Errorf("stderr summary (-want +got):\n%s", diff)
	}
}

// The command passes the catalog in force as a field, read when the run
// starts (not when the flags are parsed: seiri catalog update is seen),
// and the catalog decides which services RCPs govern.
func TestPolicySimulateUsesCatalog(t *testing.T) {
	io, _, _ := policyTestIO("")
	f := cmdutil.NewFactory(io)
	f.Globals.Workspace = t.TempDir()
	var got *PolicySimulateOptions
	cmd := NewCmdPolicySimulate(f, func(o *PolicySimulateOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--cases", "-"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Catalog == nil || !got.Catalog().SupportsRCP("s3") {
		t.Fatalf("Catalog: want the factory's catalog in force (s3 supports RCPs)")
	}

	// An RCP denying s3:GetObject: the embedded catalog says S3 supports
	// RCPs (explicit deny); a catalog that says it does not leaves the
	// identity policy's allow.
	in := `{"id":"rcp","request":{"principal":"arn:aws:iam::111122223333:user/alice","action":"s3:GetObject","resource":"arn:aws:s3:::b/k",` +
		`"resourceAccount":"111122223333","context":{"aws:PrincipalAccount":"111122223333"}},` +
		`"identityPolicies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}],` +
		`"rcps":[[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},` +
		`{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}]]}` + "\n"
	noRCP := catalog.New(catalog.Source{}, []*catalog.Service{{Prefix: "s3", Name: "Amazon S3", SupportsRCP: false}})
	for _, tc := range []struct {
		name string
		cat  *catalog.Catalog
		want string
	}{
		{"embedded", catalog.Embedded(), "ExplicitDeny"},
		{"s3 without RCPs", noRCP, "Allow"},
	} {
		io, out, errOut := policyTestIO(in)
		calls := 0
		o := &PolicySimulateOptions{IO: io, Cases: "-", Catalog: func() *catalog.Catalog { calls++; return tc.cat }}
		if err := policySimulateRun(o); err != nil {
			t.Fatalf("%s: %v\n%s", tc.name, err, errOut)
		}
		want := `{"id":"rcp","decision":"` + tc.want + `","error":null}` + "\n"
		if out.String() != want || calls != 1 {
			t.Errorf("%s: %s (catalog read %d times), want %s", tc.name, out, calls, want)
		}
	}
}

func TestPolicySimulateFlags(t *testing.T) {
	io, _, _ := policyTestIO("")
	f := cmdutil.NewFactory(io)
	cmd := NewCmdPolicySimulate(f, func(o *PolicySimulateOptions) error { return nil })
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs([]string{})
	if code := policyExitCode(cmd.Execute()); code != 2 {
		t.Errorf("missing --cases: exit %d, want 2", code)
	}
	io2, _, _ := policyTestIO("")
	err := policySimulateRun(&PolicySimulateOptions{IO: io2, Cases: "/nonexistent/cases.jsonl"})
	if code := policyExitCode(err); code != 2 {
		t.Errorf("unreadable cases: exit %d, want 2", code)
	}
}

func TestNewCmdPolicyGenerate(t *testing.T) {
	f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	var gen *PolicyGenerateOptions
	cmd := NewCmdPolicyGenerate(f, func(o *PolicyGenerateOptions) error { gen = o; return nil })
	cmd.SetArgs([]string{"arn:aws:iam::123456789012:role/app", "--format", "cloudformation", "--max-chars", "2048", "--name", "app-lp"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if gen.Principal != "arn:aws:iam::123456789012:role/app" || gen.Format != "cloudformation" || gen.MaxChars != 2048 || gen.Name != "app-lp" || gen.Days != 90 || gen.Diff {
		t.Errorf("generate options %+v", gen)
	}
	cmd = NewCmdPolicyDiff(f, func(o *PolicyGenerateOptions) error { gen = o; return nil })
	cmd.SetArgs([]string{"arn:aws:iam::123456789012:role/app"})
	if err := cmd.Execute(); err != nil || !gen.Diff {
		t.Errorf("diff: %v %+v", err, gen)
	}
}
