package daily_test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
)

// TestDailyLocalSourceListsWhatChanged: seiri daily scanning a local copy
// of the trail lists only the folders that changed since its last run (a
// scan records the folders it read whole, docs/trail.md), and says how
// many it left out; the source reaches the scan as the local folder it is.
// With daily.scan_days it lists only the last days (and says so): a file
// delivered late into an older folder waits for a scan without it.
func TestDailyLocalSourceListsWhatChanged(t *testing.T) {
	h := newHarness(t)
	h.ws = t.TempDir()
	logs := t.TempDir()
	config := func(extra string) {
		cfg := "daily:\n  steps: [scan]\n  sources: [" + logs + "]\n" + extra + "notify:\n  on: change\n"
		if err := os.WriteFile(h.cfg, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	config("")
	put := func(n int, at time.Time) {
		cmdtest.WriteTrailLog(t, logs, n, cmdtest.TrailLog{At: at, Acct: mgmtAcct, User: "alice", Key: aliceKey,
			Source: "sts.amazonaws.com", Name: "GetCallerIdentity", IP: "192.0.2.1", Agent: "aws-cli/2"})
	}
	// Delivered over the days before: folders untouched for hours.
	put(0, day(-2))
	put(1, day(-1))
	put(2, day(-1).Add(time.Hour))
	old := time.Now().Add(-2 * time.Hour)
	filepath.WalkDir(logs, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			err = os.Chtimes(p, old, old)
		}
		return err
	})
	for i, at := range []time.Time{day(0), day(0), day(1), day(2), day(2)} {
		h.now = at
		switch i {
		case 2:
			put(3, day(1).Add(-time.Hour)) // today's first log
		case 3:
			config("  scan_days: 1\n")
			put(4, day(-2).Add(2*time.Hour)) // late, into an old folder
			put(5, day(2).Add(-time.Hour))
		case 4:
			config("")
		}
		out, errOut, code := h.run("daily")
		if code != 0 {
			t.Fatalf("run %d: exit %d\n%s\n%s", i, code, out, errOut)
		}
		cmdtest.Golden(t, fmt.Sprintf("local/run%d.txt", i), h.ws, out, *update, cmdtest.Mask{RE: regexp.MustCompile(regexp.QuoteMeta(logs)), Repl: "LOGS"})
	}
}
