package demo

import (
	"encoding/json"
	"fmt"
	"strings"
)

// policyTemplate is a managed policy of the demo: its document and the
// service namespaces it grants (used for Access Advisor data, so the demo does
// not need to evaluate its own policies).
type policyTemplate struct {
	Name     string
	Path     string
	AWS      bool
	Services []string
	Doc      string
}

func stmt(effect string, actions []string, resources []string) map[string]any {
	s := map[string]any{"Effect": effect}
	if len(actions) == 1 {
		s["Action"] = actions[0]
	} else {
		s["Action"] = actions
	}
	if len(resources) == 1 {
		s["Resource"] = resources[0]
	} else {
		s["Resource"] = resources
	}
	return s
}

func doc(stmts ...map[string]any) string {
	b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	if err != nil {
		panic(err) // static data
	}
	return string(b)
}

func allow(actions []string, resources ...string) map[string]any {
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	return stmt("Allow", actions, resources)
}

// awsManaged are simplified versions of AWS managed policies: the real
// documents are long; these keep their shape and intent.
var awsManaged = []policyTemplate{
	{Name: "AdministratorAccess", AWS: true, Services: []string{"*"},
		Doc: doc(allow([]string{"*"}))},
	{Name: "PowerUserAccess", AWS: true, Services: []string{"*"},
		Doc: doc(map[string]any{"Effect": "Allow", "NotAction": []string{"iam:*", "organizations:*", "account:*"}, "Resource": "*"},
			allow([]string{"iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles", "organizations:DescribeOrganization", "account:ListRegions"}))},
	{Name: "ReadOnlyAccess", AWS: true, Services: []string{"ec2", "s3", "iam", "cloudwatch", "logs", "dynamodb", "lambda", "rds", "cloudtrail", "sqs", "sns"},
		Doc: doc(allow([]string{"ec2:Describe*", "s3:Get*", "s3:List*", "iam:Get*", "iam:List*", "cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*", "logs:Describe*", "logs:Get*", "dynamodb:Describe*", "dynamodb:List*", "lambda:Get*", "lambda:List*", "rds:Describe*", "cloudtrail:Describe*", "cloudtrail:LookupEvents", "sqs:List*", "sqs:Get*", "sns:List*", "sns:Get*"}))},
	{Name: "AmazonS3FullAccess", AWS: true, Services: []string{"s3", "s3-object-lambda"},
		Doc: doc(allow([]string{"s3:*", "s3-object-lambda:*"}))},
	{Name: "AmazonS3ReadOnlyAccess", AWS: true, Services: []string{"s3"},
		Doc: doc(allow([]string{"s3:Get*", "s3:List*", "s3:Describe*"}))},
	{Name: "AmazonEC2FullAccess", AWS: true, Services: []string{"ec2", "elasticloadbalancing", "cloudwatch", "autoscaling"},
		Doc: doc(allow([]string{"ec2:*", "elasticloadbalancing:*", "cloudwatch:*", "autoscaling:*"}))},
	{Name: "AmazonDynamoDBFullAccess", AWS: true, Services: []string{"dynamodb", "application-autoscaling", "cloudwatch"},
		Doc: doc(allow([]string{"dynamodb:*", "application-autoscaling:*", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm"}))},
	{Name: "AWSLambda_FullAccess", AWS: true, Services: []string{"lambda", "logs", "cloudformation"},
		Doc: doc(allow([]string{"lambda:*", "logs:DescribeLogGroups", "logs:FilterLogEvents", "logs:GetLogEvents", "cloudformation:DescribeStacks"}))},
	{Name: "CloudWatchAgentServerPolicy", AWS: true, Services: []string{"cloudwatch", "logs", "ec2", "ssm"},
		Doc: doc(allow([]string{"cloudwatch:PutMetricData", "ec2:DescribeVolumes", "ec2:DescribeTags", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:DescribeLogGroups", "logs:CreateLogStream", "logs:CreateLogGroup"}),
			allow([]string{"ssm:GetParameter"}, "arn:aws:ssm:*:*:parameter/AmazonCloudWatch-*"))},
	{Name: "Billing", Path: "/job-function/", AWS: true, Services: []string{"aws-portal", "budgets", "ce", "cur"},
		Doc: doc(allow([]string{"aws-portal:*", "budgets:*", "ce:*", "cur:*"}))},
	{Name: "IAMUserChangePassword", AWS: true, Services: []string{"iam"},
		Doc: doc(allow([]string{"iam:ChangePassword"}, "arn:aws:iam::*:user/${aws:username}"), allow([]string{"iam:GetAccountPasswordPolicy"}))},
	{Name: "SecurityAudit", Path: "/", AWS: true, Services: []string{"iam", "cloudtrail", "config", "guardduty", "securityhub", "access-analyzer", "ec2", "s3"},
		Doc: doc(allow([]string{"iam:GenerateCredentialReport", "iam:Get*", "iam:List*", "cloudtrail:Describe*", "cloudtrail:Get*", "config:Describe*", "config:Get*", "guardduty:Get*", "guardduty:List*", "securityhub:Get*", "securityhub:List*", "access-analyzer:List*", "access-analyzer:Get*", "ec2:Describe*", "s3:GetBucketPolicy", "s3:GetBucketAcl", "s3:ListAllMyBuckets"}))},
}

// customerPolicies returns the demo's customer managed policies for one
// account (resources carry the account id).
func customerPolicies(acct string) []policyTemplate {
	b := func(name string) string { return "arn:aws:s3:::acme-" + name + "-" + acct }
	table := func(name string) string { return fmt.Sprintf("arn:aws:dynamodb:eu-west-1:%s:table/%s", acct, name) }
	return []policyTemplate{
		{Name: "payments-app-access", Services: []string{"s3", "dynamodb", "sqs", "kms"},
			Doc: doc(
				allow([]string{"s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"}, b("payments"), b("payments")+"/*"),
				allow([]string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Scan"}, table("payments"), table("payments-ledger")),
				allow([]string{"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}, fmt.Sprintf("arn:aws:sqs:eu-west-1:%s:payments-*", acct)),
				allow([]string{"kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:ReEncrypt*"}, fmt.Sprintf("arn:aws:kms:eu-west-1:%s:key/*", acct)))},
		{Name: "data-lake-access", Services: []string{"s3", "glue", "athena"},
			Doc: doc(
				allow([]string{"s3:*"}, b("datalake"), b("datalake")+"/*"),
				allow([]string{"glue:*", "athena:*"}))},
		{Name: "web-deploy", Services: []string{"s3", "cloudfront", "lambda"},
			Doc: doc(
				allow([]string{"s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetObject", "s3:PutObjectAcl"}, b("web-assets"), b("web-assets")+"/*"),
				allow([]string{"cloudfront:CreateInvalidation", "cloudfront:GetDistribution", "cloudfront:UpdateDistribution", "cloudfront:ListDistributions"}),
				allow([]string{"lambda:UpdateFunctionCode", "lambda:GetFunction", "lambda:PublishVersion"}, fmt.Sprintf("arn:aws:lambda:eu-west-1:%s:function:web-*", acct)))},
		{Name: "ci-deploy", Services: []string{"ecs", "ecr", "iam", "s3", "cloudformation", "ec2"},
			Doc: doc(
				allow([]string{"ecs:*", "ecr:*", "cloudformation:*", "ec2:*"}),
				allow([]string{"iam:PassRole"}),
				allow([]string{"s3:*"}, b("artifacts"), b("artifacts")+"/*"))},
		{Name: "metrics-publisher", Services: []string{"cloudwatch"},
			Doc: doc(allow([]string{"cloudwatch:PutMetricData"}))},
		{Name: "backup-writer", Services: []string{"s3", "rds", "ec2"},
			Doc: doc(
				allow([]string{"s3:PutObject", "s3:ListBucket", "s3:GetObject"}, b("backups"), b("backups")+"/*", b("backups-dr"), b("backups-dr")+"/*"),
				allow([]string{"rds:CreateDBSnapshot", "rds:DescribeDBSnapshots", "rds:DescribeDBInstances", "ec2:CreateSnapshot", "ec2:DescribeSnapshots", "ec2:DescribeVolumes"}))},
		{Name: "support-tools", Services: []string{"support", "logs", "cloudwatch"},
			Doc: doc(allow([]string{"support:*", "logs:FilterLogEvents", "logs:GetLogEvents", "logs:DescribeLogGroups", "cloudwatch:GetMetricData"}))},
		{Name: "legacy-full-s3-and-iam", Services: []string{"s3", "iam"},
			Doc: doc(allow([]string{"s3:*", "iam:*"}))},
	}
}

// inlineTemplates are inline policies handed to some principals.
func inlineDoc(acct, kind, name string) (string, []string) {
	switch kind {
	case "self-keys":
		return doc(allow([]string{"iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey"},
			"arn:aws:iam::"+acct+":user/${aws:username}")), []string{"iam"}
	case "bucket":
		r := "arn:aws:s3:::acme-" + strings.ToLower(name) + "-scratch-" + acct
		return doc(allow([]string{"s3:GetObject", "s3:PutObject", "s3:ListBucket"}, r, r+"/*")), []string{"s3"}
	case "secrets":
		return doc(allow([]string{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"},
			"arn:aws:secretsmanager:eu-west-1:"+acct+":secret:"+name+"/*")), []string{"secretsmanager"}
	case "admin-inline":
		return doc(allow([]string{"*"})), []string{"*"}
	}
	panic("unknown inline kind " + kind)
}
