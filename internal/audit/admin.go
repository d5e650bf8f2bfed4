package audit

import (
	"encoding/json"
	"strings"
	"sync"

	"github.com/seiri-dev/seiri/internal/policy"
)

// Policy is one policy document that applies to a principal, with where it
// came from (for evidence).
type Policy struct {
	Name     string          // policy name, e.g. AdministratorAccess
	ARN      string          // managed policy ARN; "" for inline policies
	Source   string          // "attached", "inline", "via group admins", ...
	Document json.RawMessage // decoded policy JSON; nil when not collected
}

// AdminFunc decides whether identity policies (capped by an optional
// permissions boundary) grant administrator-level access, and names the
// policy that does.
type AdminFunc func(policies []Policy, boundary *Policy) (admin bool, because string)

// administratorAccessSuffix ends the ARN of AWS's managed policy granting
// everything, in every partition
// (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html).
const administratorAccessSuffix = ":iam::aws:policy/AdministratorAccess"

const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// Administrator-level access is judged by the shared policy engine with
// probe requests on Resource "*" and an empty request context (so a
// conditional grant does not count): a principal is administrator-level when
// it may do all of broadProbes (everything, in practice), or all of
// escalationProbes (it can grant itself everything: iam:* and the like).
var (
	broadProbes = []string{
		"iam:CreateUser", "iam:AttachRolePolicy", "ec2:RunInstances", "s3:DeleteBucket",
		"kms:ScheduleKeyDeletion", "cloudtrail:StopLogging", "organizations:LeaveOrganization",
		"lambda:CreateFunction", "dynamodb:DeleteTable", "rds:DeleteDBInstance",
	}
	// The classic IAM privilege escalations: attach or write a policy on
	// oneself, or publish a new default version of one's own managed policy.
	escalationProbes = []string{
		"iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:CreatePolicyVersion",
		"iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:PassRole",
	}
)

// EngineAdmin returns the AdminFunc backed by the policy engine. Parsed
// documents are cached by content, so a policy shared by many principals is
// compiled once.
func EngineAdmin() AdminFunc {
	var mu sync.Mutex
	cache := map[string]*policy.Policy{}
	compile := func(p Policy, t policy.Type) *policy.Policy {
		doc := p.Document
		if len(doc) == 0 {
			if !strings.HasSuffix(p.ARN, administratorAccessSuffix) {
				return nil // an AWS managed policy the snapshot lacks: unknown, grants nothing here
			}
			doc = json.RawMessage(allowAll)
		}
		key := t.String() + "\x00" + string(doc)
		mu.Lock()
		defer mu.Unlock()
		if c, ok := cache[key]; ok {
			return c
		}
		c, err := policy.Parse(doc, t)
		if err != nil {
			c = nil // an invalid policy grants nothing
		}
		cache[key] = c
		return c
	}
	return func(policies []Policy, boundary *Policy) (bool, string) {
		var set policy.Policies
		var origin []Policy
		for _, p := range policies {
			if c := compile(p, policy.TypeIdentity); c != nil {
				set.Identity = append(set.Identity, c)
				origin = append(origin, p)
			}
		}
		if len(set.Identity) == 0 {
			return false, ""
		}
		if boundary != nil {
			b := compile(*boundary, policy.TypeBoundary)
			if b == nil {
				// A boundary seiri cannot read caps to nothing it can see.
				return false, ""
			}
			set.Boundary = b
		}
		allowed := func(actions []string) (bool, int) {
			first := -1
			for _, a := range actions {
				req := policy.Request{Principal: "arn:aws:iam::000000000000:user/seiri-probe", Action: a, Resource: "*"}
				res := policy.Evaluate(&req, &set, &policy.Options{})
				if res.Decision != policy.AllowDecision {
					return false, -1
				}
				if first < 0 && res.Source == policy.SourceIdentity {
					first = res.PolicyIndex
				}
			}
			return true, first
		}
		ok, idx := allowed(broadProbes)
		if !ok {
			ok, idx = allowed(escalationProbes)
		}
		if !ok {
			return false, ""
		}
		if idx >= 0 && idx < len(origin) {
			return true, describe(origin[idx])
		}
		return true, "the principal's policies together"
	}
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
