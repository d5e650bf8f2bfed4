package trail

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/detect"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/roles"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/usage"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// OpenSource builds a log source from a --source value: a directory,
// s3://bucket/prefix, or lookup-events (the same as `seiri trail scan`).
func OpenSource(ctx context.Context, f *cmdutil.Factory, spec string) (trail.Source, error) {
	return trailSourceFactory(ctx, f, spec)
}

// DetectConfig maps seiri.yaml's detect: section onto the detector's
// thresholds.
func DetectConfig(c config.Detect) detect.Config {
	out := detect.Config{
		DiscoveryWindow:   time.Duration(c.DiscoveryWindowMinutes) * time.Minute,
		DiscoveryDistinct: c.DiscoveryDistinct,
		DeniedCount:       c.DeniedCount,
		MaxSupport:        c.MaxSupport,
		NetworkPrefix:     c.NetworkPrefix,
		MinHistory:        time.Duration(c.MinHistoryDays) * 24 * time.Hour,
		Silence:           time.Duration(c.SilenceDays) * 24 * time.Hour,
		TravelWindow:      time.Duration(c.TravelMinutes) * time.Minute,
		Disabled:          c.Disabled,
	}
	for id, s := range c.Severity {
		if sev, err := finding.ParseSeverity(s); err == nil {
			if out.Severity == nil {
				out.Severity = map[string]finding.Severity{}
			}
			out.Severity[id] = sev
		}
	}
	return out
}

// awsRanges adapts internal/roles' published AWS ranges to the detector.
type awsRanges struct{ r *roles.Ranges }

func (a awsRanges) InAWS(ip string) bool { _, ok := a.r.Lookup(ip); return ok }
func (a awsRanges) Complete() bool       { return !a.r.Embedded }

// DetectInputs fills what every detection pass of a command reads from the
// workspace: the state folder, the usage store (nil when the workspace has
// none: the baseline then starts from the logs; close it when done), AWS's
// ranges (the cached full list, else the built-in sample) and seiri.yaml's
// thresholds. warn receives what could not be used.
func DetectInputs(ctx context.Context, f *cmdutil.Factory, ws *workspace.Workspace, warn func(string)) (detect.Inputs, func(), error) {
	in := detect.Inputs{StateDir: filepath.Join(ws.Dir, detect.StateDir), Now: f.Now()}
	done := func() {}
	cfg, err := f.Config()
	if err != nil {
		return in, done, err
	}
	in.Config = DetectConfig(cfg.Detect)
	if _, err := os.Lstat(ws.UsageDB()); err == nil {
		st, err := usage.OpenReadOnly(ctx, ws.UsageDB())
		if err != nil {
			return in, done, err
		}
		in.Store = st
		done = func() { st.Close() }
	} else if errors.Is(err, fs.ErrNotExist) {
		warn("no usage store in the workspace: the baseline starts from the logs judged (run `seiri trail scan` over earlier logs to learn from them)")
	}
	r, err := roles.LoadRanges(ws.CacheDir())
	if err != nil {
		warn(err.Error())
	}
	in.Ranges = awsRanges{r}
	return in, done, nil
}
