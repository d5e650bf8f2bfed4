// Package casegen generates adversarial policy evaluation cases in seiri's
// case format (docs/policy-cases.md) from the IAM catalog: real actions,
// their resource ARN shapes and condition keys, combined with every policy
// type and operator family. It feeds the differential test against an
// independent evaluator and the engine benchmarks. The output depends only
// on the seed and the catalog.
package casegen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"

	"github.com/seiri-dev/seiri/internal/catalog"
)

// Accounts used by generated cases: the caller's, another one (for
// cross-account requests) and the management account.
const (
	AcctA = "111122223333"
	AcctB = "444455556666"
)

// Services the generator draws actions from: the ones with resource
// policies, key policies, trust policies and RCP support, plus a few
// without.
var Services = []string{"s3", "kms", "sqs", "sts", "iam", "dynamodb", "secretsmanager", "ec2", "lambda", "sns", "logs"}

// Case is one generated case, in the case format.
type Case struct {
	ID                  string              `json:"id"`
	Request             Request             `json:"request"`
	IdentityPolicies    []Doc               `json:"identityPolicies"`
	ResourcePolicy      *Doc                `json:"resourcePolicy"`
	PermissionBoundary  *Doc                `json:"permissionBoundary"`
	SCPs                [][]Doc             `json:"scps"`
	RCPs                [][]Doc             `json:"rcps"`
	SessionPolicy       *Doc                `json:"sessionPolicy"`
	VPCEndpointPolicies []Doc               `json:"vpcEndpointPolicies,omitempty"`
	Tags                []string            `json:"tags,omitempty"`
	tagSet              map[string]struct{} `json:"-"`
}

// Request is the request of a case.
type Request struct {
	Principal       string         `json:"principal"`
	Action          string         `json:"action"`
	Resource        string         `json:"resource"`
	ResourceAccount string         `json:"resourceAccount"`
	Context         map[string]any `json:"context"`
}

// Doc is a policy document.
type Doc struct {
	Version   string `json:"Version"`
	Statement []Stmt `json:"Statement"`
}

// Stmt is one statement; exactly one of each pair is set.
type Stmt struct {
	Sid         string                    `json:"Sid,omitempty"`
	Effect      string                    `json:"Effect"`
	Principal   any                       `json:"Principal,omitempty"`
	Action      any                       `json:"Action,omitempty"`
	NotAction   any                       `json:"NotAction,omitempty"`
	Resource    any                       `json:"Resource,omitempty"`
	NotResource any                       `json:"NotResource,omitempty"`
	Condition   map[string]map[string]any `json:"Condition,omitempty"`
}

// Generator draws cases.
type Generator struct {
	r       *rand.Rand
	cat     *catalog.Catalog
	actions []*catalog.Action
	global  []catalog.ConditionKey
}

// New returns a generator for seed over cat (nil: the embedded catalog).
func New(seed uint64, cat *catalog.Catalog) *Generator {
	if cat == nil {
		cat = catalog.Embedded()
	}
	g := &Generator{r: rand.New(rand.NewPCG(seed, seed^0x5eed)), cat: cat}
	for _, p := range Services {
		s, ok := cat.Service(p)
		if !ok {
			continue
		}
		g.actions = append(g.actions, s.Actions...)
	}
	for _, k := range cat.GlobalConditionKeys() {
		if usefulGlobal[k.Name] {
			g.global = append(g.global, k)
		}
	}
	sort.Slice(g.global, func(i, j int) bool { return g.global[i].Name < g.global[j].Name })
	return g
}

// usefulGlobal are the global keys the generator sets and tests (the
// principal-derived ones stay consistent with the principal).
var usefulGlobal = map[string]bool{
	"aws:SourceIp": true, "aws:SecureTransport": true, "aws:RequestedRegion": true,
	"aws:CurrentTime": true, "aws:EpochTime": true, "aws:MultiFactorAuthAge": true,
	"aws:MultiFactorAuthPresent": true, "aws:TagKeys": true, "aws:PrincipalOrgPaths": true,
	"aws:PrincipalOrgID": true, "aws:SourceVpce": true, "aws:CalledVia": true,
	"aws:SourceArn": true, "aws:SourceAccount": true, "aws:ViaAWSService": true,
	"aws:PrincipalTag/tag-key": true, "aws:ResourceTag/tag-key": true, "aws:RequestTag/tag-key": true,
	"aws:userid": true, "aws:PrincipalType": true,
}

func (g *Generator) pick(list []string) string { return list[g.r.IntN(len(list))] }
func (g *Generator) chance(p float64) bool     { return g.r.Float64() < p }

func (c *Case) tag(t string) {
	if c.tagSet == nil {
		c.tagSet = map[string]struct{}{}
	}
	if _, ok := c.tagSet[t]; !ok {
		c.tagSet[t] = struct{}{}
		c.Tags = append(c.Tags, t)
	}
}

type principal struct {
	arn, account, kind, name string
}

var principals = []principal{
	{"arn:aws:iam::" + AcctA + ":user/alice", AcctA, "user", "alice"},
	{"arn:aws:iam::" + AcctA + ":user/dev/bob", AcctA, "user", "bob"},
	{"arn:aws:sts::" + AcctA + ":assumed-role/dev/alice-session", AcctA, "session", "dev"},
	{"arn:aws:sts::" + AcctA + ":assumed-role/admin/ci", AcctA, "session", "admin"},
	{"arn:aws:iam::" + AcctB + ":user/mallory", AcctB, "user", "mallory"},
	{"arn:aws:sts::" + AcctB + ":assumed-role/partner/p1", AcctB, "session", "partner"},
}

// roleARN is the role of a session principal.
func (p principal) roleARN() string {
	if p.kind != "session" {
		return ""
	}
	return "arn:aws:iam::" + p.account + ":role/" + p.name
}

// Generate writes n cases as JSON lines.
func (g *Generator) Generate(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		c := g.Case(fmt.Sprintf("gen-%d", i))
		line, err := json.Marshal(c)
		if err != nil {
			panic(err) // only our own types: a bug
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

var placeholder = regexp.MustCompile(`\$\{[^}]+\}`)

// Case draws one case.
func (g *Generator) Case(id string) *Case {
	c := &Case{ID: id, IdentityPolicies: []Doc{}}
	a := g.actions[g.r.IntN(len(g.actions))]
	act := a.FullName()
	if g.chance(0.04) {
		act = "sts:GetCallerIdentity"
	}
	var p principal
	switch {
	case g.chance(0.06):
		p = principal{"anonymous", "", "anonymous", ""}
		c.tag("anonymous")
	default:
		p = principals[g.r.IntN(len(principals))]
	}
	resAcct := AcctA
	if p.account == AcctA && g.chance(0.2) {
		resAcct = AcctB
	}
	if p.account != "" && p.account != resAcct {
		c.tag("cross-account")
	}
	resource, rt := g.resourceFor(a, resAcct)
	if act == "sts:GetCallerIdentity" {
		resource, rt = "*", nil
	}
	if resource == "*" {
		c.tag("wildcard-only-action")
	}
	c.Request = Request{Principal: p.arn, Action: g.caseVariant(act), Resource: resource, ResourceAccount: resAcct, Context: map[string]any{}}
	keys := g.contextKeys(a, rt)
	g.fillContext(c, p, keys)

	var ckeys []condKey
	for k, v := range c.Request.Context {
		ckeys = append(ckeys, condKey{name: k, typ: keyType(g.cat, k), val: v})
	}
	sort.Slice(ckeys, func(i, j int) bool { return ckeys[i].name < ckeys[j].name })
	// Keys the request lacks, for missing-key semantics.
	for _, k := range []string{"aws:PrincipalTag/missing", "aws:SourceVpce", "aws:TagKeys", "aws:MultiFactorAuthAge"} {
		if _, ok := c.Request.Context[k]; !ok {
			ckeys = append(ckeys, condKey{name: k, typ: keyType(g.cat, k)})
		}
	}
	sp := &stmtGen{g: g, c: c, act: act, a: a, resource: resource, resAcct: resAcct, keys: ckeys, p: p}

	if p.kind != "anonymous" {
		n := 1 + g.r.IntN(3)
		for i := 0; i < n; i++ {
			c.IdentityPolicies = append(c.IdentityPolicies, sp.doc(1+g.r.IntN(3), false, "identity"))
		}
		if g.chance(0.25) {
			d := sp.doc(1+g.r.IntN(2), false, "boundary")
			c.PermissionBoundary = &d
			c.tag("permission-boundary")
		}
		if p.kind == "session" && g.chance(0.3) {
			d := sp.doc(1+g.r.IntN(2), false, "session")
			c.SessionPolicy = &d
			c.tag("session-policy")
		}
		if g.chance(0.3) {
			c.tag("scp")
			levels := 1 + g.r.IntN(3)
			for l := 0; l < levels; l++ {
				lvl := []Doc{}
				if !g.chance(0.08) {
					lvl = append(lvl, fullAccess())
				}
				if g.chance(0.5) {
					lvl = append(lvl, sp.doc(1+g.r.IntN(2), false, "scp"))
				}
				c.SCPs = append(c.SCPs, lvl)
			}
		}
	}
	if hasResourcePolicy(act, resource) && g.chance(0.6) || p.kind == "anonymous" {
		d := sp.doc(1+g.r.IntN(3), true, "resource")
		c.ResourcePolicy = &d
		c.tag("resource-policy")
	}
	if g.chance(0.2) {
		c.tag("rcp")
		lvl := []Doc{sp.rcp()}
		c.RCPs = [][]Doc{lvl}
	}
	if g.chance(0.06) {
		c.tag("vpc-endpoint")
		c.VPCEndpointPolicies = []Doc{sp.doc(1+g.r.IntN(2), true, "vpce")}
	}
	return c
}

// caseVariant sometimes changes the case of the action (IAM matches
// actions case-insensitively).
func (g *Generator) caseVariant(a string) string {
	if g.chance(0.05) {
		return strings.ToLower(a)
	}
	return a
}

func fullAccess() Doc {
	return Doc{Version: "2012-10-17", Statement: []Stmt{{Effect: "Allow", Action: "*", Resource: "*"}}}
}

// hasResourcePolicy reports services whose resources carry resource-based
// policies the case may include.
func hasResourcePolicy(action, resource string) bool {
	if resource == "*" {
		return false
	}
	svc, _, _ := strings.Cut(action, ":")
	switch strings.ToLower(svc) {
	case "s3", "sqs", "sns", "secretsmanager", "lambda", "logs":
		return true
	case "kms":
		return strings.Contains(resource, ":key/")
	case "sts":
		return strings.Contains(resource, ":role/")
	}
	return false
}

var regions = []string{"us-east-1", "eu-west-1"}

var names = []string{"corp-data", "orders", "alice", "home/alice/notes.txt", "app", "team-a", "1234abcd-12ab-34cd-56ef-1234567890ab"}

// resourceFor fills an ARN format of one of the action's resource types.
func (g *Generator) resourceFor(a *catalog.Action, acct string) (string, *catalog.ResourceType) {
	if len(a.Resources) == 0 {
		return "*", nil
	}
	ar := a.Resources[g.r.IntN(len(a.Resources))]
	if ar.Type == nil || len(ar.Type.ARNFormats) == 0 {
		return "*", nil
	}
	f := ar.Type.ARNFormats[g.r.IntN(len(ar.Type.ARNFormats))]
	region := g.pick(regions)
	out := placeholder.ReplaceAllStringFunc(f, func(ph string) string {
		switch strings.ToLower(ph) {
		case "${partition}":
			return "aws"
		case "${region}":
			return region
		case "${account}":
			return acct
		}
		return g.pick(names)
	})
	return out, ar.Type
}

type condKey struct {
	name string
	typ  string
	val  any // string, []string or nil (absent)
}

// keyType is the catalog type of a key ("String", "ArrayOfString", ...).
func keyType(cat *catalog.Catalog, name string) string {
	if k, ok := cat.ConditionKey(name); ok && k.Type != "" {
		return k.Type
	}
	return "String"
}

// contextKeys are the keys a request for the action may carry: the
// action's and its resource type's keys, and the global keys.
func (g *Generator) contextKeys(a *catalog.Action, rt *catalog.ResourceType) []catalog.ConditionKey {
	var out []catalog.ConditionKey
	seen := map[string]bool{}
	add := func(name string) {
		if seen[strings.ToLower(name)] || strings.Contains(name, "${") {
			return
		}
		if k, ok := g.cat.ConditionKey(name); ok {
			seen[strings.ToLower(name)] = true
			k.Name = name
			out = append(out, k)
		}
	}
	for _, k := range a.ConditionKeys {
		add(k)
	}
	if rt != nil {
		for _, k := range rt.ConditionKeys {
			add(k)
		}
	}
	for _, k := range g.global {
		name := k.Name
		if strings.HasSuffix(name, "/tag-key") {
			name = strings.TrimSuffix(name, "tag-key") + g.pick([]string{"team", "env"})
		}
		add(name)
	}
	return out
}

var (
	strVals  = []string{"dev", "prod", "Prod", "team-a", "alice", "home/alice/", "vpce-1a2b3c4d", "o-a1b2c3d4e5"}
	ipVals   = []string{"10.1.2.3", "203.0.113.5", "192.0.2.10", "2001:db8::1"}
	numVals  = []string{"0", "60", "3600", "86400"}
	dateVals = []string{"2024-06-01T12:00:00Z", "2023-12-31T23:59:59Z", "2025-03-01T00:00:00Z"}
	arnVals  = []string{"arn:aws:s3:::corp-logs", "arn:aws:iam::" + AcctA + ":role/dev", "arn:aws:sns:us-east-1:" + AcctA + ":alerts"}
	listVals = [][]string{{"env"}, {"env", "team"}, {"Owner", "cost-center"}, {"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"}, {"cloudformation.amazonaws.com"}}
)

func (g *Generator) valueFor(typ string) any {
	switch strings.TrimPrefix(typ, "ArrayOf") {
	case "IPAddress":
		return g.pick(ipVals)
	case "Numeric":
		return g.pick(numVals)
	case "Date":
		return g.pick(dateVals)
	case "Bool":
		return g.pick([]string{"true", "false"})
	case "ARN":
		return g.pick(arnVals)
	}
	return g.pick(strVals)
}

// fillContext sets a few keys consistent with the principal and a few drawn
// from the action's keys.
func (g *Generator) fillContext(c *Case, p principal, keys []catalog.ConditionKey) {
	ctx := c.Request.Context
	if p.kind != "anonymous" {
		if g.chance(0.7) {
			ctx["aws:PrincipalAccount"] = p.account
		}
		if g.chance(0.6) {
			if p.kind == "session" {
				ctx["aws:PrincipalArn"] = p.roleARN()
			} else {
				ctx["aws:PrincipalArn"] = p.arn
			}
		}
		if p.kind == "user" && g.chance(0.7) {
			ctx["aws:username"] = p.name
		}
		if g.chance(0.4) {
			ctx["aws:PrincipalTag/team"] = g.pick([]string{"red", "alice", "dev"})
		}
	}
	n := 2 + g.r.IntN(5)
	for i := 0; i < n && len(keys) > 0; i++ {
		k := keys[g.r.IntN(len(keys))]
		if k.Name == "aws:username" || k.Name == "aws:PrincipalArn" || k.Name == "aws:PrincipalAccount" {
			continue
		}
		if strings.HasPrefix(k.Type, "ArrayOf") {
			vals := listVals[g.r.IntN(len(listVals))]
			if k.Type != "ArrayOfString" {
				vals = []string{g.valueFor(k.Type).(string)}
			}
			ctx[k.Name] = vals
			continue
		}
		if k.Name == "aws:EpochTime" {
			// Epoch seconds, as AWS sets this key.
			ctx[k.Name] = g.pick([]string{"1717243200", "1704067199"})
			continue
		}
		ctx[k.Name] = g.valueFor(k.Type)
	}
}
