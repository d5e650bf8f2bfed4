package catalog

import "strings"

// ARN matching.
//
// A resource type's ARN format looks like
// "arn:${Partition}:s3:::${BucketName}/${ObjectName}" (Service Authorization
// Reference, "Resource types defined by ..."). An ARN is
// arn:partition:service:region:account-id:resource, where the resource part
// may itself hold "/" and ":" (IAM User Guide, "IAM identifiers" / AWS General
// Reference, "Amazon Resource Names (ARNs)").
//
// A ${Placeholder} matches one or more characters. To tell bucket from object
// and table from index, a placeholder in the resource part does not match the
// separators that the format itself uses there: "/" when the resource part has
// a literal "/" (or has no literal text at all, like ${BucketName}), ":" when
// it has a literal ":" (or none). Placeholders named like paths (…Path,
// ObjectName) may hold "/". Placeholders in the partition, region and account
// fields never match ":". A literal "*" in a format (braket uses "*:*") is a
// wildcard within its field.
//
// The ARN given to MatchARN may itself hold IAM wildcards ("*", "?") and
// policy variables ("${aws:username}", treated as "*"): then it matches when
// some concrete ARN matches both, so "arn:aws:s3:::bucket/*" is an object and
// "arn:aws:s3:::*" a bucket (and "*" every type).

type tokKind uint8

const (
	tokLit  tokKind = iota // one given byte
	tokOne                 // one byte outside excl
	tokMany                // zero or more bytes outside excl
)

// exclSet is the set of separators a token must not read.
type exclSet uint8

const (
	exclSlash exclSet = 1 << iota
	exclColon
)

type arnTok struct {
	kind tokKind
	c    byte
	excl exclSet
}

type arnPattern []arnTok

func (e exclSet) allows(c byte) bool {
	return !(c == '/' && e&exclSlash != 0 || c == ':' && e&exclColon != 0)
}

// compileFormat turns an ARN format into tokens.
func compileFormat(format string) arnPattern {
	var toks arnPattern
	// Split off the first five fields; the rest is the resource part.
	rest := format
	for field := 0; field < 5; field++ {
		i := strings.IndexByte(rest, ':')
		if i < 0 {
			break
		}
		toks = appendFormatPart(toks, rest[:i], exclColon, false)
		toks = append(toks, arnTok{kind: tokLit, c: ':'})
		rest = rest[i+1:]
	}
	lits := stripPlaceholders(rest)
	var excl exclSet
	if lits == "" || strings.IndexByte(lits, '/') >= 0 {
		excl |= exclSlash
	}
	if lits == "" || strings.IndexByte(lits, ':') >= 0 {
		excl |= exclColon
	}
	return appendFormatPart(toks, rest, excl, true)
}

func appendFormatPart(toks arnPattern, part string, excl exclSet, resource bool) arnPattern {
	for i := 0; i < len(part); i++ {
		c := part[i]
		if c == '$' && i+1 < len(part) && part[i+1] == '{' {
			if end := strings.IndexByte(part[i:], '}'); end > 0 {
				name := part[i+2 : i+end]
				e := excl
				if resource && isPathPlaceholder(name) {
					e &^= exclSlash
				}
				toks = append(toks, arnTok{kind: tokOne, excl: e}, arnTok{kind: tokMany, excl: e})
				i += end
				continue
			}
		}
		if c == '*' {
			toks = append(toks, arnTok{kind: tokMany, excl: excl})
			continue
		}
		toks = append(toks, arnTok{kind: tokLit, c: c})
	}
	return toks
}

func isPathPlaceholder(name string) bool {
	return strings.HasSuffix(name, "Path") || name == "ObjectName" || name == "ObjectKey"
}

func stripPlaceholders(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) && s[i+1] == '{' {
			if end := strings.IndexByte(s[i:], '}'); end > 0 {
				i += end
				continue
			}
		}
		if s[i] != '*' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// compileInput turns a (possibly wildcarded) ARN into tokens.
func compileInput(arn string) arnPattern {
	toks := make(arnPattern, 0, len(arn))
	for i := 0; i < len(arn); i++ {
		switch c := arn[i]; c {
		case '*':
			toks = append(toks, arnTok{kind: tokMany})
		case '?':
			toks = append(toks, arnTok{kind: tokOne})
		case '$':
			if i+1 < len(arn) && arn[i+1] == '{' {
				if end := strings.IndexByte(arn[i:], '}'); end > 0 {
					toks = append(toks, arnTok{kind: tokMany})
					i += end
					continue
				}
			}
			toks = append(toks, arnTok{kind: tokLit, c: c})
		default:
			toks = append(toks, arnTok{kind: tokLit, c: c})
		}
	}
	return toks
}

// maxARNLen bounds the work on outside input; IAM limits ARNs in policies to
// 2048 characters (IAM quotas), so longer input matches nothing.
const maxARNLen = 4096

// MatchARN reports whether arn is (or, with wildcards, can be) an ARN of this
// resource type under any of its ARN formats. See the rules above.
func (r *ResourceType) MatchARN(arn string) bool {
	if len(arn) > maxARNLen {
		return false
	}
	r.once.Do(func() {
		r.compiled = make([]arnPattern, len(r.ARNFormats))
		for i, f := range r.ARNFormats {
			r.compiled[i] = compileFormat(f)
		}
	})
	if len(r.compiled) == 0 {
		return false
	}
	in := compileInput(arn)
	for _, f := range r.compiled {
		if intersects(in, f) {
			return true
		}
	}
	return false
}

// intersects reports whether some string matches both token patterns: a
// search over pairs of positions (i in a, j in b) that either pattern can
// reach after reading the same characters.
func intersects(a, b arnPattern) bool {
	w := len(b) + 1
	seen := make([]bool, (len(a)+1)*w)
	stack := []int{0}
	seen[0] = true
	push := func(i, j int) {
		k := i*w + j
		if !seen[k] {
			seen[k] = true
			stack = append(stack, k)
		}
	}
	for len(stack) > 0 {
		k := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		i, j := k/w, k%w
		if i == len(a) && j == len(b) {
			return true
		}
		// Skip a "many" token (it may match nothing).
		if i < len(a) && a[i].kind == tokMany {
			push(i+1, j)
		}
		if j < len(b) && b[j].kind == tokMany {
			push(i, j+1)
		}
		if i == len(a) || j == len(b) {
			continue
		}
		ta, tb := a[i], b[j]
		if !compatible(ta, tb) {
			continue
		}
		ni, nj := i, j
		if ta.kind != tokMany {
			ni++
		}
		if tb.kind != tokMany {
			nj++
		}
		if ni != i || nj != j {
			push(ni, nj)
		}
	}
	return false
}

// compatible reports whether one character can be read by both tokens.
func compatible(a, b arnTok) bool {
	switch {
	case a.kind == tokLit && b.kind == tokLit:
		return a.c == b.c
	case a.kind == tokLit:
		return b.excl.allows(a.c)
	case b.kind == tokLit:
		return a.excl.allows(b.c)
	default:
		// Two classes that each exclude at most "/" and ":" share letters.
		return true
	}
}
