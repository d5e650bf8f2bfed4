package risk

import (
	"fmt"
	"strings"

	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// githubIssuer is GitHub Actions' OIDC issuer: any GitHub user can mint a
// token from it for any repository they own, so a trust policy must pin
// the subject (repository and ref).
// https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services
const githubIssuer = "token.actions.githubusercontent.com"

// multiTenantIssuers are OIDC issuers anyone can obtain tokens from (so a
// trust policy that does not pin the subject is open to the internet).
var multiTenantIssuers = map[string]bool{
	githubIssuer: true, "gitlab.com": true, "app.terraform.io": true,
	"token.actions.githubusercontent.com/": true, "bitbucket.org": true,
}

// role analyses a role's trust policy.
func (an *analyzer) role(a *snapshot.Account, ro *snapshot.Role) {
	if len(ro.TrustPolicy) == 0 || ro.ServiceLinked() {
		return
	}
	pol := an.parse(ro.TrustPolicy, policy.TypeTrust, "role "+ro.ARN+" trust policy", a.AccountID, ro.ARN)
	if pol == nil {
		return
	}
	base := ExternalFinding{Account: a.AccountID, ResourceType: "iam-role", Resource: ro.ARN}
	assume := []string{"sts:AssumeRole"}
	res := []string{ro.ARN}
	if v := an.check(pol, an.outsider(), assume, res, a.AccountID, ""); len(v.actions) > 0 {
		f := base
		f.Kind, f.Principal, f.Actions, f.Statement = KindTrustPublic, "*", v.actions, v.statement
		f.Detail = "any AWS account may assume the role"
		an.add(f)
	} else {
		for _, name := range an.namedOutside(pol) {
			p, acct, _ := namedProbe(name)
			v := an.check(pol, p, assume, res, a.AccountID, "")
			if len(v.actions) == 0 {
				continue
			}
			f := base
			f.Principal, f.Actions, f.Statement = name, v.actions, v.statement
			p.skip = map[string]bool{"sts:externalid": true}
			if w := an.check(pol, p, assume, res, a.AccountID, ""); len(w.actions) > 0 {
				f.Kind = KindTrustNoExternalID
				f.Detail = fmt.Sprintf("account %s, outside %s, may assume the role without an sts:ExternalId", acct, an.z.desc)
			} else {
				f.Kind = KindTrustExternal
				f.Detail = fmt.Sprintf("account %s, outside %s, may assume the role (with an sts:ExternalId)", acct, an.z.desc)
			}
			an.add(f)
		}
	}
	an.oidc(a, ro, pol, base)
	an.unmodelled(a, ro, pol)
}

// unmodelled reports federated principals that are not provider ARNs
// (accounts.google.com, cognito-identity.amazonaws.com, graph.facebook.com,
// www.amazon.com): the engine matches Federated values against ARN callers
// only, so such trusts are not evaluated — said, not silently passed.
func (an *analyzer) unmodelled(a *snapshot.Account, ro *snapshot.Role, pol *policy.Policy) {
	for _, st := range pol.Statements {
		if st.Effect != policy.Allow || st.Principal == nil || st.NotPrincipal {
			continue
		}
		for _, v := range st.Principal.Federated {
			if strings.Contains(v, ":saml-provider/") {
				if identityCenterTrust(ro, v) {
					continue // Identity Center's own: who may assume it is its assignments (seiri sso)
				}
				an.add(ExternalFinding{Kind: KindNotEvaluated, Account: a.AccountID, ResourceType: "iam-role", Resource: ro.ARN, Principal: v,
					Statement: stmtName(st), Detail: samlDetail(v, st)})
				continue
			}
			if strings.HasPrefix(v, "arn:") {
				continue // OIDC providers: evaluated by oidc
			}
			an.add(ExternalFinding{Kind: KindNotEvaluated, Account: a.AccountID, ResourceType: "iam-role", Resource: ro.ARN, Principal: v,
				Statement: stmtName(st), Detail: fmt.Sprintf("the role trusts the web identity provider %s, which seiri does not evaluate: check its conditions (e.g. %s:aud) by hand", v, v)})
		}
	}
}

// samlDetail says why a SAML trust is not evaluated: who may assume the
// role is decided by the identity provider (its users and the assertion's
// attributes), which the snapshot does not hold. It also says whether the
// statement pins the assertion's audience with SAML:aud, as AWS's SAML
// trust policies do (IAM User Guide, "Create a role for SAML 2.0
// federation": SAML:aud https://signin.aws.amazon.com/saml).
func samlDetail(provider string, st *policy.Statement) string {
	aud := "with a SAML:aud condition"
	if !hasConditionKey(st, "saml:aud") {
		aud = "WITHOUT a SAML:aud condition (add StringEquals SAML:aud https://signin.aws.amazon.com/saml)"
	}
	return fmt.Sprintf("the role trusts the SAML provider %s, %s; who may assume it is decided by the identity provider's users and assertion attributes, which seiri does not see: review the IdP's assignments", provider, aud)
}

// identityCenterTrust reports a role IAM Identity Center created for a
// permission set (path /aws-reserved/sso.amazonaws.com/) trusting the
// account's Identity Center SAML provider (AWSSSO_…_DO_NOT_DELETE): its
// users are Identity Center's assignments, not an outside IdP's.
// https://docs.aws.amazon.com/singlesignon/latest/userguide/using-service-linked-roles.html
func identityCenterTrust(ro *snapshot.Role, provider string) bool {
	return strings.HasPrefix(ro.Path, "/aws-reserved/sso.amazonaws.com/") && strings.Contains(provider, ":saml-provider/AWSSSO_")
}

// hasConditionKey reports whether any condition of st names key (case-insensitive).
func hasConditionKey(st *policy.Statement, key string) bool {
	for _, c := range st.Conditions {
		if strings.EqualFold(c.Key, key) {
			return true
		}
	}
	return false
}

// oidcProviders returns the OIDC provider ARNs pol's Allow statements
// trust.
func oidcProviders(pol *policy.Policy) []string {
	var out []string
	for _, st := range pol.Statements {
		if st.Effect != policy.Allow || st.Principal == nil || st.NotPrincipal {
			continue
		}
		for _, v := range st.Principal.Federated {
			if strings.Contains(v, ":oidc-provider/") {
				out = append(out, v)
			}
		}
	}
	return uniqSorted(out)
}

func issuerOf(providerARN string) string {
	_, host, _ := strings.Cut(providerARN, ":oidc-provider/")
	return host
}

// oidc checks a role's OIDC trust: the engine is asked whether a token with
// a subject the outsider chooses (for GitHub, a repository of the
// outsider's own) may assume the role; the audience and other claims the
// token holder can pick are satisfied by synthesis.
func (an *analyzer) oidc(a *snapshot.Account, ro *snapshot.Role, pol *policy.Policy, base ExternalFinding) {
	acts := []string{"sts:AssumeRoleWithWebIdentity"}
	for _, prov := range oidcProviders(pol) {
		iss := issuerOf(prov)
		subKey := iss + ":sub"
		outsiderSub := "seiri-outsider-subject"
		if iss == githubIssuer {
			outsiderSub = "repo:seiri-outsider/probe:ref:refs/heads/main"
		}
		p := &probe{principal: prov, fixed: map[string]string{subKey: outsiderSub}}
		if v := an.check(pol, p, acts, []string{ro.ARN}, a.AccountID, ""); len(v.actions) > 0 {
			f := base
			f.Kind, f.Principal, f.Actions, f.Statement = KindOIDCAnySubject, prov, v.actions, v.statement
			who := "any subject of " + iss
			if iss == githubIssuer {
				who = "a workflow in any GitHub repository"
			}
			if hasCondKey(pol, subKey) {
				f.Detail = fmt.Sprintf("%s may assume the role: the %s condition does not pin the subject", who, subKey)
			} else {
				f.Detail = fmt.Sprintf("%s may assume the role: no %s condition", who, subKey)
			}
			an.add(f)
			continue
		}
		if iss != githubIssuer {
			continue
		}
		// Wildcard repository: any repository of an owner the policy names.
		for _, owner := range githubOwners(pol, subKey) {
			sub := "repo:" + owner + "/seiri-probe-repository:ref:refs/heads/main"
			p := &probe{principal: prov, fixed: map[string]string{subKey: sub}}
			if v := an.check(pol, p, acts, []string{ro.ARN}, a.AccountID, ""); len(v.actions) > 0 {
				f := base
				f.Kind, f.Principal, f.Actions, f.Statement = KindOIDCWildcardRepo, prov, v.actions, v.statement
				f.Detail = fmt.Sprintf("a workflow in any repository of GitHub owner %q may assume the role (wildcard repository in %s)", owner, subKey)
				an.add(f)
			}
		}
	}
}

func hasCondKey(pol *policy.Policy, key string) bool {
	for _, st := range pol.Statements {
		for _, c := range st.Conditions {
			if strings.EqualFold(c.Key, key) {
				return true
			}
		}
	}
	return false
}

// githubOwners returns the repository owners named in sub conditions
// ("repo:OWNER/...") of Allow statements; the probes built from them are
// decided by the engine.
func githubOwners(pol *policy.Policy, subKey string) []string {
	var out []string
	for _, st := range pol.Statements {
		if st.Effect != policy.Allow {
			continue
		}
		for _, c := range st.Conditions {
			if !strings.EqualFold(c.Key, subKey) {
				continue
			}
			for _, v := range c.Values {
				rest, ok := strings.CutPrefix(v, "repo:")
				if !ok {
					continue
				}
				owner, _, _ := strings.Cut(rest, "/")
				if owner != "" && !strings.ContainsAny(owner, "*?") {
					out = append(out, owner)
				}
			}
		}
	}
	return uniqSorted(out)
}

// providers reports SAML and OIDC providers that no role of the account
// trusts.
func (an *analyzer) providers(a *snapshot.Account) {
	if a.IdentityProviders == nil {
		return
	}
	used := map[string]bool{}
	for i := range a.Roles {
		ro := &a.Roles[i]
		if len(ro.TrustPolicy) == 0 {
			continue
		}
		e, ok := an.cache[parseKey{policy.TypeTrust, string(ro.TrustPolicy)}]
		if !ok || e.err != nil {
			continue // unparsable: reported by role(); service-linked: skipped
		}
		p := e.p
		for _, st := range p.Statements {
			if st.Principal == nil || st.NotPrincipal || st.Effect != policy.Allow {
				continue
			}
			for _, v := range st.Principal.Federated {
				used[v] = true
			}
		}
	}
	report := func(ps []snapshot.IdentityProvider, typ, label string) {
		for _, p := range ps {
			if used[p.ARN] {
				continue
			}
			an.add(ExternalFinding{Kind: KindProviderUnused, Account: a.AccountID, ResourceType: typ, Resource: p.ARN,
				Detail: fmt.Sprintf("no role of the account trusts the %s provider %s", label, p.ARN)})
		}
	}
	report(a.IdentityProviders.SAML, "iam-saml-provider", "SAML")
	report(a.IdentityProviders.OIDC, "iam-oidc-provider", "OIDC")
}
