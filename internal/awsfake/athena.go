package awsfake

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Athena (JSON 1.1, X-Amz-Target AmazonAthena.Op): queries are run by a
// pluggable AthenaExecutor when they start; the fake then reports them
// RUNNING for AthenaRunningPolls GetQueryExecution calls before their end
// state, and pages the result rows (header row first, as Athena does for
// SELECT) through GetQueryResults.

// AthenaResult is what an executor returns for one statement.
type AthenaResult struct {
	Columns      []string
	Rows         [][]*string // nil = SQL NULL
	BytesScanned int64
}

// AthenaExecutor runs one SQL statement for the fake. Tests plug in canned
// results or a real embedded SQL engine.
type AthenaExecutor interface {
	Execute(sql string) (*AthenaResult, error)
}

// AthenaExecutorFunc adapts a function to AthenaExecutor.
type AthenaExecutorFunc func(sql string) (*AthenaResult, error)

// Execute calls f.
func (f AthenaExecutorFunc) Execute(sql string) (*AthenaResult, error) { return f(sql) }

// AthenaQuery is one statement the fake received.
type AthenaQuery struct {
	ID        string
	SQL       string
	Database  string
	Workgroup string
	Output    string
	State     string // RUNNING, SUCCEEDED, FAILED, CANCELLED
	Reason    string
	result    *AthenaResult
	pollsLeft int
}

type athenaState struct {
	exec    AthenaExecutor
	polls   int
	queries []*AthenaQuery
}

// SetAthenaExecutor sets what runs Athena statements (default: every
// statement succeeds with no rows).
func (s *Server) SetAthenaExecutor(e AthenaExecutor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.athena.exec = e
}

// AthenaRunningPolls makes every later query report RUNNING for n polls.
func (s *Server) AthenaRunningPolls(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.athena.polls = n
}

// AthenaQueries returns the statements received so far, in order.
func (s *Server) AthenaQueries() []AthenaQuery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]AthenaQuery, len(s.athena.queries))
	for i, q := range s.athena.queries {
		out[i] = *q
	}
	return out
}

var athenaOps = map[string]func(*call) (any, *Error){
	"StartQueryExecution": athenaStart,
	"GetQueryExecution":   athenaGet,
	"GetQueryResults":     athenaResults,
	"StopQueryExecution":  athenaStop,
}

func (c *call) sub(obj, name string) string {
	if m, ok := c.body[obj].(map[string]any); ok {
		if v, ok := m[name].(string); ok {
			return v
		}
	}
	return ""
}

func athenaStart(c *call) (any, *Error) {
	sql := c.str("QueryString")
	if strings.TrimSpace(sql) == "" {
		return nil, errf(400, "InvalidRequestException", "QueryString must not be empty")
	}
	st := &c.s.athena
	q := &AthenaQuery{
		ID:  fmt.Sprintf("fake-query-%04d", len(st.queries)+1),
		SQL: sql, Database: c.sub("QueryExecutionContext", "Database"),
		Workgroup: c.str("WorkGroup"), Output: c.sub("ResultConfiguration", "OutputLocation"),
		State: "RUNNING", pollsLeft: st.polls,
	}
	if q.Workgroup == "" {
		q.Workgroup = "primary"
	}
	res := &AthenaResult{}
	var err error
	if st.exec != nil {
		res, err = st.exec.Execute(sql)
	}
	if err != nil {
		q.Reason = err.Error()
		q.result = nil
	} else {
		q.result = res
	}
	st.queries = append(st.queries, q)
	return map[string]any{"QueryExecutionId": q.ID}, nil
}

func (c *call) athenaQuery() (*AthenaQuery, *Error) {
	id := c.str("QueryExecutionId")
	for _, q := range c.s.athena.queries {
		if q.ID == id {
			return q, nil
		}
	}
	return nil, errf(400, "InvalidRequestException", "QueryExecution %s was not found", id)
}

func athenaGet(c *call) (any, *Error) {
	q, err := c.athenaQuery()
	if err != nil {
		return nil, err
	}
	if q.State == "RUNNING" {
		if q.pollsLeft > 0 {
			q.pollsLeft--
		} else if q.result == nil {
			q.State = "FAILED"
		} else {
			q.State = "SUCCEEDED"
		}
	}
	status := map[string]any{"State": q.State}
	if q.Reason != "" && q.State != "RUNNING" {
		status["StateChangeReason"] = q.Reason
	}
	typ := "DML"
	if u := strings.ToUpper(strings.TrimSpace(q.SQL)); strings.HasPrefix(u, "CREATE") || strings.HasPrefix(u, "DROP") {
		typ = "DDL"
	}
	qe := map[string]any{
		"QueryExecutionId": q.ID, "Query": q.SQL, "StatementType": typ, "WorkGroup": q.Workgroup,
		"Status": status,
	}
	if q.State == "SUCCEEDED" {
		qe["Statistics"] = map[string]any{"DataScannedInBytes": q.result.BytesScanned, "EngineExecutionTimeInMillis": 42}
	}
	if q.Database != "" {
		qe["QueryExecutionContext"] = map[string]any{"Database": q.Database}
	}
	return map[string]any{"QueryExecution": qe}, nil
}

func datum(v *string) map[string]any {
	if v == nil {
		return map[string]any{}
	}
	return map[string]any{"VarCharValue": *v}
}

func athenaResults(c *call) (any, *Error) {
	q, err := c.athenaQuery()
	if err != nil {
		return nil, err
	}
	if q.State != "SUCCEEDED" {
		return nil, errf(400, "InvalidRequestException", "Query has not yet finished. Current state: %s", q.State)
	}
	res := q.result
	// Row 0 is the header (column names), as Athena returns for SELECT.
	total := len(res.Rows) + 1
	start := 0
	if tok := c.str("NextToken"); tok != "" {
		dec, derr := base64.RawURLEncoding.DecodeString(tok)
		v, perr := strconv.Atoi(strings.TrimPrefix(string(dec), q.ID+":"))
		if derr != nil || perr != nil || !strings.HasPrefix(string(dec), q.ID+":") || v <= 0 || v > total {
			return nil, errf(400, "InvalidRequestException", "Invalid NextToken %q", tok)
		}
		start = v
	}
	size := 1000
	if m := c.num("MaxResults"); m > 0 && m < size {
		size = m
	}
	if c.s.pageSize > 0 && c.s.pageSize < size {
		size = c.s.pageSize
	}
	end := min(start+size, total)
	rows := []map[string]any{}
	for i := start; i < end; i++ {
		var data []map[string]any
		if i == 0 {
			for _, col := range res.Columns {
				data = append(data, datum(&col))
			}
		} else {
			for _, v := range res.Rows[i-1] {
				data = append(data, datum(v))
			}
		}
		rows = append(rows, map[string]any{"Data": data})
	}
	var cols []map[string]any
	for _, col := range res.Columns {
		cols = append(cols, map[string]any{"Name": col, "Label": col, "Type": "varchar"})
	}
	out := map[string]any{"ResultSet": map[string]any{"Rows": rows, "ResultSetMetadata": map[string]any{"ColumnInfo": cols}}}
	if end < total {
		out["NextToken"] = base64.RawURLEncoding.EncodeToString([]byte(q.ID + ":" + strconv.Itoa(end)))
	}
	return out, nil
}

func athenaStop(c *call) (any, *Error) {
	q, err := c.athenaQuery()
	if err != nil {
		return nil, err
	}
	if q.State == "RUNNING" {
		q.State = "CANCELLED"
		q.Reason = "Query was cancelled by user"
	}
	return map[string]any{}, nil
}
