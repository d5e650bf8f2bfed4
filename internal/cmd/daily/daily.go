// Package daily is `seiri daily`: the whole daily job, unattended and
// incremental (internal/routine orders the steps and keeps "yesterday";
// this package wires each step to the library functions the other
// commands call, and sends the notifications).
package daily

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	keyscmd "github.com/seiri-dev/seiri/internal/cmd/keys"
	trailcmd "github.com/seiri-dev/seiri/internal/cmd/trail"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/detect"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/notify"
	"github.com/seiri-dev/seiri/internal/routine"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/workspace"
	"github.com/seiri-dev/seiri/internal/workspace/s3ws"
)

// Options are the inputs of `seiri daily`: its dependencies as fields
// (filled by NewCmdDaily from the factory; tests set them directly) and its
// flags.
type Options struct {
	IO      *cmdutil.IOStreams
	Context context.Context
	Config  func() (*config.Config, error)
	Now     func() time.Time
	Logger  func() *slog.Logger
	// Catalog is the IAM catalog in force (of the workspace opened).
	Catalog func() *catalog.Catalog
	Output  string // --output (global)
	// WorkspaceURL is --workspace (global): a folder, or s3://bucket/prefix.
	WorkspaceURL string
	// OpenWorkspace opens (creating it) the workspace folder dir: the
	// local copy of an S3 workspace, or WorkspaceURL itself.
	OpenWorkspace func(dir string) (*workspace.Workspace, error)
	// AWSConfig is the SDK configuration of the global flags (credentials
	// checked, no AWS call made); EndpointURL is --endpoint-url.
	AWSConfig   func(context.Context) (aws.Config, error)
	EndpointURL string
	// Keys are the keys commands' dependencies (the AWS session, the
	// snapshot and usage store the watch and the retirement steps read).
	Keys keyscmd.Deps
	// OpenSource opens a log source (a directory, s3://bucket/prefix or
	// lookup-events).
	OpenSource func(ctx context.Context, spec string) (trail.Source, error)
	// DetectInputs are the detection's inputs from the workspace; warn
	// says what is missing; done closes what they opened.
	DetectInputs func(ctx context.Context, ws *workspace.Workspace, warn func(string)) (in detect.Inputs, done func(), err error)

	// Import is a snapshot folder made elsewhere, used instead of collect.
	Import string
	// Sources override daily.sources.
	Sources []string
	FailOn  string
	// DryRun plans the retirement steps even when daily.apply is true.
	DryRun   bool
	NoNotify bool
	// LockWait is how long to wait for another runner's S3 workspace lock.
	LockWait time.Duration
}

// NewCmd is `seiri daily`.
func NewCmd(f *cmdutil.Factory) *cobra.Command { return NewCmdDaily(f, nil) }

// NewCmdDaily parses the flags of `seiri daily` into Options and calls runF
// (Run when nil).
func NewCmdDaily(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	o := &Options{IO: f.IO, Context: f.Context, Config: f.Config, Now: f.Now, Logger: f.Logger, Catalog: f.Catalog,
		// The factory's workspace (and the catalog it holds) is the folder
		// opened: the local copy of an S3 workspace.
		OpenWorkspace: func(dir string) (*workspace.Workspace, error) {
			f.Globals.Workspace = dir
			return f.Workspace()
		},
		AWSConfig:  func(ctx context.Context) (aws.Config, error) { return trailcmd.AWSConfig(ctx, f) },
		Keys:       keyscmd.NewDeps(f),
		OpenSource: func(ctx context.Context, spec string) (trail.Source, error) { return trailcmd.OpenSource(ctx, f, spec) },
		DetectInputs: func(ctx context.Context, ws *workspace.Workspace, warn func(string)) (detect.Inputs, func(), error) {
			return trailcmd.DetectInputs(ctx, f, ws, warn)
		},
	}
	cmd := &cobra.Command{
		Use:   "daily",
		Short: "Run the daily routine: collect, scan, audit, detect, watch, retire as configured; one summary",
		Long: `Daily does the whole daily job unattended, incrementally: collect a snapshot (or
--import one), scan the new CloudTrail logs of daily.sources, audit, look for
suspicious use of credentials, watch the keys seiri disabled and the users it
quarantined, and, only when seiri.yaml lists them, the retirement steps whose
time has come (disable-keys, delete-keys: planned, and applied through the
journaled apply flow only with daily.apply: true). It ends with one summary of
what changed since the previous run (new and resolved findings, keys now safe
to delete, keys disabled or deleted today) and what each step used and could
not do, and notifies (notify: in seiri.yaml) on change or on severity.

"Yesterday" lives in the workspace (daily/state.json); --workspace
s3://bucket/prefix keeps the whole workspace in S3 for a stateless runner, with
a lock object two runners respect. See docs/daily.md.

Exit codes: 0 every step ran and no open finding is at or above --fail-on;
1 open findings at or above --fail-on; 2 bad flags or seiri.yaml; 3 a step
failed or did only part of its work (the summary says which), a notification
was not sent, or another runner holds the S3 workspace's lock (named); 4
unexpected failure.`,
		Example: `  seiri daily
  seiri daily --fail-on high -o json
  seiri daily --workspace s3://acme-seiri/prod --lock-wait 10m
  seiri daily --import ./elsewhere/snapshots/20261201T060000Z --source ./logs
  seiri daily --dry-run   # plan the retirement steps even if daily.apply is true`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.FailOn != "" {
				if _, err := finding.ParseSeverity(o.FailOn); err != nil {
					return cmdutil.BadInputf("--fail-on: %v", err)
				}
			}
			if o.LockWait < 0 {
				return cmdutil.BadInputf("--lock-wait %s: must not be negative", o.LockWait)
			}
			o.Context, o.Output = f.Context, f.Globals.Output
			o.WorkspaceURL, o.EndpointURL = f.Globals.Workspace, f.Globals.AWS.EndpointURL
			o.Keys.Bind(f)
			if runF != nil {
				return runF(o)
			}
			return Run(o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Import, "import", "", "use this snapshot folder (made by seiri collect elsewhere) instead of collecting")
	fl.StringArrayVar(&o.Sources, "source", nil, "CloudTrail log source to scan, repeatable: a directory, s3://bucket/prefix, or lookup-events (default: daily.sources)")
	fl.StringVar(&o.FailOn, "fail-on", "", "exit 1 when open findings are at or above this severity (default: daily.fail_on)")
	fl.BoolVar(&o.DryRun, "dry-run", false, "plan the retirement steps without applying them, even with daily.apply: true")
	fl.BoolVar(&o.NoNotify, "no-notify", false, "do not send notifications")
	fl.DurationVar(&o.LockWait, "lock-wait", 0, "with an S3 workspace: how long to wait for another runner's lock (0: exit at once)")
	return cmd
}

// Run runs the daily routine with o's dependencies and prints the summary.
func Run(o *Options) error {
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	cfg, err := o.Config()
	if err != nil {
		return err
	}
	failOn := o.FailOn
	if failOn == "" {
		failOn = cfg.Daily.FailOn
	}
	var sev *finding.Severity
	if failOn != "" {
		s, err := finding.ParseSeverity(failOn)
		if err != nil {
			return cmdutil.BadInputf("--fail-on: %v", err)
		}
		sev = &s
	}
	// An S3 workspace is synced down to a private folder under a lock, and
	// up again at the end (workspace/s3sync.go).
	var remote *s3ws.Workspace
	dir := o.WorkspaceURL
	if strings.HasPrefix(dir, "s3://") {
		remote, err = openS3Workspace(ctx, o)
		if err != nil {
			return err
		}
		defer remote.Close(ctx)
		dir = remote.LocalDir()
	}
	ws, err := o.OpenWorkspace(dir)
	if err != nil {
		return err
	}
	prev, err := routine.LoadState(ws.Dir)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	r := &runner{o: o, cfg: cfg, ws: ws}
	r.keys = o.Keys
	r.keys.Ctx = ctx
	r.keys.Workspace = func() (*workspace.Workspace, error) { return ws, nil }
	defer r.close()
	sum, st := routine.Run(ctx, routine.Options{Steps: r.steps(), Now: o.Now(), FailOn: sev, Previous: prev})
	saveErr := routine.SaveState(ws, st)
	if saveErr == nil && remote != nil {
		r.close() // the usage store is closed and checkpointed before it is uploaded
		rep, err := "", checkpointUsage(ctx, ws.UsageDB())
		if err == nil {
			rep, err = remote.Push(ctx)
		}
		if err != nil {
			saveErr = err
		} else {
			sum.Steps = append(sum.Steps, routine.StepReport{Step: "workspace", Status: routine.OK, Used: []string{rep}})
		}
	}
	if saveErr != nil {
		sum.Steps = append(sum.Steps, routine.StepReport{Step: "workspace", Status: routine.Failed, Unexpected: true,
			CouldNot: []string{"save the state for tomorrow: " + saveErr.Error()}})
		sum.ExitCode = routine.ExitUnexpected
	}
	if !o.NoNotify {
		nr := notify.Send(ctx, notifyTargets(o), cfg.Notify, sum, lookupEnv)
		sum.Steps = append(sum.Steps, nr)
		if nr.Status != routine.OK && nr.Status != routine.Skipped && sum.ExitCode == routine.ExitOK {
			sum.ExitCode = routine.ExitPartial
		}
	}
	if o.Output == "json" {
		if err := cmdutil.WriteJSON(o.IO.Out, sum); err != nil {
			return err
		}
	} else {
		top := cfg.Notify.Top
		if top == 0 {
			top = 10
		}
		routine.Render(o.IO.Out, sum, top)
	}
	if sum.ExitCode != routine.ExitOK {
		return cmdutil.Silent(sum.ExitCode)
	}
	return nil
}

func configured(cfg *config.Config, step string) bool { return cfg.Daily.Runs(step) }

func plural(n int, one string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", one)
	}
	return fmt.Sprintf("%d %ss", n, one)
}
