// Package cmdtest helps the command packages' tests: a root command holding
// only the groups a test runs (the full tree lives in internal/cmd/root,
// which the command packages cannot import), and an AWS environment that
// reaches nothing but the fakes.
package cmdtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
)

// Root is the bare root command (global flags and their checks) with the
// given command groups.
func Root(f *cmdutil.Factory, groups ...func(*cmdutil.Factory) *cobra.Command) *cobra.Command {
	root := cmdutil.NewBareRoot(f)
	for _, g := range groups {
		root.AddCommand(g(f))
	}
	return root
}

// IsolateAWS points the AWS SDK at empty config files and clears the
// environment's credentials, so that only credentials a test passes work.
func IsolateAWS(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}
