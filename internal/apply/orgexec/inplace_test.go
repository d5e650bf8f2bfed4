package orgexec

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

const newProtect = `{"Version":"2012-10-17","Statement":[{"Sid":"ProtectTrail","Effect":"Deny","Action":["cloudtrail:StopLogging","cloudtrail:DeleteTrail"],"Resource":"*"}]}`

// maintenance is a plan that changes things in place: the content and the
// description of an existing SCP, an account moved into Suspended, and the
// empty Sandbox OU deleted.
func (e *applyEnv) maintenance() *org.Plan {
	e.t.Helper()
	sp, files, _, err := org.Import(e.live())
	if err != nil {
		e.t.Fatal(err)
	}
	for i := range sp.Policies {
		if sp.Policies[i].Name == "protect-security-services" {
			sp.Policies[i].Description = "Nobody may stop CloudTrail"
		}
	}
	files["policies/protect-security-services.json"] = []byte(newProtect)
	var ous []org.OU
	for _, ou := range sp.Root.OUs {
		switch ou.Name {
		case "Sandbox":
			continue
		case "Suspended":
			if len(ou.Accounts) == 0 {
				ou.Accounts = append(ou.Accounts, org.Account{ID: "666666666666"})
			}
		case "Workloads":
			for i := range ou.OUs {
				if ou.OUs[i].Name == "SDLC" {
					ou.OUs[i].Accounts = nil
				}
			}
		}
		ous = append(ous, ou)
	}
	sp.Root.OUs = ous
	return e.plan(sp, files)
}

func (e *applyEnv) policy(o *snapshot.Organization, name string) snapshot.OrgPolicy {
	for _, p := range o.Policies {
		if p.Name == name {
			return p
		}
	}
	e.t.Fatalf("no policy %s", name)
	return snapshot.OrgPolicy{}
}

func ouPath(o *snapshot.Organization, id string) string {
	st, _ := org.FromSnapshot(o)
	for path, ou := range st.OUs {
		if ou.ID == id {
			return path
		}
	}
	return id
}

// The changes no end-to-end test ran before: a policy updated in place
// (same id, new content and description), an account moved into
// Suspended, an OU deleted (with its backup).
func TestApplyInPlaceMoveAndDelete(t *testing.T) {
	e := newApplyEnv(t)
	before := e.live()
	oldPolicy := e.policy(before, "protect-security-services")
	p := e.maintenance()
	want := []string{
		`update SCP "protect-security-services": content 340 → 153 characters, description`,
		"move account 666666666666 (acme-dev) from OU Workloads/SDLC to OU Suspended",
		"delete OU Sandbox (empty)",
	}
	got := describe(p.Changes)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("plan (-want +got):\n%s", diff)
	}
	gp, err := org.ToPlan(p)
	if err != nil {
		t.Fatal(err)
	}
	ex := e.executor(e.live())
	ex.BackupDir = t.TempDir()
	res, err := plan.Apply(context.Background(), gp, e.journal, ex, plan.Options{Operator: "test"})
	if err != nil || res.Applied != 3 {
		t.Fatalf("apply: %+v %v", res, err)
	}
	after := e.live()
	np := e.policy(after, "protect-security-services")
	if np.ID != oldPolicy.ID || !org.SameContent(np.Content, newProtect) || np.Description != "Nobody may stop CloudTrail" {
		t.Errorf("policy not updated in place: %+v (was %s)", np, oldPolicy.ID)
	}
	if diff := cmp.Diff(oldPolicy.Targets, np.Targets); diff != "" {
		t.Errorf("update moved the policy's targets (-before +after):\n%s", diff)
	}
	for _, a := range after.Accounts {
		if a.ID == "666666666666" && ouPath(after, a.ParentID) != "Suspended" {
			t.Errorf("account 666666666666 is in %s", ouPath(after, a.ParentID))
		}
	}
	st, _ := org.FromSnapshot(after)
	if st.OUs["Sandbox"] != nil {
		t.Errorf("OU Sandbox still exists")
	}
	var bk struct {
		Kind string `json:"kind"`
		Path string `json:"path"`
	}
	matches, _ := filepath.Glob(filepath.Join(ex.BackupDir, "*org-ou-Sandbox.json"))
	if len(matches) != 1 || plan.ReadBackup(matches[0], &bk) != nil || bk.Kind != "organizational-unit" || bk.Path != "Sandbox" {
		t.Errorf("OU backup %v: %+v", matches, bk)
	}
	if p2 := e.maintenance(); len(p2.Changes) != 0 {
		t.Errorf("plan after apply is not empty: %v", describe(p2.Changes))
	}
}

// The resume path of every change kind of the maintenance plan: the run
// crashed after the journal's "begin" line and after the AWS call, before
// the "done" line. The next run finds the change in effect, makes no second
// write call, and completes the plan.
func TestApplyResumeAfterBeginLine(t *testing.T) {
	growth := func(e *applyEnv) *org.Plan {
		sp, files, _, err := org.Import(e.live())
		if err != nil {
			e.t.Fatal(err)
		}
		edit(e.t, sp)
		return e.plan(sp, files)
	}
	for _, tc := range []struct {
		plan func(*applyEnv) *org.Plan
		ops  []string // the write call of each change
	}{
		{(*applyEnv).maintenance, []string{"UpdatePolicy", "MoveAccount", "DeleteOrganizationalUnit"}},
		{growth, []string{"CreateOrganizationalUnit", "CreatePolicy", "AttachPolicy", "CreateAccount"}},
	} {
		for i, op := range tc.ops {
			t.Run(op, func(t *testing.T) {
				e := newApplyEnv(t)
				first := tc.plan(e)
				sp, files := e.lastSpec, e.lastFiles
				gp, _ := org.ToPlan(first)
				if len(gp.Changes) != len(tc.ops) {
					t.Fatalf("plan has %d changes", len(gp.Changes))
				}
				ex := e.executor(e.live())
				// The crashed run: the changes before i done, change i begun
				// and made, its done line never written.
				for _, c := range gp.Changes[:i+1] {
					if err := e.journal.Append(plan.Entry{Plan: gp.ID, Change: c.ID, Phase: plan.Begin}); err != nil {
						t.Fatal(err)
					}
					if _, err := ex.Apply(context.Background(), c); err != nil {
						t.Fatal(err)
					}
					if c.ID != gp.Changes[i].ID {
						e.journal.Append(plan.Entry{Plan: gp.ID, Change: c.ID, Phase: plan.Done})
					}
				}
				calls := e.fake.Count("", op)
				res, err := plan.Apply(context.Background(), gp, e.journal, e.executor(e.live()), plan.Options{})
				if err != nil {
					t.Fatalf("resume: %v", err)
				}
				if n := e.fake.Count("", op) - calls; n != 0 && op != "CreateAccount" {
					t.Errorf("resume called %s %d more times", op, n)
				}
				if op == "CreateAccount" && e.fake.Count("", op) != 1 {
					t.Errorf("the account was created %d times", e.fake.Count("", op))
				}
				if res.Skipped != i+1 || res.Applied != len(gp.Changes)-i-1 {
					t.Errorf("resume: %+v", res)
				}
				if p2 := e.plan(sp, files); len(p2.Changes) != 0 {
					t.Errorf("plan after resume: %v", describe(p2.Changes))
				}
			})
		}
	}
}
