package risk

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/policy"
)

// probeTime is the fixed clock of every probe (findings must not depend on
// when the analysis runs; date conditions are satisfied by synthesis).
var probeTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// probeIP is the outsider's source address (TEST-NET-2, RFC 5737), outside
// any range a real policy allows unless the range is very broad.
const probeIP = "198.51.100.77"

// outsiderOrg is the organization of the generic outsider.
const outsiderOrg = "o-seirioutsider"

// trustedKeys are the condition keys an outsider cannot choose: they carry
// the caller's (or the calling service's source's) true values. The list
// follows S3's "The meaning of public" (the keys whose fixed values make a
// policy non-public) and the global keys AWS sets from the caller.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status
var trustedKeys = map[string]bool{
	"aws:principalorgid": true, "aws:principalorgpaths": true, "aws:principalaccount": true,
	"aws:principalarn": true, "aws:principaltype": true, "aws:userid": true, "aws:username": true,
	"aws:sourceaccount": true, "aws:sourcearn": true, "aws:sourceorgid": true, "aws:sourceorgpaths": true,
	"aws:sourceowner": true, "aws:sourcevpc": true, "aws:sourcevpce": true, "aws:vpcsourceip": true,
	"aws:sourceip": true, "aws:principalisawsservice": true, "aws:principalservicename": true,
	"aws:principalservicenameslist": true, "aws:calledvia": true, "aws:calledviafirst": true,
	"aws:calledvialast": true, "aws:viaawsservice": true, "aws:resourceaccount": true,
	"aws:resourceorgid": true, "aws:resourceorgpaths": true, "kms:calleraccount": true,
	"kms:viaservice": true, "s3:resourceaccount": true, "s3:dataaccesspointaccount": true,
	"s3:dataaccesspointarn": true,
}

func trustedKey(k string) bool {
	lk := strings.ToLower(k)
	if trustedKeys[lk] {
		return true
	}
	return strings.HasPrefix(lk, "aws:principaltag/") || strings.HasPrefix(lk, "aws:resourcetag/")
}

// probe is one outside caller.
type probe struct {
	principal string // request principal (ARN, service, "anonymous")
	account   string // its account ("" for anonymous and services)
	orgID     string
	service   bool
	// source* are the account and ARN a service principal acts for.
	sourceAccount, sourceARN string
	// fixed are keys set from the probe's truth before synthesis (OIDC
	// claims the subject cannot choose).
	fixed map[string]string
	// skip are keys synthesis must leave unset (sts:ExternalId when
	// testing whether it is required).
	skip map[string]bool
}

// context builds the request context of p for statement st: the keys the
// outsider controls are set to values that satisfy st's conditions, the
// others take p's true values.
func (p *probe) context(st *policy.Statement, region string) policy.Context {
	ctx := policy.NewContext()
	for k, v := range p.fixed {
		ctx.Set(k, v)
	}
	if st != nil {
		synthesize(&ctx, st, p)
	}
	if p.service {
		if p.sourceAccount != "" && !ctx.Has("aws:SourceAccount") {
			ctx.Set("aws:SourceAccount", p.sourceAccount)
		}
		if p.sourceARN != "" && !ctx.Has("aws:SourceArn") {
			ctx.Set("aws:SourceArn", p.sourceARN)
		}
	}
	ip := probeIP
	if st != nil {
		ip = broadRangeAddress(st)
	}
	policy.DeriveContext(&ctx, policy.PrincipalFacts{
		ARN: p.principal, OrgID: p.orgID, SourceIP: ip, Secure: true, Region: region,
		// An outsider can sign in with MFA: conditions requiring it do not
		// restrict.
		MFA: p.account != "", MFAAge: time.Minute, IsService: p.service,
	}, probeTime)
	return ctx
}

// broadRangeAddress is the outsider's address: inside an aws:SourceIp range
// of st that is broader than /8 (which S3 counts as public), else probeIP.
func broadRangeAddress(st *policy.Statement) string {
	for _, c := range st.Conditions {
		if !strings.EqualFold(c.Key, "aws:SourceIp") || negated(baseOp(c.Operator)) {
			continue
		}
		for _, v := range c.Values {
			if pfx, err := netip.ParsePrefix(v); err == nil && pfx.Addr().Is4() && pfx.Bits() < 8 {
				return pfx.Masked().Addr().Next().String()
			}
		}
	}
	return probeIP
}

// baseOp strips the set qualifier and IfExists of an operator name and
// returns (base, set, ifExists).
func opParts(op string) (base, set string, ifExists bool) {
	base = op
	if i := strings.IndexByte(base, ':'); i >= 0 {
		set, base = base[:i], base[i+1:]
	}
	if strings.HasSuffix(strings.ToLower(base), "ifexists") {
		base, ifExists = base[:len(base)-len("IfExists")], true
	}
	return strings.ToLower(base), strings.ToLower(set), ifExists
}

func baseOp(op string) string { b, _, _ := opParts(op); return b }

func negated(base string) bool {
	return strings.Contains(base, "not") && base != "null"
}

// synthesize sets, for each condition of st on a key the outsider
// controls, a value that satisfies it.
func synthesize(ctx *policy.Context, st *policy.Statement, p *probe) {
	for _, c := range st.Conditions {
		if trustedKey(c.Key) || p.skip[strings.ToLower(c.Key)] || ctx.Has(c.Key) {
			continue
		}
		if _, fixed := p.fixed[c.Key]; fixed {
			continue
		}
		base, set, ifExists := opParts(c.Operator)
		if len(c.Values) == 0 {
			continue
		}
		switch {
		case base == "null":
			if strings.EqualFold(c.Values[0], "false") {
				ctx.Set(c.Key, "seiri-probe")
			}
		case ifExists, negated(base), set == "forallvalues":
			// An absent key satisfies these.
		case set == "foranyvalue":
			ctx.SetMulti(c.Key, []string{satisfying(base, c.Values[0])})
		default:
			ctx.Set(c.Key, satisfying(base, c.Values[0]))
		}
	}
}

// satisfying returns a value that meets operator base with value v.
func satisfying(base, v string) string {
	switch base {
	case "stringlike", "arnlike":
		r := strings.NewReplacer("*", "seiri", "?", "x")
		return r.Replace(v)
	case "numericlessthan", "numericgreaterthan":
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return v
		}
		if base == "numericlessthan" {
			n--
		} else {
			n++
		}
		return strconv.FormatFloat(n, 'f', -1, 64)
	case "datelessthan", "dategreaterthan":
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return v
		}
		if base == "datelessthan" {
			t = t.Add(-time.Hour)
		} else {
			t = t.Add(time.Hour)
		}
		return t.UTC().Format(time.RFC3339)
	}
	return v
}

// verdict is the engine's answer for one probe.
type verdict struct {
	actions   []string
	statement string
}

// check evaluates every (action, resource) for probe p against pol, with
// the context that satisfies each Allow statement in turn, and returns the
// actions allowed.
func (an *analyzer) check(pol *policy.Policy, p *probe, actions, resources []string, resAccount, region string) verdict {
	return an.checkEach(pol, p, actions, func(string) []string { return resources }, resAccount, region)
}

// checkEach is check with the resources chosen per action.
func (an *analyzer) checkEach(pol *policy.Policy, p *probe, actions []string, resourcesOf func(action string) []string, resAccount, region string) verdict {
	var v verdict
	allowed := map[string]bool{}
	pols := &policy.Policies{Resource: pol, RCPs: an.rcps[resAccount]}
	if p.account != "" {
		// Outsiders control their own IAM (allowAll, analyze.go), so only our
		// resource policy stands between them and the resource.
		pols.Identity = []*policy.Policy{allowAll}
	}
	opt := &policy.Options{ManagementAccount: an.z.mgmt, RCPServices: an.rcpServices}
	stmts := []*policy.Statement{nil}
	for _, st := range pol.Statements {
		if st.Effect == policy.Allow {
			stmts = append(stmts, st)
		}
	}
	for _, st := range stmts {
		ctx := p.context(st, region)
		for _, a := range actions {
			if allowed[a] {
				continue
			}
			for _, r := range resourcesOf(a) {
				req := &policy.Request{Principal: p.principal, Action: a, Resource: r, ResourceAccount: resAccount, Context: ctx}
				if res := policy.Evaluate(req, pols, opt); res.Decision == policy.AllowDecision {
					allowed[a] = true
					if v.statement == "" {
						if st != nil {
							v.statement = stmtName(st)
						} else if res.Source == policy.SourceResource && res.Statement >= 0 && res.Statement < len(pol.Statements) {
							v.statement = stmtName(pol.Statements[res.Statement])
						}
					}
					break
				}
			}
		}
	}
	for a := range allowed {
		v.actions = append(v.actions, a)
	}
	v.actions = uniqSorted(v.actions)
	return v
}

// outsider is the generic outsider: a role session in an account outside
// the zone, in another organization.
func (an *analyzer) outsider() *probe {
	return &probe{principal: fmt.Sprintf("arn:aws:sts::%s:assumed-role/seiri-outsider/probe", an.out), account: an.out, orgID: outsiderOrg}
}

// namedProbe is the caller a Principal AWS value names (an account, user or
// role outside the zone).
func namedProbe(v string) (*probe, string, bool) {
	acct := ""
	arn := ""
	switch {
	case len(v) == 12 && strings.Trim(v, "0123456789") == "":
		acct, arn = v, "arn:aws:iam::"+v+":root"
	case strings.HasPrefix(v, "arn:"):
		parts := strings.SplitN(v, ":", 6)
		if len(parts) != 6 || parts[2] != "iam" || len(parts[4]) != 12 {
			return nil, "", false
		}
		acct = parts[4]
		res := parts[5]
		switch {
		case res == "root":
			arn = v
		case strings.HasPrefix(res, "user/"):
			arn = v
		case strings.HasPrefix(res, "role/"):
			arn = fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/probe", parts[1], acct, res[strings.LastIndexByte(res, '/')+1:])
		default:
			return nil, "", false
		}
	default:
		return nil, "", false
	}
	if strings.Contains(acct, "*") {
		return nil, "", false
	}
	return &probe{principal: arn, account: acct, orgID: outsiderOrg}, acct, true
}

// namedOutside returns the AWS principals of pol's Allow statements whose
// account is outside the zone, deduplicated.
func (an *analyzer) namedOutside(pol *policy.Policy) []string {
	var out []string
	seen := map[string]bool{}
	for _, st := range pol.Statements {
		if st.Effect != policy.Allow || st.Principal == nil || st.NotPrincipal {
			continue
		}
		for _, v := range st.Principal.AWS {
			if _, acct, ok := namedProbe(v); ok && !an.z.inside(acct) && !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}
