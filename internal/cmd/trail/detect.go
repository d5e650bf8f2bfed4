package trail

import (
	"context"
	"errors"
	"fmt"
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
		FailedLogins:      c.FailedLogins,
		FailedLoginWindow: time.Duration(c.FailedLoginWindowMinutes) * time.Minute,
		SecretDistinct:    c.SecretDistinct,
		SecretWindow:      time.Duration(c.SecretWindowMinutes) * time.Minute,
		NewUserWindow:     time.Duration(c.NewAdminUserWindowHours) * time.Hour,
		AdminGroups:       c.AdminGroups,

		LambdaTrustedAccounts: c.LambdaTrustedLayerAccounts,
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
	return detectInputs(ctx, f.Config, f.Now(), ws, warn)
}

func detectInputs(ctx context.Context, loadConfig func() (*config.Config, error), now time.Time, ws *workspace.Workspace, warn func(string)) (detect.Inputs, func(), error) {
	in := detect.Inputs{StateDir: filepath.Join(ws.Dir, detect.StateDir), Now: now}
	done := func() {}
	cfg, err := loadConfig()
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
	if p := cfg.Detect.AWSIPRanges; p != "" {
		// The user's own copy of AWS's ip-ranges.json: a bad file is an
		// error naming it, never a silent fallback to the sample.
		b, err := os.ReadFile(p)
		if err != nil {
			return in, done, cmdutil.BadInput(fmt.Errorf("detect.aws_ip_ranges: %w", err))
		}
		r, err := roles.ParseIPRanges(b, p)
		if err != nil {
			return in, done, cmdutil.BadInput(fmt.Errorf("detect.aws_ip_ranges: %w", err))
		}
		in.Ranges = awsRanges{r}
	} else {
		r, err := roles.LoadRanges(ws.CacheDir())
		if err != nil {
			warn(err.Error())
		}
		in.Ranges = awsRanges{r}
	}
	for _, db := range []struct {
		key, path string
		asn       bool
		dst       **detect.IPDB
	}{{"detect.ip_country_db", cfg.Detect.IPCountryDB, false, &in.Country}, {"detect.ip_asn_db", cfg.Detect.IPASNDB, true, &in.ASN}} {
		if db.path == "" {
			continue
		}
		b, err := os.ReadFile(db.path)
		if err != nil {
			return in, done, cmdutil.BadInput(fmt.Errorf("%s: %w", db.key, err))
		}
		if *db.dst, err = detect.ParseIPDBBytes(db.path, b, db.asn); err != nil {
			return in, done, cmdutil.BadInput(fmt.Errorf("%s: %w", db.key, err))
		}
	}
	return in, done, nil
}

// detectAfterScan judges the objects the scan just read (res.Objects of
// this source) with the detection rules, against the workspace's
// detection state, and writes the findings as a table on stderr (stdout
// stays the scan's summary). The objects are read a second time: the
// scanner's hot path stays free of the detection.
func detectAfterScan(d *ScanDeps, ws *workspace.Workspace, src trail.Source, flt trail.Filter, res *trail.Result) error {
	ctx := d.Context
	errOut := d.IO.ErrOut
	warn := func(msg string) { fmt.Fprintf(errOut, "warning: %s\n", msg) }
	in, done, err := detectInputs(ctx, d.Config, d.Now(), ws, warn)
	if err != nil {
		return err
	}
	defer done()
	in.Sources = []trail.Source{src}
	in.Filter = flt
	var objs []trail.Object
	for _, o := range res.Objects {
		if o.Counted && o.Source == src.Name() {
			objs = append(objs, trail.Object{Key: o.Key, Size: o.Size, ETag: o.ETag, MTime: o.MTime})
		}
	}
	in.Only = map[string][]trail.Object{src.Name(): objs}
	out, err := detect.Run(ctx, in)
	if err != nil {
		return fmt.Errorf("detect: %w", err)
	}
	r := out.Run
	newN := 0
	for _, l := range out.Findings {
		if l.New && l.Ack == nil {
			newN++
		}
	}
	fmt.Fprintf(errOut, "\nDetection: %d records of %d newly scanned objects judged; %d findings (%d new); %d open in the workspace (seiri detect findings)\n",
		r.Records, r.Objects, len(out.Findings), newN, len(out.Open))
	for _, l := range out.Findings {
		status := "seen before"
		if l.New {
			status = "new"
		}
		if l.Ack != nil {
			status = "acknowledged"
		}
		fmt.Fprintf(errOut, "  %s %-8s %s %s (%s)\n", l.Finding.ID, l.Finding.Severity, l.Finding.RuleID, l.Finding.Resource, status)
	}
	for _, u := range r.Unreadable {
		fmt.Fprintf(errOut, "  unreadable: %s\n", u)
	}
	return nil
}
