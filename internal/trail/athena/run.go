package athena

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/usage"
)

// API is the part of the Athena client the engine uses (*athena.Client
// satisfies it).
type API interface {
	StartQueryExecution(context.Context, *sdk.StartQueryExecutionInput, ...func(*sdk.Options)) (*sdk.StartQueryExecutionOutput, error)
	GetQueryExecution(context.Context, *sdk.GetQueryExecutionInput, ...func(*sdk.Options)) (*sdk.GetQueryExecutionOutput, error)
	GetQueryResults(context.Context, *sdk.GetQueryResultsInput, ...func(*sdk.Options)) (*sdk.GetQueryResultsOutput, error)
	StopQueryExecution(context.Context, *sdk.StopQueryExecutionInput, ...func(*sdk.Options)) (*sdk.StopQueryExecutionOutput, error)
}

// Runner runs statements in one workgroup and waits for them.
type Runner struct {
	API       API
	Database  string
	Workgroup string // "" = primary
	Output    string // s3://… result location; "" = the workgroup's
	// Poll is the first wait between GetQueryExecution calls; it doubles
	// up to MaxPoll (defaults 500ms and 5s).
	Poll, MaxPoll time.Duration
	// Sleep waits d or until ctx ends (tests make it instant).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Execution is a finished query.
type Execution struct {
	ID           string
	BytesScanned int64
	EngineTime   time.Duration
}

// QueryError is a query that ended FAILED or CANCELLED.
type QueryError struct {
	ID, State, Reason string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("athena query %s %s: %s", e.ID, strings.ToLower(e.State), e.Reason)
}

func (r *Runner) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run starts sql and polls until it ends. A cancelled ctx stops the query
// in Athena too (it would keep scanning, and billing, otherwise).
func (r *Runner) Run(ctx context.Context, sql string) (*Execution, error) {
	in := &sdk.StartQueryExecutionInput{QueryString: aws.String(sql)}
	if r.Database != "" {
		in.QueryExecutionContext = &types.QueryExecutionContext{Database: aws.String(r.Database)}
	}
	if r.Workgroup != "" {
		in.WorkGroup = aws.String(r.Workgroup)
	}
	if r.Output != "" {
		in.ResultConfiguration = &types.ResultConfiguration{OutputLocation: aws.String(r.Output)}
	}
	out, err := r.API.StartQueryExecution(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("athena StartQueryExecution: %w", err)
	}
	id := aws.ToString(out.QueryExecutionId)
	wait := r.Poll
	if wait <= 0 {
		wait = 500 * time.Millisecond
	}
	maxWait := r.MaxPoll
	if maxWait <= 0 {
		maxWait = 5 * time.Second
	}
	for {
		if err := r.sleep(ctx, wait); err != nil {
			r.stop(id)
			return nil, err
		}
		wait = min(2*wait, maxWait)
		q, err := r.API.GetQueryExecution(ctx, &sdk.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
		if err != nil {
			if ctx.Err() != nil {
				r.stop(id)
			}
			return nil, fmt.Errorf("athena GetQueryExecution %s: %w", id, err)
		}
		if q.QueryExecution == nil || q.QueryExecution.Status == nil {
			return nil, fmt.Errorf("athena GetQueryExecution %s: no status in the response", id)
		}
		st := q.QueryExecution.Status
		switch st.State {
		case types.QueryExecutionStateSucceeded:
			ex := &Execution{ID: id}
			if s := q.QueryExecution.Statistics; s != nil {
				ex.BytesScanned = aws.ToInt64(s.DataScannedInBytes)
				ex.EngineTime = time.Duration(aws.ToInt64(s.EngineExecutionTimeInMillis)) * time.Millisecond
			}
			return ex, nil
		case types.QueryExecutionStateFailed, types.QueryExecutionStateCancelled:
			return nil, &QueryError{ID: id, State: string(st.State), Reason: aws.ToString(st.StateChangeReason)}
		}
	}
}

// stop cancels a query whose caller went away; best effort, on its own
// short deadline since the caller's context is done.
func (r *Runner) stop(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r.API.StopQueryExecution(ctx, &sdk.StopQueryExecutionInput{QueryExecutionId: aws.String(id)})
}

// Results pages through a finished query's rows; fn gets each row as a
// column-name → value map (nil for NULL). The header row Athena puts first
// on the first page is dropped.
func (r *Runner) Results(ctx context.Context, id string, fn func(row map[string]*string) error) (int64, error) {
	var token *string
	var cols []string
	var n int64
	first := true
	for {
		out, err := r.API.GetQueryResults(ctx, &sdk.GetQueryResultsInput{
			QueryExecutionId: aws.String(id), NextToken: token, MaxResults: aws.Int32(1000)})
		if err != nil {
			return n, fmt.Errorf("athena GetQueryResults %s: %w", id, err)
		}
		if out.ResultSet == nil {
			return n, fmt.Errorf("athena GetQueryResults %s: no result set", id)
		}
		if cols == nil {
			if out.ResultSet.ResultSetMetadata == nil {
				return n, fmt.Errorf("athena GetQueryResults %s: no column metadata", id)
			}
			for _, c := range out.ResultSet.ResultSetMetadata.ColumnInfo {
				cols = append(cols, aws.ToString(c.Name))
			}
		}
		rows := out.ResultSet.Rows
		if first && len(rows) > 0 && isHeader(rows[0], cols) {
			rows = rows[1:]
		}
		first = false
		for i, row := range rows {
			if len(row.Data) != len(cols) {
				return n, fmt.Errorf("athena GetQueryResults %s: row %d has %d values for %d columns", id, n+int64(i)+1, len(row.Data), len(cols))
			}
			m := make(map[string]*string, len(cols))
			for j, d := range row.Data {
				m[cols[j]] = d.VarCharValue
			}
			if err := fn(m); err != nil {
				return n, err
			}
		}
		n += int64(len(rows))
		if out.NextToken == nil || *out.NextToken == "" {
			return n, nil
		}
		token = out.NextToken
	}
}

func isHeader(row types.Row, cols []string) bool {
	if len(row.Data) != len(cols) {
		return false
	}
	for i, d := range row.Data {
		if d.VarCharValue == nil || *d.VarCharValue != cols[i] {
			return false
		}
	}
	return true
}

// PricePerTB is Athena's SQL query price in US East (N. Virginia): $5 per
// TB scanned, 10 MB minimum per query (Amazon Athena pricing page).
const (
	PricePerTB      = 5.0
	MinBilledPerRun = 10 << 20
)

// Cost estimates the price of queries that scanned these bytes.
func Cost(scanned ...int64) float64 {
	var b float64
	for _, s := range scanned {
		b += float64(max(s, MinBilledPerRun))
	}
	return b / 1e12 * PricePerTB
}

// Options configure a scan on Athena.
type Options struct {
	Table   string // database.table
	Dialect Dialect
	Filter  trail.Filter
	Mapper  *trail.Mapper
	// Windows, when set, replace the filter's Since/Until: the scan covers
	// each of them (the CLI passes the whole days not scanned before).
	Windows []Window
	// MaxDays: windows longer than this run as one query per month (default 31).
	MaxDays int
	// Delivery and Exclude: see Query (set by ScanInto's plan).
	Delivery bool
	Exclude  []usage.Unit
	// Progress, when set, is told about each query as it finishes.
	Progress func(w Window, ex *Execution, rows int64)
}

// Result is a finished Athena scan.
type Result struct {
	Rows     []usage.Row
	Unmapped []usage.UnmappedPair
	// SessionUses: the temporary keys each principal used, per day.
	SessionUses []usage.SessionUse
	Counts      trail.FoldCounts
	Groups      int64
	Executions  []Execution
	Queries     []string
}

// BytesScanned sums the queries' scanned bytes.
func (r *Result) BytesScanned() int64 {
	var n int64
	for _, e := range r.Executions {
		n += e.BytesScanned
	}
	return n
}

// EstimatedCost is the price of the queries (see Cost).
func (r *Result) EstimatedCost() float64 {
	s := make([]int64, len(r.Executions))
	for i, e := range r.Executions {
		s[i] = e.BytesScanned
	}
	return Cost(s...)
}

// Scan runs the aggregation for the filter's window (one query per month
// for long windows) and folds the results.
func Scan(ctx context.Context, run *Runner, opts Options) (*Result, error) {
	if opts.Table == "" {
		return nil, errors.New("athena scan: no table")
	}
	d := opts.Dialect
	if d == nil {
		d = Trino{}
	}
	maxDays := opts.MaxDays
	if maxDays <= 0 {
		maxDays = 31
	}
	f := opts.Filter
	// The window is applied in SQL; the folder applies the record-level
	// account/region rules exactly as the local engine does.
	fold := trail.NewFolder(opts.Mapper, &trail.Filter{Accounts: f.Accounts, Regions: f.Regions})
	res := &Result{}
	windows := opts.Windows
	if windows == nil {
		windows = []Window{{f.Since, f.Until}}
	}
	var all []Window
	for _, w := range windows {
		all = append(all, Windows(w.Since, w.Until, maxDays)...)
	}
	for _, w := range all {
		var excl []usage.Unit
		for _, u := range opts.Exclude {
			day, err := time.Parse("2006/01/02", u.Day)
			if err == nil && !day.Before(w.Since.UTC().Truncate(24*time.Hour)) && (w.Until.IsZero() || day.Before(w.Until)) {
				excl = append(excl, u)
			}
		}
		sql := Build(d, Query{Table: opts.Table, Window: w, Accounts: f.Accounts, Regions: f.Regions, Samples: usage.MaxSamples,
			Delivery: opts.Delivery, Exclude: excl})
		res.Queries = append(res.Queries, sql)
		ex, err := run.Run(ctx, sql)
		if err != nil {
			return nil, fmt.Errorf("window %s: %w", windowName(w), err)
		}
		res.Executions = append(res.Executions, *ex)
		var g trail.Group
		n, err := run.Results(ctx, ex.ID, func(row map[string]*string) error {
			if err := ParseGroup(row, &g); err != nil {
				return fmt.Errorf("athena query %s, result row %d: %w", ex.ID, res.Groups+1, err)
			}
			res.Groups++
			fold.Add(&g)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("window %s: %w", windowName(w), err)
		}
		if opts.Progress != nil {
			opts.Progress(w, ex, n)
		}
	}
	res.Rows = fold.Rows()
	res.Unmapped = fold.Unmapped()
	res.SessionUses = fold.SessionUses()
	res.Counts = fold.Counts()
	return res, nil
}

func windowName(w Window) string {
	f := func(t time.Time) string {
		if t.IsZero() {
			return "…"
		}
		return t.UTC().Format(time.RFC3339)
	}
	return "[" + f(w.Since) + ", " + f(w.Until) + ")"
}

// ParseGroup reads one result row of the aggregation into g (its byte
// slices are fresh: g may be kept).
func ParseGroup(row map[string]*string, g *trail.Group) error {
	b := func(col string) []byte {
		if v := row[col]; v != nil && *v != "" {
			return []byte(*v)
		}
		return nil
	}
	s := func(col string) string {
		if v := row[col]; v != nil {
			return *v
		}
		return ""
	}
	for _, c := range []string{ColCount, ColFirst, ColLast, ColSource} {
		if _, ok := row[c]; !ok {
			return fmt.Errorf("column %q missing from the result", c)
		}
	}
	n, err := strconv.ParseInt(s(ColCount), 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("column %s: bad count %q", ColCount, trim(s(ColCount)))
	}
	first, err := parseTime(s(ColFirst))
	if err != nil {
		return fmt.Errorf("column %s: %w", ColFirst, err)
	}
	last, err := parseTime(s(ColLast))
	if err != nil {
		return fmt.Errorf("column %s: %w", ColLast, err)
	}
	*g = trail.Group{PathAccount: s(ColAccount), Count: n, First: first, Last: last,
		SourceIPs: split(s(ColIPs)), UserAgents: split(s(ColUAs)), VPCEndpoints: split(s(ColVPCEs)),
		IPClassReps: split(s(ColIPReps))}
	r := &g.Record
	r.EventVersion = b(ColVersion)
	r.EventSource = b(ColSource)
	r.EventName = b(ColName)
	r.EventType = b(ColType)
	r.AWSRegion = b(ColRegion)
	r.ErrorCode = b(ColError)
	r.RecipientAccount = b(ColRecipient)
	r.HasIdentity = s(ColHasIdentity) == "1"
	id := &r.Identity
	id.Type = b(ColIDType)
	id.PrincipalID = b(ColIDPrincipal)
	id.ARN = b(ColIDARN)
	id.AccountID = b(ColIDAccount)
	id.AccessKeyID = b(ColIDAccessKey)
	id.UserName = b(ColIDUserName)
	id.InvokedBy = b(ColIDInvokedBy)
	id.IdentityProvider = b(ColIDProvider)
	id.IssuerType = b(ColIssuerType)
	id.IssuerARN = b(ColIssuerARN)
	id.IssuerUserName = b(ColIssuerUser)
	id.SourceIdentity = b(ColSourceID)
	id.OnBehalfOfUserID = b(ColOnBehalfUser)
	id.OnBehalfOfStore = b(ColOnBehalfStor)
	q := &r.Req
	for _, p := range []struct {
		col string
		dst *[]byte
	}{
		{"rp_bucketname", &q.BucketName}, {"rp_key", &q.Key}, {"rp_copysource", &q.CopySource},
		{"rp_tablename", &q.TableName}, {"rp_functionname", &q.FunctionName}, {"rp_queueurl", &q.QueueURL},
		{"rp_topicarn", &q.TopicARN}, {"rp_keyid", &q.KeyID}, {"rp_secretid", &q.SecretID},
		{"rp_name", &q.Name}, {"rp_username", &q.UserName}, {"rp_rolename", &q.RoleName},
		{"rp_policyarn", &q.PolicyARN}, {"rp_rolearn", &q.RoleARN}, {"rp_repositoryname", &q.RepositoryName},
		{"rp_loggroupname", &q.LogGroupName}, {"rp_statement", &q.Statement},
	} {
		*p.dst = b(p.col)
	}
	q.SourceKeyID = b("rp_sourcekeyid")
	q.DestinationKeyID = b("rp_destinationkeyid")
	q.PrincipalARN = b("rp_principalarn")
	if t := b(ColMulti); len(t) > 0 {
		if err := trail.ReadRequestParameters(r, t); err != nil {
			return fmt.Errorf("column %s: %w", ColMulti, err)
		}
	}
	for _, t := range split(s(ColTables)) {
		if len(q.Items) >= trail.MaxRequestItems {
			q.ItemsDropped++
			continue
		}
		q.Items = append(q.Items, trail.ReqItem{Table: []byte(t)})
	}
	// resources[]: the local scanner keeps elements with an ARN, at most 16.
	for _, e := range split(s(ColResources)) {
		typ, arn, ok := strings.Cut(e, RecSep)
		if !ok {
			return fmt.Errorf("column %s: entry without a separator: %q", ColResources, trim(e))
		}
		if arn != "" && len(r.Resources) < 16 {
			r.Resources = append(r.Resources, trail.ResourceRef{ARN: []byte(arn), Type: nilIfEmpty(typ)})
		}
	}
	return nil
}

func nilIfEmpty(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, SetSep)
}

// parseTime reads eventtime text (min/max of the group).
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad time %q", trim(s))
	}
	return t.UTC(), nil
}

func trim(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
