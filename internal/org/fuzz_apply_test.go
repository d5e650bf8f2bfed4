package org

import (
	"encoding/json"
	"testing"

	"github.com/seiri-dev/seiri/internal/demo"
)

// A plan file is outside input to apply: whatever it holds, the checks
// apply runs before writing (lockout guards, impact replay, conversion to
// a journaled plan) return errors, never panic.
func FuzzApplyChecks(f *testing.F) {
	d := demo.Generate(now, 1)
	p, _, err := DemoPlan(d, f.TempDir(), nil)
	if err != nil {
		f.Fatal(err)
	}
	data, _ := json.Marshal(p)
	f.Add(data)
	f.Add([]byte(`{"version":1,"changes":[{"kind":"org.attach-policy","params":{"policyName":"FullAWSAccess","policyType":"SERVICE_CONTROL_POLICY","target":"root"}}]}`))
	f.Add([]byte(`{"version":1,"changes":[{"kind":"org.create-policy","params":{"name":"x","type":"SERVICE_CONTROL_POLICY","content":"{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}}"}},{"kind":"org.attach-policy","params":{"policyName":"x","policyType":"SERVICE_CONTROL_POLICY","target":"ou:Workloads"}}]}`))
	f.Add([]byte(`{"version":1,"changes":[{"kind":"org.move-account","params":{"accountId":"555555555555","from":"Workloads/Prod","to":"Suspended"}}]}`))
	base, err := FromSnapshot(d.Organization)
	if err != nil {
		f.Fatal(err)
	}
	rows := DemoUsage(d)
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Plan
		if json.Unmarshal(data, &p) != nil {
			return
		}
		_ = LockoutRisks(base, p.Changes, "555555555555")
		_, _ = CallerLockoutRisks(base, p.Changes, "arn:aws:sts::555555555555:assumed-role/seiri/s", "555555555555", "", ReplayOptions{Now: now})
		if im, err := ReplayPlan(base, p.Changes, rows, ReplayOptions{Now: now}); err == nil {
			_ = im.Summary()
		}
		if _, err := ToPlan(&p); err != nil {
			t.Fatalf("ToPlan of a decoded plan: %v", err)
		}
	})
}
