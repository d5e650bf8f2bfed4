package policy

import (
	"bytes"
	"fmt"
	"strings"
	"unsafe"

	"github.com/seiri-dev/seiri/internal/policy/wildcard"
)

// actionPattern is a compiled Action/NotAction value. IAM matches actions
// case-insensitively, with * and ? wildcards in the service prefix and the
// action name (IAM JSON policy elements: Action).
type actionPattern struct {
	pattern []byte // lower-cased "service:name" glob
	// svc is the length of the service prefix in pattern when the prefix
	// has no wildcard (pattern[:svc], for a quick rejection of other
	// services), else 0. Kept small: a policy compiles many patterns.
	svc     int32
	all     bool // "*"
	literal bool // no wildcard: plain case-insensitive comparison
	prefix  bool // only a trailing '*': case-insensitive prefix test of pattern[:len-1]
}

// service is the lower-cased service prefix without wildcards, or nil.
func (ap *actionPattern) service() []byte {
	if ap.svc == 0 {
		return nil
	}
	return ap.pattern[:ap.svc]
}

func compileAction(a string) (actionPattern, error) {
	ap, _, err := compileActionInto(a, nil)
	return ap, err
}

// compileActionInto compiles a, appending its lower-cased form to buf (a
// statement's actions share one buffer: one allocation, not one per
// action). Patterns keep slices of buf, which is never modified again.
func compileActionInto(a string, buf []byte) (actionPattern, []byte, error) {
	if a == "*" {
		return actionPattern{all: true}, buf, nil
	}
	// One pass: lower-case, find the colons and the wildcards; anything
	// unusual (whitespace, a colon count other than one, non-ASCII) goes
	// the careful way.
	start := len(buf)
	colon, colons, firstWild, svcWild := -1, 0, -1, false
	simple := true
	for j := 0; j < len(a); j++ {
		c := a[j]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c == ':':
			colons++
			if colon < 0 {
				colon = j
			}
		case c == '*' || c == '?':
			if firstWild < 0 {
				firstWild = j
			}
			if colon < 0 {
				svcWild = true
			}
		case c == ' ' || c == '\t' || c == '\n' || c >= 0x80:
			simple = false
		}
		buf = append(buf, c)
	}
	if !simple || colons != 1 || colon == 0 || colon == len(a)-1 {
		if ap, err := checkAction(a); err != nil {
			return ap, buf[:start], err
		}
		// Valid but not ASCII: lower-case as strings.ToLower does.
		buf = append(buf[:start], strings.ToLower(a)...)
		lower := buf[start:len(buf):len(buf)]
		ap := actionPattern{pattern: lower, literal: bytes.IndexAny(lower, "*?") < 0}
		if n := len(lower); !ap.literal && bytes.IndexAny(lower, "*?") == n-1 && lower[n-1] == '*' {
			ap.prefix = true
		}
		if svc := lower[:bytes.IndexByte(lower, ':')]; bytes.IndexAny(svc, "*?") < 0 {
			ap.svc = int32(len(svc))
		}
		return ap, buf, nil
	}
	lower := buf[start:len(buf):len(buf)]
	ap := actionPattern{pattern: lower, literal: firstWild < 0}
	if firstWild == len(a)-1 && a[firstWild] == '*' {
		ap.prefix = true
	}
	if !svcWild {
		ap.svc = int32(colon)
	}
	return ap, buf, nil
}

// checkAction reports an action value that is not "service:action".
func checkAction(a string) (actionPattern, error) {
	i := strings.IndexByte(a, ':')
	if i <= 0 || i == len(a)-1 {
		return actionPattern{}, fmt.Errorf("action %q is not \"service:action\" or \"*\"", trim(a))
	}
	if strings.IndexByte(a[i+1:], ':') >= 0 {
		return actionPattern{}, fmt.Errorf("action %q has more than one ':'", trim(a))
	}
	for _, r := range a {
		if r == ' ' || r == '\t' || r == '\n' {
			return actionPattern{}, fmt.Errorf("action %q contains whitespace", trim(a))
		}
	}
	return actionPattern{}, nil
}

func (ap *actionPattern) match(action string) bool {
	if ap.all {
		return true
	}
	if ap.literal {
		return equalFoldASCIIBytes(ap.pattern, action)
	}
	if ap.prefix {
		n := len(ap.pattern) - 1
		return len(action) >= n && equalFoldASCIIBytes(ap.pattern[:n], action[:n])
	}
	return glob(ap.pattern, nil, action, true)
}

// roBytes views a string as bytes without copying. The result is only ever
// read (patterns are immutable once compiled).
func roBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// glob reports whether s matches pattern p, where '*' matches any sequence
// (including empty) and '?' exactly one character; wild and fold as in
// wildcard.Glob, seiri's one IAM wildcard matcher, which this is.
func glob(p []byte, wild []bool, s string, fold bool) bool {
	return wildcard.Glob(p, wild, s, fold)
}

func equalFoldASCIIBytes(lowerP []byte, s string) bool {
	if len(lowerP) != len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 'A' && b <= 'Z' {
			b += 'a' - 'A'
		}
		if lowerP[i] != b {
			return false
		}
	}
	return true
}

// tmpl is a compiled string that may contain policy variables: a Resource
// value or a condition value. (IAM JSON policy elements: Variables and tags.)
type tmpl struct {
	raw   string // when no variables, plain() views it as the glob pattern (all * and ? wild)
	parts []tmplPart
	hasV  bool
	shape uint8 // for plain values: shapeGlob, shapeAll, shapeExact, shapePrefix
}

const (
	shapeGlob uint8 = iota
	shapeAll
	shapeExact
	shapePrefix
)

func shapeOf(s string) uint8 {
	switch i := indexWild(s); {
	case s == "*":
		return shapeAll
	case i < 0:
		return shapeExact
	case i == len(s)-1 && s[i] == '*':
		return shapePrefix
	}
	return shapeGlob
}

// indexWild is strings.IndexAny(s, "*?") with two vectorized byte
// searches (IndexAny builds a byte set on every call).
func indexWild(s string) int {
	i := strings.IndexByte(s, '*')
	if j := strings.IndexByte(s, '?'); j >= 0 && (i < 0 || j < i) {
		return j
	}
	return i
}

// matchPlain matches s against a variable-free pattern, case-sensitively,
// taking the shortcuts its shape allows.
func (t *tmpl) matchPlain(s string) bool {
	switch t.shape {
	case shapeAll:
		return true
	case shapeExact:
		return t.raw == s
	case shapePrefix:
		return strings.HasPrefix(s, t.raw[:len(t.raw)-1])
	}
	return glob(t.plain(), nil, s, false)
}

// plain is the variable-free pattern as bytes (no copy).
func (t *tmpl) plain() []byte { return roBytes(t.raw) }

type tmplPart struct {
	text   string // glob text as written (wildcards active)
	lit    string // literal text: ${*}, ${?}, ${$}
	key    string // lower-cased context key of a variable
	keyID  int32
	def    string // default value (literal)
	hasDef bool
	kind   uint8 // partText, partLit, partVar
}

const (
	partText uint8 = iota
	partLit
	partVar
)

// compileTmpl locates the policy variables of s. Without vars (policy
// Version 2008-10-17 or none) the text is used as is.
func compileTmpl(s string, vars bool) tmpl { return compileTmplIn(s, vars, nil) }

// compileTmplIn is compileTmpl with the parts in a's memory (when a is not
// nil).
func compileTmplIn(s string, vars bool, a *compileArena) tmpl {
	t := tmpl{raw: s, shape: shapeOf(s)}
	if !vars || !strings.Contains(s, "${") {
		return t
	}
	// Text parts are substrings of s: no copy. The capacity bounds the
	// parts: appending never reallocates.
	var parts []tmplPart
	if n := 2*strings.Count(s, "${") + 1; a != nil {
		parts = carve(&a.parts, n, 64)
	} else {
		parts = make([]tmplPart, 0, n)
	}
	textStart := 0
	flush := func(end int) {
		if end > textStart {
			parts = append(parts, tmplPart{kind: partText, text: s[textStart:end]})
		}
	}
	i := 0
	for i < len(s) {
		if s[i] == '$' && i+1 < len(s) && s[i+1] == '{' {
			end := strings.IndexByte(s[i+2:], '}')
			if end >= 0 {
				inner := s[i+2 : i+2+end]
				if p, ok := parseVar(inner); ok {
					flush(i)
					parts = append(parts, p)
					i += 2 + end + 1
					textStart = i
					continue
				}
			}
		}
		i++
	}
	flush(len(s))
	t.parts = parts
	for _, p := range parts {
		if p.kind != partText {
			t.hasV = true
		}
	}
	if !t.hasV {
		t.parts = nil
	}
	return t
}

// parseVar parses the inside of ${...}: a special character (*, ?, $), or a
// context key with an optional default: `aws:username, 'nobody'`.
func parseVar(inner string) (tmplPart, bool) {
	switch inner {
	case "*", "?", "$":
		return tmplPart{kind: partLit, lit: inner}, true
	}
	key, def, hasDef := inner, "", false
	if c := strings.IndexByte(inner, ','); c >= 0 {
		key = inner[:c]
		d := strings.TrimSpace(inner[c+1:])
		if len(d) < 2 || d[0] != '\'' || d[len(d)-1] != '\'' {
			return tmplPart{}, false
		}
		// '' inside a default stands for one quote.
		body := d[1 : len(d)-1]
		if strings.Count(strings.ReplaceAll(body, "''", ""), "'") > 0 {
			return tmplPart{}, false
		}
		def, hasDef = strings.ReplaceAll(body, "''", "'"), true
	}
	key = strings.TrimSpace(key)
	if key == "" || strings.ContainsAny(key, " \t${}'") {
		return tmplPart{}, false
	}
	lk, id := internKey(key)
	return tmplPart{kind: partVar, key: lk, keyID: id, def: def, hasDef: hasDef}, true
}

// scratch holds per-evaluation buffers so that variable expansion does not
// allocate on the hot path.
type scratch struct {
	pat  []byte
	wild []bool
}

// resolvable reports whether every variable of t has a value (or a
// default) in ctx.
func (t *tmpl) resolvable(ctx *Context) bool {
	if !t.hasV {
		return true
	}
	for i := range t.parts {
		p := &t.parts[i]
		if p.kind == partVar && !p.hasDef {
			if _, ok := ctx.single(p.keyID); !ok {
				return false
			}
		}
	}
	return true
}

// expand resolves the variables of t against ctx into sc. It returns false
// when a variable has no value and no default: such a value matches
// nothing. Multivalued keys cannot be used as variables (IAM User Guide,
// "Single-valued vs. multivalued context keys").
func (t *tmpl) expand(ctx *Context, sc *scratch) ([]byte, []bool, bool) {
	if !t.hasV {
		return t.plain(), nil, true
	}
	sc.pat = sc.pat[:0]
	sc.wild = sc.wild[:0]
	for i := range t.parts {
		p := &t.parts[i]
		switch p.kind {
		case partText:
			sc.pat = append(sc.pat, p.text...)
			for j := 0; j < len(p.text); j++ {
				sc.wild = append(sc.wild, true)
			}
		case partLit:
			sc.pat = append(sc.pat, p.lit...)
			sc.wild = append(sc.wild, false)
		case partVar:
			v, ok := ctx.single(p.keyID)
			if !ok {
				if !p.hasDef {
					return nil, nil, false
				}
				v = p.def
			}
			sc.pat = append(sc.pat, v...)
			for j := 0; j < len(v); j++ {
				sc.wild = append(sc.wild, false)
			}
		}
	}
	return sc.pat, sc.wild, true
}
