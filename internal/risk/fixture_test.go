package risk

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// The fixtures follow the public descriptions of each method (Rhino
// Security Labs' list, IAM-Vulnerable's privesc-paths, PMapper's edge
// checkers; see Methods[i].Sources): one account, one "actor" user per case
// whose inline policy holds exactly the permissions the method needs, and
// targets that hold AdministratorAccess. Each case has false-positive twins:
// the same permissions blocked by a Deny, a permissions boundary, an SCP or
// a condition.

const (
	acct    = "123456789012"
	mgmt    = "999999999999"
	actorID = "arn:aws:iam::" + acct + ":user/actor"
)

var (
	t0       = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	adminDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	fullSCP  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
)

func arn(kind, name string) string { return "arn:aws:iam::" + acct + ":" + kind + "/" + name }

func trustDoc(principal string) json.RawMessage {
	return json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"}]}`)
}

func policyDoc(stmts ...string) json.RawMessage {
	return json.RawMessage(`{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`)
}

// allowStmt is an Allow statement of actions on a resource.
func allowStmt(sid, resource string, actions ...string) string {
	q := make([]string, len(actions))
	for i, a := range actions {
		q[i] = `"` + a + `"`
	}
	return fmt.Sprintf(`{"Sid":%q,"Effect":"Allow","Action":[%s],"Resource":%q}`, sid, strings.Join(q, ","), resource)
}

// blocker is how a twin blocks the path.
type blocker int

const (
	none blocker = iota
	byDeny
	byBoundary
	bySCP
	byCondition
)

func (b blocker) String() string {
	return [...]string{"", "deny", "boundary", "scp", "condition"}[b]
}

// fixture is one escalation case: the actor's statements and the action a
// twin blocks.
type fixture struct {
	method string
	stmts  []string
	block  string // the action the twins block
	// condStmts replace stmts in the condition twin (the same grants under
	// a condition the request does not meet); empty: no condition twin.
	condStmts []string
	// condBlock is the action the condition twin blocks, when not block.
	condBlock string
}

var serviceRoles = map[string]string{
	"ec2":            "ec2.amazonaws.com",
	"lambda":         "lambda.amazonaws.com",
	"glue":           "glue.amazonaws.com",
	"cloudformation": "cloudformation.amazonaws.com",
	"datapipeline":   "datapipeline.amazonaws.com",
	"sagemaker":      "sagemaker.amazonaws.com",
	"codebuild":      "codebuild.amazonaws.com",
	"ecs":            "ecs-tasks.amazonaws.com",
}

// passRole is the PassRole statement of a service role case.
func passRole(svc string) string {
	return allowStmt("PassIt", arn("role", svc+"-admin"), "iam:PassRole")
}

// passRoleTo is passRole limited to another service by iam:PassedToService.
func passRoleTo(svc, other string) string {
	return fmt.Sprintf(`{"Sid":"PassIt","Effect":"Allow","Action":"iam:PassRole","Resource":%q,"Condition":{"StringEquals":{"iam:PassedToService":%q}}}`,
		arn("role", svc+"-admin"), other)
}

func withMFA(s string) string {
	return strings.TrimSuffix(s, "}") + `,"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}`
}

var fixtures = []fixture{
	{method: "iam-create-policy-version", stmts: []string{allowStmt("Versions", "arn:aws:iam::"+acct+":policy/actor-managed", "iam:CreatePolicyVersion")}, block: "iam:CreatePolicyVersion"},
	{method: "iam-set-default-policy-version", stmts: []string{allowStmt("Versions", "arn:aws:iam::"+acct+":policy/actor-managed", "iam:SetDefaultPolicyVersion")}, block: "iam:SetDefaultPolicyVersion"},
	{method: "iam-attach-user-policy", stmts: []string{allowStmt("Attach", actorID, "iam:AttachUserPolicy")}, block: "iam:AttachUserPolicy",
		condStmts: []string{`{"Sid":"Attach","Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"` + actorID + `","Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/ReadOnlyAccess"}}}`}},
	{method: "iam-attach-group-policy", stmts: []string{allowStmt("Attach", arn("group", "actor-group"), "iam:AttachGroupPolicy")}, block: "iam:AttachGroupPolicy"},
	{method: "iam-attach-role-policy", stmts: []string{allowStmt("Attach", arn("role", "dev-role"), "iam:AttachRolePolicy"), allowStmt("Assume", arn("role", "dev-role"), "sts:AssumeRole")}, block: "iam:AttachRolePolicy"},
	{method: "iam-put-user-policy", stmts: []string{allowStmt("Put", actorID, "iam:PutUserPolicy")}, block: "iam:PutUserPolicy"},
	{method: "iam-put-group-policy", stmts: []string{allowStmt("Put", arn("group", "actor-group"), "iam:PutGroupPolicy")}, block: "iam:PutGroupPolicy"},
	{method: "iam-put-role-policy", stmts: []string{allowStmt("Put", arn("role", "dev-role"), "iam:PutRolePolicy"), allowStmt("Assume", arn("role", "dev-role"), "sts:AssumeRole")}, block: "iam:PutRolePolicy"},
	{method: "iam-add-user-to-group", stmts: []string{allowStmt("Join", arn("group", "admins"), "iam:AddUserToGroup")}, block: "iam:AddUserToGroup"},
	{method: "iam-create-access-key", stmts: []string{allowStmt("Keys", arn("user", "admin-console"), "iam:CreateAccessKey")}, block: "iam:CreateAccessKey"},
	{method: "iam-create-login-profile", stmts: []string{allowStmt("Login", arn("user", "admin-bot"), "iam:CreateLoginProfile")}, block: "iam:CreateLoginProfile"},
	{method: "iam-update-login-profile", stmts: []string{allowStmt("Login", arn("user", "admin-console"), "iam:UpdateLoginProfile")}, block: "iam:UpdateLoginProfile"},
	{method: "sts-assume-role", stmts: []string{allowStmt("Assume", arn("role", "admin-role"), "sts:AssumeRole")}, block: "sts:AssumeRole"},
	{method: "iam-update-assume-role-policy", stmts: []string{allowStmt("Trust", arn("role", "locked-admin"), "iam:UpdateAssumeRolePolicy")}, block: "iam:UpdateAssumeRolePolicy"},
	{method: "ec2-run-instances", stmts: []string{passRole("ec2"), allowStmt("Run", "*", "ec2:RunInstances")}, block: "ec2:RunInstances",
		condStmts: []string{passRoleTo("ec2", "lambda.amazonaws.com"), allowStmt("Run", "*", "ec2:RunInstances")}, condBlock: "iam:PassRole"},
	{method: "autoscaling-launch", stmts: []string{passRole("ec2"), allowStmt("Asg", "*", "autoscaling:CreateLaunchConfiguration", "autoscaling:CreateAutoScalingGroup")}, block: "autoscaling:CreateAutoScalingGroup"},
	{method: "lambda-create-invoke", stmts: []string{passRole("lambda"), allowStmt("Fn", "*", "lambda:CreateFunction", "lambda:InvokeFunction")}, block: "lambda:InvokeFunction",
		condStmts: []string{passRoleTo("lambda", "ec2.amazonaws.com"), allowStmt("Fn", "*", "lambda:CreateFunction", "lambda:InvokeFunction")}, condBlock: "iam:PassRole"},
	{method: "lambda-create-event-source", stmts: []string{passRole("lambda"), allowStmt("Fn", "*", "lambda:CreateFunction", "lambda:CreateEventSourceMapping")}, block: "lambda:CreateEventSourceMapping"},
	{method: "lambda-create-add-permission", stmts: []string{passRole("lambda"), allowStmt("Fn", "*", "lambda:CreateFunction", "lambda:AddPermission")}, block: "lambda:AddPermission"},
	{method: "glue-create-dev-endpoint", stmts: []string{passRole("glue"), allowStmt("Glue", "*", "glue:CreateDevEndpoint")}, block: "glue:CreateDevEndpoint"},
	{method: "cloudformation-create-stack", stmts: []string{passRole("cloudformation"), allowStmt("Cfn", "*", "cloudformation:CreateStack")}, block: "cloudformation:CreateStack"},
	{method: "datapipeline-create", stmts: []string{passRole("datapipeline"), allowStmt("Dp", "*", "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition", "datapipeline:ActivatePipeline")}, block: "datapipeline:ActivatePipeline"},
	{method: "sagemaker-notebook", stmts: []string{passRole("sagemaker"), allowStmt("Sm", "*", "sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl")}, block: "sagemaker:CreatePresignedNotebookInstanceUrl"},
	{method: "sagemaker-training-job", stmts: []string{passRole("sagemaker"), allowStmt("Sm", "*", "sagemaker:CreateTrainingJob")}, block: "sagemaker:CreateTrainingJob"},
	{method: "sagemaker-processing-job", stmts: []string{passRole("sagemaker"), allowStmt("Sm", "*", "sagemaker:CreateProcessingJob")}, block: "sagemaker:CreateProcessingJob"},
	{method: "codebuild-create-project", stmts: []string{passRole("codebuild"), allowStmt("Cb", "*", "codebuild:CreateProject", "codebuild:StartBuild")}, block: "codebuild:StartBuild"},
	{method: "ecs-run-task", stmts: []string{passRole("ecs"), allowStmt("Ecs", "*", "ecs:RegisterTaskDefinition", "ecs:RunTask")}, block: "ecs:RunTask"},
	{method: "lambda-update-function-code", stmts: []string{allowStmt("Code", "*", "lambda:UpdateFunctionCode")}, block: "lambda:UpdateFunctionCode"},
	{method: "glue-update-dev-endpoint", stmts: []string{allowStmt("Glue", "*", "glue:UpdateDevEndpoint")}, block: "glue:UpdateDevEndpoint"},
	{method: "ssm-send-command", stmts: []string{allowStmt("Ssm", "*", "ssm:SendCommand")}, block: "ssm:SendCommand"},
	{method: "ssm-start-session", stmts: []string{allowStmt("Ssm", "*", "ssm:StartSession")}, block: "ssm:StartSession"},
	{method: "ec2-instance-connect", stmts: []string{allowStmt("Eic", "*", "ec2-instance-connect:SendSSHPublicKey")}, block: "ec2-instance-connect:SendSSHPublicKey"},
	{method: "cloudformation-update-stack", stmts: []string{allowStmt("Cfn", "*", "cloudformation:UpdateStack")}, block: "cloudformation:UpdateStack"},
	{method: "sagemaker-presigned-notebook-url", stmts: []string{allowStmt("Sm", "*", "sagemaker:CreatePresignedNotebookInstanceUrl")}, block: "sagemaker:CreatePresignedNotebookInstanceUrl"},
}

// fixtureSnapshot builds the account of one case. The targets are the same
// in every case; only the actor's policies (and the twin's blocker) differ.
func fixtureSnapshot(f fixture, b blocker) *snapshot.Snapshot {
	mp := func(name, doc string) snapshot.ManagedPolicy {
		a := "arn:aws:iam::" + acct + ":policy/" + name
		if name == "AdministratorAccess" {
			a = "arn:aws:iam::aws:policy/AdministratorAccess"
		}
		return snapshot.ManagedPolicy{ARN: a, PolicyName: name, Path: "/", Document: json.RawMessage(doc), IsAttachable: true, DefaultVersionID: "v1"}
	}
	admin := []snapshot.AttachedPolicy{{PolicyName: "AdministratorAccess", PolicyARN: "arn:aws:iam::aws:policy/AdministratorAccess"}}
	a := &snapshot.Account{AccountID: acct, CollectedAt: t0,
		Policies: []snapshot.ManagedPolicy{
			mp("AdministratorAccess", adminDoc),
			mp("actor-managed", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`),
			mp("actor-group-policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:ListQueues","Resource":"*"}]}`),
			mp("s3-only-boundary", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`),
		},
		Groups: []snapshot.Group{
			{ARN: arn("group", "admins"), GroupName: "admins", Path: "/", AttachedPolicies: admin},
			{ARN: arn("group", "actor-group"), GroupName: "actor-group", Path: "/", AttachedPolicies: []snapshot.AttachedPolicy{{PolicyName: "actor-group-policy", PolicyARN: "arn:aws:iam::" + acct + ":policy/actor-group-policy"}}},
		},
		Users: []snapshot.User{
			{ARN: arn("user", "admin-console"), UserName: "admin-console", Path: "/", CreateDate: t0, Groups: []string{"admins"},
				LoginProfile: &snapshot.LoginProfile{CreateDate: t0}, AccessKeys: []snapshot.AccessKey{{AccessKeyID: "AKIAFIXTURE000000001", Status: "Active", CreateDate: t0}}},
			{ARN: arn("user", "admin-bot"), UserName: "admin-bot", Path: "/", CreateDate: t0, AttachedPolicies: admin,
				AccessKeys: []snapshot.AccessKey{{AccessKeyID: "AKIAFIXTURE000000002", Status: "Active", CreateDate: t0}, {AccessKeyID: "AKIAFIXTURE000000003", Status: "Active", CreateDate: t0}}},
		},
		Roles: []snapshot.Role{
			{ARN: arn("role", "admin-role"), RoleName: "admin-role", Path: "/", TrustPolicy: trustDoc(`{"AWS":"arn:aws:iam::` + acct + `:root"}`), AttachedPolicies: admin},
			{ARN: arn("role", "locked-admin"), RoleName: "locked-admin", Path: "/", TrustPolicy: trustDoc(`{"AWS":"arn:aws:iam::` + mgmt + `:root"}`), AttachedPolicies: admin},
			{ARN: arn("role", "dev-role"), RoleName: "dev-role", Path: "/", TrustPolicy: trustDoc(`{"AWS":"arn:aws:iam::` + acct + `:root"}`),
				InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "logs", Document: policyDoc(allowStmt("Logs", "*", "logs:PutLogEvents"))}}},
		},
	}
	for _, svc := range sortedKeys(serviceRoles) {
		r := snapshot.Role{ARN: arn("role", svc+"-admin"), RoleName: svc + "-admin", Path: "/", TrustPolicy: trustDoc(`{"Service":"` + serviceRoles[svc] + `"}`), AttachedPolicies: admin}
		if svc == "ec2" {
			r.InstanceProfiles = []string{"arn:aws:iam::" + acct + ":instance-profile/ec2-admin"}
		}
		a.Roles = append(a.Roles, r)
	}
	stmts := f.stmts
	if b == byCondition {
		stmts = f.condStmts
		if len(stmts) == 0 {
			// The default condition twin: every grant needs MFA, which an
			// access-key request does not have.
			for _, s := range f.stmts {
				stmts = append(stmts, withMFA(s))
			}
		}
	}
	if b == byDeny {
		stmts = append(append([]string(nil), stmts...), fmt.Sprintf(`{"Sid":"NoEscalation","Effect":"Deny","Action":%q,"Resource":"*"}`, f.block))
	}
	actor := snapshot.User{ARN: actorID, UserName: "actor", Path: "/", CreateDate: t0, Groups: []string{"actor-group"},
		AttachedPolicies: []snapshot.AttachedPolicy{{PolicyName: "actor-managed", PolicyARN: "arn:aws:iam::" + acct + ":policy/actor-managed"}},
		InlinePolicies:   []snapshot.InlinePolicy{{PolicyName: "case", Document: policyDoc(stmts...)}},
		AccessKeys:       []snapshot.AccessKey{{AccessKeyID: "AKIAFIXTURE000000009", Status: "Active", CreateDate: t0}}}
	if b == byBoundary {
		actor.PermissionsBoundary = "arn:aws:iam::" + acct + ":policy/s3-only-boundary"
	}
	a.Users = append(a.Users, actor)

	org := &snapshot.Organization{ID: "o-fixture", ManagementAccount: mgmt,
		Roots:    []snapshot.Root{{ID: "r-root", Name: "Root", PolicyTypes: []string{"SERVICE_CONTROL_POLICY"}}},
		Accounts: []snapshot.OrgAccount{{ID: acct, Name: "fixture", Status: "ACTIVE", ParentID: "r-root"}, {ID: mgmt, Name: "mgmt", Status: "ACTIVE", ParentID: "r-root"}},
		Policies: []snapshot.OrgPolicy{{ID: "p-FullAWSAccess", Name: "FullAWSAccess", Type: "SERVICE_CONTROL_POLICY", AWSManaged: true, Content: fullSCP, Targets: []string{"r-root", acct, mgmt}}}}
	if b == bySCP {
		org.Policies = append(org.Policies, snapshot.OrgPolicy{ID: "p-deny", Name: "deny-escalation", Type: "SERVICE_CONTROL_POLICY",
			Content: fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":%q,"Resource":"*"}]}`, f.block), Targets: []string{acct}})
	}
	return &snapshot.Snapshot{Accounts: []*snapshot.Account{a}, Organization: org}
}
