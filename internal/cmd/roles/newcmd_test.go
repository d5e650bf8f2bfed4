package roles

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	groupscmd "github.com/seiri-dev/seiri/internal/cmd/groups"
	"github.com/seiri-dev/seiri/internal/roles"
)

func TestNewCmdRolesSuggest(t *testing.T) {
	f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	var got *RolesSuggestOptions
	cmd := NewCmdRolesSuggest(f, func(o *RolesSuggestOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--user", "ci", "--repo", "ci=acme/api", "--repo", "ci2=acme/web", "--monitoring-account", "222222222222", "--days", "30"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := RolesSuggestOptions{Input: groupscmd.Input{Snapshot: "latest", Days: 30}, User: "ci",
		Repos: []string{"ci=acme/api", "ci2=acme/web"}, MonitoringAccount: "222222222222"}
	if diff := cmp.Diff(want, *got, cmpopts.IgnoreFields(RolesSuggestOptions{}, "Env")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNewCmdRolesUpdateIPRanges(t *testing.T) {
	f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	var got *RolesUpdateOptions
	cmd := NewCmdRolesUpdateIPRanges(f, func(o *RolesUpdateOptions) error { got = o; return nil })
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.URL != roles.DefaultIPRangesURL {
		t.Errorf("URL %q, want %q", got.URL, roles.DefaultIPRangesURL)
	}
	cmd = NewCmdRolesUpdateIPRanges(f, func(o *RolesUpdateOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--url", "http://127.0.0.1:1/ip-ranges.json"})
	if err := cmd.Execute(); err != nil || got.URL != "http://127.0.0.1:1/ip-ranges.json" {
		t.Errorf("--url: %v %q", err, got.URL)
	}
}
