package demoorg_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/demo/demoorg"
	"github.com/seiri-dev/seiri/internal/demo/demotest"
	"github.com/seiri-dev/seiri/internal/org"
)

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) { demotest.Main(m) }

func describe(cs []org.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Describe())
	}
	return out
}

// The region SCP, replayed on the usage the demo's logs recorded (scanned
// by the real engine), newly denies exactly backup-agent's DR copy.
func TestPlanBreaksOneWorkload(t *testing.T) {
	f := demotest.Scanned(t, now)
	p, im, err := demoorg.Plan(f.Org, t.TempDir(), f.Rows)
	if err != nil {
		t.Fatal(err)
	}
	if got := describe(p.Changes); len(got) != 2 || !strings.HasPrefix(got[0], `create SCP "workloads-eu-west-1-only"`) || got[1] != `attach SCP "workloads-eu-west-1-only" to OU Workloads` {
		t.Errorf("plan: %v", got)
	}
	if im.DeniedPrincipals != 1 || im.DeniedAccounts != 1 || len(im.Top) != 1 || im.Rows < 20 {
		t.Fatalf("impact: %s\n%+v", im.Summary(), im.Denied)
	}
	for _, d := range im.Top {
		if d.Account != demo.DRAccount || !strings.HasSuffix(d.Principal, "/"+demo.DRPersona) || d.Region != demo.DRRegion {
			t.Errorf("denied: %+v", d)
		}
	}
	var b bytes.Buffer
	im.Write(&b, "")
	if !strings.Contains(b.String(), "would newly deny") || !strings.Contains(b.String(), "backup-agent s3:PutObject in us-east-1") || !strings.Contains(b.String(), `SCP "workloads-eu-west-1-only"`) {
		t.Errorf("impact text:\n%s", b.String())
	}
}

// Without recorded usage there is nothing to replay: no impact, never an
// impact of zero denials.
func TestPlanWithoutUsageHasNoImpact(t *testing.T) {
	d := demo.Generate(now, demo.Seed)
	p, im, err := demoorg.Plan(d, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 2 || im != nil {
		t.Errorf("changes %d, impact %+v", len(p.Changes), im)
	}
}

// A plan file is outside input to apply: whatever it holds, the checks
// apply runs before writing (lockout guards, impact replay, conversion to
// a journaled plan) return errors, never panic.
func FuzzApplyChecks(f *testing.F) {
	fix := demotest.Scanned(f, now)
	p, _, err := demoorg.Plan(fix.Org, f.TempDir(), nil)
	if err != nil {
		f.Fatal(err)
	}
	data, _ := json.Marshal(p)
	f.Add(data)
	f.Add([]byte(`{"version":1,"changes":[{"kind":"org.attach-policy","params":{"policyName":"FullAWSAccess","policyType":"SERVICE_CONTROL_POLICY","target":"root"}}]}`))
	f.Add([]byte(`{"version":1,"changes":[{"kind":"org.create-policy","params":{"name":"x","type":"SERVICE_CONTROL_POLICY","content":"{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}}"}},{"kind":"org.attach-policy","params":{"policyName":"x","policyType":"SERVICE_CONTROL_POLICY","target":"ou:Workloads"}}]}`))
	f.Add([]byte(`{"version":1,"changes":[{"kind":"org.move-account","params":{"accountId":"555555555555","from":"Workloads/Prod","to":"Suspended"}}]}`))
	base, err := org.FromSnapshot(fix.Org.Organization)
	if err != nil {
		f.Fatal(err)
	}
	rows := fix.Rows
	f.Fuzz(func(t *testing.T, data []byte) {
		var p org.Plan
		if json.Unmarshal(data, &p) != nil {
			return
		}
		_ = org.LockoutRisks(base, p.Changes, "555555555555")
		_, _ = org.CallerLockoutRisks(base, p.Changes, "arn:aws:sts::555555555555:assumed-role/seiri/s", "555555555555", "", org.ReplayOptions{Now: now})
		if im, err := org.ReplayPlan(base, p.Changes, rows, org.ReplayOptions{Now: now}); err == nil {
			_ = im.Summary()
		}
		if _, err := org.ToPlan(&p); err != nil {
			t.Fatalf("ToPlan of a decoded plan: %v", err)
		}
	})
}
