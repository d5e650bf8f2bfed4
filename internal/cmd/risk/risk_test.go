package risk

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/demo"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// demoNow fixes the demo snapshot (and so its name) for the golden files.
var demoNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// demoWS is the demo workspace every test of the package shares: the demo
// is generated once.
var demoWS string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "seiri-risk-cmd-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := demo.Generate(demoNow, demo.Seed).WriteSnapshot(filepath.Join(dir, "snapshots")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	demoWS = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func testRoot(f *cmdutil.Factory) *cobra.Command { return cmdtest.Root(f, NewCmd) }

func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return cmdtest.RunWS(t, testRoot, demoNow, nil, demoWS, args...)
}

// golden compares got with testdata/name (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	cmdtest.Golden(t, name, "", got, *update)
}

// TestRiskDemo runs the commands on the demo organization, whose planted
// paths (platform developers -> CloudFormation stack with an administrator
// role; users -> release-automation -> Lambda administrator role;
// s3-uploader attaching AdministratorAccess to itself) must be shown with
// the statements that allow each step.
func TestRiskDemo(t *testing.T) {
	const (
		cfnAdmin = "arn:aws:iam::555555555555:role/cfn-deploy-admin"
	)
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"paths-summary.golden", []string{"risk", "paths"}, cmdutil.ExitOK},
		{"paths-summary-long.golden", []string{"risk", "paths", "--long"}, cmdutil.ExitOK},
		{"paths-summary-json.golden", []string{"risk", "paths", "--output", "json"}, cmdutil.ExitOK},
		// a platform developer: iam:PassRole + cloudformation:* -> stack with the admin role
		{"paths-omar.golden", []string{"risk", "paths", "arn:aws:iam::555555555555:user/omar.haddad"}, cmdutil.ExitOK},
		// a user -> release-automation -> Lambda administrator role, by name
		{"paths-grace-json.golden", []string{"risk", "paths", "grace.novak", "--output", "json"}, cmdutil.ExitOK},
		{"paths-release-automation.golden", []string{"risk", "paths", "release-automation"}, cmdutil.ExitOK},
		// s3-uploader attaches AdministratorAccess to itself
		{"paths-s3-uploader-json.golden", []string{"risk", "paths", "s3-uploader", "-o", "json"}, cmdutil.ExitOK},
		{"paths-target.golden", []string{"risk", "paths", "--target", cfnAdmin}, cmdutil.ExitOK},
		{"paths-ambiguous.golden", []string{"risk", "paths", "OrganizationAccountAccessRole"}, cmdutil.ExitUsage},
		{"paths-unknown.golden", []string{"risk", "paths", "nobody"}, cmdutil.ExitUsage},
		{"paths-unknown-arn.golden", []string{"risk", "paths", "arn:aws:iam::555555555555:user/nobody"}, cmdutil.ExitUsage},
		{"paths-unknown-target.golden", []string{"risk", "paths", "--target", "arn:aws:iam::555555555555:role/nope"}, cmdutil.ExitUsage},
		{"paths-bad-output.golden", []string{"risk", "paths", "-o", "csv"}, cmdutil.ExitUsage},
		{"external.golden", []string{"risk", "external"}, cmdutil.ExitOK},
		{"external-json.golden", []string{"risk", "external", "-o", "json"}, cmdutil.ExitOK},
		{"external-bad-output.golden", []string{"risk", "external", "-o", "sarif"}, cmdutil.ExitUsage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := run(t, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, c.code, errOut)
			}
			golden(t, c.name, "$ seiri "+strings.Join(c.args, " ")+"\n--- stdout\n"+out+"--- stderr\n"+errOut)
		})
	}
}

// TestHighValueConfig: audit.high_value_principals in seiri.yaml are
// targets of `risk paths`; a name there that is not in the snapshot is a
// warning (not an error, unlike --target).
func TestHighValueConfig(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "seiri.yaml")
	body := "audit:\n  high_value_principals:\n    - arn:aws:iam::555555555555:role/cfn-deploy-admin\n    - arn:aws:iam::555555555555:role/gone\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "risk", "paths", "--config", cfg, "-o", "json")
	if code != cmdutil.ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "config-high-value.golden", "--- stdout\n"+out+"--- stderr\n"+errOut)
}

func TestNewCmdPaths(t *testing.T) {
	cases := []struct {
		argv []string
		want PathsOptions
	}{
		{[]string{}, PathsOptions{Output: "table", Snapshot: "latest"}},
		{[]string{"alice", "--snapshot", "s1", "--target", "arn:a", "--target", "arn:b"},
			PathsOptions{Output: "table", Snapshot: "s1", Principal: "alice", Targets: []string{"arn:a", "arn:b"}}},
		{[]string{"--long"}, PathsOptions{Output: "table", Snapshot: "latest", Long: true}},
	}
	for _, c := range cases {
		var got *PathsOptions
		f := cmdutil.NewFactory(&cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
		f.Globals.Output = "table"
		cmd := NewCmdPaths(f, func(o *PathsOptions) error { got = o; return nil })
		cmd.SetArgs(c.argv)
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		got.IO, got.Workspace, got.Config, got.Catalog = nil, nil, nil, nil
		if diff := cmp.Diff(c.want, *got); diff != "" {
			t.Errorf("%v (-want +got):\n%s", c.argv, diff)
		}
	}
	f := cmdutil.NewFactory(&cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	cmd := NewCmdPaths(f, func(*PathsOptions) error { return nil })
	cmd.SetArgs([]string{"a", "b"})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err == nil {
		t.Error("two principals accepted")
	}
}

func TestNewCmdExternal(t *testing.T) {
	var got *ExternalOptions
	f := cmdutil.NewFactory(&cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	f.Globals.Output = "json"
	cmd := NewCmdExternal(f, func(o *ExternalOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--snapshot", "s2"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.IO == nil || got.Workspace == nil || got.Catalog == nil {
		t.Errorf("dependencies not set: %+v", got)
	}
	got.IO, got.Workspace, got.Catalog = nil, nil, nil
	if diff := cmp.Diff(ExternalOptions{Output: "json", Snapshot: "s2"}, *got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
