// Package policy parses, validates and evaluates AWS IAM policy documents of
// every type (identity, resource, trust, permissions boundary, session, SCP,
// RCP) and implements AWS's documented policy evaluation logic for a single
// request. See docs/policy.md for the AWS pages each rule follows.
package policy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/seiri-dev/seiri/internal/textenc"
)

// Type is the kind of a policy document; it decides which elements are
// allowed (Principal only in resource-based policies, for example).
type Type uint8

const (
	TypeIdentity Type = iota
	TypeResource
	TypeTrust
	TypeBoundary
	TypeSession
	TypeSCP
	TypeRCP
	// TypeEndpoint is a VPC endpoint policy: resource-based, but a
	// statement without Principal applies to every principal (Amazon VPC
	// User Guide, "Control access to VPC endpoints using endpoint
	// policies").
	TypeEndpoint
)

var typeNames = [...]string{"identity", "resource", "trust", "boundary", "session", "scp", "rcp", "endpoint"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

// ParseType converts a --type flag value.
func ParseType(s string) (Type, error) {
	for i, n := range typeNames {
		if strings.EqualFold(s, n) {
			return Type(i), nil
		}
	}
	if strings.EqualFold(s, "permissions-boundary") || strings.EqualFold(s, "permission-boundary") {
		return TypeBoundary, nil
	}
	return 0, fmt.Errorf("unknown policy type %q (want identity, resource, trust, boundary, session, scp, rcp or endpoint)", trim(s))
}

// resourceBased reports whether statements carry a Principal.
func (t Type) resourceBased() bool {
	return t == TypeResource || t == TypeTrust || t == TypeRCP || t == TypeEndpoint
}

// Effect of a statement.
type Effect uint8

const (
	Allow Effect = iota + 1
	Deny
)

func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return ""
}

// Policy versions. Policy variables are only substituted under 2012-10-17;
// under 2008-10-17 or with no Version they are literal text.
// (IAM User Guide, "IAM JSON policy elements: Version".)
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Policy is a parsed and compiled policy document. It is immutable after
// Parse and safe for concurrent evaluation.
type Policy struct {
	Type       Type
	Version    string
	ID         string
	Statements []*Statement
	// Variables reports whether ${...} policy variables are substituted.
	Variables bool

	byEffect [3][]*Statement // statements indexed by Effect, for evaluation
}

// Statement is one statement of a policy.
type Statement struct {
	Index  int    // position in the Statement list (0-based)
	Sid    string // may be empty
	Effect Effect
	Path   string // JSON path, e.g. $.Statement[2]
	Offset int    // byte offset of the statement object

	Actions   []string // Action or NotAction values as written
	NotAction bool

	Resources   []string // Resource or NotResource values as written
	NotResource bool
	HasResource bool // false when neither Resource nor NotResource is present

	Principal    *Principal // Principal or NotPrincipal; nil when absent
	NotPrincipal bool

	Conditions []Condition

	node *Node // the decoded statement, for validation positions

	// compiled forms
	badNotResource bool // NotResource holds a malformed ARN: never applies
	actions        []actionPattern
	resources      []tmpl
	conds          []compiledCond
}

// Principal is the content of a Principal or NotPrincipal element.
type Principal struct {
	Wildcard      bool // "Principal": "*" (or {"AWS":"*"})
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// Condition is one (operator, key, values) triple of a Condition block.
type Condition struct {
	Operator string // as written, e.g. "ForAnyValue:StringLikeIfExists"
	Key      string // as written
	Values   []string
	Path     string // JSON path; empty in the policies of simulated cases (parseNode)
	Offset   int
}

// Issue is a problem found while parsing or validating a policy.
type Issue struct {
	Code      string `json:"code"`
	Severity  string `json:"severity"` // error | warning | suggestion
	Message   string `json:"message"`
	Path      string `json:"path"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	Statement int    `json:"statement"` // -1 when not about one statement
	Sid       string `json:"sid,omitempty"`
	offset    int
}

// Severities.
const (
	SevError      = "error"
	SevWarning    = "warning"
	SevSuggestion = "suggestion"
)

// Error is returned by Parse when the document cannot be used. It carries
// every error-level issue; Error() names the first with its position.
type Error struct {
	Issues []Issue
}

func (e *Error) Error() string {
	if len(e.Issues) == 0 {
		return "invalid policy"
	}
	is := e.Issues[0]
	msg := fmt.Sprintf("line %d, column %d: %s: %s", is.Line, is.Column, is.Path, is.Message)
	if len(e.Issues) > 1 {
		msg += fmt.Sprintf(" (and %d more errors)", len(e.Issues)-1)
	}
	return msg
}

// Parse decodes, checks and compiles a policy document of the given type.
// Any error-level issue makes it fail with *Error.
func Parse(data []byte, t Type) (*Policy, error) {
	p, issues := parse(data, t)
	var errs []Issue
	for _, is := range issues {
		if is.Severity == SevError {
			errs = append(errs, is)
		}
	}
	if len(errs) > 0 {
		return nil, &Error{Issues: errs}
	}
	// Evaluation does not need the decoded tree (only validation does):
	// drop it so that kept policies hold no garbage for the collector.
	for _, st := range p.Statements {
		st.node = nil
	}
	return p, nil
}

// MustParse is Parse for tests and literals; it panics on error.
func MustParse(doc string, t Type) *Policy {
	p, err := Parse([]byte(doc), t)
	if err != nil {
		panic(err)
	}
	return p
}

type parser struct {
	data   []byte
	t      Type
	issues []Issue
	stmt   int
	sid    string
	// lean skips what only validation reads (Condition.Path), for the
	// simulator's per-case policies; error messages still get their paths.
	lean bool

	arena *compileArena // nil: the slabs are allocated per policy

	// Slabs sized by a first pass over the document (sizeSlabs): the
	// statements' slices are cut from them, a few allocations per policy
	// instead of several per statement.
	strs     []string
	acts     []actionPattern
	lower    []byte
	res      []tmpl
	condsRaw []Condition
	conds    []compiledCond
	vals     []condVal
}

// take cuts an empty slice of capacity n from the slab (or allocates one
// when the slab is short: sizes are estimates on malformed documents).
// Appending past n reallocates, never overwriting the slab's next slice.
func take[T any](slab *[]T, n int) []T {
	s := *slab
	if cap(s)-len(s) >= n {
		*slab = s[:len(s)+n]
		return s[len(s) : len(s) : len(s)+n]
	}
	return make([]T, 0, n)
}

// listLen is the number of values of a string-or-array element.
func listLen(n *Node) int {
	if n.Kind == KindArray {
		return len(n.Items)
	}
	return 1
}

// sizeSlabs counts what the statements will need and allocates the slabs.
func (ps *parser) sizeSlabs(stmts []*Node) {
	var strs, acts, lower, res, conds, vals int
	for _, sn := range stmts {
		if sn.Kind != KindObject {
			continue
		}
		for _, m := range sn.Members {
			switch m.Key {
			case "Action", "NotAction":
				k := listLen(m.Value)
				strs += k
				acts += k
				if m.Value.Kind == KindArray {
					for _, it := range m.Value.Items {
						lower += len(it.Str)
					}
				} else {
					lower += len(m.Value.Str)
				}
			case "Resource", "NotResource":
				k := listLen(m.Value)
				strs += k
				res += k
			case "Principal", "NotPrincipal":
				if m.Value.Kind == KindObject {
					for _, pm := range m.Value.Members {
						strs += listLen(pm.Value)
					}
				}
			case "Condition":
				for _, op := range m.Value.Members {
					if op.Value == nil || op.Value.Kind != KindObject {
						continue
					}
					for _, kv := range op.Value.Members {
						conds++
						k := listLen(kv.Value)
						strs += k
						vals += k
					}
				}
			}
		}
	}
	if a := ps.arena; a != nil {
		ps.strs = carve(&a.strs, strs, 128)
		ps.acts = carve(&a.acts, acts, 32)
		ps.lower = carve(&a.lower, lower, 2048)
		ps.res = carve(&a.res, res, 32)
		ps.condsRaw = carve(&a.condsRaw, conds, 16)
		ps.conds = carve(&a.conds, conds, 16)
		ps.vals = carve(&a.vals, vals, 16)
		return
	}
	ps.strs = make([]string, 0, strs)
	ps.acts = make([]actionPattern, 0, acts)
	ps.lower = make([]byte, 0, lower)
	ps.res = make([]tmpl, 0, res)
	if conds > 0 {
		ps.condsRaw = make([]Condition, 0, conds)
		ps.conds = make([]compiledCond, 0, conds)
		ps.vals = make([]condVal, 0, vals)
	}
}

// compileArena hands out the memory of short-lived compiled policies in
// chunks: the simulator's uncached policies, which live as long as their
// case (a CaseResult keeps no compiled policy; cached policies are
// compiled on their own memory). reset makes the chunks reusable for the
// next case, so that a stream of never-seen documents compiles without
// allocating once the chunks have grown.
type compileArena struct {
	policies chunks[Policy]
	stmts    chunks[Statement]
	stmtPtrs chunks[*Statement]
	strs     chunks[string]
	acts     chunks[actionPattern]
	lower    chunks[byte]
	res      chunks[tmpl]
	parts    chunks[tmplPart]
	condsRaw chunks[Condition]
	conds    chunks[compiledCond]
	vals     chunks[condVal]
	prins    chunks[Principal]
	// A case's policy lists and SCP/RCP levels.
	lists  chunks[*Policy]
	levels chunks[[]*Policy]
}

// reset makes every chunk reusable: no policy compiled before may be used
// afterwards.
func (a *compileArena) reset() {
	a.policies.reset()
	a.stmts.reset()
	a.stmtPtrs.reset()
	a.strs.reset()
	a.acts.reset()
	a.lower.reset()
	a.res.reset()
	a.parts.reset()
	a.condsRaw.reset()
	a.conds.reset()
	a.vals.reset()
	a.prins.reset()
	a.lists.reset()
	a.levels.reset()
}

// carve cuts an empty slice of capacity n from the arena (see chunks.alloc).
func carve[T any](c *chunks[T], n, chunk int) []T {
	return c.alloc(n, chunk)[:0]
}

func (ps *parser) add(code, sev string, off int, path, format string, args ...any) {
	l, c := LineCol(ps.data, off)
	ps.issues = append(ps.issues, Issue{
		Code: code, Severity: sev, Message: fmt.Sprintf(format, args...),
		Path: path, Line: l, Column: c, Statement: ps.stmt, Sid: ps.sid, offset: off,
	})
}

// Issue codes that parsing produces (validation adds more in validate.go).
const (
	CodeInvalidJSON        = "POLICY_INVALID_JSON"
	CodeNotObject          = "POLICY_NOT_OBJECT"
	CodeUnknownElement     = "POLICY_UNKNOWN_ELEMENT"
	CodeDuplicateElement   = "POLICY_DUPLICATE_ELEMENT"
	CodeBadVersion         = "POLICY_INVALID_VERSION"
	CodeMissingStatement   = "POLICY_MISSING_STATEMENT"
	CodeBadType            = "POLICY_WRONG_JSON_TYPE"
	CodeMissingEffect      = "STATEMENT_MISSING_EFFECT"
	CodeBadEffect          = "STATEMENT_INVALID_EFFECT"
	CodeMissingAction      = "STATEMENT_MISSING_ACTION"
	CodeActionAndNot       = "STATEMENT_ACTION_AND_NOTACTION"
	CodeBadAction          = "STATEMENT_INVALID_ACTION"
	CodeMissingResource    = "STATEMENT_MISSING_RESOURCE"
	CodeResourceAndNot     = "STATEMENT_RESOURCE_AND_NOTRESOURCE"
	CodeResourceInTrust    = "STATEMENT_RESOURCE_IN_TRUST_POLICY"
	CodePrincipalAndNot    = "STATEMENT_PRINCIPAL_AND_NOTPRINCIPAL"
	CodeUnexpectedPrinc    = "STATEMENT_PRINCIPAL_NOT_ALLOWED"
	CodeMissingPrincipal   = "STATEMENT_MISSING_PRINCIPAL"
	CodeBadPrincipal       = "STATEMENT_INVALID_PRINCIPAL"
	CodeUnknownOperator    = "CONDITION_UNKNOWN_OPERATOR"
	CodeBadConditionValue  = "CONDITION_INVALID_VALUE"
	CodeEmptyConditionList = "CONDITION_EMPTY"
	CodeDuplicateSid       = "STATEMENT_DUPLICATE_SID"
)

func parse(data []byte, t Type) (*Policy, []Issue) {
	data, encErr := textenc.UTF8(data) // a UTF-8 BOM is dropped; UTF-16 is refused
	ps := &parser{data: data, t: t, stmt: -1}
	if encErr != nil {
		ps.add(CodeInvalidJSON, SevError, 0, "$", "%v", encErr)
		return nil, ps.issues
	}
	root, err := DecodeJSON(data)
	if err != nil {
		se, ok := err.(*SyntaxError)
		off := 0
		if ok {
			off = se.Offset
			ps.add(CodeInvalidJSON, SevError, off, "$", "invalid JSON: %s", se.Msg)
		} else {
			ps.add(CodeInvalidJSON, SevError, off, "$", "invalid JSON: %v", err)
		}
		return nil, ps.issues
	}
	return ps.document(root), ps.issues
}

// parseNode parses an already decoded policy; data is the buffer the node's
// offsets point into (for line and column numbers).
//
// arena, when not nil, supplies the policy's memory in chunks shared with
// other short-lived policies (the simulator's uncached ones) and reused by
// the next case: no allocation once the chunks have grown. A policy that
// may be kept (cached) is compiled without one: the arena's memory is
// overwritten after its case.
func parseNode(data []byte, root *Node, t Type, arena *compileArena) (*Policy, error) {
	ps := &parser{data: data, t: t, stmt: -1, lean: true, arena: arena}
	p := ps.document(root)
	var errs []Issue
	for _, is := range ps.issues {
		if is.Severity == SevError {
			errs = append(errs, is)
		}
	}
	if len(errs) > 0 {
		return nil, &Error{Issues: errs}
	}
	for _, st := range p.Statements {
		st.node = nil
	}
	return p, nil
}

func (ps *parser) document(root *Node) *Policy {
	if root.Kind != KindObject {
		ps.add(CodeNotObject, SevError, root.Offset, "$", "a policy must be a JSON object, found %s", root.Kind)
		return nil
	}
	var p *Policy
	if ps.arena != nil {
		p = &carve(&ps.arena.policies, 1, 16)[:1][0]
		*p = Policy{} // reused memory
	} else {
		p = &Policy{}
	}
	p.Type = ps.t
	var seen []string // unknown elements met (known ones: seenBits)
	var seenBits uint8
	var stmtNode *Node
	for _, m := range root.Members {
		path := func() string { return "$." + m.Key }
		bit := uint8(0)
		switch m.Key {
		case "Version":
			bit = 1
		case "Id":
			bit = 2
		case "Statement":
			bit = 4
		}
		dup := seenBits&bit != 0
		if bit == 0 {
			dup = slices.Contains(seen, m.Key)
			seen = append(seen, m.Key)
		}
		if dup {
			ps.add(CodeDuplicateElement, SevError, m.KeyOffset, path(), "element %q appears more than once", trim(m.Key))
			continue
		}
		seenBits |= bit
		switch m.Key {
		case "Version":
			if m.Value.Kind != KindString {
				ps.add(CodeBadVersion, SevError, m.Value.Offset, path(), "Version must be a string, found %s", m.Value.Kind)
				continue
			}
			if m.Value.Str != Version2012 && m.Value.Str != Version2008 {
				ps.add(CodeBadVersion, SevError, m.Value.Offset, path(), "Version %q is not %q or %q", trim(m.Value.Str), Version2012, Version2008)
				continue
			}
			p.Version = m.Value.Str
		case "Id":
			if m.Value.Kind != KindString {
				ps.add(CodeBadType, SevError, m.Value.Offset, path(), "Id must be a string, found %s", m.Value.Kind)
				continue
			}
			p.ID = m.Value.Str
		case "Statement":
			stmtNode = m.Value
		default:
			ps.add(CodeUnknownElement, SevError, m.KeyOffset, path(), "unknown policy element %q (want Version, Id, Statement)", trim(m.Key))
		}
	}
	p.Variables = p.Version == Version2012
	if stmtNode == nil {
		ps.add(CodeMissingStatement, SevError, root.Offset, "$", "the policy has no Statement element")
		return p
	}
	var stmts []*Node
	switch stmtNode.Kind {
	case KindObject:
		stmts = []*Node{stmtNode}
	case KindArray:
		stmts = stmtNode.Items
	default:
		ps.add(CodeBadType, SevError, stmtNode.Offset, "$.Statement", "Statement must be an object or an array of objects, found %s", stmtNode.Kind)
		return p
	}
	var sids []string // a few per policy: a linear scan beats a map
	var slab []Statement
	if ps.arena != nil {
		p.Statements = carve(&ps.arena.stmtPtrs, len(stmts), 64)
		slab = carve(&ps.arena.stmts, len(stmts), 16)[:len(stmts)]
		clear(slab) // reused memory
	} else {
		p.Statements = make([]*Statement, 0, len(stmts))
		slab = make([]Statement, len(stmts)) // one allocation for all statements
	}
	ps.sizeSlabs(stmts)
	for i, sn := range stmts {
		path := "$.Statement"
		if stmtNode.Kind == KindArray {
			path = statementPath(i)
		}
		ps.stmt, ps.sid = i, ""
		if sn.Kind != KindObject {
			ps.add(CodeBadType, SevError, sn.Offset, path, "a statement must be an object, found %s", sn.Kind)
			continue
		}
		st := &slab[i]
		ps.statement(st, sn, i, path, p.Variables)
		if st.Sid != "" {
			if slices.Contains(sids, st.Sid) {
				ps.add(CodeDuplicateSid, SevError, sn.Get("Sid").Offset, path+".Sid", "Sid %q is used by more than one statement", trim(st.Sid))
			}
			sids = append(sids, st.Sid)
		}
		p.Statements = append(p.Statements, st)
	}
	ps.stmt, ps.sid = -1, ""
	nAllow, nDeny := 0, 0
	for _, st := range p.Statements {
		switch st.Effect {
		case Allow:
			nAllow++
		case Deny:
			nDeny++
		}
	}
	// One backing array for both effects.
	var be []*Statement
	if ps.arena != nil {
		be = carve(&ps.arena.stmtPtrs, nAllow+nDeny, 64)
	} else {
		be = make([]*Statement, 0, nAllow+nDeny)
	}
	for _, e := range [...]Effect{Allow, Deny} {
		start := len(be)
		for _, st := range p.Statements {
			if st.Effect == e {
				be = append(be, st)
			}
		}
		if len(be) > start {
			p.byEffect[e] = be[start:len(be):len(be)]
		}
	}
	return p
}

// statementPaths are the JSON paths of the first statements, built once.
var statementPaths = func() (out [32]string) {
	for i := range out {
		out[i] = "$.Statement[" + strconv.Itoa(i) + "]"
	}
	return out
}()

func statementPath(i int) string {
	if i < len(statementPaths) {
		return statementPaths[i]
	}
	return "$.Statement[" + strconv.Itoa(i) + "]"
}

// stringList accepts a string or an array of strings. The value's path is
// parent+"."+key, built only for a message; elem names it in messages.
func (ps *parser) stringList(n *Node, parent, key, elem string) ([]string, bool) {
	path := func() string { return parent + "." + key }
	switch n.Kind {
	case KindString:
		out := take(&ps.strs, 1)
		return append(out, n.Str), true
	case KindArray:
		out := take(&ps.strs, len(n.Items))
		ok := true
		for j, it := range n.Items {
			if it.Kind != KindString {
				ps.add(CodeBadType, SevError, it.Offset, path()+"["+strconv.Itoa(j)+"]", "%s values must be strings, found %s", elem, it.Kind)
				ok = false
				continue
			}
			out = append(out, it.Str)
		}
		return out, ok
	}
	ps.add(CodeBadType, SevError, n.Offset, path(), "%s must be a string or an array of strings, found %s", elem, n.Kind)
	return nil, false
}

func (ps *parser) statement(st *Statement, n *Node, idx int, path string, vars bool) *Statement {
	*st = Statement{Index: idx, Path: path, Offset: n.Offset, node: n}
	if sidN := n.Get("Sid"); sidN != nil && sidN.Kind == KindString {
		st.Sid = sidN.Str
		ps.sid = st.Sid
	}
	// Duplicate detection without a map: one bit per known element;
	// unknown elements are reported anyway.
	var seenBits uint16
	hasEffect := false
	var actionN, notActionN, resN, notResN, prN, notPrN *Node
	for _, m := range n.Members {
		mpath := func() string { return path + "." + m.Key }
		if bit := elementBit(m.Key); bit != 0 {
			if seenBits&bit != 0 {
				ps.add(CodeDuplicateElement, SevError, m.KeyOffset, mpath(), "element %q appears more than once", trim(m.Key))
				continue
			}
			seenBits |= bit
		}
		switch m.Key {
		case "Sid":
			if m.Value.Kind != KindString {
				ps.add(CodeBadType, SevError, m.Value.Offset, mpath(), "Sid must be a string, found %s", m.Value.Kind)
			}
		case "Effect":
			hasEffect = true
			if m.Value.Kind != KindString {
				ps.add(CodeBadEffect, SevError, m.Value.Offset, mpath(), "Effect must be the string \"Allow\" or \"Deny\", found %s", m.Value.Kind)
				continue
			}
			// Effect values are case-sensitive (IAM JSON policy elements: Effect).
			switch m.Value.Str {
			case "Allow":
				st.Effect = Allow
			case "Deny":
				st.Effect = Deny
			default:
				ps.add(CodeBadEffect, SevError, m.Value.Offset, mpath(), "Effect %q is not \"Allow\" or \"Deny\"", trim(m.Value.Str))
			}
		case "Action":
			actionN = m.Value
		case "NotAction":
			notActionN = m.Value
		case "Resource":
			resN = m.Value
		case "NotResource":
			notResN = m.Value
		case "Principal":
			prN = m.Value
		case "NotPrincipal":
			notPrN = m.Value
		case "Condition":
			st.Conditions = ps.conditions(m.Value, path)
		default:
			ps.add(CodeUnknownElement, SevError, m.KeyOffset, mpath(), "unknown statement element %q", trim(m.Key))
		}
	}
	if !hasEffect {
		ps.add(CodeMissingEffect, SevError, n.Offset, path, "the statement has no Effect")
	}

	// Action / NotAction: exactly one.
	switch {
	case actionN != nil && notActionN != nil:
		ps.add(CodeActionAndNot, SevError, notActionN.Offset, path+".NotAction", "a statement cannot have both Action and NotAction")
	case actionN == nil && notActionN == nil:
		ps.add(CodeMissingAction, SevError, n.Offset, path, "the statement has neither Action nor NotAction")
	default:
		an, name := actionN, "Action"
		if an == nil {
			an, name, st.NotAction = notActionN, "NotAction", true
		}
		if vals, ok := ps.stringList(an, path, name, name); ok {
			st.Actions = vals
			st.actions = take(&ps.acts, len(vals))
			total := 0
			for _, a := range vals {
				total += len(a)
			}
			lower := take(&ps.lower, total)
			for j, a := range vals {
				var ap actionPattern
				var err error
				ap, lower, err = compileActionInto(a, lower)
				if err != nil {
					vp := path + "." + name
					off := an.Offset
					if an.Kind == KindArray {
						vp += "[" + strconv.Itoa(j) + "]"
						off = an.Items[j].Offset
					}
					ps.add(CodeBadAction, SevError, off, vp, "%v", err)
					continue
				}
				st.actions = append(st.actions, ap)
			}
		}
	}

	// Resource / NotResource.
	switch {
	case resN != nil && notResN != nil:
		ps.add(CodeResourceAndNot, SevError, notResN.Offset, path+".NotResource", "a statement cannot have both Resource and NotResource")
	case resN == nil && notResN == nil:
		// Trust policies have no Resource: the statement is about the role
		// itself. Other resource-based policies usually name the resource,
		// but when they do not the statement applies to the resource the
		// policy is attached to. Identity-like policies require it.
		if !ps.t.resourceBased() {
			ps.add(CodeMissingResource, SevError, n.Offset, path, "the statement has neither Resource nor NotResource")
		}
	default:
		rn, name := resN, "Resource"
		if rn == nil {
			rn, name, st.NotResource = notResN, "NotResource", true
		}
		if ps.t == TypeTrust {
			ps.add(CodeResourceInTrust, SevError, rn.Offset, path+"."+name, "a role trust policy cannot contain %s", name)
		}
		if vals, ok := ps.stringList(rn, path, name, name); ok {
			st.Resources = vals
			st.HasResource = true
			st.resources = take(&ps.res, len(vals))
			for _, r := range vals {
				if ps.t == TypeIdentity || ps.t == TypeBoundary || ps.t == TypeSession {
					// In identity-based policies an incomplete ARN
					// names every resource of the service.
					r = completeARN(r)
				}
				if st.NotResource && strings.HasPrefix(r, "arn:") && strings.Count(r, ":") < 5 {
					st.badNotResource = true
				}
				st.resources = append(st.resources, compileTmplIn(r, vars, ps.arena))
			}
		}
	}

	// Principal / NotPrincipal.
	switch {
	case prN != nil && notPrN != nil:
		ps.add(CodePrincipalAndNot, SevError, notPrN.Offset, path+".NotPrincipal", "a statement cannot have both Principal and NotPrincipal")
	case prN == nil && notPrN == nil:
		if ps.t.resourceBased() && ps.t != TypeEndpoint {
			ps.add(CodeMissingPrincipal, SevError, n.Offset, path, "a %s policy statement needs a Principal", ps.t)
		}
	default:
		pn, name := prN, "Principal"
		if pn == nil {
			pn, name, st.NotPrincipal = notPrN, "NotPrincipal", true
		}
		if !ps.t.resourceBased() {
			// IAM JSON policy elements: Principal — "You cannot use the
			// Principal element in an identity-based policy"; SCPs do not
			// support it either.
			code := CodeUnexpectedPrinc
			if ps.t == TypeSCP {
				// SCP syntax: the element summary has no Principal or
				// NotPrincipal (AWS Organizations User Guide, "SCP syntax").
				code = CodeSCPUnsupported
			}
			ps.add(code, SevError, pn.Offset, path+"."+name, "%s is not allowed in %s policy", name, article(ps.t))
		}
		st.Principal = ps.principal(pn, path+"."+name)
	}
	if len(st.Conditions) > 0 {
		st.conds = take(&ps.conds, len(st.Conditions))
	}
	for i := range st.Conditions {
		cc, err := compileConditionInto(&st.Conditions[i], vars, take(&ps.vals, len(st.Conditions[i].Values)), ps.arena)
		if err != nil {
			code := CodeUnknownOperator
			if ce, ok := err.(*condError); ok {
				code = ce.code
			}
			cp := st.Conditions[i].Path
			if cp == "" {
				cp = condPath(path+".Condition", st.Conditions[i].Operator, st.Conditions[i].Key)
			}
			ps.add(code, SevError, st.Conditions[i].Offset, cp, "%v", err)
			continue
		}
		st.conds = append(st.conds, cc)
	}
	return st
}

func elementBit(k string) uint16 {
	switch k {
	case "Sid":
		return 1
	case "Effect":
		return 2
	case "Action":
		return 4
	case "NotAction":
		return 8
	case "Resource":
		return 16
	case "NotResource":
		return 32
	case "Principal":
		return 64
	case "NotPrincipal":
		return 128
	case "Condition":
		return 256
	}
	return 0
}

// appendList appends vals to dst, taking vals itself (a slab slice of
// exact capacity: a later append reallocates) when dst is empty.
func appendList(dst, vals []string) []string {
	if dst == nil {
		if len(vals) == 0 {
			return nil // as append(nil, vals...)
		}
		return vals
	}
	return append(dst, vals...)
}

func (ps *parser) principal(n *Node, path string) *Principal {
	var pr *Principal
	if ps.arena != nil {
		pr = &carve(&ps.arena.prins, 1, 16)[:1][0]
		*pr = Principal{} // reused memory
	} else {
		pr = &Principal{}
	}
	switch n.Kind {
	case KindString:
		if n.Str != "*" {
			ps.add(CodeBadPrincipal, SevError, n.Offset, path, "a string Principal must be \"*\", found %q", trim(n.Str))
			return pr
		}
		pr.Wildcard = true
		return pr
	case KindObject:
	default:
		ps.add(CodeBadPrincipal, SevError, n.Offset, path, "Principal must be \"*\" or an object, found %s", n.Kind)
		return pr
	}
	for _, m := range n.Members {
		mp := func() string { return path + "." + m.Key }
		vals, ok := ps.stringList(m.Value, path, m.Key, "principal")
		if !ok {
			continue
		}
		switch m.Key {
		case "AWS":
			for _, v := range vals {
				if v == "*" {
					pr.Wildcard = true
				}
			}
			pr.AWS = appendList(pr.AWS, vals)
		case "Service":
			pr.Service = appendList(pr.Service, vals)
		case "Federated":
			pr.Federated = appendList(pr.Federated, vals)
		case "CanonicalUser":
			pr.CanonicalUser = appendList(pr.CanonicalUser, vals)
		default:
			ps.add(CodeBadPrincipal, SevError, m.KeyOffset, mp(), "unknown principal type %q (want AWS, Service, Federated, CanonicalUser)", trim(m.Key))
		}
	}
	return pr
}

// conditions decodes the Condition block of the statement at stmtPath. Paths are built only for messages, and for
// Condition.Path unless the parser is lean.
func (ps *parser) conditions(n *Node, stmtPath string) []Condition {
	path := func() string { return stmtPath + ".Condition" } // built only when used
	if n.Kind != KindObject {
		ps.add(CodeBadType, SevError, n.Offset, path(), "Condition must be an object, found %s", n.Kind)
		return nil
	}
	nk := 0
	for _, op := range n.Members {
		if op.Value.Kind == KindObject {
			nk += len(op.Value.Members)
		}
	}
	out := take(&ps.condsRaw, nk)
	for _, op := range n.Members {
		if op.Value.Kind != KindObject {
			ps.add(CodeBadType, SevError, op.Value.Offset, path()+"."+op.Key, "condition operator %q must map to an object of keys, found %s", trim(op.Key), op.Value.Kind)
			continue
		}
		for _, kv := range op.Value.Members {
			c := Condition{Operator: op.Key, Key: kv.Key, Offset: kv.KeyOffset}
			if !ps.lean {
				c.Path = condPath(path(), op.Key, kv.Key)
			}
			addVal := func(v *Node, j int) {
				switch v.Kind {
				case KindString, KindNumber, KindBool:
					// Numbers and booleans are accepted and compared by
					// their text, as IAM does for "Bool": true.
					c.Values = append(c.Values, v.Str)
				default:
					vp := condPath(path(), op.Key, kv.Key)
					if j >= 0 {
						vp += "[" + strconv.Itoa(j) + "]"
					}
					ps.add(CodeBadConditionValue, SevError, v.Offset, vp, "condition values must be strings, numbers or booleans, found %s", v.Kind)
				}
			}
			if kv.Value.Kind == KindArray {
				c.Values = take(&ps.strs, len(kv.Value.Items))
				for j, it := range kv.Value.Items {
					addVal(it, j)
				}
			} else {
				c.Values = take(&ps.strs, 1)
				addVal(kv.Value, -1)
			}
			out = append(out, c)
		}
	}
	return out
}

// condPath is the JSON path of one condition key.
func condPath(condition, op, key string) string {
	return condition + "." + op + "." + key
}

func article(t Type) string {
	switch t {
	case TypeIdentity:
		return "an identity"
	case TypeRCP:
		return "an RCP"
	case TypeSCP:
		return "an SCP"
	}
	return "a " + t.String()
}

// completeARN pads an incomplete resource ARN with wildcard segments:
// "arn:aws:sqs" means "arn:aws:sqs:*:*:*" (IAM User Guide, "IAM JSON
// policy elements: Resource"; an ARN has six colon-separated parts).
func completeARN(r string) string {
	if !strings.HasPrefix(r, "arn:") {
		return r
	}
	n := strings.Count(r, ":")
	if n >= 5 {
		return r
	}
	return r + strings.Repeat(":*", 5-n)
}
