// Package wildcard is seiri's one IAM wildcard matcher: the policy engine's
// (internal/policy matches Action, NotAction, Resource, NotResource and the
// Like/ARN condition operators with it), also used by the catalog's action
// expansion and by the analyses. IAM: "*" matches any run of characters
// (also none), "?" exactly one character; everything else matches itself
// (IAM User Guide, "IAM JSON policy elements: Action" and "Resource", and
// "Condition operators: String condition operators"). It imports nothing.
package wildcard

import (
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Match reports whether s matches pattern, case-sensitively, every "*" and
// "?" of pattern being a wildcard. Action names are case-insensitive in IAM:
// use MatchFold for them.
func Match(pattern, s string) bool {
	return Glob(bytesOf(pattern), nil, s, false)
}

// MatchFold is Match with ASCII case folded on both sides (action names).
func MatchFold(pattern, s string) bool {
	return Glob(bytesOf(strings.ToLower(pattern)), nil, s, true)
}

// Glob reports whether s matches pattern p, where '*' matches any sequence
// (including empty) and '?' exactly one character (a UTF-8 rune). When wild
// is not nil, only positions with wild[i] set are wildcards: characters
// produced by policy variables and ${*}/${?} are literal. With fold, p must
// be lower case and s is compared ASCII-case-insensitively. It runs in
// O(len(s)·len(p)) at worst without allocating.
func Glob(p []byte, wild []bool, s string, fold bool) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			c := p[pi]
			isWild := wild == nil || wild[pi]
			if c == '*' && isWild {
				starP, starS = pi, si
				pi++
				continue
			}
			if c == '?' && isWild {
				_, size := utf8.DecodeRuneInString(s[si:])
				pi++
				si += size
				continue
			}
			b := s[si]
			if fold && b >= 'A' && b <= 'Z' {
				b += 'a' - 'A'
			}
			if c == b {
				pi++
				si++
				continue
			}
		}
		if starP >= 0 {
			// Let the last star swallow one more character (a whole rune,
			// so that a later '?' never starts inside one) and retry.
			_, size := utf8.DecodeRuneInString(s[starS:])
			starS += size
			si = starS
			pi = starP + 1
			continue
		}
		return false
	}
	for pi < len(p) && p[pi] == '*' && (wild == nil || wild[pi]) {
		pi++
	}
	return pi == len(p)
}

// bytesOf views a string as bytes without copying; Glob only reads them.
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
