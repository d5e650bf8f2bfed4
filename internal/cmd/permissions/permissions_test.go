package permissions

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/collect"
)

// TestNewCmdCollect: argv (the global --role-name) → options.
func TestNewCmdCollect(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, awsclient.DefaultRoleName},
		{[]string{"--role-name", "SeiriAudit"}, "SeiriAudit"},
	} {
		var got *CollectOptions
		f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
		root := cmdtest.Root(f, func(f *cmdutil.Factory) *cobra.Command {
			g := &cobra.Command{Use: "permissions"}
			g.AddCommand(NewCmdCollect(f, func(o *CollectOptions) error { got = o; return nil }))
			return g
		})
		root.SetArgs(append([]string{"permissions", "collect"}, tt.args...))
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		if got == nil || got.RoleName != tt.want || got.IO != f.IO {
			t.Errorf("%v: options %+v, want role %q", tt.args, got, tt.want)
		}
	}
}

// TestCollectRun: options → exactly the policy collect needs, with the
// member-account role named.
func TestCollectRun(t *testing.T) {
	var out bytes.Buffer
	if err := collectRun(&CollectOptions{IO: &cmdutil.IOStreams{Out: &out}, RoleName: "SeiriAudit"}); err != nil {
		t.Fatal(err)
	}
	if want := string(collect.PolicyJSON("SeiriAudit")); out.String() != want {
		t.Errorf("output differs from collect.PolicyJSON")
	}
	if !strings.Contains(out.String(), ":role/SeiriAudit") {
		t.Errorf("the member-account role is not named:\n%s", out.String())
	}
	out.Reset()
	if err := collectRun(&CollectOptions{IO: &cmdutil.IOStreams{Out: &out}}); err != nil || out.String() != string(collect.PolicyJSON(awsclient.DefaultRoleName)) {
		t.Errorf("empty role: %v", err)
	}
}
