package keys

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
)

// run parses argv with the command mk builds and returns the options its
// runF received (nil when the command refused argv).
func parse[O any](t *testing.T, output string, mk func(*cmdutil.Factory, func(*O) error) *cobra.Command, argv ...string) (*O, error) {
	t.Helper()
	var got *O
	f := cmdutil.NewFactory(&cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	f.Globals.Output = output
	cmd := mk(f, func(o *O) error { got = o; return nil })
	cmd.SetArgs(argv)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	err := cmd.Execute()
	return got, err
}

// noDeps compares options without their dependencies (functions and
// streams), except Output.
var noDeps = cmpopts.IgnoreFields(Deps{}, "IO", "Ctx", "Workspace", "Config", "Now", "Logger", "AWS", "Apply")

func TestNewCmdKeysPlan(t *testing.T) {
	for _, c := range []struct {
		argv []string
		want PlanOptions
	}{
		{nil, PlanOptions{Deps: Deps{Output: "table"}, Snapshot: "latest", UnusedDays: 90}},
		{[]string{"--days", "30", "--include-never-used", "--snapshot", "s1"}, PlanOptions{Deps: Deps{Output: "table"}, Snapshot: "s1", UnusedDays: 30, IncludeNeverUsed: true}},
		{[]string{"--unused-days", "45"}, PlanOptions{Deps: Deps{Output: "table"}, Snapshot: "latest", UnusedDays: 45}},
	} {
		got, err := parse(t, "table", NewCmdKeysPlan, c.argv...)
		if err != nil {
			t.Fatalf("%v: %v", c.argv, err)
		}
		if d := cmp.Diff(c.want, *got, noDeps); d != "" {
			t.Errorf("%v (-want +got):\n%s", c.argv, d)
		}
		if got.Workspace == nil || got.Config == nil || got.Now == nil || got.AWS == nil || got.Apply == nil || got.IO == nil {
			t.Errorf("%v: a dependency is missing: %+v", c.argv, got.Deps)
		}
	}
	for _, bad := range [][]string{{"--days", "0"}, {"extra"}} {
		if _, err := parse(t, "table", NewCmdKeysPlan, bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if _, err := parse(t, "csv", NewCmdKeysPlan); err == nil {
		t.Error("--output csv accepted")
	}
}

func TestNewCmdKeysDisable(t *testing.T) {
	got, err := parse(t, "json", NewCmdKeysDisable, "--days", "60", "--apply", "--yes")
	if err != nil {
		t.Fatal(err)
	}
	want := DisableOptions{Deps: Deps{Output: "json"}, Snapshot: "latest", UnusedDays: 60, Apply: true, Yes: true}
	if d := cmp.Diff(want, *got, noDeps); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestNewCmdKeysWatch(t *testing.T) {
	got, err := parse(t, "table", NewCmdKeysWatch, "--snapshot", "s2")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(WatchOptions{Deps: Deps{Output: "table"}, Snapshot: "s2"}, *got, noDeps); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestNewCmdKeysRestore(t *testing.T) {
	got, err := parse(t, "table", NewCmdKeysRestore, " AKIAEXAMPLE ", "--apply")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(RestoreOptions{Deps: Deps{Output: "table"}, Snapshot: "latest", KeyID: "AKIAEXAMPLE", Apply: true}, *got, noDeps); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if _, err := parse(t, "table", NewCmdKeysRestore); err == nil {
		t.Error("restore without a key id accepted")
	}
}

func TestNewCmdKeysDelete(t *testing.T) {
	got, err := parse(t, "table", NewCmdKeysDelete, "AKIAEXAMPLE", "--force", "--reason", "vendor gone", "--apply", "--yes")
	if err != nil {
		t.Fatal(err)
	}
	want := DeleteOptions{Deps: Deps{Output: "table"}, Snapshot: "latest", KeyID: "AKIAEXAMPLE", Force: true, Reason: "vendor gone", Apply: true, Yes: true}
	if d := cmp.Diff(want, *got, noDeps); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, bad := range [][]string{{"--force", "--reason", "x"}, {"AKIAEXAMPLE", "--force"}} {
		if _, err := parse(t, "table", NewCmdKeysDelete, bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
