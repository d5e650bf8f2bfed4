package trail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/trail/source"
	"github.com/seiri-dev/seiri/internal/usage"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// ScanDeps are what the commands that read logs into the usage store (and
// the Athena setup) need, as fields: the constructor takes them from the
// factory (Context, Output and Progress once flags are parsed); tests set
// their own.
type ScanDeps struct {
	IO        *cmdutil.IOStreams
	Context   context.Context
	Workspace func() (*workspace.Workspace, error) // opened for writing: a scan creates the store
	Config    func() (*config.Config, error)       // seiri.yaml (--detect's thresholds)
	Now       func() time.Time
	// Actions are the action names of the IAM catalog in force: the event
	// mapping checks that an action exists, and needs nothing else of the
	// catalog (Factory.ActionNames). A damaged cached catalog is said on
	// errOut.
	Actions func(errOut io.Writer) trail.ActionChecker
	// AWS opens the AWS session of the global flags, asking STS who the
	// caller is: missing, expired or rejected credentials are an
	// *awsclient.CredentialsError (one line saying what to set, exit 2),
	// before any log is listed.
	AWS      func(context.Context) (*awsclient.Session, error)
	Output   string // --output
	Progress bool   // draw progress on a terminal
	// AthenaPoll replaces the wait between two polls of an Athena query
	// (tests); nil waits.
	AthenaPoll func(ctx context.Context, d time.Duration) error
}

func newScanDeps(f *cmdutil.Factory) ScanDeps {
	return ScanDeps{IO: f.IO, Workspace: f.Workspace, Config: f.Config, Now: f.Now, Actions: f.ActionNames, AWS: awsOpener(f)}
}

// bind takes what is known only once the command runs.
func (d *ScanDeps) bind(f *cmdutil.Factory) {
	d.Context, d.Output, d.Progress = f.Context, f.Globals.Output, f.Progress()
	if d.Context == nil {
		d.Context = context.Background()
	}
}

// awsOpener opens AWS with the global flags (read when called: after
// parsing). It is awsclient.New, the one way every command reaches AWS.
func awsOpener(f *cmdutil.Factory) func(context.Context) (*awsclient.Session, error) {
	return func(ctx context.Context) (*awsclient.Session, error) { return awsclient.New(ctx, f.Globals.AWS) }
}

// openSource returns the log source spec names: a directory,
// s3://bucket/prefix or lookup-events. A spec that names nothing usable is
// bad input; the AWS sources open the session first (credentials checked
// once, before any call is retried).
func openSource(ctx context.Context, openAWS func(context.Context) (*awsclient.Session, error), now func() time.Time, spec string) (trail.Source, error) {
	switch {
	case strings.HasPrefix(spec, "s3://"):
		bucket, prefix, err := source.ParseS3URL(spec)
		if err != nil {
			return nil, cmdutil.BadInputf("--source %v", err)
		}
		sess, err := openAWS(ctx)
		if err != nil {
			return nil, err
		}
		return &source.S3Source{Client: sess.Base().S3(), Bucket: bucket, Prefix: prefix}, nil
	case spec == "lookup-events":
		sess, err := openAWS(ctx)
		if err != nil {
			return nil, err
		}
		return &source.LookupEventsSource{Client: sess.Base().CloudTrail, Account: sess.Caller().Account, Region: sess.Config().Region, Now: now}, nil
	}
	fi, err := os.Stat(spec)
	if err != nil {
		return nil, cmdutil.BadInputf("--source %q: not a directory, s3://bucket/prefix or lookup-events (%v)", spec, err)
	}
	if !fi.IsDir() {
		return nil, cmdutil.BadInputf("--source %q is a file: give the directory holding the logs", spec)
	}
	return &trail.DirSource{Dir: spec}, nil
}

// OpenSource returns the log source a --source value names (a directory,
// s3://bucket/prefix or lookup-events), as `seiri trail scan` opens it.
// seiri daily and seiri detect scan their sources through it.
func OpenSource(ctx context.Context, f *cmdutil.Factory, spec string) (trail.Source, error) {
	return openSource(ctx, awsOpener(f), f.Now, spec)
}

// AWSConfig is the SDK configuration of the global flags, with the
// credentials checked once (missing ones fail here in one line, exit 2)
// but no AWS call made (seiri daily's S3 workspace uses it).
func AWSConfig(ctx context.Context, f *cmdutil.Factory) (aws.Config, error) {
	if err := awsclient.CheckCredentials(ctx, f.Globals.AWS); err != nil {
		return aws.Config{}, err
	}
	cfg, err := awsclient.LoadConfig(ctx, f.Globals.AWS)
	if err != nil {
		return aws.Config{}, fmt.Errorf("AWS configuration: %w", err)
	}
	return cfg, nil
}

// ScanStore scans src (only objects the workspace's usage store has not
// seen) with the event mapping of actions (the IAM catalog in force, or
// only its action names), and commits the rows, the scanned
// objects and the run to the store in one transaction. Waits for another
// writer and files kept out are said on errOut.
func ScanStore(ctx context.Context, ws *workspace.Workspace, actions trail.ActionChecker, now time.Time, errOut io.Writer, src trail.Source, opts trail.Options) (*trail.Result, error) {
	// A workspace's first scan: no store, so no folder it could leave
	// unlisted. The source is listed while the store is created and
	// locked (a scan of the 300 MB corpus spends 20–30 ms there).
	if _, err := os.Stat(ws.UsageDB()); errors.Is(err, fs.ErrNotExist) && opts.Listing == nil {
		opts.Listing = trail.StartListing(ctx, src, &opts.Filter)
		defer opts.Listing.Stop()
	}
	store, err := usage.Open(ctx, ws.UsageDB())
	if err != nil {
		return nil, err
	}
	defer store.Close()
	store.Waiting = func(msg string) { fmt.Fprintln(errOut, msg) }
	opts.Mapper = &trail.Mapper{Catalog: actions}
	if opts.Warn == nil {
		opts.Warn = func(msg string) { fmt.Fprintf(errOut, "warning: %s\n", msg) }
	}
	return trail.ScanInto(ctx, store, src, opts, now)
}

// namesAhead are the catalog's action names loading on a goroutine of
// their own (tens of milliseconds: the catalog is inflated and walked)
// while the scan opens the store and lists the source; the event mapping
// waits for them when it meets its first event. What the loading says (a
// damaged cached catalog) is kept, and written by the caller with said.
type namesAhead struct {
	ready chan struct{}
	names trail.ActionChecker
	warn  bytes.Buffer
	once  sync.Once
}

func loadNamesAhead(load func(errOut io.Writer) trail.ActionChecker) *namesAhead {
	a := &namesAhead{ready: make(chan struct{})}
	go func() {
		defer close(a.ready)
		a.names = load(&a.warn)
	}()
	return a
}

// ActionExists is the names' ActionExists, once they are loaded.
func (a *namesAhead) ActionExists(name string) bool {
	<-a.ready
	return a.names.ActionExists(name)
}

// said writes to w what the loading said, once it is done; only the first
// call writes.
func (a *namesAhead) said(w io.Writer) {
	<-a.ready
	a.once.Do(func() { w.Write(a.warn.Bytes()) })
}
