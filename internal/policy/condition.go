package policy

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Condition operators follow "IAM JSON policy elements: Condition
// operators" in the IAM User Guide; the set qualifiers and their handling of
// missing and empty keys follow "Set operators for multivalued context
// keys"; combination rules (AND across operators and keys, OR across values,
// NOR for negated operators) follow "Conditions with multiple context keys
// or values".

type opKind uint8

const (
	opStrEq opKind = iota + 1
	opStrEqIC
	opStrLike
	opNumEq
	opNumLt
	opNumLte
	opNumGt
	opNumGte
	opDateEq
	opDateLt
	opDateLte
	opDateGt
	opDateGte
	opBool
	opBinary
	opIP
	opArn
	opNull
)

const (
	setNone uint8 = iota
	setAny
	setAll
)

type opSpec struct {
	kind    opKind
	negated bool
}

// operators maps lower-cased operator base names.
var operators = map[string]opSpec{
	"stringequals":              {opStrEq, false},
	"stringnotequals":           {opStrEq, true},
	"stringequalsignorecase":    {opStrEqIC, false},
	"stringnotequalsignorecase": {opStrEqIC, true},
	"stringlike":                {opStrLike, false},
	"stringnotlike":             {opStrLike, true},
	"numericequals":             {opNumEq, false},
	"numericnotequals":          {opNumEq, true},
	"numericlessthan":           {opNumLt, false},
	"numericlessthanequals":     {opNumLte, false},
	"numericgreaterthan":        {opNumGt, false},
	"numericgreaterthanequals":  {opNumGte, false},
	"dateequals":                {opDateEq, false},
	"datenotequals":             {opDateEq, true},
	"datelessthan":              {opDateLt, false},
	"datelessthanequals":        {opDateLte, false},
	"dategreaterthan":           {opDateGt, false},
	"dategreaterthanequals":     {opDateGte, false},
	"bool":                      {opBool, false},
	"binaryequals":              {opBinary, false},
	"ipaddress":                 {opIP, false},
	"notipaddress":              {opIP, true},
	"arnequals":                 {opArn, false},
	"arnlike":                   {opArn, false},
	"arnnotequals":              {opArn, true},
	"arnnotlike":                {opArn, true},
	"null":                      {opNull, false},
}

type condError struct {
	code string
	msg  string
}

func (e *condError) Error() string { return e.msg }

// OperatorInfo describes a parsed condition operator name.
type OperatorInfo struct {
	Base     string // e.g. "StringLike" as written, without qualifier/suffix
	Set      string // "", "ForAnyValue", "ForAllValues"
	IfExists bool
	Negated  bool
}

// parsedOps memoizes parseOperator for operator names as written (a few
// dozen in practice; bounded).
var parsedOps = struct {
	sync.RWMutex
	m map[string]parsedOp
}{m: map[string]parsedOp{}}

type parsedOp struct {
	spec     opSpec
	set      uint8
	ifExists bool
}

func parseOperator(name string) (opSpec, uint8, bool, error) {
	parsedOps.RLock()
	po, ok := parsedOps.m[name]
	parsedOps.RUnlock()
	if ok {
		return po.spec, po.set, po.ifExists, nil
	}
	spec, set, ifExists, err := parseOperator1(name)
	if err == nil {
		parsedOps.Lock()
		if len(parsedOps.m) < 1024 {
			parsedOps.m[strings.Clone(name)] = parsedOp{spec, set, ifExists}
		}
		parsedOps.Unlock()
	}
	return spec, set, ifExists, err
}

func parseOperator1(name string) (opSpec, uint8, bool, error) {
	base := name
	set := setNone
	if i := strings.IndexByte(base, ':'); i >= 0 {
		switch strings.ToLower(base[:i]) {
		case "foranyvalue":
			set = setAny
		case "forallvalues":
			set = setAll
		default:
			return opSpec{}, 0, false, &condError{CodeUnknownOperator, fmt.Sprintf("unknown condition set qualifier %q (want ForAnyValue or ForAllValues)", trim(base[:i]))}
		}
		base = base[i+1:]
	}
	lb := strings.ToLower(base)
	ifExists := false
	if strings.HasSuffix(lb, "ifexists") {
		ifExists = true
		lb = strings.TrimSuffix(lb, "ifexists")
	}
	spec, ok := operators[lb]
	if !ok {
		return opSpec{}, 0, false, &condError{CodeUnknownOperator, fmt.Sprintf("unknown condition operator %q", trim(name))}
	}
	if spec.kind == opNull && (ifExists || set != setNone) {
		// The ...IfExists suffix and set qualifiers have no meaning for Null.
		return opSpec{}, 0, false, &condError{CodeUnknownOperator, fmt.Sprintf("condition operator %q is not valid: Null takes no IfExists suffix or set qualifier", trim(name))}
	}
	return spec, set, ifExists, nil
}

// compiledCond is a condition ready for evaluation.
type compiledCond struct {
	key      string // lower-cased
	keyID    int32
	kind     opKind
	negated  bool
	ifExists bool
	set      uint8
	hasVars  bool // a value holds a policy variable
	invalid  bool // a value can never be valid for the operator
	vals     []condVal
}

type condVal struct {
	t     tmpl
	ok    bool // pre-parsed form valid (only for values without variables)
	num   float64
	date  int64 // unix nanoseconds
	b     bool
	pfx   netip.Prefix
	lower []byte // lower-cased plain value for IgnoreCase
}

func compileCondition(c *Condition, vars bool) (compiledCond, error) {
	return compileConditionInto(c, vars, nil, nil)
}

// compileConditionInto compiles c, its values appended to vals (an empty
// slice cut from the policy's slab, or nil); a, when not nil, supplies the
// memory of variable parts and lower-cased values.
func compileConditionInto(c *Condition, vars bool, vals []condVal, a *compileArena) (compiledCond, error) {
	spec, set, ifExists, err := parseOperator(c.Operator)
	if err != nil {
		return compiledCond{}, err
	}
	if strings.TrimSpace(c.Key) == "" {
		return compiledCond{}, &condError{CodeBadConditionValue, "empty condition key"}
	}
	lk, id := internKey(c.Key)
	cc := compiledCond{key: lk, keyID: id, kind: spec.kind, negated: spec.negated, ifExists: ifExists, set: set}
	if vals == nil {
		vals = make([]condVal, 0, len(c.Values))
	}
	cc.vals = vals
	for _, v := range c.Values {
		cv := condVal{t: compileTmplIn(v, vars, a)}
		if !cv.t.hasV {
			cv.ok = true
			switch spec.kind {
			case opNumEq, opNumLt, opNumLte, opNumGt, opNumGte:
				cv.num, cv.ok = parseNumber(v)
			case opDateEq, opDateLt, opDateLte, opDateGt, opDateGte:
				cv.date, cv.ok = parseDate(v)
			case opBool:
				cv.b, cv.ok = parseBool(v)
			case opNull:
				cv.b, cv.ok = parseBool(v)
			case opIP:
				cv.pfx, cv.ok = parseCIDR(v)
			case opStrEqIC:
				cv.lower = lowerBytes(v, a)
			case opArn:
				// An ARN pattern has six colon-separated parts, or is "*".
				cv.ok = v == "*" || strings.Count(v, ":") >= 5
			}
			cc.invalid = cc.invalid || !cv.ok
		}
		cc.hasVars = cc.hasVars || cv.t.hasV
		cc.vals = append(cc.vals, cv)
	}
	return cc, nil
}

// badConditionValue reports a policy value the operator can never match
// (a malformed number, date, boolean or CIDR). IAM stores such policies; the
// value simply matches nothing, so validation reports it instead of Parse.
func badConditionValue(c *Condition) []string {
	spec, _, _, err := parseOperator(c.Operator)
	if err != nil {
		return nil
	}
	var bad []string
	for _, v := range c.Values {
		if strings.Contains(v, "${") {
			continue
		}
		ok := true
		switch spec.kind {
		case opNumEq, opNumLt, opNumLte, opNumGt, opNumGte:
			_, ok = parseNumber(v)
		case opDateEq, opDateLt, opDateLte, opDateGt, opDateGte:
			_, ok = parseDate(v)
		case opBool, opNull:
			_, ok = parseBool(v)
		case opIP:
			_, ok = parseCIDR(v)
		case opArn:
			ok = v == "*" || strings.Count(v, ":") >= 5
		}
		if !ok {
			bad = append(bad, v)
		}
	}
	return bad
}

func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// Date condition values are ISO 8601 (W3C profile) or epoch seconds
// (IAM condition operators: Date condition operators).
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006-01",
	"2006",
}

func parseDate(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	allDigits := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && !(i == 0 && c == '-') {
			allDigits = false
			break
		}
	}
	if allDigits && len(s) != 4 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > 1<<33 || n < -(1<<33) {
			return 0, false
		}
		return n * int64(time.Second), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UnixNano(), true
		}
	}
	return 0, false
}

func parseCIDR(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			if p.Bits() < 0 {
				return netip.Prefix{}, false
			}
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// eval evaluates the condition against the request context. A policy value
// whose variable cannot be resolved never makes the condition true: it
// matches nothing under a positive operator and makes a negated operator
// false ("If AWS cannot resolve a variable this might cause the entire
// statement to be invalid", IAM User Guide, "IAM policy elements: Variables
// and tags").
func (cc *compiledCond) eval(ctx *Context, sc *scratch) bool {
	vals, multi, present := ctx.getMulti(cc.keyID)
	if cc.kind == opNull {
		// Null: "true" means the key must be absent, "false" present.
		for i := range cc.vals {
			v := &cc.vals[i]
			want := v.b
			if !v.ok {
				s, _, ok := v.t.expand(ctx, sc)
				if !ok {
					continue
				}
				var okb bool
				want, okb = parseBool(string(s))
				if !okb {
					continue
				}
			}
			if want != present {
				return true
			}
		}
		return false
	}
	if !present {
		switch {
		case cc.set == setAll:
			// ForAllValues is true when the key is missing or empty.
			return true
		case cc.set == setAny:
			// ForAnyValue is false when the key is missing or empty, with
			// or without IfExists: there is no value to match (IAM User
			// Guide, "Set operators for multivalued context keys").
			return false
		case cc.ifExists:
			return true
		}
		// A missing key matches nothing; a negated operator is then true.
		return cc.negated
	}
	if cc.negated && cc.invalid {
		// A value that is not valid for the operator never makes the
		// condition true, so a negated operator holding one is false.
		return false
	}
	if cc.hasVars && cc.negated {
		for i := range cc.vals {
			if !cc.vals[i].t.resolvable(ctx) {
				return false
			}
		}
	}
	switch cc.set {
	case setAny:
		for _, v := range vals {
			if cc.matchOne(v, ctx, sc) != cc.negated {
				return true
			}
		}
		return false
	case setAll:
		for _, v := range vals {
			if cc.matchOne(v, ctx, sc) == cc.negated {
				return false
			}
		}
		return true
	}
	// No set qualifier. "Multivalued context keys require a condition set
	// operator" (IAM User Guide, "Single-valued vs. multivalued context
	// keys"): a key given as a list never satisfies a plain operator,
	// negated or not (validate warns).
	if multi {
		return false
	}
	// True when the request value matches any policy value; negated
	// operators are the NOR of the same comparisons.
	any := false
	for _, v := range vals {
		if cc.matchOne(v, ctx, sc) {
			any = true
			break
		}
	}
	return any != cc.negated
}

// matchOne reports whether request value s matches any policy value under
// the positive form of the operator.
func (cc *compiledCond) matchOne(s string, ctx *Context, sc *scratch) bool {
	switch cc.kind {
	case opStrEq, opBinary:
		for i := range cc.vals {
			p, _, ok := cc.vals[i].t.expand(ctx, sc)
			if ok && string(p) == s {
				return true
			}
		}
	case opStrEqIC:
		for i := range cc.vals {
			v := &cc.vals[i]
			if v.lower != nil {
				if equalFoldASCIIBytes(v.lower, s) || (!isASCII(s) && equalFoldBytes(v.lower, s)) {
					return true
				}
				continue
			}
			p, _, ok := v.t.expand(ctx, sc)
			if ok && equalFoldBytes(p, s) {
				return true
			}
		}
	case opStrLike:
		for i := range cc.vals {
			p, w, ok := cc.vals[i].t.expand(ctx, sc)
			if ok && glob(p, w, s, false) {
				return true
			}
		}
	case opNumEq, opNumLt, opNumLte, opNumGt, opNumGte:
		x, ok := parseNumber(s)
		if !ok {
			return false
		}
		for i := range cc.vals {
			v := &cc.vals[i]
			y := v.num
			if !v.ok {
				p, _, ok := v.t.expand(ctx, sc)
				if !ok {
					continue
				}
				if y, ok = parseNumber(string(p)); !ok {
					continue
				}
			}
			if cmpOrdered(cc.kind-opNumEq, x, y) {
				return true
			}
		}
	case opDateEq, opDateLt, opDateLte, opDateGt, opDateGte:
		x, ok := parseDate(s)
		if !ok {
			return false
		}
		for i := range cc.vals {
			v := &cc.vals[i]
			y := v.date
			if !v.ok {
				p, _, ok := v.t.expand(ctx, sc)
				if !ok {
					continue
				}
				if y, ok = parseDate(string(p)); !ok {
					continue
				}
			}
			if cmpOrdered(cc.kind-opDateEq, x, y) {
				return true
			}
		}
	case opBool:
		x, ok := parseBool(s)
		if !ok {
			return false
		}
		for i := range cc.vals {
			v := &cc.vals[i]
			y := v.b
			if !v.ok {
				p, _, ok := v.t.expand(ctx, sc)
				if !ok {
					continue
				}
				if y, ok = parseBool(string(p)); !ok {
					continue
				}
			}
			if x == y {
				return true
			}
		}
	case opIP:
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return false
		}
		a = a.Unmap()
		for i := range cc.vals {
			v := &cc.vals[i]
			pfx := v.pfx
			if !v.ok {
				p, _, ok := v.t.expand(ctx, sc)
				if !ok {
					continue
				}
				if pfx, ok = parseCIDR(string(p)); !ok {
					continue
				}
			}
			if pfx.Contains(a) {
				return true
			}
		}
	case opArn:
		for i := range cc.vals {
			p, w, ok := cc.vals[i].t.expand(ctx, sc)
			if ok && arnMatch(p, w, s) {
				return true
			}
		}
	}
	return false
}

// cmpOrdered applies Equals/LessThan/LessThanEquals/GreaterThan/
// GreaterThanEquals (rel 0..4) to x (request) and y (policy).
func cmpOrdered[T int64 | float64](rel opKind, x, y T) bool {
	switch rel {
	case 0:
		return x == y
	case 1:
		return x < y
	case 2:
		return x <= y
	case 3:
		return x > y
	case 4:
		return x >= y
	}
	return false
}

// arnMatch compares an ARN with an ARN pattern component by component:
// "Each of the six colon-delimited components of the ARN is checked
// separately and each can include multi-character match wildcards (*) or
// single-character match wildcards (?)" (IAM condition operators: ARN).
// A pattern that is not six components long matches nothing, except a lone
// "*" which matches any value.
func arnMatch(p []byte, wild []bool, s string) bool {
	if len(p) == 1 && p[0] == '*' && (wild == nil || wild[0]) {
		return true
	}
	var pc [6][2]int
	n := 0
	start := 0
	for i := 0; i < len(p) && n < 5; i++ {
		if p[i] == ':' {
			pc[n] = [2]int{start, i}
			n++
			start = i + 1
		}
	}
	if n < 5 {
		return false
	}
	pc[5] = [2]int{start, len(p)}
	var sc [6][2]int
	m := 0
	start = 0
	for i := 0; i < len(s) && m < 5; i++ {
		if s[i] == ':' {
			sc[m] = [2]int{start, i}
			m++
			start = i + 1
		}
	}
	if m < 5 {
		return false
	}
	sc[5] = [2]int{start, len(s)}
	for k := 0; k < 6; k++ {
		var w []bool
		if wild != nil {
			w = wild[pc[k][0]:pc[k][1]]
		}
		if !glob(p[pc[k][0]:pc[k][1]], w, s[sc[k][0]:sc[k][1]], false) {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// equalFoldBytes is strings.EqualFold for a byte slice and a string,
// without converting either.
func equalFoldBytes(b []byte, s string) bool {
	for len(b) > 0 && len(s) > 0 {
		r1, n1 := utf8.DecodeRune(b)
		r2, n2 := utf8.DecodeRuneInString(s)
		b, s = b[n1:], s[n2:]
		if r1 == r2 {
			continue
		}
		if unicode.ToLower(r1) != unicode.ToLower(r2) && unicode.ToUpper(r1) != unicode.ToUpper(r2) {
			return false
		}
	}
	return len(b) == 0 && len(s) == 0
}

// lowerBytes is strings.ToLower(v) as bytes, in a's memory when a is not
// nil and v is ASCII.
func lowerBytes(v string, a *compileArena) []byte {
	if a == nil {
		return []byte(strings.ToLower(v))
	}
	for i := 0; i < len(v); i++ {
		if v[i] >= utf8.RuneSelf {
			return []byte(strings.ToLower(v))
		}
	}
	b := carve(&a.lower, len(v), 2048)
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}
