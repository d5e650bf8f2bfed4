package credreport

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestParseAnyForms reads the same report as the decoded CSV, as the JSON
// `aws iam get-credential-report` prints (shape and GeneratedTime from the
// AWS CLI's own example, awscli/examples/iam/get-credential-report.rst, with
// Content holding the CSV as GetCredentialReport returns it: base64), and as
// the base64 Content alone (wrapped at 76 columns, as base64(1) writes).
func TestParseAnyForms(t *testing.T) {
	csv, err := os.ReadFile("testdata/report.csv")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Parse(bytes.NewReader(csv), "report.csv")
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.StdEncoding.EncodeToString(csv)
	api, _ := json.Marshal(map[string]string{"Content": enc, "ReportFormat": "text/csv", "GeneratedTime": "2015-06-17T19:11:50Z"})
	var wrapped strings.Builder
	for i := 0; i < len(enc); i += 76 {
		wrapped.WriteString(enc[i:min(i+76, len(enc))])
		wrapped.WriteByte('\n')
	}
	tests := []struct {
		name string
		data []byte
		form Form
		gen  time.Time
	}{
		{"csv", csv, FormCSV, time.Time{}},
		{"api json", api, FormAPIJSON, time.Date(2015, 6, 17, 19, 11, 50, 0, time.UTC)},
		{"base64", []byte(wrapped.String()), FormBase64, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, form, err := ParseAny(tt.data, "f")
			if err != nil {
				t.Fatal(err)
			}
			if form != tt.form {
				t.Errorf("form %q, want %q", form, tt.form)
			}
			if !got.GeneratedTime.Equal(tt.gen) {
				t.Errorf("GeneratedTime %v, want %v", got.GeneratedTime, tt.gen)
			}
			if diff := cmp.Diff(want.Rows, got.Rows); diff != "" {
				t.Errorf("rows (-csv +%s):\n%s", tt.name, diff)
			}
		})
	}
}

func TestParseAnyErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"json without Content", `{"ReportFormat":"text/csv"}`, `JSON without "Content"`},
		{"wrong format", `{"Content":"","ReportFormat":"text/html"}`, `ReportFormat is not "text/csv"`},
		{"content not base64", `{"Content":"%%%","ReportFormat":"text/csv"}`, "Content is not base64"},
		{"bad time", `{"Content":"` + base64.StdEncoding.EncodeToString([]byte(strings.Join(Columns, ",")+"\n")) + `","GeneratedTime":"yesterday"}`, `column GeneratedTime: not a time: "yesterday"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseAny([]byte(tt.in), "r.json")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// TestParseSaysStillBase64: the CSV parser, handed a file that is still
// encoded, says so rather than "missing column".
func TestParseSaysStillBase64(t *testing.T) {
	csv, _ := os.ReadFile("testdata/report.csv")
	_, err := Parse(strings.NewReader(base64.StdEncoding.EncodeToString(csv)), "r.csv")
	if err == nil || !strings.Contains(err.Error(), "still base64-encoded") {
		t.Fatalf("error %v", err)
	}
}

func FuzzParseAny(f *testing.F) {
	csv, _ := os.ReadFile("testdata/report.csv")
	f.Add(csv)
	f.Add([]byte(`{"Content":"` + base64.StdEncoding.EncodeToString(csv) + `","ReportFormat":"text/csv","GeneratedTime":"2015-06-17T19:11:50Z"}`))
	f.Add([]byte(base64.StdEncoding.EncodeToString(csv)))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, form, err := ParseAny(data, "fuzz")
		if err == nil && (rep == nil || form == "") {
			t.Fatalf("no error but report %v form %q", rep, form)
		}
	})
}
