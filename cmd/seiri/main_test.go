package main

import (
	"os"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/cmd/root"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// The end-to-end tests run the seiri binary (this test binary, re-executed
// as "seiri") from scripts in testdata/script/*.txtar.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"seiri": func() { os.Exit(root.Main()) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			// A fixed clock makes outputs reproducible.
			env.Setenv("SEIRI_NOW", "2026-11-29T12:00:00Z")
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("AWS_CONFIG_FILE", env.WorkDir+"/no-aws-config")
			env.Setenv("AWS_SHARED_CREDENTIALS_FILE", env.WorkDir+"/no-aws-credentials")
			env.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			return nil
		},
	})
}

// TestAWSScripts runs testdata/aws/*.txtar against a fake AWS (IAM, STS,
// Organizations, CloudTrail on loopback, real wire protocols) that serves the
// demo organization, through the standard AWS environment variables only.
// The acme-dev account (666666666666) denies AssumeRole and the prod
// account's IAM throttles: collect must finish with a partial snapshot.
func TestAWSScripts(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/aws",
		Setup: func(e *testscript.Env) error {
			org := demo.Generate(now, demo.Seed)
			fake := awsfake.New(awsfake.ScenarioFromSnapshot(&snapshot.Snapshot{Organization: org.Organization, Accounts: org.Accounts}), awsfake.Options{PageSize: 25})
			fake.DenyAssumeRole("666666666666")
			fake.Throttle("555555555555", "GetAccountAuthorizationDetails", 2)
			fake.Throttle("555555555555", "ListAccessKeys", 3)
			fake.CredentialReportStarted(2)
			e.Defer(fake.Close)
			e.Setenv("AWS_ENDPOINT_URL", fake.URL)
			e.Setenv("AWS_ACCESS_KEY_ID", awsfake.AccessKeyID)
			e.Setenv("AWS_SECRET_ACCESS_KEY", awsfake.SecretAccessKey)
			e.Setenv("AWS_REGION", "eu-west-1")
			e.Setenv("AWS_CONFIG_FILE", e.WorkDir+"/.aws-config")
			e.Setenv("AWS_SHARED_CREDENTIALS_FILE", e.WorkDir+"/.aws-credentials")
			e.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			e.Setenv("SEIRI_NOW", now.Format(time.RFC3339))
			e.Setenv("FAKE_SECRET", awsfake.SecretAccessKey)
			return nil
		},
	})
}
