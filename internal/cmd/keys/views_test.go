package keys_test

import (
	"flag"
	"regexp"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	cmdtest.Golden(t, name, "", got, *update)
}

// planIDs are content hashes over the workspace's temporary path.
var planIDs = regexp.MustCompile(`(Plan |"id": "|"plan": ")[a-z.]+-[0-9a-f]{12,}`)

// TestReportViews (issue 18, issue 15): the long outputs of the keys and
// users plans open with the snapshot, the usage window and the summary,
// then the details, and end with the command to run next; their JSON names
// the snapshot and the window too.
func TestReportViews(t *testing.T) {
	h := newKeysHarness(t)
	h.setup()
	for _, c := range []struct {
		file string
		args []string
	}{
		{"keys-plan.golden", []string{"keys", "plan", "--days", "30"}},
		{"keys-plan-json.golden", []string{"keys", "plan", "--days", "30", "-o", "json"}},
		{"keys-disable.golden", []string{"keys", "disable", "--days", "30"}},
		{"keys-disable-json.golden", []string{"keys", "disable", "--days", "30", "-o", "json"}},
		{"users-retire-plan.golden", []string{"users", "retire", "plan", "--days", "30"}},
		{"users-retire-quarantine.golden", []string{"users", "retire", "quarantine", "--days", "30"}},
	} {
		out, errOut, code := h.run(c.args...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", strings.Join(c.args, " "), code, errOut)
		}
		out = planIDs.ReplaceAllString(strings.ReplaceAll(out, h.ws, "$WS"), "${1}PLANID")
		golden(t, c.file, "$ seiri "+strings.Join(c.args, " ")+"\n"+out)
	}
	// The watch opens with its summary too.
	h.mustRun("keys", "disable", "--days", "30", "--apply", "--yes")
	out := h.mustRun("keys", "watch", "-o", "json")
	for _, want := range []string{`"snapshot": "20261101T120000Z"`, `"observationDays": 14`, `"keys": [`} {
		mustContain(t, out, want)
	}
}
