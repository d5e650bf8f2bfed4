package collect

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Actions are the IAM actions of every AWS operation collect calls. Keep it
// in step with account.go, org.go and awsclient (a test runs a full collect
// against awsfake and checks that every operation it saw is listed here).
// All are read-only; sts:GetCallerIdentity needs no permission but is
// listed for completeness.
var Actions = []string{
	// account.go, per account (management and member accounts alike)
	"iam:GetAccountAuthorizationDetails",
	"iam:ListUsers",
	"iam:ListAccessKeys",
	"iam:GetAccessKeyLastUsed",
	"iam:ListMFADevices",
	"iam:GetLoginProfile",
	"iam:GenerateCredentialReport",
	"iam:GetCredentialReport",
	"iam:GetAccountPasswordPolicy",
	"iam:GetAccountSummary",
	"iam:ListAccountAliases",
	"iam:ListVirtualMFADevices",
	"iam:ListServerCertificates",
	"access-analyzer:ListAnalyzers",
	"iam:GenerateServiceLastAccessedDetails",
	"iam:GetServiceLastAccessedDetails",
	"cloudtrail:DescribeTrails",
	"cloudtrail:GetEventSelectors",
	"cloudtrail:GetTrailStatus",
	// resources.go, per account (and per region for the regional services);
	// it also calls organizations:DescribeOrganization, listed below
	"iam:ListSAMLProviders",
	"iam:ListOpenIDConnectProviders",
	"iam:GetOpenIDConnectProvider",
	"s3:GetAccountPublicAccessBlock",
	"s3:ListAllMyBuckets",
	"s3:GetBucketLocation",
	"s3:GetBucketPolicy",
	"s3:GetBucketAcl",
	"s3:GetBucketPublicAccessBlock",
	"kms:ListKeys",
	"kms:DescribeKey",
	"kms:GetKeyPolicy",
	"sqs:ListQueues",
	"sqs:GetQueueAttributes",
	"sns:ListTopics",
	"sns:GetTopicAttributes",
	"lambda:ListFunctions",
	"lambda:GetPolicy",
	"secretsmanager:ListSecrets",
	"secretsmanager:GetResourcePolicy",
	"ecr:DescribeRepositories",
	"ecr:GetRepositoryPolicy",
	// awsclient
	"sts:GetCallerIdentity",
	// org.go, management or delegated administrator account
	"organizations:DescribeOrganization",
	"organizations:ListRoots",
	"organizations:ListOrganizationalUnitsForParent",
	"organizations:ListAccountsForParent",
	"organizations:ListTagsForResource",
	"organizations:ListPolicies",
	"organizations:DescribePolicy",
	"organizations:ListTargetsForPolicy",
	"organizations:ListDelegatedAdministrators",
	"organizations:ListDelegatedServicesForAccount",
	"organizations:ListAWSServiceAccessForOrganization",
	// org.go, Organizations access reports (management account only)
	"iam:GenerateOrganizationsAccessReport",
	"iam:GetOrganizationsAccessReport",
}

// PolicyDocument is an IAM policy document.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a PolicyDocument.
type Statement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource []string `json:"Resource"`
}

// Policy is the least-privilege identity policy for the principal running
// `seiri collect`: the read actions above on every resource, and
// sts:AssumeRole on roleName in every account (for --org / --accounts).
// Member-account roles need the same read actions (the organizations ones
// excepted).
func Policy(roleName string) PolicyDocument {
	acts := append([]string(nil), Actions...)
	sort.Strings(acts)
	return PolicyDocument{Version: "2012-10-17", Statement: []Statement{
		{Sid: "SeiriCollectRead", Effect: "Allow", Action: acts, Resource: []string{"*"}},
		{Sid: "SeiriCollectAssumeMemberRole", Effect: "Allow", Action: []string{"sts:AssumeRole"},
			Resource: []string{fmt.Sprintf("arn:aws:iam::*:role/%s", roleName)}},
	}}
}

// PolicyJSON renders Policy indented, as `seiri permissions collect` prints it.
func PolicyJSON(roleName string) []byte {
	b, _ := json.MarshalIndent(Policy(roleName), "", "  ")
	return append(b, '\n')
}
