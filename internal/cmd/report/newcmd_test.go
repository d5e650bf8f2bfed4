package report_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
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
	keyscmd "github.com/seiri-dev/seiri/internal/cmd/keys"
	"github.com/seiri-dev/seiri/internal/cmd/report"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// TestNewCmdReport: argv → options. The constructor only parses flags and
// fills the dependencies; the run function gets them as fields.
func TestNewCmdReport(t *testing.T) {
	deps := cmpopts.IgnoreFields(report.Options{}, "IO", "Context", "Workspace", "Config", "Now", "Catalog", "Logger", "Keys")
	for _, tc := range []struct {
		args []string
		want report.Options
	}{
		{nil, report.Options{Snapshot: "latest", Days: 90, Policies: 10, Output: "table"}},
		{[]string{"--out", "r.html", "--snapshot", "s1", "--days", "30", "--org-plan", "p.json", "--policies", "0", "-o", "json"},
			report.Options{Out: "r.html", Snapshot: "s1", Days: 30, OrgPlan: "p.json", Policies: 0, Output: "json"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard})
			var got *report.Options
			root := cmdtest.Root(f, func(f *cmdutil.Factory) *cobra.Command {
				return report.NewCmdReport(f, func(o *report.Options) error { got = o; return nil })
			})
			root.SetArgs(append([]string{"report"}, tc.args...))
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, *got, deps); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got.IO == nil || got.Workspace == nil || got.Config == nil || got.Now == nil || got.Catalog == nil || got.Logger == nil ||
				got.Keys.Workspace == nil || got.Keys.Output != tc.want.Output {
				t.Errorf("dependencies not filled: %+v", got)
			}
		})
	}
}

// TestReportRun: options → exact output, without a factory: the run sees
// only its options (a workspace opener, the config, a clock, a catalog,
// IO). The same lines as the command's (TestReportSnapshotOnly).
func TestReportRun(t *testing.T) {
	ws, _ := cmdtest.DemoWorkspace(t, now)
	var out, errOut bytes.Buffer
	ios := &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	open := func() (*workspace.Workspace, error) { return workspace.OpenExisting(ws) }
	cfg := func() (*config.Config, error) { return config.Load("") }
	clock := func() time.Time { return now }
	logger := func() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
	o := &report.Options{
		IO: ios, Context: context.Background(), Workspace: open, Config: cfg, Now: clock, Catalog: catalog.Embedded, Logger: logger,
		Keys:     keyscmd.Deps{IO: ios, Ctx: context.Background(), Workspace: open, Config: cfg, Now: clock, Logger: logger, Output: "table"},
		Output:   "table",
		Snapshot: "latest", Days: 90, Policies: 10,
	}
	if err := report.Run(o); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	golden(t, "snapshot-only-stdout.txt", sizeless(strings.ReplaceAll(out.String(), ws, "WS")))
	if _, err := os.Stat(filepath.Join(ws, "reports", "report-20261130T120000Z.html")); err != nil {
		t.Error(err)
	}
	o.Output = "json"
	out.Reset()
	if err := report.Run(o); err == nil || !strings.Contains(err.Error(), "--output json: seiri report writes HTML") {
		t.Errorf("-o json: %v", err)
	}
}
