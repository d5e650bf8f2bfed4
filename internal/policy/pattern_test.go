package policy

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// globRegexp is an independent reference for IAM wildcards: * is any
// sequence, ? one character.
func globRegexp(p string, fold bool) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	if fold {
		b.WriteString("(?i)")
	}
	for _, r := range p {
		switch r {
		case '*':
			b.WriteString("(?s:.*)")
		case '?':
			b.WriteString("(?s:.)")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// TestMatchersAgreeWithRegexp compares the optimized matchers (shapes,
// prefix shortcuts, service prefilter, case folding) with regular
// expressions on random patterns and inputs.
func TestMatchersAgreeWithRegexp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "A", "B", ":", "/", "*", "?", "s3", "é", "-"}
	gen := func(n int, wild bool) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			c := alphabet[rng.IntN(len(alphabet))]
			if !wild && (c == "*" || c == "?") {
				c = "x"
			}
			b.WriteString(c)
		}
		return b.String()
	}
	for i := 0; i < 20000; i++ {
		p := gen(rng.IntN(7), true)
		s := gen(rng.IntN(9), false)
		// Resource patterns: case-sensitive.
		rt := compileTmpl(p, true)
		want := globRegexp(p, false).MatchString(s)
		if got := rt.matchPlain(s); got != want {
			t.Fatalf("resource %q vs %q: got %v want %v", p, s, got, want)
		}
		if got := glob([]byte(p), nil, s, false); got != want {
			t.Fatalf("glob %q vs %q: got %v want %v", p, s, got, want)
		}
		// Actions: case-insensitive (ASCII), "service:name".
		ap, err := compileAction("svc" + p + ":n" + p)
		if err != nil {
			continue
		}
		action := "svc" + s + ":n" + s
		wantA := globRegexp(strings.ToLower("svc"+p+":n"+p), true).MatchString(action)
		if isASCII(action) {
			svc, _, _ := strings.Cut(action, ":")
			got := (ap.service() == nil || equalFoldASCIIBytes(ap.service(), svc)) && ap.match(action)
			if got != wantA {
				t.Fatalf("action %q vs %q: got %v want %v", "svc"+p+":n"+p, action, got, wantA)
			}
		}
	}
}

// TestExpandVariables checks substitution against a plain string replace.
func TestExpandVariables(t *testing.T) {
	ctx := NewContext()
	ctx.Set("aws:username", "al*ce")
	ctx.Set("aws:PrincipalTag/team", "blue")
	tests := []struct {
		pattern string
		subject string
		want    bool
	}{
		{"home/${aws:username}/*", "home/al*ce/x", true},
		{"home/${aws:username}/*", "home/alice/x", false}, // substituted * is literal
		{"${aws:PrincipalTag/team}-*", "blue-1", true},
		{"${aws:PrincipalTag/missing, 'def'}", "def", true},
		{"${aws:PrincipalTag/missing}", "", false},
		{"${aws:PrincipalTag/missing, 'it''s'}", "it's", true},
		{"${not closed", "${not closed", true},
		{"a${*}b", "a*b", true},
		{"a${*}b", "axb", false},
		{"${ aws:username }", "al*ce", true},
	}
	for _, tt := range tests {
		tm := compileTmpl(tt.pattern, true)
		p, w, ok := tm.expand(&ctx, &scratch{})
		got := ok && glob(p, w, tt.subject, false)
		if got != tt.want {
			t.Errorf("%q vs %q = %v, want %v", tt.pattern, tt.subject, got, tt.want)
		}
	}
}

// indexWild finds the first wildcard as strings.IndexAny does.
func TestIndexWild(t *testing.T) {
	for _, s := range []string{"", "*", "?", "arn:aws:s3:::b", "arn:aws:s3:::b/*", "a?b*", "a*b?", "??", "**", "arn:aws:iam::1:user/${aws:username}?", "é*", "x?é"} {
		if got, want := indexWild(s), strings.IndexAny(s, "*?"); got != want {
			t.Errorf("indexWild(%q) = %d, want %d", s, got, want)
		}
	}
}
