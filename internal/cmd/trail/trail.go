package trail

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/table"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/usage"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// NewCmd is the `seiri trail` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command { return newCmd(f, nil, nil) }

// newCmd is the group with the run functions of scan and athena setup
// (nil: the real ones); tests give theirs.
func newCmd(f *cmdutil.Factory, scanF func(*TrailScanOptions) error, setupF func(*TrailAthenaSetupOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trail",
		Short: "CloudTrail usage: scan logs, then ask who used which action on which resource",
		Long: `trail reads CloudTrail logs (a local copy of the trail bucket, the bucket itself,
or LookupEvents) and keeps, per account, principal, access key, action,
resource and error code, when and how often it was used, in the workspace's
usage store (usage.db). A second scan reads only new log objects.`,
	}
	cmd.AddCommand(
		NewCmdTrailScan(f, scanF),
		NewCmdTrailUsage(f, nil, false),
		NewCmdTrailUsage(f, nil, true),
		NewCmdTrailStats(f, nil),
		NewCmdTrailUnmapped(f, nil),
		newTrailAthenaCmd(f, setupF),
	)
	return cmd
}

// TrailScanOptions are the flags of `seiri trail scan`.
type TrailScanOptions struct {
	ScanDeps
	Source   string
	Days     int
	Since    string
	Until    string
	Accounts []string
	Regions  []string
	Strict   bool
	Relist   bool
	Parallel int
	Engine   string      // local (default) or athena
	Athena   AthenaFlags // --engine athena
	Detect   bool        // --detect: judge the newly scanned records (seiri detect)
}

// NewCmdTrailScan builds `seiri trail scan`.
func NewCmdTrailScan(f *cmdutil.Factory, runF func(*TrailScanOptions) error) *cobra.Command {
	opts := &TrailScanOptions{ScanDeps: newScanDeps(f)}
	var sources []string // --source: one kind of value everywhere (repeatable in seiri detect and daily)
	cmd := &cobra.Command{
		Use:   "scan --source SOURCE",
		Short: "Read CloudTrail logs into the usage store",
		Example: `  seiri trail scan --source ./trail-bucket-copy
  seiri trail scan --source s3://org-trail/AWSLogs/o-abc123 --since 2026-09-01 --account 111111111111
  seiri trail scan --source ./logs --since 90d --strict`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch len(sources) {
			case 0:
			case 1:
				opts.Source = sources[0]
			default:
				return cmdutil.BadInputf("--source given %d times: trail scan reads one source per run (seiri daily scans several)", len(sources))
			}
			switch opts.Engine {
			case "local":
				if opts.Source == "" {
					return cmdutil.BadInputf("--source is required")
				}
			case "athena":
				if opts.Source != "" {
					return cmdutil.BadInputf("--source is for the local engine; --engine athena reads the table made by `seiri trail athena setup`")
				}
			default:
				return cmdutil.BadInputf("--engine %q: want local or athena", opts.Engine)
			}
			opts.bind(f)
			if runF != nil {
				return runF(opts)
			}
			return trailScanRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&sources, "source", nil, "log source: a directory, s3://bucket/prefix, or lookup-events")
	cmdutil.DaysFlag(fl, &opts.Days, 0, "only events of the window (same as --since Nd)")
	fl.StringVar(&opts.Since, "since", "", "only events at or after this time (2026-09-01, RFC 3339, or 90d / 12h ago)")
	fl.StringVar(&opts.Until, "until", "", "only events before this time (same forms as --since)")
	fl.StringSliceVar(&opts.Accounts, "account", nil, "only these account ids (repeat the flag or separate with commas)")
	cmdutil.AliasFlag(fl, "accounts", "account")
	fl.StringSliceVar(&opts.Regions, "regions", nil, "only these regions (comma-separated)")
	fl.BoolVar(&opts.Strict, "strict", false, "stop at the first skipped file or record instead of counting it")
	fl.BoolVar(&opts.Relist, "relist", false, "list every folder of a local source, even those unchanged since a scan read every file in them")
	fl.IntVar(&opts.Parallel, "parallel", 0, "files read at once (default: number of CPUs)")
	fl.StringVar(&opts.Engine, "engine", "local", "local (read the logs here) or athena (aggregate in Amazon Athena)")
	opts.Athena.add(fl)
	fl.BoolVar(&opts.Detect, "detect", false, "then judge the newly scanned records for suspicious use (as seiri detect; findings on stderr and in seiri audit)")
	return cmd
}

func (o *TrailScanOptions) filter() (trail.Filter, error) {
	var flt trail.Filter
	now := o.Now()
	since, err := windowStart(o.Days, o.Since)
	if err != nil {
		return flt, err
	}
	if flt.Since, err = cmdutil.ParseWhen(since, now); err != nil {
		return flt, fmt.Errorf("--since %w", err)
	}
	if flt.Until, err = cmdutil.ParseWhen(o.Until, now); err != nil {
		return flt, fmt.Errorf("--until %w", err)
	}
	if !flt.Since.IsZero() && !flt.Until.IsZero() && !flt.Until.After(flt.Since) {
		return flt, fmt.Errorf("--until %s is not after --since %s", o.Until, o.Since)
	}
	for _, a := range o.Accounts {
		a = strings.TrimSpace(a)
		if len(a) != 12 || strings.Trim(a, "0123456789") != "" {
			return flt, fmt.Errorf("--account %q: an account id is 12 digits", a)
		}
		flt.Accounts = append(flt.Accounts, a)
	}
	for _, r := range o.Regions {
		if r = strings.TrimSpace(r); r != "" {
			flt.Regions = append(flt.Regions, r)
		}
	}
	return flt, nil
}

func trailScanRun(o *TrailScanOptions) error {
	if o.Engine == "athena" {
		return trailAthenaScanRun(o)
	}
	ctx := o.Context
	flt, err := o.filter()
	if err != nil {
		return cmdutil.BadInput(err)
	}
	names := loadNamesAhead(o.Actions)
	defer names.said(o.IO.ErrOut) // when the scan does not start
	if o.Parallel < 0 {
		return cmdutil.BadInputf("--parallel %d: must be at least 1 (or 0 for one per CPU)", o.Parallel)
	}
	// The source first: missing AWS credentials fail before the
	// workspace is created.
	src, err := openSource(ctx, o.AWS, o.Now, o.Source)
	if err != nil {
		return err
	}
	ws, err := o.Workspace()
	if err != nil {
		return err
	}
	var bar *progressLine
	var progress func(trail.Progress)
	if o.Progress {
		bar = &progressLine{w: o.IO.ErrOut}
		progress = bar.update
	}
	res, err := ScanStore(ctx, ws, names, o.Now(), o.IO.ErrOut, src, trail.Options{Filter: flt, Parallel: o.Parallel, Strict: o.Strict, Relist: o.Relist, Progress: progress})
	if bar != nil {
		bar.done()
	}
	names.said(o.IO.ErrOut)
	if err != nil {
		if _, ok := err.(*trail.StrictError); ok {
			return cmdutil.BadInput(err)
		}
		if _, ok := err.(*trail.RefusedError); ok {
			return cmdutil.BadInput(fmt.Errorf("scan %s: %w", o.Source, err))
		}
		return fmt.Errorf("scan %s: %w", o.Source, err)
	}
	if err := writeScanSummary(o.IO.Out, o.Output, &res.Summary, flt); err != nil {
		return err
	}
	if o.Detect {
		if err := detectAfterScan(&o.ScanDeps, ws, src, flt, res); err != nil {
			return err
		}
	}
	if msg, fail := nothingRead(&res.Summary, o.Since); fail {
		return cmdutil.BadInputf("%s", msg)
	} else if msg != "" {
		fmt.Fprintf(o.IO.ErrOut, "seiri: %s\n", msg)
	}
	// Listing or read failures (S3 AccessDenied, network) leave objects
	// unread: they are retried by the next scan, and this one is partial.
	if len(res.Summary.ListErrors) > 0 || res.Summary.SkippedFiles[trail.SkipFileRead] != nil || res.Summary.SkippedFiles[trail.SkipFileGzip] != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitPartial}
	}
	return nil
}

// scanJSON is the scan's summary as -o json writes it: the window it read
// and, over no API call, no coverage figure (null).
type scanJSON struct {
	*trail.Summary
	Since    *time.Time `json:"since,omitempty"`
	Until    *time.Time `json:"until,omitempty"`
	Accounts []string   `json:"accounts,omitempty"`
	Regions  []string   `json:"regions,omitempty"`
	Coverage *float64   `json:"coverage"`
}

func writeScanSummary(out io.Writer, output string, s *trail.Summary, flt trail.Filter) error {
	switch output {
	case "json":
		doc := scanJSON{Summary: s, Accounts: flt.Accounts, Regions: flt.Regions}
		if c, ok := s.MappingCoverage(); ok {
			doc.Coverage = &c
		}
		if !flt.Since.IsZero() {
			doc.Since = &flt.Since
		}
		if !flt.Until.IsZero() {
			doc.Until = &flt.Until
		}
		return cmdutil.WriteJSON(out, doc)
	case "csv":
		w := csv.NewWriter(out)
		w.Write([]string{"metric", "value"})
		for _, kv := range summaryPairs(s, flt) {
			w.Write(kv[:])
		}
		w.Flush()
		return w.Error()
	}
	tw := table.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, kv := range summaryPairs(s, flt) {
		fmt.Fprintf(tw, "%s\t%s\n", kv[0], kv[1])
	}
	tw.Flush()
	writeSkips(out, "skipped files", s.SkippedFiles)
	writeSkips(out, "skipped records", s.SkippedRecords)
	for _, e := range s.ListErrors {
		fmt.Fprintf(out, "list error: %s\n", e)
	}
	if s.Unmapped > 0 {
		fmt.Fprintf(out, "%d events had no known IAM action: see `seiri trail unmapped`\n", s.Unmapped)
	}
	return nil
}

// windowText says which events a scan or a query kept.
func windowText(since, until time.Time) string {
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	switch {
	case since.IsZero() && until.IsZero():
		return "every event (no --since or --until)"
	case until.IsZero():
		return "from " + ts(since)
	case since.IsZero():
		return "before " + ts(until)
	}
	return ts(since) + " to " + ts(until)
}

// scopeText says which accounts and regions a scan kept.
func scopeText(flt trail.Filter) string {
	acc, reg := "every account", "every region"
	if len(flt.Accounts) > 0 {
		acc = "accounts " + strings.Join(flt.Accounts, ", ")
	}
	if len(flt.Regions) > 0 {
		reg = "regions " + strings.Join(flt.Regions, ", ")
	}
	return acc + "; " + reg
}

func summaryPairs(s *trail.Summary, flt trail.Filter) [][2]string {
	d := func(n int64) string { return strconv.FormatInt(n, 10) }
	return [][2]string{
		{"sources", strings.Join(s.Sources, ", ")},
		{"window", windowText(flt.Since, flt.Until)},
		{"scope", scopeText(flt)},
		{"folders outside filter", d(s.PrunedByFilter)},
		{"files listed", d(s.FilesListed)},
		// Not listed: unchanged since a scan read every file in them
		// (docs/trail.md, "Folders listed whole"; --relist lists them).
		{"folders unchanged", unchangedText(s)},
		{"files already scanned", d(s.FilesAlreadyScanned)},
		{"files read", d(s.FilesRead)},
		// Read, and found counted before (a copy, another path, a touched
		// file): nothing added (docs/trail.md, exactly once).
		{"files already counted", d(s.FilesAlreadyCounted)},
		{"files left to Athena", d(s.FilesHeldByAthena)},
		{"files skipped", d(s.FilesSkipped)},
		{"digest files (not read)", d(s.DigestFiles)},
		{"other files ignored", d(s.IgnoredFiles)},
		{"bytes read", humanize.IBytes(uint64(s.BytesRead))},
		{"bytes decompressed", humanize.IBytes(uint64(s.BytesDecompressed))},
		{"records", d(s.Records)},
		{"records skipped", d(s.RecordsSkipped)},
		{"records outside filter", d(s.RecordsOutside)},
		// A filter selects whole files (docs/trail.md, exactly once).
		{"files outside filter", d(s.FilesOutside)},
		{"records at filter edges", d(s.RecordsAtEdges) + " (counted with their file)"},
		{"mapped to IAM actions", d(s.Mapped)},
		{"not authorization events", d(s.NotAuthz)},
		{"unmapped", d(s.Unmapped)},
		{"mapping coverage", s.CoverageText()},
		{"usage rows", strconv.Itoa(s.Rows)},
		{"duration", s.Duration.Round(time.Millisecond).String()},
	}
}

// unchangedText is the folders a scan left out as unchanged and, when it
// could not trust some folders' times, why.
func unchangedText(s *trail.Summary) string {
	t := fmt.Sprintf("%d (%d files)", s.FoldersUnchanged, s.FilesInUnchangedFolders)
	if s.FolderTimesIgnored != "" {
		t += "; " + s.FolderTimesIgnored
	}
	return t
}

// nothingRead says, when a scan read no record, why and what to do; ""
// when records were read. A source whose every file was scanned before is
// not an error (scans are incremental).
func nothingRead(s *trail.Summary, since string) (msg string, fail bool) {
	if s.Mapped+s.NotAuthz+s.Unmapped > 0 {
		return "", false
	}
	if s.Records > s.RecordsOutside {
		return "", false // records read, none an API call: the coverage line says so
	}
	if s.Records > 0 {
		return fmt.Sprintf("nothing was recorded: all %d records read are outside the filter (--since/--until)", s.Records), true
	}
	if s.FoldersUnchanged > 0 && s.FilesListed == 0 {
		return fmt.Sprintf("nothing new: the %d folders (%d log files) are unchanged since they were scanned", s.FoldersUnchanged, s.FilesInUnchangedFolders), false
	}
	if s.FoldersUnchanged > 0 && s.FilesAlreadyScanned == s.FilesListed {
		return fmt.Sprintf("nothing new: %d folders (%d files) unchanged since they were scanned, and the %d files listed were scanned before",
			s.FoldersUnchanged, s.FilesInUnchangedFolders, s.FilesListed), false
	}
	if s.FilesAlreadyScanned > 0 && s.FilesAlreadyScanned == s.FilesListed {
		return fmt.Sprintf("nothing new: all %d files were scanned before", s.FilesAlreadyScanned), false
	}
	if s.FilesListed == 0 && s.PrunedByFilter > 0 {
		return fmt.Sprintf("nothing was read: every log folder of the source (%d) is outside the window or scope (--since/--until, --account, --regions)", s.PrunedByFilter), true
	}
	if s.FilesListed == 0 {
		return "nothing was read: the source holds no CloudTrail log files (check --source: the folder or prefix that holds AWSLogs/…)", true
	}
	if s.FilesRead > 0 && s.FilesAlreadyCounted == s.FilesRead {
		return fmt.Sprintf("nothing new: the %d files read were counted before (a copy, the same logs under another path, or touched files)", s.FilesRead), false
	}
	if s.FilesRead > 0 && s.FilesAlreadyCounted > 0 {
		return fmt.Sprintf("nothing was recorded: of the %d files read, %d were counted before and %d hold no records",
			s.FilesRead, s.FilesAlreadyCounted, s.FilesRead-s.FilesAlreadyCounted), true
	}
	if s.FilesRead > 0 {
		return fmt.Sprintf("nothing was recorded: the %d files read hold no records", s.FilesRead), true
	}
	if since != "" {
		return fmt.Sprintf("nothing was read: %d files listed, none at or after --since %s", s.FilesListed, since), true
	}
	return fmt.Sprintf("nothing was read: %d files listed, none of them CloudTrail logs", s.FilesListed), true
}

func writeSkips(w io.Writer, title string, m map[string]*trail.Skips) {
	if len(m) == 0 {
		return
	}
	reasons := make([]string, 0, len(m))
	for r := range m {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	fmt.Fprintf(w, "%s:\n", title)
	for _, r := range reasons {
		fmt.Fprintf(w, "  %s: %d (e.g. %s)\n", r, m[r].Count, strings.Join(m[r].Examples, ", "))
	}
}

// progressLine draws one self-overwriting status line on a terminal.
type progressLine struct {
	w     io.Writer
	drawn bool
}

func (p *progressLine) update(pr trail.Progress) {
	eta := ""
	if d := pr.ETA(); d > 0 {
		eta = "  ETA " + d.Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r\033[Kfiles %d/%d  %s/%s  %s events/s%s", pr.FilesDone, pr.FilesTotal,
		humanize.IBytes(uint64(pr.BytesDone)), humanize.IBytes(uint64(pr.BytesTotal)),
		humanize.SIWithDigits(pr.EventsPerSecond(), 1, ""), eta)
	p.drawn = true
}

func (p *progressLine) done() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// TrailUsageOptions are the flags of `seiri trail usage` and `seiri trail errors`.
type TrailUsageOptions struct {
	StoreDeps
	Principal   string
	AccessKeyID string
	Account     string
	Action      string
	Days        int
	Since       string
	Until       string
	ErrorsOnly  bool
	Limit       int
	Long        bool
}

// NewCmdTrailUsage builds `seiri trail usage` (errors=false) or `seiri trail errors`.
func NewCmdTrailUsage(f *cmdutil.Factory, runF func(*TrailUsageOptions) error, errorsOnly bool) *cobra.Command {
	opts := &TrailUsageOptions{StoreDeps: newStoreDeps(f), ErrorsOnly: errorsOnly}
	use, short := "usage", "Show what principals and access keys really used"
	if errorsOnly {
		use, short = "errors", "Show calls that failed (AccessDenied and other error codes)"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.bind(f)
			if runF != nil {
				return runF(opts)
			}
			return trailUsageRun(opts)
		},
	}
	cmd.Example = `  seiri trail usage --principal arn:aws:iam::111111111111:role/ci-deploy --days 30
  seiri trail usage --access-key AKIAIOSFODNN7EXAMPLE
  seiri trail usage --account 111111111111 --action 's3:*' --long`
	if errorsOnly {
		cmd.Example = `  seiri trail errors --days 7
  seiri trail errors --principal arn:aws:iam::111111111111:user/alice --since 2026-11-01 --until 2026-11-15`
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Principal, "principal", "", "only this principal (user or role ARN, or service name)")
	fl.StringVar(&opts.AccessKeyID, "access-key", "", "only this access key id (AKIA… or ASIA…)")
	fl.StringVar(&opts.Account, "account", "", "only calls received by this account")
	fl.StringVar(&opts.Action, "action", "", "only this action (s3:GetObject, or s3:*)")
	cmdutil.DaysFlag(fl, &opts.Days, 0, "only rows seen in the window (same as --since Nd)")
	fl.StringVar(&opts.Since, "since", "", "only rows last seen at or after this time (2026-09-01, RFC 3339, or 90d)")
	fl.StringVar(&opts.Until, "until", "", "only rows first seen before this time")
	fl.IntVar(&opts.Limit, "limit", 0, "at most this many rows")
	cmdutil.LongFlag(fl, &opts.Long)
	return cmd
}

// StoreDeps are what the commands that query the usage store need, as
// fields: the constructor takes them from the factory (Context and Output
// when the command runs, once flags are parsed); tests set their own.
type StoreDeps struct {
	IO        *cmdutil.IOStreams
	Context   context.Context
	Workspace func() (*workspace.Workspace, error) // opened read-only
	Now       func() time.Time
	Output    string // --output
}

func newStoreDeps(f *cmdutil.Factory) StoreDeps {
	return StoreDeps{IO: f.IO, Workspace: f.ReadWorkspace, Now: f.Now}
}

// bind takes what is known only once the command runs.
func (d *StoreDeps) bind(f *cmdutil.Factory) {
	d.Context, d.Output = f.Context, f.Globals.Output
}

// openStore opens the usage store for a command that only reads it: it
// creates neither the workspace nor the store.
func (d *StoreDeps) openStore() (*usage.Store, error) {
	ws, err := d.Workspace()
	if err != nil {
		return nil, err
	}
	return cmdutil.OpenUsageStore(d.Context, ws)
}

func trailUsageRun(o *TrailUsageOptions) error {
	q := usage.Query{Principal: o.Principal, AccessKeyID: o.AccessKeyID, Account: o.Account, Action: o.Action,
		ErrorsOnly: o.ErrorsOnly, Limit: o.Limit}
	since, err := windowStart(o.Days, o.Since)
	if err != nil {
		return err
	}
	if q.Since, err = cmdutil.ParseWhen(since, o.Now()); err != nil {
		return cmdutil.BadInputf("--since %v", err)
	}
	if q.Until, err = cmdutil.ParseWhen(o.Until, o.Now()); err != nil {
		return cmdutil.BadInputf("--until %v", err)
	}
	if o.Limit < 0 {
		return cmdutil.BadInputf("--limit %d: must not be negative", o.Limit)
	}
	store, err := o.openStore()
	if err != nil {
		return err
	}
	defer store.Close()
	rows, err := store.Usage(o.Context, q)
	if err != nil {
		return err
	}
	// The store, its sources and the window asked come first (table), or
	// on stderr beside a machine document.
	used, err := storeLine(o.Context, store)
	if err != nil {
		return err
	}
	used += "; window: " + windowText(q.Since, q.Until)
	if o.Output == "table" {
		fmt.Fprintln(o.IO.Out, used)
	} else if o.Output != "json" { // the JSON document names them itself
		fmt.Fprintln(o.IO.ErrOut, used)
	}
	read, err := readFrom(o.Context, store)
	if err != nil {
		return err
	}
	read.Since, read.Until = timePtr(q.Since), timePtr(q.Until)
	if err := writeUsageRows(&o.StoreDeps, read, rows, o.Long); err != nil {
		return err
	}
	if o.Output != "table" {
		return nil
	}
	if o.AccessKeyID != "" {
		if err := writeKeyLineage(&o.StoreDeps, store, o.AccessKeyID); err != nil {
			return err
		}
	}
	if len(rows) > 0 {
		fmt.Fprintf(o.IO.Out, "\n%s\n", usageNext(rows))
	}
	return nil
}

// storeRead is what a JSON document of the store's rows says it read: the
// store, the sources its scans read and the window asked for.
type storeRead struct {
	Store   string     `json:"store"`
	Sources []string   `json:"sources"`
	Since   *time.Time `json:"since"` // null: from the first recorded event
	Until   *time.Time `json:"until"` // null: up to now
}

func readFrom(ctx context.Context, store *usage.Store) (storeRead, error) {
	srcs, err := store.Sources(ctx)
	if err != nil {
		return storeRead{}, err
	}
	if srcs == nil {
		srcs = []string{}
	}
	return storeRead{Store: store.Path(), Sources: srcs}, nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// storeLine names the usage store a report read and the sources its
// scans read.
func storeLine(ctx context.Context, store *usage.Store) (string, error) {
	srcs, err := store.Sources(ctx)
	if err != nil {
		return "", err
	}
	from := "no scan recorded"
	if len(srcs) > 0 {
		from = "scans of " + strings.Join(srcs, ", ")
	}
	return fmt.Sprintf("usage store %s (%s)", store.Path(), from), nil
}

// writeKeyLineage says where a session key came from, or which session keys
// a key requested (from the STS calls in the logs).
func writeKeyLineage(o *StoreDeps, store *usage.Store, key string) error {
	from, err := store.SessionKeys(o.Context, "", key)
	if err != nil {
		return err
	}
	issued, err := store.SessionKeys(o.Context, key, "")
	if err != nil {
		return err
	}
	out := o.IO.Out
	if usage.IsSessionKey(key) {
		uses, err := store.SessionUses(o.Context, key)
		if err != nil {
			return err
		}
		for _, u := range uses {
			fmt.Fprintf(out, "%s was used by %s on %s: the rows above are that principal's on that day (which of its calls used this session is not recorded)\n", key, u.Principal, u.Day)
		}
	}
	for _, k := range from {
		fmt.Fprintf(out, "%s was issued by %s to %s (%s, %s)\n", key, k.Action, k.IssuerPrincipal, dash(k.IssuerKey), k.IssuedAt.UTC().Format(time.RFC3339))
	}
	if len(issued) > 0 {
		fmt.Fprintf(out, "%s requested %d session key(s):\n", key, len(issued))
		tw := table.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  SESSION KEY\tACTION\tROLE\tISSUED")
		for _, k := range issued {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", k.SessionKey, k.Action, dash(k.Role), k.IssuedAt.UTC().Format(time.RFC3339))
		}
		return tw.Flush()
	}
	return nil
}

var usageColumns = []string{"account", "principal", "type", "access_key", "action", "resource", "error", "count", "first_seen", "last_seen", "ip_classes", "source_ips", "user_agents", "vpc_endpoints", "sessions"}

func writeUsageRows(o *StoreDeps, read storeRead, rows []usage.Row, long bool) error {
	out := o.IO.Out
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	switch o.Output {
	case "json":
		// Derived facts are spelled out for readers of the JSON.
		type rowJSON struct {
			usage.Row
			PermissionSet string `json:"permissionSet,omitempty"`
			CrossAccount  bool   `json:"crossAccount,omitempty"`
		}
		list := make([]rowJSON, 0, len(rows))
		for _, r := range rows {
			list = append(list, rowJSON{Row: r, PermissionSet: r.PermissionSet(), CrossAccount: r.CrossAccount()})
		}
		return cmdutil.WriteJSON(out, struct {
			storeRead
			Rows []rowJSON `json:"rows"`
		}{read, list})
	case "csv":
		w := csv.NewWriter(out)
		w.Write(usageColumns)
		for _, r := range rows {
			w.Write([]string{r.Account, r.Principal, r.PrincipalType, r.AccessKeyID, r.Action, r.Resource, r.ErrorCode,
				strconv.FormatInt(r.Count, 10), ts(r.FirstSeen), ts(r.LastSeen), strings.Join(r.IPClasses, " "),
				strings.Join(r.SourceIPs, " "), strings.Join(r.UserAgents, " | "), strings.Join(r.VPCEndpoints, " "), strings.Join(r.Sessions, " ")})
		}
		w.Flush()
		return w.Error()
	}
	if len(rows) == 0 {
		fmt.Fprintln(out, "no usage rows match")
		return nil
	}
	fmt.Fprintln(out, usageSummary(rows))
	fmt.Fprintln(out)
	tw := table.NewWriter(out, 0, 0, 2, ' ', 0)
	shown := rows
	if long {
		fmt.Fprintln(tw, "ACCOUNT\tPRINCIPAL\tTYPE\tACCESS KEY\tACTION\tRESOURCE\tERROR\tCOUNT\tFIRST SEEN\tLAST SEEN")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Account, r.Principal, r.PrincipalType, dash(r.AccessKeyID),
				r.Action, dash(r.Resource), dash(r.ErrorCode), r.Count, ts(r.FirstSeen), ts(r.LastSeen))
		}
	} else {
		if len(shown) > shortRows {
			shown = shown[:shortRows]
		}
		day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
		fmt.Fprintln(tw, "PRINCIPAL\tACTION\tRESOURCE\tERROR\tCOUNT\tLAST SEEN")
		for _, r := range shown {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", r.Principal, r.Action, dash(r.Resource), dash(r.ErrorCode), r.Count, day(r.LastSeen))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(shown) < len(rows) {
		fmt.Fprintf(out, "… %d more rows: --long lists them all with every column; -o csv and -o json hold every field\n", len(rows)-len(shown))
	}
	return nil
}

// usageNext is the command to run after reading usage rows: the
// least-privilege policy of the first principal listed.
func usageNext(rows []usage.Row) string {
	best := ""
	for _, r := range rows {
		if strings.Contains(r.Principal, ":iam::") && (best == "" || len(r.Principal) < len(best)) {
			best = r.Principal
		}
	}
	if best == "" || len(best) > 80 {
		return "Next: seiri unused"
	}
	return "Next: seiri policy generate " + best
}

// shortRows is how many rows the short form of a listing shows.
const shortRows = 40

// usageSummary is the line that opens the table of usage rows.
func usageSummary(rows []usage.Row) string {
	principals, actions, accounts := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var calls, failed int64
	var first, last time.Time
	for _, r := range rows {
		principals[r.Principal], actions[r.Action], accounts[r.Account] = true, true, true
		calls += r.Count
		if r.ErrorCode != "" {
			failed += r.Count
		}
		if first.IsZero() || r.FirstSeen.Before(first) {
			first = r.FirstSeen
		}
		if r.LastSeen.After(last) {
			last = r.LastSeen
		}
	}
	return fmt.Sprintf("%d usage rows: %d calls (%d failed) by %d principals in %d accounts, %d actions, seen %s to %s",
		len(rows), calls, failed, len(principals), len(accounts), len(actions),
		first.UTC().Format("2006-01-02"), last.UTC().Format("2006-01-02"))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// TrailStatsOptions are the flags of `seiri trail stats`.
type TrailStatsOptions struct{ StoreDeps }

// NewCmdTrailStats builds `seiri trail stats`.
func NewCmdTrailStats(f *cmdutil.Factory, runF func(*TrailStatsOptions) error) *cobra.Command {
	opts := &TrailStatsOptions{StoreDeps: newStoreDeps(f)}
	return &cobra.Command{
		Use:   "stats",
		Short: "Summarize the usage store and the last scans",
		Example: `  seiri trail stats
  seiri trail stats -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.bind(f)
			if runF != nil {
				return runF(opts)
			}
			return trailStatsRun(opts)
		},
	}
}

func trailStatsRun(o *TrailStatsOptions) error {
	store, err := o.openStore()
	if err != nil {
		return err
	}
	defer store.Close()
	tot, err := store.Totals(o.Context)
	if err != nil {
		return err
	}
	runs, err := store.Runs(o.Context, 5)
	if err != nil {
		return err
	}
	srcs, err := store.Sources(o.Context)
	if err != nil {
		return err
	}
	if srcs == nil {
		srcs = []string{}
	}
	out := o.IO.Out
	switch o.Output {
	case "json":
		if runs == nil {
			runs = []usage.Run{}
		}
		return cmdutil.WriteJSON(out, struct {
			Store   string       `json:"store"`
			Sources []string     `json:"sources"` // every source a scan read
			Totals  usage.Totals `json:"totals"`
			Runs    []usage.Run  `json:"lastRuns"`
		}{store.Path(), srcs, tot, runs})
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	pairs := [][2]string{
		{"usage store", store.Path()},
		{"sources", dash(strings.Join(srcs, ", "))},
		{"usage rows", strconv.FormatInt(tot.Rows, 10)},
		{"events", strconv.FormatInt(tot.Events, 10)},
		{"rows with errors", strconv.FormatInt(tot.ErrorRows, 10)},
		{"principals", strconv.FormatInt(tot.Principals, 10)},
		{"access keys", strconv.FormatInt(tot.AccessKeys, 10)},
		{"accounts", strconv.FormatInt(tot.Accounts, 10)},
		{"actions", strconv.FormatInt(tot.Actions, 10)},
		{"first seen", ts(tot.FirstSeen)},
		{"last seen", ts(tot.LastSeen)},
		{"scanned objects", strconv.FormatInt(tot.ScannedObjects, 10)},
		{"unmapped pairs", strconv.FormatInt(tot.UnmappedPairs, 10)},
		{"unmapped events", strconv.FormatInt(tot.UnmappedEvents, 10)},
		{"scans", strconv.FormatInt(tot.Runs, 10)},
	}
	if o.Output == "csv" {
		w := csv.NewWriter(out)
		w.Write([]string{"metric", "value"})
		for _, kv := range pairs {
			w.Write(kv[:])
		}
		w.Flush()
		return w.Error()
	}
	tw := table.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, kv := range pairs {
		fmt.Fprintf(tw, "%s\t%s\n", kv[0], kv[1])
	}
	tw.Flush()
	if len(runs) > 0 {
		fmt.Fprintln(out, "\nlast scans:")
		tw = table.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tENGINE\tSTARTED\tSOURCES")
		for _, r := range runs {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", r.ID, r.Engine, ts(r.StartedAt), strings.Join(r.Sources, ", "))
		}
		tw.Flush()
	}
	return nil
}

// TrailUnmappedOptions are the flags of `seiri trail unmapped`.
type TrailUnmappedOptions struct{ StoreDeps }

// NewCmdTrailUnmapped builds `seiri trail unmapped`.
func NewCmdTrailUnmapped(f *cmdutil.Factory, runF func(*TrailUnmappedOptions) error) *cobra.Command {
	opts := &TrailUnmappedOptions{StoreDeps: newStoreDeps(f)}
	return &cobra.Command{
		Use:     "unmapped",
		Short:   "List (eventSource, eventName) pairs seiri could not map to IAM actions",
		Example: `  seiri trail unmapped`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.bind(f)
			if runF != nil {
				return runF(opts)
			}
			return trailUnmappedRun(opts)
		},
	}
}

func trailUnmappedRun(o *TrailUnmappedOptions) error {
	store, err := o.openStore()
	if err != nil {
		return err
	}
	defer store.Close()
	pairs, err := store.Unmapped(o.Context)
	if err != nil {
		return err
	}
	out := o.IO.Out
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	switch o.Output {
	case "json":
		if pairs == nil {
			pairs = []usage.UnmappedPair{}
		}
		read, err := readFrom(o.Context, store)
		if err != nil {
			return err
		}
		return cmdutil.WriteJSON(out, struct {
			Store   string               `json:"store"`
			Sources []string             `json:"sources"`
			Pairs   []usage.UnmappedPair `json:"unmapped"`
		}{read.Store, read.Sources, pairs})
	case "csv":
		w := csv.NewWriter(out)
		w.Write([]string{"event_source", "event_name", "count", "first_seen", "last_seen"})
		for _, p := range pairs {
			w.Write([]string{p.EventSource, p.EventName, strconv.FormatInt(p.Count, 10), ts(p.FirstSeen), ts(p.LastSeen)})
		}
		w.Flush()
		return w.Error()
	}
	used, err := storeLine(o.Context, store)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, used)
	if len(pairs) == 0 {
		fmt.Fprintln(out, "every scanned event mapped to an IAM action")
		return nil
	}
	tw := table.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EVENT SOURCE\tEVENT NAME\tCOUNT\tFIRST SEEN\tLAST SEEN")
	for _, p := range pairs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", p.EventSource, p.EventName, p.Count, ts(p.FirstSeen), ts(p.LastSeen))
	}
	return tw.Flush()
}

// windowStart is the --since of a trail command given --days (0: unset):
// --days N is --since Nd; naming both is refused.
func windowStart(days int, since string) (string, error) {
	switch {
	case days < 0:
		return "", cmdutil.BadInputf("--days %d: must be at least 1", days)
	case days > 0 && since != "":
		return "", cmdutil.BadInputf("--days and --since exclude each other: --days N is --since Nd")
	case days > 0:
		return strconv.Itoa(days) + "d", nil
	}
	return since, nil
}
