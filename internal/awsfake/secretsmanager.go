package awsfake

import (
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// AWS Secrets Manager over JSON 1.1 (X-Amz-Target secretsmanager.Op): the
// secret list and resource policies — never secret values.
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_Operations.html
func init() {
	jsonTargets["secretsmanager"] = "secretsmanager"
	resourceOps["secretsmanager"] = map[string]func(*call) (any, *Error){
		"ListSecrets":       secretsList,
		"GetResourcePolicy": secretsGetResourcePolicy,
	}
}

// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html
func secretsList(c *call) (any, *Error) {
	ss := c.items(snapshot.ResourceSecret, true)
	start, end, out, err := c.pageJSON(len(ss))
	if err != nil {
		return nil, err
	}
	list := []map[string]any{}
	for _, s := range ss[start:end] {
		list = append(list, map[string]any{"ARN": s.ARN, "Name": s.Name})
	}
	out["SecretList"] = list
	return out, nil
}

// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetResourcePolicy.html
func secretsGetResourcePolicy(c *call) (any, *Error) {
	s := c.item(snapshot.ResourceSecret, true, c.str("SecretId"))
	if s == nil {
		return nil, errf(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	}
	out := map[string]any{"ARN": s.ARN, "Name": s.Name}
	if p := policyText(s); p != "" {
		out["ResourcePolicy"] = p
	}
	return out, nil
}
