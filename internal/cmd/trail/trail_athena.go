package trail

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/trail/athena"
	"github.com/seiri-dev/seiri/internal/usage"
)

// AthenaFlags name where the CloudTrail table lives and where queries run.
type AthenaFlags struct {
	Database  string
	Table     string
	Workgroup string
	Output    string
}

func (a *AthenaFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&a.Database, "database", "seiri", "Athena (Glue) database of the CloudTrail table")
	fl.StringVar(&a.Table, "table", "cloudtrail", "Athena table of the CloudTrail logs")
	fl.StringVar(&a.Workgroup, "workgroup", "", "Athena workgroup (default: primary)")
	fl.StringVar(&a.Output, "output-location", "", "s3://… location for query results (default: the workgroup's)")
}

func (a *AthenaFlags) check() error {
	if a.Output != "" && !strings.HasPrefix(a.Output, "s3://") {
		return cmdutil.BadInputf("--output-location %q: want s3://bucket/prefix/", a.Output)
	}
	return nil
}

// runner opens AWS (credentials checked once: a missing or expired one is
// one line, exit 2) and returns the Athena query runner of the flags.
func (a *AthenaFlags) runner(ctx context.Context, d *ScanDeps) (*athena.Runner, error) {
	if err := a.check(); err != nil {
		return nil, err
	}
	sess, err := d.AWS(ctx)
	if err != nil {
		return nil, err
	}
	return &athena.Runner{API: sess.Base().Athena(), Database: a.Database, Workgroup: a.Workgroup, Output: a.Output, Sleep: d.AthenaPoll}, nil
}

func newTrailAthenaCmd(f *cmdutil.Factory, setupF func(*TrailAthenaSetupOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "athena",
		Short: "Run the usage scan in Amazon Athena (for organizations whose logs outgrow one machine)",
		Long: `athena setup creates the CloudTrail table (partition projection over the trail
bucket: account, region, day); then "seiri trail scan --engine athena" runs the
aggregation there and loads the result into the same usage store.`,
	}
	cmd.AddCommand(NewCmdTrailAthenaSetup(f, setupF))
	return cmd
}

// TrailAthenaSetupOptions are the flags of `seiri trail athena setup`.
type TrailAthenaSetupOptions struct {
	ScanDeps
	Athena   AthenaFlags
	Bucket   string
	Prefix   string
	OrgID    string
	Accounts []string
	Regions  []string
	From     string
	Print    bool
}

// NewCmdTrailAthenaSetup builds `seiri trail athena setup`.
func NewCmdTrailAthenaSetup(f *cmdutil.Factory, runF func(*TrailAthenaSetupOptions) error) *cobra.Command {
	o := &TrailAthenaSetupOptions{ScanDeps: newScanDeps(f)}
	cmd := &cobra.Command{
		Use:   "setup --bucket BUCKET [--prefix P] [--org-id o-…]",
		Short: "Create the Athena database and CloudTrail table (partition projection)",
		Example: `  seiri trail athena setup --bucket org-trail --org-id o-abc123defg --account 111111111111,222222222222
  seiri trail athena setup --bucket my-trail --print`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Bucket == "" {
				return cmdutil.BadInputf("--bucket is required")
			}
			o.bind(f)
			if runF != nil {
				return runF(o)
			}
			return trailAthenaSetupRun(o)
		},
	}
	fl := cmd.Flags()
	o.Athena.add(fl)
	fl.StringVar(&o.Bucket, "bucket", "", "the trail's S3 bucket")
	fl.StringVar(&o.Prefix, "prefix", "", "the trail's S3 key prefix, if any")
	fl.StringVar(&o.OrgID, "org-id", "", "organization id (o-…) for an organization trail's layout")
	fl.StringSliceVar(&o.Accounts, "account", nil, "account ids to project (default: injected; scans must then name --account)")
	cmdutil.AliasFlag(fl, "accounts", "account")
	fl.StringSliceVar(&o.Regions, "regions", nil, "regions to project (default: the common commercial regions)")
	fl.StringVar(&o.From, "from", "2020-01-01", "first day of the projected date range")
	fl.BoolVar(&o.Print, "print", false, "only print the DDL")
	return cmd
}

func (o *TrailAthenaSetupOptions) table() (*athena.Table, error) {
	from, err := time.Parse("2006-01-02", o.From)
	if err != nil {
		return nil, cmdutil.BadInputf("--from %q: want 2006-01-02", o.From)
	}
	t := &athena.Table{Database: o.Athena.Database, Name: o.Athena.Table, Bucket: o.Bucket,
		Prefix: o.Prefix, OrgID: o.OrgID, From: from}
	for _, a := range o.Accounts {
		if a = strings.TrimSpace(a); a != "" {
			t.Accounts = append(t.Accounts, a)
		}
	}
	for _, r := range o.Regions {
		if r = strings.TrimSpace(r); r != "" {
			t.Regions = append(t.Regions, r)
		}
	}
	if err := t.Validate(); err != nil {
		return nil, cmdutil.BadInput(err)
	}
	return t, nil
}

func trailAthenaSetupRun(o *TrailAthenaSetupOptions) error {
	t, err := o.table()
	if err != nil {
		return err
	}
	stmts := []string{t.CreateDatabase(), t.CreateTable()}
	out := o.IO.Out
	if o.Print {
		for _, s := range stmts {
			fmt.Fprintf(out, "%s;\n\n", s)
		}
		return nil
	}
	ctx := o.Context
	run, err := o.Athena.runner(ctx, &o.ScanDeps)
	if err != nil {
		return err
	}
	run.Database = "" // the database may not exist yet: statements name it
	for _, s := range stmts {
		fmt.Fprintf(out, "%s;\n\n", s)
		ex, err := run.Run(ctx, s)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "-- done (query %s)\n\n", ex.ID)
	}
	fmt.Fprintf(out, "table %s ready over %s\n", t.QualifiedName(), t.Location())
	return nil
}

// AthenaScanSummary is what `trail scan --engine athena` reports.
type AthenaScanSummary struct {
	Table       string   `json:"table"`
	Days        []string `json:"days"`
	DaysSkipped int      `json:"daysAlreadyScanned"`
	// DaysExcludedUnits are account/region/day units of the queried days
	// the local engine already holds: the query leaves them out.
	DaysExcludedUnits int              `json:"localUnitsLeftOut"`
	Queries           []string         `json:"queryIds"`
	BytesScanned      int64            `json:"bytesScanned"`
	EstimatedCost     float64          `json:"estimatedCostUsd"` // $5/TB, 10 MB minimum per query (Athena pricing)
	Groups            int64            `json:"resultGroups"`
	Records           int64            `json:"records"`
	RecordsSkipped    int64            `json:"recordsSkipped"`
	SkippedRecords    map[string]int64 `json:"skippedRecords,omitempty"` // reason → records
	Mapped            int64            `json:"mapped"`
	NotAuthz          int64            `json:"notAuthorization"`
	Unmapped          int64            `json:"unmapped"`
	// Coverage is mapped / (mapped + unmapped); null over no API call.
	Coverage *float64  `json:"coverage"`
	Rows     int       `json:"rows"`
	Since    time.Time `json:"since"`
	Until    time.Time `json:"until,omitzero"`
}

func trailAthenaScanRun(o *TrailScanOptions) error {
	ctx := o.Context
	flt, err := o.filter()
	if err != nil {
		return cmdutil.BadInput(err)
	}
	a := &o.Athena
	if err := athena.ValidateNames(a.Database, a.Table, flt.Regions); err != nil {
		return cmdutil.BadInput(err)
	}
	if flt.Since.IsZero() {
		return cmdutil.BadInputf("an Athena scan needs --since (Athena bills by the bytes a query scans)")
	}
	// AWS first: missing or expired credentials fail before the workspace
	// is created, and before any day is planned.
	run, err := a.runner(ctx, &o.ScanDeps)
	if err != nil {
		return err
	}
	ws, err := o.Workspace()
	if err != nil {
		return err
	}
	store, err := usage.Open(ctx, ws.UsageDB())
	if err != nil {
		return err
	}
	defer store.Close()
	store.Waiting = func(msg string) { fmt.Fprintln(o.IO.ErrOut, msg) }
	now := o.Now()
	sum := &AthenaScanSummary{Table: a.Database + "." + a.Table}
	opts := athena.Options{Table: sum.Table, Filter: flt, Mapper: &trail.Mapper{Catalog: o.Actions(o.IO.ErrOut)}}
	if o.Progress {
		opts.Progress = func(w athena.Window, ex *athena.Execution, rows int64) {
			fmt.Fprintf(o.IO.ErrOut, "query %s: %s … %s: %s scanned, %d result rows\n", ex.ID,
				w.Since.Format("2006-01-02"), w.Until.Format("2006-01-02"), humanize.IBytes(uint64(ex.BytesScanned)), rows)
		}
	}
	// The engine queries only when a day is left to query, and refuses
	// under --strict before anything is committed.
	engine := func(ctx context.Context, opts athena.Options) (*athena.Result, error) {
		res, err := athena.Scan(ctx, run, opts)
		if err != nil {
			return nil, fmt.Errorf("athena scan of %s: %w", sum.Table, err)
		}
		fillAthenaSummary(sum, res)
		if o.Strict && sum.RecordsSkipped > 0 {
			// Nothing is saved: --strict wants the scan clean or not at all.
			return nil, cmdutil.BadInputf("%d records skipped (%s) (--strict); nothing saved", sum.RecordsSkipped, skipReasons(sum.SkippedRecords))
		}
		return res, nil
	}
	into, err := athena.ScanInto(ctx, store, engine, opts, now, func(r *athena.IntoResult) any {
		sum.Days, sum.DaysSkipped, sum.DaysExcludedUnits = r.Plan.Days, len(r.Plan.Skipped), len(r.Plan.Excluded)
		return sum
	})
	if err != nil {
		if errors.Is(err, athena.ErrPartialDay) || errors.Is(err, usage.ErrEngineOverlap) {
			return cmdutil.BadInput(err)
		}
		return err
	}
	if into.Result == nil {
		msg := fmt.Sprintf("nothing to scan: no day of the window is complete yet (Athena scans whole UTC days, %s after they end)", athena.DeliveryDelay)
		if len(into.Plan.Skipped) > 0 {
			msg = fmt.Sprintf("nothing to scan: every complete day in the window was scanned with Athena before (%d days)", len(into.Plan.Skipped))
		}
		if o.Output == "table" {
			fmt.Fprintln(o.IO.Out, msg)
			return nil
		}
		// A machine document all the same (no day queried), the reason on
		// stderr.
		fmt.Fprintf(o.IO.ErrOut, "seiri: %s\n", msg)
		sum.Days, sum.DaysSkipped, sum.DaysExcludedUnits = []string{}, len(into.Plan.Skipped), len(into.Plan.Excluded)
		sum.Since, sum.Until = flt.Since, flt.Until
		return writeAthenaSummary(o.IO.Out, o.Output, sum)
	}
	sum.Days, sum.DaysSkipped, sum.DaysExcludedUnits = into.Plan.Days, len(into.Plan.Skipped), len(into.Plan.Excluded)
	if into.Plan.Incomplete {
		fmt.Fprintf(o.IO.ErrOut, "note: the window reaches into days not complete yet; they are left for a later scan (Athena scans whole UTC days, %s after they end)\n", athena.DeliveryDelay)
	}
	sum.Since, sum.Until = flt.Since, flt.Until
	return writeAthenaSummary(o.IO.Out, o.Output, sum)
}

// fillAthenaSummary copies an Athena scan's counts into the report.
func fillAthenaSummary(sum *AthenaScanSummary, res *athena.Result) {
	for _, e := range res.Executions {
		sum.Queries = append(sum.Queries, e.ID)
	}
	sum.BytesScanned = res.BytesScanned()
	sum.EstimatedCost = res.EstimatedCost()
	sum.Groups = res.Groups
	c := res.Counts
	sum.Records, sum.Mapped, sum.NotAuthz, sum.Unmapped = c.Records, c.Mapped, c.NotAuthz, c.Unmapped
	for why, n := range c.Skipped {
		sum.RecordsSkipped += n
		if sum.SkippedRecords == nil {
			sum.SkippedRecords = map[string]int64{}
		}
		sum.SkippedRecords[why] = n
	}
	if cov, ok := trail.MappingCoverage(c.Mapped, c.Unmapped); ok {
		sum.Coverage = &cov
	}
	sum.Rows = len(res.Rows)
}

func writeAthenaSummary(out io.Writer, output string, s *AthenaScanSummary) error {
	if output == "json" {
		return cmdutil.WriteJSON(out, s)
	}
	pairs := [][2]string{
		{"table", s.Table},
		{"window", windowText(s.Since, s.Until)},
		{"days scanned", fmt.Sprintf("%d (%d already scanned before; %d account/region days left to the local engine)", len(s.Days), s.DaysSkipped, s.DaysExcludedUnits)},
		{"queries", strings.Join(s.Queries, ", ")},
		{"bytes scanned", humanize.IBytes(uint64(s.BytesScanned))},
		{"estimated cost", fmt.Sprintf("$%.4f (Athena: $5 per TB scanned, 10 MB minimum per query)", s.EstimatedCost)},
		{"records", fmt.Sprint(s.Records)},
		{"records skipped", fmt.Sprint(s.RecordsSkipped)},
		{"mapped", fmt.Sprint(s.Mapped)},
		{"not authorization", fmt.Sprint(s.NotAuthz)},
		{"unmapped", fmt.Sprint(s.Unmapped)},
		{"coverage", trail.CoverageText(s.Records, s.Mapped, s.NotAuthz, s.Unmapped)},
		{"usage rows", fmt.Sprint(s.Rows)},
	}
	if output == "csv" {
		// trail scan declares csv: the same pairs, never a table instead.
		w := csv.NewWriter(out)
		w.Write([]string{"metric", "value"})
		for _, p := range pairs {
			w.Write(p[:])
		}
		for _, why := range sortedKeys(s.SkippedRecords) {
			w.Write([]string{"records skipped: " + why, fmt.Sprint(s.SkippedRecords[why])})
		}
		w.Flush()
		return w.Error()
	}
	for _, p := range pairs {
		fmt.Fprintf(out, "%-18s %s\n", p[0], p[1])
	}
	for _, why := range sortedKeys(s.SkippedRecords) {
		fmt.Fprintf(out, "  skipped: %s: %d\n", why, s.SkippedRecords[why])
	}
	if s.Unmapped > 0 {
		fmt.Fprintf(out, "%d events had no known IAM action: see `seiri trail unmapped`\n", s.Unmapped)
	}
	return nil
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func skipReasons(m map[string]int64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
	}
	return strings.Join(parts, "; ")
}
