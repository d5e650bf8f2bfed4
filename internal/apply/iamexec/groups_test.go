package iamexec

import (
	"context"
	"testing"

	"github.com/seiri-dev/seiri/internal/groups"
	"github.com/seiri-dev/seiri/internal/plan"
)

// groupsPlan moves legacy-app from the group deployers to a new group
// payments-readers holding a managed policy.
func groupsPlan(e *env) *plan.Plan {
	pol := "arn:aws:iam::" + e.member + ":policy/payments-read"
	ch := func(kind, desc string, p groups.Params) plan.Change {
		return plan.Change{Kind: kind, Op: plan.Update, Account: e.member, Target: p.GroupName, Description: desc, Params: plan.MustParams(p)}
	}
	return plan.New(groups.PlanKind, t0, "base", []plan.Change{
		ch(groups.KindCreateGroup, "create group payments-readers", groups.Params{GroupName: "payments-readers"}),
		ch(groups.KindAttachGroupPolicy, "attach payments-read to payments-readers", groups.Params{GroupName: "payments-readers", PolicyARN: pol}),
		ch(groups.KindAddUserToGroup, "add legacy-app to payments-readers", groups.Params{GroupName: "payments-readers", UserName: "legacy-app"}),
		ch(groups.KindRemoveUser, "remove legacy-app from deployers", groups.Params{GroupName: "deployers", UserName: "legacy-app"}),
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
