package detect_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	detectcmd "github.com/seiri-dev/seiri/internal/cmd/detect"
	trailcmd "github.com/seiri-dev/seiri/internal/cmd/trail"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/detect"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/workspace"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func parse[O any](t *testing.T, mk func(*cmdutil.Factory, func(*O) error) *cobra.Command, args ...string) *O {
	t.Helper()
	f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard})
	var got *O
	root := cmdtest.Root(f, func(f *cmdutil.Factory) *cobra.Command {
		return mk(f, func(o *O) error { got = o; return nil })
	})
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if got == nil {
		t.Fatalf("%v: runF not called", args)
	}
	return got
}

// TestNewCmdDetect: argv → options, for detect and its subcommands. The
// constructors only parse flags and fill the dependencies.
func TestNewCmdDetect(t *testing.T) {
	deps := cmpopts.IgnoreFields(detectcmd.Options{}, "IO", "Context", "Workspace", "Now", "Inputs", "OpenSource")
	got := parse(t, detectcmd.NewCmdDetect, "detect", "--source", "./logs", "--source", "s3://b/p", "--days", "7", "--until", "2026-11-01",
		"--account", "111111111111,222222222222", "--regions", "eu-west-1", "--rejudge", "--fail-on", "high", "--out", "d.sarif", "-o", "sarif")
	want := detectcmd.Options{Sources: []string{"./logs", "s3://b/p"}, Days: 7, Until: "2026-11-01", Accounts: []string{"111111111111", "222222222222"},
		Regions: []string{"eu-west-1"}, Rejudge: true, FailOn: "high", Out: "d.sarif", Output: "sarif"}
	if diff := cmp.Diff(want, *got, deps); diff != "" {
		t.Errorf("detect (-want +got):\n%s", diff)
	}
	if got.IO == nil || got.Workspace == nil || got.Now == nil || got.Inputs == nil || got.OpenSource == nil {
		t.Errorf("dependencies not filled: %+v", got)
	}

	mkFindings := func(f *cmdutil.Factory, runF func(*detectcmd.FindingsOptions) error) *cobra.Command {
		c := &cobra.Command{Use: "detect"}
		c.AddCommand(detectcmd.NewCmdFindings(f, runF))
		return c
	}
	fo := parse(t, mkFindings, "detect", "findings", "--all", "--fail-on", "low", "--out", "f.json", "-o", "json")
	if diff := cmp.Diff(detectcmd.FindingsOptions{All: true, FailOn: "low", Out: "f.json", Output: "json"}, *fo,
		cmpopts.IgnoreFields(detectcmd.FindingsOptions{}, "IO", "Workspace")); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	mkAck := func(f *cmdutil.Factory, runF func(*detectcmd.AckOptions) error) *cobra.Command {
		c := &cobra.Command{Use: "detect"}
		c.AddCommand(detectcmd.NewCmdAck(f, runF))
		return c
	}
	ao := parse(t, mkAck, "detect", "ack", "D-1", "--reason", "known")
	if ao.ID != "D-1" || ao.Reason != "known" || ao.Workspace == nil || ao.Now == nil {
		t.Errorf("ack: %+v", ao)
	}
}

// TestDetectRun: options → exact output, without a factory: the run sees
// only its options (the workspace, the clock, the detection's inputs, a
// source opener, IO).
func TestDetectRun(t *testing.T) {
	ws := t.TempDir()
	src := logs(t)
	var out, errOut bytes.Buffer
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	var opened []string
	o := &detectcmd.Options{
		IO: &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Context: context.Background(),
		Workspace: func() (*workspace.Workspace, error) { return workspace.Open(ws) },
		Now:       func() time.Time { return now },
		Inputs: func(_ context.Context, w *workspace.Workspace, warn func(string)) (detect.Inputs, func(), error) {
			warn("test inputs: no usage store")
			return detect.Inputs{StateDir: filepath.Join(w.Dir, detect.StateDir), Now: now, Config: trailcmd.DetectConfig(cfg.Detect)}, func() {}, nil
		},
		OpenSource: func(_ context.Context, spec string) (trail.Source, error) {
			opened = append(opened, spec)
			return &trail.DirSource{Dir: spec}, nil
		},
		Output:  "table",
		Sources: []string{src},
		FailOn:  "critical",
	}
	err = detectcmd.Run(o)
	var ee *cmdutil.ExitError
	if !errors.As(err, &ee) || ee.Code != cmdutil.ExitFindings {
		t.Errorf("--fail-on critical over the attack records: %v, want exit 1", err)
	}
	if len(opened) != 1 || opened[0] != src {
		t.Errorf("sources opened: %v", opened)
	}
	cmdtest.Golden(t, "run-table.golden", "", strings.ReplaceAll("[stdout]\n"+out.String()+"[stderr]\n"+errOut.String(), src, "SRC"), *update)

	// The next run judges nothing new (incremental, through the state the
	// options' workspace holds).
	out.Reset()
	errOut.Reset()
	o.FailOn = ""
	if err := detectcmd.Run(o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Detection: 0 records judged from 0 log objects (1 judged by earlier runs, skipped") {
		t.Errorf("second run:\n%s", out.String())
	}
	o.Sources = nil
	if err := detectcmd.Run(o); err == nil || !strings.Contains(err.Error(), "--source is required") {
		t.Errorf("no source: %v", err)
	}
}
