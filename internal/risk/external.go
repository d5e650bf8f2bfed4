// Package risk finds what in a snapshot puts an organization at risk beyond
// housekeeping: privilege-escalation paths, and access granted to principals
// outside the organization (external and public access). Every verdict is
// decided by the policy engine (internal/policy), never by matching strings
// in policy documents.
package risk

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// External access is found the way IAM Access Analyzer finds it: each trust
// and resource policy is evaluated by the engine for representative
// principals outside the zone of trust (the organization, or the collected
// accounts when the organization is unknown) — an anonymous caller, an
// arbitrary other account in another organization, and every outside
// account or service the policy names — with a request context that
// satisfies every condition the outsider controls. Conditions on keys the
// outsider cannot choose (aws:PrincipalOrgID, aws:PrincipalAccount,
// aws:SourceAccount, aws:SourceArn, aws:SourceVpce, ...) take the outsider's
// true values, so they restrict; Deny statements and the organization's RCPs
// take part in the evaluation, so they remove access.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html

// ExternalKind classifies an external-access finding.
type ExternalKind string

const (
	// KindPublic: anyone (anonymous, or any AWS account) may act on the
	// resource.
	KindPublic ExternalKind = "public"
	// KindPublicACL: an S3 bucket ACL grants AllUsers or AuthenticatedUsers.
	KindPublicACL ExternalKind = "public-acl"
	// KindExternalAccount: a named account outside the zone of trust may
	// act on the resource.
	KindExternalAccount ExternalKind = "external-account"
	// KindServiceNoSource: an AWS service principal may act on the
	// resource on behalf of any account (no aws:SourceAccount/SourceArn).
	KindServiceNoSource ExternalKind = "service-no-source"
	// KindTrustPublic: any AWS account may assume the role.
	KindTrustPublic ExternalKind = "trust-public"
	// KindTrustExternal: an outside account may assume the role and must
	// give sts:ExternalId.
	KindTrustExternal ExternalKind = "trust-external"
	// KindTrustNoExternalID: an outside account may assume the role without
	// an sts:ExternalId.
	KindTrustNoExternalID ExternalKind = "trust-no-external-id"
	// KindOIDCAnySubject: any subject of an OIDC provider (for GitHub: any
	// repository of anyone) may assume the role.
	KindOIDCAnySubject ExternalKind = "oidc-any-subject"
	// KindOIDCWildcardRepo: any repository of one GitHub owner may assume
	// the role.
	KindOIDCWildcardRepo ExternalKind = "oidc-wildcard-repository"
	// KindProviderUnused: a SAML or OIDC provider no role trusts.
	KindProviderUnused ExternalKind = "provider-unused"
	// KindNoAccountBPA: the account has no account-level S3 Block Public
	// Access.
	KindNoAccountBPA ExternalKind = "s3-no-account-block"
	// KindNotCollected: resource policies (or some services' policies) of
	// an account were not collected: external access there is unknown.
	KindNotCollected ExternalKind = "not-collected"
	// KindNotEvaluated: a policy (or a principal in it) could not be
	// evaluated: access through it is unknown.
	KindNotEvaluated ExternalKind = "not-evaluated"
)

// ExternalFinding is one external or public access.
type ExternalFinding struct {
	Kind         ExternalKind
	Account      string
	Region       string
	ResourceType string // snapshot.Resource* or "iam-role", "iam-oidc-provider", "iam-saml-provider"
	Resource     string // ARN
	// Principal is who outside gets access: "*" (anyone), an account id,
	// an ARN, a service principal or a provider ARN.
	Principal string
	// Actions are the probed actions the engine allowed.
	Actions []string
	// Statement names the statement whose conditions the outsider meets
	// ("Sid" or "Statement[i]").
	Statement string
	// Detail says why, in one sentence.
	Detail string
}

// ExternalReport is the outcome of External.
type ExternalReport struct {
	Findings []ExternalFinding
	// Problems are policies that could not be evaluated (unparsable
	// documents), each naming the resource; they are counted, never
	// dropped silently.
	Problems []string
	// Zone describes the zone of trust used.
	Zone string
	// Evaluated counts the policies evaluated (trust + resource).
	Evaluated int
	// BlockedByBPA counts S3 findings removed by Block Public Access.
	BlockedByBPA int
	// NotCollected are the accounts whose resource policies were not
	// collected at all (each also has a KindNotCollected finding).
	NotCollected []string
}

// ExternalOptions adjust External.
type ExternalOptions struct {
	// OrgID overrides the organization id of the zone of trust.
	OrgID string
	// RCPServices decides which services RCPs govern: the catalog in force
	// (a catalog refreshed by seiri catalog update); nil is the engine's
	// embedded list.
	RCPServices policy.RCPServices
}

// zone is the zone of trust.
type zone struct {
	orgID    string
	accounts map[string]bool
	mgmt     string
	desc     string
}

func (z *zone) inside(account string) bool { return z.accounts[account] }

func newZone(s *snapshot.Snapshot, opt ExternalOptions) *zone {
	z := &zone{accounts: map[string]bool{}, orgID: opt.OrgID}
	if o := s.Organization; o != nil {
		if z.orgID == "" {
			z.orgID = o.ID
		}
		z.mgmt = o.ManagementAccount
		for _, a := range o.Accounts {
			z.accounts[a.ID] = true
		}
	}
	for _, a := range s.Accounts {
		z.accounts[a.AccountID] = true
		if z.orgID == "" && a.OrgMembership != nil {
			z.orgID = a.OrgMembership.ID
		}
	}
	switch {
	case s.Organization != nil:
		z.desc = fmt.Sprintf("organization %s (%d accounts)", z.orgID, len(z.accounts))
	case z.orgID != "":
		z.desc = fmt.Sprintf("the %d collected accounts (organization %s not collected: other accounts of it count as outside)", len(z.accounts), z.orgID)
	default:
		z.desc = fmt.Sprintf("the %d collected accounts (no organization known)", len(z.accounts))
	}
	return z
}

// outsiderAccount is an account id outside the zone, for the generic
// outsider probe.
func (z *zone) outsiderAccount() string {
	for n := int64(444455556666); ; n++ {
		id := fmt.Sprintf("%012d", n)
		if !z.inside(id) {
			return id
		}
	}
}

// External finds the external and public access granted by the trust and
// resource policies of s.
func External(s *snapshot.Snapshot, opt ExternalOptions) *ExternalReport {
	z := newZone(s, opt)
	rep := &ExternalReport{Zone: z.desc}
	rcps, problems := rcpLevels(s)
	rep.Problems = append(rep.Problems, problems...)
	an := &analyzer{z: z, rep: rep, rcps: rcps, rcpServices: opt.RCPServices, out: z.outsiderAccount(), cache: map[parseKey]parsed{}}
	for _, a := range s.Accounts {
		if a.ResourcePolicies == nil {
			rep.NotCollected = append(rep.NotCollected, a.AccountID)
		}
		an.account(a)
	}
	sortFindings(rep.Findings)
	return rep
}

func sortFindings(fs []ExternalFinding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := &fs[i], &fs[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Principal < b.Principal
	})
}

type parseKey struct {
	t   policy.Type
	doc string
}

type parsed struct {
	p   *policy.Policy
	err error
}

type analyzer struct {
	cache map[parseKey]parsed
	z     *zone
	rep   *ExternalReport
	rcps  map[string][][]*policy.Policy
	out   string // the generic outsider's account
	// rcpServices are the services RCPs govern (the catalog in force).
	rcpServices policy.RCPServices
}

func (an *analyzer) add(f ExternalFinding) { an.rep.Findings = append(an.rep.Findings, f) }

func (an *analyzer) problem(format string, args ...any) {
	an.rep.Problems = append(an.rep.Problems, fmt.Sprintf(format, args...))
}

func (an *analyzer) account(a *snapshot.Account) {
	for i := range a.Roles {
		an.role(a, &a.Roles[i])
	}
	an.providers(a)
	rp := a.ResourcePolicies
	if rp == nil {
		an.add(ExternalFinding{Kind: KindNotCollected, Account: a.AccountID, Resource: "arn:aws:iam::" + a.AccountID + ":root",
			Detail: "resource policies (S3, KMS, SQS, SNS, Lambda, Secrets Manager, ECR) were not collected: external access to them is unknown"})
		return
	}
	var gaps []string
	for _, sc := range rp.Scopes {
		if sc.Error != "" {
			where := sc.Service
			if sc.Region != "" {
				where += " in " + sc.Region
			}
			gaps = append(gaps, where+": "+sc.Error)
		} else if sc.Skipped > 0 {
			where := sc.Service
			if sc.Region != "" {
				where += " in " + sc.Region
			}
			gaps = append(gaps, fmt.Sprintf("%s: %d of %d resources' policies not read", where, sc.Skipped, sc.Resources))
		}
	}
	if len(gaps) > 0 {
		an.add(ExternalFinding{Kind: KindNotCollected, Account: a.AccountID, Resource: "arn:aws:iam::" + a.AccountID + ":root",
			Detail: "not collected, external access there is unknown: " + strings.Join(gaps, "; ")})
	}
	if rp.Collected(snapshot.ServiceS3Control, "") && rp.S3AccountBlock == nil {
		an.add(ExternalFinding{Kind: KindNoAccountBPA, Account: a.AccountID, ResourceType: snapshot.ServiceS3Control,
			Resource: "arn:aws:s3:::" + a.AccountID, Detail: "the account has no account-level S3 Block Public Access configuration"})
	}
	for i := range rp.Items {
		an.resource(a, rp, &rp.Items[i])
	}
}

// parse compiles a policy document or records a problem (and a
// not-evaluated finding on the resource). Documents are compiled once per
// content (many roles share a trust policy).
func (an *analyzer) parse(doc json.RawMessage, t policy.Type, what, account, resource string) *policy.Policy {
	k := parseKey{t, string(doc)}
	e, ok := an.cache[k]
	if !ok {
		e.p, e.err = policy.Parse(doc, t)
		an.cache[k] = e
	}
	p, err := e.p, e.err
	if err != nil {
		an.problem("%s: policy not evaluated: %v", what, err)
		an.add(ExternalFinding{Kind: KindNotEvaluated, Account: account, Resource: resource,
			Detail: fmt.Sprintf("%s could not be evaluated (%v): access through it is unknown", what, err)})
		return nil
	}
	an.rep.Evaluated++
	return p
}

func stmtName(st *policy.Statement) string {
	if st.Sid != "" {
		return st.Sid
	}
	return fmt.Sprintf("Statement[%d]", st.Index)
}

func uniqSorted(ss []string) []string {
	slices.Sort(ss)
	return slices.Compact(ss)
}
