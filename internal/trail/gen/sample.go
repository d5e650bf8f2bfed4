package gen

import (
	"fmt"
	"time"
)

// Sample returns a corpus spec with every userIdentity type, management and
// data events, cross-account calls, VPC endpoints and AccessDenied errors,
// for the given accounts (the first is the management account). scale
// multiplies every rate: 1 gives a few thousand events per account-day;
// benchmarks use larger values.
func Sample(seed uint64, accounts []string, start, end time.Time, scale float64) Spec {
	if len(accounts) == 0 {
		accounts = []string{"111111111111"}
	}
	r := func(perHour float64) float64 { return perHour * scale }
	var ps []Principal
	for i, acct := range accounts {
		other := accounts[(i+1)%len(accounts)]
		bucket := fmt.Sprintf("app-data-%s", acct)
		ps = append(ps,
			Principal{Type: IAMUser, Account: acct, Name: "ci-deploy", Path: "/service/",
				AccessKeyID: idOf("AKIA", "ci", acct), SourceIPs: []string{"198.51.100.7", "198.51.100.8"},
				UserAgents: []string{"aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.2"},
				Activities: []Activity{
					{EventSource: "s3.amazonaws.com", EventName: "PutObject", Resources: []string{bucket + "/releases/app.tar.gz", bucket + "/releases/app.sha256"}, PerHour: r(6)},
					{EventSource: "s3.amazonaws.com", EventName: "ListObjectsV2", Resources: []string{bucket}, PerHour: r(3)},
					{EventSource: "lambda.amazonaws.com", EventName: "UpdateFunctionCode20150331v2", Resources: []string{"api-handler"}, PerHour: r(0.5)},
					{EventSource: "sts.amazonaws.com", EventName: "GetCallerIdentity", PerHour: r(2)},
					{EventSource: "sts.amazonaws.com", EventName: "AssumeRole", Resources: []string{fmt.Sprintf("arn:aws:iam::%s:role/deployer", acct)}, PerHour: r(0.5)},
					{EventSource: "iam.amazonaws.com", EventName: "CreateRole", Resources: []string{"app-lambda"}, PerHour: r(0.1), ErrorRate: 1},
				}},
			Principal{Type: IAMUser, Account: acct, Name: "alice", SourceIPs: []string{"203.0.113.25", "2001:db8::25"},
				Activities: []Activity{
					{EventSource: "signin.amazonaws.com", EventName: "ConsoleLogin", PerHour: r(0.2)},
					{EventSource: "ec2.amazonaws.com", EventName: "DescribeInstances", PerHour: r(4)},
					{EventSource: "iam.amazonaws.com", EventName: "ListUsers", PerHour: r(0.5)},
					{EventSource: "iam.amazonaws.com", EventName: "CreateUser", Resources: []string{"temp-user"}, PerHour: r(0.05), ErrorRate: 0.8},
				}},
			Principal{Type: AssumedRole, Account: acct, Name: "app-ecs-task", Path: "/workloads/", SourceIPs: []string{"10.0.12.7", "10.0.13.9"},
				VPCEndpoint: "vpce-0a1b2c3d4e5f60718",
				UserAgents:  []string{"aws-sdk-java/2.25.60 Linux/5.10 OpenJDK_64-Bit_Server_VM/21.0.3+9-LTS Java/21.0.3 vendor/Amazon.com_Inc. exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/legacy"},
				Activities: []Activity{
					{EventSource: "s3.amazonaws.com", EventName: "GetObject", Resources: []string{bucket + "/data/2026/part-0001.parquet", bucket + "/data/2026/part-0002.parquet", bucket + "/config/app.json"}, PerHour: r(120)},
					{EventSource: "s3.amazonaws.com", EventName: "HeadObject", Resources: []string{bucket + "/config/app.json"}, PerHour: r(30)},
					{EventSource: "dynamodb.amazonaws.com", EventName: "GetItem", Resources: []string{"orders"}, PerHour: r(200)},
					{EventSource: "dynamodb.amazonaws.com", EventName: "PutItem", Resources: []string{"orders"}, PerHour: r(60), ErrorRate: 0.01, ErrorCode: "ConditionalCheckFailedException"},
					{EventSource: "dynamodb.amazonaws.com", EventName: "ExecuteStatement", Resources: []string{"orders"}, PerHour: r(10)},
					{EventSource: "kms.amazonaws.com", EventName: "Decrypt", Resources: []string{fmt.Sprintf("arn:aws:kms:us-east-1:%s:key/1234abcd-12ab-34cd-56ef-1234567890ab", acct)}, PerHour: r(40)},
					{EventSource: "secretsmanager.amazonaws.com", EventName: "GetSecretValue", Resources: []string{"prod/db/password"}, PerHour: r(2)},
					{EventSource: "sqs.amazonaws.com", EventName: "ReceiveMessage", Resources: []string{"orders-queue"}, PerHour: r(30)},
					{EventSource: "sqs.amazonaws.com", EventName: "SendMessageBatch", Resources: []string{"orders-queue"}, PerHour: r(10)},
					{EventSource: "s3.amazonaws.com", EventName: "PutObject", Resources: []string{"central-logs/app/x.log"}, PerHour: r(1), ErrorRate: 1},
				}},
			Principal{Type: AssumedRole, Account: acct, Name: "lambda-api", SourceIdentity: "deployer@example.com",
				UserAgents: []string{"Boto3/1.34.131 md/Botocore#1.34.131 ua/2.0 os/linux#5.10.219 md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12"},
				SourceIPs:  []string{"54.23.10.4"},
				Activities: []Activity{
					{EventSource: "lambda.amazonaws.com", EventName: "Invoke", Resources: []string{"api-handler", "thumbnailer"}, PerHour: r(80)},
					{EventSource: "logs.amazonaws.com", EventName: "CreateLogStream", Resources: []string{"/aws/lambda/api-handler"}, PerHour: r(2)},
					{EventSource: "ssm.amazonaws.com", EventName: "GetParameter", Resources: []string{"/app/prod/feature-flags"}, PerHour: r(6)},
					{EventSource: "sns.amazonaws.com", EventName: "Publish", Resources: []string{"order-events"}, PerHour: r(8)},
				}},
			Principal{Type: IdentityCenter, Account: acct, Name: "AdministratorAccess", SessionName: "bob@example.com",
				SourceIPs: []string{"192.0.2.44"}, UserAgents: []string{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15"},
				Activities: []Activity{
					{EventSource: "cloudtrail.amazonaws.com", EventName: "LookupEvents", PerHour: r(1)},
					{EventSource: "monitoring.amazonaws.com", EventName: "GetMetricData", PerHour: r(3)},
					{EventSource: "cloudfront.amazonaws.com", EventName: "ListDistributions2020_05_31", PerHour: r(0.3)},
				}},
			Principal{Type: AWSService, Name: "cloudtrail.amazonaws.com", Account: acct,
				Activities: []Activity{
					{EventSource: "s3.amazonaws.com", EventName: "GetBucketAcl", Account: acct, Resources: []string{"org-trail-" + acct}, PerHour: r(12)},
				}},
			Principal{Type: AWSService, Name: "kms.amazonaws.com", Account: acct,
				Activities: []Activity{
					{EventSource: "kms.amazonaws.com", EventName: "RotateKey", EventType: "AwsServiceEvent", Account: acct, PerHour: r(0.05)},
				}},
			Principal{Type: AssumedRole, Account: other, Name: "audit-reader",
				SourceIPs: []string{"34.201.4.2"},
				Activities: []Activity{
					{EventSource: "iam.amazonaws.com", EventName: "GetAccountAuthorizationDetails", Account: acct, PerHour: r(0.2)},
					{EventSource: "s3.amazonaws.com", EventName: "ListBuckets", Account: acct, PerHour: r(0.5)},
				}},
			Principal{Type: AWSAccount, Account: other, Name: "partner",
				Activities: []Activity{
					{EventSource: "s3.amazonaws.com", EventName: "GetObject", Account: acct, Resources: []string{bucket + "/shared/report.csv"}, PerHour: r(1)},
				}},
		)
		if i == 0 {
			ps = append(ps,
				Principal{Type: Root, Account: acct, Name: "root", SourceIPs: []string{"198.51.100.99"},
					Activities: []Activity{
						{EventSource: "signin.amazonaws.com", EventName: "ConsoleLogin", PerHour: r(0.01)},
						{EventSource: "budgets.amazonaws.com", EventName: "CreateBudget", PerHour: r(0.01)},
					}},
				Principal{Type: FederatedUser, Account: acct, Name: "contractor", Issuer: "broker",
					Activities: []Activity{
						{EventSource: "s3.amazonaws.com", EventName: "GetObject", Resources: []string{bucket + "/shared/report.csv"}, PerHour: r(0.5)},
					}},
				Principal{Type: SAMLUser, Account: acct, Name: fmt.Sprintf("arn:aws:iam::%s:saml-provider/Okta", acct), SessionName: "carol@example.com",
					Activities: []Activity{
						{EventSource: "sts.amazonaws.com", EventName: "AssumeRoleWithSAML", Resources: []string{fmt.Sprintf("arn:aws:iam::%s:role/OktaAdmins", acct)}, PerHour: r(0.3)},
					}},
				Principal{Type: WebIdentityUser, Account: acct, Name: "token.actions.githubusercontent.com", SessionName: "repo:example/app:ref:refs/heads/main",
					Activities: []Activity{
						{EventSource: "sts.amazonaws.com", EventName: "AssumeRoleWithWebIdentity", Resources: []string{fmt.Sprintf("arn:aws:iam::%s:role/github-deploy", acct)}, PerHour: r(1)},
					}},
				Principal{Type: IdentityCenterUser, Account: acct, Name: "dave",
					Activities: []Activity{
						{EventSource: "q.amazonaws.com", EventName: "SendMessage", PerHour: r(0.2)},
					}},
			)
		}
	}
	return Spec{Seed: seed, OrgID: "o-exampleorg1", Start: start, End: end, Principals: ps}
}
