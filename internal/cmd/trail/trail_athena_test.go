package trail

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/usage"
)

// athenaFake serves Athena with the canned edge-corpus result (see
// internal/trail/athena/testdata) for SELECTs and success for DDL.
func athenaFake(t *testing.T) *awsfake.Server {
	t.Helper()
	b, err := os.ReadFile("../../trail/athena/testdata/edge.result.json")
	if err != nil {
		t.Fatal(err)
	}
	var res awsfake.AthenaResult
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	srv := awsfake.New(awsfake.Scenario{}, awsfake.Options{PageSize: 10})
	t.Cleanup(srv.Close)
	srv.SetAthenaExecutor(awsfake.AthenaExecutorFunc(func(q string) (*awsfake.AthenaResult, error) {
		if strings.HasPrefix(q, "CREATE") {
			return &awsfake.AthenaResult{}, nil
		}
		r := res
		r.BytesScanned = 3 << 30
		return &r, nil
	}))
	return srv
}

func TestTrailAthenaSetup(t *testing.T) {
	srv := athenaFake(t)
	ws := t.TempDir()
	out, errOut, code := runOnFake(t, srv, "--workspace", ws, "trail", "athena", "setup", "--bucket", "org-trail", "--prefix", "ct/",
		"--org-id", "o-abcdef1234", "--accounts", "111111111111,222222222222", "--regions", "us-east-1,eu-west-1", "--workgroup", "audit")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	qs := srv.AthenaQueries()
	if len(qs) != 2 || qs[0].SQL != "CREATE DATABASE IF NOT EXISTS seiri" || !strings.HasPrefix(qs[1].SQL, "CREATE EXTERNAL TABLE IF NOT EXISTS seiri.cloudtrail") {
		t.Fatalf("statements: %+v", qs)
	}
	for _, want := range []string{
		"LOCATION 's3://org-trail/ct/AWSLogs/o-abcdef1234/'",
		"'projection.account.values'='111111111111,222222222222'",
		"'projection.region.values'='us-east-1,eu-west-1'",
		"'storage.location.template'='s3://org-trail/ct/AWSLogs/o-abcdef1234/${account}/CloudTrail/${region}/${timestamp}'",
	} {
		if !strings.Contains(qs[1].SQL, want) {
			t.Errorf("DDL lacks %s", want)
		}
	}
	if qs[1].Workgroup != "audit" || !strings.Contains(out, "table seiri.cloudtrail ready") {
		t.Errorf("workgroup %q, output:\n%s", qs[1].Workgroup, out)
	}

	// --print runs nothing.
	out, _, code = runOnFake(t, srv, "--workspace", ws, "trail", "athena", "setup", "--bucket", "my-trail", "--print")
	if code != 0 || !strings.Contains(out, "'projection.account.type'='injected'") || len(srv.AthenaQueries()) != 2 {
		t.Fatalf("--print exit %d, %d statements:\n%s", code, len(srv.AthenaQueries()), out)
	}
}

func TestTrailAthenaSetupBadInput(t *testing.T) {
	srv := athenaFake(t)
	for _, args := range [][]string{
		{"--print"},
		{"--bucket", "Bad_Bucket", "--print"},
		{"--bucket", "ok-bucket", "--database", "x; DROP", "--print"},
		{"--bucket", "ok-bucket", "--accounts", "12345", "--print"},
		{"--bucket", "ok-bucket", "--org-id", "org-1", "--print"},
		{"--bucket", "ok-bucket", "--prefix", "a'b", "--print"},
		{"--bucket", "ok-bucket", "--from", "yesterday", "--print"},
	} {
		_, errOut, code := runOnFake(t, srv, append([]string{"--workspace", t.TempDir(), "trail", "athena", "setup"}, args...)...)
		if code != cmdutil.ExitUsage {
			t.Errorf("%q: exit %d, want %d (%s)", args, code, cmdutil.ExitUsage, errOut)
		}
	}
}

func TestTrailScanEngineAthena(t *testing.T) {
	srv := athenaFake(t)
	ws := t.TempDir()
	// now is trailT0+3d = 2026-11-04T00:00: 11-03 ended less than the
	// delivery delay ago, so days 11-01 and 11-02 are complete.
	out, errOut, code := runOnFake(t, srv, "--workspace", ws, "trail", "scan", "--engine", "athena", "--since", "2026-11-01", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var sum AthenaScanSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if diff := cmp.Diff([]string{"2026/11/01", "2026/11/02"}, sum.Days); diff != "" {
		t.Errorf("days (-want +got):\n%s", diff)
	}
	if sum.BytesScanned != 3<<30 || sum.EstimatedCost < 0.0160 || sum.EstimatedCost > 0.0162 || sum.Rows == 0 {
		t.Errorf("summary %+v", sum)
	}
	qs := srv.AthenaQueries()
	if len(qs) != 1 || !strings.Contains(qs[0].SQL, `"timestamp" >= '2026/11/01'`) || !strings.Contains(qs[0].SQL, `"timestamp" < '2026/11/03'`) ||
		qs[0].Database != "seiri" {
		t.Fatalf("queries %+v", qs)
	}

	// The rows are in the store, as the local engine would have put them.
	store, err := usage.Open(context.Background(), ws+"/usage.db")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := store.Usage(context.Background(), usage.Query{})
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	local, err := trail.Scan(context.Background(), &trail.DirSource{Dir: "../../trail/athena/testdata/edge"}, trail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(local.Rows) {
		t.Errorf("store has %d rows, the local engine makes %d", len(rows), len(local.Rows))
	}

	// Scanned days are not queried again.
	out, _, code = runOnFake(t, srv, "--workspace", ws, "trail", "scan", "--engine", "athena", "--since", "2026-11-01")
	if code != 0 || !strings.Contains(out, "nothing to scan") || len(srv.AthenaQueries()) != 1 {
		t.Fatalf("rescan exit %d, %d queries:\n%s", code, len(srv.AthenaQueries()), out)
	}
	// A wider window queries only the new days, as one window.
	out, _, code = runOnFake(t, srv, "--workspace", ws, "trail", "scan", "--engine", "athena", "--since", "2026-10-30")
	qs = srv.AthenaQueries()
	if code != 0 || len(qs) != 2 || !strings.Contains(qs[1].SQL, `"timestamp" < '2026/11/01'`) {
		t.Fatalf("wider scan exit %d:\n%s\n%s", code, out, qs[len(qs)-1].SQL)
	}
	// The report names the table and the window, and every count.
	golden(t, "athena-scan.table.golden", out)
	// -o csv is the same report as metric,value pairs, never a table.
	var buf strings.Builder
	if err := writeAthenaSummary(&buf, "csv", &AthenaScanSummary{Table: "seiri.cloudtrail", Records: 3, NotAuthz: 3,
		SkippedRecords: map[string]int64{"unknown eventVersion": 1}, RecordsSkipped: 1}); err != nil {
		t.Fatal(err)
	}
	golden(t, "athena-scan.csv.golden", buf.String())
}

func TestTrailScanEngineAthenaIncompleteDay(t *testing.T) {
	srv := athenaFake(t)
	out, _, code := runOnFake(t, srv, "--workspace", t.TempDir(), "trail", "scan", "--engine", "athena", "--since", "2h")
	if code != 0 || !strings.Contains(out, "no day of the window is complete yet") || len(srv.AthenaQueries()) != 0 {
		t.Fatalf("exit %d, %d queries:\n%s", code, len(srv.AthenaQueries()), out)
	}
	// -o json is a document all the same: no day queried, no coverage.
	out, errOut, code := runOnFake(t, srv, "trail", "scan", "--engine", "athena", "--since", "2h", "-o", "json")
	if code != 0 || !strings.Contains(errOut, "no day of the window is complete yet") {
		t.Fatalf("json: exit %d: %s", code, errOut)
	}
	var sum AthenaScanSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.Days == nil || len(sum.Days) != 0 || sum.Coverage != nil {
		t.Errorf("json %v:\n%s", err, out)
	}
}

func TestTrailScanEngineAthenaStrict(t *testing.T) {
	srv := athenaFake(t)
	ws := t.TempDir()
	_, errOut, code := runOnFake(t, srv, "--workspace", ws, "trail", "scan", "--engine", "athena", "--since", "2026-11-01", "--strict")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "record has no userIdentity: 1") || len(srv.AthenaQueries()) != 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Nothing was saved: the same days are queried again.
	_, _, code = runOnFake(t, srv, "--workspace", ws, "trail", "scan", "--engine", "athena", "--since", "2026-11-01")
	if code != 0 || len(srv.AthenaQueries()) != 2 {
		t.Fatalf("exit %d, %d queries", code, len(srv.AthenaQueries()))
	}
}

func TestTrailScanEngineFlags(t *testing.T) {
	srv := athenaFake(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--engine", "athena"}, "needs --since"},
		{[]string{"--engine", "athena", "--source", "x", "--since", "2d"}, "--source is for the local engine"},
		{[]string{"--engine", "spark", "--source", "x"}, `--engine "spark"`},
		{[]string{"--engine", "athena", "--since", "2d", "--table", "a.b"}, "table"},
		{[]string{"--engine", "athena", "--since", "2d", "--output-location", "/tmp/x"}, "--output-location"},
	} {
		_, errOut, code := runOnFake(t, srv, append([]string{"--workspace", t.TempDir(), "trail", "scan"}, tc.args...)...)
		if code != cmdutil.ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, stderr %q, want %q", tc.args, code, errOut, tc.want)
		}
	}
}
