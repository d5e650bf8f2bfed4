package awsfake

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"github.com/seiri-dev/seiri/internal/credreport"
	"sort"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// iamOps are the IAM operations the fake serves (query protocol).
var iamOps = map[string]func(*call) (any, *Error){
	"GetAccountAuthorizationDetails":     iamGetAccountAuthorizationDetails,
	"ListUsers":                          iamListUsers,
	"ListAccessKeys":                     iamListAccessKeys,
	"GetAccessKeyLastUsed":               iamGetAccessKeyLastUsed,
	"ListMFADevices":                     iamListMFADevices,
	"ListVirtualMFADevices":              iamListVirtualMFADevices,
	"ListServerCertificates":             iamListServerCertificates,
	"GetLoginProfile":                    iamGetLoginProfile,
	"GenerateCredentialReport":           iamGenerateCredentialReport,
	"GetCredentialReport":                iamGetCredentialReport,
	"GetAccountPasswordPolicy":           iamGetAccountPasswordPolicy,
	"GetAccountSummary":                  iamGetAccountSummary,
	"ListAccountAliases":                 iamListAccountAliases,
	"GenerateServiceLastAccessedDetails": iamGenerateServiceLastAccessedDetails,
	"GetServiceLastAccessedDetails":      iamGetServiceLastAccessedDetails,
}

func (c *call) user(name string) (*snapshot.User, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	if name == "" {
		// No UserName: the caller's own user (static operator credentials).
		name = OperatorUser
	}
	for i := range a.Users {
		if a.Users[i].UserName == name {
			return &a.Users[i], nil
		}
	}
	return nil, errf(404, "NoSuchEntity", "The user with name %s cannot be found.", name)
}

func writeAttached(x *xmlBody, ps []snapshot.AttachedPolicy) {
	x.list("AttachedManagedPolicies", len(ps), func(i int) {
		x.el("PolicyName", ps[i].PolicyName)
		x.el("PolicyArn", ps[i].PolicyARN)
	})
}

func writeInline(x *xmlBody, name string, ps []snapshot.InlinePolicy) {
	x.list(name, len(ps), func(i int) {
		x.el("PolicyName", ps[i].PolicyName)
		x.el("PolicyDocument", policyEncode(ps[i].Document))
	})
}

func writeTags(x *xmlBody, tags map[string]string) {
	if len(tags) == 0 {
		return
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	x.list("Tags", len(keys), func(i int) {
		x.el("Key", keys[i])
		x.el("Value", tags[keys[i]])
	})
}

func writeBoundary(x *xmlBody, arn string) {
	if arn == "" {
		return
	}
	x.open("PermissionsBoundary")
	x.el("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
	x.el("PermissionsBoundaryArn", arn)
	x.close("PermissionsBoundary")
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
func iamGetAccountAuthorizationDetails(c *call) (any, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for k, v := range c.form {
		if strings.HasPrefix(k, "Filter.member.") {
			want[v[0]] = true
		}
	}
	all := len(want) == 0
	type item struct {
		kind string
		i    int
	}
	var items []item
	add := func(kind string, n int) {
		if all || want[kind] {
			for i := 0; i < n; i++ {
				items = append(items, item{kind, i})
			}
		}
	}
	add("User", len(a.Users))
	add("Group", len(a.Groups))
	add("Role", len(a.Roles))
	var local, awsManaged []int
	for i, p := range a.Policies {
		if p.AWSManaged() {
			awsManaged = append(awsManaged, i)
		} else {
			local = append(local, i)
		}
	}
	for _, i := range local {
		if all || want["LocalManagedPolicy"] {
			items = append(items, item{"Policy", i})
		}
	}
	for _, i := range awsManaged {
		if all || want["AWSManagedPolicy"] {
			items = append(items, item{"Policy", i})
		}
	}
	start, end, marker, perr := c.page(len(items), "MaxItems", "Marker")
	if perr != nil {
		return nil, perr
	}
	pg := items[start:end]
	of := func(kind string) []int {
		var out []int
		for _, it := range pg {
			if it.kind == kind {
				out = append(out, it.i)
			}
		}
		return out
	}
	x := &xmlBody{}
	us := of("User")
	x.list("UserDetailList", len(us), func(k int) {
		u := &a.Users[us[k]]
		x.el("Path", u.Path)
		x.el("UserName", u.UserName)
		x.el("UserId", u.UserID)
		x.el("Arn", u.ARN)
		x.time("CreateDate", u.CreateDate)
		writeInline(x, "UserPolicyList", u.InlinePolicies)
		x.list("GroupList", len(u.Groups), func(i int) { x.b.WriteString(escape(u.Groups[i])) })
		writeAttached(x, u.AttachedPolicies)
		writeBoundary(x, u.PermissionsBoundary)
		writeTags(x, u.Tags)
	})
	gs := of("Group")
	x.list("GroupDetailList", len(gs), func(k int) {
		g := &a.Groups[gs[k]]
		x.el("Path", g.Path)
		x.el("GroupName", g.GroupName)
		x.el("GroupId", g.GroupID)
		x.el("Arn", g.ARN)
		x.time("CreateDate", g.CreateDate)
		writeInline(x, "GroupPolicyList", g.InlinePolicies)
		writeAttached(x, g.AttachedPolicies)
	})
	rs := of("Role")
	x.list("RoleDetailList", len(rs), func(k int) {
		r := &a.Roles[rs[k]]
		x.el("Path", r.Path)
		x.el("RoleName", r.RoleName)
		x.el("RoleId", r.RoleID)
		x.el("Arn", r.ARN)
		x.time("CreateDate", r.CreateDate)
		if len(r.TrustPolicy) > 0 {
			x.el("AssumeRolePolicyDocument", policyEncode(r.TrustPolicy))
		}
		x.list("InstanceProfileList", len(r.InstanceProfiles), func(i int) {
			arn := r.InstanceProfiles[i]
			name := arn[strings.LastIndex(arn, "/")+1:]
			x.el("Path", "/")
			x.el("InstanceProfileName", name)
			x.el("InstanceProfileId", "AIPAFAKE"+strings.ToUpper(name))
			x.el("Arn", arn)
			x.time("CreateDate", r.CreateDate)
			x.list("Roles", 0, nil)
		})
		writeInline(x, "RolePolicyList", r.InlinePolicies)
		writeAttached(x, r.AttachedPolicies)
		writeBoundary(x, r.PermissionsBoundary)
		writeTags(x, r.Tags)
		x.open("RoleLastUsed")
		if r.LastUsed != nil {
			x.time("LastUsedDate", r.LastUsed.Date)
			x.opt("Region", r.LastUsed.Region)
		}
		x.close("RoleLastUsed")
	})
	ps := of("Policy")
	x.list("Policies", len(ps), func(k int) {
		p := &a.Policies[ps[k]]
		x.el("PolicyName", p.PolicyName)
		x.opt("PolicyId", p.PolicyID)
		x.el("Arn", p.ARN)
		x.el("Path", p.Path)
		ver := p.DefaultVersionID
		if ver == "" {
			ver = "v1"
		}
		x.el("DefaultVersionId", ver)
		x.int("AttachmentCount", int64(p.AttachmentCount))
		x.int("PermissionsBoundaryUsageCount", int64(p.BoundaryUsage))
		x.bool("IsAttachable", p.IsAttachable)
		x.time("CreateDate", p.CreateDate)
		x.time("UpdateDate", p.UpdateDate)
		x.list("PolicyVersionList", 1, func(int) {
			x.el("Document", policyEncode(p.Document))
			x.el("VersionId", ver)
			x.bool("IsDefaultVersion", true)
			x.time("CreateDate", p.UpdateDate)
		})
	})
	x.truncated(marker)
	return x, nil
}

func escape(s string) string {
	var b xmlBody
	b.el("x", s)
	out := b.b.String()
	return out[3 : len(out)-4]
}

func iamListUsers(c *call) (any, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	prefix := c.str("PathPrefix")
	var us []*snapshot.User
	for i := range a.Users {
		if strings.HasPrefix(a.Users[i].Path, prefix) {
			us = append(us, &a.Users[i])
		}
	}
	start, end, marker, perr := c.page(len(us), "MaxItems", "Marker")
	if perr != nil {
		return nil, perr
	}
	pg := us[start:end]
	x := &xmlBody{}
	x.list("Users", len(pg), func(i int) {
		u := pg[i]
		x.el("Path", u.Path)
		x.el("UserName", u.UserName)
		x.el("UserId", u.UserID)
		x.el("Arn", u.ARN)
		x.time("CreateDate", u.CreateDate)
		if u.PasswordLastUsed != nil {
			x.time("PasswordLastUsed", *u.PasswordLastUsed)
		}
	})
	x.truncated(marker)
	return x, nil
}

func iamListAccessKeys(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	start, end, marker, perr := c.page(len(u.AccessKeys), "MaxItems", "Marker")
	if perr != nil {
		return nil, perr
	}
	ks := u.AccessKeys[start:end]
	x := &xmlBody{}
	x.list("AccessKeyMetadata", len(ks), func(i int) {
		x.el("UserName", u.UserName)
		x.el("AccessKeyId", ks[i].AccessKeyID)
		x.el("Status", ks[i].Status)
		x.time("CreateDate", ks[i].CreateDate)
	})
	x.truncated(marker)
	return x, nil
}

func iamGetAccessKeyLastUsed(c *call) (any, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	id := c.str("AccessKeyId")
	for _, u := range a.Users {
		for _, k := range u.AccessKeys {
			if k.AccessKeyID != id {
				continue
			}
			x := &xmlBody{}
			x.el("UserName", u.UserName)
			x.open("AccessKeyLastUsed")
			if k.LastUsed != nil {
				x.time("LastUsedDate", k.LastUsed.Date)
				x.el("ServiceName", k.LastUsed.ServiceName)
				x.el("Region", k.LastUsed.Region)
			} else {
				// A key never used: no date, "N/A" service and region.
				x.el("ServiceName", "N/A")
				x.el("Region", "N/A")
			}
			x.close("AccessKeyLastUsed")
			return x, nil
		}
	}
	return nil, errf(403, "AccessDenied", "User is not authorized to perform iam:GetAccessKeyLastUsed on key %s", id)
}

func iamListMFADevices(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	start, end, marker, perr := c.page(len(u.MFADevices), "MaxItems", "Marker")
	if perr != nil {
		return nil, perr
	}
	ds := u.MFADevices[start:end]
	x := &xmlBody{}
	x.list("MFADevices", len(ds), func(i int) {
		x.el("UserName", u.UserName)
		x.el("SerialNumber", ds[i].SerialNumber)
		x.time("EnableDate", ds[i].EnableDate)
	})
	x.truncated(marker)
	return x, nil
}

// iamListVirtualMFADevices serves the account's virtual MFA devices,
// filtered by AssignmentStatus (Assigned, Unassigned, Any: the default).
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListVirtualMFADevices.html
func iamListVirtualMFADevices(c *call) (any, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	status := c.str("AssignmentStatus")
	switch status {
	case "", "Any", "Assigned", "Unassigned":
	default:
		return nil, errf(400, "ValidationError", "1 validation error detected: Value '%s' at 'assignmentStatus' failed to satisfy constraint: Member must satisfy enum value set: [Unassigned, Any, Assigned]", status)
	}
	var ds []snapshot.VirtualMFADevice
	for _, d := range a.VirtualMFADevices {
		if (status == "Assigned" && d.User == "") || (status == "Unassigned" && d.User != "") {
			continue
		}
		ds = append(ds, d)
	}
	start, end, marker, perr := c.page(len(ds), "MaxItems", "Marker")
	if perr != nil {
		return nil, perr
	}
	ds = ds[start:end]
	x := &xmlBody{}
	x.list("VirtualMFADevices", len(ds), func(i int) {
		x.el("SerialNumber", ds[i].SerialNumber)
		if u := ds[i].User; u != "" {
			x.open("User")
			x.el("Arn", u)
			name := u[strings.LastIndex(u, "/")+1:]
			if strings.HasSuffix(u, ":root") {
				name = "<root_account>"
			}
			x.el("UserName", name)
			x.el("UserId", a.AccountID)
			x.el("Path", "/")
			x.time("CreateDate", ds[i].EnableDate)
			x.close("User")
			x.time("EnableDate", ds[i].EnableDate)
		}
	})
	x.truncated(marker)
	return x, nil
}

// iamListServerCertificates serves the account's server certificates.
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListServerCertificates.html
func iamListServerCertificates(c *call) (any, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	cs := a.ServerCertificates
	start, end, marker, perr := c.page(len(cs), "MaxItems", "Marker")
	if perr != nil {
		return nil, perr
	}
	cs = cs[start:end]
	x := &xmlBody{}
	x.list("ServerCertificateMetadataList", len(cs), func(i int) {
		path := cs[i].Path
		if path == "" {
			path = "/"
		}
		x.el("Path", path)
		x.el("ServerCertificateName", cs[i].Name)
		x.el("ServerCertificateId", cs[i].ID)
		x.el("Arn", cs[i].ARN)
		x.time("UploadDate", cs[i].UploadDate)
		x.time("Expiration", cs[i].Expiration)
	})
	x.truncated(marker)
	return x, nil
}

func iamGetLoginProfile(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	if u.LoginProfile == nil {
		return nil, errf(404, "NoSuchEntity", "Login Profile for User %s cannot be found.", u.UserName)
	}
	x := &xmlBody{}
	x.open("LoginProfile")
	x.el("UserName", u.UserName)
	x.time("CreateDate", u.LoginProfile.CreateDate)
	x.bool("PasswordResetRequired", u.LoginProfile.PasswordResetRequired)
	x.close("LoginProfile")
	return x, nil
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GenerateCredentialReport.html
func iamGenerateCredentialReport(c *call) (any, *Error) {
	if _, err := c.account(); err != nil {
		return nil, err
	}
	st := c.acct
	x := &xmlBody{}
	switch {
	case st.reportGenerated:
		x.el("State", "COMPLETE")
	case st.reportPolls < c.s.faults.reportStarted:
		if st.reportPolls == 0 {
			x.el("State", "STARTED")
			x.el("Description", "No report exists. Starting a new report generation task")
		} else {
			x.el("State", "INPROGRESS")
		}
		st.reportPolls++
	default:
		st.reportGenerated = true
		x.el("State", "COMPLETE")
	}
	return x, nil
}

func iamGetCredentialReport(c *call) (any, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	if !c.acct.reportGenerated {
		if c.acct.reportPolls > 0 {
			return nil, errf(404, "ReportInProgress", "Report generation is in progress.")
		}
		return nil, errf(410, "ReportNotPresent", "Credential report not present. Call GenerateCredentialReport.")
	}
	data := c.s.scenario.CredentialReportCSV[a.AccountID]
	if data == nil {
		data = CredentialReportCSV(a)
	}
	x := &xmlBody{}
	x.el("Content", base64.StdEncoding.EncodeToString(data))
	x.el("ReportFormat", "text/csv")
	gen := a.CollectedAt
	if a.CredentialReport != nil && !a.CredentialReport.GeneratedTime.IsZero() {
		gen = a.CredentialReport.GeneratedTime
	}
	if gen.IsZero() {
		gen = time.Now().UTC()
	}
	x.time("GeneratedTime", gen)
	return x, nil
}

// CredentialReportCSV renders the credential report AWS would produce for
// the account's users (a root row first). Columns:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
//
// An account that carries its own report (a scenario made from a snapshot or
// the demo) gets exactly that report back.
func CredentialReportCSV(a *snapshot.Account) []byte {
	var buf bytes.Buffer
	if a.CredentialReport != nil {
		if err := credreport.Encode(&buf, a.CredentialReport); err == nil {
			return buf.Bytes()
		}
		buf.Reset()
	}
	w := csv.NewWriter(&buf)
	w.Write([]string{"user", "arn", "user_creation_time", "password_enabled", "password_last_used",
		"password_last_changed", "password_next_rotation", "mfa_active",
		"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
		"access_key_1_last_used_region", "access_key_1_last_used_service",
		"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
		"access_key_2_last_used_region", "access_key_2_last_used_service",
		"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated"})
	ts := func(t time.Time) string {
		if t.IsZero() {
			return "N/A"
		}
		return t.UTC().Format("2006-01-02T15:04:05+00:00")
	}
	created := a.CollectedAt.AddDate(-3, 0, 0)
	w.Write([]string{"<root_account>", fmt.Sprintf("arn:aws:iam::%s:root", a.AccountID), ts(created),
		"not_supported", "N/A", "not_supported", "not_supported", "true",
		"false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "N/A", "N/A", "N/A",
		"false", "N/A", "false", "N/A"})
	for _, u := range a.Users {
		row := []string{u.UserName, u.ARN, ts(u.CreateDate)}
		if u.LoginProfile != nil {
			last := "no_information"
			if u.PasswordLastUsed != nil {
				last = ts(*u.PasswordLastUsed)
			}
			row = append(row, "true", last, ts(u.LoginProfile.CreateDate), "N/A")
		} else {
			row = append(row, "false", "N/A", "N/A", "N/A")
		}
		row = append(row, fmt.Sprint(len(u.MFADevices) > 0))
		keys := append([]snapshot.AccessKey(nil), u.AccessKeys...)
		sort.SliceStable(keys, func(i, j int) bool { return keys[i].CreateDate.Before(keys[j].CreateDate) })
		for slot := 0; slot < 2; slot++ {
			if slot >= len(keys) {
				row = append(row, "false", "N/A", "N/A", "N/A", "N/A")
				continue
			}
			k := keys[slot]
			if k.LastUsed != nil {
				row = append(row, fmt.Sprint(k.Active()), ts(k.CreateDate), ts(k.LastUsed.Date), k.LastUsed.Region, k.LastUsed.ServiceName)
			} else {
				row = append(row, fmt.Sprint(k.Active()), ts(k.CreateDate), "N/A", "N/A", "N/A")
			}
		}
		row = append(row, "false", "N/A", "false", "N/A")
		w.Write(row)
	}
	w.Flush()
	return buf.Bytes()
}

func iamGetAccountPasswordPolicy(c *call) (any, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	p := a.PasswordPolicy
	if p == nil {
		return nil, errf(404, "NoSuchEntity", "The Password Policy with domain name %s cannot be found.", a.AccountID)
	}
	x := &xmlBody{}
	x.open("PasswordPolicy")
	x.int("MinimumPasswordLength", int64(p.MinimumPasswordLength))
	x.bool("RequireSymbols", p.RequireSymbols)
	x.bool("RequireNumbers", p.RequireNumbers)
	x.bool("RequireUppercaseCharacters", p.RequireUppercaseCharacters)
	x.bool("RequireLowercaseCharacters", p.RequireLowercaseCharacters)
	x.bool("AllowUsersToChangePassword", p.AllowUsersToChangePassword)
	x.bool("ExpirePasswords", p.ExpirePasswords)
	if p.MaxPasswordAge > 0 {
		x.int("MaxPasswordAge", int64(p.MaxPasswordAge))
	}
	if p.PasswordReusePrevention > 0 {
		x.int("PasswordReusePrevention", int64(p.PasswordReusePrevention))
	}
	x.bool("HardExpiry", p.HardExpiry)
	x.close("PasswordPolicy")
	return x, nil
}

func iamGetAccountSummary(c *call) (any, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	m := map[string]int32{}
	for k, v := range a.Summary {
		m[k] = v
	}
	if len(m) == 0 {
		m["Users"] = int32(len(a.Users))
		m["Groups"] = int32(len(a.Groups))
		m["Roles"] = int32(len(a.Roles))
		m["UsersQuota"] = 5000
		m["GroupsPerUserQuota"] = 10
		m["AccountMFAEnabled"] = 1
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	x := &xmlBody{}
	x.open("SummaryMap")
	for _, k := range keys {
		x.open("entry")
		x.el("key", k)
		x.int("value", int64(m[k]))
		x.close("entry")
	}
	x.close("SummaryMap")
	return x, nil
}

func iamListAccountAliases(c *call) (any, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	x := &xmlBody{}
	n := 0
	if a.Alias != "" {
		n = 1
	}
	x.list("AccountAliases", n, func(int) { x.b.WriteString(escape(a.Alias)) })
	x.truncated("")
	return x, nil
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GenerateServiceLastAccessedDetails.html
func iamGenerateServiceLastAccessedDetails(c *call) (any, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	arn := c.str("Arn")
	if principalAccess(a, arn) == nil && !principalExists(a, arn) {
		return nil, errf(404, "NoSuchEntity", "The entity %s cannot be found.", arn)
	}
	c.s.jobSeq++
	id := fmt.Sprintf("fake-job-%06d", c.s.jobSeq)
	c.acct.jobs[id] = &aaJob{arn: arn, actions: c.str("Granularity") == "ACTION_LEVEL",
		created: time.Now().UTC(), pollsLeft: c.s.faults.aaInProgress}
	x := &xmlBody{}
	x.el("JobId", id)
	return x, nil
}

func principalExists(a *snapshot.Account, arn string) bool {
	for _, u := range a.Users {
		if u.ARN == arn {
			return true
		}
	}
	for _, r := range a.Roles {
		if r.ARN == arn {
			return true
		}
	}
	return false
}

func principalAccess(a *snapshot.Account, arn string) []snapshot.ServiceAccess {
	for _, u := range a.Users {
		if u.ARN == arn {
			return u.AccessAdvisor
		}
	}
	for _, r := range a.Roles {
		if r.ARN == arn {
			return r.AccessAdvisor
		}
	}
	return nil
}

func iamGetServiceLastAccessedDetails(c *call) (any, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	job := c.acct.jobs[c.str("JobId")]
	if job == nil {
		return nil, errf(404, "NoSuchEntity", "Job %s cannot be found.", c.str("JobId"))
	}
	x := &xmlBody{}
	x.el("JobType", map[bool]string{true: "ACTION_LEVEL", false: "SERVICE_LEVEL"}[job.actions])
	x.time("JobCreationDate", job.created)
	if job.pollsLeft > 0 {
		job.pollsLeft--
		x.el("JobStatus", "IN_PROGRESS")
		x.list("ServicesLastAccessed", 0, nil)
		return x, nil
	}
	x.el("JobStatus", "COMPLETED")
	x.time("JobCompletionDate", job.created)
	svcs := principalAccess(a, job.arn)
	start, end, marker, perr := c.page(len(svcs), "MaxItems", "Marker")
	if perr != nil {
		return nil, perr
	}
	pg := svcs[start:end]
	x.list("ServicesLastAccessed", len(pg), func(i int) {
		s := pg[i]
		x.el("ServiceName", s.ServiceName)
		x.el("ServiceNamespace", s.ServiceNamespace)
		n := int64(0)
		if s.LastAuthenticated != nil {
			x.time("LastAuthenticated", *s.LastAuthenticated)
			x.opt("LastAuthenticatedEntity", s.LastEntity)
			x.opt("LastAuthenticatedRegion", s.LastRegion)
			n = 1
		}
		x.int("TotalAuthenticatedEntities", n)
		if job.actions && len(s.Actions) > 0 {
			x.list("TrackedActionsLastAccessed", len(s.Actions), func(j int) {
				ac := s.Actions[j]
				x.el("ActionName", ac.ActionName)
				if ac.LastAccessed != nil {
					x.time("LastAccessedTime", *ac.LastAccessed)
					x.opt("LastAccessedEntity", ac.LastEntity)
					x.opt("LastAccessedRegion", ac.LastRegion)
				}
			})
		}
	})
	x.truncated(marker)
	return x, nil
}
