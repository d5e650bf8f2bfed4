package awsfake_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/seiri-dev/seiri/internal/awsfake"
)

func TestOrganizationsWrites(t *testing.T) {
	ctx := context.Background()
	s, cfg := newFake(t, 3, 0)
	c := organizations.NewFromConfig(cfg)
	s.CreateAccountPolls(1)
	s.SetOrgLimits(awsfake.OrgLimits{SCPSize: 200, SCPsPerTarget: 2, OUDepth: 3})

	ou, err := c.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String("r-ab12"), Name: aws.String("Lab")})
	if err != nil {
		t.Fatal(err)
	}
	lab := aws.ToString(ou.OrganizationalUnit.Id)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:*","Resource":"*"}]}`
	pol, err := c.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("no-ec2"), Type: orgtypes.PolicyTypeServiceControlPolicy,
		Description: aws.String("d"), Content: aws.String(doc)})
	if err != nil {
		t.Fatal(err)
	}
	pid := pol.Policy.PolicySummary.Id
	big := `{"Version":"2012-10-17","Statement":[{"Sid":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","Effect":"Deny","Action":"ec2:*","Resource":"*"}]}`

	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"duplicate OU", func() error {
			_, err := c.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String("r-ab12"), Name: aws.String("lab")})
			return err
		}, "DuplicateOrganizationalUnitException"},
		{"OU depth", func() error {
			_, err := c.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String("ou-ab12-prod0001"), Name: aws.String("a")})
			if err != nil {
				return err
			}
			x, _ := c.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String("ou-ab12-prod0001")})
			_, err = c.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: x.OrganizationalUnits[0].Id, Name: aws.String("b")})
			return err
		}, "ConstraintViolationException"},
		{"policy too large", func() error {
			_, err := c.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("big"), Type: orgtypes.PolicyTypeServiceControlPolicy, Description: aws.String(""), Content: aws.String(big)})
			return err
		}, "ConstraintViolationException"},
		{"duplicate policy", func() error {
			_, err := c.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("no-ec2"), Type: orgtypes.PolicyTypeServiceControlPolicy, Description: aws.String(""), Content: aws.String(doc)})
			return err
		}, "DuplicatePolicyException"},
		{"attach", func() error {
			_, err := c.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: pid, TargetId: aws.String(lab)})
			return err
		}, ""},
		{"attach twice", func() error {
			_, err := c.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: pid, TargetId: aws.String(lab)})
			return err
		}, "DuplicatePolicyAttachmentException"},
		{"attach over the limit", func() error {
			p, err := c.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("third"), Type: orgtypes.PolicyTypeServiceControlPolicy, Description: aws.String(""), Content: aws.String(doc)})
			if err != nil {
				return err
			}
			_, err = c.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: p.Policy.PolicySummary.Id, TargetId: aws.String(lab)})
			return err
		}, "ConstraintViolationException"},
		{"delete attached policy", func() error {
			_, err := c.DeletePolicy(ctx, &organizations.DeletePolicyInput{PolicyId: pid})
			return err
		}, "PolicyInUseException"},
		{"detach not attached", func() error {
			_, err := c.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: pid, TargetId: aws.String("ou-ab12-security")})
			return err
		}, "PolicyNotAttachedException"},
		{"detach", func() error {
			_, err := c.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: pid, TargetId: aws.String(lab)})
			return err
		}, ""},
		{"detach the last SCP", func() error {
			_, err := c.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: aws.String(lab)})
			return err
		}, "ConstraintViolationException"},
		{"move from the wrong parent", func() error {
			_, err := c.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String("123456789012"), SourceParentId: aws.String(lab), DestinationParentId: aws.String("r-ab12")})
			return err
		}, "AccountNotFoundException"},
		{"delete non-empty OU", func() error {
			_, err := c.DeleteOrganizationalUnit(ctx, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String("ou-ab12-workload")})
			return err
		}, "OrganizationalUnitNotEmptyException"},
		{"concurrent modification", func() error {
			s.ConcurrentModification("UpdatePolicy", 1)
			_, err := c.UpdatePolicy(ctx, &organizations.UpdatePolicyInput{PolicyId: pid, Content: aws.String(doc)})
			return err
		}, "ConcurrentModificationException"},
		{"throttled", func() error {
			s.Throttle("", "TagResource", 1)
			_, err := c.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(lab), Tags: []orgtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}, "TooManyRequestsException"},
		{"delete OU", func() error {
			_, err := c.DeleteOrganizationalUnit(ctx, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(lab)})
			return err
		}, ""},
	}
	for _, tt := range tests {
		if got := code(tt.call()); got != tt.want {
			t.Errorf("%s: error %q, want %q", tt.name, got, tt.want)
		}
	}

	// CreateAccount: IN_PROGRESS, then SUCCEEDED; the account is in the root, tagged.
	ca, err := c.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("new"), Email: aws.String("new@example.com"),
		Tags: []orgtypes.Tag{{Key: aws.String("team"), Value: aws.String("x")}}})
	if err != nil {
		t.Fatal(err)
	}
	var states []orgtypes.CreateAccountState
	var id string
	for i := 0; i < 3; i++ {
		st, err := c.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: ca.CreateAccountStatus.Id})
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, st.CreateAccountStatus.State)
		id = aws.ToString(st.CreateAccountStatus.AccountId)
	}
	if states[0] != orgtypes.CreateAccountStateInProgress || states[1] != orgtypes.CreateAccountStateSucceeded || id == "" {
		t.Errorf("create account states %v, id %q", states, id)
	}
	tags, err := c.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})
	if err != nil || len(tags.Tags) != 1 {
		t.Errorf("tags %v %v", tags, err)
	}
	// An email already in use fails.
	s.CreateAccountPolls(0)
	ca, _ = c.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("dup"), Email: aws.String("new@example.com")})
	st, err := c.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: ca.CreateAccountStatus.Id})
	if err != nil || st.CreateAccountStatus.State != orgtypes.CreateAccountStateFailed || st.CreateAccountStatus.FailureReason != orgtypes.CreateAccountFailureReasonEmailAlreadyExists {
		t.Errorf("duplicate email: %+v %v", st, err)
	}
}
