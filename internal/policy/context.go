package policy

import (
	"strings"
	"sync"
	"time"
)

// Context is the request context: condition keys and their values. Key
// names are case-insensitive (IAM JSON policy elements: Condition). A key
// given as a list is multivalued even with one element; a multivalued key
// cannot be used as a policy variable.
//
// Keys are interned to small integers when set and when a policy is
// compiled, so that evaluation compares integers instead of hashing
// strings; a context holds a handful of keys and is scanned linearly.
type Context struct {
	ents []ctxEnt
}

type ctxEnt struct {
	id    int32
	vals  []string
	multi bool
}

// keyIDs interns lower-cased condition key names.
var keyIDs = struct {
	sync.RWMutex
	m map[string]int32
	// raw maps keys as written ("aws:SourceIp") to their interned
	// lower-cased form, so that a known key is not lower-cased again.
	raw map[string]internedKey
}{m: map[string]int32{}, raw: map[string]internedKey{}}

type internedKey struct {
	lower string
	id    int32
}

// maxRawKeys bounds keyIDs.raw: past it, keys are lower-cased each time.
const maxRawKeys = 1 << 14

func internID(key string) int32 {
	_, id := internKey(key)
	return id
}

// internKey returns the lower-cased form of key and its id, without
// allocating for a key seen before as written.
func internKey(key string) (string, int32) {
	keyIDs.RLock()
	k, ok := keyIDs.raw[key]
	keyIDs.RUnlock()
	if ok {
		return k.lower, k.id
	}
	lk := strings.Clone(strings.ToLower(key)) // key may share a case line's memory
	id := keyID(lk)
	keyIDs.Lock()
	if len(keyIDs.raw) < maxRawKeys {
		keyIDs.raw[strings.Clone(key)] = internedKey{lower: lk, id: id}
	}
	keyIDs.Unlock()
	return lk, id
}

// keyID returns the id of a lower-cased key, assigning one if needed.
func keyID(lkey string) int32 {
	keyIDs.RLock()
	id, ok := keyIDs.m[lkey]
	keyIDs.RUnlock()
	if ok {
		return id
	}
	keyIDs.Lock()
	defer keyIDs.Unlock()
	if id, ok := keyIDs.m[lkey]; ok {
		return id
	}
	id = int32(len(keyIDs.m))
	keyIDs.m[strings.Clone(lkey)] = id
	return id
}

// NewContext returns an empty context.
func NewContext() Context { return Context{} }

func (c *Context) put(key string, e ctxEnt) {
	_, e.id = internKey(key)
	for i := range c.ents {
		if c.ents[i].id == e.id {
			c.ents[i] = e
			return
		}
	}
	c.ents = append(c.ents, e)
}

// Set sets a single-valued key.
func (c *Context) Set(key, value string) { c.put(key, ctxEnt{vals: []string{value}}) }

// SetMulti sets a multivalued key (possibly empty).
func (c *Context) SetMulti(key string, values []string) {
	c.put(key, ctxEnt{vals: values, multi: true})
}

// Has reports whether the key is present with at least one value.
func (c *Context) Has(key string) bool {
	_, ok := c.get(internID(key))
	return ok
}

// present reports whether the key is set at all (even to an empty list).
func (c *Context) present(key string) bool {
	id := internID(key)
	for i := range c.ents {
		if c.ents[i].id == id {
			return true
		}
	}
	return false
}

// Len is the number of keys.
func (c *Context) Len() int { return len(c.ents) }

// get returns the values of a key. A key with an empty list of values is
// treated as absent: there is nothing to compare.
func (c *Context) get(id int32) ([]string, bool) {
	for i := range c.ents {
		if c.ents[i].id == id {
			if len(c.ents[i].vals) == 0 {
				return nil, false
			}
			return c.ents[i].vals, true
		}
	}
	return nil, false
}

// getMulti is get that also reports whether the key was given as a list.
func (c *Context) getMulti(id int32) ([]string, bool, bool) {
	for i := range c.ents {
		if e := &c.ents[i]; e.id == id {
			if len(e.vals) == 0 {
				return nil, e.multi, false
			}
			return e.vals, e.multi, true
		}
	}
	return nil, false, false
}

// single returns the value of a single-valued key, for policy variables.
func (c *Context) single(id int32) (string, bool) {
	for i := range c.ents {
		if e := &c.ents[i]; e.id == id {
			if e.multi || len(e.vals) != 1 {
				return "", false
			}
			return e.vals[0], true
		}
	}
	return "", false
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
		if !ctx.present(k) {
			ctx.Set(k, v)
		}
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
		if !ctx.present("aws:PrincipalOrgPaths") {
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
