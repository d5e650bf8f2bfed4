package credreport

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// Form is the shape a credential report file came in.
type Form string

const (
	// FormCSV is the decoded report (what the IAM console downloads).
	FormCSV Form = "CSV"
	// FormAPIJSON is GetCredentialReport's answer as the AWS CLI prints it
	// (`aws iam get-credential-report`): JSON with the CSV base64-encoded in
	// Content (IAM API Reference, GetCredentialReport).
	FormAPIJSON Form = "GetCredentialReport JSON (base64 Content decoded)"
	// FormBase64 is the Content value alone, still base64-encoded.
	FormBase64 Form = "base64-encoded CSV (decoded)"
)

// apiReport is GetCredentialReport's response.
type apiReport struct {
	Content       *string `json:"Content"`
	ReportFormat  string  `json:"ReportFormat"`
	GeneratedTime string  `json:"GeneratedTime"`
}

// ParseAny reads a credential report in any of the forms people hand over:
// the decoded CSV, the JSON `aws iam get-credential-report` prints, or the
// base64 Content alone. It returns the form it read, so that the caller can
// say what it used.
func ParseAny(data []byte, name string) (*Report, Form, error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\ufeff")))
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var a apiReport
		if err := json.Unmarshal(trimmed, &a); err != nil {
			return nil, "", &ParseError{File: name, Msg: "JSON that is not a GetCredentialReport response: " + err.Error()}
		}
		if a.Content == nil {
			return nil, "", &ParseError{File: name, Msg: `JSON without "Content": not a GetCredentialReport response (aws iam get-credential-report)`}
		}
		if a.ReportFormat != "" && a.ReportFormat != "text/csv" {
			return nil, "", &ParseError{File: name, Column: "ReportFormat", Value: trim(a.ReportFormat), Msg: `ReportFormat is not "text/csv":`}
		}
		csv, err := base64.StdEncoding.DecodeString(*a.Content)
		if err != nil {
			return nil, "", &ParseError{File: name, Column: "Content", Msg: "Content is not base64: " + err.Error()}
		}
		rep, err := Parse(bytes.NewReader(csv), name+" (Content)")
		if err != nil {
			return nil, "", err
		}
		if a.GeneratedTime != "" {
			t, err := ParseTime(a.GeneratedTime)
			if err != nil {
				return nil, "", &ParseError{File: name, Column: "GeneratedTime", Value: trim(a.GeneratedTime), Msg: "not a time:"}
			}
			rep.GeneratedTime = t.UTC()
		}
		return rep, FormAPIJSON, nil
	}
	if csv, ok := base64CSV(trimmed); ok {
		rep, err := Parse(bytes.NewReader(csv), name+" (base64-decoded)")
		if err != nil {
			return nil, "", err
		}
		return rep, FormBase64, nil
	}
	rep, err := Parse(bytes.NewReader(data), name)
	if err != nil {
		return nil, "", err
	}
	return rep, FormCSV, nil
}

// base64CSV decodes data when it is a base64 text whose content starts like
// a credential report ("user,arn,").
func base64CSV(data []byte) ([]byte, bool) {
	if len(data) < 8 || bytes.ContainsAny(data[:min(len(data), 64)], ",{") {
		return nil, false
	}
	compact := bytes.Join(bytes.Fields(data), nil)
	out, err := base64.StdEncoding.DecodeString(string(compact))
	if err != nil {
		return nil, false
	}
	head := bytes.ToLower(bytes.TrimPrefix(out, []byte("\ufeff")))
	return out, bytes.HasPrefix(head, []byte("user,")) || bytes.HasPrefix(head, []byte("user\t"))
}

// looksBase64 reports whether a CSV header line is really base64 (a file
// still encoded): Parse then says so instead of "missing column".
func looksBase64(header []string) bool {
	if len(header) != 1 {
		return false
	}
	_, ok := base64CSV([]byte(header[0]))
	return ok
}

// generatedNote renders a report's generation time for messages.
func generatedNote(t time.Time) string {
	if t.IsZero() {
		return "generation time unknown"
	}
	return "generated " + t.UTC().Format(time.RFC3339)
}

// Describe says what was read, for a command to print: the form and the
// generation time.
func Describe(rep *Report, form Form) string {
	return fmt.Sprintf("%s, %d rows, %s", form, len(rep.Rows), generatedNote(rep.GeneratedTime))
}
