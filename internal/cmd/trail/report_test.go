package trail

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/trail"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// unstable are the parts of a report that change from run to run: the
// scan's duration and the wall-clock times of the scans.
var unstable = []*regexp.Regexp{
	regexp.MustCompile(`(duration +)[0-9.µnms]+`),
	regexp.MustCompile(`("durationNs": )[0-9]+`),
	regexp.MustCompile(`(duration,)[0-9.µnms]+`),
	regexp.MustCompile(`("finishedAt": )"[^"]*"`), // the scan's start plus its duration
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	masks := make([]cmdtest.Mask, len(unstable))
	for i, re := range unstable {
		masks[i] = cmdtest.Mask{RE: re, Repl: "${1}X"}
	}
	cmdtest.Golden(t, name, "", got, *update, masks...)
}

// Issue 15: every trail report names what it used: the scan its sources,
// window and scope and every count; usage, errors, stats and unmapped the
// store, the sources its scans read and the window asked.
func TestTrailReportsNameWhatTheyUsed(t *testing.T) {
	logs := trailCorpus(t)
	ws := filepath.Join(t.TempDir(), "ws")
	clean := strings.NewReplacer(ws, "WS", logs, "LOGS")
	run := func(name string, args ...string) {
		t.Helper()
		out, errOut, code := runTrail(t, append([]string{"--workspace", ws}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		if strings.Contains(out, "%") && !strings.Contains(out, "mapping coverage          100.00%") {
			t.Errorf("%v: a percentage other than the scan's coverage:\n%s", args, out)
		}
		golden(t, name+".golden", clean.Replace(out+"--- stderr\n"+errOut))
	}
	run("scan.table", "trail", "scan", "--source", logs, "--since", "2026-11-01", "--until", "2026-11-03", "--account", "111111111111,222222222222")
	run("rescan.json", "trail", "scan", "--source", logs, "-o", "json")
	run("usage.table", "trail", "usage", "--principal", "arn:aws:iam::111111111111:user/alice", "--since", "2026-11-02")
	run("usage.csv", "trail", "errors", "--days", "2", "-o", "csv", "--limit", "2")
	run("stats.json", "trail", "stats", "-o", "json")
	run("unmapped.table", "trail", "unmapped")
}

// Issue 15: a scan that reads nothing (an empty folder, or --since after
// every file) warns, exits 2 and prints no coverage figure over zero
// records, in table and JSON.
func TestTrailScanNothingRead(t *testing.T) {
	logs := trailCorpus(t)
	empty := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"empty.table", []string{"--source", empty}},
		{"since-after.table", []string{"--source", logs, "--since", "2026-11-03T12:00:00Z"}},
		{"since-after.json", []string{"--source", logs, "--since", "2026-11-03T12:00:00Z", "-o", "json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := filepath.Join(t.TempDir(), "ws")
			out, errOut, code := runTrail(t, append([]string{"--workspace", ws, "trail", "scan"}, tc.args...)...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if strings.Contains(out, "%") || strings.Contains(out, `"coverage": 0`) {
				t.Errorf("a coverage figure over no record:\n%s", out)
			}
			golden(t, "nothing-"+tc.name+".golden", strings.NewReplacer(ws, "WS", logs, "LOGS", empty, "EMPTY").Replace(out+"--- stderr\n"+errOut))
		})
	}
}

// Issue 15: the trail read commands pointed at a missing workspace say
// there is none and what to run, exit 2 and create nothing.
func TestTrailMissingWorkspace(t *testing.T) {
	for _, args := range [][]string{{"trail", "usage"}, {"trail", "errors"}, {"trail", "stats"}, {"trail", "unmapped"}} {
		ws := filepath.Join(t.TempDir(), "wsx")
		_, errOut, code := runTrail(t, append([]string{"--workspace", ws}, args...)...)
		if code != 2 || errOut != "seiri: no workspace at "+ws+"; run `seiri collect` or `seiri demo` first (or pass --workspace)\n" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
		if _, err := os.Stat(ws); err == nil {
			t.Errorf("%v created the workspace", args)
		}
	}
}

// nothingRead says why a scan recorded nothing, from its counts alone.
func TestNothingRead(t *testing.T) {
	tests := []struct {
		s     trail.Summary
		since string
		msg   string
		fail  bool
	}{
		{trail.Summary{Records: 5, Mapped: 5}, "", "", false},
		{trail.Summary{Records: 5, NotAuthz: 5}, "", "", false},
		{trail.Summary{Records: 4, RecordsOutside: 4}, "", "nothing was recorded: all 4 records read are outside the filter (--since/--until)", true},
		{trail.Summary{FilesListed: 3, FilesAlreadyScanned: 3}, "", "nothing new: all 3 files were scanned before", false},
		{trail.Summary{FoldersUnchanged: 4, FilesInUnchangedFolders: 1100}, "", "nothing new: the 4 folders (1100 log files) are unchanged since they were scanned", false},
		{trail.Summary{FoldersUnchanged: 4, FilesInUnchangedFolders: 1100, FilesListed: 7, FilesAlreadyScanned: 7}, "",
			"nothing new: 4 folders (1100 files) unchanged since they were scanned, and the 7 files listed were scanned before", false},
		{trail.Summary{PrunedByFilter: 6}, "2026-12-01", "nothing was read: every log folder of the source (6) is outside the window or scope (--since/--until, --account, --regions)", true},
		{trail.Summary{}, "", "nothing was read: the source holds no CloudTrail log files (check --source: the folder or prefix that holds AWSLogs/…)", true},
		{trail.Summary{FilesListed: 23, FilesRead: 23}, "1h", "nothing was recorded: the 23 files read hold no records", true},
		{trail.Summary{FilesListed: 23, FilesRead: 23, FilesAlreadyCounted: 23}, "", "nothing new: the 23 files read were counted before (a copy, the same logs under another path, or touched files)", false},
		{trail.Summary{FilesListed: 23, FilesRead: 23, FilesAlreadyCounted: 20}, "", "nothing was recorded: of the 23 files read, 20 were counted before and 3 hold no records", true},
		{trail.Summary{FilesListed: 2}, "1h", "nothing was read: 2 files listed, none at or after --since 1h", true},
		{trail.Summary{FilesListed: 2}, "", "nothing was read: 2 files listed, none of them CloudTrail logs", true},
	}
	for _, tt := range tests {
		msg, fail := nothingRead(&tt.s, tt.since)
		if msg != tt.msg || fail != tt.fail {
			t.Errorf("%+v since %q: %q %v, want %q %v", tt.s, tt.since, msg, fail, tt.msg, tt.fail)
		}
	}
}
