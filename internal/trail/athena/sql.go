// Package athena is the distributed engine of the CloudTrail usage scan: it
// runs one aggregation query per window in Amazon Athena over the trail
// bucket (a table with partition projection, see DDL) and folds the result
// into usage rows with the local engine's own mapping and extraction.
//
// The split of work: SQL only groups records by the raw fields the mapping
// and the extraction read (eventsource, eventname, the userIdentity fields,
// the requestParameters fields that name resources, resources[], errorcode,
// recipientaccountid, ...), and counts them with their first and last time
// and bounded samples of source IPs, user agents and VPC endpoints. Go then
// hands every group, as one representative record with a weight, to
// trail.Folder: the (eventSource, eventName) → action mapping, the principal
// normalization and the resource ARNs exist once, in internal/trail.
//
// The query is written for Athena (Trino SQL, engine version 3). Tests run
// the same query on DuckDB: Dialect is the thin translation between the two
// (function names differ; the query's shape does not).
package athena

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/usage"
)

// Dialect renders the few expressions whose spelling differs between Trino
// (Athena) and DuckDB. Everything else in the query is their common subset.
type Dialect interface {
	// Name names the dialect in errors and docs.
	Name() string
	// JSONString is the string member key of the JSON text in col, NULL
	// when it is absent or not a string (the local scanner reads non-string
	// values as empty).
	JSONString(col, key string) string
	// Set aggregates expr into the sorted distinct non-empty values joined
	// by SetSep; limit > 0 keeps only the smallest limit values.
	Set(expr string, limit int) string
	// Resources renders resources[] as "type RecSep arn" entries joined by
	// SetSep, in the record's order.
	Resources(col string) string
	// FullMatch is a regular-expression match of the whole string.
	FullMatch(expr, re string) string
	// JSONKeys is the member names of the JSON object at member key of the
	// JSON text in col, joined by SetSep; NULL or "" when it is absent or
	// not an object.
	JSONKeys(col, key string) string
}

// Separators of multi-valued result columns: Athena returns every value as
// text, so arrays travel joined. ASCII unit/record separators do not occur
// in IPs, user agents, ARNs or resource types.
const (
	SetSep = "\x1f"
	RecSep = "\x1e"
)

// Trino is Athena's dialect (engine version 3).
type Trino struct{}

func (Trino) Name() string { return "trino" }

func (Trino) JSONString(col, key string) string {
	p := sqlString(`$["` + key + `"]`)
	// json_extract_scalar returns numbers and booleans as text too: only a
	// value whose JSON text starts with a quote is a string.
	return fmt.Sprintf("CASE WHEN substr(json_format(json_extract(%s, %s)), 1, 1) = '\"' THEN json_extract_scalar(%s, %s) END", col, p, col, p)
}

func (Trino) Set(expr string, limit int) string {
	s := fmt.Sprintf("array_sort(array_distinct(array_agg(%s) FILTER (WHERE %s <> '')))", expr, expr)
	if limit > 0 {
		s = fmt.Sprintf("slice(%s, 1, %d)", s, limit)
	}
	return fmt.Sprintf("array_join(%s, chr(31))", s)
}

func (Trino) Resources(col string) string {
	return fmt.Sprintf("array_join(transform(%s, x -> coalesce(x.type, '') || chr(30) || coalesce(x.arn, '')), chr(31))", col)
}

func (Trino) JSONKeys(col, key string) string {
	return fmt.Sprintf("array_join(map_keys(TRY_CAST(json_extract(%s, %s) AS map(varchar, json))), chr(31))", col, sqlString(`$["`+key+`"]`))
}

func (Trino) FullMatch(expr, re string) string {
	return fmt.Sprintf("regexp_like(%s, %s)", expr, sqlString("^"+re+"$"))
}

// DuckDB is the dialect of the embedded engine the tests run the query on.
type DuckDB struct{}

func (DuckDB) Name() string { return "duckdb" }

func (DuckDB) JSONString(col, key string) string {
	p := sqlString(`$."` + key + `"`)
	return fmt.Sprintf("CASE WHEN json_type(%s, %s) = 'VARCHAR' THEN json_extract_string(%s, %s) END", col, p, col, p)
}

func (DuckDB) Set(expr string, limit int) string {
	s := fmt.Sprintf("list_sort(list_distinct(array_agg(%s) FILTER (WHERE %s <> '')))", expr, expr)
	if limit > 0 {
		s = fmt.Sprintf("list_slice(%s, 1, %d)", s, limit)
	}
	return fmt.Sprintf("array_to_string(%s, chr(31))", s)
}

func (DuckDB) Resources(col string) string {
	return fmt.Sprintf("array_to_string(list_transform(%s, lambda x: coalesce(x.type, '') || chr(30) || coalesce(x.arn, '')), chr(31))", col)
}

func (DuckDB) JSONKeys(col, key string) string {
	p := sqlString(`$."` + key + `"`)
	return fmt.Sprintf("CASE WHEN json_type(%s, %s) = 'OBJECT' THEN array_to_string(json_keys(%s, %s), chr(31)) END", col, p, col, p)
}

func (DuckDB) FullMatch(expr, re string) string {
	return fmt.Sprintf("regexp_full_match(%s, %s)", expr, sqlString(re))
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Column names of the aggregation's result, in order. Group columns come
// first; Parse reads them by name.
const (
	ColAccount      = "account" // the account partition (path account)
	ColVersion      = "eventversion"
	ColSource       = "eventsource"
	ColName         = "eventname"
	ColType         = "eventtype"
	ColRegion       = "awsregion"
	ColError        = "errorcode"
	ColRecipient    = "recipientaccountid"
	ColHasIdentity  = "hasidentity"
	ColIDType       = "uid_type"
	ColIDPrincipal  = "uid_principalid"
	ColIDARN        = "uid_arn"
	ColIDAccount    = "uid_accountid"
	ColIDAccessKey  = "uid_accesskeyid"
	ColIDUserName   = "uid_username"
	ColIDInvokedBy  = "uid_invokedby"
	ColIDProvider   = "uid_identityprovider"
	ColIssuerType   = "uid_issuer_type"
	ColIssuerARN    = "uid_issuer_arn"
	ColIssuerUser   = "uid_issuer_username"
	ColSourceID     = "uid_sourceidentity"
	ColOnBehalfUser = "uid_onbehalfof_userid"
	ColOnBehalfStor = "uid_onbehalfof_store"
	ColResources    = "res"
	ColCount        = "n"
	ColFirst        = "first_time"
	ColLast         = "last_time"
	ColIPs          = "ips"
	ColIPReps       = "ip_reps"
	ColUAs          = "uas"
	ColVPCEs        = "vpces"
)

// reqParam is one requestParameters member the extraction reads; Keys are
// its spellings (the local scanner accepts each; the first present wins).
type reqParam struct {
	Col  string
	Keys []string
}

// reqParams mirror trail's requestParameters reader (record.go).
var reqParams = []reqParam{
	{"rp_bucketname", []string{"bucketName"}},
	{"rp_key", []string{"key"}},
	{"rp_copysource", []string{"x-amz-copy-source", "copySource"}},
	{"rp_tablename", []string{"tableName", "TableName"}},
	{"rp_functionname", []string{"functionName"}},
	{"rp_queueurl", []string{"queueUrl", "QueueUrl"}},
	{"rp_topicarn", []string{"topicArn", "TopicArn"}},
	{"rp_keyid", []string{"keyId", "KeyId"}},
	{"rp_secretid", []string{"secretId", "SecretId"}},
	{"rp_name", []string{"name", "Name"}},
	{"rp_username", []string{"userName"}},
	{"rp_rolename", []string{"roleName"}},
	{"rp_policyarn", []string{"policyArn"}},
	{"rp_rolearn", []string{"roleArn", "RoleArn"}},
	{"rp_repositoryname", []string{"repositoryName"}},
	{"rp_loggroupname", []string{"logGroupName"}},
	{"rp_statement", []string{"statement", "Statement"}},
	{"rp_sourcekeyid", []string{"sourceKeyId", "SourceKeyId"}},
	{"rp_destinationkeyid", []string{"destinationKeyId", "DestinationKeyId"}},
	{"rp_principalarn", []string{"principalArn", "PrincipalArn"}},
}

// Multi-item requests need more than one action, per item (docs/trail.md,
// "Requests that need more than one action"). The query carries what the
// local engine reads of them: for BatchGetItem/BatchWriteItem the table
// names (requestItems is an object keyed by table); for the others the
// whole requestParameters text, which Go reads with the local scanner's
// parser (trail.ReadRequestParameters). Their items name keys and
// statements, so these events group per distinct request: they are a small
// share of a trail, and the local engine reads the same values.
const (
	ColMulti  = "rp_multi"
	ColTables = "rp_tables"
)

var (
	multiText = map[string][]string{
		"dynamodb.amazonaws.com":       {"BatchExecuteStatement", "ExecuteTransaction", "TransactWriteItems", "TransactGetItems"},
		"secretsmanager.amazonaws.com": {"BatchGetSecretValue"},
	}
	multiTables = map[string][]string{
		"dynamodb.amazonaws.com": {"BatchGetItem", "BatchWriteItem"},
	}
)

// eventIn is the condition "the event is one of m".
func eventIn(m map[string][]string) string {
	srcs := make([]string, 0, len(m))
	for s := range m {
		srcs = append(srcs, s)
	}
	slices.Sort(srcs)
	var c []string
	for _, s := range srcs {
		c = append(c, fmt.Sprintf("(eventsource = %s AND eventname IN (%s))", sqlString(s), list(m[s])))
	}
	return strings.Join(c, " OR ")
}

// octet is one dotted-quad octet as trail's IP classifier accepts it: one to
// three digits, at most 255 (leading zeros allowed).
const octet = `([01]?[0-9]?[0-9]|2[0-4][0-9]|25[0-5])`

// Window is one query's slice of the scan.
type Window struct {
	Since, Until time.Time // [Since, Until), UTC
}

// Query is what one aggregation query covers.
type Query struct {
	Table    string // database.table (quoted as needed by the caller)
	Window   Window
	Accounts []string // empty: all
	Regions  []string // empty: all
	Samples  int      // sample size (usage.MaxSamples)
	// Delivery: the window selects whole delivery days (the "timestamp"
	// partition, the day folder a file was delivered to), not event times:
	// the unit both engines account for (usage.Unit), so that a record near
	// midnight belongs to exactly one day whichever engine reads it.
	Delivery bool
	// Exclude leaves out delivery units (day, account, region) another
	// engine already holds.
	Exclude []usage.Unit
}

// Build renders the aggregation SQL of q in dialect d.
func Build(d Dialect, q Query) string {
	type col struct{ expr, name string }
	uid := "useridentity"
	sc := uid + ".sessioncontext"
	groups := []col{
		{`"account"`, ColAccount},
		{"eventversion", ColVersion},
		{"eventsource", ColSource},
		{"eventname", ColName},
		{"eventtype", ColType},
		{"awsregion", ColRegion},
		{"errorcode", ColError},
		{"recipientaccountid", ColRecipient},
		{"CASE WHEN " + uid + " IS NULL THEN 0 ELSE 1 END", ColHasIdentity},
		{uid + ".type", ColIDType},
		{uid + ".principalid", ColIDPrincipal},
		{uid + ".arn", ColIDARN},
		{uid + ".accountid", ColIDAccount},
		{uid + ".accesskeyid", ColIDAccessKey},
		{uid + ".username", ColIDUserName},
		{uid + ".invokedby", ColIDInvokedBy},
		{uid + ".identityprovider", ColIDProvider},
		{sc + ".sessionissuer.type", ColIssuerType},
		{sc + ".sessionissuer.arn", ColIssuerARN},
		{sc + ".sessionissuer.username", ColIssuerUser},
		{sc + ".sourceidentity", ColSourceID},
		{uid + ".onbehalfof.userid", ColOnBehalfUser},
		{uid + ".onbehalfof.identitystorearn", ColOnBehalfStor},
	}
	for _, p := range reqParams {
		var alts []string
		for _, k := range p.Keys {
			alts = append(alts, d.JSONString("requestparameters", k))
		}
		e := alts[0]
		if len(alts) > 1 {
			e = "coalesce(" + strings.Join(alts, ", ") + ")"
		}
		groups = append(groups, col{e, p.Col})
	}
	groups = append(groups,
		col{"CASE WHEN " + eventIn(multiText) + " THEN requestparameters END", ColMulti},
		col{"CASE WHEN " + eventIn(multiTables) + " THEN coalesce(nullif(" + d.JSONKeys("requestparameters", "requestItems") + ", ''), " +
			d.JSONKeys("requestparameters", "RequestItems") + ") END", ColTables},
		col{d.Resources("resources"), ColResources})

	var b strings.Builder
	b.WriteString("-- seiri: CloudTrail usage aggregation (trail/athena)\nWITH e AS (\n  SELECT\n")
	for _, g := range groups {
		fmt.Fprintf(&b, "    %s AS %s,\n", g.expr, g.name)
	}
	// The IP class is a function of the first two octets of an IPv4
	// address, of "contains ':'" for IPv6, and of the whole value otherwise
	// (service host names, "AWS Internal"): one representative per bucket
	// is enough for Go to compute every class of the group.
	ipv4 := d.FullMatch("sourceipaddress", octet+`(\.`+octet+`){3}`)
	fmt.Fprintf(&b, "    CASE WHEN strpos(sourceipaddress, ':') > 0 THEN '::'\n"+
		"         WHEN %s THEN split_part(sourceipaddress, '.', 1) || '.' || split_part(sourceipaddress, '.', 2) || '.0.0'\n"+
		"         ELSE sourceipaddress END AS ipbucket,\n", ipv4)
	b.WriteString("    sourceipaddress AS ip,\n")
	// The local engine keeps the first 256 bytes of a user agent.
	b.WriteString("    substr(useragent, 1, 256) AS ua,\n")
	b.WriteString("    vpcendpointid AS vpce,\n")
	b.WriteString("    eventtime\n")
	fmt.Fprintf(&b, "  FROM %s\n", q.Table)
	b.WriteString(where(q))
	b.WriteString(")\nSELECT\n")
	for _, g := range groups {
		fmt.Fprintf(&b, "  %s,\n", g.name)
	}
	fmt.Fprintf(&b, "  count(*) AS %s,\n  min(eventtime) AS %s,\n  max(eventtime) AS %s,\n", ColCount, ColFirst, ColLast)
	fmt.Fprintf(&b, "  %s AS %s,\n", d.Set("ip", q.Samples), ColIPs)
	fmt.Fprintf(&b, "  %s AS %s,\n", d.Set("ipbucket", 0), ColIPReps)
	fmt.Fprintf(&b, "  %s AS %s,\n", d.Set("ua", q.Samples), ColUAs)
	fmt.Fprintf(&b, "  %s AS %s\n", d.Set("vpce", q.Samples), ColVPCEs)
	b.WriteString("FROM e\nGROUP BY ")
	for i := range groups {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(groups[i].name)
	}
	b.WriteString("\n")
	return b.String()
}

// where prunes partitions (account, region, day) and keeps records in the
// window. eventtime is compared as text: CloudTrail writes it as
// "YYYY-MM-DDTHH:MM:SSZ", which sorts like the time it names.
func where(q Query) string {
	var c []string
	if q.Delivery {
		if !q.Window.Since.IsZero() {
			c = append(c, fmt.Sprintf(`"timestamp" >= %s`, sqlString(q.Window.Since.UTC().Format("2006/01/02"))))
		}
		if !q.Window.Until.IsZero() {
			c = append(c, fmt.Sprintf(`"timestamp" < %s`, sqlString(q.Window.Until.UTC().Format("2006/01/02"))))
		}
	}
	for _, u := range q.Exclude {
		e := []string{fmt.Sprintf(`"timestamp" = %s`, sqlString(u.Day))}
		if u.Account != "*" {
			e = append(e, fmt.Sprintf(`"account" = %s`, sqlString(u.Account)))
		}
		if u.Region != "*" {
			e = append(e, fmt.Sprintf(`"region" = %s`, sqlString(u.Region)))
		}
		c = append(c, "NOT ("+strings.Join(e, " AND ")+")")
	}
	if !q.Window.Since.IsZero() && !q.Delivery {
		s := q.Window.Since.UTC()
		c = append(c, fmt.Sprintf(`"timestamp" >= %s`, sqlString(s.Format("2006/01/02"))))
		c = append(c, fmt.Sprintf("eventtime >= %s", sqlString(s.Format("2006-01-02T15:04:05Z"))))
	}
	if !q.Window.Until.IsZero() && !q.Delivery {
		u := q.Window.Until.UTC()
		c = append(c, fmt.Sprintf(`"timestamp" <= %s`, sqlString(u.Format("2006/01/02"))))
		c = append(c, fmt.Sprintf("eventtime < %s", sqlString(u.Format("2006-01-02T15:04:05Z"))))
	}
	if len(q.Accounts) > 0 {
		c = append(c, fmt.Sprintf(`"account" IN (%s)`, list(q.Accounts)))
	}
	if len(q.Regions) > 0 {
		c = append(c, fmt.Sprintf(`"region" IN (%s)`, list(q.Regions)))
	}
	if len(c) == 0 {
		return ""
	}
	return "  WHERE " + strings.Join(c, "\n    AND ") + "\n"
}

func list(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = sqlString(v)
	}
	return strings.Join(q, ", ")
}

// Windows splits [since, until) into calendar months (UTC) when it spans
// more than maxDays, so each query stays within Athena's limits and a
// failed month can be rerun alone.
func Windows(since, until time.Time, maxDays int) []Window {
	since, until = since.UTC(), until.UTC()
	if since.IsZero() || until.IsZero() || until.Sub(since) <= time.Duration(maxDays)*24*time.Hour {
		return []Window{{since, until}}
	}
	var out []Window
	for s := since; s.Before(until); {
		next := time.Date(s.Year(), s.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		if next.After(until) {
			next = until
		}
		out = append(out, Window{s, next})
		s = next
	}
	return out
}
