package scplib

// GlobalServiceActions are the actions exempted from the allowed-regions
// policy: services with a single global endpoint (physically in us-east-1 or
// us-west-2) whose requests carry that region, so a region deny would break
// them. Base list from IAM User Guide "AWS: Denies access to AWS based on the
// requested Region" (cloudfront, iam, organizations, route53, support, and the
// named budgets, globalaccelerator, importexport, waf), extended with the
// global services of AWS Control Tower's region deny control (GRREGIONDENY).
var GlobalServiceActions = []string{
	"a4b:*",
	"access-analyzer:*",
	"account:*",
	"acm:*",
	"aws-marketplace-management:*",
	"aws-marketplace:*",
	"aws-portal:*",
	"billing:*",
	"budgets:*",
	"ce:*",
	"chatbot:*",
	"cloudfront:*",
	"cloudtrail:LookupEvents",
	"compute-optimizer:*",
	"config:*",
	"cur:*",
	"directconnect:*",
	"ec2:DescribeRegions",
	"ec2:DescribeTransitGateways",
	"ec2:DescribeVpnGateways",
	"fms:*",
	"globalaccelerator:*",
	"health:*",
	"iam:*",
	"importexport:*",
	"kms:*",
	"networkmanager:*",
	"organizations:*",
	"pricing:*",
	"route53:*",
	"route53domains:*",
	"s3:GetAccountPublic*",
	"s3:ListAllMyBuckets",
	"s3:PutAccountPublic*",
	"shield:*",
	"sts:*",
	"support:*",
	"tag:*",
	"trustedadvisor:*",
	"waf-regional:*",
	"waf:*",
	"wafv2:*",
}

// Library policy names.
const (
	DenyLeaveOrganization   = "deny-leave-organization"
	AllowedRegions          = "allowed-regions"
	DenyRootUser            = "deny-root-user"
	ProtectSecurityServices = "protect-security-services"
	ProtectRoles            = "protect-roles"
	DenyIAMUsers            = "deny-iam-users"
	RequireIMDSv2           = "require-imdsv2"
	SuspendedDenyAll        = "suspended-deny-all"
)

var adminRolesParam = Param{Name: "admin_roles", Kind: KindRole,
	Description: "roles exempted (names or role ARN patterns), e.g. the pipeline or security team role"}

func init() {
	register(&Policy{
		Name:        DenyLeaveOrganization,
		Description: "Member accounts cannot leave the organization (and escape its SCPs and its CloudTrail).",
		Doc:         "Organizations User Guide: SCP examples, general: prevent member accounts from leaving the organization",
		build: func(v Values) []Statement {
			return []Statement{{Sid: "DenyLeaveOrganization", Effect: "Deny", Action: "organizations:LeaveOrganization", Resource: "*"}}
		},
	})
	register(&Policy{
		Name: AllowedRegions,
		Description: "Deny every action outside the allowed regions, except the global services " +
			"(whose single endpoint lives in us-east-1 or us-west-2) and any extra exempted actions.",
		Doc: "IAM User Guide: AWS: Denies access to AWS based on the requested Region",
		Params: []Param{
			{Name: "regions", Kind: KindRegion, Required: true, Description: "regions where work is allowed"},
			{Name: "exempt_actions", Kind: KindAction, Description: "extra actions exempted, beyond the global services"},
			adminRolesParam,
		},
		build: func(v Values) []Statement {
			notAction := append(append([]string{}, GlobalServiceActions...), v["exempt_actions"]...)
			s := Statement{Sid: "DenyOutsideAllowedRegions", Effect: "Deny", NotAction: notAction, Resource: "*",
				Condition: map[string]map[string]any{"StringNotEquals": {"aws:RequestedRegion": v["regions"]}}}
			return []Statement{exempt(s, v["admin_roles"])}
		},
	})
	register(&Policy{
		Name:        DenyRootUser,
		Description: "Deny every action to the root user of member accounts (SCPs never restrict the management account).",
		Doc:         "Organizations User Guide: SCP examples, general: prevent root user actions",
		build: func(v Values) []Statement {
			return []Statement{{Sid: "DenyRootUser", Effect: "Deny", Action: "*", Resource: "*",
				Condition: map[string]map[string]any{"ArnLike": {"aws:PrincipalArn": "arn:*:iam::*:root"}}}}
		},
	})
	register(&Policy{
		Name: ProtectSecurityServices,
		Description: "Nobody but the named admin roles may stop, delete or weaken CloudTrail, AWS Config, GuardDuty, " +
			"Security Hub or IAM Access Analyzer, or touch the organization trail's bucket.",
		Doc: "Organizations User Guide: SCP examples for CloudTrail, AWS Config, GuardDuty, Security Hub",
		Params: []Param{
			adminRolesParam,
			{Name: "trail_buckets", Kind: KindBucket, Description: "S3 buckets holding the organization trail's logs"},
		},
		build: func(v Values) []Statement {
			out := []Statement{
				exempt(Statement{Sid: "ProtectCloudTrail", Effect: "Deny", Resource: "*", Action: []string{
					"cloudtrail:DeleteEventDataStore", "cloudtrail:DeleteTrail", "cloudtrail:PutEventSelectors",
					"cloudtrail:StopEventDataStoreIngestion", "cloudtrail:StopLogging", "cloudtrail:UpdateTrail"}}, v["admin_roles"]),
				exempt(Statement{Sid: "ProtectConfig", Effect: "Deny", Resource: "*", Action: []string{
					"config:DeleteAggregationAuthorization", "config:DeleteConfigurationAggregator", "config:DeleteConfigurationRecorder",
					"config:DeleteDeliveryChannel", "config:DeleteRetentionConfiguration", "config:PutConfigurationRecorder",
					"config:PutDeliveryChannel", "config:PutRetentionConfiguration", "config:StopConfigurationRecorder"}}, v["admin_roles"]),
				exempt(Statement{Sid: "ProtectGuardDuty", Effect: "Deny", Resource: "*", Action: []string{
					"guardduty:CreateFilter", "guardduty:DeleteDetector", "guardduty:DeleteMembers", "guardduty:DeletePublishingDestination",
					"guardduty:DisassociateFromAdministratorAccount", "guardduty:DisassociateFromMasterAccount", "guardduty:StopMonitoringMembers",
					"guardduty:UpdateDetector"}}, v["admin_roles"]),
				exempt(Statement{Sid: "ProtectSecurityHub", Effect: "Deny", Resource: "*", Action: []string{
					"securityhub:DeleteInvitations", "securityhub:DisableSecurityHub", "securityhub:DisassociateFromAdministratorAccount",
					"securityhub:DisassociateFromMasterAccount", "securityhub:DeleteMembers", "securityhub:DisassociateMembers"}}, v["admin_roles"]),
				exempt(Statement{Sid: "ProtectAccessAnalyzer", Effect: "Deny", Resource: "*", Action: []string{
					"access-analyzer:DeleteAnalyzer"}}, v["admin_roles"]),
			}
			if b := v["trail_buckets"]; len(b) > 0 {
				var res []string
				for _, n := range b {
					res = append(res, "arn:*:s3:::"+n, "arn:*:s3:::"+n+"/*")
				}
				out = append(out, exempt(Statement{Sid: "ProtectTrailBuckets", Effect: "Deny", Resource: res, Action: []string{
					"s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:DeleteObject", "s3:DeleteObjectVersion",
					"s3:PutBucketAcl", "s3:PutBucketObjectLockConfiguration", "s3:PutBucketPolicy", "s3:PutBucketVersioning",
					"s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration", "s3:PutReplicationConfiguration"}}, v["admin_roles"]))
			}
			return out
		},
	})
	register(&Policy{
		Name:        ProtectRoles,
		Description: "The named admin and break-glass roles cannot be changed or deleted, except by the admin roles.",
		Doc:         "Organizations User Guide: SCP examples, IAM: prevent IAM principals from making certain changes",
		Params: []Param{
			{Name: "roles", Kind: KindRole, Required: true, Description: "roles to protect (names or role ARN patterns)"},
			adminRolesParam,
		},
		build: func(v Values) []Statement {
			return []Statement{exempt(Statement{Sid: "ProtectRoles", Effect: "Deny", Resource: one(roleARNs(v["roles"])), Action: []string{
				"iam:AttachRolePolicy", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary", "iam:DeleteRolePolicy",
				"iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:TagRole", "iam:UntagRole",
				"iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription"}}, v["admin_roles"])}
		},
	})
	register(&Policy{
		Name:        DenyIAMUsers,
		Description: "No new IAM users or access keys: people sign in through IAM Identity Center, workloads use roles.",
		Doc:         "Organizations User Guide: SCP examples, IAM: prevent creating IAM users and access keys",
		Params:      []Param{adminRolesParam},
		build: func(v Values) []Statement {
			return []Statement{exempt(Statement{Sid: "DenyIAMUsersAndKeys", Effect: "Deny", Resource: "*",
				Action: []string{"iam:CreateAccessKey", "iam:CreateUser"}}, v["admin_roles"])}
		},
	})
	register(&Policy{
		Name: RequireIMDSv2,
		Description: "EC2 instances must be launched with IMDSv2 (session tokens), the hop limit stays small, " +
			"and role credentials fetched through IMDSv1 are refused.",
		Doc: "EC2 User Guide: Configure the instance metadata options (example policies for IMDSv2)",
		Params: []Param{
			{Name: "max_hop_limit", Kind: KindNumber, Single: true, Default: []string{"2"}, Description: "largest allowed ec2:MetadataHttpPutResponseHopLimit"},
			adminRolesParam,
		},
		build: func(v Values) []Statement {
			hop := v["max_hop_limit"][0]
			return []Statement{
				{Sid: "RequireIMDSv2", Effect: "Deny", Action: "ec2:RunInstances", Resource: "arn:*:ec2:*:*:instance/*",
					Condition: map[string]map[string]any{"StringNotEquals": {"ec2:MetadataHttpTokens": "required"}}},
				{Sid: "LimitHopCount", Effect: "Deny", Action: "ec2:RunInstances", Resource: "arn:*:ec2:*:*:instance/*",
					Condition: map[string]map[string]any{"NumericGreaterThan": {"ec2:MetadataHttpPutResponseHopLimit": hop}}},
				exempt(Statement{Sid: "DenyMetadataOptionChanges", Effect: "Deny", Action: "ec2:ModifyInstanceMetadataOptions", Resource: "*"}, v["admin_roles"]),
				{Sid: "DenyIMDSv1Credentials", Effect: "Deny", Action: "*", Resource: "*",
					Condition: map[string]map[string]any{"NumericLessThan": {"ec2:RoleDelivery": "2.0"}}},
			}
		},
	})
	register(&Policy{
		Name:        SuspendedDenyAll,
		Description: "For the Suspended OU: deny every action to everyone but the break-glass roles (for audit and recovery).",
		Doc:         "AWS whitepaper: Organizing Your AWS Environment Using Multiple Accounts, Suspended OU",
		Params: []Param{
			{Name: "break_glass_roles", Kind: KindRole, Required: true, Description: "roles that keep access (names or role ARN patterns)"},
		},
		build: func(v Values) []Statement {
			return []Statement{exempt(Statement{Sid: "DenyAllButBreakGlass", Effect: "Deny", Action: "*", Resource: "*"}, v["break_glass_roles"])}
		},
	})
}
