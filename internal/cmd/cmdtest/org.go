package cmdtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/org"
)

// RunOrg runs the tree mk builds in dir with a workspace under it.
func RunOrg(t *testing.T, mk func(*cmdutil.Factory) *cobra.Command, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	f.Now = func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }
	root := mk(f)
	root.SetArgs(append([]string{"--workspace", filepath.Join(dir, ".seiri"), "--config", filepath.Join(dir, "seiri.yaml")}, args...))
	root.SetOut(&out)
	root.SetErr(&errOut)
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	err := root.Execute()
	code = cmdutil.ExitCode(f.IO, err)
	return out.String(), errOut.String(), code
}

// OrgDir is a folder with a seiri.yaml and a workspace holding the demo
// organization's snapshot.
func OrgDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "seiri.yaml"), []byte("org:\n  limits:\n    scps_per_target: 10\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := demo.Generate(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC), 1)
	if err := os.MkdirAll(filepath.Join(dir, ".seiri", "snapshots"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := o.WriteSnapshot(filepath.Join(dir, ".seiri", "snapshots")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// EditSpec rewrites dir/org.yaml with change applied.
func EditSpec(t *testing.T, dir string, change func(sp *org.Spec)) {
	t.Helper()
	path := filepath.Join(dir, "org.yaml")
	d, err := org.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	change(&d.Spec)
	if err := os.WriteFile(path, org.Marshal(&d.Spec, org.Comments{}), 0o600); err != nil {
		t.Fatal(err)
	}
}
