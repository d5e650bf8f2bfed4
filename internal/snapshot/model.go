// Package snapshot is the data model of what exists in an AWS Organization
// (IAM of every account, the OU tree and its policies) and its on-disk,
// versioned format. Analyses read snapshots; only collect, import and the demo
// write them.
package snapshot

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/credreport"
)

// SchemaVersion is the version of the on-disk format written by this build.
// Readers refuse other versions with a clear error.
const SchemaVersion = 1

// Manifest describes one snapshot. It is written last: a snapshot folder is
// complete only when its manifest says so and the folder has its final name.
type Manifest struct {
	SchemaVersion int             `json:"schemaVersion"`
	SeiriVersion  string          `json:"seiriVersion"`
	Source        string          `json:"source"` // collect, import, demo
	CallerARN     string          `json:"callerArn,omitempty"`
	StartedAt     time.Time       `json:"startedAt"`
	FinishedAt    time.Time       `json:"finishedAt"`
	Organization  bool            `json:"organization"` // organization.json.gz present
	Accounts      []AccountStatus `json:"accounts"`
	Complete      bool            `json:"complete"`
}

// AccountStatus is one account's outcome in a collect.
type AccountStatus struct {
	AccountID string `json:"accountId"`
	Name      string `json:"name,omitempty"`
	File      string `json:"file,omitempty"` // relative to the snapshot dir; empty when failed
	Error     string `json:"error,omitempty"`
	// Warnings are sections that could not be collected while the account as a
	// whole was (e.g. Access Advisor denied).
	Warnings []string `json:"warnings,omitempty"`
	APICalls int      `json:"apiCalls,omitempty"`
}

// Failed reports whether the account could not be collected.
func (s AccountStatus) Failed() bool { return s.Error != "" }

// Account is the IAM of one AWS account.
type Account struct {
	AccountID        string             `json:"accountId"`
	Name             string             `json:"name,omitempty"`
	Alias            string             `json:"alias,omitempty"`
	CollectedAt      time.Time          `json:"collectedAt"`
	Users            []User             `json:"users"`
	Groups           []Group            `json:"groups"`
	Roles            []Role             `json:"roles"`
	Policies         []ManagedPolicy    `json:"policies"` // customer managed, and AWS managed ones in use
	CredentialReport *credreport.Report `json:"credentialReport,omitempty"`
	PasswordPolicy   *PasswordPolicy    `json:"passwordPolicy,omitempty"` // nil: none set
	Summary          map[string]int32   `json:"summary,omitempty"`        // GetAccountSummary
	Trails           []Trail            `json:"trails,omitempty"`
	// AccessAdvisorCollected is false when Access Advisor was skipped or failed:
	// an empty AccessAdvisor list then means "unknown", not "nothing used".
	AccessAdvisorCollected bool `json:"accessAdvisorCollected"`
	// KeysUnknown is true when the users' access keys were not listed (a
	// snapshot imported from files): only the credential report's key slots
	// say anything about keys then.
	KeysUnknown bool `json:"keysUnknown,omitempty"`
	// IdentityProviders are the account's SAML and OIDC identity providers;
	// nil when they were not collected (snapshots before them, imports).
	IdentityProviders *IdentityProviders `json:"identityProviders,omitempty"`
	// ResourcePolicies are the resource-based policies that can grant access
	// from outside the account (S3, KMS, SQS, SNS, Lambda, Secrets Manager,
	// ECR); nil when they were not collected. Role trust policies are on
	// the roles.
	ResourcePolicies *ResourcePolicies `json:"resourcePolicies,omitempty"`
	// OrgMembership is the organization the account belongs to, as the
	// account sees it; nil when not collected.
	OrgMembership *OrgMembership `json:"orgMembership,omitempty"`
	// VirtualMFADevices are the account's virtual MFA devices, assigned or
	// not (iam ListVirtualMFADevices); meaningful only when
	// VirtualMFACollected (older snapshots and imports lack them).
	VirtualMFADevices   []VirtualMFADevice `json:"virtualMfaDevices,omitempty"`
	VirtualMFACollected bool               `json:"virtualMfaCollected,omitempty"`
	// ServerCertificates are the IAM server certificates (iam
	// ListServerCertificates); meaningful only when
	// ServerCertificatesCollected.
	ServerCertificates          []ServerCertificate `json:"serverCertificates,omitempty"`
	ServerCertificatesCollected bool                `json:"serverCertificatesCollected,omitempty"`
	// AccessAnalyzers are the IAM Access Analyzer analyzers the account
	// lists in each region collect read; nil when not collected.
	AccessAnalyzers *AccessAnalyzers `json:"accessAnalyzers,omitempty"`
}

// AccessAnalyzers are the analyzers of one account, region by region. A
// region with an Error was not read: its analyzers are unknown.
type AccessAnalyzers struct {
	Regions []AnalyzerRegion `json:"regions"`
}

// AnalyzerRegion is access-analyzer:ListAnalyzers in one region.
type AnalyzerRegion struct {
	Region    string     `json:"region"`
	Error     string     `json:"error,omitempty"`
	Analyzers []Analyzer `json:"analyzers"`
}

// Analyzer is one IAM Access Analyzer analyzer. Type is ACCOUNT or
// ORGANIZATION (external access), ACCOUNT_UNUSED_ACCESS or
// ORGANIZATION_UNUSED_ACCESS, ACCOUNT_INTERNAL_ACCESS or
// ORGANIZATION_INTERNAL_ACCESS; Status is ACTIVE, CREATING, DISABLED or FAILED.
// https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_AnalyzerSummary.html
type Analyzer struct {
	ARN    string `json:"arn"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Status string `json:"status"`
}

// VirtualMFADevice is one virtual MFA device. User is the ARN of the user
// it is assigned to ("arn:aws:iam::<account>:root" for the root user),
// empty when unassigned.
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListVirtualMFADevices.html
type VirtualMFADevice struct {
	SerialNumber string    `json:"serialNumber"`
	User         string    `json:"user,omitempty"`
	EnableDate   time.Time `json:"enableDate,omitzero"`
}

// ServerCertificate is the metadata of an IAM server certificate (never
// its body or key).
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ServerCertificateMetadata.html
type ServerCertificate struct {
	Name       string    `json:"name"`
	ID         string    `json:"id"`
	ARN        string    `json:"arn"`
	Path       string    `json:"path,omitempty"`
	UploadDate time.Time `json:"uploadDate,omitzero"`
	Expiration time.Time `json:"expiration,omitzero"`
}

// OrgMembership is organizations:DescribeOrganization as seen from one
// account. ID is empty when the account is in no organization.
type OrgMembership struct {
	ID                string `json:"id"`
	ManagementAccount string `json:"managementAccountId,omitempty"`
}

// IdentityProviders are the SAML and OIDC providers of an account.
type IdentityProviders struct {
	SAML []IdentityProvider `json:"saml"`
	OIDC []IdentityProvider `json:"oidc"`
}

// IdentityProvider is one SAML or OIDC provider.
type IdentityProvider struct {
	ARN        string    `json:"arn"`
	URL        string    `json:"url,omitempty"`       // OIDC issuer (without https://)
	ClientIDs  []string  `json:"clientIds,omitempty"` // OIDC audiences
	CreateDate time.Time `json:"createDate,omitzero"`
}

// Resource types of ResourcePolicy.Type.
const (
	ResourceS3Bucket  = "s3-bucket"
	ResourceKMSKey    = "kms-key"
	ResourceSQSQueue  = "sqs-queue"
	ResourceSNSTopic  = "sns-topic"
	ResourceLambda    = "lambda-function"
	ResourceSecret    = "secretsmanager-secret"
	ResourceECRRepo   = "ecr-repository"
	ServiceS3Control  = "s3control" // account-level S3 Block Public Access
	ServiceOrgMember  = "organizations"
	ServiceIAMProvide = "iam-providers"
)

// ResourcePolicies are the resource-based policies of one account, with
// what was and was not read. A service (in a region) that is absent from
// Scopes, or present with an Error, was not collected: its resources are
// unknown, not "none".
type ResourcePolicies struct {
	Regions []string         `json:"regions"`
	Scopes  []CollectScope   `json:"scopes"`
	Items   []ResourcePolicy `json:"items"`
	// S3AccountBlock is the account-level S3 Block Public Access; nil when
	// none is set or it was not collected (see Scopes, service s3control).
	S3AccountBlock *PublicAccessBlock `json:"s3AccountPublicAccessBlock,omitempty"`
}

// CollectScope is one (service, region) read: its outcome and how many
// resources it listed. Region is "" for global services (S3 buckets are
// listed once).
type CollectScope struct {
	Service   string `json:"service"` // one of the Resource* types or ServiceS3Control
	Region    string `json:"region,omitempty"`
	Error     string `json:"error,omitempty"` // non-empty: not collected (e.g. AccessDenied)
	Resources int    `json:"resources"`
	// Skipped counts resources listed whose policy could not be read.
	Skipped int `json:"skipped,omitempty"`
}

// Collected reports whether the service was read in region.
func (rp *ResourcePolicies) Collected(service, region string) bool {
	if rp == nil {
		return false
	}
	for _, s := range rp.Scopes {
		if s.Service == service && (s.Region == region || s.Region == "") && s.Error == "" {
			return true
		}
	}
	return false
}

// Sort orders Items by type then ARN (the order collect writes) and makes
// an empty list non-nil.
func (rp *ResourcePolicies) Sort() {
	sort.SliceStable(rp.Items, func(i, j int) bool {
		if rp.Items[i].Type != rp.Items[j].Type {
			return rp.Items[i].Type < rp.Items[j].Type
		}
		return rp.Items[i].ARN < rp.Items[j].ARN
	})
	if rp.Items == nil {
		rp.Items = []ResourcePolicy{}
	}
}

// ResourcePolicy is one resource and its resource-based policy.
type ResourcePolicy struct {
	Type   string `json:"type"`
	ARN    string `json:"arn"`
	Name   string `json:"name"`
	Region string `json:"region,omitempty"`
	// Policy is the policy document; nil when the resource has none.
	Policy json.RawMessage `json:"policy,omitempty"`
	// S3 only: the bucket ACL's grants and the bucket's Block Public Access
	// (nil: none set).
	ACLGrants   []ACLGrant         `json:"aclGrants,omitempty"`
	BucketBlock *PublicAccessBlock `json:"publicAccessBlock,omitempty"`
	// KMS only: AWS or CUSTOMER (KeyManager).
	KeyManager string `json:"keyManager,omitempty"`
}

// ACLGrant is one grant of an S3 ACL. Grantee is a canonical user id, an
// email or a group URI (http://acs.amazonaws.com/groups/global/AllUsers).
type ACLGrant struct {
	GranteeType string `json:"granteeType"` // CanonicalUser, Group, AmazonCustomerByEmail
	Grantee     string `json:"grantee"`
	Permission  string `json:"permission"` // READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL
}

// PublicAccessBlock is an S3 Block Public Access configuration.
type PublicAccessBlock struct {
	BlockPublicAcls       bool `json:"blockPublicAcls"`
	IgnorePublicAcls      bool `json:"ignorePublicAcls"`
	BlockPublicPolicy     bool `json:"blockPublicPolicy"`
	RestrictPublicBuckets bool `json:"restrictPublicBuckets"`
}

// KMSKeyPolicy returns the key policy of the KMS key with the given ARN
// from the accounts' collected resource policies, and whether the key is
// known. A known key without a policy document returns (nil, true).
func (s *Snapshot) KMSKeyPolicy(keyARN string) (json.RawMessage, bool) {
	for _, a := range s.Accounts {
		if a.ResourcePolicies == nil {
			continue
		}
		for i := range a.ResourcePolicies.Items {
			it := &a.ResourcePolicies.Items[i]
			if it.Type == ResourceKMSKey && it.ARN == keyARN {
				return it.Policy, true
			}
		}
	}
	return nil, false
}

// AttachedPolicy is a managed policy attached to a principal or group.
type AttachedPolicy struct {
	PolicyName string `json:"policyName"`
	PolicyARN  string `json:"policyArn"`
}

// InlinePolicy is an embedded policy of a user, group or role.
type InlinePolicy struct {
	PolicyName string          `json:"policyName"`
	Document   json.RawMessage `json:"document"` // decoded policy JSON
}

// User is an IAM user.
type User struct {
	ARN                 string            `json:"arn"`
	UserName            string            `json:"userName"`
	UserID              string            `json:"userId"`
	Path                string            `json:"path"`
	CreateDate          time.Time         `json:"createDate"`
	PasswordLastUsed    *time.Time        `json:"passwordLastUsed,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`
	Groups              []string          `json:"groups,omitempty"` // group names
	AttachedPolicies    []AttachedPolicy  `json:"attachedPolicies,omitempty"`
	InlinePolicies      []InlinePolicy    `json:"inlinePolicies,omitempty"`
	PermissionsBoundary string            `json:"permissionsBoundary,omitempty"` // policy ARN
	AccessKeys          []AccessKey       `json:"accessKeys,omitempty"`
	MFADevices          []MFADevice       `json:"mfaDevices,omitempty"`
	LoginProfile        *LoginProfile     `json:"loginProfile,omitempty"` // nil: no console password
	AccessAdvisor       []ServiceAccess   `json:"accessAdvisor,omitempty"`
}

// AccessKey is a long-term access key's metadata. The secret is never known
// to seiri.
type AccessKey struct {
	AccessKeyID string            `json:"accessKeyId"`
	Status      string            `json:"status"` // Active | Inactive
	CreateDate  time.Time         `json:"createDate"`
	LastUsed    *KeyLastUsed      `json:"lastUsed,omitempty"` // nil: never used (or unknown when not collected)
	Tags        map[string]string `json:"tags,omitempty"`
}

// Active reports whether the key is enabled.
func (k AccessKey) Active() bool { return k.Status == "Active" }

// KeyLastUsed is GetAccessKeyLastUsed's answer for a key that was used.
type KeyLastUsed struct {
	Date        time.Time `json:"date"`
	ServiceName string    `json:"serviceName,omitempty"`
	Region      string    `json:"region,omitempty"`
}

// MFADevice is a virtual or hardware MFA device of a user.
type MFADevice struct {
	SerialNumber string    `json:"serialNumber"`
	EnableDate   time.Time `json:"enableDate"`
}

// LoginProfile says a user has a console password (never the password).
type LoginProfile struct {
	CreateDate            time.Time `json:"createDate"`
	PasswordResetRequired bool      `json:"passwordResetRequired"`
}

// Group is an IAM group. Members are the users whose Groups name it.
type Group struct {
	ARN              string           `json:"arn"`
	GroupName        string           `json:"groupName"`
	GroupID          string           `json:"groupId"`
	Path             string           `json:"path"`
	CreateDate       time.Time        `json:"createDate"`
	AttachedPolicies []AttachedPolicy `json:"attachedPolicies,omitempty"`
	InlinePolicies   []InlinePolicy   `json:"inlinePolicies,omitempty"`
}

// Role is an IAM role.
type Role struct {
	ARN                 string            `json:"arn"`
	RoleName            string            `json:"roleName"`
	RoleID              string            `json:"roleId"`
	Path                string            `json:"path"`
	CreateDate          time.Time         `json:"createDate"`
	Description         string            `json:"description,omitempty"`
	MaxSessionDuration  int32             `json:"maxSessionDuration,omitempty"`
	TrustPolicy         json.RawMessage   `json:"trustPolicy,omitempty"`
	Tags                map[string]string `json:"tags,omitempty"`
	AttachedPolicies    []AttachedPolicy  `json:"attachedPolicies,omitempty"`
	InlinePolicies      []InlinePolicy    `json:"inlinePolicies,omitempty"`
	PermissionsBoundary string            `json:"permissionsBoundary,omitempty"`
	LastUsed            *RoleLastUsed     `json:"lastUsed,omitempty"`         // nil: no use recorded (tracking began 2020-05)
	InstanceProfiles    []string          `json:"instanceProfiles,omitempty"` // ARNs
	AccessAdvisor       []ServiceAccess   `json:"accessAdvisor,omitempty"`
}

// ServiceLinked reports whether the role is a service-linked role (path
// /aws-service-role/), which SCPs never affect and seiri never changes.
func (r Role) ServiceLinked() bool { return len(r.Path) >= 18 && r.Path[:18] == "/aws-service-role/" }

// RoleLastUsed is RoleLastUsed from GetAccountAuthorizationDetails.
type RoleLastUsed struct {
	Date   time.Time `json:"date"`
	Region string    `json:"region,omitempty"`
}

// ManagedPolicy is a managed policy with its default version's document.
type ManagedPolicy struct {
	ARN              string          `json:"arn"`
	PolicyName       string          `json:"policyName"`
	PolicyID         string          `json:"policyId,omitempty"`
	Path             string          `json:"path"`
	DefaultVersionID string          `json:"defaultVersionId,omitempty"`
	AttachmentCount  int32           `json:"attachmentCount"`
	BoundaryUsage    int32           `json:"permissionsBoundaryUsageCount,omitempty"`
	IsAttachable     bool            `json:"isAttachable"`
	CreateDate       time.Time       `json:"createDate,omitzero"`
	UpdateDate       time.Time       `json:"updateDate,omitzero"`
	Document         json.RawMessage `json:"document"`
}

// AWSManaged reports whether AWS owns the policy (arn:aws:iam::aws:policy/...).
func (p ManagedPolicy) AWSManaged() bool { return isAWSManagedARN(p.ARN) }

func isAWSManagedARN(arn string) bool {
	// arn:PARTITION:iam::aws:policy/NAME
	p := strings.SplitN(arn, ":", 6)
	return len(p) == 6 && p[0] == "arn" && p[2] == "iam" && p[4] == "aws" && strings.HasPrefix(p[5], "policy/")
}

// ServiceAccess is Access Advisor's last-accessed record for one service
// (GenerateServiceLastAccessedDetails, ACTION_LEVEL).
type ServiceAccess struct {
	ServiceNamespace  string         `json:"serviceNamespace"`
	ServiceName       string         `json:"serviceName,omitempty"`
	LastAuthenticated *time.Time     `json:"lastAuthenticated,omitempty"` // nil: not accessed in the tracking period
	LastEntity        string         `json:"lastAuthenticatedEntity,omitempty"`
	LastRegion        string         `json:"lastAuthenticatedRegion,omitempty"`
	Actions           []ActionAccess `json:"actions,omitempty"` // only for services with action-level tracking
}

// ActionAccess is Access Advisor's action-level record.
type ActionAccess struct {
	ActionName   string     `json:"actionName"`
	LastAccessed *time.Time `json:"lastAccessed,omitempty"`
	LastRegion   string     `json:"lastAccessedRegion,omitempty"`
	LastEntity   string     `json:"lastAccessedEntity,omitempty"`
}

// PasswordPolicy is the account's password policy.
type PasswordPolicy struct {
	MinimumPasswordLength      int32 `json:"minimumPasswordLength"`
	RequireSymbols             bool  `json:"requireSymbols"`
	RequireNumbers             bool  `json:"requireNumbers"`
	RequireUppercaseCharacters bool  `json:"requireUppercaseCharacters"`
	RequireLowercaseCharacters bool  `json:"requireLowercaseCharacters"`
	AllowUsersToChangePassword bool  `json:"allowUsersToChangePassword"`
	ExpirePasswords            bool  `json:"expirePasswords"`
	MaxPasswordAge             int32 `json:"maxPasswordAge,omitempty"` // days; 0: never
	PasswordReusePrevention    int32 `json:"passwordReusePrevention,omitempty"`
	HardExpiry                 bool  `json:"hardExpiry"`
}

// Trail is a CloudTrail trail visible from the account, with what it logs.
type Trail struct {
	Name                       string `json:"name"`
	ARN                        string `json:"arn"`
	HomeRegion                 string `json:"homeRegion"`
	S3BucketName               string `json:"s3BucketName,omitempty"`
	S3KeyPrefix                string `json:"s3KeyPrefix,omitempty"`
	IsMultiRegion              bool   `json:"isMultiRegionTrail"`
	IsOrganizationTrail        bool   `json:"isOrganizationTrail"`
	IncludeGlobalServiceEvents bool   `json:"includeGlobalServiceEvents"`
	IsLogging                  bool   `json:"isLogging"`
	// StartLoggingTime is when the trail last started logging
	// (GetTrailStatus); nil when unknown. Logs cannot cover earlier times.
	StartLoggingTime       *time.Time      `json:"startLoggingTime,omitempty"`
	EventSelectors         json.RawMessage `json:"eventSelectors,omitempty"`
	AdvancedEventSelectors json.RawMessage `json:"advancedEventSelectors,omitempty"`
}

// Organization is the AWS Organization: its root, OU tree, accounts and
// policies (SCPs, RCPs, tag policies…) with their targets.
type Organization struct {
	ID                string           `json:"id"`
	ARN               string           `json:"arn,omitempty"`
	ManagementAccount string           `json:"managementAccountId"`
	ManagementEmail   string           `json:"managementAccountEmail,omitempty"`
	FeatureSet        string           `json:"featureSet,omitempty"`
	Roots             []Root           `json:"roots"`
	OUs               []OU             `json:"ous"`
	Accounts          []OrgAccount     `json:"accounts"`
	Policies          []OrgPolicy      `json:"policies"`
	DelegatedAdmins   []DelegatedAdmin `json:"delegatedAdministrators,omitempty"`
	TrustedServices   []string         `json:"trustedServices,omitempty"` // service principals with trusted access
	// AccessReports are IAM's Organizations access reports, one per root and
	// OU (absent in snapshots collected without them).
	AccessReports []OrgAccessReport `json:"accessReports,omitempty"`
}

// OrgAccessReport is the Organizations access report of one root or OU:
// the services any principal of any account below it used, with the last
// use, over IAM's tracking period (400 days).
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetOrganizationsAccessReport.html
type OrgAccessReport struct {
	TargetID    string             `json:"targetId"`   // r-... or ou-...
	EntityPath  string             `json:"entityPath"` // o-.../r-.../ou-...
	GeneratedAt time.Time          `json:"generatedAt"`
	Services    []OrgServiceAccess `json:"services"`
}

// OrgServiceAccess is one AccessDetail of an Organizations access report.
type OrgServiceAccess struct {
	Namespace         string     `json:"namespace"`
	Name              string     `json:"name,omitempty"`
	LastAuthenticated *time.Time `json:"lastAuthenticated,omitempty"` // nil: not used in the tracking period
	LastEntityPath    string     `json:"lastEntityPath,omitempty"`    // the account (path) that used it last
	Region            string     `json:"region,omitempty"`
	Entities          int        `json:"entities"` // accounts with principals that used it
}

// Root is an organization root.
type Root struct {
	ID          string   `json:"id"`
	ARN         string   `json:"arn,omitempty"`
	Name        string   `json:"name"`
	PolicyTypes []string `json:"policyTypes,omitempty"` // enabled policy types
}

// OU is an organizational unit.
type OU struct {
	ID       string `json:"id"`
	ARN      string `json:"arn,omitempty"`
	Name     string `json:"name"`
	ParentID string `json:"parentId"`
}

// OrgAccount is an account as the organization sees it.
type OrgAccount struct {
	ID           string            `json:"id"`
	ARN          string            `json:"arn,omitempty"`
	Name         string            `json:"name"`
	Email        string            `json:"email,omitempty"`
	Status       string            `json:"status"` // ACTIVE, SUSPENDED, PENDING_CLOSURE
	ParentID     string            `json:"parentId"`
	JoinedMethod string            `json:"joinedMethod,omitempty"`
	JoinedAt     time.Time         `json:"joinedAt,omitzero"`
	Tags         map[string]string `json:"tags,omitempty"`
}

// OrgPolicy is an organization policy and where it is attached.
type OrgPolicy struct {
	ID          string   `json:"id"`
	ARN         string   `json:"arn,omitempty"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Type        string   `json:"type"` // SERVICE_CONTROL_POLICY, RESOURCE_CONTROL_POLICY, TAG_POLICY, ...
	AWSManaged  bool     `json:"awsManaged"`
	Content     string   `json:"content"` // the policy text exactly as stored
	Targets     []string `json:"targets"` // root, OU or account ids
}

// DelegatedAdmin is an account registered as delegated administrator.
type DelegatedAdmin struct {
	AccountID         string   `json:"accountId"`
	ServicePrincipals []string `json:"servicePrincipals,omitempty"`
}
