package usage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
)

// Every reader's query and every merge statement finds its rows through a
// key or an index, never by scanning the usage table, its summary or the
// session tables (EXPLAIN QUERY PLAN).
func TestQueryPlans(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	if err := s.Upsert(ctx, []Row{row("arn:aws:iam::111111111111:user/a", "s3:GetObject", "", 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	tx := mergeTx(t, s)
	for _, c := range []struct{ q, want string }{
		{mergeLookup, "SEARCH u USING PRIMARY KEY (principal=? AND account=? AND principal_type=? AND access_key_id=? AND action=? AND resource=? AND error_code=? AND region=?)"},
		// The stored rows are found by their whole key: in the table or in
		// an index that holds it (usage_action: the planner's choice).
		{mergeApply, "resource=? AND error_code=? AND region=?)"},
		{summaryMerge, "SEARCH b USING PRIMARY KEY (principal=? AND account=? AND principal_type=? AND action=? AND error_code=? AND region=? AND authz=?)"},
		{`DELETE FROM usage_by_action WHERE (principal,account,principal_type,action,error_code,region) IN (SELECT * FROM temp.flips)`, "SEARCH usage_by_action USING PRIMARY KEY"},
		{summaryFold + ` WHERE (principal,account,principal_type,action,error_code,region) IN (SELECT * FROM temp.flips)` + summaryGroup, "SEARCH usage USING"},
		// Usage(Query{Principal}), {Account}, {Action}, {Action: "s3:*"}, {AccessKeyID: AKIA…}, {AccessKeyID: ASIA…}
		{`SELECT * FROM usage WHERE principal = 1 AND last_seen >= 0`, "SEARCH usage USING PRIMARY KEY (principal=?)"},
		{`SELECT * FROM usage WHERE account = 1 AND authz = 1`, "SEARCH usage USING INDEX usage_account (account=?)"},
		{`SELECT * FROM usage WHERE action = 1`, "SEARCH usage USING INDEX usage_action (action=?)"},
		{`SELECT * FROM usage WHERE action IN (SELECT id FROM strs WHERE s >= 's3:' AND s < 's3;')`, "SEARCH strs USING COVERING INDEX sqlite_autoindex_strs_1 (s>? AND s<?)"},
		{`SELECT * FROM usage WHERE access_key_id = 3 AND access_key_id <> 0`, "SEARCH usage USING INDEX usage_access_key (access_key_id=?)"},
		{`SELECT * FROM usage WHERE ((access_key_id = 5 AND access_key_id <> 0) OR (principal = 1 AND account = 2 AND access_key_id = 0 AND last_seen >= 1))`, "MULTI-INDEX OR"},
		// StreamAuthz by account (principal prefix)
		{`SELECT account, principal, principal_type, action, 0, min(first_seen), max(last_seen), sum(count) FROM usage_by_action WHERE authz = 1 AND error_code = 0 AND last_seen >= 0 AND principal IN (SELECT id FROM strs WHERE s >= 'a' AND s < 'b') GROUP BY principal, account, principal_type, action`, "SEARCH usage_by_action USING PRIMARY KEY (principal=?)"},
		// Session keys and uses of one ASIA key; pruning
		{`SELECT day FROM session_key_days WHERE h=1`, "SEARCH session_key_days USING PRIMARY KEY (h=?)"},
		{`SELECT * FROM session_keys WHERE day IN (1,2) AND instr(keys, 'x') > 0`, "SEARCH session_keys USING INDEX session_keys_day (day=?)"},
		{`SELECT * FROM session_keys WHERE issuer_key = 1`, "SEARCH session_keys USING PRIMARY KEY (issuer_key=?)"},
		{`SELECT * FROM session_use WHERE day IN ('2024-01-01') AND instr(keys,'x') > 0`, "SEARCH session_use USING INDEX session_use_day (day=?)"},
		{`DELETE FROM session_keys WHERE day < 5`, "SEARCH session_keys USING INDEX session_keys_day (day<?)"},
	} {
		rs, err := tx.Query(`EXPLAIN QUERY PLAN ` + c.q)
		if err != nil {
			t.Fatal(c.q, err)
		}
		var plan []string
		for rs.Next() {
			var a, b, n int
			var d string
			if err := rs.Scan(&a, &b, &n, &d); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, d)
		}
		rs.Close()
		all := strings.Join(plan, "\n")
		if !strings.Contains(all, c.want) || strings.Contains(all, "SCAN usage\n") || strings.HasSuffix(all, "SCAN usage") {
			t.Errorf("%s\nplan:\n%s\nwant %q", c.q, all, c.want)
		}
	}
}

// The statements of a merge that write usage or its summary call no
// function: SQLite journals every page such a statement changes when it
// writes several rows and may abort, and a function call may (see
// mergeRows). A rescan's update of stored rows touches most of the usage
// table's pages.
func TestMergeWritesCallNoFunction(t *testing.T) {
	tx := mergeTx(t, openTemp(t))
	for _, q := range []string{mergeApply, mergeInsert, summaryMerge} {
		rs, err := tx.Query(`EXPLAIN ` + q)
		if err != nil {
			t.Fatal(q, err)
		}
		cols, _ := rs.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		var ops []string
		for rs.Next() {
			if err := rs.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			ops = append(ops, fmt.Sprint(vals[1]))
		}
		rs.Close()
		if len(ops) == 0 {
			t.Fatalf("%s: no program", q)
		}
		for _, op := range ops {
			if op == "Function" || op == "PureFunc" || op == "AggStep" {
				t.Errorf("%s\ncalls a function (%s)", q, op)
			}
		}
	}
}

// mergeTx is a transaction on s holding mergeRows' temporary tables
// (rolled back when the test ends).
func mergeTx(t *testing.T, s *Store) *sql.Tx {
	t.Helper()
	tx, err := s.db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	for _, stmt := range mergeTables {
		if _, err := tx.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	return tx
}
