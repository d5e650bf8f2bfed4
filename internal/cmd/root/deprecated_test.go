package root

import (
	"strings"
	"testing"
)

// An old flag name still works, hidden, with a note on stderr naming the new one.
func TestDeprecatedFlagsStillWork(t *testing.T) {
	for _, c := range []struct {
		args []string
		note string
	}{
		{[]string{"keys", "plan", "--unused-days", "30"}, "--unused-days is deprecated and will be removed; use --days"},
		{[]string{"groups", "analyze", "--since", "30d"}, "--since is deprecated and will be removed; use --days"},
		{[]string{"trail", "scan", "--source", "./nowhere", "--accounts", "111111111111"}, "--accounts is deprecated and will be removed; use --account"},
		{[]string{"policy", "simulate", "--cases", "./nowhere.jsonl", "--workers", "2"}, "--workers is deprecated and will be removed; use --parallel"},
	} {
		_, stderr, code := run(t, c.args...)
		if !strings.Contains(stderr, "seiri: warning: "+c.note) {
			t.Errorf("%v: stderr lacks the deprecation note %q:\n%s", c.args, c.note, stderr)
		}
		if strings.Contains(stderr, "unknown flag") {
			t.Errorf("%v: the old flag no longer parses (exit %d):\n%s", c.args, code, stderr)
		}
	}
	// Hidden: --help does not list them.
	out, _, _ := run(t, "keys", "plan", "--help")
	if strings.Contains(out, "unused-days") || !strings.Contains(out, "--days") {
		t.Errorf("keys plan --help:\n%s", out)
	}
}
