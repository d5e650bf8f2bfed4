package audit

import "github.com/seiri-dev/seiri/internal/finding"

// Rule ids. They are stable: CI gates, suppressions and SARIF consumers key
// on them. Add new ids; never rename or reuse one.
const (
	UserInactive        = "SEIRI-USER-INACTIVE"
	KeyUnused           = "SEIRI-KEY-UNUSED"
	KeyOld              = "SEIRI-KEY-OLD"
	KeyTwoActive        = "SEIRI-KEY-TWO-ACTIVE"
	UserNoMFA           = "SEIRI-USER-NO-MFA"
	PasswordOld         = "SEIRI-PASSWORD-OLD"
	RootKeys            = "SEIRI-ROOT-KEYS"
	RootNoMFA           = "SEIRI-ROOT-NO-MFA"
	RootUsed            = "SEIRI-ROOT-USED"
	UserConsoleAndKeys  = "SEIRI-USER-CONSOLE-AND-KEYS"
	UserDirectPolicy    = "SEIRI-USER-DIRECT-POLICY"
	UserInlinePolicy    = "SEIRI-USER-INLINE-POLICY"
	UserManyGroups      = "SEIRI-USER-MANY-GROUPS"
	GroupEmpty          = "SEIRI-GROUP-EMPTY"
	GroupNoPolicy       = "SEIRI-GROUP-NO-POLICY"
	MachineUserAdmin    = "SEIRI-MACHINE-USER-ADMIN"
	RoleUnused          = "SEIRI-ROLE-UNUSED"
	ServiceUnused       = "SEIRI-SERVICE-UNUSED"
	CredReportUnmatched = "SEIRI-CREDREPORT-UNMATCHED"
	PermissionsUnused   = "SEIRI-PERMISSIONS-UNUSED" // from internal/leastpriv, when a usage store exists
	EvidenceMissing     = "SEIRI-EVIDENCE-MISSING"
)

// registry is every rule, in the order reports list them.
var registry = []finding.Rule{
	{
		ID: RootKeys, Title: "Root user has access keys", Severity: finding.Critical,
		Description:    "The root user of the account has access keys. Root keys give full control of the account and cannot be restricted by IAM policies (only by SCPs, which never apply in the management account).",
		Recommendation: "Delete the root user's access keys; use IAM roles for automation.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-best-practices.html",
		Tags:           []string{"security", "root", "credentials"},
	},
	{
		ID: RootNoMFA, Title: "Root user without MFA", Severity: finding.Critical,
		Description:    "The root user has no MFA device: a leaked password alone gives full control of the account.",
		Recommendation: "Enable MFA (preferably a hardware or passkey device) on the root user.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/enable-mfa-for-root.html",
		Tags:           []string{"security", "root", "mfa"},
	},
	{
		ID: RootUsed, Title: "Root user used recently", Severity: finding.High,
		Description:    "The root user signed in or used an access key recently. Root should be used only for the few tasks that require it.",
		Recommendation: "Find out who used root and why (CloudTrail); move the work to IAM roles.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-tasks.html",
		Tags:           []string{"security", "root"},
	},
	{
		ID: MachineUserAdmin, Title: "Machine user with administrator access", Severity: finding.High,
		Description:    "A user with access keys and no console password has administrator-level access: one leaked key gives full control of the account.",
		Recommendation: "Replace the user with a role (assumed by the workload) limited to what it uses; at least scope its policies down.",
		Tags:           []string{"security", "least-privilege", "credentials"},
	},
	{
		ID: UserNoMFA, Title: "Console user without MFA", Severity: finding.High,
		Description:    "The user can sign in to the console with a password but has no MFA device.",
		Recommendation: "Enable MFA for the user, or remove the console password if it is not needed.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable.html",
		Tags:           []string{"security", "mfa"},
	},
	{
		ID: KeyUnused, Title: "Access key not used", Severity: finding.Medium,
		Description:    "An active access key has not been used for a long time, or never.",
		Recommendation: "Deactivate the key, watch for breakage, then delete it (seiri keys plan).",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
		Tags:           []string{"security", "credentials", "unused"},
	},
	{
		ID: UserInactive, Title: "Inactive user", Severity: finding.Medium,
		Description:    "The user has not signed in nor used an access key for a long time, or never did.",
		Recommendation: "Confirm with the owner, then disable the user's credentials and delete the user.",
		Tags:           []string{"security", "unused"},
	},
	{
		ID: RoleUnused, Title: "Role not used", Severity: finding.Medium,
		Description:    "The role has not been assumed for a long time, or never since IAM began tracking.",
		Recommendation: "Confirm with the owner, then delete the role (its trust policy is an open door while unused).",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage_delete.html",
		Tags:           []string{"security", "unused"},
	},
	{
		ID: KeyOld, Title: "Access key not rotated", Severity: finding.Medium,
		Description:    "An active access key is older than the rotation age.",
		Recommendation: "Create a new key, move the workload to it, deactivate then delete the old key; better, move the workload to a role.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id-credentials-access-keys-update.html",
		Tags:           []string{"security", "credentials", "rotation"},
	},
	{
		ID: UserConsoleAndKeys, Title: "User with console password and access keys", Severity: finding.Medium,
		Description:    "The user has both a console password and active access keys: a human and a machine identity mixed in one user.",
		Recommendation: "Split the user: people sign in (ideally via IAM Identity Center), workloads use roles.",
		Tags:           []string{"security", "credentials"},
	},
	{
		ID: PasswordOld, Title: "Password not changed", Severity: finding.Low,
		Description:    "The console password is older than the password policy's maximum age (or the configured default when the account sets none).",
		Recommendation: "Have the user change the password, and set a password policy with an expiry.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html",
		Tags:           []string{"security", "credentials", "rotation"},
	},
	{
		ID: KeyTwoActive, Title: "User with two active access keys", Severity: finding.Low,
		Description:    "Both access key slots hold active keys; usually a rotation that was never finished.",
		Recommendation: "Find which key is still used and retire the other.",
		Tags:           []string{"security", "credentials", "rotation"},
	},
	{
		ID: ServiceUnused, Title: "Services granted but not accessed", Severity: finding.Low,
		Description:    "Access Advisor shows services the principal may use but has not accessed for a long time, or never.",
		Recommendation: "Remove the unused services from the principal's policies (seiri unused / least-privilege).",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html",
		Tags:           []string{"least-privilege", "unused"},
	},
	{
		ID: UserDirectPolicy, Title: "Managed policy attached directly to user", Severity: finding.Low,
		Description:    "Managed policies are attached to the user instead of to a group the user belongs to.",
		Recommendation: "Attach the policies to a group that describes the job and add the user to it.",
		Tags:           []string{"hygiene", "groups"},
	},
	{
		ID: UserInlinePolicy, Title: "Inline policy on user", Severity: finding.Low,
		Description:    "The user has inline policies, which are hard to review and reuse.",
		Recommendation: "Move the permissions to a managed policy attached to a group.",
		Tags:           []string{"hygiene", "groups"},
	},
	{
		ID: UserManyGroups, Title: "User in many groups", Severity: finding.Low,
		Description:    "The user is close to the IAM limit of 10 groups per user.",
		Recommendation: "Merge groups that describe the same job.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html",
		Tags:           []string{"hygiene", "groups", "limits"},
	},
	{
		ID: GroupEmpty, Title: "Group without members", Severity: finding.Low,
		Description:    "The group has no members.",
		Recommendation: "Delete the group if it is no longer needed.",
		Tags:           []string{"hygiene", "groups", "unused"},
	},
	{
		ID: GroupNoPolicy, Title: "Group without policies", Severity: finding.Low,
		Description:    "The group has neither managed nor inline policies: membership grants nothing.",
		Recommendation: "Give the group the policies of its job, or delete it.",
		Tags:           []string{"hygiene", "groups"},
	},
	{
		ID: CredReportUnmatched, Title: "Credential report does not match the access keys", Severity: finding.Info,
		Description:    "A credential report key slot could not be matched to exactly one access key by creation time (or a key has no slot), so the report's usage data for it is not used.",
		Recommendation: "Collect again: the report is regenerated at most every 4 hours and keys may have been rotated since.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html",
		Tags:           []string{"data-quality"},
	},
	{
		ID: EvidenceMissing, Title: "Audit rules could not run for lack of evidence", Severity: finding.Info,
		Description:    "Some rules could not judge an account because the evidence they need is absent: no credential report (an import from get-account-authorization-details alone), access keys not listed, Access Advisor not collected. Absent evidence is not evidence of no use: the finding names the rules, the principals whose activity is unknown, and what to collect.",
		Recommendation: "Collect the missing evidence: `seiri collect`, or import with `--credential-report` (aws iam generate-credential-report, then aws iam get-credential-report), and scan CloudTrail (`seiri trail scan`).",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html",
		Tags:           []string{"data-quality"},
	},
	{
		ID: PermissionsUnused, Title: "Granted permissions unused in the CloudTrail window", Severity: finding.Medium,
		Description:    "The principal's effective permissions (identity policies ∩ boundary ∩ SCPs) include actions it did not use in the window, where the evidence covers them: a trail logs the account (with data events where needed), the window is long enough, and the action is one CloudTrail records. Runs only when the workspace has a usage store (seiri trail scan).",
		Recommendation: "Replace its policies with `seiri policy generate PRINCIPAL`, which is proven against every observed call.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#remove-credentials",
		Tags:           []string{"least-privilege", "unused"},
	},
}

// Rules returns every rule's metadata, in report order.
func Rules() []finding.Rule {
	out := make([]finding.Rule, len(registry))
	for i, r := range registry {
		r.Tags = append([]string(nil), r.Tags...)
		out[i] = r
	}
	return out
}

// byID indexes registry.
var byID = func() map[string]int {
	m := make(map[string]int, len(registry))
	for i, r := range registry {
		m[r.ID] = i
	}
	return m
}()

// Lookup returns the rule with the given id.
func Lookup(id string) (finding.Rule, bool) {
	if i, ok := byID[id]; ok {
		r := registry[i]
		r.Tags = append([]string(nil), r.Tags...)
		return r, true
	}
	return finding.Rule{}, false
}

// UnknownRules returns the ids that name no rule.
func UnknownRules(ids []string) []string {
	var bad []string
	for _, id := range ids {
		if _, ok := Lookup(id); !ok {
			bad = append(bad, id)
		}
	}
	return bad
}

func ruleIndex(id string) int {
	if i, ok := byID[id]; ok {
		return i
	}
	return len(registry)
}

// Thresholds names the seiri.yaml key (under audit:) each rule reads, for
// documentation and --list-rules.
var Thresholds = map[string]string{
	UserInactive:   "inactive_user_days",
	KeyUnused:      "unused_key_days",
	KeyOld:         "key_rotation_days",
	PasswordOld:    "password_max_age_days (when the account's password policy sets no expiry)",
	RootUsed:       "root_used_days",
	UserManyGroups: "groups_per_user_warn",
	RoleUnused:     "unused_role_days",
	ServiceUnused:  "unused_service_days",
}
