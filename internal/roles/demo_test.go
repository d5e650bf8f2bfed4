package roles_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/demo/demotest"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/roles"
)

var demoNow = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)

func demoSuggestions(t *testing.T) map[string]roles.Suggestion {
	t.Helper()
	f := demotest.Scanned(t, demoNow)
	org, rows, an := f.Org, f.Rows, demoAnalysis(f)
	out := map[string]roles.Suggestion{}
	for _, a := range org.Accounts {
		ss, err := roles.Suggest(roles.Input{Account: a, Usage: rows, Ranges: roles.EmbeddedRanges(), Analysis: an, Catalog: catalog.Embedded()})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			out[s.User] = s
		}
	}
	return out
}

// demoAnalysis is `seiri policy generate`'s analysis of the demo (90 days).
func demoAnalysis(f *demotest.Fixture) *leastpriv.Analysis {
	m := leastpriv.NewModel(f.Snap, catalog.Embedded())
	m.Now = f.Now
	return leastpriv.NewAnalysis(m, m.Attribute(rowSeq(f.Rows), leastpriv.NewWindow(f.Now, 90, f.First, f.Last), true))
}

// TestDemoSuggestions pins the suggestion for each machine user of the demo.
func TestDemoSuggestions(t *testing.T) {
	got := demoSuggestions(t)
	want := map[string]string{
		"backup-agent":          roles.KindInstanceProfile,
		"payments-batch":        roles.KindECSTaskRole,
		"admin-bot":             roles.KindLambdaRole,
		"metrics-exporter":      roles.KindMonitoringRole,
		"ci-deployer":           roles.KindOIDCGitHub,
		"ci-dev":                roles.KindOIDCGitHub,
		"terraform":             roles.KindOIDCGitHub,
		"security-scanner":      roles.KindRolesAnywhere,
		"s3-uploader":           roles.KindRolesAnywhere,
		"old-etl":               roles.KindUnusedKey,
		"legacy-billing-export": roles.KindUnusedKey,
		"test-runner":           roles.KindUnusedKey,
	}
	kinds := map[string]string{}
	for u := range want {
		kinds[u] = got[u].Kind
	}
	if d := cmp.Diff(want, kinds); d != "" {
		t.Errorf("suggestion kinds (-want +got):\n%s", d)
	}
	// People with keys get Identity Center.
	people := 0
	for _, s := range got {
		if s.Kind == roles.KindIdentityCenter {
			people++
		}
	}
	if people == 0 {
		t.Error("no human key user was sent to Identity Center")
	}
	// Every document seiri writes validates without errors.
	for u, s := range got {
		for _, n := range s.Notes {
			if len(n) > 7 && (n[:7] == "policy:" || n[:6] == "trust ") {
				t.Errorf("%s: %s", u, n)
			}
		}
		for _, d := range []struct {
			doc json.RawMessage
			t   policy.Type
		}{{s.Policy, policy.TypeIdentity}, {s.Trust, policy.TypeTrust}} {
			if len(d.doc) == 0 {
				continue
			}
			for _, is := range policy.Validate(d.doc, d.t, catalog.Embedded()) {
				if is.Severity == policy.SevError {
					t.Errorf("%s: %s policy: %s %s", u, d.t, is.Code, is.Message)
				}
			}
		}
	}
	ec2 := got["backup-agent"]
	if d := cmp.Diff([]string{"54.216.12.34 (EC2 eu-west-1)"}, ec2.Evidence.AWSAddresses); d != "" {
		t.Errorf("backup-agent evidence (-want +got):\n%s", d)
	}
	m := got["metrics-exporter"]
	if d := cmp.Diff([]string{"cloudwatch:PutMetricData"}, m.Evidence.Actions); d != "" {
		t.Errorf("metrics-exporter actions (-want +got):\n%s", d)
	}
}
