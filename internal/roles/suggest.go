package roles

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// Suggestion kinds.
const (
	KindInstanceProfile = "ec2-instance-profile"
	KindECSTaskRole     = "ecs-task-role"
	KindEKSPodIdentity  = "eks-pod-identity"
	KindLambdaRole      = "lambda-execution-role"
	KindMonitoringRole  = "monitoring-role"
	KindOIDCGitHub      = "oidc-github-actions"
	KindOIDCGitLab      = "oidc-gitlab"
	KindIdentityCenter  = "identity-center"
	KindRolesAnywhere   = "iam-roles-anywhere"
	KindUnusedKey       = "unused-key"
	// KindNoUsageData: the usage store has nothing for the account, so the
	// keys' use is unknown (not "unused").
	KindNoUsageData = "no-usage-data"
)

// Input is what Suggest reads.
type Input struct {
	Account *snapshot.Account
	// Usage are the usage rows of the account's users (any order).
	Usage  []usage.Row
	Ranges *Ranges
	// Analysis is the least-privilege analysis of the snapshot and usage
	// whose proven generator writes each role's policy (leastpriv, as
	// `seiri policy generate`); nil: no policy is written, a note says so.
	Analysis *leastpriv.Analysis
	// Catalog validates the generated documents (optional).
	Catalog policy.Catalog
	// Repos maps user name → "owner/repo" (GitHub) or "group/project"
	// (GitLab) for CI trust policies; the user's "repository" tag is used
	// otherwise, then a placeholder.
	Repos map[string]string
	// MonitoringAccount is the account a monitoring vendor or central
	// monitoring account assumes from (placeholder when empty).
	MonitoringAccount string
}

// Evidence is what the suggestion rests on.
type Evidence struct {
	IPClasses    []string `json:"ipClasses,omitempty"`
	AWSAddresses []string `json:"awsAddresses,omitempty"` // "3.250.1.2 (EC2 eu-west-1)"
	OtherIPs     []string `json:"otherAddresses,omitempty"`
	UserAgents   []string `json:"userAgents,omitempty"`
	VPCEndpoints []string `json:"vpcEndpoints,omitempty"`
	Environments []string `json:"executionEnvironments,omitempty"` // from user agents
	Actions      []string `json:"actions,omitempty"`
	Calls        int64    `json:"calls"`
}

// Suggestion is the advice for one user with active keys.
type Suggestion struct {
	Account  string          `json:"account"`
	User     string          `json:"user"`
	Keys     []string        `json:"accessKeys"`
	Kind     string          `json:"kind"`
	Summary  string          `json:"summary"`
	Evidence Evidence        `json:"evidence"`
	RoleName string          `json:"roleName,omitempty"`
	Policy   json.RawMessage `json:"policy,omitempty"`
	Trust    json.RawMessage `json:"trustPolicy,omitempty"`
	Notes    []string        `json:"notes,omitempty"`
}

// monitoringActions are calls a metrics/monitoring integration makes; a key
// whose every call is one of them is a monitoring key.
func monitoringAction(a string) bool {
	svc, name, _ := strings.Cut(a, ":")
	switch svc {
	case "cloudwatch":
		return name == "PutMetricData" || strings.HasPrefix(name, "Get") || strings.HasPrefix(name, "List") || strings.HasPrefix(name, "Describe")
	case "logs":
		return name == "PutLogEvents" || name == "CreateLogStream" || strings.HasPrefix(name, "Describe")
	case "tag":
		return name == "GetResources"
	}
	return false
}

// Suggest returns one suggestion per user of the account with an active key.
func Suggest(in Input) ([]Suggestion, error) {
	byUser := map[string][]usage.Row{}
	known := false
	for _, r := range in.Usage {
		byUser[r.Principal] = append(byUser[r.Principal], r)
		known = known || r.Account == in.Account.AccountID
	}
	var out []Suggestion
	for _, u := range in.Account.Users {
		var keys []string
		for _, k := range u.AccessKeys {
			if k.Active() {
				keys = append(keys, k.AccessKeyID)
			}
		}
		if len(keys) == 0 {
			continue
		}
		if !known {
			out = append(out, Suggestion{Account: in.Account.AccountID, User: u.UserName, Keys: keys, Kind: KindNoUsageData,
				Summary: "no CloudTrail usage recorded for this account: scan its logs (seiri trail scan) before deciding"})
			continue
		}
		s, err := suggestOne(in, &u, keys, byUser[u.ARN])
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", u.UserName, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func evidence(rows []usage.Row, rg *Ranges) (Evidence, bool) {
	var ev Evidence
	compute := false
	actions := map[string]bool{}
	for _, r := range rows {
		ev.Calls += r.Count
		ev.IPClasses = usage.MergeSet(ev.IPClasses, r.IPClasses, 0)
		ev.UserAgents = usage.MergeSet(ev.UserAgents, r.UserAgents, 10)
		ev.VPCEndpoints = usage.MergeSet(ev.VPCEndpoints, r.VPCEndpoints, 10)
		if r.Authz && r.ErrorCode == "" {
			actions[r.Action] = true
		}
		for _, ip := range r.SourceIPs {
			if m, ok := rg.Lookup(ip); ok {
				svc := strings.Join(slices.DeleteFunc(slices.Clone(m.Services), func(s string) bool { return s == "AMAZON" && len(m.Services) > 1 }), ",")
				ev.AWSAddresses = usage.MergeSet(ev.AWSAddresses, []string{fmt.Sprintf("%s (%s %s)", ip, svc, m.Region)}, 10)
				compute = compute || m.Compute()
			} else {
				ev.OtherIPs = usage.MergeSet(ev.OtherIPs, []string{ip}, 10)
			}
		}
	}
	for a := range actions {
		ev.Actions = append(ev.Actions, a)
	}
	sort.Strings(ev.Actions)
	for _, ua := range ev.UserAgents {
		if env := environment(ua); env != "" {
			ev.Environments = usage.MergeSet(ev.Environments, []string{env}, 0)
		}
	}
	return ev, compute || len(ev.VPCEndpoints) > 0
}

// environment names the execution environment a user agent reveals. The AWS
// SDKs append "exec-env/$AWS_EXECUTION_ENV" (AWS SDKs and Tools Reference
// Guide, "Application ID" / execution environment): AWS_ECS_EC2,
// AWS_ECS_FARGATE, AWS_Lambda_<runtime>; EKS and CI are recognised from
// their usual markers.
func environment(ua string) string {
	l := strings.ToLower(ua)
	switch {
	case strings.Contains(l, "exec-env/aws_lambda"):
		return "lambda"
	case strings.Contains(l, "exec-env/aws_ecs_fargate"), strings.Contains(l, "exec-env/aws_ecs_ec2"):
		return "ecs"
	case strings.Contains(l, "eks-pod-identity"), strings.Contains(l, "exec-env/aws_eks"), strings.Contains(l, "irsa"),
		strings.Contains(l, "kubernetes"), strings.Contains(l, "/eks"), strings.Contains(l, "k8s"):
		return "eks"
	case strings.Contains(l, "github"):
		return "github-actions"
	case strings.Contains(l, "gitlab"):
		return "gitlab-ci"
	case strings.Contains(l, "exec-env/ec2"), strings.Contains(l, "md/ec2"), strings.Contains(l, "ec2-metadata"), strings.Contains(l, "imds"), strings.Contains(l, "exec-env/cloudshell"):
		return "ec2"
	}
	return ""
}

func suggestOne(in Input, u *snapshot.User, keys []string, rows []usage.Row) (Suggestion, error) {
	acct := in.Account.AccountID
	ev, inAWS := evidence(rows, in.Ranges)
	s := Suggestion{Account: acct, User: u.UserName, Keys: keys, Evidence: ev}
	if len(ev.Actions) == 0 {
		s.Kind = KindUnusedKey
		s.Summary = "no call with this user's keys in the usage window: retire the keys (seiri keys plan) instead of replacing them"
		return s, nil
	}
	envs := ev.Environments
	has := func(e string) bool { return slices.Contains(envs, e) }
	monitoringOnly := !slices.ContainsFunc(ev.Actions, func(a string) bool { return !monitoringAction(a) })
	human := u.LoginProfile != nil || (u.Tags["kind"] != "service" && !inAWS && len(envs) == 0)
	role := roleName(u.UserName)
	switch {
	case monitoringOnly:
		s.Kind = KindMonitoringRole
		if inAWS {
			s.Summary = "monitoring-only calls from AWS compute: run the CloudWatch agent (or exporter) with an instance or task role instead of a key"
			s.Trust = trustService(servicePrincipalFor(envs), acct)
		} else {
			s.Summary = "monitoring-only calls from outside AWS: give the monitoring integration a cross-account role (with an external id) instead of a key"
			ma := in.MonitoringAccount
			if ma == "" {
				ma = "MONITORING_ACCOUNT_ID"
				s.Notes = append(s.Notes, "replace MONITORING_ACCOUNT_ID and EXTERNAL_ID with the vendor's (or your central monitoring account's) values")
			}
			s.Trust = mustJSON(trustDoc(stmt{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + ma + ":root"}, "Action": "sts:AssumeRole",
				"Condition": map[string]any{"StringEquals": map[string]any{"sts:ExternalId": "EXTERNAL_ID"}}}))
		}
		role = "monitoring-" + role
	case has("lambda"):
		s.Kind, s.Summary = KindLambdaRole, "calls from AWS Lambda: use the function's execution role"
		s.Trust = trustService("lambda.amazonaws.com", acct)
	case has("ecs"):
		s.Kind, s.Summary = KindECSTaskRole, "calls from Amazon ECS tasks: use an ECS task role"
		s.Trust = trustService("ecs-tasks.amazonaws.com", acct)
	case has("eks"):
		s.Kind, s.Summary = KindEKSPodIdentity, "calls from Amazon EKS pods: use EKS Pod Identity (or IRSA on older clusters)"
		s.Trust = trustPodIdentity()
		s.Notes = append(s.Notes, "IRSA instead (clusters without the Pod Identity agent): trust Federated arn:aws:iam::"+acct+":oidc-provider/oidc.eks.REGION.amazonaws.com/id/CLUSTER_ID with sts:AssumeRoleWithWebIdentity and StringEquals oidc.eks.REGION.amazonaws.com/id/CLUSTER_ID:sub = system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT")
		s.Notes = append(s.Notes, "then: aws eks create-pod-identity-association --cluster-name CLUSTER --namespace NAMESPACE --service-account SERVICE_ACCOUNT --role-arn arn:aws:iam::"+acct+":role/"+role)
	case has("github-actions"):
		s.Kind, s.Summary = KindOIDCGitHub, "calls from GitHub Actions: federate with GitHub's OIDC provider, scoped to the repository"
		s.Trust = trustGitHub(acct, repoOf(in, u, "OWNER/REPO"))
		s.Notes = append(s.Notes, "needs the IAM OIDC provider token.actions.githubusercontent.com (audience sts.amazonaws.com) and aws-actions/configure-aws-credentials with role-to-assume")
	case has("gitlab-ci"):
		s.Kind, s.Summary = KindOIDCGitLab, "calls from GitLab CI: federate with GitLab's OIDC provider, scoped to the project"
		s.Trust = trustGitLab(acct, repoOf(in, u, "GROUP/PROJECT"))
	case inAWS:
		s.Kind, s.Summary = KindInstanceProfile, "calls from EC2 addresses or through VPC endpoints: use an instance profile"
		s.Trust = trustService("ec2.amazonaws.com", acct)
		s.Notes = append(s.Notes, "create an instance profile with the role and associate it with the instance (aws ec2 associate-iam-instance-profile)")
	case human:
		s.Kind, s.Summary = KindIdentityCenter, "a person using a key from outside AWS: sign in through IAM Identity Center (aws sso login) and retire the key"
		s.Notes = append(s.Notes, "see `seiri sso plan` for the permission sets and the user's migration checklist")
		return s, nil
	default:
		s.Kind, s.Summary = KindRolesAnywhere, "a workload outside AWS: use IAM Roles Anywhere (X.509 certificates) or, for a vendor, a cross-account role with an external id"
		s.Trust = mustJSON(trustDoc(stmt{"Effect": "Allow", "Principal": map[string]any{"Service": "rolesanywhere.amazonaws.com"},
			"Action":    []string{"sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"},
			"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": "arn:aws:rolesanywhere:REGION:" + acct + ":trust-anchor/TRUST_ANCHOR_ID"}}}))
		s.Notes = append(s.Notes, "replace REGION and TRUST_ANCHOR_ID with your Roles Anywhere trust anchor")
	}
	s.RoleName = role
	doc, note, err := policyFor(in, u.ARN)
	if err != nil {
		return s, err
	}
	s.Policy = doc
	s.Notes = append(s.Notes, note)
	s.Notes = append(s.Notes, validate(s.Policy, policy.TypeIdentity, in.Catalog, "policy")...)
	s.Notes = append(s.Notes, validate(s.Trust, policy.TypeTrust, in.Catalog, "trust policy")...)
	return s, nil
}

// validate runs `policy validate`; errors and warnings become notes (tests
// require none for the documents seiri writes).
func validate(doc []byte, t policy.Type, cat policy.Catalog, what string) []string {
	if len(doc) == 0 {
		return nil
	}
	var out []string
	for _, is := range policy.Validate(doc, t, cat) {
		if is.Severity == policy.SevError {
			out = append(out, fmt.Sprintf("%s: %s %s: %s", what, is.Severity, is.Code, is.Message))
		}
	}
	return out
}

func repoOf(in Input, u *snapshot.User, placeholder string) string {
	if r := in.Repos[u.UserName]; r != "" {
		return r
	}
	if r := u.Tags["repository"]; r != "" {
		return r
	}
	return placeholder
}

func roleName(user string) string {
	// Role names: up to 64 characters of [\w+=,.@-] (IAM API Reference, CreateRole).
	n := user + "-role"
	if len(n) > 64 {
		n = n[:64]
	}
	return n
}

type stmt = map[string]any

func trustDoc(st ...stmt) map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": st}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

func servicePrincipalFor(envs []string) string {
	switch {
	case slices.Contains(envs, "lambda"):
		return "lambda.amazonaws.com"
	case slices.Contains(envs, "ecs"):
		return "ecs-tasks.amazonaws.com"
	}
	return "ec2.amazonaws.com"
}

// trustService is the trust policy of a service role; for ECS tasks and
// Lambda it is scoped to the account with aws:SourceAccount (IAM User Guide,
// "The confused deputy problem").
func trustService(principal, acct string) json.RawMessage {
	st := stmt{"Effect": "Allow", "Principal": map[string]any{"Service": principal}, "Action": "sts:AssumeRole"}
	if principal != "ec2.amazonaws.com" {
		st["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": acct}}
	}
	return mustJSON(trustDoc(st))
}

// trustPodIdentity: EKS Pod Identity's service principal needs AssumeRole and
// TagSession (Amazon EKS User Guide, "Create IAM role with trust policy
// required by EKS Pod Identity").
func trustPodIdentity() json.RawMessage {
	return mustJSON(trustDoc(stmt{"Effect": "Allow", "Principal": map[string]any{"Service": "pods.eks.amazonaws.com"}, "Action": []string{"sts:AssumeRole", "sts:TagSession"}}))
}

// trustGitHub scopes the role to one repository (GitHub Docs, "Configuring
// OpenID Connect in Amazon Web Services": aud sts.amazonaws.com, sub
// repo:OWNER/REPO:...).
func trustGitHub(acct, repo string) json.RawMessage {
	return mustJSON(trustDoc(stmt{"Effect": "Allow",
		"Principal": map[string]any{"Federated": "arn:aws:iam::" + acct + ":oidc-provider/token.actions.githubusercontent.com"},
		"Action":    "sts:AssumeRoleWithWebIdentity",
		"Condition": map[string]any{
			"StringEquals": map[string]any{"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
			"StringLike":   map[string]any{"token.actions.githubusercontent.com:sub": "repo:" + repo + ":*"},
		}}))
}

// trustGitLab scopes the role to one project (GitLab Docs, "Configure OpenID
// Connect in AWS": aud https://gitlab.com, sub project_path:GROUP/PROJECT:...).
func trustGitLab(acct, project string) json.RawMessage {
	return mustJSON(trustDoc(stmt{"Effect": "Allow",
		"Principal": map[string]any{"Federated": "arn:aws:iam::" + acct + ":oidc-provider/gitlab.com"},
		"Action":    "sts:AssumeRoleWithWebIdentity",
		"Condition": map[string]any{
			"StringEquals": map[string]any{"gitlab.com:aud": "https://gitlab.com"},
			"StringLike":   map[string]any{"gitlab.com:sub": "project_path:" + project + ":*"},
		}}))
}

// policyFor returns the policy `seiri policy generate` proves for the
// principal (leastpriv: replayed call by call through the policy engine),
// and a note saying what it rests on or why there is none. seiri writes no
// policy it has not proven.
func policyFor(in Input, arn string) (json.RawMessage, string, error) {
	const none = "no least-privilege policy written: "
	if in.Analysis == nil {
		return nil, none + "no usage analysis (run seiri trail scan, then seiri policy generate " + arn + ")", nil
	}
	p := in.Analysis.Model.Lookup(arn)
	if p == nil {
		return nil, none + "the principal is not in the analysed snapshot", nil
	}
	g, err := in.Analysis.Generate(p, leastpriv.GenerateOptions{})
	if errors.Is(err, leastpriv.ErrNoUsage) {
		return nil, none + "no successful call recorded in the window", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("policy generate: %w", err)
	}
	// A role's inline policy holds more than a managed policy: one
	// document with every generated statement.
	doc := leastpriv.Document{Version: "2012-10-17"}
	for _, d := range g.Policies {
		doc.Statement = append(doc.Statement, d.Statement...)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, "", err
	}
	return b, "least-privilege policy from seiri policy generate (" + g.Window + "): " + g.Proof.String(), nil
}
