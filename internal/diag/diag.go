// Package diag is seiri's one kind of diagnostic: a refusal, a warning or a
// validation problem, with a severity, a stable code, a one-line summary, an
// optional detail and an optional subject (a place in a file or a JSON path,
// or the AWS thing it is about). Analyses and the apply flow return
// Diagnostics; views render them; the exit code follows from them. The shape
// follows Terraform's tfdiags.
package diag

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Severity of a diagnostic.
type Severity int

// Severities, from least to most severe.
const (
	Note Severity = iota
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// MarshalText writes the severity as its word.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity word.
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = Error
	case "warning":
		*s = Warning
	case "note":
		*s = Note
	default:
		return fmt.Errorf("severity %q: want error, warning or note", b)
	}
	return nil
}

// Subject is what a diagnostic is about: a place in a file (line and
// column count from 1; 0 is unknown), a JSON path into a document, or a
// named thing (an account, a user, an access key).
type Subject struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	// Path is a JSON path ($.changes[3].params) into File or into the
	// document the command read.
	Path string `json:"path,omitempty"`
	// Account and Resource name an AWS thing (an account id; an ARN, a key
	// id or a user name).
	Account  string `json:"account,omitempty"`
	Resource string `json:"resource,omitempty"`
}

// String renders the subject as file:line:column, path or [account] resource.
func (s *Subject) String() string {
	if s == nil {
		return ""
	}
	var parts []string
	if s.File != "" {
		loc := s.File
		if s.Line > 0 {
			loc += ":" + strconv.Itoa(s.Line)
			if s.Column > 0 {
				loc += ":" + strconv.Itoa(s.Column)
			}
		}
		parts = append(parts, loc)
	}
	if s.Path != "" {
		parts = append(parts, s.Path)
	}
	if s.Account != "" {
		parts = append(parts, "["+s.Account+"]")
	}
	if s.Resource != "" {
		parts = append(parts, s.Resource)
	}
	return strings.Join(parts, " ")
}

// Diagnostic is one refusal, warning or problem.
type Diagnostic struct {
	Severity Severity `json:"severity"`
	// Code is stable and short (e.g. "plan.stale", "keys.lockout"): scripts
	// and tests match it, never the summary's words.
	Code    string   `json:"code"`
	Summary string   `json:"summary"`
	Detail  string   `json:"detail,omitempty"`
	Subject *Subject `json:"subject,omitempty"`
	// Exit is the exit code an Error asks for (see ExitCode); 0 means
	// ExitInput.
	Exit int `json:"-"`
}

// Error renders the diagnostic on one line.
func (d Diagnostic) Error() string {
	s := d.Summary
	if sub := d.Subject.String(); sub != "" {
		s = sub + ": " + s
	}
	if d.Detail != "" {
		s += ": " + d.Detail
	}
	return s
}

// Errorf, Warningf and Notef make diagnostics without a subject.
func Errorf(code, format string, args ...any) Diagnostic {
	return Diagnostic{Severity: Error, Code: code, Summary: fmt.Sprintf(format, args...)}
}

// Warningf makes a warning.
func Warningf(code, format string, args ...any) Diagnostic {
	return Diagnostic{Severity: Warning, Code: code, Summary: fmt.Sprintf(format, args...)}
}

// Notef makes a note.
func Notef(code, format string, args ...any) Diagnostic {
	return Diagnostic{Severity: Note, Code: code, Summary: fmt.Sprintf(format, args...)}
}

// About sets the diagnostic's subject.
func (d Diagnostic) About(s Subject) Diagnostic { d.Subject = &s; return d }

// WithDetail sets the diagnostic's detail.
func (d Diagnostic) WithDetail(format string, args ...any) Diagnostic {
	d.Detail = fmt.Sprintf(format, args...)
	return d
}

// Diagnostics is a list, in the order found.
type Diagnostics []Diagnostic

// Append adds diagnostics; an error that is not a Diagnostic (or a
// Diagnostics) becomes an Error with code "error".
func (ds Diagnostics) Append(items ...any) Diagnostics {
	for _, it := range items {
		switch v := it.(type) {
		case nil:
		case Diagnostic:
			ds = append(ds, v)
		case Diagnostics:
			ds = append(ds, v...)
		case error:
			var d Diagnostic
			var dd Diagnostics
			switch {
			case errors.As(v, &dd):
				ds = append(ds, dd...)
			case errors.As(v, &d):
				ds = append(ds, d)
			default:
				ds = append(ds, Diagnostic{Severity: Error, Code: "error", Summary: v.Error()})
			}
		default:
			panic(fmt.Sprintf("diag: cannot append %T", it))
		}
	}
	return ds
}

// HasErrors reports whether any diagnostic is an Error.
func (ds Diagnostics) HasErrors() bool { return ds.Count(Error) > 0 }

// Count counts the diagnostics of a severity.
func (ds Diagnostics) Count(s Severity) int {
	n := 0
	for _, d := range ds {
		if d.Severity == s {
			n++
		}
	}
	return n
}

// Filter returns the diagnostics of a severity.
func (ds Diagnostics) Filter(s Severity) Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == s {
			out = append(out, d)
		}
	}
	return out
}

// Codes lists the codes in order (for tests and logs).
func (ds Diagnostics) Codes() []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Code
	}
	return out
}

// Error joins the errors' lines; Diagnostics is an error so a function can
// return it where an error is expected and the caller can recover it with
// errors.As.
func (ds Diagnostics) Error() string {
	var lines []string
	for _, d := range ds {
		if d.Severity == Error {
			lines = append(lines, d.Error())
		}
	}
	if len(lines) == 0 {
		return "no errors"
	}
	return strings.Join(lines, "\n")
}

// Err returns the diagnostics as an error when one is an Error, else nil.
func (ds Diagnostics) Err() error {
	if ds.HasErrors() {
		return ds
	}
	return nil
}

// Text writes the diagnostics for people, Terraform-style:
//
//	Error: summary
//	  on org.yaml:12:3
//	  detail
func Text(w io.Writer, ds Diagnostics) {
	for _, d := range ds {
		word := strings.ToUpper(d.Severity.String()[:1]) + d.Severity.String()[1:]
		fmt.Fprintf(w, "%s: %s [%s]\n", word, d.Summary, d.Code)
		if s := d.Subject.String(); s != "" {
			fmt.Fprintf(w, "  on %s\n", s)
		}
		for _, l := range strings.Split(d.Detail, "\n") {
			if l != "" {
				fmt.Fprintf(w, "  %s\n", l)
			}
		}
	}
}

// Exit codes (README, "Exit codes"): what a CI job gates on.
const (
	ExitOK       = 0
	ExitFindings = 1 // findings at or above --fail-on
	ExitInput    = 2 // usage error, bad input, or a refusal
	ExitPartial  = 3 // partial success: some accounts or changes failed; a re-run resumes
	ExitInternal = 4 // unexpected failure (AWS unreachable, disk full, ...)
)

// WithExit sets the exit code an Error asks for.
func (d Diagnostic) WithExit(code int) Diagnostic { d.Exit = code; return d }

// ExitCode is the exit code the diagnostics ask for: 0 without errors,
// otherwise the highest code of an Error (an Error without one asks for
// ExitInput). Warnings and notes never fail a command.
func ExitCode(ds Diagnostics) int {
	code := ExitOK
	for _, d := range ds {
		if d.Severity != Error {
			continue
		}
		c := d.Exit
		if c == 0 {
			c = ExitInput
		}
		code = max(code, c)
	}
	return code
}
