package risk

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// The policies below are the examples of the AWS documentation (and
// GitHub's), with the account ids and names of the examples; each public or
// cross-account example has false-positive twins: the same grant restricted
// by aws:PrincipalOrgID, by aws:SourceArn / aws:SourceAccount, or removed by
// a Deny.

const (
	home     = "111122223333" // the audited account (AWS docs' example id)
	sibling  = "444455556666" // another account of the organization
	partner  = "999988887777" // an account outside the organization
	orgID    = "o-exampleorgid"
	bucket   = "arn:aws:s3:::amzn-s3-demo-bucket"
	queueARN = "arn:aws:sqs:us-east-2:111122223333:MyQueue"
	topicARN = "arn:aws:sns:us-east-2:111122223333:MyTopic"
	keyARN   = "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

// Amazon S3 User Guide, "Examples of Amazon S3 bucket policies": "Granting
// read-only permission to a public anonymous user".
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html
const s3PublicRead = `{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*",
 "Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":["arn:aws:s3:::amzn-s3-demo-bucket/*"]}]}`

// Same page, "Requiring ... aws:PrincipalOrgID": the public grant limited to
// the organization.
const s3OrgOnly = `{"Version":"2012-10-17","Statement":[{"Sid":"AllowOrg","Effect":"Allow","Principal":"*",
 "Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*",
 "Condition":{"StringEquals":{"aws:PrincipalOrgID":["o-exampleorgid"]}}}]}`

// The public grant with a Deny for callers outside the organization (the
// data-perimeter pattern of the AWS Organizations User Guide).
const s3PublicDenyOutside = `{"Version":"2012-10-17","Statement":[
 {"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"},
 {"Sid":"DenyOutsideOrg","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"],
  "Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-exampleorgid"}}}]}`

// Same page, "Restricting access to specific HTTP referers": a condition the
// caller chooses does not restrict.
const s3Referer = `{"Version":"2012-10-17","Statement":[{"Sid":"AllowReferer","Effect":"Allow","Principal":"*",
 "Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*",
 "Condition":{"StringLike":{"aws:Referer":["https://www.example.com/*","https://example.com/*"]}}}]}`

// Same page, "Granting cross-account permissions to upload objects": a named
// account outside the organization.
const s3CrossAccount = `{"Version":"2012-10-17","Statement":[{"Sid":"CrossAccount","Effect":"Allow",
 "Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":["s3:PutObject","s3:PutObjectAcl"],
 "Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]}`

// The same grant to an account of the organization.
const s3SiblingAccount = `{"Version":"2012-10-17","Statement":[{"Sid":"CrossAccount","Effect":"Allow",
 "Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["s3:PutObject","s3:PutObjectAcl"],
 "Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]}`

// Amazon SNS Developer Guide, "Subscribing an Amazon SQS queue to an Amazon
// SNS topic": the queue policy lets the topic (aws:SourceArn) send.
// https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html
const sqsFromTopic = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},
 "Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-2:111122223333:MyQueue",
 "Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-2:111122223333:MyTopic"}}}]}`

// The same statement without its condition: any account's topic may send
// (the confused deputy).
const sqsFromAnyTopic = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},
 "Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-2:111122223333:MyQueue"}]}`

// Amazon SQS Developer Guide, "Basic examples of Amazon SQS policies":
// "grants all users permission to send messages" (Principal "*"), and its
// twin restricted to source account aws:SourceAccount... which does not
// restrict IAM callers: it is set only by services, so the outsider (an IAM
// principal) lacks it and StringEquals fails.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-basic-examples-of-sqs-policies.html
const sqsAnyone = `{"Version":"2012-10-17","Id":"Queue1_Policy_UUID","Statement":[{"Sid":"Queue1_AnonymousAccess_AllActions_WhitelistIP",
 "Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-2:111122223333:MyQueue"}]}`

const sqsAnyoneSourceAccount = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
 "Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-2:111122223333:MyQueue",
 "Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}]}`

// Same page, "grants ... to a range of IP addresses": 192.0.2.0/24 is
// narrower than /8, which S3's definition of public counts as restricting.
const sqsIPRange = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:*",
 "Resource":"arn:aws:sqs:us-east-2:111122223333:MyQueue","Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}]}`

const sqsAnyIP = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:*",
 "Resource":"arn:aws:sqs:us-east-2:111122223333:MyQueue","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}}]}`

// AWS KMS Developer Guide, "Default key policy": the account, through IAM.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
const kmsDefault = `{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow",
 "Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`

// Same guide, "Allowing users in other accounts to use a KMS key": the
// external account in the key policy.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
const kmsExternal = `{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow",
 "Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
 {"Sid":"Allow use of the key","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},
  "Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"}]}`

// Principal "*" limited by kms:CallerAccount, the pattern of AWS managed
// keys' policies ("AWS managed keys", key policy example): outsiders fail.
const kmsCallerAccount = `{"Version":"2012-10-17","Statement":[{"Sid":"Allow access through S3","Effect":"Allow","Principal":{"AWS":"*"},
 "Action":["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*",
 "Condition":{"StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":"s3.us-east-2.amazonaws.com"}}}]}`

// IAM User Guide, "Access to AWS accounts owned by third parties": the
// third party's account with sts:ExternalId.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html
const trustExternalID = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"999988887777"},
 "Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"Unique ID Assigned by Example Corp"}}}]}`

const trustNoExternalID = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},
 "Action":"sts:AssumeRole"}]}`

const trustSibling = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},
 "Action":"sts:AssumeRole"}]}`

const trustAnyone = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`

const trustAnyoneInOrg = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole",
 "Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-exampleorgid"}}}]}`

const trustService = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// IAM User Guide, "Create a role for OpenID Connect federation", GitHub:
// the audience and the repository's subject pinned.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html
const ghPinned = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
 "Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
 "Action":"sts:AssumeRoleWithWebIdentity","Condition":{
  "StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},
  "StringLike":{"token.actions.githubusercontent.com:sub":"repo:octo-org/octo-repo:ref:refs/heads/octo-branch"}}}]}`

// The same with only the audience: any repository on GitHub.
const ghAudOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
 "Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
 "Action":"sts:AssumeRoleWithWebIdentity","Condition":{
  "StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}]}`

// A wildcard owner ("repo:*") and a wildcard repository ("repo:octo-org/*").
const ghAnyOwner = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
 "Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
 "Action":"sts:AssumeRoleWithWebIdentity","Condition":{
  "StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},
  "StringLike":{"token.actions.githubusercontent.com:sub":"repo:*"}}}]}`

const ghAnyRepo = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
 "Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
 "Action":"sts:AssumeRoleWithWebIdentity","Condition":{
  "StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},
  "StringLike":{"token.actions.githubusercontent.com:sub":"repo:octo-org/*"}}}]}`

// The wildcard repository with a Deny for every subject but one repository.
const ghAnyRepoDenied = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
 "Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
 "Action":"sts:AssumeRoleWithWebIdentity","Condition":{
  "StringLike":{"token.actions.githubusercontent.com:sub":"repo:octo-org/*"}}},
 {"Effect":"Deny","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
 "Action":"sts:AssumeRoleWithWebIdentity","Condition":{
  "StringNotLike":{"token.actions.githubusercontent.com:sub":"repo:octo-org/octo-repo:*"}}}]}`

// IAM User Guide, "Create a role for web identity or OIDC federation": a
// trust policy for Login with Amazon / Google, whose principal is not an
// ARN — not evaluated, and said so.
// IAM User Guide, "Create a role for SAML 2.0 federation": the trust
// policy pins the assertion's audience.
const samlProvider = "arn:aws:iam::111111111111:saml-provider/ExampleOrgSSOProvider"
const trustSAML = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + samlProvider + `"},
 "Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`
const trustSAMLNoAud = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + samlProvider + `"},
 "Action":"sts:AssumeRoleWithSAML"}]}`

const trustGoogle = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},
 "Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"accounts.google.com:aud":"66677788899900pro0"}}}]}`

type want struct {
	Kind      ExternalKind
	Principal string
}

func extAccount(rps ...snapshot.ResourcePolicy) *snapshot.Account {
	return &snapshot.Account{AccountID: home, ResourcePolicies: &snapshot.ResourcePolicies{
		Regions: []string{"us-east-2"},
		Scopes:  []snapshot.CollectScope{{Service: snapshot.ServiceS3Control}},
		Items:   rps,
		// An account-level block that restricts nothing, so that the
		// account-level finding does not appear in every case.
		S3AccountBlock: &snapshot.PublicAccessBlock{},
	}, OrgMembership: &snapshot.OrgMembership{ID: orgID}}
}

func org() *snapshot.Organization {
	return &snapshot.Organization{ID: orgID, ManagementAccount: sibling, Roots: []snapshot.Root{{ID: "r-root"}},
		Accounts: []snapshot.OrgAccount{{ID: home, ParentID: "r-root", Status: "ACTIVE"}, {ID: sibling, ParentID: "r-root", Status: "ACTIVE"}}}
}

func res(typ, arn, doc string) snapshot.ResourcePolicy {
	return snapshot.ResourcePolicy{Type: typ, ARN: arn, Name: arn[strings.LastIndexAny(arn, ":/")+1:], Region: "us-east-2", Policy: json.RawMessage(doc)}
}

func role(name, trust string) snapshot.Role {
	return snapshot.Role{ARN: "arn:aws:iam::" + home + ":role/" + name, RoleName: name, Path: "/", TrustPolicy: json.RawMessage(trust)}
}

func kinds(rep *ExternalReport) []want {
	out := []want{}
	for _, f := range rep.Findings {
		out = append(out, want{f.Kind, f.Principal})
	}
	return out
}

func TestExternalResourcePolicies(t *testing.T) {
	cases := []struct {
		name string
		item snapshot.ResourcePolicy
		want []want
	}{
		{"s3 public read (AWS example)", res(snapshot.ResourceS3Bucket, bucket, s3PublicRead), []want{{KindPublic, "*"}}},
		{"s3 public read twin: PrincipalOrgID", res(snapshot.ResourceS3Bucket, bucket, s3OrgOnly), nil},
		{"s3 public read twin: Deny outside org", res(snapshot.ResourceS3Bucket, bucket, s3PublicDenyOutside), nil},
		{"s3 referer does not restrict", res(snapshot.ResourceS3Bucket, bucket, s3Referer), []want{{KindPublic, "*"}}},
		{"s3 cross-account put (AWS example)", res(snapshot.ResourceS3Bucket, bucket, s3CrossAccount), []want{{KindExternalAccount, "arn:aws:iam::999988887777:root"}}},
		{"s3 cross-account twin: account in the org", res(snapshot.ResourceS3Bucket, bucket, s3SiblingAccount), nil},
		{"sqs from SNS topic with SourceArn (AWS example)", res(snapshot.ResourceSQSQueue, queueARN, sqsFromTopic), nil},
		{"sqs from SNS without SourceArn", res(snapshot.ResourceSQSQueue, queueARN, sqsFromAnyTopic), []want{{KindServiceNoSource, "sns.amazonaws.com"}}},
		{"sqs anyone (AWS example)", res(snapshot.ResourceSQSQueue, queueARN, sqsAnyone), []want{{KindPublic, "*"}}},
		{"sqs anyone twin: SourceAccount", res(snapshot.ResourceSQSQueue, queueARN, sqsAnyoneSourceAccount), nil},
		{"sqs IP range (AWS example) restricts", res(snapshot.ResourceSQSQueue, queueARN, sqsIPRange), nil},
		{"sqs 0.0.0.0/0 does not", res(snapshot.ResourceSQSQueue, queueARN, sqsAnyIP), []want{{KindPublic, "*"}}},
		{"kms default key policy (AWS example)", res(snapshot.ResourceKMSKey, keyARN, kmsDefault), nil},
		{"kms external account (AWS example)", res(snapshot.ResourceKMSKey, keyARN, kmsExternal), []want{{KindExternalAccount, "arn:aws:iam::999988887777:root"}}},
		{"kms Principal * with kms:CallerAccount", res(snapshot.ResourceKMSKey, keyARN, kmsCallerAccount), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &snapshot.Snapshot{Organization: org(), Accounts: []*snapshot.Account{extAccount(tc.item)}}
			rep := External(s, ExternalOptions{})
			if len(rep.Problems) > 0 {
				t.Fatalf("problems: %v", rep.Problems)
			}
			w := tc.want
			if w == nil {
				w = []want{}
			}
			if diff := cmp.Diff(w, kinds(rep)); diff != "" {
				t.Errorf("findings (-want +got):\n%s\n%s", diff, describe(rep))
			}
		})
	}
}

func describe(rep *ExternalReport) string {
	var b strings.Builder
	for _, f := range rep.Findings {
		fmt.Fprintf(&b, "  %s %s %s %v %s: %s\n", f.Kind, f.Resource, f.Principal, f.Actions, f.Statement, f.Detail)
	}
	return b.String()
}

func TestExternalTrustPolicies(t *testing.T) {
	gh := "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
	cases := []struct {
		name, trust string
		want        []want
	}{
		{"third party with ExternalId (AWS example)", trustExternalID, []want{{KindTrustExternal, "999988887777"}}},
		{"third party without ExternalId", trustNoExternalID, []want{{KindTrustNoExternalID, "arn:aws:iam::999988887777:root"}}},
		{"account of the organization", trustSibling, nil},
		{"any AWS account", trustAnyone, []want{{KindTrustPublic, "*"}}},
		{"any AWS account twin: PrincipalOrgID", trustAnyoneInOrg, nil},
		{"service role", trustService, nil},
		{"GitHub pinned (AWS example)", ghPinned, nil},
		{"GitHub audience only", ghAudOnly, []want{{KindOIDCAnySubject, gh}}},
		{"GitHub any owner", ghAnyOwner, []want{{KindOIDCAnySubject, gh}}},
		{"GitHub any repository of the owner", ghAnyRepo, []want{{KindOIDCWildcardRepo, gh}}},
		{"GitHub wildcard twin: Deny other repositories", ghAnyRepoDenied, nil},
		{"web identity (Google) not evaluated", trustGoogle, []want{{KindNotEvaluated, "accounts.google.com"}}},
		{"SAML provider (AWS example) said, not dropped", trustSAML, []want{{KindNotEvaluated, samlProvider}}},
		{"SAML provider without SAML:aud said, not dropped", trustSAMLNoAud, []want{{KindNotEvaluated, samlProvider}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := extAccount()
			a.Roles = []snapshot.Role{role("R", tc.trust)}
			s := &snapshot.Snapshot{Organization: org(), Accounts: []*snapshot.Account{a}}
			rep := External(s, ExternalOptions{})
			if len(rep.Problems) > 0 {
				t.Fatalf("problems: %v", rep.Problems)
			}
			w := tc.want
			if w == nil {
				w = []want{}
			}
			if diff := cmp.Diff(w, kinds(rep)); diff != "" {
				t.Errorf("findings (-want +got):\n%s\n%s", diff, describe(rep))
			}
		})
	}
}

func TestExternalS3BlockPublicAccessAndACL(t *testing.T) {
	// Amazon S3 User Guide, "Access control list (ACL) overview", Amazon S3
	// predefined groups: AllUsers is anyone, AuthenticatedUsers any AWS
	// account.
	// https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html
	publicACL := []snapshot.ACLGrant{
		{GranteeType: "CanonicalUser", Grantee: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", Permission: "FULL_CONTROL"},
		{GranteeType: "Group", Grantee: "http://acs.amazonaws.com/groups/global/AllUsers", Permission: "READ"},
	}
	cases := []struct {
		name           string
		acct, bucketBP *snapshot.PublicAccessBlock
		policy         string
		acl            []snapshot.ACLGrant
		want           []want
		blocked        int
	}{
		{"public ACL", nil, nil, "", publicACL, []want{{KindPublicACL, "*"}}, 0},
		{"public ACL twin: bucket IgnorePublicAcls", nil, &snapshot.PublicAccessBlock{IgnorePublicAcls: true}, "", publicACL, []want{}, 1},
		{"public ACL twin: account IgnorePublicAcls", &snapshot.PublicAccessBlock{IgnorePublicAcls: true}, nil, "", publicACL, []want{}, 1},
		{"public policy twin: RestrictPublicBuckets", &snapshot.PublicAccessBlock{RestrictPublicBuckets: true}, nil, s3PublicRead, nil, []want{}, 1},
		{"public policy, BlockPublicPolicy only (existing policy still applies)", nil, &snapshot.PublicAccessBlock{BlockPublicPolicy: true}, s3PublicRead, nil, []want{{KindPublic, "*"}}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			it := snapshot.ResourcePolicy{Type: snapshot.ResourceS3Bucket, ARN: bucket, Name: "amzn-s3-demo-bucket", ACLGrants: tc.acl, BucketBlock: tc.bucketBP}
			if tc.policy != "" {
				it.Policy = json.RawMessage(tc.policy)
			}
			a := extAccount(it)
			a.ResourcePolicies.S3AccountBlock = tc.acct
			if tc.acct == nil {
				a.ResourcePolicies.S3AccountBlock = &snapshot.PublicAccessBlock{}
			}
			rep := External(&snapshot.Snapshot{Organization: org(), Accounts: []*snapshot.Account{a}}, ExternalOptions{})
			if diff := cmp.Diff(tc.want, kinds(rep)); diff != "" {
				t.Errorf("findings (-want +got):\n%s\n%s", diff, describe(rep))
			}
			if rep.BlockedByBPA != tc.blocked {
				t.Errorf("BlockedByBPA = %d, want %d", rep.BlockedByBPA, tc.blocked)
			}
		})
	}
}

// An RCP of the organization that denies callers outside it (AWS
// Organizations User Guide, "Resource control policies" examples) removes
// the public access of a bucket policy in the accounts below it.
func TestExternalRCPRemovesAccess(t *testing.T) {
	o := org()
	o.Policies = []snapshot.OrgPolicy{{ID: "p-rcp1", Name: "perimeter", Type: "RESOURCE_CONTROL_POLICY", Targets: []string{"r-root"},
		Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":["s3:*","sqs:*","kms:*","secretsmanager:*","sts:*"],"Resource":"*",
		"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-exampleorgid"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}`}}
	a := extAccount(res(snapshot.ResourceS3Bucket, bucket, s3PublicRead), res(snapshot.ResourceSQSQueue, queueARN, sqsAnyone))
	rep := External(&snapshot.Snapshot{Organization: o, Accounts: []*snapshot.Account{a}}, ExternalOptions{})
	if diff := cmp.Diff([]want{}, kinds(rep)); diff != "" {
		t.Errorf("findings (-want +got):\n%s\n%s", diff, describe(rep))
	}
	// The same RCP attached elsewhere leaves the access.
	o.Policies[0].Targets = []string{sibling}
	rep = External(&snapshot.Snapshot{Organization: o, Accounts: []*snapshot.Account{a}}, ExternalOptions{})
	if diff := cmp.Diff([]want{{KindPublic, "*"}, {KindPublic, "*"}}, kinds(rep)); diff != "" {
		t.Errorf("findings (-want +got):\n%s\n%s", diff, describe(rep))
	}
}

func TestExternalCoverageAndProblems(t *testing.T) {
	noRP := &snapshot.Account{AccountID: sibling}
	gap := extAccount(res(snapshot.ResourceSQSQueue, queueARN, `{"Statement":[{"Effect":"Allow"`))
	gap.ResourcePolicies.Scopes = append(gap.ResourcePolicies.Scopes,
		snapshot.CollectScope{Service: snapshot.ResourceKMSKey, Region: "us-east-2", Error: "AccessDenied: not authorized to perform kms:ListKeys"})
	gap.ResourcePolicies.S3AccountBlock = nil // s3control read, nothing set
	gap.IdentityProviders = &snapshot.IdentityProviders{
		SAML: []snapshot.IdentityProvider{{ARN: "arn:aws:iam::111122223333:saml-provider/ExampleIdP"}},
		OIDC: []snapshot.IdentityProvider{{ARN: "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"}},
	}
	gap.Roles = []snapshot.Role{role("Deploy", ghPinned)}
	rep := External(&snapshot.Snapshot{Organization: org(), Accounts: []*snapshot.Account{gap, noRP}}, ExternalOptions{})
	got := kinds(rep)
	wantKinds := []want{
		{KindNotCollected, ""},   // KMS denied
		{KindProviderUnused, ""}, // the SAML provider: no role trusts it
		{KindNoAccountBPA, ""},   // s3control read, no configuration
		{KindNotEvaluated, ""},   // the broken queue policy
		{KindNotCollected, ""},   // the sibling: no resource policies at all
	}
	if diff := cmp.Diff(wantKinds, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s\n%s", diff, describe(rep))
	}
	if len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], queueARN) {
		t.Errorf("problems = %q, want one naming %s", rep.Problems, queueARN)
	}
}

func TestKeyPolicies(t *testing.T) {
	a := extAccount(res(snapshot.ResourceKMSKey, keyARN, kmsDefault), res(snapshot.ResourceKMSKey, keyARN+"0", `{"Statement":`))
	a.ResourcePolicies.Scopes = append(a.ResourcePolicies.Scopes, snapshot.CollectScope{Service: snapshot.ResourceKMSKey, Region: "us-east-2", Resources: 2})
	kp := NewKeyPolicies(&snapshot.Snapshot{Accounts: []*snapshot.Account{a}})
	p, st, err := kp.Lookup(keyARN)
	if err != nil || st != KeyFound || p == nil {
		t.Fatalf("Lookup(key) = %v, %v, %v", p, st, err)
	}
	if _, st, err := kp.Lookup(keyARN + "0"); st != KeyFound || err == nil || !strings.Contains(err.Error(), keyARN+"0") {
		t.Errorf("broken key policy: status %v, err %v", st, err)
	}
	if _, st, _ := kp.Lookup("arn:aws:kms:us-east-2:111122223333:key/other"); st != KeyUnknown {
		t.Errorf("absent key in a collected region: %v, want KeyUnknown", st)
	}
	if _, st, _ := kp.Lookup("arn:aws:kms:eu-west-1:111122223333:key/other"); st != KeyNotCollected {
		t.Errorf("key in a region not collected: %v, want KeyNotCollected", st)
	}
}

// TestSAMLTrustDetail: the not-evaluated SAML finding says whether the
// statement pins SAML:aud.
func TestSAMLTrustDetail(t *testing.T) {
	for trust, want := range map[string]string{trustSAML: "with a SAML:aud condition", trustSAMLNoAud: "WITHOUT a SAML:aud condition"} {
		a := extAccount()
		a.Roles = []snapshot.Role{role("R", trust)}
		rep := External(&snapshot.Snapshot{Organization: org(), Accounts: []*snapshot.Account{a}}, ExternalOptions{})
		found := false
		for _, f := range rep.Findings {
			found = found || (f.Kind == KindNotEvaluated && strings.Contains(f.Detail, want))
		}
		if !found {
			t.Errorf("no not-evaluated finding saying %q: %s", want, describe(rep))
		}
	}
}
