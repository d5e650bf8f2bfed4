package athena_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/trail/athena"
)

func str(s string) *string { return &s }

func TestRunFailedQuery(t *testing.T) {
	srv := awsfake.New(awsfake.Scenario{})
	t.Cleanup(srv.Close)
	srv.SetAthenaExecutor(awsfake.AthenaExecutorFunc(func(string) (*awsfake.AthenaResult, error) {
		return nil, errors.New("TABLE_NOT_FOUND: line 12:8: Table 'awsdatacatalog.seiri.cloudtrail' does not exist")
	}))
	_, err := athena.Scan(context.Background(), newRunner(srv), athena.Options{Table: "seiri.cloudtrail",
		Filter: trail.Filter{Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}})
	var qe *athena.QueryError
	if !errors.As(err, &qe) || qe.State != "FAILED" || !strings.Contains(err.Error(), "TABLE_NOT_FOUND") ||
		!strings.Contains(err.Error(), "window [2026-01-01T00:00:00Z, 2026-01-02T00:00:00Z)") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunCancelStopsQuery(t *testing.T) {
	srv := awsfake.New(awsfake.Scenario{})
	t.Cleanup(srv.Close)
	srv.AthenaRunningPolls(1000)
	run := newRunner(srv)
	ctx, cancel := context.WithCancel(context.Background())
	polls := 0
	run.Sleep = func(ctx context.Context, d time.Duration) error {
		if polls++; polls == 3 {
			cancel()
		}
		return ctx.Err()
	}
	_, err := run.Run(ctx, "SELECT 1")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	qs := srv.AthenaQueries()
	if len(qs) != 1 || qs[0].State != "CANCELLED" {
		t.Fatalf("queries %+v", qs)
	}
}

func TestRunBackoff(t *testing.T) {
	srv := awsfake.New(awsfake.Scenario{})
	t.Cleanup(srv.Close)
	srv.AthenaRunningPolls(6)
	run := newRunner(srv)
	run.Poll, run.MaxPoll = 100*time.Millisecond, time.Second
	var waits []time.Duration
	run.Sleep = func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	ex, err := run.Run(context.Background(), "SELECT 1")
	if err != nil {
		t.Fatal(err)
	}
	ms := time.Millisecond
	if diff := cmp.Diff([]time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, time.Second, time.Second, time.Second}, waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	if ex.ID == "" || ex.EngineTime != 42*ms {
		t.Errorf("execution %+v", ex)
	}
}

func TestResultsBadRows(t *testing.T) {
	cols := []string{athena.ColSource, athena.ColName, athena.ColCount, athena.ColFirst, athena.ColLast}
	tests := []struct {
		name string
		row  []*string
		want string
	}{
		{"count not a number", []*string{str("s3.amazonaws.com"), str("GetObject"), str("many"), str("2026-01-01T00:00:00Z"), str("2026-01-01T00:00:00Z")}, `result row 1: column n: bad count "many"`},
		{"count null", []*string{str("s3.amazonaws.com"), str("GetObject"), nil, str("2026-01-01T00:00:00Z"), str("2026-01-01T00:00:00Z")}, "bad count"},
		{"bad time", []*string{str("s3.amazonaws.com"), str("GetObject"), str("1"), str("yesterday"), str("2026-01-01T00:00:00Z")}, `column first_time: bad time "yesterday"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := awsfake.New(awsfake.Scenario{})
			t.Cleanup(srv.Close)
			srv.SetAthenaExecutor(awsfake.AthenaExecutorFunc(func(string) (*awsfake.AthenaResult, error) {
				return &awsfake.AthenaResult{Columns: cols, Rows: [][]*string{tc.row}}, nil
			}))
			_, err := athena.Scan(context.Background(), newRunner(srv), athena.Options{Table: "t"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestParseGroupMissingColumn(t *testing.T) {
	var g trail.Group
	err := athena.ParseGroup(map[string]*string{athena.ColSource: str("x")}, &g)
	if err == nil || !strings.Contains(err.Error(), `column "n" missing`) {
		t.Fatalf("err = %v", err)
	}
}

func TestCost(t *testing.T) {
	tests := []struct {
		scanned []int64
		want    float64
	}{
		{[]int64{1e12}, 5},
		{[]int64{0}, float64(10<<20) / 1e12 * 5}, // 10 MB minimum
		{[]int64{5e11, 5e11}, 5},
	}
	for _, tc := range tests {
		if got := athena.Cost(tc.scanned...); got < tc.want*0.999999 || got > tc.want*1.000001 {
			t.Errorf("Cost(%v) = %v, want %v", tc.scanned, got, tc.want)
		}
	}
}

// FuzzParseGroup: Athena's result rows are outside input; no value may
// panic the parser or the fold.
func FuzzParseGroup(f *testing.F) {
	f.Add("s3.amazonaws.com", "GetObject", "3", "2026-01-01T00:00:00Z", "AWS::S3::Object\x1earn:aws:s3:::b/k", "10.0.0.1\x1fec2.amazonaws.com", "IAMUser", "1.08")
	f.Add("dynamodb.amazonaws.com", "ExecuteStatement", "1", "2026-01-01T00:00:00.5Z", "", "::", "AssumedRole", "1.11")
	f.Add("", "", "-1", "x", "\x1e\x1f", "", "", "")
	f.Fuzz(func(t *testing.T, src, name, n, tm, res, ips, typ, ver string) {
		row := map[string]*string{
			athena.ColSource: &src, athena.ColName: &name, athena.ColCount: &n, athena.ColFirst: &tm, athena.ColLast: &tm,
			athena.ColResources: &res, athena.ColIPReps: &ips, athena.ColIPs: &ips, athena.ColIDType: &typ,
			athena.ColVersion: &ver, athena.ColHasIdentity: str("1"), athena.ColIDARN: &name, athena.ColIssuerARN: &src,
			"rp_statement": &res, "rp_copysource": &ips, "rp_bucketname": &src, "rp_key": &name,
		}
		var g trail.Group
		if err := athena.ParseGroup(row, &g); err != nil {
			return
		}
		fo := trail.NewFolder(nil, nil)
		fo.Add(&g)
		for _, r := range fo.Rows() {
			if r.Count != g.Count {
				t.Fatalf("row count %d, group count %d", r.Count, g.Count)
			}
		}
	})
}
