package policy

import (
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Catalog is what validation needs from the IAM service authorization
// catalog (package catalog implements it; validation works without one and
// then skips the checks that need it).
type Catalog interface {
	// ActionExists reports whether "service:Action" exists (case-insensitive).
	ActionExists(name string) bool
	// ExpandActions returns the canonical names matching an IAM action
	// wildcard pattern.
	ExpandActions(pattern string) []string
	// ResourceARNMatchesAction reports whether arn matches a resource type
	// the action accepts; known is false when the catalog cannot tell.
	ResourceARNMatchesAction(action, arn string) (known bool, ok bool)
	// ActionHasResourceLevel reports whether the action supports
	// resource-level permissions.
	ActionHasResourceLevel(action string) bool
}

// Validation codes, stable across releases. Parse codes are in policy.go.
const (
	CodeActionNotFound       = "ACTION_NOT_FOUND"
	CodeServiceNotFound      = "SERVICE_NOT_FOUND"
	CodePatternNoMatch       = "ACTION_PATTERN_MATCHES_NOTHING"
	CodeResourceNoMatch      = "RESOURCE_MATCHES_NO_ACTION"
	CodeSCPUnsupported       = "SCP_UNSUPPORTED_FEATURE"
	CodeRCPUnsupported       = "RCP_UNSUPPORTED_FEATURE"
	CodeTrustUnsupported     = "TRUST_UNSUPPORTED_FEATURE"
	CodePolicyTooLarge       = "POLICY_SIZE_EXCEEDED"
	CodeConditionNeverMatch  = "CONDITION_VALUE_NEVER_MATCHES"
	CodeVariablesLiteral     = "POLICY_VARIABLES_WITHOUT_VERSION"
	CodeVariableMalformed    = "VARIABLE_MALFORMED"
	CodeVariableUnsupported  = "VARIABLE_NOT_SUPPORTED_HERE"
	CodeMissingVersion       = "POLICY_MISSING_VERSION"
	CodeFullAccess           = "SECURITY_ALLOW_ALL"
	CodePassRoleWildcard     = "SECURITY_PASSROLE_WILDCARD"
	CodeAllowNotAction       = "SECURITY_ALLOW_WITH_NOTACTION"
	CodeAllowNotPrincipal    = "SECURITY_ALLOW_WITH_NOTPRINCIPAL"
	CodePublicPrincipal      = "SECURITY_PUBLIC_PRINCIPAL"
	CodeRedundantStatement   = "SUGGEST_REDUNDANT_STATEMENT"
	CodeWildcardSingleAction = "SUGGEST_WILDCARD_SINGLE_ACTION"
)

// Size limits in characters (AWS Organizations quotas: SCP 10,240 since
// 2026-05 (shared/AWS-FACTS.md), RCP 5,120; IAM quotas: managed policy
// 6,144 non-whitespace characters).
var sizeLimits = map[Type]int{TypeSCP: 10240, TypeRCP: 5120, TypeIdentity: 6144, TypeBoundary: 6144}

// Validate checks a policy document in the spirit of IAM Access Analyzer's
// policy checks and returns every issue, errors first, in document order.
// cat may be nil.
func Validate(data []byte, t Type, cat Catalog) []Issue {
	p, issues := parse(data, t)
	v := &validator{data: data, t: t, cat: cat, issues: issues}
	if p != nil {
		v.policy(p)
	}
	sort.SliceStable(v.issues, func(i, j int) bool {
		a, b := v.issues[i], v.issues[j]
		if ra, rb := sevRank(a.Severity), sevRank(b.Severity); ra != rb {
			return ra < rb
		}
		return a.offset < b.offset
	})
	return v.issues
}

func sevRank(s string) int {
	switch s {
	case SevError:
		return 0
	case SevWarning:
		return 1
	}
	return 2
}

type validator struct {
	data   []byte
	t      Type
	cat    Catalog
	issues []Issue
}

func (v *validator) add(st *Statement, code, sev string, off int, path, msg string) {
	l, c := LineCol(v.data, off)
	is := Issue{Code: code, Severity: sev, Message: msg, Path: path, Line: l, Column: c, Statement: -1, offset: off}
	if st != nil {
		is.Statement, is.Sid = st.Index, st.Sid
	}
	v.issues = append(v.issues, is)
}

// items returns the value nodes of a string-or-list element with their paths.
func items(st *Statement, elem string) ([]*Node, []string) {
	n := st.node.Get(elem)
	if n == nil {
		return nil, nil
	}
	base := st.Path + "." + elem
	if n.Kind == KindArray {
		paths := make([]string, len(n.Items))
		for i := range n.Items {
			paths[i] = base + "[" + strconv.Itoa(i) + "]"
		}
		return n.Items, paths
	}
	return []*Node{n}, []string{base}
}

func (v *validator) policy(p *Policy) {
	if limit, ok := sizeLimits[v.t]; ok {
		size := utf8.RuneCount(v.data)
		if v.t == TypeIdentity || v.t == TypeBoundary {
			size = nonSpaceRunes(v.data)
		}
		if size > limit {
			v.add(nil, CodePolicyTooLarge, SevError, 0, "$", "the policy has "+strconv.Itoa(size)+" characters; a "+v.t.String()+" policy may have at most "+strconv.Itoa(limit))
		}
	}
	usesVars := strings.Contains(string(v.data), "${")
	if p.Version == "" {
		msg := "the policy has no Version; add \"Version\": \"2012-10-17\""
		sev := SevSuggestion
		if usesVars {
			msg = "the policy has no Version, so ${...} policy variables are literal text; add \"Version\": \"2012-10-17\""
			sev = SevWarning
		}
		code := CodeMissingVersion
		if usesVars {
			code = CodeVariablesLiteral
		}
		v.add(nil, code, sev, 0, "$", msg)
	} else if p.Version == Version2008 && usesVars {
		v.add(nil, CodeVariablesLiteral, SevWarning, 0, "$.Version", "Version 2008-10-17 treats ${...} policy variables as literal text; use 2012-10-17")
	}
	for _, st := range p.Statements {
		v.statement(p, st)
	}
	v.redundant(p)
}

func nonSpaceRunes(b []byte) int {
	n := 0
	for _, r := range string(b) {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			n++
		}
	}
	return n
}

func (v *validator) statement(p *Policy, st *Statement) {
	if st.node == nil {
		return
	}
	actionElem := "Action"
	if st.NotAction {
		actionElem = "NotAction"
	}
	anodes, apaths := items(st, actionElem)

	// Type-specific features.
	switch v.t {
	case TypeRCP:
		if st.Effect == Allow {
			v.add(st, CodeRCPUnsupported, SevError, st.Offset, st.Path+".Effect", "RCPs support only Deny statements; the AWS-managed RCPFullAWSAccess provides the Allow")
		}
		if st.NotPrincipal {
			v.add(st, CodeRCPUnsupported, SevError, st.Offset, st.Path+".NotPrincipal", "RCPs do not support NotPrincipal; use Principal \"*\" with conditions")
		} else if st.Principal != nil && !(st.Principal.Wildcard && len(st.Principal.Service)+len(st.Principal.Federated)+len(st.Principal.CanonicalUser) == 0) {
			v.add(st, CodeRCPUnsupported, SevError, st.Offset, st.Path+".Principal", "the Principal of an RCP statement must be \"*\"; restrict principals with conditions")
		}
		if st.NotAction {
			v.add(st, CodeRCPUnsupported, SevError, st.Offset, st.Path+".NotAction", "RCPs do not support NotAction")
		}
	case TypeTrust:
		if st.NotPrincipal {
			v.add(st, CodeTrustUnsupported, SevError, st.Offset, st.Path+".NotPrincipal", "a role trust policy cannot use NotPrincipal")
		}
	case TypeSCP:
		// Principal/NotPrincipal are reported by the parser; SCPs have no
		// other unsupported element since SCPs gained the full policy
		// language, but wildcard-only Allow is the common intent.
	}

	// Actions against the catalog.
	var expanded []string
	allActions := false
	if v.cat != nil && !st.NotAction {
		for i, n := range anodes {
			if n.Kind != KindString {
				continue
			}
			a := n.Str
			if a == "*" {
				allActions = true
				continue
			}
			if !strings.ContainsAny(a, "*?") {
				if !v.cat.ActionExists(a) {
					v.add(st, CodeActionNotFound, SevError, n.Offset, apaths[i], "action "+strconv.Quote(trim(a))+" does not exist in the IAM catalog")
					continue
				}
				expanded = append(expanded, a)
				continue
			}
			names := v.cat.ExpandActions(a)
			switch len(names) {
			case 0:
				v.add(st, CodePatternNoMatch, SevError, n.Offset, apaths[i], "action pattern "+strconv.Quote(trim(a))+" matches no action in the IAM catalog")
			case 1:
				v.add(st, CodeWildcardSingleAction, SevSuggestion, n.Offset, apaths[i], "action pattern "+strconv.Quote(trim(a))+" matches only "+names[0]+"; name the action")
			}
			expanded = append(expanded, names...)
		}
	}

	// Resources against the actions' resource types.
	if v.cat != nil && !st.NotAction && !st.NotResource && !allActions && len(expanded) > 0 {
		rnodes, rpaths := items(st, "Resource")
		for i, n := range rnodes {
			if n.Kind != KindString || n.Str == "*" || strings.Contains(n.Str, "${") {
				continue
			}
			anyOK, allKnown := false, true
			for _, a := range expanded {
				known, ok := v.cat.ResourceARNMatchesAction(a, arnForCatalog(v.t, n.Str))
				if !known {
					allKnown = false
					break
				}
				if ok {
					anyOK = true
					break
				}
			}
			if allKnown && !anyOK {
				v.add(st, CodeResourceNoMatch, SevError, n.Offset, rpaths[i], "resource "+strconv.Quote(trim(n.Str))+" matches no resource type of the statement's actions")
			}
		}
	}

	// Policy variables: malformed ones are literal text; Action and
	// Principal do not support variables (IAM User Guide, "IAM policy
	// elements: Variables and tags": "Where you can use policy variables").
	if p.Variables {
		check := func(elem string) {
			nodes, paths := items(st, elem)
			for i, n := range nodes {
				if n.Kind == KindString && strings.Contains(n.Str, "${") && !compileTmpl(n.Str, true).hasV {
					v.add(st, CodeVariableMalformed, SevWarning, n.Offset, paths[i], "\""+trim(n.Str)+"\" contains \"${\" but no valid policy variable; it is literal text")
				}
			}
		}
		check("Resource")
		check("NotResource")
		for _, elem := range []string{actionElem} {
			nodes, paths := items(st, elem)
			for i, n := range nodes {
				if n.Kind == KindString && strings.Contains(n.Str, "${") {
					v.add(st, CodeVariableUnsupported, SevWarning, n.Offset, paths[i], "policy variables are not supported in "+elem+"; \""+trim(n.Str)+"\" is literal text")
				}
			}
		}
	}

	v.statementMore(st)

	// Conditions whose values can never match.
	for i := range st.Conditions {
		c := &st.Conditions[i]
		for _, bad := range badConditionValue(c) {
			v.add(st, CodeConditionNeverMatch, SevWarning, c.Offset, c.Path, c.Operator+" value "+strconv.Quote(trim(bad))+" is not a valid value for the operator and never matches")
		}
	}

	if st.Effect != Allow {
		return
	}
	fullAccess := false
	unconditional := len(st.Conditions) == 0
	resAll := !st.HasResource || (!st.NotResource && contains(st.Resources, "*"))
	if !st.NotAction && (contains(st.Actions, "*") || contains(st.Actions, "*:*")) && resAll && unconditional && v.t != TypeSCP && v.t != TypeBoundary {
		v.add(st, CodeFullAccess, SevWarning, st.Offset, st.Path, "the statement allows every action on every resource (\"*:*\")")
		fullAccess = true
	}
	if st.NotAction {
		v.add(st, CodeAllowNotAction, SevWarning, st.Offset, st.Path+".NotAction", "Allow with NotAction grants every action not listed, including actions AWS adds later")
	}
	if st.NotPrincipal {
		v.add(st, CodeAllowNotPrincipal, SevWarning, st.Offset, st.Path+".NotPrincipal", "Allow with NotPrincipal grants access to every principal not listed, including anonymous users")
	}
	if st.Principal != nil && !st.NotPrincipal && st.Principal.Wildcard && unconditional && v.t != TypeRCP {
		v.add(st, CodePublicPrincipal, SevWarning, st.Offset, st.Path+".Principal", "Principal \"*\" without a condition allows anyone, including anonymous users")
	}
	if !fullAccess && !st.NotAction && (v.t == TypeIdentity || v.t == TypeSession) {
		grants := false
		for i := range st.actions {
			if st.actions[i].match("iam:PassRole") {
				grants = true
				break
			}
		}
		if grants && (resAll || anyRolesWildcard(st.Resources)) && !st.NotResource {
			v.add(st, CodePassRoleWildcard, SevWarning, st.Offset, st.Path, "the statement allows iam:PassRole on every role; name the roles that may be passed")
		}
	}
}

// anyRolesWildcard reports resources such as arn:aws:iam::*:role/* that
// name every role.
func anyRolesWildcard(res []string) bool {
	for _, r := range res {
		if parts, ok := splitARN(r); ok && parts[2] == "iam" && (parts[5] == "role/*" || parts[5] == "*") {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// redundant reports statements whose effect is already granted by another
// unconditional statement of the same policy.
func (v *validator) redundant(p *Policy) {
	for i, b := range p.Statements {
		if b.NotAction || b.NotResource {
			continue
		}
		for j, a := range p.Statements {
			if i == j || a.Effect != b.Effect || len(a.Conditions) > 0 || a.NotAction || a.NotResource || a.NotPrincipal || b.NotPrincipal {
				continue
			}
			if !samePrincipal(a.Principal, b.Principal) {
				continue
			}
			if !coversAll(a, b) {
				continue
			}
			// Two identical statements: report only the later one.
			if coversAll(b, a) && len(b.Conditions) == 0 && j > i {
				continue
			}
			v.add(b, CodeRedundantStatement, SevSuggestion, b.Offset, b.Path, "statement "+stmtName(b)+" is already covered by statement "+stmtName(a)+"; remove it")
			break
		}
	}
}

func stmtName(st *Statement) string {
	if st.Sid != "" {
		return strconv.Itoa(st.Index) + " (" + st.Sid + ")"
	}
	return strconv.Itoa(st.Index)
}

func samePrincipal(a, b *Principal) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if a.Wildcard {
		return true
	}
	return strings.Join(a.AWS, "\x00") == strings.Join(b.AWS, "\x00") &&
		strings.Join(a.Service, "\x00") == strings.Join(b.Service, "\x00") &&
		strings.Join(a.Federated, "\x00") == strings.Join(b.Federated, "\x00") &&
		strings.Join(a.CanonicalUser, "\x00") == strings.Join(b.CanonicalUser, "\x00")
}

// coversAll reports whether every action and resource pattern of b is
// matched by a pattern of a (a wildcard pattern is treated as text, which
// is exact for the usual "s3:*" covers "s3:Get*" cases).
func coversAll(a, b *Statement) bool {
	for _, ba := range b.Actions {
		ok := false
		for i := range a.actions {
			if a.actions[i].match(ba) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if !a.HasResource {
		return true
	}
	if !b.HasResource {
		return false
	}
	for _, br := range b.Resources {
		ok := false
		for i := range a.resources {
			if !a.resources[i].hasV && glob(a.resources[i].plain(), nil, br, false) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// arnForCatalog completes an incomplete ARN the way evaluation reads it.
func arnForCatalog(t Type, r string) string {
	if t == TypeIdentity || t == TypeBoundary || t == TypeSession {
		return completeARN(r)
	}
	return r
}
