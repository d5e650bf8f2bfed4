// Package risk finds privilege-escalation paths: for every IAM user and role
// of a snapshot, the escalation methods it can perform and the shortest
// chain of them that reaches administrator-equivalent access or a named
// high-value principal. Every step is decided by the policy engine with the
// principal's full context (identity policies, permissions boundary, SCPs,
// the target role's trust policy, condition keys), through internal/leastpriv's
// model, so a Deny, a boundary or an SCP that blocks a step removes the path.
//
// It is a pure function of a snapshot and the IAM catalog: no AWS calls.
package risk

// Kind says how a method's requirements are checked and what it yields.
type Kind uint8

const (
	// KindGrant changes the permissions of a principal (itself, a group it
	// is in, a managed policy attached to it, or a principal it can become):
	// the target then holds whatever policy the actor writes.
	KindGrant Kind = iota + 1
	// KindJoinGroup adds the actor (a user) to a group.
	KindJoinGroup
	// KindUserCredentials obtains a credential of another user.
	KindUserCredentials
	// KindAssumeRole assumes a role its trust policy lets the actor assume.
	KindAssumeRole
	// KindUpdateTrust rewrites a role's trust policy, then assumes it.
	KindUpdateTrust
	// KindPassRole passes a role to a new compute resource the actor
	// controls (code runs with the role's credentials).
	KindPassRole
	// KindExistingCompute runs code in existing compute of a service that
	// runs under a role. The compute resources are not in the snapshot: the
	// step is possible, not proven.
	KindExistingCompute
)

// Target is what a grant method acts on.
type Target uint8

const (
	TargetNone Target = iota
	TargetUser
	TargetGroup
	TargetRole
	TargetPolicy // a customer managed policy attached to the principal or its groups
)

// Method is one privilege-escalation technique: the actions it needs, on
// what, and the public write-ups it comes from.
type Method struct {
	ID    string // stable, lower-case, used in finding evidence
	Title string
	Kind  Kind
	// Action is the action checked on the target (user, group, role or
	// policy ARN); for KindPassRole it is iam:PassRole on the role.
	Action string
	Target Target
	// Also are further actions needed on a resource the actor creates or
	// picks ("some resource its policies allow").
	Also []string
	// Service is the service principal the role must trust (KindPassRole,
	// KindExistingCompute).
	Service string
	// InstanceProfile: the role must be in an instance profile (EC2).
	InstanceProfile bool
	// Possible marks a method whose success depends on state the snapshot
	// does not hold (non-default policy versions, existing functions or
	// instances): its steps are reported as possible, not proven.
	Possible bool
	Outcome  string
	// Sources cite the public descriptions the method is taken from.
	Sources []string
}

// Public sources of the catalogue.
const (
	rhino   = "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/"
	ivPaths = "https://github.com/BishopFox/iam-vulnerable/tree/main/modules/free-resources/privesc-paths/"
	pmapper = "https://github.com/nccgroup/PMapper/blob/master/principalmapper/graphing/"
	bishop  = "https://bishopfox.com/blog/privilege-escalation-in-aws"
)

// adminPolicyARN is the policy an attacker attaches (iam:PolicyARN context
// key of the Attach*Policy actions, IAM Service Authorization Reference).
const adminPolicyARN = "arn:aws:iam::aws:policy/AdministratorAccess"

// Methods is the catalogue, in report order.
var Methods = []Method{
	{ID: "iam-create-policy-version", Title: "Create a new default version of a managed policy attached to the target", Kind: KindGrant,
		Action: "iam:CreatePolicyVersion", Target: TargetPolicy,
		Outcome: "the target's permissions are replaced by any policy (--set-as-default needs no iam:SetDefaultPolicyVersion)",
		Sources: []string{rhino + " (method 1)", ivPaths + "privesc1-CreateNewPolicyVersion.tf", pmapper + "iam_edges.py"}},
	{ID: "iam-set-default-policy-version", Title: "Make another existing version of an attached managed policy the default", Kind: KindGrant,
		Action: "iam:SetDefaultPolicyVersion", Target: TargetPolicy, Possible: true,
		Outcome: "the target gets the permissions of an older version (the non-default versions are not in the snapshot)",
		Sources: []string{rhino + " (method 2)", ivPaths + "privesc2-SetExistingDefaultPolicyVersion.tf"}},
	{ID: "iam-attach-user-policy", Title: "Attach a managed policy to the user", Kind: KindGrant,
		Action: "iam:AttachUserPolicy", Target: TargetUser,
		Outcome: "the user gets AdministratorAccess",
		Sources: []string{rhino + " (method 8)", ivPaths + "privesc7-AttachUserPolicy.tf", pmapper + "iam_edges.py"}},
	{ID: "iam-attach-group-policy", Title: "Attach a managed policy to a group of the user", Kind: KindGrant,
		Action: "iam:AttachGroupPolicy", Target: TargetGroup,
		Outcome: "the group's members get AdministratorAccess",
		Sources: []string{rhino + " (method 9)", ivPaths + "privesc8-AttachGroupPolicy.tf"}},
	{ID: "iam-attach-role-policy", Title: "Attach a managed policy to the role", Kind: KindGrant,
		Action: "iam:AttachRolePolicy", Target: TargetRole,
		Outcome: "the role gets AdministratorAccess",
		Sources: []string{rhino + " (method 10)", ivPaths + "privesc9-AttachRolePolicy.tf"}},
	{ID: "iam-put-user-policy", Title: "Write an inline policy on the user", Kind: KindGrant,
		Action: "iam:PutUserPolicy", Target: TargetUser,
		Outcome: "the user gets any inline policy",
		Sources: []string{rhino + " (method 11)", ivPaths + "privesc10-PutUserPolicy.tf"}},
	{ID: "iam-put-group-policy", Title: "Write an inline policy on a group of the user", Kind: KindGrant,
		Action: "iam:PutGroupPolicy", Target: TargetGroup,
		Outcome: "the group's members get any inline policy",
		Sources: []string{rhino + " (method 12)", ivPaths + "privesc11-PutGroupPolicy.tf"}},
	{ID: "iam-put-role-policy", Title: "Write an inline policy on the role", Kind: KindGrant,
		Action: "iam:PutRolePolicy", Target: TargetRole,
		Outcome: "the role gets any inline policy",
		Sources: []string{rhino + " (method 13)", ivPaths + "privesc12-PutRolePolicy.tf"}},
	{ID: "iam-add-user-to-group", Title: "Add oneself to a group with administrator access", Kind: KindJoinGroup,
		Action: "iam:AddUserToGroup", Target: TargetGroup,
		Outcome: "the user gets the group's permissions",
		Sources: []string{rhino + " (method 14)", ivPaths + "privesc13-AddUserToGroup.tf"}},
	{ID: "iam-create-access-key", Title: "Create an access key for another user", Kind: KindUserCredentials,
		Action: "iam:CreateAccessKey", Target: TargetUser,
		Outcome: "acts as the user (it must have fewer than two keys)",
		Sources: []string{rhino + " (method 4)", ivPaths + "privesc4-CreateAccessKey.tf", pmapper + "iam_edges.py"}},
	{ID: "iam-create-login-profile", Title: "Set a console password for a user that has none", Kind: KindUserCredentials,
		Action: "iam:CreateLoginProfile", Target: TargetUser,
		Outcome: "signs in to the console as the user",
		Sources: []string{rhino + " (method 5)", ivPaths + "privesc5-CreateLoginProfile.tf", pmapper + "iam_edges.py"}},
	{ID: "iam-update-login-profile", Title: "Change the console password of another user", Kind: KindUserCredentials,
		Action: "iam:UpdateLoginProfile", Target: TargetUser,
		Outcome: "signs in to the console as the user",
		Sources: []string{rhino + " (method 6)", ivPaths + "privesc6-UpdateLoginProfile.tf", pmapper + "iam_edges.py"}},
	{ID: "sts-assume-role", Title: "Assume a role whose trust policy allows it", Kind: KindAssumeRole,
		Action: "sts:AssumeRole", Target: TargetRole,
		Outcome: "acts as the role",
		Sources: []string{ivPaths + "privesc-AssumeRole.tf", pmapper + "sts_edges.py"}},
	{ID: "iam-update-assume-role-policy", Title: "Rewrite a role's trust policy, then assume the role", Kind: KindUpdateTrust,
		Action: "iam:UpdateAssumeRolePolicy", Target: TargetRole, Also: []string{"sts:AssumeRole"},
		Outcome: "acts as the role",
		Sources: []string{rhino + " (method 15)", ivPaths + "privesc14-UpdatingAssumeRolePolicy.tf", pmapper + "iam_edges.py"}},
	{ID: "ec2-run-instances", Title: "Pass the role to a new EC2 instance", Kind: KindPassRole,
		Action: "iam:PassRole", Target: TargetRole, Also: []string{"ec2:RunInstances"}, Service: "ec2.amazonaws.com", InstanceProfile: true,
		Outcome: "reads the role's credentials from the instance metadata",
		Sources: []string{rhino + " (method 3)", ivPaths + "privesc3-CreateEC2WithExistingIP.tf", pmapper + "ec2_edges.py"}},
	{ID: "autoscaling-launch", Title: "Pass the role to a new Auto Scaling launch configuration", Kind: KindPassRole,
		Action: "iam:PassRole", Target: TargetRole, Also: []string{"autoscaling:CreateLaunchConfiguration", "autoscaling:CreateAutoScalingGroup"}, Service: "ec2.amazonaws.com", InstanceProfile: true,
		Outcome: "instances launched by the group run with the role",
		Sources: []string{pmapper + "autoscaling_edges.py"}},
	{ID: "lambda-create-invoke", Title: "Pass the role to a new Lambda function and invoke it", Kind: KindPassRole,
		Action: "iam:PassRole", Target: TargetRole, Also: []string{"lambda:CreateFunction", "lambda:InvokeFunction"}, Service: "lambda.amazonaws.com",
		Outcome: "runs code with the role's credentials",
		Sources: []string{rhino + " (method 16)", ivPaths + "privesc15-PassExistingRoleToNewLambdaThenInvoke.tf", pmapper + "lambda_edges.py"}},
	{ID: "lambda-create-event-source", Title: "Pass the role to a new Lambda function triggered by an event source mapping", Kind: KindPassRole,
		Action: "iam:PassRole", Target: TargetRole, Also: []string{"lambda:CreateFunction", "lambda:CreateEventSourceMapping"}, Service: "lambda.amazonaws.com",
		Outcome: "runs code with the role's credentials",
		Sources: []string{rhino + " (method 17)", ivPaths + "privesc16-PassRoleToNewLambdaThenTriggerWithNewDynamo.tf"}},
	{ID: "lambda-create-add-permission", Title: "Pass the role to a new Lambda function and let anyone invoke it", Kind: KindPassRole,
		Action: "iam:PassRole", Target: TargetRole, Also: []string{"lambda:CreateFunction", "lambda:AddPermission"}, Service: "lambda.amazonaws.com",
		Outcome: "runs code with the role's credentials (invoked through its resource policy)",
		Sources: []string{bishop, pmapper + "lambda_edges.py"}},
	{ID: "glue-create-dev-endpoint", Title: "Pass the role to a new Glue development endpoint", Kind: KindPassRole,
		Action: "iam:PassRole", Target: TargetRole, Also: []string{"glue:CreateDevEndpoint"}, Service: "glue.amazonaws.com",
		Outcome: "SSH into the endpoint and use the role's credentials",
		Sources: []string{rhino + " (method 18)", ivPaths + "privesc18-PassExistingRoleToNewGlueDevEndpoint.tf", pmapper + "glue_edges.py"}},
	{ID: "cloudformation-create-stack", Title: "Pass the role to a new CloudFormation stack", Kind: KindPassRole,
		Action: "iam:PassRole", Target: TargetRole, Also: []string{"cloudformation:CreateStack"}, Service: "cloudformation.amazonaws.com",
		Outcome: "the stack creates any resource with the role's permissions",
		Sources: []string{rhino + " (method 20)", ivPaths + "privesc20-PassExistingRoleToCloudFormation.tf", pmapper + "cloudformation_edges.py"}},
	{ID: "datapipeline-create", Title: "Pass the role to a new Data Pipeline that runs a command", Kind: KindPassRole,
		Action: "iam:PassRole", Target: TargetRole, Also: []string{"datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition", "datapipeline:ActivatePipeline"}, Service: "datapipeline.amazonaws.com",
		Outcome: "the pipeline runs commands with the role's permissions",
		Sources: []string{rhino + " (method 21)", ivPaths + "privesc21-PassExistingRoleToNewDataPipeline.tf", pmapper + "datapipeline_edges.py"}},
	{ID: "sagemaker-notebook", Title: "Pass the role to a new SageMaker notebook instance and open it", Kind: KindPassRole,
		Action: "iam:PassRole", Target: TargetRole, Also: []string{"sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"}, Service: "sagemaker.amazonaws.com",
		Outcome: "a Jupyter terminal with the role's credentials",
		Sources: []string{ivPaths + "privesc-sageMakerCreateNotebookPassRole.tf", pmapper + "sagemaker_edges.py"}},
	{ID: "sagemaker-training-job", Title: "Pass the role to a new SageMaker training job", Kind: KindPassRole,
		Action: "iam:PassRole", Target: TargetRole, Also: []string{"sagemaker:CreateTrainingJob"}, Service: "sagemaker.amazonaws.com",
		Outcome: "the job's container runs with the role's credentials",
		Sources: []string{ivPaths + "privesc-sageMakerCreateTrainingJob.tf"}},
	{ID: "sagemaker-processing-job", Title: "Pass the role to a new SageMaker processing job", Kind: KindPassRole,
		Action: "iam:PassRole", Target: TargetRole, Also: []string{"sagemaker:CreateProcessingJob"}, Service: "sagemaker.amazonaws.com",
		Outcome: "the job's container runs with the role's credentials",
		Sources: []string{ivPaths + "privesc-sageMakerCreateProcessingJob.tf"}},
	{ID: "codebuild-create-project", Title: "Pass the role to a new CodeBuild project and start a build", Kind: KindPassRole,
		Action: "iam:PassRole", Target: TargetRole, Also: []string{"codebuild:CreateProject", "codebuild:StartBuild"}, Service: "codebuild.amazonaws.com",
		Outcome: "the build runs commands with the role's credentials",
		Sources: []string{ivPaths + "privesc-codeBuildCreateProjectPassRole.tf", pmapper + "codebuild_edges.py"}},
	{ID: "ecs-run-task", Title: "Pass the role to a new ECS task definition and run it", Kind: KindPassRole,
		Action: "iam:PassRole", Target: TargetRole, Also: []string{"ecs:RegisterTaskDefinition", "ecs:RunTask"}, Service: "ecs-tasks.amazonaws.com",
		Outcome: "the task's container runs with the role's credentials",
		Sources: []string{pmapper + "ecs_edges.py"}},
	{ID: "lambda-update-function-code", Title: "Replace the code of an existing Lambda function that runs with the role", Kind: KindExistingCompute,
		Action: "lambda:UpdateFunctionCode", Target: TargetRole, Service: "lambda.amazonaws.com", Possible: true,
		Outcome: "runs code with the role's credentials (if a function uses the role)",
		Sources: []string{rhino + " (method 19)", ivPaths + "privesc17-EditExistingLambdaFunctionWithRole.tf", pmapper + "lambda_edges.py"}},
	{ID: "glue-update-dev-endpoint", Title: "Add an SSH key to an existing Glue development endpoint with the role", Kind: KindExistingCompute,
		Action: "glue:UpdateDevEndpoint", Target: TargetRole, Service: "glue.amazonaws.com", Possible: true,
		Outcome: "SSH into the endpoint and use the role's credentials (if an endpoint uses the role)",
		Sources: []string{rhino + " (method 19, Glue)", ivPaths + "privesc19-UpdateExistingGlueDevEndpoint.tf"}},
	{ID: "ssm-send-command", Title: "Run a command on an EC2 instance that has the role", Kind: KindExistingCompute,
		Action: "ssm:SendCommand", Target: TargetRole, Service: "ec2.amazonaws.com", InstanceProfile: true, Possible: true,
		Outcome: "reads the role's credentials from the instance (if an instance runs with it)",
		Sources: []string{ivPaths + "privesc-ssmSendCommand.tf", pmapper + "ssm_edges.py"}},
	{ID: "ssm-start-session", Title: "Open a Session Manager shell on an EC2 instance that has the role", Kind: KindExistingCompute,
		Action: "ssm:StartSession", Target: TargetRole, Service: "ec2.amazonaws.com", InstanceProfile: true, Possible: true,
		Outcome: "reads the role's credentials from the instance (if an instance runs with it)",
		Sources: []string{ivPaths + "privesc-ssmStartSession.tf", pmapper + "ssm_edges.py"}},
	{ID: "ec2-instance-connect", Title: "Push an SSH key with EC2 Instance Connect to an instance that has the role", Kind: KindExistingCompute,
		Action: "ec2-instance-connect:SendSSHPublicKey", Target: TargetRole, Service: "ec2.amazonaws.com", InstanceProfile: true, Possible: true,
		Outcome: "reads the role's credentials from the instance (if an instance runs with it)",
		Sources: []string{ivPaths + "privesc-ec2InstanceConnect.tf"}},
	{ID: "cloudformation-update-stack", Title: "Update an existing CloudFormation stack that runs with the role", Kind: KindExistingCompute,
		Action: "cloudformation:UpdateStack", Target: TargetRole, Service: "cloudformation.amazonaws.com", Possible: true,
		Outcome: "the stack creates any resource with the role's permissions (if a stack uses the role)",
		Sources: []string{ivPaths + "privesc-cloudFormationUpdateStack.tf", pmapper + "cloudformation_edges.py"}},
	{ID: "sagemaker-presigned-notebook-url", Title: "Open an existing SageMaker notebook instance that runs with the role", Kind: KindExistingCompute,
		Action: "sagemaker:CreatePresignedNotebookInstanceUrl", Target: TargetRole, Service: "sagemaker.amazonaws.com", Possible: true,
		Outcome: "a Jupyter terminal with the role's credentials (if a notebook uses the role)",
		Sources: []string{ivPaths + "privesc-sageMakerCreatePresignedNotebookURL.tf"}},
}

// MethodByID returns a method of the catalogue.
func MethodByID(id string) *Method {
	for i := range Methods {
		if Methods[i].ID == id {
			return &Methods[i]
		}
	}
	return nil
}
