package athena_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/trail/athena"
)

// edgeGolden is DuckDB's result of the aggregation SQL over testdata/edge,
// written by `go test -tags duckdb -run TestDuckDBEdgeCorpus -update`.
const edgeGolden = "testdata/edge.result.json"

// sortResult orders result rows (SQL GROUP BY has no order) so the golden
// file is stable.
func sortResult(r *awsfake.AthenaResult) {
	key := func(row []*string) string {
		var b strings.Builder
		for _, v := range row {
			if v != nil {
				b.WriteString(*v)
			}
			b.WriteByte(0)
		}
		return b.String()
	}
	slices.SortFunc(r.Rows, func(a, b []*string) int { return strings.Compare(key(a), key(b)) })
}

// cannedEdgeResult reads DuckDB's kept result of the edge corpus.
func cannedEdgeResult(t *testing.T) awsfake.AthenaResult {
	t.Helper()
	b, err := os.ReadFile(edgeGolden)
	if err != nil {
		t.Fatal(err)
	}
	var res awsfake.AthenaResult
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestCannedEdgeResult: the SQL's real result on the edge corpus (kept from
// DuckDB), served by the Athena fake, folds into exactly the rows the local
// engine makes of the same file.
func TestCannedEdgeResult(t *testing.T) {
	res := cannedEdgeResult(t)
	ctx := context.Background()
	local, err := trail.Scan(ctx, &trail.DirSource{Dir: "testdata/edge"}, trail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := awsfake.New(awsfake.Scenario{}) // page size 3: GetQueryResults pages
	t.Cleanup(srv.Close)
	var sqls []string
	srv.SetAthenaExecutor(awsfake.AthenaExecutorFunc(func(q string) (*awsfake.AthenaResult, error) {
		sqls = append(sqls, q)
		return &res, nil
	}))
	srv.AthenaRunningPolls(2)
	got, err := athena.Scan(ctx, newRunner(srv), athena.Options{Table: "seiri.cloudtrail"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(local.Rows, got.Rows, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("usage rows: local (-) vs canned Athena result (+):\n%s", diff)
	}
	if diff := cmp.Diff(local.Unmapped, got.Unmapped, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("unmapped pairs (-local +athena):\n%s", diff)
	}
	types := map[string]bool{}
	for _, r := range got.Rows {
		types[r.PrincipalType] = true
	}
	for _, pt := range []string{trail.PTIAMUser, trail.PTAssumedRole, trail.PTIdentityCenter, trail.PTAWSService, trail.PTAWSAccount,
		trail.PTRoot, trail.PTFederatedUser, trail.PTSAMLUser, trail.PTWebIdentityUser, trail.PTIdentityCenterUser} {
		if !types[pt] {
			t.Errorf("no %s row: the edge corpus lost a principal type", pt)
		}
	}
	s := local.Summary
	c := got.Counts
	if c.Mapped != s.Mapped || c.NotAuthz != s.NotAuthz || c.Unmapped != s.Unmapped || c.Skipped[trail.SkipNoIdentity] != 1 || c.Skipped[trail.SkipVersion] != 1 {
		t.Errorf("counts %+v; local %+v", c, s)
	}
	if len(sqls) != 1 || !strings.Contains(sqls[0], "FROM seiri.cloudtrail") || !strings.Contains(sqls[0], "json_extract_scalar") {
		t.Errorf("queries sent: %q", sqls)
	}
	if n := srv.Count("", "GetQueryExecution"); n != 3 {
		t.Errorf("%d GetQueryExecution polls, want 3 (2 RUNNING, then SUCCEEDED)", n)
	}
	if got.Groups != int64(len(res.Rows)) {
		t.Errorf("%d groups read, result has %d rows", got.Groups, len(res.Rows))
	}
}
