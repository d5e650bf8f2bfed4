package keys

import "encoding/json"

// Actions are the IAM actions the keys commands call (sts:GetCallerIdentity
// needs no permission; assuming roles in member accounts needs
// sts:AssumeRole, see seiri permissions collect).
var Actions = []string{
	"iam:DeleteAccessKey",
	"iam:GetAccessKeyLastUsed",
	"iam:ListAccessKeys",
	"iam:ListUserTags",
	"iam:TagUser",
	"iam:UntagUser",
	"iam:UpdateAccessKey",
}

// UserActions are the further actions of seiri users retire and
// restore-from-backup.
var UserActions = []string{
	"iam:AddUserToGroup",
	"iam:AttachUserPolicy",
	"iam:CreatePolicy",
	"iam:CreateUser",
	"iam:DeactivateMFADevice",
	"iam:DeleteLoginProfile",
	"iam:DeleteSSHPublicKey",
	"iam:DeleteServiceSpecificCredential",
	"iam:DeleteSigningCertificate",
	"iam:DeleteUser",
	"iam:DeleteUserPermissionsBoundary",
	"iam:DeleteUserPolicy",
	"iam:DetachUserPolicy",
	"iam:GetLoginProfile",
	"iam:GetPolicy",
	"iam:GetUser",
	"iam:GetUserPolicy",
	"iam:ListAttachedUserPolicies",
	"iam:ListGroupsForUser",
	"iam:ListMFADevices",
	"iam:ListSSHPublicKeys",
	"iam:ListServiceSpecificCredentials",
	"iam:ListSigningCertificates",
	"iam:ListUserPolicies",
	"iam:PutUserPermissionsBoundary",
	"iam:PutUserPolicy",
}

// PolicyJSON is the identity policy the keys commands need.
func PolicyJSON() []byte {
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Sid": "SeiriKeys", "Effect": "Allow", "Action": Actions,
			"Resource": "arn:aws:iam::*:user/*",
		}, {
			// Group membership names the group, policy actions the policy,
			// MFA devices the mfa resource (Service Authorization Reference, IAM).
			"Sid": "SeiriUsers", "Effect": "Allow", "Action": UserActions,
			"Resource": []string{"arn:aws:iam::*:user/*", "arn:aws:iam::*:group/*", "arn:aws:iam::*:policy/*", "arn:aws:iam::*:mfa/*"},
		}},
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return append(b, '\n')
}
