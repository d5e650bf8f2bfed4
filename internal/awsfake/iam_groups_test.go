package awsfake_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

func TestIAMGroupWrites(t *testing.T) {
	const id = "123456789012"
	a := &snapshot.Account{AccountID: id,
		Policies: []snapshot.ManagedPolicy{{ARN: "arn:aws:iam::aws:policy/ReadOnlyAccess", PolicyName: "ReadOnlyAccess"}},
		Users: []snapshot.User{
			{ARN: "arn:aws:iam::" + id + ":user/ann", UserName: "ann", AttachedPolicies: []snapshot.AttachedPolicy{{PolicyName: "ReadOnlyAccess", PolicyARN: "arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
			{ARN: "arn:aws:iam::" + id + ":user/full", UserName: "full", Groups: []string{"g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8", "g9", "g10"}},
		}}
	s := awsfake.New(awsfake.Scenario{Accounts: []*snapshot.Account{a}})
	defer s.Close()
	c := iam.NewFromConfig(config(s, s.Credentials()))
	ctx := context.Background()
	ro := aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")
	steps := []struct {
		name string
		call func() error
		code string
	}{
		{"get missing group", func() error { _, err := c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("team")}); return err }, "NoSuchEntity"},
		{"create", func() error {
			_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("team")})
			return err
		}, ""},
		{"create twice", func() error {
			_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("team")})
			return err
		}, "EntityAlreadyExists"},
		{"attach unknown policy", func() error {
			_, err := c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("team"), PolicyArn: aws.String("arn:aws:iam::aws:policy/Nope")})
			return err
		}, "NoSuchEntity"},
		{"attach", func() error {
			_, err := c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("team"), PolicyArn: ro})
			return err
		}, ""},
		{"add", func() error {
			_, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("team"), UserName: aws.String("ann")})
			return err
		}, ""},
		{"detach", func() error {
			_, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("ann"), PolicyArn: ro})
			return err
		}, ""},
		{"detach again", func() error {
			_, err := c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("ann"), PolicyArn: ro})
			return err
		}, "NoSuchEntity"},
	}
	for _, st := range steps {
		if got := code(st.call()); got != st.code {
			t.Fatalf("%s: error code %q, want %q", st.name, got, st.code)
		}
	}
	g, err := c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("team")})
	if err != nil || len(g.Users) != 1 || aws.ToString(g.Users[0].UserName) != "ann" {
		t.Fatalf("GetGroup: %v %+v", err, g)
	}
	ap, _ := c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("team")})
	gs, _ := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("ann")})
	up, _ := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("ann")})
	if len(ap.AttachedPolicies) != 1 || len(gs.Groups) != 1 || len(up.AttachedPolicies) != 0 {
		t.Errorf("state: %d group policies, %d groups, %d user policies", len(ap.AttachedPolicies), len(gs.Groups), len(up.AttachedPolicies))
	}
	if _, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("team"), UserName: aws.String("ann")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("team"), UserName: aws.String("ann")}); code(err) != "NoSuchEntity" {
		t.Errorf("second removal: %v", err)
	}
}
