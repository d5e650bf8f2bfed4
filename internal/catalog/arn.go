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
// A ${Placeholder} matches one or more characters; which separators it may
// hold follows from the formats themselves (AWS defines no grammar):
//
//   - in the partition, region and account fields, never ":";
//   - inside the resource part, not the separator ("/" or ":") that follows
//     it in the format: in "${BucketName}/${ObjectName}" the bucket holds no
//     "/", in "function:${FunctionName}:${Alias}" the function no ":";
//   - at the end of the format, anything, except the separators with which
//     a sibling resource type of the same service continues the same format:
//     s3 "bucket" (${BucketName}) does not take "/" because "object" continues
//     with "/${ObjectName}"; dynamodb "table" stops at "/" because of
//     "table/${TableName}/index/..."; lambda "function" stops at ":" because
//     of the alias. An ECR repository ("repository/team/app"), an SSM
//     parameter ("parameter/app/prod/db") or a log group
//     ("log-group:/aws/lambda/fn") may hold "/";
//   - placeholders named like paths (…Path, ObjectName) always may hold "/".
//
// A literal "*" in a format (braket uses "*:*") is a wildcard within its
// field.
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

// compileFormat turns an ARN format into tokens; trail is what a placeholder
// ending the format must not hold (see the rules above).
func compileFormat(format string, trail exclSet) arnPattern {
	var toks arnPattern
	// Split off the first five fields; the rest is the resource part.
	rest := format
	for field := 0; field < 5; field++ {
		i := strings.IndexByte(rest, ':')
		if i < 0 {
			break
		}
		toks = appendFieldPart(toks, rest[:i])
		toks = append(toks, arnTok{kind: tokLit, c: ':'})
		rest = rest[i+1:]
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if name, end, ok := placeholderAt(rest, i); ok {
			var e exclSet
			switch {
			case end == len(rest):
				e = trail
			case rest[end] == '/':
				e = exclSlash
			case rest[end] == ':':
				e = exclColon
			}
			if isPathPlaceholder(name) {
				e &^= exclSlash
			}
			toks = append(toks, arnTok{kind: tokOne, excl: e}, arnTok{kind: tokMany, excl: e})
			i = end - 1
			continue
		}
		if c == '*' {
			toks = append(toks, arnTok{kind: tokMany})
			continue
		}
		toks = append(toks, arnTok{kind: tokLit, c: c})
	}
	return toks
}

// appendFieldPart compiles one of the first five fields, where nothing
// matches ":".
func appendFieldPart(toks arnPattern, part string) arnPattern {
	for i := 0; i < len(part); i++ {
		if _, end, ok := placeholderAt(part, i); ok {
			toks = append(toks, arnTok{kind: tokOne, excl: exclColon}, arnTok{kind: tokMany, excl: exclColon})
			i = end - 1
			continue
		}
		if part[i] == '*' {
			toks = append(toks, arnTok{kind: tokMany, excl: exclColon})
			continue
		}
		toks = append(toks, arnTok{kind: tokLit, c: part[i]})
	}
	return toks
}

// placeholderAt reports a "${Name}" starting at s[i], its name and the index
// just after it.
func placeholderAt(s string, i int) (name string, end int, ok bool) {
	if s[i] != '$' || i+1 >= len(s) || s[i+1] != '{' {
		return "", 0, false
	}
	j := strings.IndexByte(s[i:], '}')
	if j < 0 {
		return "", 0, false
	}
	return s[i+2 : i+j], i + j + 1, true
}

// trailingExclusions computes, for each format of each resource type of a
// service, the separators a placeholder ending it must not hold: those with
// which another format of the service continues it.
func trailingExclusions(s *Service) {
	for _, rt := range s.ResourceTypes {
		rt.trail = make([]exclSet, len(rt.ARNFormats))
		for i, f := range rt.ARNFormats {
			if !strings.HasSuffix(f, "}") {
				continue
			}
			for _, other := range s.ResourceTypes {
				for _, g := range other.ARNFormats {
					if len(g) > len(f) && strings.HasPrefix(g, f) {
						switch g[len(f)] {
						case '/':
							rt.trail[i] |= exclSlash
						case ':':
							rt.trail[i] |= exclColon
						}
					}
				}
			}
		}
	}
}

func isPathPlaceholder(name string) bool {
	return strings.HasSuffix(name, "Path") || name == "ObjectName" || name == "ObjectKey"
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
			var trail exclSet
			if i < len(r.trail) {
				trail = r.trail[i]
			}
			r.compiled[i] = compileFormat(f, trail)
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
