package credreport

import (
	"encoding/csv"
	"io"
	"strconv"
)

// Encode writes the report as AWS's CSV (all columns, AWS's order and
// timestamp style), e.g. for fakes and exports. Parse(Encode(r)) == r.
func Encode(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return err
	}
	ts := func(t Time) string {
		if t.Missing != Present {
			return string(t.Missing)
		}
		if t.Time.IsZero() {
			return string(NA)
		}
		return t.Time.UTC().Format("2006-01-02T15:04:05+00:00")
	}
	str := func(s string) string {
		if s == "" {
			return string(NA)
		}
		return s
	}
	for _, row := range r.Rows {
		rec := []string{row.User, row.ARN, ts(row.UserCreationTime)}
		if row.PasswordEnabled.Missing != Present {
			rec = append(rec, string(row.PasswordEnabled.Missing))
		} else {
			rec = append(rec, strconv.FormatBool(row.PasswordEnabled.Value))
		}
		rec = append(rec, ts(row.PasswordLastUsed), ts(row.PasswordLastChanged), ts(row.PasswordNextRotation), strconv.FormatBool(row.MFAActive))
		for _, k := range row.AccessKeys {
			rec = append(rec, strconv.FormatBool(k.Active), ts(k.LastRotated), ts(k.LastUsedDate), str(k.LastUsedRegion), str(k.LastUsedService))
		}
		for _, c := range row.Certs {
			rec = append(rec, strconv.FormatBool(c.Active), ts(c.LastRotated))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
