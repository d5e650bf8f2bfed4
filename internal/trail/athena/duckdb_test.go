//go:build duckdb

package athena_test

// The Athena SQL runs for real here: on DuckDB (embedded, through its Go
// driver, which needs cgo — hence the build tag), over the same generated
// log files the local engine reads, through a view with Athena's CloudTrail
// table schema. Run with:
//
//	CGO_ENABLED=1 go test -tags duckdb ./internal/trail/athena/

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/trail/athena"
	"github.com/seiri-dev/seiri/internal/trail/gen"
)

// duckView is Athena's CloudTrail table (athena.Table.CreateTable) as a
// DuckDB view: the same lower-case column names and nested types, the
// partition columns read from the delivery path, requestparameters kept as
// JSON text (the JsonSerDe gives Athena a string for a nested object).
const duckView = `
CREATE VIEW cloudtrail AS
WITH f AS (
  SELECT filename, unnest(Records) AS r
  FROM read_json(%s, filename = true, format = 'auto', maximum_object_size = 268435456,
    columns = {Records: 'STRUCT(
      "eventVersion" VARCHAR, "eventTime" VARCHAR, "eventSource" VARCHAR, "eventName" VARCHAR,
      "eventType" VARCHAR, "awsRegion" VARCHAR, "sourceIPAddress" VARCHAR, "userAgent" VARCHAR,
      "errorCode" VARCHAR, "recipientAccountId" VARCHAR, "vpcEndpointId" VARCHAR,
      "requestParameters" JSON,
      "resources" STRUCT("ARN" VARCHAR, "accountId" VARCHAR, "type" VARCHAR)[],
      "userIdentity" STRUCT(
        "type" VARCHAR, "principalId" VARCHAR, "arn" VARCHAR, "accountId" VARCHAR,
        "invokedBy" VARCHAR, "accessKeyId" VARCHAR, "userName" VARCHAR, "identityProvider" VARCHAR,
        "onBehalfOf" STRUCT("userId" VARCHAR, "identityStoreArn" VARCHAR),
        "sessionContext" STRUCT(
          "sessionIssuer" STRUCT("type" VARCHAR, "principalId" VARCHAR, "arn" VARCHAR, "accountId" VARCHAR, "userName" VARCHAR),
          "sourceIdentity" VARCHAR)))[]'})
)
SELECT
  regexp_extract(filename, 'AWSLogs/(o-[a-z0-9]+/)?([0-9]{12})/CloudTrail/', 2) AS "account",
  regexp_extract(filename, '/CloudTrail/([a-z0-9-]+)/', 1) AS "region",
  regexp_extract(filename, '/CloudTrail/[a-z0-9-]+/([0-9]{4}/[0-9]{2}/[0-9]{2})/', 1) AS "timestamp",
  r."eventVersion" AS eventversion,
  CASE WHEN r."userIdentity" IS NULL THEN NULL ELSE {
    'type': r."userIdentity"."type", 'principalid': r."userIdentity"."principalId",
    'arn': r."userIdentity"."arn", 'accountid': r."userIdentity"."accountId",
    'invokedby': r."userIdentity"."invokedBy", 'accesskeyid': r."userIdentity"."accessKeyId",
    'username': r."userIdentity"."userName", 'identityprovider': r."userIdentity"."identityProvider",
    'onbehalfof': {'userid': r."userIdentity"."onBehalfOf"."userId",
                   'identitystorearn': r."userIdentity"."onBehalfOf"."identityStoreArn"},
    'sessioncontext': {
      'sessionissuer': {'type': r."userIdentity"."sessionContext"."sessionIssuer"."type",
                        'arn': r."userIdentity"."sessionContext"."sessionIssuer"."arn",
                        'username': r."userIdentity"."sessionContext"."sessionIssuer"."userName"},
      'sourceidentity': r."userIdentity"."sessionContext"."sourceIdentity"}} END AS useridentity,
  r."eventTime" AS eventtime,
  r."eventSource" AS eventsource,
  r."eventName" AS eventname,
  r."awsRegion" AS awsregion,
  r."sourceIPAddress" AS sourceipaddress,
  r."userAgent" AS useragent,
  r."errorCode" AS errorcode,
  CAST(r."requestParameters" AS VARCHAR) AS requestparameters,
  list_transform(r."resources", lambda x: {'arn': x."ARN", 'accountid': x."accountId", 'type': x."type"}) AS resources,
  r."eventType" AS eventtype,
  r."recipientAccountId" AS recipientaccountid,
  r."vpcEndpointId" AS vpcendpointid
FROM f
`

// duckExecutor runs the fake's Athena statements on DuckDB.
type duckExecutor struct{ db *sql.DB }

func (d duckExecutor) Execute(q string) (*awsfake.AthenaResult, error) {
	rows, err := d.db.Query(q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	res := &awsfake.AthenaResult{Columns: cols, BytesScanned: 12345}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out := make([]*string, len(cols))
		for i, v := range vals {
			if v == nil {
				continue
			}
			s := fmt.Sprint(v)
			out[i] = &s
		}
		res.Rows = append(res.Rows, out)
	}
	return res, rows.Err()
}

func openDuck(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1) // one in-memory database: keep the view on one connection
	glob := filepath.ToSlash(filepath.Join(dir, "**", "*.json*"))
	if _, err := db.Exec(fmt.Sprintf(duckView, "'"+strings.ReplaceAll(glob, "'", "''")+"'")); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestDuckDBSQLMatchesLocalEngine(t *testing.T) {
	start := time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	spec := gen.Sample(11, []string{"111111111111", "222222222222"}, start, start.AddDate(0, 0, 3), 0.3)
	if _, err := gen.Generate(spec, gen.DirSink(dir)); err != nil {
		t.Fatal(err)
	}
	db := openDuck(t, dir)
	srv := awsfake.New(awsfake.Scenario{}, awsfake.Options{PageSize: 500})
	t.Cleanup(srv.Close)
	srv.SetAthenaExecutor(duckExecutor{db})
	srv.AthenaRunningPolls(1)
	run := newRunner(srv)

	tests := []struct {
		name    string
		filter  trail.Filter
		maxDays int
	}{
		{"everything", trail.Filter{}, 0},
		{"window split by month", trail.Filter{Since: start.Add(7 * time.Hour), Until: start.Add(50 * time.Hour)}, 1},
		{"accounts and regions", trail.Filter{Accounts: []string{"222222222222"}, Regions: []string{"us-east-1"}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			local, err := trail.Scan(ctx, &trail.DirSource{Dir: dir}, trail.Options{Filter: tc.filter})
			if err != nil {
				t.Fatal(err)
			}
			if len(local.Rows) == 0 {
				t.Fatal("the local engine found no rows: the corpus is wrong")
			}
			got, err := athena.Scan(ctx, run, athena.Options{Table: "cloudtrail", Dialect: athena.DuckDB{}, Filter: tc.filter, MaxDays: tc.maxDays})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d records, %d usage rows from %d SQL groups in %d queries", local.Summary.Records, len(got.Rows), got.Groups, len(got.Executions))
			if diff := cmp.Diff(local.Rows, got.Rows, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("usage rows: local (-) vs Athena SQL on DuckDB (+):\n%s", diff)
			}
			if diff := cmp.Diff(local.Unmapped, got.Unmapped, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("unmapped pairs (-local +athena):\n%s", diff)
			}
			s := local.Summary
			if c := got.Counts; c.Mapped != s.Mapped || c.NotAuthz != s.NotAuthz || c.Unmapped != s.Unmapped {
				t.Errorf("counts: athena %+v, local mapped %d notauthz %d unmapped %d", c, s.Mapped, s.NotAuthz, s.Unmapped)
			}
			if want := len(athena.Windows(tc.filter.Since, tc.filter.Until, max(tc.maxDays, 31))); tc.maxDays == 0 && len(got.Executions) != want {
				t.Errorf("%d queries, want %d", len(got.Executions), want)
			}
			if tc.maxDays == 1 && len(got.Executions) != 2 {
				t.Errorf("%d queries for a window across a month end, want 2", len(got.Executions))
			}
		})
	}
}

var update = flag.Bool("update", false, "rewrite testdata/edge.result.json from DuckDB")

// TestDuckDBEdgeCorpus runs the SQL on the hand-written edge cases (IP
// classes, long user agents, copy sources, PartiQL, non-string parameters,
// skipped and unmapped records) and keeps DuckDB's raw result as the canned
// Athena result of the default-build test (TestCannedEdgeResult).
func TestDuckDBEdgeCorpus(t *testing.T) {
	dir := "testdata/edge"
	db := openDuck(t, dir)
	ctx := context.Background()
	local, err := trail.Scan(ctx, &trail.DirSource{Dir: dir}, trail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var raw *awsfake.AthenaResult
	srv := awsfake.New(awsfake.Scenario{})
	t.Cleanup(srv.Close)
	srv.SetAthenaExecutor(awsfake.AthenaExecutorFunc(func(q string) (*awsfake.AthenaResult, error) {
		r, err := duckExecutor{db}.Execute(q)
		raw = r
		return r, err
	}))
	got, err := athena.Scan(ctx, newRunner(srv), athena.Options{Table: "cloudtrail", Dialect: athena.DuckDB{}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(local.Rows, got.Rows, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("usage rows: local (-) vs Athena SQL on DuckDB (+):\n%s", diff)
	}
	if diff := cmp.Diff(local.Unmapped, got.Unmapped, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("unmapped pairs (-local +athena):\n%s", diff)
	}
	if *update {
		sortResult(raw)
		b, err := json.MarshalIndent(raw, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(edgeGolden, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
