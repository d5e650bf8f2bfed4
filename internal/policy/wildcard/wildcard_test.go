package wildcard

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// Edge cases of IAM's two wildcards, from the IAM User Guide:
//   - "IAM JSON policy elements: Action": "s3:*", "iam:*AccessKey*",
//     "ec2:Describe*", and "You can use wildcards (* or ?) as part of the
//     action name";
//   - "IAM JSON policy elements: Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
//     "You can use wildcard characters (* and ?) within any ARN segment
//     (the parts separated by colons). An asterisk (*) represents any
//     combination of zero or more characters, and a question mark (?)
//     represents any single character", and "You can use multiple * or ?
//     characters in each segment";
//   - "String condition operators": StringLike "can include a multi-character
//     match wildcard (*) and a single-character match wildcard (?)".
func TestIAMUserGuideCases(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		// Action element examples.
		{"s3:*", "s3:GetObject", true},
		{"s3:*", "s3:", true}, // * matches zero characters
		{"s3:*", "s3", false},
		{"iam:*AccessKey*", "iam:CreateAccessKey", true},
		{"iam:*AccessKey*", "iam:ListAccessKeys", true},
		{"iam:*AccessKey*", "iam:CreateAccessKe", false},
		{"ec2:Describe*", "ec2:DescribeInstances", true},
		{"ec2:Describe*", "ec2:RunInstances", false},
		{"*", "", true},
		{"*", "anything:at all", true},
		// Resource element examples.
		{"arn:aws:s3:::amzn-s3-demo-bucket/*", "arn:aws:s3:::amzn-s3-demo-bucket/a/b.txt", true},
		{"arn:aws:s3:::amzn-s3-demo-bucket/*", "arn:aws:s3:::amzn-s3-demo-bucket", false},
		{"arn:aws:iam::123456789012:user/*", "arn:aws:iam::123456789012:user/Bob", true},
		{"arn:aws:iam::123456789012:user/*", "arn:aws:iam::123456789012:group/Bob", false},
		// * crosses segment separators (":" and "/"): it is not a path glob.
		{"arn:aws:s3:::*", "arn:aws:s3:::bucket/key/with/slashes", true},
		{"arn:aws:*:*:123456789012:*", "arn:aws:sqs:eu-west-1:123456789012:q", true},
		// ? is exactly one character: never zero, never two.
		{"arn:aws:s3:::bucket-?", "arn:aws:s3:::bucket-1", true},
		{"arn:aws:s3:::bucket-?", "arn:aws:s3:::bucket-", false},
		{"arn:aws:s3:::bucket-?", "arn:aws:s3:::bucket-12", false},
		{"arn:aws:s3:::bucket-??", "arn:aws:s3:::bucket-12", true},
		{"?", "", false},
		{"?", "x", true},
		{"??", "x", false},
		// Multiple wildcards in one segment.
		{"arn:aws:s3:::*-logs-??/*", "arn:aws:s3:::app-logs-eu/2026/01.gz", true},
		{"arn:aws:s3:::*-logs-??/*", "arn:aws:s3:::app-logs-e/2026/01.gz", false},
		{"a**c", "ac", true},
		{"a*?c", "ac", false},
		{"a*?c", "abc", true},
		{"*?", "", false},
		{"*a", "bbbab", false},
		// ? is one character, not one byte (a tag value, an S3 key).
		{"report-?.csv", "report-é.csv", true},
		{"report-??.csv", "report-é.csv", false},
		{"*?x", "éx", true},
		{"*??x", "éx", false},
		// Everything else is literal, also regexp metacharacters.
		{"a.c", "abc", false},
		{"a+", "aa", false},
		{"[ab]", "a", false},
		{"a*", "a*", true},
		// Case: Match is exact; MatchFold folds (action names).
		{"S3:GetObject", "s3:getobject", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
		if ref := reference(tt.pattern).MatchString(tt.s); ref != tt.want {
			t.Errorf("reference disagrees on (%q, %q)", tt.pattern, tt.s)
		}
	}
	for _, c := range [][2]string{{"S3:GetObject", "s3:getobject"}, {"iam:*accesskey*", "iam:CreateAccessKey"}, {"EC2:Describe?nstances", "ec2:DescribeInstances"}} {
		if !MatchFold(c[0], c[1]) {
			t.Errorf("MatchFold(%q, %q) = false", c[0], c[1])
		}
	}
}

// Characters a policy variable produced are literal (wild false).
func TestGlobLiteralPositions(t *testing.T) {
	p := []byte("home/*/x")
	if Glob(p, []bool{false, false, false, false, false, false, false, false}, "home/abc/x", false) {
		t.Error("a literal * matched a run")
	}
	if !Glob(p, nil, "home/abc/x", false) {
		t.Error("a wildcard * did not match")
	}
}

// reference is the obvious (slow) matcher: a regexp over runes.
func reference(pattern string) *regexp.Regexp {
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

func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{{"s3:get*", "s3:getobject"}, {"*a*b?", "xxaxbz"}, {"**", ""}, {"?*?", "ab"}, {"a*", "a*"}, {"*??x", "éx"}, {"*?é", "ééé"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 64 || len(s) > 64 || !utf8.ValidString(pattern) || !utf8.ValidString(s) {
			return
		}
		if got, want := Match(pattern, s), reference(pattern).MatchString(s); got != want {
			t.Fatalf("Match(%q, %q) = %v, reference %v", pattern, s, got, want)
		}
	})
}
