package audit

import (
	"fmt"
	"strings"

	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/risk"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// External and public access rules (internal/risk, External): each trust
// and resource policy is evaluated by the policy engine for principals
// outside the organization.
const (
	PublicResource          = "SEIRI-PUBLIC-RESOURCE"
	PublicBucketACL         = "SEIRI-PUBLIC-BUCKET-ACL"
	PublicRoleTrust         = "SEIRI-PUBLIC-ROLE-TRUST"
	PublicOIDCAnySubject    = "SEIRI-PUBLIC-OIDC-ANY-SUBJECT"
	PublicS3NoAccountBlock  = "SEIRI-PUBLIC-S3-NO-ACCOUNT-BLOCK"
	ExternalResource        = "SEIRI-EXTERNAL-RESOURCE"
	ExternalTrustNoExtID    = "SEIRI-EXTERNAL-TRUST-NO-EXTERNAL-ID"
	ExternalTrust           = "SEIRI-EXTERNAL-TRUST"
	ExternalOIDCWildcard    = "SEIRI-EXTERNAL-OIDC-WILDCARD-REPO"
	ExternalServiceNoSource = "SEIRI-EXTERNAL-SERVICE-NO-SOURCE"
	ExternalProviderUnused  = "SEIRI-EXTERNAL-PROVIDER-UNUSED"
	ExternalNotCollected    = "SEIRI-EXTERNAL-NOT-COLLECTED"
)

const accessAnalyzerDoc = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html"

var externalRules = []finding.Rule{
	{
		ID: PublicResource, Title: "Resource policy allows anyone", Severity: finding.Critical,
		Description:    "A resource-based policy (S3 bucket, KMS key, SQS queue, SNS topic, Lambda function, Secrets Manager secret, ECR repository) allows an anonymous caller or any AWS account, with no condition the caller cannot meet. Decided by the policy engine for an outside caller; aws:PrincipalOrgID, aws:SourceArn, aws:SourceAccount conditions, Deny statements, the organization's RCPs and S3 Block Public Access (RestrictPublicBuckets) remove it.",
		Recommendation: "Name the principals that need access, or add a condition on aws:PrincipalOrgID (or aws:SourceArn for services); for S3, turn on Block Public Access.",
		HelpURI:        accessAnalyzerDoc,
		Tags:           []string{"security", "external-access", "public"},
	},
	{
		ID: PublicBucketACL, Title: "S3 bucket ACL grants everyone", Severity: finding.Critical,
		Description:    "The bucket ACL grants the AllUsers (anyone) or AuthenticatedUsers (any AWS account) group, and neither the bucket's nor the account's Block Public Access ignores public ACLs.",
		Recommendation: "Remove the group grants, set Object Ownership to BucketOwnerEnforced (ACLs disabled), and turn on IgnorePublicAcls.",
		HelpURI:        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html",
		Tags:           []string{"security", "external-access", "public", "s3"},
	},
	{
		ID: PublicRoleTrust, Title: "Role trusts any AWS account", Severity: finding.Critical,
		Description:    "The role's trust policy lets a principal of any AWS account assume it (Principal \"*\" or an account wildcard) without a condition an outsider cannot meet.",
		Recommendation: "Name the accounts or roles that may assume the role, or add aws:PrincipalOrgID.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-role-trust-policy.html",
		Tags:           []string{"security", "external-access", "public", "trust"},
	},
	{
		ID: PublicOIDCAnySubject, Title: "Role trusts any subject of an OIDC provider", Severity: finding.Critical,
		Description:    "The role trusts an OIDC provider and does not pin the token's subject (no `sub` condition, or one that matches any value): for GitHub Actions, a workflow in anyone's repository can assume the role.",
		Recommendation: "Add a StringEquals (or narrow StringLike) condition on the provider's `sub` key naming the repository and branch or environment.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html",
		Tags:           []string{"security", "external-access", "public", "oidc"},
	},
	{
		ID: ExternalResource, Title: "Resource policy allows an account outside the organization", Severity: finding.High,
		Description:    "A resource-based policy lets a named account outside the organization (or outside the collected accounts when the organization was not collected) act on the resource.",
		Recommendation: "Confirm the account is a known partner and the actions are needed; remove the grant otherwise.",
		HelpURI:        accessAnalyzerDoc,
		Tags:           []string{"security", "external-access"},
	},
	{
		ID: ExternalTrustNoExtID, Title: "Role trusts an outside account without sts:ExternalId", Severity: finding.High,
		Description:    "An account outside the organization can assume the role without giving an sts:ExternalId: a third party serving many customers can be tricked into using this role for another customer (the confused deputy).",
		Recommendation: "Add a StringEquals condition on sts:ExternalId with the id the third party gave you.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html",
		Tags:           []string{"security", "external-access", "trust"},
	},
	{
		ID: ExternalOIDCWildcard, Title: "Role trusts any repository of a GitHub owner", Severity: finding.Medium,
		Description:    "The GitHub Actions trust policy's `sub` condition has a wildcard in the repository name: a workflow in any repository of the owner (including new or forked ones) can assume the role.",
		Recommendation: "Name the repository (and branch or environment) in the `sub` condition.",
		HelpURI:        "https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services",
		Tags:           []string{"security", "external-access", "oidc"},
	},
	{
		ID: ExternalServiceNoSource, Title: "Service principal allowed without a source condition", Severity: finding.Medium,
		Description:    "A resource policy lets an AWS service principal act without aws:SourceAccount, aws:SourceArn or aws:SourceOrgID: the service can be made to act on the resource for another account's resource (cross-service confused deputy).",
		Recommendation: "Add aws:SourceArn (or aws:SourceAccount) naming your own resource or account.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html",
		Tags:           []string{"security", "external-access"},
	},
	{
		ID: ExternalTrust, Title: "Role trusts an account outside the organization", Severity: finding.Low,
		Description:    "An account outside the organization can assume the role, with an sts:ExternalId: the usual set-up for a third party, listed so that every outside trust is reviewed.",
		Recommendation: "Confirm the third party still needs the role and its permissions are scoped.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html",
		Tags:           []string{"security", "external-access", "trust"},
	},
	{
		ID: PublicS3NoAccountBlock, Title: "No account-level S3 Block Public Access", Severity: finding.Low,
		Description:    "The account has no account-level S3 Block Public Access configuration: any bucket can be made public by its policy or ACL.",
		Recommendation: "Turn on all four Block Public Access settings at the account level (or through an organization policy).",
		HelpURI:        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-block-public-access-account.html",
		Tags:           []string{"security", "external-access", "s3"},
	},
	{
		ID: ExternalProviderUnused, Title: "Identity provider no role trusts", Severity: finding.Low,
		Description:    "A SAML or OIDC identity provider exists in the account but no role's trust policy names it.",
		Recommendation: "Delete the provider if it is no longer needed.",
		HelpURI:        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers.html",
		Tags:           []string{"security", "external-access", "unused"},
	},
	{
		ID: ExternalNotCollected, Title: "External access not known", Severity: finding.Info,
		Description:    "The account's resource policies (or those of some services or regions) were not collected — an older snapshot, an import, or AccessDenied — so external access to them is unknown, not absent.",
		Recommendation: "Collect again with the permissions `seiri permissions collect` prints.",
		Tags:           []string{"data-quality", "external-access"},
	},
}

func init() {
	registry = append(registry, externalRules...)
	for i, r := range registry {
		byID[r.ID] = i
	}
}

var externalRuleOf = map[risk.ExternalKind]string{
	risk.KindPublic:            PublicResource,
	risk.KindPublicACL:         PublicBucketACL,
	risk.KindTrustPublic:       PublicRoleTrust,
	risk.KindOIDCAnySubject:    PublicOIDCAnySubject,
	risk.KindExternalAccount:   ExternalResource,
	risk.KindTrustNoExternalID: ExternalTrustNoExtID,
	risk.KindTrustExternal:     ExternalTrust,
	risk.KindOIDCWildcardRepo:  ExternalOIDCWildcard,
	risk.KindServiceNoSource:   ExternalServiceNoSource,
	risk.KindNoAccountBPA:      PublicS3NoAccountBlock,
	risk.KindProviderUnused:    ExternalProviderUnused,
	risk.KindNotCollected:      ExternalNotCollected,
	risk.KindNotEvaluated:      ExternalNotCollected,
}

// external adds the external and public access findings of s.
func (r *run) external(s *snapshot.Snapshot) {
	any := false
	for id := range r.enabled {
		if strings.HasPrefix(id, "SEIRI-PUBLIC-") || strings.HasPrefix(id, "SEIRI-EXTERNAL-") {
			any = true
			break
		}
	}
	if !any || s == nil || len(s.Accounts) == 0 {
		return
	}
	rep := risk.External(s, risk.ExternalOptions{RCPServices: r.rcps})
	// A snapshot where no account has resource policies predates their
	// collection (or is an import): the rule then stays silent and the
	// command says so once (ExternalCoverage); where some accounts have
	// them, each account without them is reported.
	whole := len(rep.NotCollected) == len(s.Accounts)
	for _, f := range rep.Findings {
		id, ok := externalRuleOf[f.Kind]
		if !ok {
			continue
		}
		if whole && f.Kind == risk.KindNotCollected {
			continue
		}
		evs := []finding.Evidence{ev("detail", f.Detail)}
		if f.Principal != "" {
			evs = append(evs, ev("principal", f.Principal))
		}
		if len(f.Actions) > 0 {
			evs = append(evs, ev("allowed", strings.Join(f.Actions, ", ")))
		}
		if f.Statement != "" {
			evs = append(evs, ev("statement", f.Statement))
		}
		if f.Region != "" {
			evs = append(evs, ev("region", f.Region))
		}
		if f.Kind != risk.KindNotCollected && f.Kind != risk.KindNotEvaluated && f.Kind != risk.KindProviderUnused {
			evs = append(evs, ev("zone of trust", rep.Zone))
		}
		r.add(id, f.Account, f.Resource, f.Detail, evs...)
	}
	// rep.Problems are also findings of kind KindNotEvaluated (on their
	// resource), except broken RCPs, which belong to the organization.
	for _, p := range rep.Problems {
		if strings.HasPrefix(p, "RCP ") {
			r.add(ExternalNotCollected, "", "", p, ev("problem", p))
		}
	}
}

// ExternalCoverage says, for a command to print once, what the external
// access rules could not see in s: "" when every account's resource
// policies were collected.
func ExternalCoverage(s *snapshot.Snapshot) string {
	if s == nil {
		return ""
	}
	var missing []string
	for _, a := range s.Accounts {
		if a.ResourcePolicies == nil {
			missing = append(missing, a.AccountID)
		}
	}
	switch {
	case len(missing) == 0:
		return ""
	case len(missing) == len(s.Accounts):
		return "resource policies (S3, KMS, SQS, SNS, Lambda, Secrets Manager, ECR) are not in this snapshot: external access to them is unknown (collect again)"
	}
	return fmt.Sprintf("resource policies not collected in %d of %d accounts (%s): external access there is unknown", len(missing), len(s.Accounts), strings.Join(missing, ", "))
}
