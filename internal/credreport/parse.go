package credreport

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Column names of the credential report, in AWS's order. Format:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html#id_credentials_understanding_the_report_format
const (
	colUser                 = "user"
	colARN                  = "arn"
	colUserCreationTime     = "user_creation_time"
	colPasswordEnabled      = "password_enabled"
	colPasswordLastUsed     = "password_last_used"
	colPasswordLastChanged  = "password_last_changed"
	colPasswordNextRotation = "password_next_rotation"
	colMFAActive            = "mfa_active"
)

// keyCols returns the column names of access key slot n (1 or 2).
func keyCols(n int) (active, rotated, usedDate, usedRegion, usedService string) {
	c := keyColNames[n-1]
	return c[0], c[1], c[2], c[3], c[4]
}

var keyColNames = [2][5]string{
	{"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service"},
	{"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_region", "access_key_2_last_used_service"},
}

func certCols(n int) (active, rotated string) {
	if n == 1 {
		return "cert_1_active", "cert_1_last_rotated"
	}
	return "cert_2_active", "cert_2_last_rotated"
}

// Columns lists every column of the report, in AWS's order.
var Columns = func() []string {
	c := []string{colUser, colARN, colUserCreationTime, colPasswordEnabled, colPasswordLastUsed,
		colPasswordLastChanged, colPasswordNextRotation, colMFAActive}
	for n := 1; n <= 2; n++ {
		a, r, d, g, s := keyCols(n)
		c = append(c, a, r, d, g, s)
	}
	for n := 1; n <= 2; n++ {
		a, r := certCols(n)
		c = append(c, a, r)
	}
	return c
}()

// optional columns may be absent: seiri makes no decision from signing
// certificates, and reports trimmed by other tools sometimes drop them.
func optional(col string) bool { return strings.HasPrefix(col, "cert_") }

// ParseError is a problem at a place in a credential report.
type ParseError struct {
	File   string
	Line   int    // 1-based; 0 when not known
	Column string // column name; "" when the problem is the row or the file
	Value  string // the offending value, trimmed
	Msg    string
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("credential report ")
	fmt.Fprintf(&b, "%q", e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ", column %s", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Value != "" || e.Column != "" {
		fmt.Fprintf(&b, " %q", e.Value)
	}
	return b.String()
}

// maxValue is how much of an offending value an error repeats.
const maxValue = 64

// trim shortens v for an error message, on a rune boundary.
func trim(v string) string {
	v = strings.TrimSpace(v)
	if len(v) <= maxValue {
		return v
	}
	cut := maxValue
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return v[:cut] + "…"
}

// Parse reads a decoded credential report (the CSV that GetCredentialReport
// returns base64-encoded). name is used in errors. Columns are located by
// their header name, so reordered columns are fine; unknown columns are
// ignored and listed in Report.IgnoredColumns; a missing column is an error.
func Parse(r io.Reader, name string) (*Report, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // short and long rows get our own error
	cr.ReuseRecord = true

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &ParseError{File: name, Line: 1, Msg: "empty file: no header line"}
	}
	if err != nil {
		return nil, csvErr(name, err)
	}
	idx := map[string]int{}
	rep := &Report{Rows: []Row{}}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // a BOM from editors on Windows
		}
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := idx[h]; dup {
			return nil, &ParseError{File: name, Line: 1, Column: h, Value: h, Msg: "wrong header: duplicate column"}
		}
		idx[h] = i
		if !known(h) {
			rep.IgnoredColumns = append(rep.IgnoredColumns, trim(h))
		}
	}
	if looksBase64(header) {
		return nil, &ParseError{File: name, Line: 1, Msg: "the file is still base64-encoded (the Content of GetCredentialReport): decode it (base64 -d) or pass the JSON that `aws iam get-credential-report` prints"}
	}
	for _, c := range Columns {
		if _, ok := idx[c]; !ok && !optional(c) {
			return nil, &ParseError{File: name, Line: 1, Msg: fmt.Sprintf("wrong header: missing column %q; header is", c), Value: trim(strings.Join(header, ","))}
		}
	}
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvErr(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line with only spaces
		}
		if len(rec) != len(header) {
			what := "short row"
			if len(rec) > len(header) {
				what = "long row"
			}
			return nil, &ParseError{File: name, Line: line, Value: trim(strings.Join(rec, ",")),
				Msg: fmt.Sprintf("%s: %d fields, header has %d", what, len(rec), len(header))}
		}
		p := rowParser{file: name, line: line, rec: rec, idx: idx}
		row := p.row()
		if p.err != nil {
			return nil, p.err
		}
		if prev, dup := seen[row.User]; dup {
			return nil, &ParseError{File: name, Line: line, Column: colUser, Value: trim(row.User),
				Msg: fmt.Sprintf("duplicate user (first on line %d)", prev)}
		}
		seen[row.User] = line
		rep.Rows = append(rep.Rows, row)
	}
	return rep, nil
}

func known(col string) bool {
	for _, c := range Columns {
		if c == col {
			return true
		}
	}
	return false
}

func csvErr(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ParseError{File: name, Line: pe.Line, Msg: fmt.Sprintf("malformed CSV (column %d): %v", pe.Column, pe.Err)}
	}
	return &ParseError{File: name, Msg: err.Error()}
}

// rowParser reads one record; the first error sticks.
type rowParser struct {
	file string
	line int
	rec  []string
	idx  map[string]int
	err  error
}

func (p *rowParser) fail(col, val, msg string) {
	if p.err == nil {
		p.err = &ParseError{File: p.file, Line: p.line, Column: col, Value: trim(val), Msg: msg}
	}
}

// get returns the column's value; ok is false when the column is absent
// (only possible for optional columns).
func (p *rowParser) get(col string) (string, bool) {
	i, ok := p.idx[col]
	if !ok {
		return "", false
	}
	return strings.TrimSpace(p.rec[i]), true
}

func (p *rowParser) row() Row {
	r := Row{Line: p.line}
	r.User, _ = p.get(colUser)
	if r.User == "" {
		p.fail(colUser, "", "empty user name")
	}
	r.ARN, _ = p.get(colARN)
	if !strings.HasPrefix(r.ARN, "arn:") {
		p.fail(colARN, r.ARN, "not an ARN")
	}
	r.UserCreationTime = p.time(colUserCreationTime)
	r.PasswordEnabled = p.optBool(colPasswordEnabled)
	r.PasswordLastUsed = p.time(colPasswordLastUsed)
	r.PasswordLastChanged = p.time(colPasswordLastChanged)
	r.PasswordNextRotation = p.time(colPasswordNextRotation)
	r.MFAActive = p.bool(colMFAActive)
	for n := 1; n <= 2; n++ {
		a, rot, d, g, s := keyCols(n)
		k := &r.AccessKeys[n-1]
		k.Active = p.bool(a)
		k.LastRotated = p.time(rot)
		k.LastUsedDate = p.time(d)
		k.LastUsedRegion = p.str(g)
		k.LastUsedService = p.str(s)
	}
	for n := 1; n <= 2; n++ {
		a, rot := certCols(n)
		c := &r.Certs[n-1]
		if _, ok := p.get(a); ok {
			c.Active = p.bool(a)
		}
		if _, ok := p.get(rot); ok {
			c.LastRotated = p.time(rot)
		} else {
			c.LastRotated = Time{Missing: NoInformation}
		}
	}
	return r
}

func missing(v string) (Missing, bool) {
	switch v {
	case string(NA), string(NoInformation), string(NotSupported):
		return Missing(v), true
	}
	return Present, false
}

// timeLayouts are the timestamp styles found in reports: AWS's own ISO 8601
// with an offset or Z (optionally with fractional seconds), and the
// space-separated style other tools re-export.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05Z0700",
}

// ParseTime reads one AWS timestamp in any style seen in reports and CLI
// output (the one timestamp parser of seiri's importers).
func ParseTime(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad date %q: want ISO 8601 with an offset, e.g. 2024-01-02T03:04:05+00:00", trim(v))
}

func (p *rowParser) time(col string) Time {
	v, _ := p.get(col)
	if m, ok := missing(v); ok {
		return Time{Missing: m}
	}
	t, err := ParseTime(v)
	if err != nil {
		p.fail(col, v, "bad date")
		return Time{}
	}
	return Time{Time: t}
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func (p *rowParser) bool(col string) bool {
	v, _ := p.get(col)
	b, ok := parseBool(v)
	if !ok {
		p.fail(col, v, "bad boolean (want true or false)")
	}
	return b
}

func (p *rowParser) optBool(col string) Bool {
	v, _ := p.get(col)
	if m, ok := missing(v); ok {
		return Bool{Missing: m}
	}
	b, ok := parseBool(v)
	if !ok {
		p.fail(col, v, "bad boolean (want true, false or not_supported)")
	}
	return Bool{Value: b}
}

// str reads a free-text column; N/A and friends become "".
func (p *rowParser) str(col string) string {
	v, _ := p.get(col)
	if _, ok := missing(v); ok {
		return ""
	}
	return v
}
