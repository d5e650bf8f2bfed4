package trail

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
)

// TestNewCmdTrailUsage: from argv to options (cli/cli's TestNewCmdX).
func TestNewCmdTrailUsage(t *testing.T) {
	tests := []struct {
		args   []string
		errors bool
		want   TrailUsageOptions
	}{
		{nil, false, TrailUsageOptions{}},
		{[]string{"--principal", "arn:aws:iam::111111111111:user/a", "--days", "30", "--long", "--limit", "5"}, false,
			TrailUsageOptions{Principal: "arn:aws:iam::111111111111:user/a", Days: 30, Long: true, Limit: 5}},
		{[]string{"--access-key", "AKIAIOSFODNN7EXAMPLE", "--account", "111111111111", "--action", "s3:*", "--since", "2026-09-01", "--until", "2026-10-01"}, true,
			TrailUsageOptions{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", Account: "111111111111", Action: "s3:*", Since: "2026-09-01", Until: "2026-10-01", ErrorsOnly: true}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			io := &cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
			f := cmdutil.NewFactory(io)
			f.Globals.Output = "json"
			var got *TrailUsageOptions
			cmd := NewCmdTrailUsage(f, func(o *TrailUsageOptions) error { got = o; return nil }, tt.errors)
			cmd.SetArgs(tt.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if got.IO != io || got.Workspace == nil || got.Now == nil || got.Context == nil || got.Output != "json" {
				t.Errorf("dependencies not carried: %+v", got.StoreDeps)
			}
			if diff := cmp.Diff(tt.want, *got, cmpopts.IgnoreFields(TrailUsageOptions{}, "StoreDeps")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestTrailUsageRunFromOptions: the run function sees only its options.
func TestTrailUsageRunFromOptions(t *testing.T) {
	var out bytes.Buffer
	opts := &TrailUsageOptions{StoreDeps: StoreDeps{IO: &cmdutil.IOStreams{Out: &out, ErrOut: &bytes.Buffer{}}, Output: "table"},
		Days: 7, Since: "2026-09-01"}
	err := trailUsageRun(opts)
	var ee *cmdutil.ExitError
	if err == nil || !asExit(err, &ee) || ee.Code != cmdutil.ExitUsage || !strings.Contains(err.Error(), "--days and --since exclude each other") {
		t.Errorf("got %v, want a usage error naming --days and --since", err)
	}
}

func asExit(err error, ee **cmdutil.ExitError) bool {
	e, ok := err.(*cmdutil.ExitError)
	*ee = e
	return ok
}
