package scp

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
	"github.com/seiri-dev/seiri/internal/workspace"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestNewCmdScp: from argv to options (cli/cli's TestNewCmdX), with the
// dependencies carried as fields.
func TestNewCmdScp(t *testing.T) {
	var got any
	var deps *Deps
	keep := func(o any, d *Deps) error { got, deps = o, d; return nil }
	tests := []struct {
		name string
		mk   func(*cmdutil.Factory) *cobra.Command
		args []string
		want any
	}{
		{"list", func(f *cmdutil.Factory) *cobra.Command {
			return NewCmdScpList(f, func(o *ScpListOptions) error { return keep(*o, &o.Deps) })
		}, nil, ScpListOptions{}},
		{"show", func(f *cmdutil.Factory) *cobra.Command {
			return NewCmdScpShow(f, func(o *ScpShowOptions) error { return keep(*o, &o.Deps) })
		}, []string{"deny-root-user"}, ScpShowOptions{Name: "deny-root-user"}},
		{"render", func(f *cmdutil.Factory) *cobra.Command {
			return NewCmdScpRender(f, func(o *ScpRenderOptions) error { return keep(*o, &o.Deps) })
		}, []string{"allowed-regions", "--param", "regions=eu-west-1", "--pretty"}, ScpRenderOptions{Name: "allowed-regions", Params: []string{"regions=eu-west-1"}, Pretty: true}},
		{"simulate", func(f *cmdutil.Factory) *cobra.Command {
			return NewCmdScpSimulate(f, func(o *ScpSimulateOptions) error { return keep(*o, &o.Deps) })
		}, []string{"--policy", "p.json", "--target", "Workloads", "--type", "rcp", "--days", "90", "--snapshot", "20261128T120000Z"},
			ScpSimulateOptions{Policy: "p.json", Target: "Workloads", Type: "rcp", Days: 90, Snapshot: "20261128T120000Z"}},
		{"suggest", func(f *cmdutil.Factory) *cobra.Command {
			return NewCmdScpSuggest(f, func(o *ScpSuggestOptions) error { return keep(*o, &o.Deps) })
		}, []string{"--target", "root", "--keep", "sts,iam"}, ScpSuggestOptions{Target: "root", Days: 90, Keep: []string{"sts", "iam"}, Snapshot: snapshot.Latest}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io := &cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
			f := cmdutil.NewFactory(io)
			f.Globals.Output = "json"
			cmd := tt.mk(f)
			cmd.SetArgs(append([]string{}, tt.args...))
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if deps.IO != io || deps.Workspace == nil || deps.Config == nil || deps.Now == nil || deps.Catalog == nil || deps.Context == nil || deps.Output != "json" {
				t.Errorf("dependencies not carried: %+v", deps)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreTypes(Deps{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// simulateWorkspace is the demo organization's snapshot with recorded
// usage in Workloads/Prod (in and out of the window) and the management
// account, and the draft regions.json next to it.
func simulateWorkspace(t *testing.T, now time.Time) (ws, policy string) {
	t.Helper()
	ws, d := cmdtest.DemoWorkspace(t, now)
	st, err := org.FromSnapshot(d.Organization)
	if err != nil {
		t.Fatal(err)
	}
	var prod string
	for id, a := range st.Accounts {
		if a.Parent == "Workloads/Prod" && (prod == "" || id < prod) {
			prod = id
		}
	}
	store, err := usage.Open(context.Background(), filepath.Join(ws, "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	row := func(acct, principal, action, region string, n int64, age time.Duration) usage.Row {
		return usage.Row{Key: usage.Key{Account: acct, Principal: principal, PrincipalType: "AssumedRole", Action: action, Region: region},
			Count: n, Authz: true, FirstSeen: now.Add(-age), LastSeen: now.Add(-age)}
	}
	ci := "arn:aws:iam::" + prod + ":role/ci-deployer"
	mgmt := d.Organization.ManagementAccount
	if err := store.Upsert(context.Background(), []usage.Row{
		row(prod, ci, "ec2:RunInstances", "eu-west-3", 412, time.Hour),
		row(prod, ci, "ec2:RunInstances", "eu-west-1", 40, time.Hour),
		row(prod, ci, "ec2:TerminateInstances", "ap-south-1", 5, 60*24*time.Hour), // outside the 30-day window
		row(mgmt, "arn:aws:iam::"+mgmt+":role/admin", "ec2:RunInstances", "eu-west-3", 7, time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	store.Close()
	policy = filepath.Join(t.TempDir(), "regions.json")
	pol := `{"Version":"2012-10-17","Statement":[{"Sid":"Regions","Effect":"Deny","NotAction":["iam:*","sts:*","organizations:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}}]}`
	if err := os.WriteFile(policy, []byte(pol), 0o600); err != nil {
		t.Fatal(err)
	}
	return ws, policy
}

func testDeps(ws string, now time.Time, output string, out, errOut *bytes.Buffer) Deps {
	return Deps{IO: &cmdutil.IOStreams{Out: out, ErrOut: errOut}, Context: context.Background(),
		Workspace: func() (*workspace.Workspace, error) { return workspace.OpenExisting(ws) },
		Config:    func() (*config.Config, error) { return config.Load("") },
		Now:       func() time.Time { return now }, Catalog: catalog.Embedded, Output: output}
}

// TestScpSimulateOutput: from options to the exact report, in table and
// JSON: the snapshot, the usage window, the store and its sources come
// first (issue 15), then the impact.
func TestScpSimulateOutput(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	ws, policy := simulateWorkspace(t, now)
	for _, output := range []string{"table", "json"} {
		t.Run(output, func(t *testing.T) {
			var out, errOut bytes.Buffer
			o := &ScpSimulateOptions{Deps: testDeps(ws, now, output, &out, &errOut), Policy: policy, Target: "Workloads", Type: "scp", Snapshot: snapshot.Latest, Days: 30}
			if err := scpSimulateRun(o); err != nil {
				t.Fatal(err)
			}
			got := strings.NewReplacer(ws, "WS", policy, "regions.json").Replace(out.String())
			golden(t, "simulate."+output+".golden", got)
			if errOut.Len() != 0 {
				t.Errorf("stderr: %s", errOut.String())
			}
		})
	}
}

// TestScpSuggestOutput: the suggestion names the snapshot and the usage it
// read before the policy.
func TestScpSuggestOutput(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	ws, _ := simulateWorkspace(t, now)
	var out, errOut bytes.Buffer
	o := &ScpSuggestOptions{Deps: testDeps(ws, now, "table", &out, &errOut), Target: "Workloads", Snapshot: snapshot.Latest, Days: 90, Keep: org.SuggestKeep}
	if err := scpSuggestRun(o); err != nil {
		t.Fatal(err)
	}
	golden(t, "suggest.table.golden", strings.ReplaceAll(out.String(), ws, "WS"))
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	cmdtest.Golden(t, name, "", got, *update)
}

// Issue 15: a read command pointed at a missing workspace says there is
// none and what to run, exits 2 and creates nothing.
func TestScpMissingWorkspace(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(policy, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`), 0o600)
	for _, args := range [][]string{
		{"scp", "simulate", "--policy", policy, "--target", "root"},
		{"scp", "suggest", "--target", "root"},
	} {
		ws := filepath.Join(t.TempDir(), "wsx")
		_, errOut, code := cmdtest.RunWS(t, testRoot, time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC), nil, ws, args...)
		if code != cmdutil.ExitUsage || !strings.Contains(errOut, "no workspace at "+ws+"; run `seiri collect` or `seiri demo` first") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
		if _, err := os.Stat(ws); err == nil {
			t.Errorf("%v created the workspace", args)
		}
	}
}
