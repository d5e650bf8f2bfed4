package users

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	keyscmd "github.com/seiri-dev/seiri/internal/cmd/keys"
)

// parse parses argv with the command mk builds and returns the options its
// runF received.
func parse[O any](t *testing.T, mk func(*cmdutil.Factory, func(*O) error) *cobra.Command, argv ...string) (*O, error) {
	t.Helper()
	var got *O
	f := cmdutil.NewFactory(&cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	f.Globals.Output = "table"
	cmd := mk(f, func(o *O) error { got = o; return nil })
	cmd.SetArgs(argv)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	return got, cmd.Execute()
}

var noDeps = cmpopts.IgnoreFields(keyscmd.Deps{}, "IO", "Ctx", "Workspace", "Config", "Now", "Logger", "AWS", "Apply")

var table = keyscmd.Deps{Output: "table"}

func check[O any](t *testing.T, want O, mk func(*cmdutil.Factory, func(*O) error) *cobra.Command, argv ...string) {
	t.Helper()
	got, err := parse(t, mk, argv...)
	if err != nil {
		t.Fatalf("%v: %v", argv, err)
	}
	if d := cmp.Diff(want, *got, noDeps); d != "" {
		t.Errorf("%v (-want +got):\n%s", argv, d)
	}
}

func TestNewCmdUsersPlan(t *testing.T) {
	check(t, PlanOptions{Deps: table, Snapshot: "latest", UnusedDays: 90}, NewCmdUsersPlan)
	check(t, PlanOptions{Deps: table, Snapshot: "s1", UnusedDays: 180}, NewCmdUsersPlan, "--days", "180", "--snapshot", "s1")
	if _, err := parse(t, NewCmdUsersPlan, "--days", "-1"); err == nil {
		t.Error("--days -1 accepted")
	}
	// users has no --include-never-used (issue 11): a user's keys are
	// judged as part of the user.
	if _, err := parse(t, NewCmdUsersPlan, "--include-never-used"); err == nil {
		t.Error("--include-never-used accepted")
	}
}

func TestNewCmdUsersQuarantine(t *testing.T) {
	check(t, QuarantineOptions{Deps: table, Snapshot: "latest", UnusedDays: 120, Apply: true, Yes: true}, NewCmdUsersQuarantine,
		"--days", "120", "--apply", "--yes")
}

func TestNewCmdUsersWatch(t *testing.T) {
	check(t, WatchOptions{Deps: table, Snapshot: "s3"}, NewCmdUsersWatch, "--snapshot", "s3")
}

func TestNewCmdUsersRestore(t *testing.T) {
	// The user's name goes into User (never a KeyID field).
	check(t, RestoreOptions{Deps: table, Snapshot: "latest", User: "build-bot", Apply: true}, NewCmdUsersRestore, "build-bot", "--apply")
	if _, err := parse(t, NewCmdUsersRestore); err == nil {
		t.Error("restore without a user accepted")
	}
}

func TestNewCmdUsersDelete(t *testing.T) {
	check(t, DeleteOptions{Deps: table, Snapshot: "latest"}, NewCmdUsersDelete)
	check(t, DeleteOptions{Deps: table, Snapshot: "latest", User: "arn:aws:iam::111111111111:user/old", Force: true, Reason: "left",
		Apply: true, Yes: true}, NewCmdUsersDelete, "arn:aws:iam::111111111111:user/old", "--force", "--reason", "left", "--apply", "--yes")
	if _, err := parse(t, NewCmdUsersDelete, "--force", "--reason", "left"); err == nil {
		t.Error("--force without a user accepted")
	}
}

func TestNewCmdUsersRestoreFromBackup(t *testing.T) {
	check(t, RestoreFromBackupOptions{Deps: table, BackupFile: "b.json", Apply: true, Yes: true}, NewCmdUsersRestoreFromBackup,
		"b.json", "--apply", "--yes")
}
