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

// PolicyJSON is the identity policy the keys commands need.
func PolicyJSON() []byte {
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Sid": "SeiriKeys", "Effect": "Allow", "Action": Actions,
			"Resource": "arn:aws:iam::*:user/*",
		}},
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return append(b, '\n')
}
