package root

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
)

// run executes the command tree with args and returns stdout, stderr and the
// exit code, as Main would.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	io := &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	f := cmdutil.NewFactory(io)
	f.Globals.Workspace = t.TempDir()
	root := NewRootCmd(f)
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	code := cmdutil.ExitCode(io, root.Execute())
	return out.String(), errOut.String(), code
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"version"}, cmdutil.ExitOK, ""},
		{[]string{"--output", "yaml", "version"}, cmdutil.ExitUsage, "--output"},
		{[]string{"--max-attempts", "0", "version"}, cmdutil.ExitUsage, "--max-attempts"},
		{[]string{"--log-level", "loud", "version"}, cmdutil.ExitUsage, "--log-level"},
		{[]string{"--no-such-flag"}, cmdutil.ExitUsage, "unknown flag"},
		{[]string{"no-such-command"}, cmdutil.ExitUsage, "unknown command"},
		{[]string{"version", "extra"}, cmdutil.ExitUsage, "unknown command"},
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

func TestVersionShowsCatalog(t *testing.T) {
	var out bytes.Buffer
	f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &bytes.Buffer{}})
	root := NewRootCmd(f)
	root.SetArgs([]string{"version"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	src := catalog.Embedded().Source()
	want := fmt.Sprintf("catalog %s %s (%s)", src.Name, src.Version, src.Date)
	if !strings.Contains(out.String(), want) {
		t.Errorf("version output lacks %q:\n%s", want, out.String())
	}
}
