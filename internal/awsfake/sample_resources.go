package awsfake

import (
	"encoding/json"
	"fmt"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// sampleRegion is the only region the sample accounts have resources in
// (the session's default region), so that a collect with default options
// reads back exactly what was seeded.
const sampleRegion = "us-east-1"

// sampleExternal gives a sample account what collect's resource-policy pass
// reads: its organization, no identity providers, an account-level S3
// Block Public Access that blocks everything, and no resources. Accounts
// without external access keep the audit of the sample scenario unchanged;
// SeedExternalAccess adds the interesting resources.
func sampleExternal(a *snapshot.Account, org *snapshot.Organization) {
	a.OrgMembership = &snapshot.OrgMembership{ID: org.ID, ManagementAccount: org.ManagementAccount}
	a.IdentityProviders = &snapshot.IdentityProviders{SAML: []snapshot.IdentityProvider{}, OIDC: []snapshot.IdentityProvider{}}
	a.ResourcePolicies = &snapshot.ResourcePolicies{
		S3AccountBlock: &snapshot.PublicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true},
	}
	SetScopes(a.ResourcePolicies, []string{sampleRegion})
}

// SetScopes fills rp.Regions, rp.Scopes (one per service and region, in
// collect's order, with resource counts) and sorts rp.Items the way collect
// writes them, so that a seeded account equals its collected copy.
func SetScopes(rp *snapshot.ResourcePolicies, regions []string) {
	rp.Regions = regions
	count := map[[2]string]int{}
	for _, it := range rp.Items {
		reg := it.Region
		if it.Type == snapshot.ResourceS3Bucket {
			reg = ""
		}
		count[[2]string{it.Type, reg}]++
	}
	rp.Scopes = []snapshot.CollectScope{{Service: snapshot.ServiceS3Control}, {Service: snapshot.ResourceS3Bucket, Resources: count[[2]string{snapshot.ResourceS3Bucket, ""}]}}
	for _, reg := range regions {
		for _, t := range []string{snapshot.ResourceKMSKey, snapshot.ResourceSQSQueue, snapshot.ResourceSNSTopic,
			snapshot.ResourceLambda, snapshot.ResourceSecret, snapshot.ResourceECRRepo} {
			rp.Scopes = append(rp.Scopes, snapshot.CollectScope{Service: t, Region: reg, Resources: count[[2]string{t, reg}]})
		}
	}
	rp.Sort()
}

// SeedExternalAccess gives account a (of a SampleScenario) one resource of
// each collected type, with policies from the AWS documentation's examples:
// a public bucket, a bucket with a public ACL that its Block Public Access
// ignores, a KMS key shared with an outside account, an SQS queue that an
// SNS topic may write to (restricted by aws:SourceArn), an SNS topic open to
// anyone, a Lambda function S3 may invoke without a source condition, a
// secret and an ECR repository without policies, a GitHub OIDC provider
// trusted by a role for any repository, and an unused SAML provider. The
// account-level Block Public Access is removed. outside is the account id
// of the outside party.
func SeedExternalAccess(a *snapshot.Account, outside string) {
	id := a.AccountID
	raw := func(format string, args ...any) json.RawMessage { return json.RawMessage(fmt.Sprintf(format, args...)) }
	rp := a.ResourcePolicies
	if rp == nil {
		rp = &snapshot.ResourcePolicies{}
		a.ResourcePolicies = rp
	}
	rp.S3AccountBlock = nil
	r := sampleRegion
	rp.Items = append(rp.Items,
		// Amazon S3 User Guide, "Examples of Amazon S3 bucket policies".
		snapshot.ResourcePolicy{Type: snapshot.ResourceS3Bucket, ARN: "arn:aws:s3:::acme-public-" + id, Name: "acme-public-" + id, Region: r,
			Policy:    raw(`{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":["arn:aws:s3:::acme-public-%s/*"]}]}`, id),
			ACLGrants: []snapshot.ACLGrant{{GranteeType: "CanonicalUser", Grantee: ownerID(id), Permission: "FULL_CONTROL"}}},
		snapshot.ResourcePolicy{Type: snapshot.ResourceS3Bucket, ARN: "arn:aws:s3:::acme-acl-" + id, Name: "acme-acl-" + id, Region: "eu-west-1",
			ACLGrants: []snapshot.ACLGrant{{GranteeType: "CanonicalUser", Grantee: ownerID(id), Permission: "FULL_CONTROL"},
				{GranteeType: "Group", Grantee: "http://acs.amazonaws.com/groups/global/AllUsers", Permission: "READ"}},
			BucketBlock: &snapshot.PublicAccessBlock{IgnorePublicAcls: true}},
		// AWS KMS Developer Guide, "Allowing users in other accounts to use a KMS key".
		snapshot.ResourcePolicy{Type: snapshot.ResourceKMSKey, ARN: fmt.Sprintf("arn:aws:kms:%s:%s:key/1234abcd-12ab-34cd-56ef-1234567890ab", r, id),
			Name: "1234abcd-12ab-34cd-56ef-1234567890ab", Region: r, KeyManager: "CUSTOMER",
			Policy: raw(`{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"kms:*","Resource":"*"},{"Sid":"Allow use of the key","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"}]}`, id, outside)},
		// Amazon SNS Developer Guide, "Subscribing an Amazon SQS queue to an Amazon SNS topic".
		snapshot.ResourcePolicy{Type: snapshot.ResourceSQSQueue, ARN: fmt.Sprintf("arn:aws:sqs:%s:%s:orders", r, id), Name: "orders", Region: r,
			Policy: raw(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:%s:%s:orders","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:%s:%s:events"}}}]}`, r, id, r, id)},
		snapshot.ResourcePolicy{Type: snapshot.ResourceSNSTopic, ARN: fmt.Sprintf("arn:aws:sns:%s:%s:events", r, id), Name: "events", Region: r,
			Policy: raw(`{"Version":"2012-10-17","Statement":[{"Sid":"AnyonePublish","Effect":"Allow","Principal":{"AWS":"*"},"Action":"SNS:Publish","Resource":"arn:aws:sns:%s:%s:events"}]}`, r, id)},
		// AWS Lambda Developer Guide, "Granting function access to AWS services" (without its SourceAccount condition).
		snapshot.ResourcePolicy{Type: snapshot.ResourceLambda, ARN: fmt.Sprintf("arn:aws:lambda:%s:%s:function:thumbnail", r, id), Name: "thumbnail", Region: r,
			Policy: raw(`{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"s3invoke","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:%s:%s:function:thumbnail"}]}`, r, id)},
		snapshot.ResourcePolicy{Type: snapshot.ResourceSecret, ARN: fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:db-AbCdEf", r, id), Name: "db", Region: r},
		snapshot.ResourcePolicy{Type: snapshot.ResourceECRRepo, ARN: fmt.Sprintf("arn:aws:ecr:%s:%s:repository/app", r, id), Name: "app", Region: r},
	)
	// The eu-west-1 bucket is listed with S3 (S3 lists every region).
	SetScopes(rp, rp.Regions)
	if a.IdentityProviders == nil {
		a.IdentityProviders = &snapshot.IdentityProviders{SAML: []snapshot.IdentityProvider{}, OIDC: []snapshot.IdentityProvider{}}
	}
	gh := fmt.Sprintf("arn:aws:iam::%s:oidc-provider/token.actions.githubusercontent.com", id)
	a.IdentityProviders.OIDC = append(a.IdentityProviders.OIDC, snapshot.IdentityProvider{ARN: gh, URL: "token.actions.githubusercontent.com", ClientIDs: []string{"sts.amazonaws.com"}})
	a.IdentityProviders.SAML = append(a.IdentityProviders.SAML, snapshot.IdentityProvider{ARN: fmt.Sprintf("arn:aws:iam::%s:saml-provider/OldIdP", id)})
	a.Roles = append(a.Roles, snapshot.Role{ARN: fmt.Sprintf("arn:aws:iam::%s:role/github-deploy", id), RoleName: "github-deploy",
		RoleID: "AROAFAKEGH" + id, Path: "/",
		TrustPolicy: raw(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"%s"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}]}`, gh)})
}
