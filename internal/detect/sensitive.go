package detect

import (
	"encoding/json"
	"slices"

	"github.com/seiri-dev/seiri/internal/finding"
)

// verdict is a stateless rule's judgement of one event.
type verdict struct {
	hit          bool
	undetermined bool
	evidence     []finding.Evidence
}

var hit = verdict{hit: true}

type sensitiveRule struct {
	rule  Rule
	match func(e *Event) bool
	judge func(e *Event) verdict
	// judgeD, when set, judges with the detector's configuration.
	judgeD func(d *Detector, e *Event) verdict
}

// verdict judges e with the rule (and the detector's configuration).
func (s *sensitiveRule) verdict(d *Detector, e *Event) verdict {
	if s.judgeD != nil {
		return s.judgeD(d, e)
	}
	return s.judge(e)
}

// calls matches events by source and names.
func calls(source string, names ...string) func(e *Event) bool {
	return func(e *Event) bool { return e.Source == source && slices.Contains(names, e.Name) }
}

func always(*Event) verdict { return hit }

func rule(id, title string, sev finding.Severity, desc, rec string, gd, attack []string) Rule {
	return Rule{Rule: finding.Rule{ID: id, Title: title, Severity: sev, Description: desc, Recommendation: rec,
		Tags: []string{"suspicious-use"}}, GuardDuty: gd, ATTACK: attack}
}

// Event names and request shapes: each service's "Logging … API calls with
// AWS CloudTrail" page and the API reference of the action.
var sensitive = []sensitiveRule{
	{
		rule: rule("SEIRI-DETECT-ROOT-USE", "Root user credentials used", finding.High,
			"A call was made with the account's root user credentials (not by an AWS service on its behalf).",
			"Confirm who used the root user and why; lock root credentials away (MFA, no access keys) and use roles for daily work.",
			[]string{"Policy:IAMUser/RootCredentialUsage"}, []string{"T1078.004"}),
		// userIdentity.type Root, invokedBy empty: CloudTrail User Guide, "CloudTrail userIdentity element".
		match: func(e *Event) bool {
			return e.IdentityType == "Root" && e.InvokedBy == "" && e.Type != "AwsServiceEvent"
		},
		judge: always,
	},
	{
		rule: rule("SEIRI-DETECT-CONSOLE-NO-MFA", "Console sign-in without MFA", finding.Medium,
			"A successful console sign-in of an IAM user or the root user did not use MFA.",
			"Require MFA for console users (an MFA device and a policy denying actions without aws:MultiFactorAuthPresent), or move the person to IAM Identity Center.",
			nil, []string{"T1078.004"}),
		// additionalEventData.MFAUsed, responseElements.ConsoleLogin: CloudTrail User Guide, "AWS console sign-in events".
		match: calls("signin.amazonaws.com", "ConsoleLogin"),
		judge: func(e *Event) verdict {
			if e.IdentityType != "IAMUser" && e.IdentityType != "Root" {
				return verdict{} // federated sign-ins carry MFA at the identity provider
			}
			if e.MFAUsed == "" || e.LoginResult == "" {
				return verdict{undetermined: true}
			}
			if e.LoginResult == "Success" && e.MFAUsed == "No" {
				return hit
			}
			return verdict{}
		},
	},
	{
		rule: rule("SEIRI-DETECT-TRAIL-LOGGING", "CloudTrail logging stopped, deleted or changed", finding.High,
			"A trail was stopped, deleted, updated, or its event selectors replaced: the record of what happens next may be gone.",
			"Check the trail's status and selectors now; restore logging; find who made the call and why; deny these actions with an SCP outside a break-glass role.",
			[]string{"Stealth:IAMUser/CloudTrailLoggingDisabled"}, []string{"T1562.008"}),
		match: calls("cloudtrail.amazonaws.com", "StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"),
		judge: always,
	},
	{
		rule: rule("SEIRI-DETECT-FLOWLOGS-DELETED", "VPC flow logs deleted", finding.High,
			"VPC flow logs were deleted: network evidence stops being recorded.",
			"Recreate the flow logs; find who deleted them and why.",
			nil, []string{"T1562.008"}),
		match: calls("ec2.amazonaws.com", "DeleteFlowLogs"),
		judge: always,
	},
	{
		rule: rule("SEIRI-DETECT-GUARDDUTY-DISABLED", "GuardDuty detector deleted or disabled", finding.High,
			"A GuardDuty detector was deleted, or updated with enable=false.",
			"Re-enable GuardDuty (organization-wide through the delegated administrator); find who disabled it.",
			nil, []string{"T1562.001"}),
		// UpdateDetector's "enable": GuardDuty API Reference, UpdateDetector.
		match: calls("guardduty.amazonaws.com", "DeleteDetector", "UpdateDetector"),
		judge: func(e *Event) verdict {
			if e.Name == "DeleteDetector" {
				return hit
			}
			if e.Request == nil {
				return verdict{undetermined: true}
			}
			var p struct {
				Enable *bool `json:"enable"`
			}
			if json.Unmarshal(e.Request, &p) != nil {
				return verdict{undetermined: true}
			}
			if p.Enable != nil && !*p.Enable {
				return verdict{hit: true, evidence: []finding.Evidence{{Name: "enable", Value: "false"}}}
			}
			return verdict{}
		},
	},
	{
		rule: rule("SEIRI-DETECT-SECURITYHUB-DISABLED", "Security Hub disabled", finding.High,
			"Security Hub was disabled in an account and region.",
			"Re-enable Security Hub; find who disabled it.",
			nil, []string{"T1562.001"}),
		match: calls("securityhub.amazonaws.com", "DisableSecurityHub"),
		judge: always,
	},
	{
		rule: rule("SEIRI-DETECT-CONFIG-STOPPED", "AWS Config recorder stopped or deleted", finding.High,
			"The AWS Config configuration recorder was stopped or deleted: resource changes stop being recorded.",
			"Restart the recorder; find who stopped it.",
			nil, []string{"T1562.008"}),
		match: calls("config.amazonaws.com", "StopConfigurationRecorder", "DeleteConfigurationRecorder"),
		judge: always,
	},
	{
		rule: rule("SEIRI-DETECT-ACCESSANALYZER-DELETED", "IAM Access Analyzer analyzer deleted", finding.Medium,
			"An IAM Access Analyzer analyzer was deleted: external access stops being reported.",
			"Recreate the analyzer; find who deleted it.",
			nil, []string{"T1562.001"}),
		match: calls("access-analyzer.amazonaws.com", "DeleteAnalyzer"),
		judge: always,
	},
	{
		rule: rule("SEIRI-DETECT-LEAVE-ORG", "Account left the organization", finding.Critical,
			"An account left the AWS Organization: its SCPs, organization trail and delegated security services no longer apply.",
			"Find who did it and why; deny organizations:LeaveOrganization with an SCP.",
			nil, []string{"T1562.001", "T1666"}),
		match: calls("organizations.amazonaws.com", "LeaveOrganization"),
		judge: always,
	},
	{
		rule: rule("SEIRI-DETECT-KEY-FOR-OTHER-USER", "Access key created for another user", finding.High,
			"A principal created an access key for an IAM user other than itself: a common way to keep access.",
			"Confirm the key was expected; if not, deactivate it and investigate the caller.",
			[]string{"Persistence:IAMUser/AnomalousBehavior"}, []string{"T1098.001"}),
		match: calls("iam.amazonaws.com", "CreateAccessKey"),
		judge: forOtherUser,
	},
	{
		rule: rule("SEIRI-DETECT-LOGIN-PROFILE-FOR-OTHER-USER", "Console password set for another user", finding.High,
			"A principal created or changed the console password of an IAM user other than itself.",
			"Confirm the change was expected; if not, delete the login profile and investigate the caller.",
			[]string{"Persistence:IAMUser/AnomalousBehavior"}, []string{"T1098.001"}),
		match: calls("iam.amazonaws.com", "CreateLoginProfile", "UpdateLoginProfile"),
		judge: forOtherUser,
	},
	{
		rule: rule("SEIRI-DETECT-TRUST-POLICY-CHANGED", "Role trust policy changed", finding.Medium,
			"A role's trust policy was replaced: it may now be assumable by someone new, including another account.",
			"Review the new trust policy (seiri roles / Access Analyzer); revert it if it opens the role.",
			[]string{"Persistence:IAMUser/AnomalousBehavior"}, []string{"T1098.003"}),
		match: calls("iam.amazonaws.com", "UpdateAssumeRolePolicy"),
		judge: always,
	},
	{
		rule: rule("SEIRI-DETECT-FEDERATION-TOKEN", "Federation token obtained", finding.Medium,
			"GetFederationToken issued credentials that outlive the deletion of the caller's access key.",
			"Confirm the caller uses federation tokens by design; if not, deactivate its key and deny sts:GetFederationToken.",
			nil, []string{"T1550.001", "T1098.001"}),
		match: calls("sts.amazonaws.com", "GetFederationToken"),
		judge: always,
	},
	{
		rule: rule("SEIRI-DETECT-ROLESANYWHERE-ANCHOR", "IAM Roles Anywhere trust anchor created", finding.High,
			"A Roles Anywhere trust anchor was created: certificates from its CA can now obtain role credentials from outside AWS.",
			"Confirm the anchor and its CA were expected; delete it otherwise.",
			nil, []string{"T1098.001"}),
		match: calls("rolesanywhere.amazonaws.com", "CreateTrustAnchor"),
		judge: always,
	},
	{
		rule: rule("SEIRI-DETECT-SNAPSHOT-SHARED", "EBS snapshot shared with another account or publicly", finding.High,
			"ModifySnapshotAttribute added create-volume permission for another account or for everyone.",
			"Remove the permission unless the sharing is intended; check what the snapshot contains.",
			nil, []string{"T1537"}),
		// createVolumePermission.add.items[].userId|group: EC2 API Reference, ModifySnapshotAttribute.
		match: calls("ec2.amazonaws.com", "ModifySnapshotAttribute"),
		judge: func(e *Event) verdict { return shared(e, "createVolumePermission") },
	},
	{
		rule: rule("SEIRI-DETECT-AMI-SHARED", "AMI shared with another account or publicly", finding.High,
			"ModifyImageAttribute added launch permission for another account or for everyone.",
			"Remove the permission unless the sharing is intended; check what the image contains.",
			nil, []string{"T1537"}),
		// launchPermission.add.items[].userId|group: EC2 API Reference, ModifyImageAttribute.
		match: calls("ec2.amazonaws.com", "ModifyImageAttribute"),
		judge: func(e *Event) verdict { return shared(e, "launchPermission") },
	},
	{
		rule: rule("SEIRI-DETECT-BUCKET-PUBLIC", "S3 bucket made public", finding.High,
			"A bucket policy allowing everyone (Principal \"*\" without a condition) or an ACL granting AllUsers/AuthenticatedUsers was put on a bucket.",
			"Remove the public grant unless the bucket is meant to be public; keep S3 Block Public Access on.",
			[]string{"Policy:S3/BucketAnonymousAccessGranted", "Policy:S3/BucketPublicAccessGranted"}, []string{"T1530"}),
		match: calls("s3.amazonaws.com", "PutBucketPolicy", "PutBucketAcl"),
		judge: publicBucket,
	},
	{
		rule: rule("SEIRI-DETECT-SG-OPEN-WORLD", "Security group opened to the internet", finding.Medium,
			"AuthorizeSecurityGroupIngress allowed traffic from 0.0.0.0/0 or ::/0.",
			"Narrow the rule to known networks, or remove it.",
			nil, []string{"T1562.007"}),
		// ipPermissions.items[].ipRanges.items[].cidrIp: EC2 API Reference, AuthorizeSecurityGroupIngress.
		match: calls("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress"),
		judge: openWorld,
	},
}

// forOtherUser: the request names a user and the caller is not that user
// (a role session or federated caller is never the user itself).
func forOtherUser(e *Event) verdict {
	if e.ReqUserName == "" {
		return verdict{} // no userName: the caller acted on itself (IAM API Reference, CreateAccessKey)
	}
	if e.IdentityType == "IAMUser" && e.UserName == e.ReqUserName {
		return verdict{}
	}
	return verdict{hit: true, evidence: []finding.Evidence{{Name: "target user", Value: e.ReqUserName}}}
}

// shared reads attr.add.items[] of a ModifySnapshotAttribute /
// ModifyImageAttribute request: a group "all" or a userId other than the
// owner's account is a hit.
func shared(e *Event, attr string) verdict {
	if e.Request == nil {
		return verdict{undetermined: true}
	}
	var p map[string]json.RawMessage
	if json.Unmarshal(e.Request, &p) != nil {
		return verdict{undetermined: true}
	}
	raw, ok := p[attr]
	if !ok {
		return verdict{} // another attribute (description, productCodes…)
	}
	var perm struct {
		Add struct {
			Items []struct {
				UserID string `json:"userId"`
				Group  string `json:"group"`
			} `json:"items"`
		} `json:"add"`
	}
	if json.Unmarshal(raw, &perm) != nil {
		return verdict{undetermined: true}
	}
	var ev []finding.Evidence
	for _, it := range perm.Add.Items {
		switch {
		case it.Group == "all":
			ev = append(ev, finding.Evidence{Name: "shared with", Value: "all (public)"})
		case it.UserID != "" && it.UserID != e.Account:
			ev = append(ev, finding.Evidence{Name: "shared with", Value: it.UserID})
		}
	}
	return verdict{hit: len(ev) > 0, evidence: ev}
}

// Grantee URIs of S3's predefined groups: S3 User Guide, "Access control list (ACL) overview".
const (
	allUsers  = "http://acs.amazonaws.com/groups/global/AllUsers"
	authUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

func publicBucket(e *Event) verdict {
	if e.Request == nil {
		return verdict{undetermined: true}
	}
	var p struct {
		Policy json.RawMessage `json:"bucketPolicy"`
		ACL    json.RawMessage `json:"AccessControlPolicy"`
		Canned []string        `json:"x-amz-acl"`
	}
	if json.Unmarshal(e.Request, &p) != nil {
		return verdict{undetermined: true}
	}
	var ev []finding.Evidence
	for _, c := range p.Canned {
		// Canned ACLs: S3 User Guide, "Canned ACL".
		if c == "public-read" || c == "public-read-write" || c == "authenticated-read" {
			ev = append(ev, finding.Evidence{Name: "canned ACL", Value: c})
		}
	}
	if e.Name == "PutBucketPolicy" {
		if p.Policy == nil {
			return verdict{undetermined: true}
		}
		ev = append(ev, publicStatements(p.Policy)...)
	}
	if p.ACL != nil {
		var found []string
		walkStrings(p.ACL, func(s string) {
			if (s == allUsers || s == authUsers) && !slices.Contains(found, s) {
				found = append(found, s)
			}
		})
		for _, s := range found {
			ev = append(ev, finding.Evidence{Name: "ACL grantee", Value: s})
		}
	}
	return verdict{hit: len(ev) > 0, evidence: ev}
}

// publicStatements returns the Allow statements whose principal is
// everyone and that carry no condition. IAM User Guide, "AWS JSON policy
// elements: Principal" (anonymous "*" and {"AWS":"*"}).
func publicStatements(doc json.RawMessage) []finding.Evidence {
	var pol struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if json.Unmarshal(doc, &pol) != nil {
		return nil
	}
	type stmt struct {
		Sid       string          `json:"Sid"`
		Effect    string          `json:"Effect"`
		Principal json.RawMessage `json:"Principal"`
		Condition json.RawMessage `json:"Condition"`
	}
	var list []stmt
	if json.Unmarshal(pol.Statement, &list) != nil {
		var one stmt
		if json.Unmarshal(pol.Statement, &one) != nil {
			return nil
		}
		list = []stmt{one}
	}
	var ev []finding.Evidence
	for _, s := range list {
		if s.Effect != "Allow" || (len(s.Condition) > 0 && string(s.Condition) != "null" && string(s.Condition) != "{}") {
			continue
		}
		everyone := false
		walkStrings(s.Principal, func(v string) { everyone = everyone || v == "*" })
		if everyone {
			ev = append(ev, finding.Evidence{Name: "public statement", Value: s.Sid})
		}
	}
	return ev
}

func openWorld(e *Event) verdict {
	if e.Request == nil {
		return verdict{undetermined: true}
	}
	var ev []finding.Evidence
	var v any
	if json.Unmarshal(e.Request, &v) != nil {
		return verdict{undetermined: true}
	}
	walkKeys(v, func(k string, val any) {
		s, _ := val.(string)
		if (k == "cidrIp" && s == "0.0.0.0/0") || (k == "cidrIpv6" && s == "::/0") {
			ev = append(ev, finding.Evidence{Name: "source", Value: s})
		}
	})
	return verdict{hit: len(ev) > 0, evidence: ev}
}

func walkStrings(raw json.RawMessage, fn func(string)) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return
	}
	walkKeys(v, func(_ string, val any) {
		if s, ok := val.(string); ok {
			fn(s)
		}
	})
	if s, ok := v.(string); ok {
		fn(s)
	}
}

// walkKeys calls fn for every object member and array element (key "")
// of v, depth first, in key order.
func walkKeys(v any, fn func(k string, val any)) {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fn(k, t[k])
			walkKeys(t[k], fn)
		}
	case []any:
		for _, x := range t {
			fn("", x)
			walkKeys(x, fn)
		}
	}
}
