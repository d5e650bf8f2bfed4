package awsfake

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// IAM user lifecycle operations (quarantine, delete, recreate). The snapshot
// model has no signing certificates, SSH keys or service-specific
// credentials, so their List operations answer empty lists.
func init() {
	for name, h := range map[string]func(*call) (any, *Error){
		"GetUser":                        iamGetUser,
		"CreateUser":                     iamCreateUser,
		"DeleteUser":                     iamDeleteUser,
		"GetPolicy":                      iamGetPolicy,
		"CreatePolicy":                   iamCreatePolicy,
		"AttachUserPolicy":               iamAttachUserPolicy,
		"DetachUserPolicy":               iamDetachUserPolicy,
		"ListAttachedUserPolicies":       iamListAttachedUserPolicies,
		"ListUserPolicies":               iamListUserPolicies,
		"GetUserPolicy":                  iamGetUserPolicy,
		"PutUserPolicy":                  iamPutUserPolicy,
		"DeleteUserPolicy":               iamDeleteUserPolicy,
		"ListGroupsForUser":              iamListGroupsForUser,
		"AddUserToGroup":                 iamAddUserToGroup,
		"RemoveUserFromGroup":            iamRemoveUserFromGroup,
		"DeleteLoginProfile":             iamDeleteLoginProfile,
		"DeactivateMFADevice":            iamDeactivateMFADevice,
		"PutUserPermissionsBoundary":     iamPutUserPermissionsBoundary,
		"DeleteUserPermissionsBoundary":  iamDeleteUserPermissionsBoundary,
		"ListSigningCertificates":        emptyList("Certificates"),
		"ListSSHPublicKeys":              emptyList("SSHPublicKeys"),
		"ListServiceSpecificCredentials": emptyList("ServiceSpecificCredentials"),
	} {
		iamOps[name] = h
	}
}

func emptyList(name string) func(*call) (any, *Error) {
	return func(c *call) (any, *Error) {
		if _, err := c.user(c.str("UserName")); err != nil {
			return nil, err
		}
		x := &xmlBody{}
		x.list(name, 0, nil)
		x.truncated("")
		return x, nil
	}
}

func writeUser(x *xmlBody, u *snapshot.User) {
	x.open("User")
	x.el("Path", u.Path)
	x.el("UserName", u.UserName)
	x.el("UserId", u.UserID)
	x.el("Arn", u.ARN)
	x.time("CreateDate", u.CreateDate)
	if u.PasswordLastUsed != nil {
		x.time("PasswordLastUsed", *u.PasswordLastUsed)
	}
	writeBoundary(x, u.PermissionsBoundary)
	writeTags(x, u.Tags)
	x.close("User")
}

func iamGetUser(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	x := &xmlBody{}
	writeUser(x, u)
	return x, nil
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html
func iamCreateUser(c *call) (any, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	name := c.str("UserName")
	if name == "" || len(name) > 64 {
		return nil, errf(400, "ValidationError", "invalid UserName %q", name)
	}
	for _, u := range a.Users {
		if strings.EqualFold(u.UserName, name) {
			return nil, errf(409, "EntityAlreadyExists", "User with name %s already exists.", name)
		}
	}
	path := c.str("Path")
	if path == "" {
		path = "/"
	}
	c.s.nextKey++
	u := snapshot.User{UserName: name, Path: path, UserID: fmt.Sprintf("AIDAFAKENEW%09d", c.s.nextKey),
		ARN:        fmt.Sprintf("arn:aws:iam::%s:user%s%s", a.AccountID, path, name),
		CreateDate: time.Now().UTC().Truncate(time.Second), PermissionsBoundary: c.str("PermissionsBoundary")}
	for i := 1; ; i++ {
		k, ok := c.form[fmt.Sprintf("Tags.member.%d.Key", i)]
		if !ok {
			break
		}
		if u.Tags == nil {
			u.Tags = map[string]string{}
		}
		u.Tags[k[0]] = c.form.Get(fmt.Sprintf("Tags.member.%d.Value", i))
	}
	a.Users = append(a.Users, u)
	x := &xmlBody{}
	writeUser(x, &a.Users[len(a.Users)-1])
	return x, nil
}

// DeleteUser refuses a user that still has what IAM requires to be removed
// first (IAM API reference, DeleteUser: password, access keys, signing
// certificates, SSH keys, service-specific credentials, MFA devices, inline
// and attached policies, group memberships).
func iamDeleteUser(c *call) (any, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	var left []string
	if u.LoginProfile != nil {
		left = append(left, "login profile")
	}
	if len(u.AccessKeys) > 0 {
		left = append(left, "access keys")
	}
	if len(u.MFADevices) > 0 {
		left = append(left, "MFA devices")
	}
	if len(u.Groups) > 0 {
		left = append(left, "groups")
	}
	if len(u.AttachedPolicies) > 0 {
		left = append(left, "attached policies")
	}
	if len(u.InlinePolicies) > 0 {
		left = append(left, "inline policies")
	}
	if len(left) > 0 {
		return nil, errf(409, "DeleteConflict", "Cannot delete entity, must remove %s first.", strings.Join(left, ", "))
	}
	for i := range a.Users {
		if a.Users[i].UserName == u.UserName {
			a.Users = append(a.Users[:i], a.Users[i+1:]...)
			break
		}
	}
	return &xmlBody{}, nil
}

func (c *call) iamPolicy(arn string) (*snapshot.ManagedPolicy, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	for i := range a.Policies {
		if a.Policies[i].ARN == arn {
			return &a.Policies[i], nil
		}
	}
	return nil, errf(404, "NoSuchEntity", "Policy %s does not exist or is not attachable.", arn)
}

func writePolicy(x *xmlBody, p *snapshot.ManagedPolicy) {
	x.open("Policy")
	x.el("PolicyName", p.PolicyName)
	x.el("PolicyId", p.PolicyID)
	x.el("Arn", p.ARN)
	x.el("Path", p.Path)
	x.el("DefaultVersionId", p.DefaultVersionID)
	x.int("AttachmentCount", int64(p.AttachmentCount))
	x.bool("IsAttachable", p.IsAttachable)
	x.time("CreateDate", p.CreateDate)
	x.time("UpdateDate", p.UpdateDate)
	x.close("Policy")
}

func iamGetPolicy(c *call) (any, *Error) {
	p, err := c.iamPolicy(c.str("PolicyArn"))
	if err != nil {
		return nil, err
	}
	x := &xmlBody{}
	writePolicy(x, p)
	return x, nil
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html
func iamCreatePolicy(c *call) (any, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	path := c.str("Path")
	if path == "" {
		path = "/"
	}
	name := c.str("PolicyName")
	arn := fmt.Sprintf("arn:aws:iam::%s:policy%s%s", a.AccountID, path, name)
	if _, err := c.iamPolicy(arn); err == nil {
		return nil, errf(409, "EntityAlreadyExists", "A policy called %s already exists. Duplicate names are not allowed.", name)
	}
	doc := c.str("PolicyDocument")
	if !json.Valid([]byte(doc)) {
		return nil, errf(400, "MalformedPolicyDocument", "Syntax errors in policy.")
	}
	now := time.Now().UTC().Truncate(time.Second)
	c.s.nextKey++
	a.Policies = append(a.Policies, snapshot.ManagedPolicy{ARN: arn, PolicyName: name, Path: path, DefaultVersionID: "v1",
		PolicyID: fmt.Sprintf("ANPAFAKENEW%09d", c.s.nextKey), IsAttachable: true, CreateDate: now, UpdateDate: now, Document: json.RawMessage(doc)})
	x := &xmlBody{}
	writePolicy(x, &a.Policies[len(a.Policies)-1])
	return x, nil
}

func iamAttachUserPolicy(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	arn := c.str("PolicyArn")
	p, perr := c.iamPolicy(arn)
	if perr != nil && !isAWSManaged(arn) {
		return nil, perr
	}
	for _, ap := range u.AttachedPolicies {
		if ap.PolicyARN == arn {
			return &xmlBody{}, nil
		}
	}
	name := arn[strings.LastIndexByte(arn, '/')+1:]
	if p != nil {
		p.AttachmentCount++
	}
	u.AttachedPolicies = append(u.AttachedPolicies, snapshot.AttachedPolicy{PolicyName: name, PolicyARN: arn})
	return &xmlBody{}, nil
}

func isAWSManaged(arn string) bool { return strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") }

func iamDetachUserPolicy(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	arn := c.str("PolicyArn")
	i := slices.IndexFunc(u.AttachedPolicies, func(ap snapshot.AttachedPolicy) bool { return ap.PolicyARN == arn })
	if i < 0 {
		return nil, errf(404, "NoSuchEntity", "Policy %s was not found.", arn)
	}
	u.AttachedPolicies = slices.Delete(u.AttachedPolicies, i, i+1)
	if p, err := c.iamPolicy(arn); err == nil && p.AttachmentCount > 0 {
		p.AttachmentCount--
	}
	return &xmlBody{}, nil
}

func iamListAttachedUserPolicies(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	start, end, marker, perr := c.page(len(u.AttachedPolicies), "MaxItems", "Marker")
	if perr != nil {
		return nil, perr
	}
	ps := u.AttachedPolicies[start:end]
	x := &xmlBody{}
	x.list("AttachedPolicies", len(ps), func(i int) {
		x.el("PolicyName", ps[i].PolicyName)
		x.el("PolicyArn", ps[i].PolicyARN)
	})
	x.truncated(marker)
	return x, nil
}

func iamListUserPolicies(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	start, end, marker, perr := c.page(len(u.InlinePolicies), "MaxItems", "Marker")
	if perr != nil {
		return nil, perr
	}
	ps := u.InlinePolicies[start:end]
	x := &xmlBody{}
	x.list("PolicyNames", len(ps), func(i int) { x.b.WriteString(escape(ps[i].PolicyName)) })
	x.truncated(marker)
	return x, nil
}

func iamGetUserPolicy(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	name := c.str("PolicyName")
	for _, p := range u.InlinePolicies {
		if p.PolicyName == name {
			x := &xmlBody{}
			x.el("UserName", u.UserName)
			x.el("PolicyName", p.PolicyName)
			x.el("PolicyDocument", policyEncode(p.Document))
			return x, nil
		}
	}
	return nil, errf(404, "NoSuchEntity", "The user policy with name %s cannot be found.", name)
}

func iamPutUserPolicy(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	doc := c.str("PolicyDocument")
	if !json.Valid([]byte(doc)) {
		return nil, errf(400, "MalformedPolicyDocument", "Syntax errors in policy.")
	}
	name := c.str("PolicyName")
	for i := range u.InlinePolicies {
		if u.InlinePolicies[i].PolicyName == name {
			u.InlinePolicies[i].Document = json.RawMessage(doc)
			return &xmlBody{}, nil
		}
	}
	u.InlinePolicies = append(u.InlinePolicies, snapshot.InlinePolicy{PolicyName: name, Document: json.RawMessage(doc)})
	return &xmlBody{}, nil
}

func iamDeleteUserPolicy(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	name := c.str("PolicyName")
	i := slices.IndexFunc(u.InlinePolicies, func(p snapshot.InlinePolicy) bool { return p.PolicyName == name })
	if i < 0 {
		return nil, errf(404, "NoSuchEntity", "The user policy with name %s cannot be found.", name)
	}
	u.InlinePolicies = slices.Delete(u.InlinePolicies, i, i+1)
	return &xmlBody{}, nil
}

func (c *call) group(name string) (*snapshot.Group, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	for i := range a.Groups {
		if a.Groups[i].GroupName == name {
			return &a.Groups[i], nil
		}
	}
	return nil, errf(404, "NoSuchEntity", "The group with name %s cannot be found.", name)
}

func iamListGroupsForUser(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	start, end, marker, perr := c.page(len(u.Groups), "MaxItems", "Marker")
	if perr != nil {
		return nil, perr
	}
	gs := u.Groups[start:end]
	x := &xmlBody{}
	x.list("Groups", len(gs), func(i int) {
		g, _ := c.group(gs[i])
		if g == nil {
			g = &snapshot.Group{GroupName: gs[i], Path: "/"}
		}
		x.el("Path", g.Path)
		x.el("GroupName", g.GroupName)
		x.el("GroupId", g.GroupID)
		x.el("Arn", g.ARN)
		x.time("CreateDate", g.CreateDate)
	})
	x.truncated(marker)
	return x, nil
}

func iamAddUserToGroup(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	g, err := c.group(c.str("GroupName"))
	if err != nil {
		return nil, err
	}
	if !slices.Contains(u.Groups, g.GroupName) {
		u.Groups = append(u.Groups, g.GroupName)
	}
	return &xmlBody{}, nil
}

func iamRemoveUserFromGroup(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	name := c.str("GroupName")
	i := slices.Index(u.Groups, name)
	if i < 0 {
		return nil, errf(404, "NoSuchEntity", "User %s is not in group %s.", u.UserName, name)
	}
	u.Groups = slices.Delete(u.Groups, i, i+1)
	return &xmlBody{}, nil
}

func iamDeleteLoginProfile(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	if u.LoginProfile == nil {
		return nil, errf(404, "NoSuchEntity", "Login Profile for User %s cannot be found.", u.UserName)
	}
	u.LoginProfile = nil
	return &xmlBody{}, nil
}

func iamDeactivateMFADevice(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	sn := c.str("SerialNumber")
	i := slices.IndexFunc(u.MFADevices, func(d snapshot.MFADevice) bool { return d.SerialNumber == sn })
	if i < 0 {
		return nil, errf(404, "NoSuchEntity", "MFA device %s is not associated with user %s.", sn, u.UserName)
	}
	u.MFADevices = slices.Delete(u.MFADevices, i, i+1)
	return &xmlBody{}, nil
}

func iamPutUserPermissionsBoundary(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	u.PermissionsBoundary = c.str("PermissionsBoundary")
	return &xmlBody{}, nil
}

func iamDeleteUserPermissionsBoundary(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	u.PermissionsBoundary = ""
	return &xmlBody{}, nil
}
