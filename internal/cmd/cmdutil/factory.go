// Package cmdutil holds what every command shares: the Factory (streams,
// global flags, clock, workspace, config, catalog, AWS session), exit codes
// and errors, the bare root command and output helpers.
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/seiri-dev/seiri/internal/apply"
	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/diag"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// Exit codes every command follows.
const (
	ExitOK       = 0
	ExitFindings = 1 // findings at or above --fail-on
	ExitUsage    = 2 // usage error or bad input
	ExitPartial  = 3 // partial success: some accounts failed
	ExitInternal = 4 // unexpected failure (AWS unreachable, disk full, ...)
)

// ExitError carries an exit code with the error to print.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}
func (e *ExitError) Unwrap() error { return e.Err }

// BadInput marks err as a usage or input error (exit code 2).
func BadInput(err error) error {
	if err == nil {
		return nil
	}
	return &ExitError{Code: ExitUsage, Err: err}
}

// BadInputf formats a usage or input error (exit code 2).
func BadInputf(format string, args ...any) error {
	return BadInput(fmt.Errorf(format, args...))
}

// Silent exits with code without printing anything more.
func Silent(code int) error { return &ExitError{Code: code} }

// IOStreams are the command's standard streams.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// Terminal reports whether stdin/stderr are an interactive terminal: it
	// enables progress bars and confirmation prompts.
	Terminal bool
	// FitWidth wraps prose lines of the table output longer than
	// table.Width: set when standard output is a terminal (tables fit
	// table.Width always; output to a file or a pipe keeps prose lines whole).
	FitWidth bool
}

// SystemIO returns the process's streams.
func SystemIO() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		Terminal: term.IsTerminal(int(os.Stdin.Fd())) && term.IsTerminal(int(os.Stderr.Fd())),
		FitWidth: term.IsTerminal(int(os.Stdout.Fd())),
	}
}

// Globals are the flags every command has.
type Globals struct {
	AWS        awsclient.Options
	Output     string // table|json|csv|sarif|markdown|html
	Workspace  string
	ConfigPath string
	NoProgress bool
	LogLevel   string
}

// Factory gives commands what they share: streams, global flags, the clock,
// and lazily opened workspace and config.
type Factory struct {
	IO      *IOStreams
	Globals *Globals
	// Now is the clock; tests inject a fixed one (SEIRI_NOW also sets it).
	Now func() time.Time
	// Context is the command's context (cancelled on Ctrl-C).
	Context context.Context

	ws  *workspace.Workspace
	rws *workspace.Workspace
	cfg *config.Config
	log *slog.Logger
	cat *catalog.Catalog
}

// NewFactory returns a factory on the given streams.
func NewFactory(io *IOStreams) *Factory {
	return &Factory{IO: io, Globals: &Globals{}, Now: defaultNow, Context: context.Background()}
}

// defaultNow honours SEIRI_NOW (RFC 3339), used by end-to-end tests and for
// reproducible demos; otherwise the wall clock.
func defaultNow() time.Time {
	if v := os.Getenv("SEIRI_NOW"); v != "" {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t.UTC()
		}
	}
	return time.Now().UTC()
}

// Workspace opens (creating 0700) the workspace named by --workspace, for a
// command that writes. A workspace that cannot be used (a file, a symbolic
// link, writable by others) is bad input (exit 2).
func (f *Factory) Workspace() (*workspace.Workspace, error) {
	if f.ws == nil {
		ws, err := workspace.Open(f.Globals.Workspace)
		if err != nil {
			return nil, workspaceErr(err)
		}
		f.noteWorkspace(ws)
		f.ws = ws
	}
	return f.ws, nil
}

// ReadWorkspace opens the workspace named by --workspace for a command that
// only reads: it creates nothing (a missing or mistyped path says there is
// no workspace there and what to run, exit 2) and the usage store is opened
// read-only (OpenUsageStore), so a read-only copy of a workspace works.
func (f *Factory) ReadWorkspace() (*workspace.Workspace, error) {
	if f.ws != nil {
		return f.ws, nil
	}
	if f.rws == nil {
		ws, err := workspace.OpenExisting(f.Globals.Workspace)
		if err != nil {
			return nil, workspaceErr(err)
		}
		f.noteWorkspace(ws)
		f.rws = ws
	}
	return f.rws, nil
}

func workspaceErr(err error) error {
	var we *workspace.Error
	if errors.As(err, &we) {
		return BadInput(err)
	}
	return err
}

// noteWorkspace prints what opening the workspace changed (a mode
// tightened) as warnings.
func (f *Factory) noteWorkspace(ws *workspace.Workspace) {
	for _, n := range ws.Notes {
		fmt.Fprintf(f.IO.ErrOut, "seiri: warning: %s\n", n)
	}
	f.Logger().Debug("workspace opened", "dir", ws.Dir, "readOnly", ws.ReadOnly)
}

// Config loads seiri.yaml (or --config) over the built-in defaults. A bad
// config file is a usage error.
func (f *Factory) Config() (*config.Config, error) {
	if f.cfg == nil {
		c, err := config.Load(f.Globals.ConfigPath)
		if err != nil {
			return nil, BadInput(err)
		}
		f.cfg = c
	}
	return f.cfg, nil
}

// Logger writes structured logs to stderr at --log-level.
func (f *Factory) Logger() *slog.Logger {
	if f.log == nil {
		var lvl slog.Level
		switch strings.ToLower(f.Globals.LogLevel) {
		case "debug":
			lvl = slog.LevelDebug
		case "info":
			lvl = slog.LevelInfo
		case "", "warn", "warning":
			lvl = slog.LevelWarn
		case "error":
			lvl = slog.LevelError
		}
		f.log = slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: lvl}))
	}
	return f.log
}

// Catalog returns the IAM catalog in force: the workspace's refreshed copy
// (seiri catalog update) when there is one, else the embedded one. A damaged
// cache is reported and ignored.
func (f *Factory) Catalog() *catalog.Catalog {
	if f.cat == nil {
		f.cat = LoadCatalog(f.Globals.Workspace, f.IO.ErrOut)
	}
	return f.cat
}

// ActionNames returns the action names of the IAM catalog in force (see
// Catalog), for commands that only ask whether an action exists (a trail
// scan's event mapping): they never decode the rest of the catalog. When
// the whole catalog is loaded already its names are the same. A damaged
// cache is reported on errOut: a scan loads the names on a goroutine of
// its own, beside what else it writes to the factory's ErrOut.
func (f *Factory) ActionNames(errOut io.Writer) trail.ActionChecker {
	if f.cat != nil {
		return f.cat
	}
	return LoadActionNames(f.Globals.Workspace, errOut)
}

// Progress reports whether progress bars should be drawn.
func (f *Factory) Progress() bool { return f.IO.Terminal && !f.Globals.NoProgress }

// Confirm asks a yes/no question on the terminal. Without a terminal it
// returns false: writes need --yes in scripts.
func (f *Factory) Confirm(question string) (bool, error) {
	if !f.IO.Terminal {
		return false, nil
	}
	fmt.Fprintf(f.IO.ErrOut, "%s [y/N]: ", question)
	var ans string
	if _, err := fmt.Fscanln(f.IO.In, &ans); err != nil && !errors.Is(err, io.EOF) && err.Error() != "unexpected newline" {
		return false, err
	}
	ans = strings.ToLower(strings.TrimSpace(ans))
	return ans == "y" || ans == "yes", nil
}

// Diagnostics prints diagnostics on ErrOut (Terraform-style) and returns an
// error carrying the exit code they ask for (nil when no error): commands
// that collect diag.Diagnostics end with it.
func Diagnostics(io *IOStreams, ds diag.Diagnostics) error {
	diag.Text(io.ErrOut, ds)
	if code := diag.ExitCode(ds); code != ExitOK {
		return Silent(code)
	}
	return nil
}

// Apply runs a plan through the one apply flow (internal/apply) with the
// factory's terminal, clock and IO: the same prompt, progress, summary and
// exit codes for every write command. flow carries the plan, the executor,
// the journal, the lock and the command's hooks.
//
// With --output json the run's report (apply.Report: the plan, each
// change's outcome, the journal, the exit code) is the one document on
// standard output; the progress lines, the summary and the diagnostics go
// to standard error.
func (f *Factory) Apply(flow apply.Flow, yes bool) (*apply.Outcome, error) {
	flow.Out, flow.Yes, flow.Confirm, flow.Terminal = f.IO.Out, yes, f.Confirm, f.IO.Terminal
	if f.Globals.Output == "json" {
		flow.Out, flow.JSON = f.IO.ErrOut, true
	}
	o := apply.Run(f.Context, flow)
	if flow.JSON {
		if err := WriteJSON(f.IO.Out, o.Report); err != nil {
			return o, err
		}
	}
	return o, Diagnostics(f.IO, o.Diags)
}
