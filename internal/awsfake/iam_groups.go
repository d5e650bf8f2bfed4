package awsfake

import (
	"fmt"
	"slices"
	"time"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// IAM group operations used by `seiri groups plan --apply`. Like the other
// write operations they change the seeded snapshot structures under s.mu
// (dispatch holds it).
func init() {
	for name, h := range map[string]func(*call) (any, *Error){
		"GetGroup":                  iamGetGroup,
		"CreateGroup":               iamCreateGroup,
		"ListAttachedGroupPolicies": iamListAttachedGroupPolicies,
		"AttachGroupPolicy":         iamAttachGroupPolicy,
		"ListGroupsForUser":         iamListGroupsForUser,
		"AddUserToGroup":            iamAddUserToGroup,
		"RemoveUserFromGroup":       iamRemoveUserFromGroup,
		"ListAttachedUserPolicies":  iamListAttachedUserPolicies,
		"DetachUserPolicy":          iamDetachUserPolicy,
	} {
		iamOps[name] = h
	}
}

func (c *call) group(name string) (*snapshot.Account, *snapshot.Group, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, nil, err
	}
	for i := range a.Groups {
		if a.Groups[i].GroupName == name {
			return a, &a.Groups[i], nil
		}
	}
	return a, nil, errf(404, "NoSuchEntity", "The group with name %s cannot be found.", name)
}

func writeGroup(x *xmlBody, g *snapshot.Group) {
	x.el("GroupName", g.GroupName)
	x.el("GroupId", g.GroupID)
	x.el("Arn", g.ARN)
	x.el("Path", g.Path)
	x.time("CreateDate", g.CreateDate)
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetGroup.html
func iamGetGroup(c *call) (any, *Error) {
	a, g, err := c.group(c.str("GroupName"))
	if err != nil {
		return nil, err
	}
	var members []*snapshot.User
	for i := range a.Users {
		if slices.Contains(a.Users[i].Groups, g.GroupName) {
			members = append(members, &a.Users[i])
		}
	}
	x := &xmlBody{}
	x.open("Group")
	writeGroup(x, g)
	x.close("Group")
	x.list("Users", len(members), func(i int) {
		x.el("UserName", members[i].UserName)
		x.el("UserId", members[i].UserID)
		x.el("Arn", members[i].ARN)
		x.el("Path", members[i].Path)
		x.time("CreateDate", members[i].CreateDate)
	})
	x.truncated("")
	return x, nil
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateGroup.html
func iamCreateGroup(c *call) (any, *Error) {
	name := c.str("GroupName")
	a, g, err := c.group(name)
	if g != nil {
		return nil, errf(409, "EntityAlreadyExists", "Group with name %s already exists.", name)
	}
	if a == nil {
		return nil, err
	}
	if name == "" || len(name) > 128 {
		return nil, errf(400, "ValidationError", "1 validation error detected: Value at 'groupName' failed to satisfy constraint")
	}
	path := c.str("Path")
	if path == "" {
		path = "/"
	}
	a.Groups = append(a.Groups, snapshot.Group{
		ARN: fmt.Sprintf("arn:aws:iam::%s:group%s%s", a.AccountID, path, name), GroupName: name,
		GroupID: fmt.Sprintf("AGPAFAKE%012d", len(a.Groups)+1), Path: path, CreateDate: time.Now().UTC().Truncate(time.Second),
	})
	x := &xmlBody{}
	x.open("Group")
	writeGroup(x, &a.Groups[len(a.Groups)-1])
	x.close("Group")
	return x, nil
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAttachedGroupPolicies.html
func iamListAttachedGroupPolicies(c *call) (any, *Error) {
	_, g, err := c.group(c.str("GroupName"))
	if err != nil {
		return nil, err
	}
	x := &xmlBody{}
	writeAttachedList(x, g.AttachedPolicies)
	x.truncated("")
	return x, nil
}

func (c *call) policyName(arn string) (string, *Error) {
	a, err := c.account()
	if err != nil {
		return "", err
	}
	for _, p := range a.Policies {
		if p.ARN == arn {
			return p.PolicyName, nil
		}
	}
	return "", errf(404, "NoSuchEntity", "Policy %s does not exist or is not attachable.", arn)
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_AttachGroupPolicy.html
func iamAttachGroupPolicy(c *call) (any, *Error) {
	_, g, err := c.group(c.str("GroupName"))
	if err != nil {
		return nil, err
	}
	arn := c.str("PolicyArn")
	name, err := c.policyName(arn)
	if err != nil {
		return nil, err
	}
	for _, p := range g.AttachedPolicies {
		if p.PolicyARN == arn {
			return &xmlBody{}, nil // attaching twice is not an error in IAM
		}
	}
	// IAM quotas: managed policies per group, 10.
	if len(g.AttachedPolicies) >= 10 {
		return nil, errf(409, "LimitExceeded", "Cannot exceed quota for PoliciesPerGroup: 10")
	}
	g.AttachedPolicies = append(g.AttachedPolicies, snapshot.AttachedPolicy{PolicyName: name, PolicyARN: arn})
	return &xmlBody{}, nil
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListGroupsForUser.html
func iamListGroupsForUser(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	a, _ := c.account()
	var gs []*snapshot.Group
	for _, n := range u.Groups {
		for i := range a.Groups {
			if a.Groups[i].GroupName == n {
				gs = append(gs, &a.Groups[i])
			}
		}
	}
	x := &xmlBody{}
	x.list("Groups", len(gs), func(i int) { writeGroup(x, gs[i]) })
	x.truncated("")
	return x, nil
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_AddUserToGroup.html
func iamAddUserToGroup(c *call) (any, *Error) {
	_, g, err := c.group(c.str("GroupName"))
	if err != nil {
		return nil, err
	}
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	if slices.Contains(u.Groups, g.GroupName) {
		return &xmlBody{}, nil
	}
	// IAM quotas: groups per user, 10.
	if len(u.Groups) >= 10 {
		return nil, errf(409, "LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10")
	}
	u.Groups = append(u.Groups, g.GroupName)
	return &xmlBody{}, nil
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_RemoveUserFromGroup.html
func iamRemoveUserFromGroup(c *call) (any, *Error) {
	_, g, err := c.group(c.str("GroupName"))
	if err != nil {
		return nil, err
	}
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	if !slices.Contains(u.Groups, g.GroupName) {
		return nil, errf(404, "NoSuchEntity", "User %s is not in group %s.", u.UserName, g.GroupName)
	}
	u.Groups = slices.DeleteFunc(u.Groups, func(n string) bool { return n == g.GroupName })
	return &xmlBody{}, nil
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAttachedUserPolicies.html
func iamListAttachedUserPolicies(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	x := &xmlBody{}
	writeAttachedList(x, u.AttachedPolicies)
	x.truncated("")
	return x, nil
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_DetachUserPolicy.html
func iamDetachUserPolicy(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	arn := c.str("PolicyArn")
	n := len(u.AttachedPolicies)
	u.AttachedPolicies = slices.DeleteFunc(u.AttachedPolicies, func(p snapshot.AttachedPolicy) bool { return p.PolicyARN == arn })
	if len(u.AttachedPolicies) == n {
		return nil, errf(404, "NoSuchEntity", "Policy %s was not found.", arn)
	}
	return &xmlBody{}, nil
}

// writeAttachedList is the AttachedPolicies list of ListAttached*Policies
// (GetAccountAuthorizationDetails names it AttachedManagedPolicies).
func writeAttachedList(x *xmlBody, ps []snapshot.AttachedPolicy) {
	x.list("AttachedPolicies", len(ps), func(i int) {
		x.el("PolicyName", ps[i].PolicyName)
		x.el("PolicyArn", ps[i].PolicyARN)
	})
}
