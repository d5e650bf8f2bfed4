package credreport

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ts(s string) Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return Time{Time: t.UTC()}
}

var header = strings.Join(Columns, ",")

func TestParseFile(t *testing.T) {
	f, err := os.Open("testdata/report.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := Parse(f, "testdata/report.csv")
	if err != nil {
		t.Fatal(err)
	}
	na := Time{Missing: NA}
	want := &Report{Rows: []Row{
		{
			User: RootUser, ARN: "arn:aws:iam::123456789012:root", Line: 2,
			UserCreationTime:     ts("2020-01-01T00:00:00Z"),
			PasswordEnabled:      Bool{Missing: NotSupported},
			PasswordLastUsed:     ts("2024-05-01T10:00:00Z"),
			PasswordLastChanged:  Time{Missing: NotSupported},
			PasswordNextRotation: Time{Missing: NotSupported},
			MFAActive:            true,
			AccessKeys:           [2]KeySlot{{LastRotated: na, LastUsedDate: na}, {LastRotated: na, LastUsedDate: na}},
			Certs:                [2]CertSlot{{LastRotated: na}, {LastRotated: na}},
		},
		{
			User: "alice", ARN: "arn:aws:iam::123456789012:user/alice", Line: 3,
			UserCreationTime:     ts("2021-02-03T04:05:06Z"),
			PasswordEnabled:      Bool{Value: true},
			PasswordLastUsed:     ts("2024-05-02T11:12:13Z"),
			PasswordLastChanged:  ts("2023-01-01T00:00:00Z"),
			PasswordNextRotation: ts("2023-04-01T00:00:00Z"),
			MFAActive:            true,
			AccessKeys: [2]KeySlot{
				{Active: true, LastRotated: ts("2021-02-03T04:05:06Z"), LastUsedDate: ts("2024-05-03T00:00:00Z"), LastUsedRegion: "us-east-1", LastUsedService: "s3"},
				{LastRotated: na, LastUsedDate: na},
			},
			Certs: [2]CertSlot{{LastRotated: na}, {LastRotated: na}},
		},
		{
			User: "svc-ci", ARN: "arn:aws:iam::123456789012:user/ci/svc-ci", Line: 4,
			UserCreationTime:     ts("2019-06-07T08:09:10Z"),
			PasswordEnabled:      Bool{Value: false},
			PasswordLastUsed:     Time{Missing: NoInformation},
			PasswordLastChanged:  na,
			PasswordNextRotation: na,
			AccessKeys: [2]KeySlot{
				{Active: true, LastRotated: ts("2022-01-01T00:00:00Z"), LastUsedDate: ts("2024-04-30T23:59:59Z"), LastUsedRegion: "eu-west-1", LastUsedService: "sts"},
				{Active: true, LastRotated: ts("2023-06-01T12:00:00Z"), LastUsedDate: na},
			},
			Certs: [2]CertSlot{{Active: true, LastRotated: ts("2020-01-01T00:00:00Z")}, {LastRotated: na}},
		},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
	if r := got.Root(); r == nil || r.ARN != "arn:aws:iam::123456789012:root" {
		t.Errorf("Root() = %+v", r)
	}
	if u := got.User("svc-ci"); u == nil || u.Line != 4 {
		t.Errorf("User(svc-ci) = %+v", u)
	}
}

// row builds a CSV line in Columns order from overrides.
func row(over map[string]string) string {
	base := map[string]string{
		"user": "bob", "arn": "arn:aws:iam::111111111111:user/bob", "user_creation_time": "2022-01-01T00:00:00+00:00",
		"password_enabled": "false", "mfa_active": "false",
		"access_key_1_active": "false", "access_key_2_active": "false",
		"cert_1_active": "false", "cert_2_active": "false",
	}
	var f []string
	for _, c := range Columns {
		v, ok := over[c]
		if !ok {
			v, ok = base[c]
		}
		if !ok {
			v = "N/A"
		}
		f = append(f, v)
	}
	return strings.Join(f, ",")
}

func TestParseValues(t *testing.T) {
	tests := []struct {
		name string
		over map[string]string
		want func(r *Row) any
		exp  any
	}{
		{"offset +00:00", map[string]string{"password_last_used": "2024-01-02T03:04:05+00:00"},
			func(r *Row) any { return r.PasswordLastUsed }, ts("2024-01-02T03:04:05Z")},
		{"Z", map[string]string{"password_last_used": "2024-01-02T03:04:05Z"},
			func(r *Row) any { return r.PasswordLastUsed }, ts("2024-01-02T03:04:05Z")},
		{"space style", map[string]string{"password_last_used": "2022-08-07 12:55:43+00:00"},
			func(r *Row) any { return r.PasswordLastUsed }, ts("2022-08-07T12:55:43Z")},
		{"non-UTC offset is normalised", map[string]string{"password_last_used": "2024-01-02T05:04:05+02:00"},
			func(r *Row) any { return r.PasswordLastUsed }, ts("2024-01-02T03:04:05Z")},
		{"fractional seconds", map[string]string{"password_last_used": "2024-01-02T03:04:05.250Z"},
			func(r *Row) any { return r.PasswordLastUsed.Time.Nanosecond() }, 250000000},
		{"no_information", map[string]string{"access_key_1_last_used_date": "no_information"},
			func(r *Row) any { return r.AccessKeys[0].LastUsedDate }, Time{Missing: NoInformation}},
		{"not_supported password", map[string]string{"password_enabled": "not_supported"},
			func(r *Row) any { return r.PasswordEnabled }, Bool{Missing: NotSupported}},
		{"TRUE upper case", map[string]string{"mfa_active": "TRUE"},
			func(r *Row) any { return r.MFAActive }, true},
		{"region N/A is empty", map[string]string{"access_key_2_last_used_region": "N/A"},
			func(r *Row) any { return r.AccessKeys[1].LastUsedRegion }, ""},
		{"service kept", map[string]string{"access_key_2_last_used_service": "iam"},
			func(r *Row) any { return r.AccessKeys[1].LastUsedService }, "iam"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Parse(strings.NewReader(header+"\n"+row(tt.over)+"\n"), "r.csv")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.exp, tt.want(&rep.Rows[0])); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseReorderedAndExtraColumns(t *testing.T) {
	cols := append([]string{}, Columns...)
	// Reverse the order and add two unknown columns.
	for i, j := 0, len(cols)-1; i < j; i, j = i+1, j-1 {
		cols[i], cols[j] = cols[j], cols[i]
	}
	cols = append(cols, "future_column", "another")
	orig := strings.Split(row(map[string]string{"mfa_active": "true", "user": "carol"}), ",")
	pos := map[string]string{}
	for i, c := range Columns {
		pos[c] = orig[i]
	}
	var vals []string
	for _, c := range cols {
		vals = append(vals, pos[c]) // "" for unknown columns
	}
	in := strings.Join(cols, ",") + "\n" + strings.Join(vals, ",") + "\n"
	rep, err := Parse(strings.NewReader(in), "r.csv")
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Rows[0]; got.User != "carol" || !got.MFAActive {
		t.Errorf("row = %+v", got)
	}
	if diff := cmp.Diff([]string{"future_column", "another"}, rep.IgnoredColumns); diff != "" {
		t.Errorf("IgnoredColumns (-want +got):\n%s", diff)
	}
}

func TestParseWithoutCertColumns(t *testing.T) {
	cols := Columns[:len(Columns)-4]
	vals := strings.Split(row(nil), ",")[:len(cols)]
	rep, err := Parse(strings.NewReader(strings.Join(cols, ",")+"\n"+strings.Join(vals, ",")+"\n"), "r.csv")
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Rows[0].Certs[0].LastRotated.Missing; got != NoInformation {
		t.Errorf("cert slot = %q, want no_information", got)
	}
}

func TestParseEmptyReport(t *testing.T) {
	rep, err := Parse(strings.NewReader(header+"\n"), "r.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 0 {
		t.Errorf("rows = %d", len(rep.Rows))
	}
}

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("x", 500)
	tests := []struct {
		name string
		in   string
		want string // the whole error message
	}{
		{"empty", "", `credential report "r.csv": line 1: empty file: no header line`},
		{"wrong header", "name,arn\nbob,arn:aws:iam::1:user/bob\n",
			`credential report "r.csv": line 1: wrong header: missing column "user"; header is "name,arn"`},
		{"missing column", strings.Replace(header, ",mfa_active", "", 1) + "\n",
			`credential report "r.csv": line 1: wrong header: missing column "mfa_active"; header is "` + trim(strings.Replace(header, ",mfa_active", "", 1)) + `"`},
		{"duplicate column", header + ",user\n",
			`credential report "r.csv": line 1, column user: wrong header: duplicate column "user"`},
		{"short row", header + "\n" + row(nil) + "\nbob,arn:aws:iam::1:user/bob\n",
			`credential report "r.csv": line 3: short row: 2 fields, header has 22 "bob,arn:aws:iam::1:user/bob"`},
		{"long row", header + "\n" + row(nil) + ",extra\n",
			`credential report "r.csv": line 2: long row: 23 fields, header has 22 "` + trim(row(nil)+",extra") + `"`},
		{"bad date", header + "\n" + row(map[string]string{"password_last_used": " 2024-13-45 "}) + "\n",
			`credential report "r.csv": line 2, column password_last_used: bad date "2024-13-45"`},
		{"date without offset", header + "\n" + row(map[string]string{"user_creation_time": "2024-01-02T03:04:05"}) + "\n",
			`credential report "r.csv": line 2, column user_creation_time: bad date "2024-01-02T03:04:05"`},
		{"bad boolean", header + "\n" + row(map[string]string{"mfa_active": "yes"}) + "\n",
			`credential report "r.csv": line 2, column mfa_active: bad boolean (want true or false) "yes"`},
		{"bad password_enabled", header + "\n" + row(map[string]string{"password_enabled": "1"}) + "\n",
			`credential report "r.csv": line 2, column password_enabled: bad boolean (want true, false or not_supported) "1"`},
		{"long value trimmed", header + "\n" + row(map[string]string{"access_key_1_active": long}) + "\n",
			`credential report "r.csv": line 2, column access_key_1_active: bad boolean (want true or false) "` + strings.Repeat("x", 64) + `…"`},
		{"empty user", header + "\n" + row(map[string]string{"user": ""}) + "\n",
			`credential report "r.csv": line 2, column user: empty user name ""`},
		{"not an arn", header + "\n" + row(map[string]string{"arn": "bob"}) + "\n",
			`credential report "r.csv": line 2, column arn: not an ARN "bob"`},
		{"duplicate user", header + "\n" + row(nil) + "\n" + row(nil) + "\n",
			`credential report "r.csv": line 3, column user: duplicate user (first on line 2) "bob"`},
		{"bare quote", header + "\n" + `bo"b` + row(nil)[3:] + "\n",
			`credential report "r.csv": line 2: malformed CSV (column 3): bare " in non-quoted-field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in), "r.csv")
			if err == nil {
				t.Fatal("no error")
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error %T is not a *ParseError", err)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseHeaderCaseAndSpaces(t *testing.T) {
	h := strings.ReplaceAll(strings.ToUpper(header), ",", " , ")
	rep, err := Parse(strings.NewReader(h+"\n"+row(nil)+"\n"), "r.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 1 || rep.Rows[0].User != "bob" {
		t.Errorf("got %+v", rep)
	}
}

func TestParseBOM(t *testing.T) {
	rep, err := Parse(strings.NewReader("\ufeff"+header+"\n"+row(nil)+"\n"), "r.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 1 || len(rep.IgnoredColumns) != 0 {
		t.Errorf("got %+v", rep)
	}
}

func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("testdata/report.csv"); err == nil {
		f.Add(string(data))
	}
	f.Add(header + "\n" + row(nil) + "\n")
	f.Add(header + "\n" + row(map[string]string{"password_last_used": "2022-08-07 12:55:43+00:00"}) + "\n")
	f.Add("user,arn\n\"a\nb\",c\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		rep, err := Parse(strings.NewReader(in), "fuzz.csv")
		if err != nil {
			if rep != nil {
				t.Fatal("report and error")
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			return
		}
		for _, r := range rep.Rows {
			if r.User == "" || r.Line < 2 {
				t.Fatalf("bad row %+v", r)
			}
			for _, tm := range []Time{r.UserCreationTime, r.PasswordLastUsed, r.AccessKeys[0].LastRotated} {
				if tm.Missing == Present && tm.Time.Location() != time.UTC {
					t.Fatalf("time not UTC: %v", tm.Time)
				}
			}
		}
	})
}
