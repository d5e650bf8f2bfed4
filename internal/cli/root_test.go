package cli

import (
	"bytes"
	"strings"
	"testing"
)

// run executes the command tree with args and returns stdout, stderr and the
// exit code, as Main would.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	io := &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	f := NewFactory(io)
	f.Globals.Workspace = t.TempDir()
	root := NewRootCmd(f)
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	code := exitCode(io, root.Execute())
	return out.String(), errOut.String(), code
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"version"}, ExitOK, ""},
		{[]string{"--output", "yaml", "version"}, ExitUsage, "--output"},
		{[]string{"--max-attempts", "0", "version"}, ExitUsage, "--max-attempts"},
		{[]string{"--log-level", "loud", "version"}, ExitUsage, "--log-level"},
		{[]string{"--no-such-flag"}, ExitUsage, "unknown flag"},
		{[]string{"no-such-command"}, ExitUsage, "unknown command"},
		{[]string{"version", "extra"}, ExitUsage, "unknown command"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			_, stderr, code := run(t, c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, stderr)
			}
			if c.err != "" && !strings.Contains(stderr, c.err) {
				t.Errorf("stderr %q lacks %q", stderr, c.err)
			}
		})
	}
}
