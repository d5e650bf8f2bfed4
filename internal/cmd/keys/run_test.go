package keys

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/apply"
	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// testDeps are dependencies over the workspace ws at now, with no AWS
// credentials and an apply flow that must not run: the run functions see
// nothing else.
func testDeps(t *testing.T, ws string, now time.Time, output string) (Deps, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return Deps{
		IO:  &cmdutil.IOStreams{Out: &out, ErrOut: &errOut},
		Ctx: context.Background(),
		Workspace: func() (*workspace.Workspace, error) {
			return workspace.OpenExisting(ws)
		},
		Config: func() (*config.Config, error) { return config.Load("") },
		Now:    func() time.Time { return now },
		Logger: func() *slog.Logger {
			return slog.New(slog.NewTextHandler(&errOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
		},
		AWS: func(context.Context) (*awsclient.Session, error) {
			return nil, &awsclient.CredentialsError{Kind: "missing", Err: errors.New("test: no credentials")}
		},
		Apply: func(apply.Flow, bool) (*apply.Outcome, error) {
			t.Fatal("the apply flow ran")
			return nil, nil
		},
		Output: output,
	}, &out, &errOut
}

// TestKeysDisableRunFromOptions: from options alone (no factory, no AWS),
// keys disable computes its plan from the demo snapshot, names the
// snapshot and the window first, ends with the next command, and says on
// stderr that applying needs credentials.
func TestKeysDisableRunFromOptions(t *testing.T) {
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	ws, _ := cmdtest.DemoWorkspace(t, now)
	d, out, errOut := testDeps(t, ws, now, "table")
	if err := keysDisableRun(&DisableOptions{Deps: d, Snapshot: "latest", UnusedDays: 90, IncludeNeverUsed: true}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	want := []string{
		"snapshot 20261129T000000Z: collected 2026-11-29T00:00:00Z (demo), 6 accounts",
		"usage window: the last 90 days, 2026-08-31 to 2026-11-29 (last used, credential report, CloudTrail, Access Advisor)",
		"",
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d: %q, want %q", i+1, lines[i], w)
		}
	}
	if !strings.HasPrefix(lines[3], "Plan keys.disable-") || !strings.Contains(lines[3], " to change, ") {
		t.Errorf("line 4 is not the summary: %q", lines[3])
	}
	if !strings.HasSuffix(out.String(), "\nNext: seiri keys disable --apply\n") {
		t.Errorf("does not end with the next command:\n%s", out)
	}
	if want := "seiri: note: plan computed from snapshot 20261129T000000Z without AWS credentials; applying it needs them: no AWS credentials found: pass --profile NAME"; !strings.HasPrefix(errOut.String(), want) {
		t.Errorf("stderr:\n%s\nwant a line starting %q", errOut, want)
	}
	// With --apply, no credentials is the error (one line; exit 2 by
	// cmdutil.ExitCode), and the apply flow never runs.
	d, out, _ = testDeps(t, ws, now, "table")
	err := keysDisableRun(&DisableOptions{Deps: d, Snapshot: "latest", UnusedDays: 90, Apply: true, Yes: true})
	var ce *awsclient.CredentialsError
	if !errors.As(err, &ce) || out.Len() != 0 {
		t.Errorf("--apply without credentials: %v, stdout %q", err, out)
	}
}
