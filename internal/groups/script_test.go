package groups_test

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/seiri-dev/seiri/internal/cmd/root"
	"github.com/seiri-dev/seiri/internal/demo/demotest"
)

// TestMain lets scripts run `seiri` (this test binary re-executed as the
// real command).
func TestMain(m *testing.M) {
	testscript.Main(cleanupM{m}, map[string]func(){
		"seiri": func() { os.Exit(root.Main()) },
	})
}

// cleanupM removes the shared demo fixture after the tests.
type cleanupM struct{ m *testing.M }

func (c cleanupM) Run() int {
	defer demotest.Cleanup()
	return c.m.Run()
}

// TestScripts runs testdata/script/*.txtar: what a user types, on the demo.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("SEIRI_NOW", "2026-11-29T00:00:00Z")
			e.Setenv("AWS_CONFIG_FILE", e.WorkDir+"/.aws-config")
			e.Setenv("AWS_SHARED_CREDENTIALS_FILE", e.WorkDir+"/.aws-credentials")
			e.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			return nil
		},
	})
}
