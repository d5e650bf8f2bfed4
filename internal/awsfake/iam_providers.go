package awsfake

import (
	"strings"
)

// IAM identity providers: ListSAMLProviders, ListOpenIDConnectProviders,
// GetOpenIDConnectProvider, served from the account's IdentityProviders.
func init() {
	iamOps["ListSAMLProviders"] = iamListSAMLProviders
	iamOps["ListOpenIDConnectProviders"] = iamListOIDCProviders
	iamOps["GetOpenIDConnectProvider"] = iamGetOIDCProvider
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListSAMLProviders.html
func iamListSAMLProviders(c *call) (any, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	var x xmlBody
	if a.IdentityProviders == nil {
		x.list("SAMLProviderList", 0, nil)
		return &x, nil
	}
	ps := a.IdentityProviders.SAML
	x.list("SAMLProviderList", len(ps), func(i int) {
		x.el("Arn", ps[i].ARN)
		x.time("CreateDate", ps[i].CreateDate)
	})
	return &x, nil
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListOpenIDConnectProviders.html
func iamListOIDCProviders(c *call) (any, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	var x xmlBody
	if a.IdentityProviders == nil {
		x.list("OpenIDConnectProviderList", 0, nil)
		return &x, nil
	}
	ps := a.IdentityProviders.OIDC
	x.list("OpenIDConnectProviderList", len(ps), func(i int) { x.el("Arn", ps[i].ARN) })
	return &x, nil
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetOpenIDConnectProvider.html
func iamGetOIDCProvider(c *call) (any, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, err
	}
	arn := c.str("OpenIDConnectProviderArn")
	if a.IdentityProviders != nil {
		for _, p := range a.IdentityProviders.OIDC {
			if p.ARN != arn {
				continue
			}
			var x xmlBody
			url := p.URL
			if url == "" {
				_, url, _ = strings.Cut(p.ARN, ":oidc-provider/")
			}
			x.el("Url", url)
			x.list("ClientIDList", len(p.ClientIDs), func(i int) { x.b.WriteString(escape(p.ClientIDs[i])) })
			x.list("ThumbprintList", 0, nil)
			x.time("CreateDate", p.CreateDate)
			return &x, nil
		}
	}
	return nil, errf(404, "NoSuchEntity", "OpenIDConnect Provider not found for arn %s", arn)
}
