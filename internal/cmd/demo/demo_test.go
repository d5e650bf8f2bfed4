package demo

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/workspace"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestNewCmdDemo: from argv to options (cli/cli's TestNewCmdX).
func TestNewCmdDemo(t *testing.T) {
	tests := []struct {
		args []string
		want DemoOptions
	}{
		{nil, DemoOptions{Seed: demo.Seed}},
		{[]string{"--out", "reports", "--seed", "7", "--no-trail"}, DemoOptions{Out: "reports", Seed: 7, NoTrail: true}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			io := &cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
			f := cmdutil.NewFactory(io)
			f.Globals.Output = "sarif"
			var got *DemoOptions
			cmd := NewCmdDemo(f, func(o *DemoOptions) error { got = o; return nil })
			cmd.SetArgs(append([]string{}, tt.args...)) // nil would read os.Args
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if got.IO != io || got.Workspace == nil || got.Config == nil || got.Now == nil || got.Catalog == nil || got.Context == nil || got.Output != "sarif" {
				t.Errorf("dependencies not carried: %+v", got)
			}
			deps := cmpopts.IgnoreFields(DemoOptions{}, "IO", "Context", "Workspace", "Config", "Now", "Catalog", "Output")
			if diff := cmp.Diff(tt.want, *got, deps); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDemoRunNoTrail: from options to the exact story (golden; the
// workspace path is written WS).
func TestDemoRunNoTrail(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	var out, errOut bytes.Buffer
	opts := &DemoOptions{
		IO: &cmdutil.IOStreams{Out: &out, ErrOut: &errOut}, Context: context.Background(),
		Workspace: func() (*workspace.Workspace, error) { return workspace.Open(dir) },
		Config:    func() (*config.Config, error) { return config.Load("") },
		Now:       func() time.Time { return now },
		Catalog:   catalog.Embedded,
		Output:    "table", Seed: demo.Seed, NoTrail: true,
	}
	if err := demoRun(opts); err != nil {
		t.Fatal(err)
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr: %s", errOut.String())
	}
	golden(t, "demo-no-trail.golden", strings.ReplaceAll(out.String(), dir, "WS"))
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	cmdtest.Golden(t, name, "", got, *update)
}
