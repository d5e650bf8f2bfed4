package casegen

import (
	"strings"

	"github.com/seiri-dev/seiri/internal/catalog"
)

// stmtGen draws statements that relate to one case's request: most name
// its action and resource in some form, so that they decide something.
type stmtGen struct {
	g        *Generator
	c        *Case
	act      string
	a        *catalog.Action
	resource string
	resAcct  string
	keys     []condKey
	p        principal
}

func (s *stmtGen) doc(n int, withPrincipal bool, kind string) Doc {
	d := Doc{Version: "2012-10-17"}
	for i := 0; i < n; i++ {
		st := s.stmt(withPrincipal, kind)
		if s.g.chance(0.15) {
			st.Sid = "S" + string(rune('A'+i))
		}
		d.Statement = append(d.Statement, st)
	}
	return d
}

func (s *stmtGen) stmt(withPrincipal bool, kind string) Stmt {
	g := s.g
	st := Stmt{Effect: "Allow"}
	denyP := 0.3
	if kind == "scp" {
		denyP = 0.6
	}
	if g.chance(denyP) {
		st.Effect = "Deny"
	}
	acts := s.actionValue()
	if kind != "vpce" && g.chance(0.1) {
		st.NotAction = acts
		s.c.tag("not-action")
	} else {
		st.Action = acts
	}
	res := s.resourceValue()
	if g.chance(0.1) {
		st.NotResource = res
		s.c.tag("not-resource")
	} else {
		st.Resource = res
	}
	if kind == "vpce" {
		// Endpoint policies name principals through conditions.
		st.Principal = "*"
	} else if withPrincipal {
		st.Principal = s.principalValue()
	}
	nc := 0
	switch r := g.r.Float64(); {
	case r < 0.45:
		nc = 0
	case r < 0.85:
		nc = 1
	default:
		nc = 2
	}
	for i := 0; i < nc; i++ {
		op, key, vals := s.condition()
		if st.Condition == nil {
			st.Condition = map[string]map[string]any{}
		}
		if st.Condition[op] == nil {
			st.Condition[op] = map[string]any{}
		}
		st.Condition[op][key] = vals
	}
	return st
}

func (s *stmtGen) actionValue() any {
	g := s.g
	svc, name, _ := strings.Cut(s.act, ":")
	var out []string
	n := 1 + g.r.IntN(2)
	for i := 0; i < n; i++ {
		switch r := g.r.IntN(9); r {
		case 0, 1:
			out = append(out, s.act)
		case 2:
			out = append(out, svc+":*")
		case 3:
			if len(name) > 3 {
				out = append(out, svc+":"+name[:3]+"*")
			} else {
				out = append(out, s.act)
			}
		case 4:
			if len(name) > 2 {
				out = append(out, svc+":"+name[:1]+"?"+name[2:])
			} else {
				out = append(out, s.act)
			}
		case 5:
			out = append(out, strings.ToUpper(svc)+":"+strings.ToLower(name))
		case 6:
			other := s.a.Service.Actions[g.r.IntN(len(s.a.Service.Actions))]
			out = append(out, other.FullName())
		case 7:
			out = append(out, "*")
		default:
			out = append(out, svc+":*"+name[len(name)/2:])
		}
	}
	if len(out) == 1 && g.chance(0.5) {
		return out[0]
	}
	return out
}

func (s *stmtGen) resourceValue() any {
	g := s.g
	var out []string
	n := 1 + g.r.IntN(2)
	for i := 0; i < n; i++ {
		out = append(out, s.oneResource())
	}
	if len(out) == 1 && g.chance(0.5) {
		return out[0]
	}
	return out
}

var variables = []string{"${aws:username}", "${aws:PrincipalTag/team}", "${aws:PrincipalTag/missing}", "${aws:PrincipalAccount}"}

func (s *stmtGen) oneResource() string {
	g := s.g
	r := s.resource
	if r == "*" {
		if g.chance(0.8) {
			return "*"
		}
		svc, _, _ := strings.Cut(s.act, ":")
		return "arn:aws:" + strings.ToLower(svc) + ":*:*:*"
	}
	parts := strings.SplitN(r, ":", 6)
	switch g.r.IntN(11) {
	case 0, 1, 2:
		return r
	case 3:
		return "*"
	case 4:
		// Prefix wildcard on the resource part.
		if len(parts) == 6 && len(parts[5]) > 2 {
			return strings.Join(parts[:5], ":") + ":" + parts[5][:len(parts[5])/2] + "*"
		}
		return r
	case 5:
		// Every resource of the service, written in full or incomplete.
		s.c.tag("arn-shapes")
		if g.chance(0.5) {
			return "arn:aws:" + parts[2] + ":*:*:*"
		}
		return "arn:aws:" + parts[2]
	case 6:
		// Another account's or region's resource.
		if len(parts) == 6 && parts[4] != "" {
			return strings.Join(parts[:4], ":") + ":" + AcctB + ":" + parts[5]
		}
		return r + "-other"
	case 7:
		// A policy variable in the resource part.
		s.c.tag("policy-variable")
		if len(parts) == 6 {
			i := strings.LastIndexAny(parts[5], "/:")
			return strings.Join(parts[:5], ":") + ":" + parts[5][:i+1] + g.pick(variables) + g.pick([]string{"", "*"})
		}
		return r
	case 8:
		// A single-character wildcard.
		if len(r) > 10 {
			i := len(r) - 2
			return r[:i] + "?" + r[i+1:]
		}
		return r
	case 9:
		return "arn:aws:" + parts[2] + ":*:" + s.resAcct + ":*"
	default:
		return r + "x"
	}
}

func (s *stmtGen) principalValue() any {
	g := s.g
	p := s.p
	acct := p.account
	if acct == "" {
		acct = AcctA
	}
	var v string
	switch g.r.IntN(8) {
	case 0:
		return "*"
	case 1:
		return map[string]any{"AWS": "*"}
	case 2:
		if p.kind == "anonymous" {
			return "*"
		}
		v = p.arn
		if p.kind == "session" && g.chance(0.6) {
			v = p.roleARN()
		}
	case 3:
		v = "arn:aws:iam::" + acct + ":root"
	case 4:
		v = acct
	case 5:
		v = "arn:aws:iam::" + AcctB + ":root"
		if acct == AcctB {
			v = "arn:aws:iam::" + AcctA + ":root"
		}
	case 6:
		return map[string]any{"Service": "lambda.amazonaws.com"}
	default:
		v = "arn:aws:iam::" + AcctA + ":user/alice"
	}
	return map[string]any{"AWS": v}
}

// rcp draws a data-perimeter style RCP: Deny with Principal "*".
func (s *stmtGen) rcp() Doc {
	g := s.g
	svc, _, _ := strings.Cut(s.act, ":")
	st := Stmt{Effect: "Deny", Principal: "*", Resource: "*"}
	// RCPs cannot use "*" as the action (AWS Organizations User Guide,
	// "Resource control policies": syntax).
	switch g.r.IntN(3) {
	case 0:
		st.Action = []string{strings.ToLower(svc) + ":*", "s3:*"}
	case 1:
		st.Action = strings.ToLower(svc) + ":*"
	default:
		st.Action = s.act
	}
	op, key, vals := s.condition()
	st.Condition = map[string]map[string]any{op: {key: vals}}
	return Doc{Version: "2012-10-17", Statement: []Stmt{st}}
}

var opsByType = map[string][]string{
	"String":    {"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"},
	"Numeric":   {"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals"},
	"Date":      {"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"},
	"Bool":      {"Bool"},
	"IPAddress": {"IpAddress", "NotIpAddress"},
	"ARN":       {"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"},
}

func (s *stmtGen) condition() (string, string, any) {
	g := s.g
	k := s.keys[g.r.IntN(len(s.keys))]
	base := strings.TrimPrefix(k.typ, "ArrayOf")
	multi := strings.HasPrefix(k.typ, "ArrayOf")
	if _, ok := opsByType[base]; !ok {
		base = "String"
	}
	if g.chance(0.07) {
		s.c.tag("null-condition")
		return "Null", k.name, g.pick([]string{"true", "false"})
	}
	op := g.pick(opsByType[base])
	if g.chance(0.25) {
		op += "IfExists"
		s.c.tag("if-exists")
	}
	setOp := (multi && g.chance(0.85)) || (!multi && g.chance(0.08))
	if setOp {
		op = g.pick([]string{"ForAnyValue:", "ForAllValues:"}) + op
		s.c.tag("set-operator")
	}
	n := 1 + g.r.IntN(3)
	var vals []string
	for i := 0; i < n; i++ {
		vals = append(vals, s.condValue(base, k))
	}
	if n == 1 && g.chance(0.5) {
		return op, k.name, vals[0]
	}
	return op, k.name, vals
}

func (s *stmtGen) condValue(base string, k condKey) string {
	g := s.g
	var req []string
	switch v := k.val.(type) {
	case string:
		req = []string{v}
	case []string:
		req = v
	}
	if len(req) > 0 && g.chance(0.45) {
		v := req[g.r.IntN(len(req))]
		if base == "String" || base == "ARN" {
			switch g.r.IntN(4) {
			case 0:
				if len(v) > 2 {
					return v[:2] + "*"
				}
			case 1:
				return strings.ToUpper(v)
			}
		}
		if base == "IPAddress" && strings.Contains(v, ".") {
			parts := strings.Split(v, ".")
			return parts[0] + "." + parts[1] + ".0.0/16"
		}
		return v
	}
	switch base {
	case "String":
		if g.chance(0.25) {
			s.c.tag("policy-variable")
			return g.pick(variables)
		}
		return g.pick(strVals)
	case "Numeric":
		return g.pick([]string{"60", "100", "3600", "0"})
	case "Date":
		return g.pick([]string{"2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z", "2024-06-01T12:00:00Z", "1717243200"})
	case "Bool":
		return g.pick([]string{"true", "false"})
	case "IPAddress":
		return g.pick([]string{"10.0.0.0/8", "203.0.113.0/24", "2001:db8::/32", "192.0.2.10"})
	case "ARN":
		return g.pick([]string{"arn:aws:s3:::corp-*", "arn:aws:iam::*:role/dev", "arn:aws:iam::" + AcctA + ":*", "arn:aws:sns:*:*:alerts"})
	}
	return g.pick(strVals)
}
