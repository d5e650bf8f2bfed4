package collect_test

import (
	"os"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/root"
)

// TestMain lets scripts run `seiri` (this test binary re-executed as the
// real command).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"seiri": func() { os.Exit(root.Main()) },
	})
}

// TestScripts runs testdata/script/*.txtar: the seiri binary against an
// awsfake organization of 3 accounts (111111110000 management,
// 111111110001, 111111110002 whose AssumeRole is denied), through the
// standard AWS environment variables only.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			fake := awsfake.New(awsfake.SampleScenario(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), 3, 4))
			fake.DenyAssumeRole("111111110002")
			e.Defer(fake.Close)
			e.Setenv("AWS_ENDPOINT_URL", fake.URL)
			e.Setenv("AWS_ACCESS_KEY_ID", awsfake.AccessKeyID)
			e.Setenv("AWS_SECRET_ACCESS_KEY", awsfake.SecretAccessKey)
			e.Setenv("AWS_REGION", "us-east-1")
			e.Setenv("AWS_CONFIG_FILE", e.WorkDir+"/.aws-config")
			e.Setenv("AWS_SHARED_CREDENTIALS_FILE", e.WorkDir+"/.aws-credentials")
			e.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			e.Setenv("SEIRI_NOW", "2026-11-01T12:00:00Z")
			e.Setenv("FAKE_SECRET", awsfake.SecretAccessKey)
			return nil
		},
	})
}
