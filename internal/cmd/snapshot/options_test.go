package snapshot

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/workspace"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestNewCmdSnapshot: from argv to options, dependencies carried.
func TestNewCmdSnapshot(t *testing.T) {
	io := &cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	f := cmdutil.NewFactory(io)
	f.Globals.Output = "json"
	var list *SnapshotListOptions
	cmd := NewCmdSnapshotList(f, func(o *SnapshotListOptions) error { list = o; return nil })
	cmd.SetArgs([]string{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if list.IO != io || list.Workspace == nil || list.Output != "json" {
		t.Errorf("list options %+v", list)
	}
	var imp *SnapshotImportOptions
	cmd = NewCmdSnapshotImport(f, func(o *SnapshotImportOptions) error { imp = o; return nil })
	cmd.SetArgs([]string{"--authorization-details", "auth.json", "--credential-report", "report.csv", "--account-id", "123456789012", "--account-name", "prod"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := SnapshotImportOptions{AuthorizationDetails: "auth.json", CredentialReport: "report.csv", AccountID: "123456789012", Name: "prod"}
	if diff := cmp.Diff(want, *imp, cmpopts.IgnoreFields(SnapshotImportOptions{}, "IO", "Workspace", "Now")); diff != "" || imp.IO != io || imp.Workspace == nil || imp.Now == nil {
		t.Errorf("import options (-want +got):\n%s", diff)
	}
}

// TestSnapshotListOutput: from options to the exact table: which folder
// was read, which snapshot the other commands will use, and a damaged one
// named on stderr.
func TestSnapshotListOutput(t *testing.T) {
	ws, _ := cmdtest.DemoWorkspace(t, time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	_, errOut, code := cmdtest.RunWS(t, testRoot, importNow, nil, ws, "snapshot", "import", "--authorization-details", write(t, t.TempDir(), "auth.json", example(t)))
	if code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	bad := filepath.Join(ws, "snapshots", "20991231T000000Z")
	if err := os.MkdirAll(bad, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "manifest.json"), []byte(`{"schemaVersion": 1, "complete": tr`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, stderr bytes.Buffer
	o := &SnapshotListOptions{IO: &cmdutil.IOStreams{Out: &out, ErrOut: &stderr}, Output: "table",
		Workspace: func() (*workspace.Workspace, error) { return workspace.OpenExisting(ws) }}
	if err := snapshotListRun(o); err != nil {
		t.Fatal(err)
	}
	got := strings.ReplaceAll(out.String()+"--- stderr\n"+stderr.String(), ws, "WS")
	path := "testdata/list.golden"
	if *update {
		os.WriteFile(path, []byte(got), 0o600)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
