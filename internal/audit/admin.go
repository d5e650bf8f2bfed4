package audit

import (
	"encoding/json"
	"strings"
)

// Policy is one policy document that applies to a principal, with where it
// came from (for evidence).
type Policy struct {
	Name     string          // policy name, e.g. AdministratorAccess
	ARN      string          // managed policy ARN; "" for inline policies
	Source   string          // "attached", "inline", "via group admins", ...
	Document json.RawMessage // decoded policy JSON; nil when not collected
}

// AdminFunc decides whether policies grant administrator-level access and
// names the policy that does. It is a seam: the lead can swap in the shared
// policy engine (Options.IsAdmin) without touching the rules.
type AdminFunc func(policies []Policy) (admin bool, because string)

// administratorAccessSuffix ends the ARN of AWS's managed policy granting
// everything, in every partition
// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html).
const administratorAccessSuffix = ":iam::aws:policy/AdministratorAccess"

// IsAdmin is the built-in AdminFunc. It is deliberately narrow (no general
// wildcard matching, which belongs to the policy engine): a policy is
// administrator-level when it is AWS's AdministratorAccess, or has an Allow
// statement without conditions whose Action is "*", "*:*" or "iam:*" (which
// lets a principal grant itself everything) on Resource "*".
func IsAdmin(policies []Policy) (bool, string) {
	for _, p := range policies {
		if strings.HasSuffix(p.ARN, administratorAccessSuffix) || docIsAdmin(p.Document) {
			return true, describe(p)
		}
	}
	return false, ""
}

func describe(p Policy) string {
	id := p.Name
	if p.ARN != "" {
		id = p.ARN
	}
	if p.Source == "" {
		return id
	}
	return id + " (" + p.Source + ")"
}

type statement struct {
	Effect    string          `json:"Effect"`
	Action    json.RawMessage `json:"Action"`
	Resource  json.RawMessage `json:"Resource"`
	Condition json.RawMessage `json:"Condition"`
}

// docIsAdmin reads a policy document; an unreadable one grants nothing here.
func docIsAdmin(doc json.RawMessage) bool {
	if len(doc) == 0 {
		return false
	}
	var d struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if json.Unmarshal(doc, &d) != nil {
		return false
	}
	var stmts []statement
	if json.Unmarshal(d.Statement, &stmts) != nil {
		var one statement
		if json.Unmarshal(d.Statement, &one) != nil {
			return false
		}
		stmts = []statement{one}
	}
	for _, s := range stmts {
		if s.Effect != "Allow" || hasCondition(s.Condition) {
			continue
		}
		if anyOf(s.Resource, "*") && anyOf(s.Action, "*", "*:*", "iam:*") {
			return true
		}
	}
	return false
}

func hasCondition(c json.RawMessage) bool {
	s := strings.TrimSpace(string(c))
	return s != "" && s != "null" && s != "{}"
}

// anyOf reports whether a string-or-list JSON value contains one of want.
// IAM action names are case-insensitive.
func anyOf(v json.RawMessage, want ...string) bool {
	var list []string
	if json.Unmarshal(v, &list) != nil {
		var one string
		if json.Unmarshal(v, &one) != nil {
			return false
		}
		list = []string{one}
	}
	for _, s := range list {
		for _, w := range want {
			if strings.EqualFold(strings.TrimSpace(s), w) {
				return true
			}
		}
	}
	return false
}
