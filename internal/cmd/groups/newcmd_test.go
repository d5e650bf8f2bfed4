package groups

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/workspace"
)

func newTestFactory() *cmdutil.Factory {
	return cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
}

func TestNewCmdGroupsAnalyze(t *testing.T) {
	tests := []struct {
		args []string
		want GroupsAnalyzeOptions
	}{
		{nil, GroupsAnalyzeOptions{Input: Input{Snapshot: "latest", Days: 90}, Threshold: 0.9, NearLimit: 8}},
		{[]string{"--snapshot", "s1", "--account", "111111111111", "--days", "30", "--threshold", "0.5", "--near-limit", "3"},
			GroupsAnalyzeOptions{Input: Input{Snapshot: "s1", Account: "111111111111", Days: 30}, Threshold: 0.5, NearLimit: 3}},
		// The deprecated --since still works (a note on stderr says --days).
		{[]string{"--since", "2026-09-01"}, GroupsAnalyzeOptions{Input: Input{Snapshot: "latest", Days: 90, Since: "2026-09-01"}, Threshold: 0.9, NearLimit: 8}},
		{[]string{"--all"}, GroupsAnalyzeOptions{Input: Input{Snapshot: "latest", All: true, Days: 90}, Threshold: 0.9, NearLimit: 8}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var got *GroupsAnalyzeOptions
			cmd := NewCmdGroupsAnalyze(newTestFactory(), func(o *GroupsAnalyzeOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got, cmpopts.IgnoreFields(GroupsAnalyzeOptions{}, "Env")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewCmdGroupsPlan(t *testing.T) {
	var got *GroupsPlanOptions
	cmd := NewCmdGroupsPlan(newTestFactory(), func(o *GroupsPlanOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--account", "111111111111", "--remove-unused", "--out", "plan.json", "--apply", "--yes"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := GroupsPlanOptions{
		GroupsAnalyzeOptions: GroupsAnalyzeOptions{Input: Input{Snapshot: "latest", Account: "111111111111", Days: 90}, Threshold: 0.9, NearLimit: 8},
		RemoveUnused:         true, Out: "plan.json", Apply: true, Yes: true,
	}
	if diff := cmp.Diff(want, *got, cmpopts.IgnoreFields(GroupsAnalyzeOptions{}, "Env"), cmpopts.IgnoreFields(GroupsPlanOptions{}, "Writer")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestGroupsAnalyzeRun: options → exact output, without a factory: the
// run sees only its options (a workspace opener, a clock, a catalog, IO).
func TestGroupsAnalyzeRun(t *testing.T) {
	ws, _ := groupsDemoWorkspace(t)
	var out, errOut bytes.Buffer
	opts := &GroupsAnalyzeOptions{
		Env: Env{IO: &cmdutil.IOStreams{Out: &out, ErrOut: &errOut}, Context: context.Background(),
			Workspace: func() (*workspace.Workspace, error) { return workspace.OpenExisting(ws) },
			Now:       func() time.Time { return groupsNow }, Catalog: catalog.Embedded, Output: "table"},
		Input:     Input{Snapshot: "latest", Account: "111111111111", Days: 90},
		Threshold: 0.9, NearLimit: 8,
	}
	if err := groupsAnalyzeRun(opts); err != nil {
		t.Fatal(err)
	}
	// The same document as the command's (TestGroupsOutputsGolden).
	golden(t, "groups-analyze.golden", ws, "[stdout]\n"+out.String()+"[stderr]\n"+errOut.String())
	opts.Output = "csv"
	if err := groupsAnalyzeRun(opts); err == nil || !strings.Contains(err.Error(), "--output csv: groups analyze writes table or json") {
		t.Errorf("csv: %v", err)
	}
}
