package awsfake

import (
	"fmt"
	"slices"
	"time"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// IAM group operations used by `seiri groups plan --apply` (the membership
// and user-policy operations are in iam_users.go). Like the other write
// operations they change the seeded snapshot structures under s.mu (dispatch
// holds it).
func init() {
	for name, h := range map[string]func(*call) (any, *Error){
		"GetGroup":                  iamGetGroup,
		"CreateGroup":               iamCreateGroup,
		"ListAttachedGroupPolicies": iamListAttachedGroupPolicies,
		"AttachGroupPolicy":         iamAttachGroupPolicy,
	} {
		iamOps[name] = h
	}
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
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	g, err := c.group(c.str("GroupName"))
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
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	if g, _ := c.group(name); g != nil {
		return nil, errf(409, "EntityAlreadyExists", "Group with name %s already exists.", name)
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
	g, err := c.group(c.str("GroupName"))
	if err != nil {
		return nil, err
	}
	x := &xmlBody{}
	x.list("AttachedPolicies", len(g.AttachedPolicies), func(i int) {
		x.el("PolicyName", g.AttachedPolicies[i].PolicyName)
		x.el("PolicyArn", g.AttachedPolicies[i].PolicyARN)
	})
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
	g, err := c.group(c.str("GroupName"))
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
