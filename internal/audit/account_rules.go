package audit

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// Account-level rule ids: the CIS AWS Foundations Benchmark (IAM section)
// and Prowler IAM checks seiri lacked (docs/risk.md has the mapping).
const (
	PasswordPolicyMissing = "SEIRI-PASSWORD-POLICY-MISSING"
	PasswordPolicyWeak    = "SEIRI-PASSWORD-POLICY-WEAK"
	SupportRoleMissing    = "SEIRI-SUPPORT-ROLE-MISSING"
	PolicyAdmin           = "SEIRI-POLICY-ADMIN"
	PolicyAdminUnattached = "SEIRI-POLICY-ADMIN-UNATTACHED"
	InlinePolicyAdmin     = "SEIRI-INLINE-POLICY-ADMIN"
	PolicyAssumeAnyRole   = "SEIRI-POLICY-ASSUME-ANY-ROLE"
	PolicyPassAnyRole     = "SEIRI-POLICY-PASSROLE-ANY"
	UserKeyAtSetup        = "SEIRI-USER-KEY-AT-SETUP"
	CloudShellFullAccess  = "SEIRI-CLOUDSHELL-FULL-ACCESS"
	PolicyFullKMS         = "SEIRI-POLICY-FULL-KMS"
	PolicyFullCloudTrail  = "SEIRI-POLICY-FULL-CLOUDTRAIL"
	RootVirtualMFA        = "SEIRI-ROOT-VIRTUAL-MFA"
	ServerCertExpired     = "SEIRI-SERVER-CERT-EXPIRED"
	ServerCertExpiring    = "SEIRI-SERVER-CERT-EXPIRING"
	AnalyzerMissing       = "SEIRI-ACCESS-ANALYZER-MISSING"
	AnalyzerNotCollected  = "SEIRI-ACCESS-ANALYZER-NOT-COLLECTED"
)

const passwordPolicyDoc = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html"

var accountRules = []finding.Rule{
	{
		ID: RootVirtualMFA, Title: "Root user MFA is a virtual device", Severity: finding.High,
		Description:    "The root user has MFA, but it is a virtual (authenticator app) device: ListVirtualMFADevices lists a device assigned to the root user. A virtual device lives on a phone or laptop that can be lost, cloned or compromised with it; CIS asks for a hardware device (a FIDO security key or passkey counts) on root. CIS AWS Foundations 1.6; Prowler iam_root_hardware_mfa_enabled.",
		Recommendation: "Register a FIDO security key (or a hardware TOTP token) on the root user, then remove the virtual device. In an organization, consider centralized root access (no root credentials in member accounts).",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/enable-mfa-for-root.html",
		Tags:           []string{"security", "credentials", "root", "cis"},
	},
	{
		ID: ServerCertExpired, Title: "Expired IAM server certificate", Severity: finding.Medium,
		Description:    "An SSL/TLS server certificate stored in IAM has expired. AWS recommends deleting expired certificates: one still attached to a load balancer or CloudFront by mistake breaks clients, and stale ones hide the live ones. CIS AWS Foundations 1.19; Prowler iam_no_expired_server_certificates_stored.",
		Recommendation: "Check nothing uses it (ELB listeners, CloudFront), then delete it (aws iam delete-server-certificate); prefer AWS Certificate Manager, which renews certificates.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_server-certs.html",
		Tags:           []string{"security", "certificates", "cis"},
	},
	{
		ID: AnalyzerMissing, Title: "IAM Access Analyzer not enabled in a region", Severity: finding.Medium,
		Description:    "No active IAM Access Analyzer external-access analyzer covers the account in a region collect read: neither an analyzer of the account (type ACCOUNT) nor an organization analyzer (type ORGANIZATION, owned by the management or delegated administrator account and found among the snapshot's accounts). Resources shared outside the account then go unnoticed between audits. CIS AWS Foundations 1.20; Prowler accessanalyzer_enabled.",
		Recommendation: "Create an organization analyzer in every region you use, from the delegated administrator account (or an account analyzer per account and region).",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-getting-started.html",
		Tags:           []string{"security", "external-access", "cis"},
	},
	{
		ID: AnalyzerNotCollected, Title: "IAM Access Analyzer analyzers not known", Severity: finding.Info,
		Description:    "ListAnalyzers failed in a region (AccessDenied, service not reachable): whether IAM Access Analyzer is enabled there is unknown, not absent. (Snapshots taken before seiri listed analyzers, and imports, say nothing about analyzers: no finding either way.)",
		Recommendation: "Collect again with access-analyzer:ListAnalyzers allowed (`seiri permissions collect`).",
		HelpURI:        "https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ListAnalyzers.html",
		Tags:           []string{"data-quality", "external-access"},
	},
	{
		ID: ServerCertExpiring, Title: "IAM server certificate expires soon", Severity: finding.Low,
		Description:    "An SSL/TLS server certificate stored in IAM expires within 30 days. IAM does not renew certificates: whatever serves it will fail its TLS handshakes when it expires.",
		Recommendation: "Replace it before it expires (upload a new one and switch the listeners), or move it to AWS Certificate Manager.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_server-certs.html",
		Tags:           []string{"security", "certificates"},
	},
	{
		ID: PolicyAdmin, Title: "Customer managed policy grants full administrator access", Severity: finding.High,
		Description:    "An attached customer managed policy allows every action on every resource (\"*:*\"), decided by the policy engine with no request context (a grant under a condition does not count). CIS AWS Foundations 1.16; Prowler iam_customer_attached_policy_no_administrative_privileges.",
		Recommendation: "Give the principals that hold it the permissions of their job instead; keep full access for a few break-glass roles (AdministratorAccess, with MFA).",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
		Tags:           []string{"security", "least-privilege", "cis"},
	},
	{
		ID: InlinePolicyAdmin, Title: "Inline policy grants full administrator access", Severity: finding.High,
		Description:    "An inline policy of a user, group or role allows every action on every resource. Inline policies are not reviewed with the managed ones. Prowler iam_inline_policy_no_administrative_privileges.",
		Recommendation: "Replace it with a scoped managed policy; keep full access for break-glass roles.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html",
		Tags:           []string{"security", "least-privilege"},
	},
	{
		ID: PasswordPolicyMissing, Title: "Account has no password policy", Severity: finding.Medium,
		Description:    "The account sets no IAM password policy, so IAM users' console passwords follow AWS's default (8 characters, no reuse prevention, no expiry). CIS AWS Foundations 1.8 and 1.9.",
		Recommendation: "Set a password policy: at least 14 characters, 24 remembered passwords; better, move people to IAM Identity Center.",
		HelpURI:        passwordPolicyDoc,
		Tags:           []string{"security", "credentials", "cis"},
	},
	{
		ID: PasswordPolicyWeak, Title: "Account password policy is weak", Severity: finding.Medium,
		Description:    "The account's password policy misses one or more of: minimum length 14 (CIS 1.8), 24 passwords remembered (CIS 1.9), expiry within 90 days, upper-case, lower-case, number and symbol required (Prowler iam_password_policy_*).",
		Recommendation: "Raise the policy to the values listed in the evidence.",
		HelpURI:        passwordPolicyDoc,
		Tags:           []string{"security", "credentials", "cis"},
	},
	{
		ID: PolicyAssumeAnyRole, Title: "Policy allows assuming any role", Severity: finding.Medium,
		Description:    "A customer managed or inline policy allows sts:AssumeRole on \"*\" with no condition: its holders can assume every role whose trust policy trusts their account, in any account. Prowler iam_no_custom_policy_permissive_role_assumption.",
		Recommendation: "List the roles (ARNs) the holders need to assume.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_permissions-to-switch.html",
		Tags:           []string{"security", "least-privilege", "privilege-escalation"},
	},
	{
		ID: PolicyPassAnyRole, Title: "Policy allows passing any role", Severity: finding.Medium,
		Description:    "A customer managed or inline policy allows iam:PassRole on \"*\" with no condition: its holders can hand any role of the account, administrator roles included, to compute they control. Prowler iam_policy_allows_passrole_without_condition.",
		Recommendation: "List the roles that may be passed, and restrict the service with the iam:PassedToService condition key.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html",
		Tags:           []string{"security", "least-privilege", "privilege-escalation"},
	},
	{
		ID: PolicyFullCloudTrail, Title: "Policy allows full control of CloudTrail", Severity: finding.Medium,
		Description:    "A customer managed or inline policy allows stopping, deleting and changing every trail (cloudtrail:StopLogging, DeleteTrail, UpdateTrail, PutEventSelectors on \"*\"): its holders can blind the audit log. Prowler iam_policy_no_full_access_to_cloudtrail, iam_inline_policy_no_full_access_to_cloudtrail.",
		Recommendation: "Keep trail administration to the logging account's break-glass role; protect the organization trail with an SCP.",
		HelpURI:        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/security_iam_id-based-policy-examples.html",
		Tags:           []string{"security", "least-privilege", "logging"},
	},
	{
		ID: PolicyFullKMS, Title: "Policy allows full control of KMS keys", Severity: finding.Medium,
		Description:    "A customer managed or inline policy allows scheduling the deletion of, disabling, re-writing the key policy of and decrypting with every KMS key whose key policy delegates to IAM (kms:ScheduleKeyDeletion, DisableKey, PutKeyPolicy, Decrypt on \"*\"). Prowler iam_policy_no_full_access_to_kms, iam_inline_policy_no_full_access_to_kms.",
		Recommendation: "Grant key administration and key use separately, on the keys each role needs.",
		HelpURI:        "https://docs.aws.amazon.com/kms/latest/developerguide/iam-policies-best-practices.html",
		Tags:           []string{"security", "least-privilege", "encryption"},
	},
	{
		ID: UserKeyAtSetup, Title: "Access key created with the user and never used", Severity: finding.Low,
		Description:    "A console user has an active access key created within minutes of the user and never used: usually a key made by default when the user was set up. CIS AWS Foundations 1.11; Prowler iam_user_no_setup_initial_access_key.",
		Recommendation: "Delete the key; create keys only when a workload needs one (and prefer roles).",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
		Tags:           []string{"security", "credentials", "cis"},
	},
	{
		ID: CloudShellFullAccess, Title: "AWSCloudShellFullAccess attached", Severity: finding.Medium,
		Description:    "A user, group or role has the AWS managed policy AWSCloudShellFullAccess, which lets it upload and download files through CloudShell, outside the network controls around the account. CIS AWS Foundations 1.22; Prowler iam_policy_cloudshell_admin_not_attached.",
		Recommendation: "Detach it; grant CloudShell only with a scoped policy that denies file transfer (cloudshell:GetFileDownloadUrls, cloudshell:GetFileUploadUrls).",
		HelpURI:        "https://docs.aws.amazon.com/cloudshell/latest/userguide/sec-auth-with-identities.html",
		Tags:           []string{"security", "least-privilege", "cis"},
	},
	{
		ID: SupportRoleMissing, Title: "No role for AWS Support", Severity: finding.Low,
		Description:    "No IAM role has the AWS managed policy AWSSupportAccess attached, so incidents are handled with broader access than needed. CIS AWS Foundations 1.17; Prowler iam_support_role_created.",
		Recommendation: "Create a role with AWSSupportAccess, assumable by the people who open support cases.",
		HelpURI:        "https://docs.aws.amazon.com/awssupport/latest/user/accessing-support.html",
		Tags:           []string{"security", "cis"},
	},
	{
		ID: PolicyAdminUnattached, Title: "Unattached customer managed policy grants full administrator access", Severity: finding.Low,
		Description:    "A customer managed policy that allows \"*:*\" is attached to nothing: anyone who can attach policies can hand it out. Prowler iam_customer_unattached_policy_no_administrative_privileges.",
		Recommendation: "Delete the policy if it is not needed.",
		Tags:           []string{"security", "least-privilege", "unused"},
	},
}

// Password policy values the CIS Benchmark and Prowler require.
const (
	minPasswordLength = 14 // CIS 1.8
	minPasswordReuse  = 24 // CIS 1.9
	maxPasswordAge    = 90 // Prowler iam_password_policy_expires_passwords_within_90_days_or_less
	// setupWindow: a key created this close to its user was made at set-up.
	setupWindow = 10 * time.Minute
	// supportPolicySuffix ends the ARN of AWSSupportAccess in every partition
	// (AWS Managed Policy Reference, AWSSupportAccess).
	supportPolicySuffix = ":iam::aws:policy/AWSSupportAccess"
	// cloudShellPolicySuffix ends the ARN of AWSCloudShellFullAccess (AWS
	// Managed Policy Reference, AWSCloudShellFullAccess).
	cloudShellPolicySuffix = ":iam::aws:policy/AWSCloudShellFullAccess"
)

// accountChecks runs the account-level rules on every account.
func (r *run) accountChecks(s *snapshot.Snapshot) {
	warned := map[string][]string{}
	for _, st := range s.Manifest.Accounts {
		warned[st.AccountID] = st.Warnings
	}
	pc := &policyChecker{cache: map[string]policyVerdict{}}
	orgAnalyzers := organizationAnalyzers(s.Accounts)
	for _, a := range s.Accounts {
		r.accessAnalyzer(a, orgAnalyzers)
		r.passwordPolicy(a, warned[a.AccountID])
		r.supportRole(a)
		r.policyGrants(a, pc)
		r.keysAtSetup(a)
		r.cloudShell(a)
		r.rootVirtualMFA(a)
		r.serverCertificates(a)
	}
}

// cloudShell reports principals and groups with AWSCloudShellFullAccess.
func (r *run) cloudShell(a *snapshot.Account) {
	check := func(kind, name, arn string, aps []snapshot.AttachedPolicy) {
		for _, ap := range aps {
			if strings.HasSuffix(ap.PolicyARN, cloudShellPolicySuffix) {
				r.add(CloudShellFullAccess, a.AccountID, arn, fmt.Sprintf("%s %s has AWSCloudShellFullAccess", kind, name), ev("attached policy", ap.PolicyARN))
			}
		}
	}
	for _, u := range a.Users {
		check("User", u.UserName, u.ARN, u.AttachedPolicies)
	}
	for _, g := range a.Groups {
		check("Group", g.GroupName, g.ARN, g.AttachedPolicies)
	}
	for _, ro := range a.Roles {
		check("Role", ro.RoleName, ro.ARN, ro.AttachedPolicies)
	}
}

// passwordPolicy checks the account's password policy. A nil policy means
// "none set" only when the account's settings were read (the account
// summary is there and collect did not warn about the password policy): an
// imported snapshot knows nothing about it, and then nothing is reported.
func (r *run) passwordPolicy(a *snapshot.Account, warnings []string) {
	for _, w := range warnings {
		if strings.Contains(w, "password policy") {
			return
		}
	}
	arn := fmt.Sprintf("arn:aws:iam::%s:root", a.AccountID)
	p := a.PasswordPolicy
	if p == nil {
		if a.Summary == nil {
			return // account settings not collected: unknown
		}
		r.add(PasswordPolicyMissing, a.AccountID, arn, "Account "+a.AccountID+" has no password policy",
			ev("password policy (GetAccountPasswordPolicy)", "none set (NoSuchEntity)"))
		return
	}
	var evs []finding.Evidence
	if p.MinimumPasswordLength < minPasswordLength {
		evs = append(evs, ev("MinimumPasswordLength", fmt.Sprintf("%d (want at least %d, CIS 1.8)", p.MinimumPasswordLength, minPasswordLength)))
	}
	if p.PasswordReusePrevention < minPasswordReuse {
		evs = append(evs, ev("PasswordReusePrevention", fmt.Sprintf("%d (want %d, CIS 1.9)", p.PasswordReusePrevention, minPasswordReuse)))
	}
	switch {
	case !p.ExpirePasswords || p.MaxPasswordAge <= 0:
		evs = append(evs, ev("MaxPasswordAge", fmt.Sprintf("passwords never expire (want at most %d days)", maxPasswordAge)))
	case p.MaxPasswordAge > maxPasswordAge:
		evs = append(evs, ev("MaxPasswordAge", fmt.Sprintf("%d days (want at most %d)", p.MaxPasswordAge, maxPasswordAge)))
	}
	for _, c := range []struct {
		name string
		ok   bool
	}{{"RequireUppercaseCharacters", p.RequireUppercaseCharacters}, {"RequireLowercaseCharacters", p.RequireLowercaseCharacters},
		{"RequireNumbers", p.RequireNumbers}, {"RequireSymbols", p.RequireSymbols}} {
		if !c.ok {
			evs = append(evs, ev(c.name, "false (want true)"))
		}
	}
	if len(evs) > 0 {
		r.add(PasswordPolicyWeak, a.AccountID, arn, fmt.Sprintf("Password policy of %s misses %s", a.AccountID, plural(len(evs), "requirement", "requirements")), evs...)
	}
}

// supportRole reports accounts where no role has AWSSupportAccess.
func (r *run) supportRole(a *snapshot.Account) {
	if len(a.Roles) == 0 {
		// Every account has the service-linked role AWSServiceRoleForSupport
		// (AWS Support User Guide, "Using service-linked roles for AWS
		// Support"): no role at all means roles were not collected.
		return
	}
	for _, ro := range a.Roles {
		for _, ap := range ro.AttachedPolicies {
			if strings.HasSuffix(ap.PolicyARN, supportPolicySuffix) {
				return
			}
		}
	}
	holders := 0
	for _, u := range a.Users {
		for _, ap := range u.AttachedPolicies {
			if strings.HasSuffix(ap.PolicyARN, supportPolicySuffix) {
				holders++
			}
		}
	}
	evs := []finding.Evidence{ev("roles with AWSSupportAccess", "0"), ev("roles in the account", fmt.Sprint(len(a.Roles)))}
	if holders > 0 {
		evs = append(evs, ev("users with AWSSupportAccess attached directly", fmt.Sprint(holders)))
	}
	r.add(SupportRoleMissing, a.AccountID, fmt.Sprintf("arn:aws:iam::%s:root", a.AccountID), "Account "+a.AccountID+" has no AWS Support role", evs...)
}

// policyVerdict is what the engine says about one policy document.
type policyVerdict struct {
	err                                    error
	admin, assume, passRole, kms, cloudtrl statementRef
}

// Probes of full control of a service: every one allowed on "*".
var (
	kmsProbes        = []string{"kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy", "kms:Decrypt"}
	cloudTrailProbes = []string{"cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors"}
)

type statementRef struct {
	ok  bool
	idx int
	sid string
}

func (s statementRef) String() string {
	if s.sid != "" {
		return fmt.Sprintf("statement %d (%s)", s.idx, s.sid)
	}
	return fmt.Sprintf("statement %d", s.idx)
}

// policyChecker evaluates documents once per distinct content.
type policyChecker struct{ cache map[string]policyVerdict }

// check decides, with the policy engine, a probe principal holding only
// this policy and no request context: full access (broadProbes on "*"),
// sts:AssumeRole on "*", iam:PassRole on "*".
func (pc *policyChecker) check(account string, doc json.RawMessage) policyVerdict {
	k := account + "\x00" + string(doc)
	if v, ok := pc.cache[k]; ok {
		return v
	}
	var v policyVerdict
	pol, err := policy.Parse(doc, policy.TypeIdentity)
	if err != nil {
		v.err = err
		pc.cache[k] = v
		return v
	}
	set := &policy.Policies{Identity: []*policy.Policy{pol}}
	probe := func(action string) statementRef {
		req := policy.Request{Principal: "arn:aws:iam::" + account + ":user/seiri-probe", Action: action, Resource: "*"}
		d := policy.Evaluate(&req, set, &policy.Options{})
		return statementRef{ok: d.Decision == policy.AllowDecision, idx: d.Statement, sid: d.Sid}
	}
	all := func(actions []string) statementRef {
		var first statementRef
		for i, a := range actions {
			s := probe(a)
			if !s.ok {
				return statementRef{}
			}
			if i == 0 {
				first = s
			}
		}
		return first
	}
	v.admin = all(broadProbes)
	v.kms = all(kmsProbes)
	v.cloudtrl = all(cloudTrailProbes)
	v.assume = probe("sts:AssumeRole")
	v.passRole = probe("iam:PassRole")
	pc.cache[k] = v
	return v
}

// policyGrants checks customer managed and inline policies for full
// access, assume-any-role and pass-any-role.
func (r *run) policyGrants(a *snapshot.Account, pc *policyChecker) {
	acct := a.AccountID
	for _, mp := range a.Policies {
		if mp.AWSManaged() || len(mp.Document) == 0 {
			continue
		}
		v := pc.check(acct, mp.Document)
		if v.err != nil {
			continue // unreadable: the policy commands report it
		}
		att := ev("attachments", fmt.Sprint(mp.AttachmentCount))
		if v.admin.ok {
			if mp.AttachmentCount > 0 {
				r.add(PolicyAdmin, acct, mp.ARN, fmt.Sprintf("Policy %s allows everything (*:*)", mp.PolicyName), ev("allowed by", v.admin.String()), att)
			} else {
				r.add(PolicyAdminUnattached, acct, mp.ARN, fmt.Sprintf("Unattached policy %s allows everything (*:*)", mp.PolicyName), ev("allowed by", v.admin.String()), att)
			}
			continue // full access already says the rest
		}
		if mp.AttachmentCount == 0 {
			continue
		}
		r.narrowGrants(acct, mp.ARN, "Policy "+mp.PolicyName, v, att)
	}
	inline := func(owner, ownerARN string, ips []snapshot.InlinePolicy) {
		for _, ip := range ips {
			v := pc.check(acct, ip.Document)
			if v.err != nil {
				continue
			}
			name := fmt.Sprintf("Inline policy %s of %s", ip.PolicyName, owner)
			pe := ev("policy", ip.PolicyName)
			if v.admin.ok {
				r.add(InlinePolicyAdmin, acct, ownerARN, name+" allows everything (*:*)", pe, ev("allowed by", v.admin.String()))
				continue
			}
			r.narrowGrants(acct, ownerARN, name, v, pe)
		}
	}
	for _, u := range a.Users {
		inline("user "+u.UserName, u.ARN, u.InlinePolicies)
	}
	for _, g := range a.Groups {
		inline("group "+g.GroupName, g.ARN, g.InlinePolicies)
	}
	for _, ro := range a.Roles {
		if ro.ServiceLinked() {
			continue // owned by an AWS service
		}
		inline("role "+ro.RoleName, ro.ARN, ro.InlinePolicies)
	}
}

func (r *run) narrowGrants(acct, resource, name string, v policyVerdict, extra finding.Evidence) {
	if v.assume.ok {
		r.add(PolicyAssumeAnyRole, acct, resource, name+" allows sts:AssumeRole on any role", ev("allowed by", v.assume.String()), extra)
	}
	if v.passRole.ok {
		r.add(PolicyPassAnyRole, acct, resource, name+" allows iam:PassRole on any role", ev("allowed by", v.passRole.String()), extra)
	}
	if v.kms.ok {
		r.add(PolicyFullKMS, acct, resource, name+" allows full control of KMS keys", ev("allowed by", v.kms.String()), extra)
	}
	if v.cloudtrl.ok {
		r.add(PolicyFullCloudTrail, acct, resource, name+" allows full control of CloudTrail", ev("allowed by", v.cloudtrl.String()), extra)
	}
}

// keysAtSetup reports console users' active, never-used access keys created
// within setupWindow of the user.
func (r *run) keysAtSetup(a *snapshot.Account) {
	if a.KeysUnknown {
		return // imported: the keys' own dates and use are not known
	}
	for _, u := range a.Users {
		if u.LoginProfile == nil {
			continue
		}
		for _, k := range u.AccessKeys {
			if !k.Active() || k.LastUsed != nil || u.CreateDate.IsZero() {
				continue
			}
			gap := k.CreateDate.Sub(u.CreateDate)
			if gap < 0 || gap > setupWindow {
				continue
			}
			r.add(UserKeyAtSetup, a.AccountID, u.ARN, fmt.Sprintf("Access key %s of %s was created with the user and never used", k.AccessKeyID, u.UserName),
				ev("user created", r.date(u.CreateDate)), ev("key created", fmt.Sprintf("%s (%s after the user)", r.date(k.CreateDate), gap.Round(time.Second))),
				ev("last used (GetAccessKeyLastUsed)", "never"), ev("console password", "yes"))
		}
	}
}
