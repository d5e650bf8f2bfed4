package org

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStageRollout(t *testing.T) {
	cur, err := FromSnapshot(demoOrg(t))
	if err != nil {
		t.Fatal(err)
	}
	var sandbox string
	for id, a := range cur.Accounts {
		if a.Parent == "Infrastructure" && (sandbox == "" || id < sandbox) {
			sandbox = id
		}
	}
	pol := &PolicyState{Name: "regions", Type: SCP, Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}`}
	opt := StageOptions{Policy: pol, Target: "Workloads/Prod", TestAccounts: []string{sandbox}}
	var steps [][]string
	s := cur
	for i := 0; i < 4; i++ {
		st, err := NextStage(s, opt)
		if err != nil {
			t.Fatal(err)
		}
		if st.Step == StageDone {
			break
		}
		steps = append(steps, append([]string{st.Name}, st.Describes...))
		if s, err = Simulate(s, st.Changes); err != nil {
			t.Fatal(err)
		}
	}
	st1, _ := NextStage(cur, opt)
	canary := st1.Canary
	want := [][]string{
		{"mirror", `create SCP "regions" (` + "", "create OU Policy Staging", "create OU Policy Staging/Workloads", "create OU Policy Staging/Workloads/Prod",
			`attach SCP "regions" to OU Policy Staging/Workloads/Prod`, "move account " + sandbox},
		{"canary", `attach SCP "regions" to account ` + canary},
		{"ou", `attach SCP "regions" to OU Workloads/Prod`, `detach SCP "regions" from account ` + canary},
	}
	// Compare prefixes (descriptions carry sizes and names).
	for i := range steps {
		for j := range steps[i] {
			if j < len(want[i]) && strings.HasPrefix(steps[i][j], want[i][j]) {
				steps[i][j] = want[i][j]
			}
		}
	}
	if diff := cmp.Diff(want, steps); diff != "" {
		t.Errorf("rollout (-want +got):\n%s", diff)
	}
	if canary == "" || cur.Accounts[canary].Parent != "Workloads/Prod" {
		t.Errorf("canary %q", canary)
	}

	// Refusals.
	for name, o := range map[string]StageOptions{
		"unknown OU":      {Policy: pol, Target: "Nope"},
		"changed content": {Policy: &PolicyState{Name: "deny-leave-organization", Type: SCP, Content: `{"Statement":[]}`}, Target: "Workloads/Prod"},
		"too deep":        {Policy: pol, Target: "Workloads/Prod", MaxDepth: 2},
		"bad canary":      {Policy: pol, Target: "Workloads/Prod", Canary: sandbox},
		"management":      {Policy: pol, Target: "Workloads/Prod", TestAccounts: []string{cur.Management}},
	} {
		if _, err := NextStage(cur, o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
