package snapshot

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/credreport"

	"github.com/seiri-dev/seiri/internal/textenc"
)

// The JSON written by `aws iam get-account-authorization-details` (the AWS
// CLI merges all pages into one document; cloudsplaining and cloudtracker
// read the same file). Field names:
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
type authDetails struct {
	UserDetailList  []authUser   `json:"UserDetailList"`
	GroupDetailList []authGroup  `json:"GroupDetailList"`
	RoleDetailList  []authRole   `json:"RoleDetailList"`
	Policies        []authPolicy `json:"Policies"`
}

type authTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type authInline struct {
	PolicyName     string          `json:"PolicyName"`
	PolicyDocument json.RawMessage `json:"PolicyDocument"`
}

type authBoundary struct {
	PermissionsBoundaryArn string `json:"PermissionsBoundaryArn"`
}

type authUser struct {
	Path                    string           `json:"Path"`
	UserName                string           `json:"UserName"`
	UserID                  string           `json:"UserId"`
	Arn                     string           `json:"Arn"`
	CreateDate              string           `json:"CreateDate"`
	UserPolicyList          []authInline     `json:"UserPolicyList"`
	GroupList               []string         `json:"GroupList"`
	AttachedManagedPolicies []AttachedPolicy `json:"AttachedManagedPolicies"`
	PermissionsBoundary     *authBoundary    `json:"PermissionsBoundary"`
	Tags                    []authTag        `json:"Tags"`
}

type authGroup struct {
	Path                    string           `json:"Path"`
	GroupName               string           `json:"GroupName"`
	GroupID                 string           `json:"GroupId"`
	Arn                     string           `json:"Arn"`
	CreateDate              string           `json:"CreateDate"`
	GroupPolicyList         []authInline     `json:"GroupPolicyList"`
	AttachedManagedPolicies []AttachedPolicy `json:"AttachedManagedPolicies"`
}

type authRole struct {
	Path                     string                 `json:"Path"`
	RoleName                 string                 `json:"RoleName"`
	RoleID                   string                 `json:"RoleId"`
	Arn                      string                 `json:"Arn"`
	CreateDate               string                 `json:"CreateDate"`
	Description              string                 `json:"Description"`
	MaxSessionDuration       int32                  `json:"MaxSessionDuration"`
	AssumeRolePolicyDocument json.RawMessage        `json:"AssumeRolePolicyDocument"`
	InstanceProfileList      []struct{ Arn string } `json:"InstanceProfileList"`
	RolePolicyList           []authInline           `json:"RolePolicyList"`
	AttachedManagedPolicies  []AttachedPolicy       `json:"AttachedManagedPolicies"`
	PermissionsBoundary      *authBoundary          `json:"PermissionsBoundary"`
	Tags                     []authTag              `json:"Tags"`
	RoleLastUsed             *struct {
		LastUsedDate string `json:"LastUsedDate"`
		Region       string `json:"Region"`
	} `json:"RoleLastUsed"`
}

type authPolicy struct {
	PolicyName                    string `json:"PolicyName"`
	PolicyID                      string `json:"PolicyId"`
	Arn                           string `json:"Arn"`
	Path                          string `json:"Path"`
	DefaultVersionID              string `json:"DefaultVersionId"`
	AttachmentCount               int32  `json:"AttachmentCount"`
	PermissionsBoundaryUsageCount int32  `json:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool   `json:"IsAttachable"`
	CreateDate                    string `json:"CreateDate"`
	UpdateDate                    string `json:"UpdateDate"`
	PolicyVersionList             []struct {
		Document         json.RawMessage `json:"Document"`
		VersionID        string          `json:"VersionId"`
		IsDefaultVersion bool            `json:"IsDefaultVersion"`
	} `json:"PolicyVersionList"`
}

// ParseAuthorizationDetails reads the output of `aws iam
// get-account-authorization-details` into an Account. accountID may be empty:
// it is then taken from the entities' ARNs. name (the file) is used in errors.
func ParseAuthorizationDetails(data []byte, name, accountID string) (*Account, error) {
	var d authDetails
	data, err := textenc.UTF8(data) // a UTF-8 BOM is dropped; UTF-16 is refused
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("%s: %s", name, jsonErr(data, err))
	}
	if d.UserDetailList == nil && d.GroupDetailList == nil && d.RoleDetailList == nil && d.Policies == nil {
		return nil, fmt.Errorf("%s: not the output of get-account-authorization-details (no UserDetailList, GroupDetailList, RoleDetailList or Policies)", name)
	}
	a := &Account{AccountID: accountID}
	// the account id seen in ARNs, to check consistency
	seen := func(where, arn string) error {
		id := arnAccount(arn)
		if id == "" || id == "aws" {
			return nil
		}
		if a.AccountID == "" {
			a.AccountID = id
		} else if a.AccountID != id {
			return fmt.Errorf("%s: %s: ARN %q is in account %s, not %s", name, where, trim(arn), id, a.AccountID)
		}
		return nil
	}
	for i, u := range d.UserDetailList {
		where := fmt.Sprintf("UserDetailList[%d] (%s)", i, trim(u.UserName))
		if u.UserName == "" || u.Arn == "" {
			return nil, fmt.Errorf("%s: %s: UserName and Arn are required", name, where)
		}
		if err := seen(where, u.Arn); err != nil {
			return nil, err
		}
		created, err := parseTimeField(u.CreateDate)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: CreateDate: %w", name, where, err)
		}
		inl, err := inlinePolicies(u.UserPolicyList)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, where, err)
		}
		usr := User{ARN: u.Arn, UserName: u.UserName, UserID: u.UserID, Path: u.Path, CreateDate: created,
			Tags: tags(u.Tags), Groups: u.GroupList, AttachedPolicies: u.AttachedManagedPolicies, InlinePolicies: inl}
		if u.PermissionsBoundary != nil {
			usr.PermissionsBoundary = u.PermissionsBoundary.PermissionsBoundaryArn
		}
		a.Users = append(a.Users, usr)
	}
	for i, g := range d.GroupDetailList {
		where := fmt.Sprintf("GroupDetailList[%d] (%s)", i, trim(g.GroupName))
		if g.GroupName == "" || g.Arn == "" {
			return nil, fmt.Errorf("%s: %s: GroupName and Arn are required", name, where)
		}
		if err := seen(where, g.Arn); err != nil {
			return nil, err
		}
		created, err := parseTimeField(g.CreateDate)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: CreateDate: %w", name, where, err)
		}
		inl, err := inlinePolicies(g.GroupPolicyList)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, where, err)
		}
		a.Groups = append(a.Groups, Group{ARN: g.Arn, GroupName: g.GroupName, GroupID: g.GroupID, Path: g.Path, CreateDate: created,
			AttachedPolicies: g.AttachedManagedPolicies, InlinePolicies: inl})
	}
	for i, r := range d.RoleDetailList {
		where := fmt.Sprintf("RoleDetailList[%d] (%s)", i, trim(r.RoleName))
		if r.RoleName == "" || r.Arn == "" {
			return nil, fmt.Errorf("%s: %s: RoleName and Arn are required", name, where)
		}
		if err := seen(where, r.Arn); err != nil {
			return nil, err
		}
		created, err := parseTimeField(r.CreateDate)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: CreateDate: %w", name, where, err)
		}
		inl, err := inlinePolicies(r.RolePolicyList)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, where, err)
		}
		var trust json.RawMessage
		if len(r.AssumeRolePolicyDocument) > 0 {
			if trust, err = policyDocument(r.AssumeRolePolicyDocument); err != nil {
				return nil, fmt.Errorf("%s: %s: AssumeRolePolicyDocument: %w", name, where, err)
			}
		}
		role := Role{ARN: r.Arn, RoleName: r.RoleName, RoleID: r.RoleID, Path: r.Path, CreateDate: created, Description: r.Description,
			MaxSessionDuration: r.MaxSessionDuration, TrustPolicy: trust, Tags: tags(r.Tags), AttachedPolicies: r.AttachedManagedPolicies, InlinePolicies: inl}
		if r.PermissionsBoundary != nil {
			role.PermissionsBoundary = r.PermissionsBoundary.PermissionsBoundaryArn
		}
		for _, ip := range r.InstanceProfileList {
			role.InstanceProfiles = append(role.InstanceProfiles, ip.Arn)
		}
		if r.RoleLastUsed != nil && r.RoleLastUsed.LastUsedDate != "" {
			t, err := parseTimeField(r.RoleLastUsed.LastUsedDate)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: RoleLastUsed.LastUsedDate: %w", name, where, err)
			}
			role.LastUsed = &RoleLastUsed{Date: t, Region: r.RoleLastUsed.Region}
		}
		a.Roles = append(a.Roles, role)
	}
	for i, p := range d.Policies {
		where := fmt.Sprintf("Policies[%d] (%s)", i, trim(p.PolicyName))
		if p.PolicyName == "" || p.Arn == "" {
			return nil, fmt.Errorf("%s: %s: PolicyName and Arn are required", name, where)
		}
		if err := seen(where, p.Arn); err != nil {
			return nil, err
		}
		mp := ManagedPolicy{ARN: p.Arn, PolicyName: p.PolicyName, PolicyID: p.PolicyID, Path: p.Path, DefaultVersionID: p.DefaultVersionID,
			AttachmentCount: p.AttachmentCount, BoundaryUsage: p.PermissionsBoundaryUsageCount, IsAttachable: p.IsAttachable}
		var err error
		if p.CreateDate != "" {
			if mp.CreateDate, err = parseTimeField(p.CreateDate); err != nil {
				return nil, fmt.Errorf("%s: %s: CreateDate: %w", name, where, err)
			}
		}
		if p.UpdateDate != "" {
			if mp.UpdateDate, err = parseTimeField(p.UpdateDate); err != nil {
				return nil, fmt.Errorf("%s: %s: UpdateDate: %w", name, where, err)
			}
		}
		for _, v := range p.PolicyVersionList {
			if v.IsDefaultVersion || (p.DefaultVersionID != "" && v.VersionID == p.DefaultVersionID) {
				if mp.Document, err = policyDocument(v.Document); err != nil {
					return nil, fmt.Errorf("%s: %s: version %s: %w", name, where, trim(v.VersionID), err)
				}
			}
		}
		if mp.Document == nil {
			return nil, fmt.Errorf("%s: %s: no default version in PolicyVersionList", name, where)
		}
		a.Policies = append(a.Policies, mp)
	}
	if a.AccountID == "" {
		return nil, fmt.Errorf("%s: no account id in any ARN; pass --account-id", name)
	}
	sort.Slice(a.Users, func(i, j int) bool { return a.Users[i].UserName < a.Users[j].UserName })
	return a, nil
}

func inlinePolicies(list []authInline) ([]InlinePolicy, error) {
	var out []InlinePolicy
	for _, p := range list {
		d, err := policyDocument(p.PolicyDocument)
		if err != nil {
			return nil, fmt.Errorf("inline policy %q: %w", trim(p.PolicyName), err)
		}
		out = append(out, InlinePolicy{PolicyName: p.PolicyName, Document: d})
	}
	return out, nil
}

// policyDocument accepts a policy as a JSON object (the AWS CLI decodes
// documents) or as a string holding the URL-encoded or plain JSON text (the
// raw API and some tools).
func policyDocument(raw json.RawMessage) (json.RawMessage, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return nil, fmt.Errorf("policy document is missing")
	}
	if s[0] == '"' {
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return nil, err
		}
		if dec, err := url.QueryUnescape(text); err == nil && strings.HasPrefix(strings.TrimSpace(text), "%7B") {
			text = dec
		}
		s = strings.TrimSpace(text)
	}
	if !json.Valid([]byte(s)) || s[0] != '{' {
		return nil, fmt.Errorf("policy document is not a JSON object: %q", trim(s))
	}
	return json.RawMessage(s), nil
}

func tags(list []authTag) map[string]string {
	if len(list) == 0 {
		return nil
	}
	m := make(map[string]string, len(list))
	for _, t := range list {
		m[t.Key] = t.Value
	}
	return m
}

// arnAccount returns the account field of an ARN.
func arnAccount(arn string) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) < 6 {
		return ""
	}
	return p[4]
}

// ParseTime parses an AWS timestamp in any of the forms seen in the wild
// (credreport.ParseTime).
func ParseTime(s string) (time.Time, error) { return credreport.ParseTime(s) }

func parseTimeField(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("missing timestamp")
	}
	return ParseTime(s)
}

// trim shortens outside values quoted in errors.
func trim(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
