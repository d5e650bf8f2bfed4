package daily_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/cmd/daily"
	keyscmd "github.com/seiri-dev/seiri/internal/cmd/keys"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// TestNewCmdDaily: argv → options. The constructor only parses flags and
// fills the dependencies (the global flags once parsed).
func TestNewCmdDaily(t *testing.T) {
	f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard})
	var got *daily.Options
	root := cmdtest.Root(f, func(f *cmdutil.Factory) *cobra.Command {
		return daily.NewCmdDaily(f, func(o *daily.Options) error { got = o; return nil })
	})
	root.SetArgs([]string{"daily", "--import", "./snap", "--source", "./logs", "--source", "s3://b/p", "--fail-on", "high", "--dry-run",
		"--no-notify", "--lock-wait", "10m", "--workspace", "s3://state/prod", "--endpoint-url", "http://127.0.0.1:1", "-o", "json"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	want := daily.Options{Import: "./snap", Sources: []string{"./logs", "s3://b/p"}, FailOn: "high", DryRun: true, NoNotify: true,
		LockWait: 10 * time.Minute, WorkspaceURL: "s3://state/prod", EndpointURL: "http://127.0.0.1:1", Output: "json"}
	deps := cmpopts.IgnoreFields(daily.Options{}, "IO", "Context", "Config", "Now", "Logger", "Catalog", "OpenWorkspace", "AWSConfig",
		"Keys", "OpenSource", "DetectInputs")
	if diff := cmp.Diff(want, *got, deps); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got.IO == nil || got.Config == nil || got.Now == nil || got.OpenWorkspace == nil || got.AWSConfig == nil ||
		got.OpenSource == nil || got.DetectInputs == nil || got.Keys.AWS == nil || got.Keys.Output != "json" {
		t.Errorf("dependencies not filled: %+v", got)
	}
	// Bad flags are refused before the run.
	root.SetArgs([]string{"daily", "--fail-on", "severe"})
	if err := root.Execute(); err == nil || !strings.Contains(err.Error(), "--fail-on") {
		t.Errorf("--fail-on severe: %v", err)
	}
}

// TestDailyRun: options → exact output, without a factory: the run sees
// only its options. With daily.steps [audit] the routine audits the
// workspace's snapshot and says what it skipped.
func TestDailyRun(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	ws, _ := cmdtest.DemoWorkspace(t, now)
	var out, errOut bytes.Buffer
	ios := &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Daily.Steps = []string{config.StepAudit}
	load := func() (*config.Config, error) { return cfg, nil }
	clock := func() time.Time { return now }
	logger := func() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
	var opened []string
	o := &daily.Options{
		IO: ios, Context: context.Background(), Config: load, Now: clock, Logger: logger, Catalog: catalog.Embedded, Output: "table",
		WorkspaceURL: ws,
		OpenWorkspace: func(dir string) (*workspace.Workspace, error) {
			opened = append(opened, dir)
			return workspace.Open(dir)
		},
		Keys:     keyscmd.Deps{IO: ios, Config: load, Now: clock, Logger: logger},
		NoNotify: true,
	}
	if err := daily.Run(o); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if len(opened) != 1 || opened[0] != ws {
		t.Errorf("workspaces opened: %v, want [%s]", opened, ws)
	}
	golden(t, "run-audit-only.txt", []byte(strings.ReplaceAll("[stdout]\n"+out.String()+"[stderr]\n"+errOut.String(), ws, "WS")))
}
