package trail

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/seiri-dev/seiri/internal/awsclient"
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
			cmd.SetArgs(append([]string{}, tt.args...)) // nil would read os.Args
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

// TestNewCmdTrailScan: from argv to options, with the dependencies carried
// as fields (no Factory).
func TestNewCmdTrailScan(t *testing.T) {
	io := &cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}
	f := cmdutil.NewFactory(io)
	f.Globals.Output = "json"
	var got *TrailScanOptions
	cmd := NewCmdTrailScan(f, func(o *TrailScanOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--engine", "athena", "--since", "30d", "--until", "1d", "--account", "111111111111", "--regions", "eu-west-1",
		"--strict", "--parallel", "2", "--database", "db", "--table", "ct", "--workgroup", "wg", "--output-location", "s3://r/", "--detect"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := TrailScanOptions{Since: "30d", Until: "1d", Accounts: []string{"111111111111"}, Regions: []string{"eu-west-1"}, Strict: true, Parallel: 2,
		Engine: "athena", Athena: AthenaFlags{Database: "db", Table: "ct", Workgroup: "wg", Output: "s3://r/"}, Detect: true}
	if diff := cmp.Diff(want, *got, cmpopts.IgnoreFields(TrailScanOptions{}, "ScanDeps")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	d := got.ScanDeps
	if d.IO != io || d.Workspace == nil || d.Config == nil || d.Now == nil || d.Actions == nil || d.AWS == nil || d.Context == nil || d.Output != "json" {
		t.Errorf("dependencies not carried: %+v", d)
	}
}

// TestNewCmdTrailAthenaSetup: from argv to options.
func TestNewCmdTrailAthenaSetup(t *testing.T) {
	f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	var got *TrailAthenaSetupOptions
	cmd := NewCmdTrailAthenaSetup(f, func(o *TrailAthenaSetupOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--bucket", "org-trail", "--prefix", "ct/", "--org-id", "o-abcdef1234", "--account", "111111111111", "--regions", "us-east-1", "--from", "2025-01-01", "--print"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := TrailAthenaSetupOptions{Athena: AthenaFlags{Database: "seiri", Table: "cloudtrail"}, Bucket: "org-trail", Prefix: "ct/", OrgID: "o-abcdef1234",
		Accounts: []string{"111111111111"}, Regions: []string{"us-east-1"}, From: "2025-01-01", Print: true}
	if diff := cmp.Diff(want, *got, cmpopts.IgnoreFields(TrailAthenaSetupOptions{}, "ScanDeps")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got.AWS == nil || got.IO == nil || got.Context == nil {
		t.Errorf("dependencies not carried: %+v", got.ScanDeps)
	}
}

// TestTrailAthenaSetupPrintFromOptions: options to the exact output; --print
// never opens AWS.
func TestTrailAthenaSetupPrintFromOptions(t *testing.T) {
	var out bytes.Buffer
	o := &TrailAthenaSetupOptions{ScanDeps: ScanDeps{IO: &cmdutil.IOStreams{Out: &out, ErrOut: &bytes.Buffer{}},
		AWS: func(context.Context) (*awsclient.Session, error) { t.Fatal("AWS opened for --print"); return nil, nil }},
		Athena: AthenaFlags{Database: "seiri", Table: "cloudtrail"}, Bucket: "org-trail", From: "2025-01-01", Accounts: []string{"111111111111"}, Regions: []string{"us-east-1"}, Print: true}
	if err := trailAthenaSetupRun(o); err != nil {
		t.Fatal(err)
	}
	golden(t, "athena-setup-print.golden", out.String())
}
