package trail

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkathena "github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/trail/athena"
	"github.com/seiri-dev/seiri/internal/usage"
)

// trailAthenaAPI builds the Athena client; tests point it at the fake.
var trailAthenaAPI = defaultTrailAthenaAPI

// trailAthenaSleep, when set, replaces the wait between polls (tests).
var trailAthenaSleep func(ctx context.Context, d time.Duration) error

func defaultTrailAthenaAPI(ctx context.Context, f *cmdutil.Factory) (athena.API, error) {
	cfg, err := trailAWSConfig(ctx, f)
	if err != nil {
		return nil, err
	}
	return sdkathena.NewFromConfig(cfg, func(o *sdkathena.Options) {
		if ep := f.Globals.AWS.EndpointURL; ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	}), nil
}

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

func (a *AthenaFlags) runner(ctx context.Context, f *cmdutil.Factory) (*athena.Runner, error) {
	if a.Output != "" && !strings.HasPrefix(a.Output, "s3://") {
		return nil, cmdutil.BadInputf("--output-location %q: want s3://bucket/prefix/", a.Output)
	}
	api, err := trailAthenaAPI(ctx, f)
	if err != nil {
		return nil, err
	}
	return &athena.Runner{API: api, Database: a.Database, Workgroup: a.Workgroup, Output: a.Output, Sleep: trailAthenaSleep}, nil
}

func newTrailAthenaCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "athena",
		Short: "Run the usage scan in Amazon Athena (for organizations whose logs outgrow one machine)",
		Long: `athena setup creates the CloudTrail table (partition projection over the trail
bucket: account, region, day); then "seiri trail scan --engine athena" runs the
aggregation there and loads the result into the same usage store.`,
	}
	cmd.AddCommand(NewCmdTrailAthenaSetup(f, nil))
	return cmd
}

// TrailAthenaSetupOptions are the flags of `seiri trail athena setup`.
type TrailAthenaSetupOptions struct {
	F        *cmdutil.Factory
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
	o := &TrailAthenaSetupOptions{F: f}
	cmd := &cobra.Command{
		Use:   "setup --bucket BUCKET [--prefix P] [--org-id o-…]",
		Short: "Create the Athena database and CloudTrail table (partition projection)",
		Example: `  seiri trail athena setup --bucket org-trail --org-id o-abc123defg --accounts 111111111111,222222222222
  seiri trail athena setup --bucket my-trail --print`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Bucket == "" {
				return cmdutil.BadInputf("--bucket is required")
			}
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
	fl.StringSliceVar(&o.Accounts, "accounts", nil, "account ids to project (default: injected; scans must then name --accounts)")
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
	f := o.F
	t, err := o.table()
	if err != nil {
		return err
	}
	stmts := []string{t.CreateDatabase(), t.CreateTable()}
	out := f.IO.Out
	if o.Print {
		for _, s := range stmts {
			fmt.Fprintf(out, "%s;\n\n", s)
		}
		return nil
	}
	ctx := f.Context
	run, err := o.Athena.runner(ctx, f)
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

// athenaSource is the usage store's bookkeeping name of an Athena scan: the
// days it covered are marked under it, with the filter in the name so
// differently filtered scans are tracked apart.
func athenaSource(a *AthenaFlags, flt *trail.Filter) string {
	s := "athena:" + a.Database + "." + a.Table
	if len(flt.Accounts) > 0 {
		s += " accounts=" + strings.Join(flt.Accounts, ",")
	}
	if len(flt.Regions) > 0 {
		s += " regions=" + strings.Join(flt.Regions, ",")
	}
	return s
}

// athenaDeliveryDelay is how long after a day ends seiri waits before it
// treats the day as complete: CloudTrail delivers log files about every 5
// minutes, typically within 15 minutes of the call (CloudTrail User Guide,
// "How CloudTrail works"); an hour leaves room.
const athenaDeliveryDelay = time.Hour

// athenaDays splits the scan window into whole UTC days, drops the days
// already scanned and the day(s) not yet complete, and returns the
// remaining contiguous runs as windows plus the days they cover.
func athenaDays(flt *trail.Filter, now time.Time, done map[string]usage.ObjectMark) (wins []athena.Window, days []string, skipped int, err error) {
	if flt.Since.IsZero() {
		return nil, nil, 0, cmdutil.BadInputf("--engine athena needs --since (Athena bills by the bytes a query scans)")
	}
	until := flt.Until
	if until.IsZero() {
		until = now
	}
	// Only days that ended (plus the delivery delay) are queried: a day is
	// marked scanned as a whole, so it must be complete.
	lastComplete := now.Add(-athenaDeliveryDelay).UTC().Truncate(24 * time.Hour)
	start := flt.Since.UTC().Truncate(24 * time.Hour)
	end := until.UTC()
	if t := end.Truncate(24 * time.Hour); !t.Equal(end) {
		end = t.Add(24 * time.Hour)
	}
	end = minTime(end, lastComplete)
	for d := start; d.Before(end); d = d.Add(24 * time.Hour) {
		key := d.Format("2006/01/02")
		if _, ok := done[key]; ok {
			skipped++
			continue
		}
		days = append(days, key)
		if n := len(wins); n > 0 && wins[n-1].Until.Equal(d) {
			wins[n-1].Until = d.Add(24 * time.Hour)
			continue
		}
		wins = append(wins, athena.Window{Since: d, Until: d.Add(24 * time.Hour)})
	}
	return wins, days, skipped, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// AthenaScanSummary is what `trail scan --engine athena` reports.
type AthenaScanSummary struct {
	Table          string           `json:"table"`
	Days           []string         `json:"days"`
	DaysSkipped    int              `json:"daysAlreadyScanned"`
	Queries        []string         `json:"queryIds"`
	BytesScanned   int64            `json:"bytesScanned"`
	EstimatedCost  float64          `json:"estimatedCostUsd"` // $5/TB, 10 MB minimum per query (Athena pricing)
	Groups         int64            `json:"resultGroups"`
	Records        int64            `json:"records"`
	RecordsSkipped int64            `json:"recordsSkipped"`
	SkippedRecords map[string]int64 `json:"skippedRecords,omitempty"` // reason → records
	Mapped         int64            `json:"mapped"`
	NotAuthz       int64            `json:"notAuthorization"`
	Unmapped       int64            `json:"unmapped"`
	Coverage       float64          `json:"coverage"`
	Rows           int              `json:"rows"`
}

func trailAthenaScanRun(o *TrailScanOptions) error {
	f := o.F
	ctx := f.Context
	flt, err := o.filter()
	if err != nil {
		return cmdutil.BadInput(err)
	}
	a := &o.Athena
	if err := athena.ValidateNames(a.Database, a.Table, flt.Regions); err != nil {
		return cmdutil.BadInput(err)
	}
	ws, err := f.Workspace()
	if err != nil {
		return err
	}
	store, err := usage.Open(ctx, ws.UsageDB())
	if err != nil {
		return err
	}
	defer store.Close()
	source := athenaSource(a, &flt)
	done, err := store.ScannedObjects(ctx, source)
	if err != nil {
		return err
	}
	now := f.Now()
	wins, days, skipped, err := athenaDays(&flt, now, done)
	if err != nil {
		return err
	}
	sum := &AthenaScanSummary{Table: a.Database + "." + a.Table, Days: days, DaysSkipped: skipped}
	if len(wins) == 0 {
		if skipped > 0 {
			fmt.Fprintln(f.IO.Out, "nothing to scan: every complete day in the window was scanned before")
		} else {
			fmt.Fprintf(f.IO.Out, "nothing to scan: no day of the window is complete yet (Athena scans whole UTC days, %s after they end)\n", athenaDeliveryDelay)
		}
		return nil
	}
	run, err := a.runner(ctx, f)
	if err != nil {
		return err
	}
	opts := athena.Options{Table: sum.Table, Filter: flt, Windows: wins,
		Mapper: &trail.Mapper{Catalog: f.Catalog()}}
	if f.Progress() {
		opts.Progress = func(w athena.Window, ex *athena.Execution, rows int64) {
			fmt.Fprintf(f.IO.ErrOut, "query %s: %s … %s: %s scanned, %d result rows\n", ex.ID,
				w.Since.Format("2006-01-02"), w.Until.Format("2006-01-02"), humanize.IBytes(uint64(ex.BytesScanned)), rows)
		}
	}
	res, err := athena.Scan(ctx, run, opts)
	if err != nil {
		return fmt.Errorf("athena scan of %s: %w", sum.Table, err)
	}
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
	if o.Strict && sum.RecordsSkipped > 0 {
		// Nothing is saved: --strict wants the scan clean or not at all.
		return cmdutil.BadInputf("%d records skipped (%s) (--strict); nothing saved", sum.RecordsSkipped, skipReasons(sum.SkippedRecords))
	}
	if c.Mapped+c.Unmapped > 0 {
		sum.Coverage = float64(c.Mapped) / float64(c.Mapped+c.Unmapped)
	}
	sum.Rows = len(res.Rows)

	objs := make([]usage.Object, len(days))
	for i, d := range days {
		objs[i] = usage.Object{Source: source, Key: d}
	}
	js, _ := json.Marshal(sum)
	finished := f.Now()
	runRec := &usage.Run{Engine: "athena", StartedAt: now, FinishedAt: finished, Since: wins[0].Since,
		Until: wins[len(wins)-1].Until, Sources: []string{source}, Summary: js}
	if err := store.Commit(ctx, usage.Batch{Rows: res.Rows, Unmapped: res.Unmapped, Objects: objs, Run: runRec}); err != nil {
		return fmt.Errorf("save scan to %s: %w", store.Path(), err)
	}
	return writeAthenaSummary(f, sum)
}

func writeAthenaSummary(f *cmdutil.Factory, s *AthenaScanSummary) error {
	out := f.IO.Out
	if f.Globals.Output == "json" {
		return cmdutil.WriteJSON(out, s)
	}
	pairs := [][2]string{
		{"table", s.Table},
		{"days scanned", fmt.Sprintf("%d (%d already scanned before)", len(s.Days), s.DaysSkipped)},
		{"queries", strings.Join(s.Queries, ", ")},
		{"bytes scanned", humanize.IBytes(uint64(s.BytesScanned))},
		{"estimated cost", fmt.Sprintf("$%.4f (Athena: $5 per TB scanned, 10 MB minimum per query)", s.EstimatedCost)},
		{"records", fmt.Sprint(s.Records)},
		{"records skipped", fmt.Sprint(s.RecordsSkipped)},
		{"mapped", fmt.Sprint(s.Mapped)},
		{"not authorization", fmt.Sprint(s.NotAuthz)},
		{"unmapped", fmt.Sprint(s.Unmapped)},
		{"coverage", fmt.Sprintf("%.1f%%", 100*s.Coverage)},
		{"usage rows", fmt.Sprint(s.Rows)},
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
