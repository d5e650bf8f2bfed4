package usage

import (
	"context"
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
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, stmt := range []string{
		`CREATE TEMP TABLE IF NOT EXISTS incoming (` + keyCols + `,` + valCols + `, uauthz INTEGER)`,
		`CREATE TEMP TABLE IF NOT EXISTS sumin (` + sumKeyCols + `, first_seen, last_seen, count, nrows, hit)`,
		`CREATE TEMP TABLE IF NOT EXISTS flips (principal, account, principal_type, action, error_code, region)`,
	} {
		if _, err := tx.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	match := func(a, b string) string {
		var c []string
		for _, k := range strings.Split(keyCols, ",") {
			c = append(c, a+"."+k+"="+b+"."+k)
		}
		return strings.Join(c, " AND ")
	}
	for _, c := range []struct{ q, want string }{
		{`UPDATE temp.incoming SET uauthz = (SELECT u.authz FROM usage u WHERE ` + match("u", "incoming") + `)`, "SEARCH u USING PRIMARY KEY (principal=? AND account=? AND principal_type=? AND access_key_id=? AND action=? AND resource=? AND error_code=? AND region=?)"},
		{`UPDATE usage AS u SET count=u.count+i.count FROM temp.incoming i WHERE i.uauthz IS NOT NULL AND ` + match("u", "i"), "SEARCH u USING PRIMARY KEY (principal=? AND account=? AND principal_type=? AND access_key_id=? AND action=? AND resource=? AND error_code=? AND region=?)"},
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
