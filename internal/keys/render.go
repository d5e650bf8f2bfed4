package keys

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/table"
	"github.com/seiri-dev/seiri/internal/usage"
)

// RenderCandidates writes the candidates with their evidence: the summary
// first (the counts), then what the summary rests on (the usage note, the
// log coverage), then each candidate, the exclusions and the accounts that
// could not be judged.
func RenderCandidates(w io.Writer, res Result, now time.Time, note string) {
	refused := 0
	for _, c := range res.Candidates {
		if c.Refused != "" {
			refused++
		}
	}
	fmt.Fprintf(w, "%d candidate keys (%d refused by lockout protection), %d excluded.\n\n", len(res.Candidates), refused, len(res.Excluded))
	if note != "" {
		fmt.Fprintf(w, "! %s\n\n", note)
	}
	RenderLogCoverage(w, res.Logs)
	if len(res.Candidates) == 0 {
		fmt.Fprintln(w, "No access key looks unused.")
	}
	for i, c := range res.Candidates {
		last := "never used"
		if c.LastUsed != nil {
			last = fmt.Sprintf("last used %s (%d days ago)", c.LastUsed.Format("2006-01-02"), daysAgo(*c.LastUsed, now))
		}
		fmt.Fprintf(w, "%d. [%s] %s  %s  %s%s\n", i+1, c.Account, c.User, c.AccessKeyID, last, marks(c.Coverage, c.Refused))
		writeRefusal(w, c.Refused)
		tw := table.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, ev := range c.Evidence {
			v := ev.Value()
			fmt.Fprintf(tw, "     %s\t%s\t%s\n", ev.Source, v, ev.Detail)
		}
		tw.Flush()
		if c.Coverage.Complete() {
			fmt.Fprintf(w, "     coverage: complete (trail in every region, %d days of logs)\n", c.Coverage.DaysScanned)
		} else {
			for _, g := range c.Coverage.Gaps {
				fmt.Fprintf(w, "     coverage gap: %s\n", g)
			}
		}
	}
	for _, x := range res.Excluded {
		fmt.Fprintf(w, "excluded: [%s] %s %s: %s\n", x.Account, x.User, x.AccessKeyID, x.Reason)
	}
	if res.Skipped > 0 {
		fmt.Fprintf(w, "skipped: %d keys of imported accounts (keys not listed)\n", res.Skipped)
	}
	for _, g := range res.Unjudged {
		fmt.Fprintf(w, "! %s\n", g)
	}
}

// RenderUserCandidates writes the inactive users with their evidence: the
// summary first, then the usage note, the log coverage, each user, the
// exclusions and the accounts that could not be judged.
func RenderUserCandidates(w io.Writer, res UserResult, now time.Time, note string) {
	fmt.Fprintf(w, "%d inactive users, %d excluded.\n\n", len(res.Candidates), len(res.Excluded))
	if note != "" {
		fmt.Fprintf(w, "! %s\n\n", note)
	}
	RenderLogCoverage(w, res.Logs)
	for i, c := range res.Candidates {
		last := "never"
		if c.LastActivity != nil {
			last = fmt.Sprintf("%s (%d days ago)", c.LastActivity.Format("2006-01-02"), daysAgo(*c.LastActivity, now))
		}
		fmt.Fprintf(w, "%d. [%s] %s  last activity %s%s\n", i+1, c.Account, c.User, last, marks(c.Coverage, c.Refused))
		writeRefusal(w, c.Refused)
		for _, ev := range c.Evidence {
			fmt.Fprintf(w, "     %s\n", strings.TrimSpace(fmt.Sprintf("%s: %s %s", ev.Source, ev.Value(), ev.Detail)))
		}
		for _, g := range c.Coverage.Gaps {
			fmt.Fprintf(w, "     coverage gap: %s\n", g)
		}
	}
	for _, x := range res.Excluded {
		fmt.Fprintf(w, "excluded: [%s] %s: %s\n", x.Account, x.User, x.Reason)
	}
	for _, g := range res.Unjudged {
		fmt.Fprintf(w, "! %s\n", g)
	}
}

func daysAgo(t, now time.Time) int { return int(now.Sub(t).Hours() / 24) }

// marks are a candidate's flags: silence that may be unlogged, a refusal
// (its reason on the next line, writeRefusal: the headline stays short).
func marks(c Coverage, refused string) string {
	mark := ""
	if !c.Complete() {
		mark = "  [silence may be unlogged]"
	}
	if refused != "" {
		mark += "  [refused]"
	}
	return mark
}

// writeRefusal writes why a candidate is refused, under its headline.
func writeRefusal(w io.Writer, refused string) {
	if refused != "" {
		fmt.Fprintf(w, "     refused: %s\n", refused)
	}
}

// RenderLogCoverage writes the CloudTrail log coverage per account and
// region (nothing when no log file was scanned).
func RenderLogCoverage(w io.Writer, logs []AccountLogs) {
	if len(logs) == 0 {
		return
	}
	fmt.Fprintln(w, "CloudTrail logs scanned, per account and region")
	fmt.Fprintln(w, "(coverage starts at the latest of the window's start, the first scanned log and the trail's start of logging):")
	for _, a := range logs {
		fmt.Fprintf(w, "  [%s] %d of %d days\n", a.Account, a.Days, a.Want)
		for _, r := range a.Regions {
			fmt.Fprintf(w, "    %s\n", r)
		}
	}
	fmt.Fprintln(w)
}

// DemoRetirement is the demo's retirement section: which keys seiri keys
// disable would disable (unused 90 days, never-used keys included), with
// their evidence and its coverage. rows and runs come from the usage store
// when the demo has one (nil: CloudTrail evidence is missing, and said so).
func DemoRetirement(w io.Writer, snap *snapshot.Snapshot, cfg config.Keys, now time.Time, rows []usage.Row, runs []usage.Run) Result {
	in := Input{Snapshot: snap, Config: cfg, Now: now, Runs: runs, KeyUsage: map[string][]usage.Row{}, Caller: Caller{ARN: snap.Manifest.CallerARN}}
	for _, r := range rows {
		if r.AccessKeyID != "" {
			in.KeyUsage[r.AccessKeyID] = append(in.KeyUsage[r.AccessKeyID], r)
		}
	}
	res := Candidates(in, Options{UnusedDays: 90, IncludeNeverUsed: true})
	fmt.Fprintln(w, "Access keys seiri would retire (seiri keys disable --days 90 --include-never-used):")
	note := ""
	if rows == nil {
		note = "no CloudTrail usage in this run: evidence from GetAccessKeyLastUsed, the credential report and Access Advisor only"
	}
	RenderCandidates(w, res, now, note)
	return res
}
