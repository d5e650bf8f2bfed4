package iamexec

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/seiri-dev/seiri/internal/groups"
	"github.com/seiri-dev/seiri/internal/plan"
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

func (e *GroupExecutor) prepare(ctx context.Context, c plan.Change) (GroupIAM, groups.Params, error) {
	var p groups.Params
	if err := c.Param(&p); err != nil {
		return nil, p, err
	}
	cl, err := e.Client(ctx, c.Account)
	return cl, p, err
}

// InEffect reports whether the change is already made.
func (e *GroupExecutor) InEffect(ctx context.Context, c plan.Change) (bool, error) {
	cl, p, err := e.prepare(ctx, c)
	if err != nil {
		return false, err
	}
	switch c.Kind {
	case groups.KindCreateGroup:
		_, err := cl.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(p.GroupName)})
		if isNoSuchEntity(err) {
			return false, nil
		}
		return err == nil, err
	case groups.KindAttachGroupPolicy:
		arns, err := groupPolicies(ctx, cl, p.GroupName)
		return slices.Contains(arns, p.PolicyARN), err
	case groups.KindAddUserToGroup, groups.KindRemoveUser:
		gs, err := userGroups(ctx, cl, p.UserName)
		if err != nil {
			return false, err
		}
		in := slices.Contains(gs, p.GroupName)
		return in == (c.Kind == groups.KindAddUserToGroup), nil
	case groups.KindDetachUserPolicy:
		arns, err := userPolicies(ctx, cl, p.UserName)
		return err == nil && !slices.Contains(arns, p.PolicyARN), err
	}
	return false, fmt.Errorf("change %s: unknown kind %q", c.ID, c.Kind)
}

// Apply makes the change.
func (e *GroupExecutor) Apply(ctx context.Context, c plan.Change) (string, error) {
	cl, p, err := e.prepare(ctx, c)
	if err != nil {
		return "", err
	}
	switch c.Kind {
	case groups.KindCreateGroup:
		_, err = cl.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(p.GroupName)})
	case groups.KindAttachGroupPolicy:
		_, err = cl.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(p.GroupName), PolicyArn: aws.String(p.PolicyARN)})
	case groups.KindAddUserToGroup:
		_, err = cl.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(p.GroupName), UserName: aws.String(p.UserName)})
	case groups.KindRemoveUser:
		_, err = cl.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String(p.GroupName), UserName: aws.String(p.UserName)})
	case groups.KindDetachUserPolicy:
		_, err = cl.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(p.UserName), PolicyArn: aws.String(p.PolicyARN)})
	default:
		return "", fmt.Errorf("change %s: unknown kind %q", c.ID, c.Kind)
	}
	if err != nil {
		return "", err
	}
	return c.Description, nil
}

func groupPolicies(ctx context.Context, cl GroupIAM, group string) ([]string, error) {
	var out []string
	in := &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(group)}
	for {
		o, err := cl.ListAttachedGroupPolicies(ctx, in)
		if isNoSuchEntity(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		for _, p := range o.AttachedPolicies {
			out = append(out, aws.ToString(p.PolicyArn))
		}
		if !o.IsTruncated {
			return out, nil
		}
		in.Marker = o.Marker
	}
}

func userGroups(ctx context.Context, cl GroupIAM, user string) ([]string, error) {
	var out []string
	in := &iam.ListGroupsForUserInput{UserName: aws.String(user)}
	for {
		o, err := cl.ListGroupsForUser(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, g := range o.Groups {
			out = append(out, aws.ToString(g.GroupName))
		}
		if !o.IsTruncated {
			return out, nil
		}
		in.Marker = o.Marker
	}
}

func userPolicies(ctx context.Context, cl GroupIAM, user string) ([]string, error) {
	var out []string
	in := &iam.ListAttachedUserPoliciesInput{UserName: aws.String(user)}
	for {
		o, err := cl.ListAttachedUserPolicies(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, p := range o.AttachedPolicies {
			out = append(out, aws.ToString(p.PolicyArn))
		}
		if !o.IsTruncated {
			return out, nil
		}
		in.Marker = o.Marker
	}
}
