// Package credreport parses and models the IAM credential report
// (GetCredentialReport, decoded CSV). Column meanings:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
package credreport

import "time"

// RootUser is the user column value of the root account's row.
const RootUser = "<root_account>"

// Missing says why a report value is absent. AWS writes N/A (never, or not
// applicable), no_information (not tracked at that time) or not_supported
// (e.g. password_enabled of the root user).
type Missing string

const (
	Present       Missing = ""
	NA            Missing = "N/A"
	NoInformation Missing = "no_information"
	NotSupported  Missing = "not_supported"
)

// Time is a report timestamp that may be absent, and says why.
type Time struct {
	Time    time.Time `json:"time,omitzero"`
	Missing Missing   `json:"missing,omitempty"`
}

// Valid reports whether the value is a real timestamp.
func (t Time) Valid() bool { return t.Missing == Present && !t.Time.IsZero() }

// Bool is a report boolean that may be absent (not_supported for the root
// user's password_enabled).
type Bool struct {
	Value   bool    `json:"value"`
	Missing Missing `json:"missing,omitempty"`
}

// KeySlot is one of the report's two access key slots. A slot is not a key
// id: match it to a real AccessKeyId by creation time (LastRotated equals the
// key's CreateDate). See MatchKeys.
type KeySlot struct {
	Active          bool   `json:"active"`
	LastRotated     Time   `json:"lastRotated"`
	LastUsedDate    Time   `json:"lastUsedDate"`
	LastUsedRegion  string `json:"lastUsedRegion,omitempty"`  // "" when N/A
	LastUsedService string `json:"lastUsedService,omitempty"` // "" when N/A
}

// CertSlot is one of the report's two signing certificate slots.
type CertSlot struct {
	Active      bool `json:"active"`
	LastRotated Time `json:"lastRotated"`
}

// Row is one user (or the root account) of the report.
type Row struct {
	User                 string      `json:"user"`
	ARN                  string      `json:"arn"`
	UserCreationTime     Time        `json:"userCreationTime"`
	PasswordEnabled      Bool        `json:"passwordEnabled"`
	PasswordLastUsed     Time        `json:"passwordLastUsed"`
	PasswordLastChanged  Time        `json:"passwordLastChanged"`
	PasswordNextRotation Time        `json:"passwordNextRotation"`
	MFAActive            bool        `json:"mfaActive"`
	AccessKeys           [2]KeySlot  `json:"accessKeys"`
	Certs                [2]CertSlot `json:"certs"`
	// Line is the 1-based CSV line the row came from (0 when not parsed).
	Line int `json:"-"`
}

// IsRoot reports whether the row is the root account's.
func (r *Row) IsRoot() bool { return r.User == RootUser }

// Report is a parsed credential report.
type Report struct {
	GeneratedTime time.Time `json:"generatedTime,omitzero"`
	Rows          []Row     `json:"rows"`
	// IgnoredColumns are header columns seiri does not know (a newer report
	// format); their values are skipped.
	IgnoredColumns []string `json:"ignoredColumns,omitempty"`
}

// Root returns the root account's row, or nil.
func (r *Report) Root() *Row {
	for i := range r.Rows {
		if r.Rows[i].IsRoot() {
			return &r.Rows[i]
		}
	}
	return nil
}

// User returns the row of the named IAM user, or nil.
func (r *Report) User(name string) *Row {
	for i := range r.Rows {
		if r.Rows[i].User == name {
			return &r.Rows[i]
		}
	}
	return nil
}
