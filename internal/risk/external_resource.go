package risk

import (
	"fmt"
	"slices"
	"strings"

	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// probeActions are the actions probed per resource type: the reads and
// writes that matter to an outsider, plus every action a statement names
// literally in the same service.
var probeActions = map[string][]string{
	snapshot.ResourceS3Bucket: {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket",
		"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:PutBucketAcl"},
	snapshot.ResourceKMSKey: {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom",
		"kms:CreateGrant", "kms:DescribeKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"},
	snapshot.ResourceSQSQueue: {"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage",
		"sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:PurgeQueue"},
	snapshot.ResourceSNSTopic: {"sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes",
		"sns:SetTopicAttributes", "sns:AddPermission"},
	snapshot.ResourceLambda: {"lambda:InvokeFunction", "lambda:InvokeFunctionUrl", "lambda:GetFunction", "lambda:UpdateFunctionCode",
		"lambda:AddPermission"},
	snapshot.ResourceSecret: {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret",
		"secretsmanager:PutSecretValue", "secretsmanager:PutResourcePolicy", "secretsmanager:DeleteSecret"},
	snapshot.ResourceECRRepo: {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:PutImage",
		"ecr:SetRepositoryPolicy", "ecr:DeleteRepository"},
}

// s3ObjectActions act on objects (arn:aws:s3:::bucket/key), the others on
// the bucket. https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
var s3ObjectActions = map[string]bool{"s3:getobject": true, "s3:putobject": true, "s3:deleteobject": true,
	"s3:getobjectversion": true, "s3:putobjectacl": true, "s3:getobjectacl": true, "s3:deleteobjectversion": true,
	"s3:abortmultipartupload": true, "s3:restoreobject": true, "s3:getobjecttagging": true, "s3:putobjecttagging": true}

func serviceOf(resourceType string) string {
	a := probeActions[resourceType]
	if len(a) == 0 {
		return ""
	}
	svc, _, _ := strings.Cut(a[0], ":")
	return svc
}

// actionsFor returns the probed actions for a resource policy: the
// representative list and the literal actions its statements name.
func actionsFor(resourceType string, pol *policy.Policy) []string {
	acts := append([]string(nil), probeActions[resourceType]...)
	svc := serviceOf(resourceType)
	for _, st := range pol.Statements {
		if st.NotAction {
			continue
		}
		for _, a := range st.Actions {
			s, name, ok := strings.Cut(a, ":")
			if ok && strings.EqualFold(s, svc) && !strings.ContainsAny(name, "*?") {
				acts = append(acts, strings.ToLower(s)+":"+name)
			}
		}
	}
	return uniqSorted(acts)
}

// resourcesFor returns the resource ARNs probed for action a: the resource
// itself, or for S3 object actions object ARNs inside the bucket — one
// arbitrary key and one per Resource pattern of the policy in the bucket.
func resourcesFor(it *snapshot.ResourcePolicy, pol *policy.Policy, a string) []string {
	if it.Type != snapshot.ResourceS3Bucket || !s3ObjectActions[strings.ToLower(a)] {
		return []string{it.ARN}
	}
	out := []string{it.ARN + "/seiri-probe-object"}
	fill := strings.NewReplacer("*", "seiri", "?", "x")
	for _, st := range pol.Statements {
		if st.NotResource {
			continue
		}
		for _, r := range st.Resources {
			if strings.HasPrefix(r, it.ARN+"/") {
				out = append(out, fill.Replace(r))
			}
		}
	}
	slices.Sort(out[1:])
	return slices.Compact(out)
}

// resource analyses one resource policy (and, for S3, the ACL).
func (an *analyzer) resource(a *snapshot.Account, rp *snapshot.ResourcePolicies, it *snapshot.ResourcePolicy) {
	restrict, ignoreACL := bucketBlocks(rp, it)
	if it.Type == snapshot.ResourceS3Bucket {
		an.bucketACL(a, it, ignoreACL)
	}
	if len(it.Policy) == 0 || string(it.Policy) == "null" {
		return
	}
	pol := an.parse(it.Policy, policy.TypeResource, fmt.Sprintf("%s %s", it.Type, it.ARN), a.AccountID, it.ARN)
	if pol == nil {
		return
	}
	base := ExternalFinding{Account: a.AccountID, Region: it.Region, ResourceType: it.Type, Resource: it.ARN}
	actions := actionsFor(it.Type, pol)
	resources := map[string][]string{}
	for _, act := range actions {
		resources[act] = resourcesFor(it, pol, act)
	}
	eval := func(p *probe) verdict {
		return an.checkEach(pol, p, actions, func(act string) []string { return resources[act] }, a.AccountID, it.Region)
	}
	blocked := func() bool {
		// RestrictPublicBuckets: with a public policy, only AWS service
		// principals and principals of the bucket owner's account get in.
		// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
		if restrict {
			an.rep.BlockedByBPA++
			return true
		}
		return false
	}
	public := false
	for _, p := range []*probe{{principal: "anonymous"}, an.outsider()} {
		v := eval(p)
		if len(v.actions) == 0 {
			continue
		}
		public = true
		if blocked() {
			break
		}
		f := base
		f.Kind, f.Principal, f.Actions, f.Statement = KindPublic, "*", v.actions, v.statement
		if p.account == "" {
			f.Detail = "anyone, without signing in, may " + strings.Join(v.actions, ", ")
		} else {
			f.Detail = "any AWS account may " + strings.Join(v.actions, ", ")
		}
		an.add(f)
		break
	}
	if public {
		// A public policy covers every named outsider too; for S3 with
		// RestrictPublicBuckets, outside accounts are cut off as well.
		return
	}
	for _, name := range an.namedOutside(pol) {
		p, acct, _ := namedProbe(name)
		v := eval(p)
		if len(v.actions) == 0 {
			continue
		}
		f := base
		f.Kind, f.Principal, f.Actions, f.Statement = KindExternalAccount, name, v.actions, v.statement
		f.Detail = fmt.Sprintf("account %s, outside %s, may %s", acct, an.z.desc, strings.Join(v.actions, ", "))
		an.add(f)
	}
	an.services(a, it, pol, eval)
}

// services finds AWS service principals that may act on the resource for
// any account: without aws:SourceAccount or aws:SourceArn, another
// account's resource can make the service act here (the confused deputy).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
func (an *analyzer) services(a *snapshot.Account, it *snapshot.ResourcePolicy, pol *policy.Policy, eval func(*probe) verdict) {
	seen := map[string]bool{}
	for _, st := range pol.Statements {
		if st.Effect != policy.Allow || st.Principal == nil || st.NotPrincipal {
			continue
		}
		for _, svc := range st.Principal.Service {
			if seen[svc] {
				continue
			}
			seen[svc] = true
			name, _, _ := strings.Cut(svc, ".")
			p := &probe{principal: svc, service: true, sourceAccount: an.out,
				sourceARN: fmt.Sprintf("arn:aws:%s:%s:%s:seiri-probe", name, regionOr(it.Region), an.out)}
			v := eval(p)
			if len(v.actions) == 0 {
				continue
			}
			an.add(ExternalFinding{Kind: KindServiceNoSource, Account: a.AccountID, Region: it.Region, ResourceType: it.Type,
				Resource: it.ARN, Principal: svc, Actions: v.actions, Statement: v.statement,
				Detail: fmt.Sprintf("%s may %s on behalf of any account: no aws:SourceAccount, aws:SourceArn or aws:SourceOrgID condition limits it", svc, strings.Join(v.actions, ", "))})
		}
	}
}

func regionOr(r string) string {
	if r == "" {
		return "us-east-1"
	}
	return r
}

// bucketBlocks returns the effective Block Public Access of a bucket
// (account and bucket settings combine: either one turns a setting on).
func bucketBlocks(rp *snapshot.ResourcePolicies, it *snapshot.ResourcePolicy) (restrict, ignoreACL bool) {
	if it.Type != snapshot.ResourceS3Bucket {
		return false, false
	}
	for _, b := range []struct{ p *snapshot.PublicAccessBlock }{{rp.S3AccountBlock}, {it.BucketBlock}} {
		if b.p == nil {
			continue
		}
		restrict = restrict || b.p.RestrictPublicBuckets
		ignoreACL = ignoreACL || b.p.IgnorePublicAcls
	}
	return restrict, ignoreACL
}

// Grantee groups that make an S3 ACL public.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#specifying-grantee-predefined-groups
const (
	allUsersURI  = "http://acs.amazonaws.com/groups/global/AllUsers"
	authUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

func (an *analyzer) bucketACL(a *snapshot.Account, it *snapshot.ResourcePolicy, ignore bool) {
	var perms []string
	who := ""
	for _, g := range it.ACLGrants {
		switch g.Grantee {
		case allUsersURI:
			who = "anyone"
		case authUsersURI:
			if who == "" {
				who = "any AWS account"
			}
		default:
			continue
		}
		perms = append(perms, g.Permission)
	}
	if len(perms) == 0 {
		return
	}
	if ignore {
		an.rep.BlockedByBPA++
		return
	}
	perms = uniqSorted(perms)
	an.add(ExternalFinding{Kind: KindPublicACL, Account: a.AccountID, Region: it.Region, ResourceType: it.Type, Resource: it.ARN,
		Principal: "*", Actions: perms, Detail: fmt.Sprintf("the bucket ACL grants %s %s", who, strings.Join(perms, ", "))})
}

// rcpLevels returns, per account, the RCPs at each level of its path from
// the root (root first); levels without RCPs are left out.
func rcpLevels(s *snapshot.Snapshot) (map[string][][]*policy.Policy, []string) {
	out := map[string][][]*policy.Policy{}
	var problems []string
	o := s.Organization
	if o == nil {
		return out, nil
	}
	attached := map[string][]*policy.Policy{}
	for _, op := range o.Policies {
		if op.Type != "RESOURCE_CONTROL_POLICY" {
			continue
		}
		p, err := policy.Parse([]byte(op.Content), policy.TypeRCP)
		if err != nil {
			// Evaluating without it could report access the RCP denies or
			// hide none; the policy is named so the reader knows.
			problems = append(problems, fmt.Sprintf("RCP %s (%s): not used in the evaluation: %v", op.ID, op.Name, err))
			continue
		}
		for _, t := range op.Targets {
			attached[t] = append(attached[t], p)
		}
	}
	if len(attached) == 0 {
		return out, problems
	}
	parent := map[string]string{}
	for _, ou := range o.OUs {
		parent[ou.ID] = ou.ParentID
	}
	for _, a := range o.Accounts {
		var path []string
		for id := a.ParentID; id != ""; id = parent[id] {
			path = append(path, id)
			if strings.HasPrefix(id, "r-") || len(path) > 10 {
				break
			}
		}
		slices.Reverse(path)
		path = append(path, a.ID)
		var levels [][]*policy.Policy
		for _, id := range path {
			if len(attached[id]) > 0 {
				levels = append(levels, attached[id])
			}
		}
		out[a.ID] = levels
	}
	return out, problems
}
