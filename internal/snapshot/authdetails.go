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
	// IsTruncated is set on one page of a paginated answer: the file then
	// lacks the entities of the later pages.
	IsTruncated bool   `json:"IsTruncated"`
	Marker      string `json:"Marker"`
}

// attachedList is AttachedManagedPolicies. The API returns a list; the AWS
// CLI's documented example of get-account-authorization-details shows a
// single object for groups, so one object is read as a list of one.
type attachedList []AttachedPolicy

func (l *attachedList) UnmarshalJSON(b []byte) error {
	t := strings.TrimSpace(string(b))
	if strings.HasPrefix(t, "{") {
		var one AttachedPolicy
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*l = attachedList{one}
		return nil
	}
	var many []AttachedPolicy
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
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
	Path                    string        `json:"Path"`
	UserName                string        `json:"UserName"`
	UserID                  string        `json:"UserId"`
	Arn                     string        `json:"Arn"`
	CreateDate              string        `json:"CreateDate"`
	UserPolicyList          []authInline  `json:"UserPolicyList"`
	GroupList               []string      `json:"GroupList"`
	AttachedManagedPolicies attachedList  `json:"AttachedManagedPolicies"`
	PermissionsBoundary     *authBoundary `json:"PermissionsBoundary"`
	Tags                    []authTag     `json:"Tags"`
}

type authGroup struct {
	Path                    string       `json:"Path"`
	GroupName               string       `json:"GroupName"`
	GroupID                 string       `json:"GroupId"`
	Arn                     string       `json:"Arn"`
	CreateDate              string       `json:"CreateDate"`
	GroupPolicyList         []authInline `json:"GroupPolicyList"`
	AttachedManagedPolicies attachedList `json:"AttachedManagedPolicies"`
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
	AttachedManagedPolicies  attachedList           `json:"AttachedManagedPolicies"`
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

// AuthorizationImport is a get-account-authorization-details file read as
// the accounts it holds.
type AuthorizationImport struct {
	Accounts []*Account // sorted by account id
	// Skipped counts, by account id, the entities left out by the filter.
	Skipped map[string]int
	// Truncated is set when the file is one page of several (IsTruncated):
	// entities of the later pages are missing from it.
	Truncated bool
}

// Notes says, for a command to print, what the import did besides reading
// the accounts: entities left out and a truncated file.
func (imp *AuthorizationImport) Notes() []string {
	var out []string
	ids := make([]string, 0, len(imp.Skipped))
	for id := range imp.Skipped {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		out = append(out, fmt.Sprintf("left out %d entities of account %s (not the account asked for)", imp.Skipped[id], id))
	}
	if imp.Truncated {
		out = append(out, "the file is one page of several (IsTruncated is true): users, groups, roles and policies of the later pages are missing; write the file with the AWS CLI without --max-items (it merges every page)")
	}
	return out
}

// ParseAuthorizationDetailsAccounts reads the output of `aws iam
// get-account-authorization-details` into one Account per account its ARNs
// name (files merged from several accounts exist in the wild). With only set
// (an account id), it keeps that account and counts what it left out; an
// account id that the file does not hold is an error. AWS managed policies
// (arn:aws:iam::aws:policy/...) go to every account.
func ParseAuthorizationDetailsAccounts(data []byte, name, only string) (*AuthorizationImport, error) {
	d, err := decodeAuthDetails(data, name)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	count := func(arn string) {
		if id := arnAccount(arn); id != "" && id != "aws" {
			counts[id]++
		}
	}
	for _, u := range d.UserDetailList {
		count(u.Arn)
	}
	for _, g := range d.GroupDetailList {
		count(g.Arn)
	}
	for _, r := range d.RoleDetailList {
		count(r.Arn)
	}
	for _, p := range d.Policies {
		count(p.Arn)
	}
	imp := &AuthorizationImport{Skipped: map[string]int{}, Truncated: d.IsTruncated}
	ids := make([]string, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if only != "" {
		if counts[only] == 0 {
			return nil, fmt.Errorf("%s: no entity of account %s in the file (it holds %s)", name, only, strings.Join(ids, ", "))
		}
		for _, id := range ids {
			if id != only {
				imp.Skipped[id] = counts[id]
			}
		}
		ids = []string{only}
	}
	if len(ids) == 0 {
		ids = []string{""} // only AWS managed policies: account.account reports it
	}
	for _, id := range ids {
		a, err := d.account(name, id, false)
		if err != nil {
			return nil, err
		}
		imp.Accounts = append(imp.Accounts, a)
	}
	return imp, nil
}

func decodeAuthDetails(data []byte, name string) (*authDetails, error) {
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
	return &d, nil
}

// account builds the Account accountID (from the ARNs when empty). strict
// makes an entity of another account an error; otherwise it is left out.
func (d *authDetails) account(name, accountID string, strict bool) (*Account, error) {
	a := &Account{AccountID: accountID}
	// keep checks the account id of an entity's ARN: it reports whether the
	// entity belongs to a (and fails, when strict, for another account).
	keep := func(where, arn string) (bool, error) {
		id := arnAccount(arn)
		if id == "" || id == "aws" {
			return true, nil
		}
		if a.AccountID == "" {
			a.AccountID = id
		} else if a.AccountID != id {
			if strict {
				return false, fmt.Errorf("%s: %s: ARN %q is in account %s, not %s (a file holding several accounts imports as the accounts it holds: ParseAuthorizationDetailsAccounts, or pick one with --account-id)",
					name, where, trim(arn), id, a.AccountID)
			}
			return false, nil
		}
		return true, nil
	}
	for i, u := range d.UserDetailList {
		where := fmt.Sprintf("UserDetailList[%d] (%s)", i, trim(u.UserName))
		if u.UserName == "" || u.Arn == "" {
			return nil, fmt.Errorf("%s: %s: UserName and Arn are required", name, where)
		}
		if ok, err := keep(where, u.Arn); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
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
		if ok, err := keep(where, g.Arn); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
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
		if ok, err := keep(where, r.Arn); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
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
	policySeen := map[string]bool{}
	for i, p := range d.Policies {
		where := fmt.Sprintf("Policies[%d] (%s)", i, trim(p.PolicyName))
		if p.PolicyName == "" || p.Arn == "" {
			return nil, fmt.Errorf("%s: %s: PolicyName and Arn are required", name, where)
		}
		if ok, err := keep(where, p.Arn); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		if policySeen[p.Arn] {
			continue // an AWS managed policy repeated by a merged file
		}
		policySeen[p.Arn] = true
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

// ReportRowsWithoutUser returns the credential report rows (other than the
// root's) that name no user of the account: users deleted since the report,
// or missing from an import (a truncated or filtered file). They are not
// used for any verdict; a command must say so rather than drop them.
func ReportRowsWithoutUser(a *Account) []credreport.Row {
	if a == nil || a.CredentialReport == nil {
		return nil
	}
	users := make(map[string]bool, len(a.Users))
	for _, u := range a.Users {
		users[u.UserName] = true
	}
	var out []credreport.Row
	for _, r := range a.CredentialReport.Rows {
		if r.User != credreport.RootUser && !users[r.User] {
			out = append(out, r)
		}
	}
	return out
}

// ParseAuthorizationDetails reads the output of `aws iam
// get-account-authorization-details` as the one account it must hold
// (strict: an entity of another account is an error). accountID may be
// empty: it is then taken from the entities' ARNs. name (the file) is used
// in errors. Tests of other packages use this strict form; seiri reads files with
// ParseAuthorizationDetailsAccounts.
func ParseAuthorizationDetails(data []byte, name, accountID string) (*Account, error) {
	d, err := decodeAuthDetails(data, name)
	if err != nil {
		return nil, err
	}
	return d.account(name, accountID, true)
}
