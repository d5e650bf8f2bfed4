package cmdtest

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/demo"
)

// RunWS runs the tree mk builds with args on workspace ws at the time now,
// against the fake's credentials when fake is not nil.
func RunWS(t *testing.T, mk func(*cmdutil.Factory) *cobra.Command, now time.Time, fake *awsfake.Server, ws string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	f.Context = context.Background()
	f.Now = func() time.Time { return now }
	if fake != nil {
		f.Globals.AWS.Credentials = fake.Credentials()
		f.Globals.AWS.RetryMode = aws.RetryModeStandard
		f.Globals.AWS.MaxBackoff = time.Millisecond
		args = append(args, "--endpoint-url", fake.URL)
	}
	root := mk(f)
	cmdutil.TypeErrors(root)
	root.SetArgs(append(args, "--workspace", ws))
	root.SetOut(&out)
	root.SetErr(&errOut)
	code := cmdutil.ExitCode(f.IO, root.Execute())
	return out.String(), errOut.String(), code
}

// DemoWorkspace writes the demo organization's snapshot at now into a fresh
// workspace.
func DemoWorkspace(t *testing.T, now time.Time) (string, *demo.Org) {
	t.Helper()
	ws := t.TempDir()
	org := demo.Generate(now, demo.Seed)
	if _, err := org.WriteSnapshot(filepath.Join(ws, "snapshots")); err != nil {
		t.Fatal(err)
	}
	return ws, org
}
