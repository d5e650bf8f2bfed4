package catalog

import (
	"github.com/seiri-dev/seiri/internal/policy/wildcard"

	"bytes"
	"compress/gzip"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wildcardRegexp is the obvious (slow) reference for MatchWildcard.
func wildcardRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String())
}

func TestCompiledGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"", "", true},
		{"", "a", false},
		{"a", "a", true},
		{"a", "A", false},
		{"?", "", false},
		{"?", "x", true},
		{"s3:get*", "s3:getobject", true},
		{"s3:get*", "s3:putobject", false},
		{"*:describe*", "ec2:describeinstances", true},
		{"*accesskey*", "createaccesskey", true},
		{"*accesskey*", "createaccesske", false},
		{"a*b*c", "abbbc", true},
		{"a*b*c", "acb", false},
		{"a**c", "ac", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*a", "bbba", true},
		{"*a", "bbbab", false},
		{"a*", "a*", true},
		{"*x*y*z*", "xxyyzz", true},
	}
	for _, tt := range tests {
		if got := wildcard.Match(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcard.Match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
		if ref := wildcardRegexp(tt.pattern).MatchString(tt.s); ref != tt.want {
			t.Errorf("reference disagrees on (%q, %q)", tt.pattern, tt.s)
		}
		g := compileGlob(tt.pattern)
		if got := g.match(tt.s); got != tt.want {
			t.Errorf("compileGlob(%q).match(%q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestExpandKnown(t *testing.T) {
	c := Embedded()
	got := names(c.Expand("iam:*AccessKey*"))
	want := []string{"iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:UpdateAccessKey"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Expand(iam:*AccessKey*) (-want +got):\n%s", diff)
	}
	get := names(c.Expand("s3:Get*"))
	if !slices.Contains(get, "s3:GetObject") || slices.Contains(get, "s3:PutObject") {
		t.Errorf("Expand(s3:Get*) = %v: want s3:GetObject and not s3:PutObject", get)
	}
	for _, n := range get {
		if !strings.HasPrefix(n, "s3:Get") {
			t.Errorf("Expand(s3:Get*) holds %s", n)
		}
	}
	if diff := cmp.Diff(get, names(c.Expand("S3:gEt*"))); diff != "" {
		t.Errorf("Expand is case-sensitive (-lower +mixed):\n%s", diff)
	}
	desc := c.Expand("*:Describe*")
	if len(desc) < 500 || !slices.Contains(names(desc), "ec2:DescribeInstances") {
		t.Errorf("Expand(*:Describe*) = %d actions", len(desc))
	}
	if got := len(c.Expand("*")); got != len(c.Actions()) {
		t.Errorf("Expand(*) = %d actions, want all %d", got, len(c.Actions()))
	}
	if got := len(c.Expand("*:*")); got != len(c.Actions()) {
		t.Errorf("Expand(*:*) = %d actions, want all %d", got, len(c.Actions()))
	}
	if diff := cmp.Diff([]string{"s3:GetObject"}, names(c.Expand("s3:getobject"))); diff != "" {
		t.Errorf("Expand(s3:getobject) (-want +got):\n%s", diff)
	}
	for _, none := range []string{"", "s3", "s3:", "s3:nosuch", "nosuch:*", "s3:*:x", "s3:Get*:*", ":*"} {
		if got := c.Expand(none); len(got) != 0 {
			t.Errorf("Expand(%q) = %d actions (%v…), want none", none, len(got), names(got[:min(3, len(got))]))
		}
	}
}

// TestExpandAgainstReference checks the indexed expansion against matching
// every full name with the regexp reference.
func TestExpandAgainstReference(t *testing.T) {
	c := Embedded()
	patterns := []string{
		"s3:Get*", "s3:*Object*", "*:Describe*", "*:Get*Policy", "iam:*AccessKey*", "s3:?etObject",
		"ec2:Describe?nstances", "s3*", "s3*:Get*", "s3-*:*", "*3:*", "?3:*", "*:*Tag*", "*:list*",
		"iam:*", "*policy", "s3:get*tagging", "kms:*crypt*", "ec2:*", "*:", "*:*:*", "s3:get", "a*:c*",
		"*s3:GetObject", "*:GetObject", "s3:GetObject*", "iam:Pass*", "i?m:PassRole", "*?*", "??:*",
		"*:*tag*", "*:get*object*", "*object", "*:*Policy*Version*", "*:a*", "*3*", "*:*:", "*:\n*", "*3:g*t*",
	}
	for _, p := range patterns {
		re := wildcardRegexp(strings.ToLower(p))
		var want []string
		for _, a := range c.Actions() {
			if re.MatchString(a.lower) {
				want = append(want, a.FullName())
			}
		}
		got := names(c.Expand(p))
		if len(got) == 0 {
			got = nil
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Expand(%q) (-reference +got):\n%s", p, diff)
		}
		if n := c.ExpandCount(p); n != len(want) {
			t.Errorf("ExpandCount(%q) = %d, want %d", p, n, len(want))
		}
	}
}

func TestExpandResultIsSafeToAppend(t *testing.T) {
	c := Embedded()
	first := c.Expand("iam:*AccessKey*")
	_ = append(first, first[0]) // must not write into the cached array
	again := c.Expand("iam:*AccessKey*")
	if len(again) != 5 {
		t.Fatalf("cached result changed: %v", names(again))
	}
}

// TestConcurrentUse runs the lazily built parts (expansion cache, trigram
// index, search text, compiled ARN formats) from many goroutines at once;
// run with -race.
func TestConcurrentUse(t *testing.T) {
	var buf bytes.Buffer
	if err := Embedded().Encode(&buf); err != nil {
		t.Fatal(err)
	}
	c, err := Decode(&buf) // a fresh catalog: nothing built yet
	if err != nil {
		t.Fatal(err)
	}
	s3, _ := c.Service("s3")
	obj, _ := s3.ResourceType("object")
	done := make(chan [3]int)
	for range 8 {
		go func() {
			var r [3]int
			r[0] = len(c.Expand("*:*Tag*")) + len(c.Expand("s3:Get*"))
			r[1] = len(c.Search("access key"))
			if obj.MatchARN("arn:aws:s3:::b/k") {
				r[2] = 1
			}
			done <- r
		}()
	}
	first := <-done
	for range 7 {
		if got := <-done; got != first {
			t.Errorf("goroutines disagree: %v vs %v", got, first)
		}
	}
	if first[0] == 0 || first[1] == 0 || first[2] != 1 {
		t.Errorf("results %v", first)
	}
}
