package root

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/table"
)

// runTerminal runs seiri as on a terminal (prose wrapped to the width) on
// the workspace ws at now.
func runTerminal(t *testing.T, now time.Time, ws string, args ...string) (string, string, int) {
	t.Helper()
	return runWidth(t, true, now, ws, args...)
}

// runPiped runs seiri with standard output a file or a pipe: prose lines
// are not wrapped.
func runPiped(t *testing.T, now time.Time, ws string, args ...string) (string, string, int) {
	t.Helper()
	return runWidth(t, false, now, ws, args...)
}

func runWidth(t *testing.T, fit bool, now time.Time, ws string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	io := &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, FitWidth: fit}
	f := cmdutil.NewFactory(io)
	f.Context = context.Background()
	f.Now = func() time.Time { return now }
	root := NewRootCmd(f)
	root.SetArgs(append(args, "--workspace", ws, "--no-progress"))
	root.SetOut(&out)
	root.SetErr(&errOut)
	code := cmdutil.ExitCode(io, root.Execute())
	return out.String(), errOut.String(), code
}

// TestTablesFitTheTerminal runs every command that writes a table on the
// demo's workspace (snapshot, scanned CloudTrail logs, org.yaml) and fails
// on any line wider than table.Width runes, on "a | b" one-of lines, and on
// a long output that does not end with the next command to run.
func TestTablesFitTheTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo (a few seconds): not in -short")
	}
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	ws := filepath.Join(dir, ".seiri")
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chdir(wd) }) // after the parallel cases
	demoOut, errOut, code := runTerminal(t, now, ws, "demo")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s", code, errOut)
	}
	policy := filepath.Join(dir, "deny-regions.json")
	if err := os.WriteFile(policy, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(ws, "demo", "org", "org.yaml")
	// long: outputs that can run to hundreds of lines: they open with the
	// summary and end with the next command to run.
	cases := []struct {
		args []string
		long bool
	}{
		{[]string{"audit"}, true},
		{[]string{"unused"}, true},
		{[]string{"unused", "--long", "--account", "666666666666"}, true},
		{[]string{"unused", "--principal", "arn:aws:iam::555555555555:role/cfn-deploy-admin"}, false},
		{[]string{"keys", "plan"}, true},
		{[]string{"users", "retire", "plan"}, true},
		{[]string{"trail", "usage"}, true},
		{[]string{"trail", "usage", "--long"}, true},
		{[]string{"trail", "errors"}, false},
		{[]string{"trail", "stats"}, false},
		{[]string{"trail", "unmapped"}, false},
		{[]string{"groups", "analyze"}, true},
		{[]string{"groups", "analyze", "--long"}, true},
		{[]string{"groups", "plan"}, true},
		{[]string{"roles", "suggest"}, true},
		{[]string{"roles", "suggest", "--long"}, true},
		{[]string{"sso", "plan"}, true},
		{[]string{"org", "report"}, false},
		{[]string{"org", "validate", spec}, false},
		{[]string{"org", "plan", "--spec", spec}, false},
		{[]string{"scp", "list"}, false},
		{[]string{"scp", "show", "allowed-regions"}, false},
		{[]string{"scp", "simulate", "--policy", policy, "--target", "Workloads"}, false},
		{[]string{"scp", "suggest", "--target", "Workloads"}, false},
		{[]string{"risk", "external"}, false},
		{[]string{"risk", "paths"}, false},
		{[]string{"policy", "validate", policy}, false},
		{[]string{"catalog", "show", "s3:GetObject"}, false},
		{[]string{"catalog", "show", "s3"}, false},
		{[]string{"catalog", "search", "bucket", "policy"}, false},
		{[]string{"catalog", "expand", "s3:Get*"}, false},
		{[]string{"snapshot", "list"}, false},
		{[]string{"version"}, false},
	}
	check := func(t *testing.T, name, out string, long bool) {
		for i, l := range strings.Split(out, "\n") {
			if n := utf8.RuneCountInString(l); n > table.Width {
				t.Errorf("%s: line %d is %d columns wide (more than %d): write tables through table.NewWriter (it elides cells with …; the full values belong in -o json) and keep prose lines short:\n%s", name, i+1, n, table.Width, l)
			}
		}
		for _, l := range oneOfProblems(out) {
			t.Errorf("%s prints %q: \"a | b\" reads as a pipe; print one command per line", name, l)
		}
		if !long {
			return
		}
		next := nextCommands(out)
		if len(next) == 0 {
			t.Errorf("%s: a long output ends with the next command to run (a last line \"Next: seiri …\", or a \"Next:\" line followed by \"  seiri …\" lines); it ends with:\n%s", name, lastLines(out, 3))
		}
		for _, args := range next {
			if err := parseExample(args); err != nil {
				t.Errorf("%s: next command `seiri %s` does not parse: %v", name, strings.Join(args, " "), err)
			}
		}
	}
	check(t, "seiri demo", demoOut, true)
	// The keys and users plans fit without the terminal's wrapping too:
	// they are read in CI logs, pasted into tickets and reviewed as files,
	// so their lines are written short (a line wrapped only on a terminal
	// would be 150 columns in a review).
	for _, args := range [][]string{
		{"keys", "plan"}, {"keys", "disable"},
		{"users", "retire", "plan"}, {"users", "retire", "quarantine"},
	} {
		name := "seiri " + strings.Join(args, " ") + " (piped)"
		t.Run(strings.Join(args, " ")+" piped", func(t *testing.T) {
			out, errOut, code := runPiped(t, now, ws, args...)
			if code != cmdutil.ExitOK && code != cmdutil.ExitFindings {
				t.Fatalf("%s: exit %d\n%s", name, code, errOut)
			}
			check(t, name, out, false)
		})
	}
	for _, c := range cases {
		name := "seiri " + strings.Join(c.args, " ")
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			out, errOut, code := runTerminal(t, now, ws, c.args...)
			if code != cmdutil.ExitOK && code != cmdutil.ExitFindings {
				t.Fatalf("%s: exit %d\n%s", name, code, errOut)
			}
			check(t, name, out, c.long)
		})
	}
}

// nextCommands are the commands an output's closing "Next:" names.
func nextCommands(out string) [][]string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	start := -1
	for i := len(lines) - 1; i >= 0 && i >= len(lines)-12; i-- {
		if strings.HasPrefix(strings.TrimSpace(lines[i]), "Next:") {
			start = i
			break
		}
	}
	if start < 0 {
		return nil
	}
	var block []string
	block = append(block, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[start]), "Next:")))
	for _, l := range lines[start+1:] {
		if !strings.HasPrefix(strings.TrimSpace(l), "seiri ") {
			return nil // something else follows the Next block
		}
		block = append(block, l)
	}
	return exampleLines(strings.Join(block, "\n"))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
