package iamexec

import (
	"context"
	"testing"

	"github.com/seiri-dev/seiri/internal/groups"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/plan/iamplan"
)

// groupsPlan moves legacy-app from the group deployers to a new group
// payments-readers holding a managed policy.
func groupsPlan(e *env) *plan.Plan {
	pol := "arn:aws:iam::" + e.member + ":policy/payments-read"
	on := iamplan.Header{Account: e.member, User: "legacy-app", NoGuard: true}
	return plan.New(groups.PlanKind, t0, "base", []plan.Change{
		iamplan.Wrap(&iamplan.CreateGroup{Header: iamplan.Header{Account: e.member}, GroupName: "payments-readers"}, "group/payments-readers", "create group payments-readers"),
		iamplan.Wrap(&iamplan.AttachGroupPolicy{Header: iamplan.Header{Account: e.member}, GroupName: "payments-readers", PolicyARN: pol}, "group/payments-readers", "attach payments-read to payments-readers"),
		iamplan.Wrap(&iamplan.AddUserToGroup{Header: on, GroupName: "payments-readers"}, "user/legacy-app", "add legacy-app to payments-readers"),
		iamplan.Wrap(&iamplan.RemoveUserFromGroup{Header: on, GroupName: "deployers"}, "user/legacy-app", "remove legacy-app from deployers"),
	})
}

func (e *env) groupExecutor() *GroupExecutor {
	return &GroupExecutor{Client: func(ctx context.Context, account string) (GroupIAM, error) {
		c, err := e.sess.ForAccount(ctx, account)
		if err != nil {
			return nil, err
		}
		return c.IAM, nil
	}}
}

// The resume path of the groups executor, for every change kind of the
// plan, and the end state.
func TestGroupExecutorResume(t *testing.T) {
	ops := []string{"CreateGroup", "AttachGroupPolicy", "AddUserToGroup", "RemoveUserFromGroup"}
	for i, op := range ops {
		t.Run(op, func(t *testing.T) {
			e := newEnv(t)
			p := groupsPlan(e)
			ex := e.groupExecutor()
			for _, c := range p.Changes[:i+1] {
				e.journal.Append(plan.Entry{Plan: p.ID, Change: c.ID, Phase: plan.Begin})
				if _, err := ex.Apply(context.Background(), c); err != nil {
					t.Fatal(err)
				}
				if c.ID != p.Changes[i].ID {
					e.journal.Append(plan.Entry{Plan: p.ID, Change: c.ID, Phase: plan.Done})
				}
			}
			calls := e.fake.Count("", op)
			res, err := plan.Apply(context.Background(), p, e.journal, ex, plan.Options{})
			if err != nil || res.Skipped != i+1 || res.Applied != len(p.Changes)-i-1 {
				t.Fatalf("resume: %+v %v", res, err)
			}
			if e.fake.Count("", op) != calls {
				t.Errorf("resume called %s again", op)
			}
			if g := e.state().User.Groups; !slicesEqual(g, []string{"payments-readers"}) {
				t.Errorf("groups after resume: %v", g)
			}
		})
	}
}
