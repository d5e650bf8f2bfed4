package policy

import "strings"

// AWS-owned entities cannot be changed by any policy of the account: the
// call fails whatever the policies allow. awsOwned reports such a request.
//
//   - AWS managed policies (arn:aws:iam::aws:policy/…): "You cannot change
//     the permissions defined in AWS managed policies" (IAM User Guide,
//     "AWS managed policies").
//   - Roles under /aws-reserved/ are created and owned by IAM Identity
//     Center: "you can't modify or delete" them from IAM (IAM Identity
//     Center User Guide, "IAM roles created by IAM Identity Center").
//   - Service-linked roles (/aws-service-role/): "you can't modify the
//     permissions … or trust policy"; they are deleted only through
//     DeleteServiceLinkedRole, and only their description can be edited
//     (IAM User Guide, "Using service-linked roles").
//   - AWS managed KMS aliases (alias/aws/…): "You cannot create, update or
//     delete an alias that begins with alias/aws/" (AWS KMS Developer Guide,
//     "Managing aliases").
func awsOwned(action, resource string) bool {
	svc, name, ok := strings.Cut(action, ":")
	if !ok {
		return false
	}
	parts, ok := splitARN(resource)
	if !ok {
		return false
	}
	switch {
	case strings.EqualFold(svc, "iam") && parts[2] == "iam":
		res := parts[5]
		switch {
		case parts[4] == "aws" && strings.HasPrefix(res, "policy/"):
			return hasFold(managedPolicyWrites, name)
		case strings.HasPrefix(res, "role/aws-reserved/"):
			return hasFold(reservedRoleWrites, name)
		case strings.HasPrefix(res, "role/aws-service-role/"):
			return hasFold(serviceLinkedRoleWrites, name)
		}
	case strings.EqualFold(svc, "kms") && parts[2] == "kms":
		return strings.HasPrefix(parts[5], "alias/aws/") && hasFold(awsAliasWrites, name)
	}
	return false
}

func hasFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

var managedPolicyWrites = []string{"CreatePolicy", "CreatePolicyVersion", "DeletePolicy", "DeletePolicyVersion", "SetDefaultPolicyVersion", "TagPolicy", "UntagPolicy"}

var reservedRoleWrites = []string{"AttachRolePolicy", "CreateRole", "CreateServiceLinkedRole", "DeleteRole", "DeleteRolePermissionsBoundary", "DeleteRolePolicy", "DeleteServiceLinkedRole", "DetachRolePolicy", "PassRole", "PutRolePermissionsBoundary", "PutRolePolicy", "TagRole", "UntagRole", "UpdateAssumeRolePolicy", "UpdateRole", "UpdateRoleDescription"}

// Service-linked roles: everything that changes the role's policies or
// deletes it outside DeleteServiceLinkedRole. UpdateRoleDescription and
// DeleteServiceLinkedRole work; tagging and PassRole are left to the
// policies.
var serviceLinkedRoleWrites = []string{"AttachRolePolicy", "CreateRole", "DeleteRole", "DeleteRolePermissionsBoundary", "DeleteRolePolicy", "DetachRolePolicy", "PutRolePermissionsBoundary", "PutRolePolicy", "UpdateAssumeRolePolicy"}

var awsAliasWrites = []string{"CreateAlias", "DeleteAlias", "UpdateAlias"}

// AWSOwned reports whether a request changes an AWS-owned entity, which
// fails whatever the policies say (blast-radius views must not count it as
// granted).
func AWSOwned(action, resource string) bool { return awsOwned(action, resource) }
