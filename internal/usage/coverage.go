package usage

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"
)

// LogCoverage is what the scanned CloudTrail log objects of one account and
// region cover: the delivery times of the first and last log file read.
type LogCoverage struct {
	Account string    `json:"account"`
	Region  string    `json:"region"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
	Objects int       `json:"objects"`
}

// LogCoverageOf reads the scanned-object marks of every source and folds
// them per account and region. Log files are named
// <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz under
// .../<account>/CloudTrail/<region>/YYYY/MM/DD/ (CloudTrail user guide,
// "Finding your CloudTrail log files"); the time in the name is when the
// file was written. Objects outside that layout (digests, other files) are
// counted in skipped and cover nothing.
func (s *Store) LogCoverageOf(ctx context.Context) (out []LogCoverage, skipped int, err error) {
	// Marks folded into the ledger's folder rows (schema 8) count too.
	rs, err := s.db.QueryContext(ctx, `SELECT s.dir, s.entries, o.dir, o.entries FROM scanned_dirs s LEFT JOIN objects o ON o.dir = s.ldir`)
	if err != nil {
		return nil, 0, err
	}
	defer rs.Close()
	type key struct{ account, region string }
	cov := map[key]*LogCoverage{}
	for rs.Next() {
		var dir string
		var ldir sql.NullString
		var blob, folded []byte
		if err := rs.Scan(&dir, &blob, &ldir, &folded); err != nil {
			return nil, 0, err
		}
		marks := map[string]ObjectMark{}
		if err := decodeEntries(dir, false, blob, marks); err != nil {
			return nil, 0, fmt.Errorf("scanned objects of %s: %w", dir, err)
		}
		if ldir.Valid {
			if err := foldedMarks(dir, ldir.String, folded, marks); err != nil {
				return nil, 0, fmt.Errorf("object ledger %s: %w", ldir.String, err)
			}
		}
		acct, region, ok := logDir(dir)
		for path := range marks {
			_, name := splitKey(path)
			at, ok2 := logFileTime(name, acct, region)
			if !ok || !ok2 {
				skipped++
				continue
			}
			k := key{acct, region}
			c := cov[k]
			if c == nil {
				c = &LogCoverage{Account: acct, Region: region, First: at, Last: at}
				cov[k] = c
			}
			c.Objects++
			if at.Before(c.First) {
				c.First = at
			}
			if at.After(c.Last) {
				c.Last = at
			}
		}
	}
	if err := rs.Err(); err != nil {
		return nil, 0, err
	}
	for _, c := range cov {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Account != out[j].Account {
			return out[i].Account < out[j].Account
		}
		return out[i].Region < out[j].Region
	})
	return out, skipped, nil
}

// logDir finds the account and region of a log folder: the segments around
// "CloudTrail" (digest folders are "CloudTrail-Digest" and do not match).
func logDir(dir string) (account, region string, ok bool) {
	seg := strings.Split(dir, "/")
	for i := 1; i+1 < len(seg); i++ {
		if seg[i] == "CloudTrail" && len(seg[i-1]) == 12 && seg[i+1] != "" {
			return seg[i-1], seg[i+1], true
		}
	}
	return "", "", false
}

func logFileTime(name, account, region string) (time.Time, bool) {
	f := strings.Split(name, "_")
	if len(f) < 5 || f[0] != account || f[1] != "CloudTrail" || f[2] != region {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T1504Z", f[3])
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}
