package org

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// maxPerTarget is the most policies of type t any target has in s.
func maxPerTarget(s *State, t PolicyType) int {
	m := 0
	for tk := range s.Attachments {
		m = max(m, s.attachedOfType(tk, t))
	}
	return m
}

// TestPlanOrderingPropertyWithQuota: the ordering property under the
// per-target SCP quota. The quota is as tight as the organization before
// and the spec allow (the fullest target of either is exactly at it), so
// any attach made before the detach that makes room goes over it. Every
// prefix stays within the quota and keeps every account allowed; the
// plan reaches the spec; a plan is refused only when no order exists.
func TestPlanOrderingPropertyWithQuota(t *testing.T) {
	planned, refused, tight := 0, 0, 0
	for seed := uint64(0); seed < 400; seed++ {
		r := rand.New(rand.NewPCG(seed, 11))
		o := randomOrg(r)
		o.Accounts[0].ID = "100000000000"
		sp := randomSpec(r)
		d, err := Parse("org.yaml", Marshal(sp, Comments{}))
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		desired, ps := Compile(d, Options{})
		if len(ps) > 0 {
			continue
		}
		current, err := FromSnapshot(o)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		lim := DefaultLimits()
		lim.SCPsPerTarget = max(1, maxPerTarget(current, SCP), maxPerTarget(desired, SCP))
		changes, err := DiffLimits(d, desired, current, lim)
		if err != nil {
			if !strings.Contains(err.Error(), "no detach of this plan can make room first") {
				t.Fatalf("seed %d: %v", seed, err)
			}
			refused++
			continue
		}
		planned++
		before := gapAccounts(current)
		s := current.Clone()
		wasTight := false
		for i, c := range changes {
			if err := c.apply(s); err != nil {
				t.Fatalf("seed %d step %d %s: %v", seed, i+1, c.Describe(), err)
			}
			if a, ok := c.(*AttachPolicy); ok && a.PolicyType == SCP {
				n := s.attachedOfType(a.TargetKey, SCP)
				if n > lim.SCPsPerTarget && n > current.attachedOfType(a.TargetKey, SCP) {
					t.Fatalf("seed %d: step %d (%s) gives %s %d SCPs, quota %d", seed, i+1, c.Describe(), a.TargetKey, n, lim.SCPsPerTarget)
				}
				wasTight = wasTight || n == lim.SCPsPerTarget
			}
			for _, g := range s.AllowGaps() {
				if !before[gapAccount(g)] {
					t.Fatalf("seed %d: after step %d (%s) %s has no allowing SCP", seed, i+1, c.Describe(), g)
				}
			}
		}
		if wasTight {
			tight++
		}
		if again, err := DiffLimits(d, desired, withIDs(s), lim); err != nil || len(again) != 0 {
			t.Fatalf("seed %d: second plan: %v %v", seed, err, describeAll(again))
		}
	}
	t.Logf("%d planned (%d reached the quota), %d refused", planned, tight, refused)
	if planned < 100 || tight < 20 {
		t.Errorf("only %d plans, %d reaching the quota: the generator no longer exercises it", planned, tight)
	}
}

// A full target whose policy is replaced: the detach goes first.
func TestPlanDetachesBeforeAttachAtQuota(t *testing.T) {
	st := newState()
	st.RootID, st.Management = "r-1", "100000000000"
	allow := (`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	deny := func(a string) string {
		return (`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"` + a + `","Resource":"*"}]}`)
	}
	st.Policies[PolicyKey(SCP, FullAWSAccess)] = &PolicyState{ID: "p-full", Name: FullAWSAccess, Type: SCP, AWSManaged: true, Content: allow}
	st.Policies[PolicyKey(SCP, "old")] = &PolicyState{ID: "p-old", Name: "old", Type: SCP, Content: deny("s3:*")}
	st.Policies[PolicyKey(SCP, "new")] = &PolicyState{ID: "p-new", Name: "new", Type: SCP, Content: deny("ec2:*")}
	st.attach(RootTarget, PolicyKey(SCP, FullAWSAccess))
	st.attach(RootTarget, PolicyKey(SCP, "old"))
	changes := []Change{
		&AttachPolicy{PolicyName: "new", PolicyType: SCP, TargetKey: RootTarget},
		&DetachPolicy{PolicyName: "old", PolicyType: SCP, TargetKey: RootTarget},
	}
	lim := DefaultLimits()
	lim.SCPsPerTarget = 2
	got, err := orderForQuota(st, changes, lim)
	if err != nil {
		t.Fatal(err)
	}
	if d := describeAll(got); !strings.HasPrefix(d[0], "detach") {
		t.Errorf("order %v, want the detach first", d)
	}
	// Replacing the only allow of a full target has no safe order.
	changes = []Change{
		&AttachPolicy{PolicyName: "new", PolicyType: SCP, TargetKey: RootTarget},
		&DetachPolicy{PolicyName: FullAWSAccess, PolicyType: SCP, TargetKey: RootTarget},
	}
	st.Policies[PolicyKey(SCP, "new")].Content = allow
	if _, err := orderForQuota(st, changes, lim); err == nil || !strings.Contains(err.Error(), "quota per target (2)") {
		t.Errorf("err = %v", err)
	}
}

// An attachment to a target that is no longer in the organization is a
// finding with its clean-up planned, not a refusal of every command.
func TestPlanCleansUpLeftoverTarget(t *testing.T) {
	o := demoOrg(t)
	sp, files, _, err := Import(o)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, b := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "org.yaml")
	d, err := Parse(path, Marshal(sp, Comments{}))
	if err != nil {
		t.Fatal(err)
	}
	d.Dir = dir
	desired := compile(t, d)
	var pol string
	for i := range o.Policies {
		if !o.Policies[i].AWSManaged && o.Policies[i].Type == "SERVICE_CONTROL_POLICY" {
			o.Policies[i].Targets = append(o.Policies[i].Targets, "ou-gone-00000001")
			pol = o.Policies[i].Name
			break
		}
	}
	p, err := NewPlan(d, desired, o, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Findings) != 1 || !strings.Contains(p.Findings[0], `"ou-gone-00000001", which is not in organization`) {
		t.Errorf("findings %v", p.Findings)
	}
	want := []string{`detach SCP "` + pol + `" from target ou-gone-00000001 (no longer in the organization)`}
	if diff := cmp.Diff(want, describeAll(p.Changes)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	var b strings.Builder
	if err := WriteText(&b, p); err != nil || !strings.HasPrefix(b.String(), "! SCP policy") {
		t.Errorf("text:\n%s", b.String())
	}
}
