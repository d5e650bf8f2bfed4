package policy

import (
	"strings"
	"time"
)

// Context is the request context: condition keys and their values. Key
// names are case-insensitive (IAM JSON policy elements: Condition). A key
// given as a list is multivalued even with one element; a multivalued key
// cannot be used as a policy variable.
type Context struct {
	m map[string]ctxVal
}

type ctxVal struct {
	vals  []string
	multi bool
}

// NewContext returns an empty context.
func NewContext() Context { return Context{m: map[string]ctxVal{}} }

// Set sets a single-valued key.
func (c *Context) Set(key, value string) {
	if c.m == nil {
		c.m = map[string]ctxVal{}
	}
	c.m[strings.ToLower(key)] = ctxVal{vals: []string{value}}
}

// SetMulti sets a multivalued key (possibly empty).
func (c *Context) SetMulti(key string, values []string) {
	if c.m == nil {
		c.m = map[string]ctxVal{}
	}
	c.m[strings.ToLower(key)] = ctxVal{vals: values, multi: true}
}

// Has reports whether the key is present with at least one value.
func (c *Context) Has(key string) bool {
	_, ok := c.get(strings.ToLower(key))
	return ok
}

// Len is the number of keys.
func (c *Context) Len() int { return len(c.m) }

// get returns the values of a lower-cased key. A key with an empty list of
// values is treated as absent: there is nothing to compare.
func (c *Context) get(lkey string) ([]string, bool) {
	v, ok := c.m[lkey]
	if !ok || len(v.vals) == 0 {
		return nil, false
	}
	return v.vals, true
}

// single returns the value of a single-valued key, for policy variables.
func (c *Context) single(lkey string) (string, bool) {
	v, ok := c.m[lkey]
	if !ok || v.multi || len(v.vals) != 1 {
		return "", false
	}
	return v.vals[0], true
}

// PrincipalFacts are what a real request knows about its caller, used to
// derive global condition keys.
type PrincipalFacts struct {
	ARN       string            // caller ARN (user, assumed-role session, federated user, root)
	UserID    string            // unique id (AIDA..., AROA...:session)
	OrgID     string            // o-...
	OrgPaths  []string          // o-.../r-.../ou-.../
	Tags      map[string]string // principal tags (user or role tags, session tags win)
	MFA       bool
	MFAAge    time.Duration
	SourceIP  string
	Secure    bool
	Region    string
	IsService bool // request made by an AWS service principal
}

// DeriveContext fills the global condition keys that AWS adds to every
// authenticated request (IAM User Guide, "AWS global condition context
// keys"): aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType,
// aws:username (IAM users only), aws:userid, aws:CurrentTime,
// aws:EpochTime, aws:PrincipalOrgID, aws:PrincipalOrgPaths,
// aws:PrincipalTag/*, aws:MultiFactorAuthPresent/Age, aws:SourceIp,
// aws:SecureTransport, aws:RequestedRegion, aws:PrincipalIsAWSService.
// Keys already present in ctx are kept. Simulation does not call this:
// cases carry their context exactly as given.
func DeriveContext(ctx *Context, f PrincipalFacts, now time.Time) {
	setIfAbsent := func(k, v string) {
		if v == "" {
			return
		}
		if _, ok := ctx.m[strings.ToLower(k)]; !ok {
			ctx.Set(k, v)
		}
	}
	if ctx.m == nil {
		ctx.m = map[string]ctxVal{}
	}
	pi := ParsePrincipal(f.ARN)
	switch pi.Kind {
	case PrincipalUser:
		setIfAbsent("aws:PrincipalArn", f.ARN)
		setIfAbsent("aws:PrincipalType", "User")
		setIfAbsent("aws:username", pi.Name)
	case PrincipalAssumedRole:
		// aws:PrincipalArn is the role's ARN, not the session's; the path is
		// not in the session ARN, so it is only exact for roles at "/".
		setIfAbsent("aws:PrincipalArn", "arn:"+pi.Partition+":iam::"+pi.Account+":role/"+pi.Name)
		setIfAbsent("aws:PrincipalType", "AssumedRole")
	case PrincipalRole:
		setIfAbsent("aws:PrincipalArn", f.ARN)
		setIfAbsent("aws:PrincipalType", "AssumedRole")
	case PrincipalFederatedUser:
		setIfAbsent("aws:PrincipalArn", f.ARN)
		setIfAbsent("aws:PrincipalType", "FederatedUser")
	case PrincipalRoot:
		setIfAbsent("aws:PrincipalArn", f.ARN)
		setIfAbsent("aws:PrincipalType", "Account")
	}
	setIfAbsent("aws:PrincipalAccount", pi.Account)
	setIfAbsent("aws:userid", f.UserID)
	setIfAbsent("aws:PrincipalOrgID", f.OrgID)
	if len(f.OrgPaths) > 0 {
		if _, ok := ctx.m["aws:principalorgpaths"]; !ok {
			ctx.SetMulti("aws:PrincipalOrgPaths", f.OrgPaths)
		}
	}
	for k, v := range f.Tags {
		setIfAbsent("aws:PrincipalTag/"+k, v)
	}
	now = now.UTC()
	setIfAbsent("aws:CurrentTime", now.Format(time.RFC3339))
	setIfAbsent("aws:EpochTime", formatInt(now.Unix()))
	if pi.Kind != PrincipalAnonymous && pi.Kind != PrincipalService {
		setIfAbsent("aws:MultiFactorAuthPresent", formatBool(f.MFA))
		if f.MFA {
			setIfAbsent("aws:MultiFactorAuthAge", formatInt(int64(f.MFAAge/time.Second)))
		}
	}
	setIfAbsent("aws:SourceIp", f.SourceIP)
	setIfAbsent("aws:SecureTransport", formatBool(f.Secure))
	setIfAbsent("aws:RequestedRegion", f.Region)
	setIfAbsent("aws:PrincipalIsAWSService", formatBool(f.IsService || pi.Kind == PrincipalService))
}

func formatBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func formatInt(n int64) string {
	var buf [24]byte
	i := len(buf)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}
