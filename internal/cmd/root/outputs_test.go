package root

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
)

func runnable(root *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Runnable() && c.Annotations[cmdutil.GroupAnnotation] == "" && c.Name() != "help" && c.Name() != "completion" && (c.Parent() == nil || c.Parent().Name() != "completion") && c.Parent() != nil {
			out = append(out, c)
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	return out
}

// Every command declares its formats (listed in --help), and every value
// it does not declare is refused with exit 2 naming the ones it has.
func TestEveryCommandDeclaresOutputs(t *testing.T) {
	f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	root := NewRootCmd(f)
	seen := map[string]bool{}
	for _, c := range runnable(root) {
		path := c.CommandPath()
		seen[path] = true
		if _, ok := commandOutputs[path]; !ok {
			t.Errorf("%s: no --output formats declared in commandOutputs", path)
			continue
		}
		formats := cmdutil.Outputs(c)
		if !strings.Contains(c.Long, "Output formats (--output): "+strings.Join(formats, ", ")+".") {
			t.Errorf("%s: --help does not list its formats:\n%s", path, c.Long)
		}
		for _, o := range cmdutil.OutputFormats {
			f.Globals.Output = o
			err := root.PersistentPreRunE(c, nil)
			if cmdutil.Contains(formats, o) {
				if err != nil && strings.Contains(err.Error(), "--output") {
					t.Errorf("%s --output %s: %v", path, o, err)
				}
				continue
			}
			var ee *cmdutil.ExitError
			if err == nil || !asExit(err, &ee) || ee.Code != cmdutil.ExitUsage {
				t.Errorf("%s --output %s: %v, want exit 2", path, o, err)
				continue
			}
			if want := path + " writes " + strings.Join(formats, ", "); !strings.Contains(err.Error(), want) {
				t.Errorf("%s --output %s: %q does not say %q", path, o, err, want)
			}
		}
	}
	for path := range commandOutputs {
		if !seen[path] {
			t.Errorf("commandOutputs names %q, which is no command", path)
		}
	}
}

func asExit(err error, ee **cmdutil.ExitError) bool {
	e, ok := err.(*cmdutil.ExitError)
	*ee = e
	return ok
}

// checkFormat checks that out is in format.
func checkFormat(t *testing.T, name, format, out string) {
	t.Helper()
	if strings.TrimSpace(out) == "" {
		t.Errorf("%s: empty output", name)
		return
	}
	switch format {
	case "json":
		if !json.Valid([]byte(out)) {
			t.Errorf("%s: not JSON:\n%.300s", name, out)
		}
	case "csv":
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(recs) < 1 {
			t.Errorf("%s: not CSV (%v):\n%.300s", name, err, out)
		}
	case "sarif":
		var v struct {
			Version string `json:"version"`
			Runs    []any  `json:"runs"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil || v.Version != "2.1.0" || len(v.Runs) == 0 {
			t.Errorf("%s: not SARIF 2.1.0 (%v):\n%.300s", name, err, out)
		}
	case "markdown":
		table := strings.Contains(out, "|") && strings.Contains(out, "---")
		if !table && !strings.HasPrefix(out, "#") {
			t.Errorf("%s: neither a markdown table nor a markdown document:\n%.300s", name, out)
		}
	case "html":
		if !strings.Contains(strings.ToLower(out), "<html") || !strings.Contains(out, "</html>") {
			t.Errorf("%s: not an HTML page:\n%.300s", name, out)
		}
	case "table":
		if json.Valid([]byte(out)) && strings.HasPrefix(strings.TrimSpace(out), "{") {
			t.Errorf("%s: table output is JSON", name)
		}
	}
}

// TestOutputFormats runs the commands that read the demo workspace with
// every --output value they declare and checks the output is in it.
func TestOutputFormats(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	ws, _ := cmdtest.DemoWorkspace(t, now)
	invocations := [][]string{
		{"audit"},
		{"catalog", "show", "s3:GetObject"},
		{"catalog", "expand", "s3:GetObj*"},
		{"catalog", "search", "bucket", "policy"},
		{"snapshot", "list"},
		{"scp", "list"},
		{"org", "report"},
		{"keys", "plan"},
		{"version"},
	}
	f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	tree := NewRootCmd(f)
	for _, args := range invocations {
		c, _, err := tree.Find(args)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		for _, format := range cmdutil.Outputs(c) {
			name := strings.Join(args, " ") + " --output " + format
			t.Run(name, func(t *testing.T) {
				out, errOut, code := cmdtest.RunWS(t, NewRootCmd, now, nil, ws, append([]string{"--output", format}, args...)...)
				if code != cmdutil.ExitOK && code != cmdutil.ExitFindings {
					t.Fatalf("exit %d\n%s", code, errOut)
				}
				checkFormat(t, name, format, out)
			})
		}
	}
}
