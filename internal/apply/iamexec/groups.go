package iamexec

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/plan/iamplan"
)

// GroupIAM is the part of the IAM API the groups executor calls (*iam.Client).
type GroupIAM interface {
	GetGroup(ctx context.Context, in *iam.GetGroupInput, opt ...func(*iam.Options)) (*iam.GetGroupOutput, error)
	CreateGroup(ctx context.Context, in *iam.CreateGroupInput, opt ...func(*iam.Options)) (*iam.CreateGroupOutput, error)
	ListAttachedGroupPolicies(ctx context.Context, in *iam.ListAttachedGroupPoliciesInput, opt ...func(*iam.Options)) (*iam.ListAttachedGroupPoliciesOutput, error)
	AttachGroupPolicy(ctx context.Context, in *iam.AttachGroupPolicyInput, opt ...func(*iam.Options)) (*iam.AttachGroupPolicyOutput, error)
	ListGroupsForUser(ctx context.Context, in *iam.ListGroupsForUserInput, opt ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error)
	AddUserToGroup(ctx context.Context, in *iam.AddUserToGroupInput, opt ...func(*iam.Options)) (*iam.AddUserToGroupOutput, error)
	RemoveUserFromGroup(ctx context.Context, in *iam.RemoveUserFromGroupInput, opt ...func(*iam.Options)) (*iam.RemoveUserFromGroupOutput, error)
	ListAttachedUserPolicies(ctx context.Context, in *iam.ListAttachedUserPoliciesInput, opt ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error)
	DetachUserPolicy(ctx context.Context, in *iam.DetachUserPolicyInput, opt ...func(*iam.Options)) (*iam.DetachUserPolicyOutput, error)
}

// GroupExecutor applies groups plans: it checks each change against the current
// IAM state (idempotent re-runs) and makes it.
type GroupExecutor struct {
	// Client returns the IAM client of an account.
	Client func(ctx context.Context, account string) (GroupIAM, error)
}

var _ plan.Executor = (*GroupExecutor)(nil)

func (e *GroupExecutor) prepare(ctx context.Context, c plan.Change) (GroupIAM, iamplan.Change, error) {
	ch, err := iamplan.Decode(c)
	if err != nil {
		return nil, nil, err
	}
	cl, err := e.Client(ctx, c.Account)
	return cl, ch, err
}

// InEffect reports whether the change is already made.
func (e *GroupExecutor) InEffect(ctx context.Context, c plan.Change) (bool, error) {
	cl, ch, err := e.prepare(ctx, c)
	if err != nil {
		return false, err
	}
	switch x := ch.(type) {
	case *iamplan.CreateGroup:
		_, err := cl.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(x.GroupName)})
		if isNoSuchEntity(err) {
			return false, nil
		}
		return err == nil, err
	case *iamplan.AttachGroupPolicy:
		arns, err := groupPolicies(ctx, cl, x.GroupName)
		return slices.Contains(arns, x.PolicyARN), err
	case *iamplan.AddUserToGroup, *iamplan.RemoveUserFromGroup:
		gs, err := userGroups(ctx, cl, x.On().User)
		if err != nil {
			return false, err
		}
		add, isAdd := x.(*iamplan.AddUserToGroup)
		if isAdd {
			return slices.Contains(gs, add.GroupName), nil
		}
		return !slices.Contains(gs, x.(*iamplan.RemoveUserFromGroup).GroupName), nil
	case *iamplan.DetachUserPolicy:
		arns, err := userPolicies(ctx, cl, x.User)
		return err == nil && !slices.Contains(arns, x.PolicyARN), err
	}
	return false, fmt.Errorf("change %s: kind %q is not a groups change", c.ID, c.Kind)
}

// Apply makes the change.
func (e *GroupExecutor) Apply(ctx context.Context, c plan.Change) (string, error) {
	cl, ch, err := e.prepare(ctx, c)
	if err != nil {
		return "", err
	}
	switch x := ch.(type) {
	case *iamplan.CreateGroup:
		_, err = cl.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(x.GroupName)})
	case *iamplan.AttachGroupPolicy:
		_, err = cl.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(x.GroupName), PolicyArn: aws.String(x.PolicyARN)})
	case *iamplan.AddUserToGroup:
		_, err = cl.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(x.GroupName), UserName: aws.String(x.User)})
	case *iamplan.RemoveUserFromGroup:
		_, err = cl.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String(x.GroupName), UserName: aws.String(x.User)})
	case *iamplan.DetachUserPolicy:
		_, err = cl.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(x.User), PolicyArn: aws.String(x.PolicyARN)})
	default:
		return "", fmt.Errorf("change %s: kind %q is not a groups change", c.ID, c.Kind)
	}
	if err != nil {
		return "", err
	}
	return c.Description, nil
}

func groupPolicies(ctx context.Context, cl GroupIAM, group string) ([]string, error) {
	var out []string
	for pg := iam.NewListAttachedGroupPoliciesPaginator(cl, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(group)}); pg.HasMorePages(); {
		o, err := pg.NextPage(ctx)
		if isNoSuchEntity(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		for _, p := range o.AttachedPolicies {
			out = append(out, aws.ToString(p.PolicyArn))
		}
	}
	return out, nil
}

func userGroups(ctx context.Context, cl GroupIAM, user string) ([]string, error) {
	var out []string
	for pg := iam.NewListGroupsForUserPaginator(cl, &iam.ListGroupsForUserInput{UserName: aws.String(user)}); pg.HasMorePages(); {
		o, err := pg.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, g := range o.Groups {
			out = append(out, aws.ToString(g.GroupName))
		}
	}
	return out, nil
}

func userPolicies(ctx context.Context, cl GroupIAM, user string) ([]string, error) {
	var out []string
	for pg := iam.NewListAttachedUserPoliciesPaginator(cl, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(user)}); pg.HasMorePages(); {
		o, err := pg.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, p := range o.AttachedPolicies {
			out = append(out, aws.ToString(p.PolicyArn))
		}
	}
	return out, nil
}
