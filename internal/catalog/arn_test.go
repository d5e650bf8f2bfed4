package catalog

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMatchARN(t *testing.T) {
	c := Embedded()
	rt := func(prefix, name string) *ResourceType {
		s, ok := c.Service(prefix)
		if !ok {
			t.Fatalf("no service %s", prefix)
		}
		r, ok := s.ResourceType(name)
		if !ok {
			t.Fatalf("no resource type %s %q", prefix, name)
		}
		return r
	}
	tests := []struct {
		prefix, rt, arn string
		want            bool
	}{
		{"s3", "object", "arn:aws:s3:::bucket/key", true},
		{"s3", "object", "arn:aws:s3:::bucket/dir/sub/key.txt", true},
		{"s3", "bucket", "arn:aws:s3:::bucket", true},
		{"s3", "bucket", "arn:aws:s3:::bucket/key", false},
		{"s3", "object", "arn:aws:s3:::bucket", false},
		{"s3", "object", "arn:aws:s3:::bucket/", false},
		{"s3", "bucket", "arn:aws-cn:s3:::bucket", true},
		{"s3", "bucket", "arn:aws:s3:us-east-1::bucket", false},
		{"s3", "bucket", "arn:aws:iam:::bucket", false},
		// Wildcards in the ARN: can some concrete ARN be both?
		{"s3", "object", "arn:aws:s3:::bucket/*", true},
		{"s3", "bucket", "arn:aws:s3:::bucket/*", false},
		{"s3", "bucket", "arn:aws:s3:::*", true},
		{"s3", "object", "arn:aws:s3:::*", true},
		{"s3", "bucket", "arn:aws:s3:::bucket*", true},
		{"s3", "bucket", "*", true},
		{"s3", "object", "arn:aws:s3:::my-bucket/${aws:username}/*", true},
		{"s3", "bucket", "arn:aws:s3:::bucke?", true},
		{"s3", "bucket", "arn:aws:s3:::", false},
		{"s3", "accesspoint", "arn:aws:s3:us-east-1:123456789012:accesspoint/ap", true},
		{"s3", "accesspoint", "arn:aws:s3:us-east-1:123456789012:accesspoint/ap/object/key", false},
		{"s3", "accesspointobject", "arn:aws:s3:us-east-1:123456789012:accesspoint/ap/object/key", true},
		{"iam", "user", "arn:aws:iam::123456789012:user/alice", true},
		{"iam", "user", "arn:aws:iam::123456789012:user/division/team/alice", true},
		{"iam", "user", "arn:aws:iam::123456789012:role/alice", false},
		{"iam", "role", "arn:aws:iam::123456789012:role/*", true},
		{"iam", "role", "arn:aws:iam::*:role/admin", true},
		{"iam", "user", "arn:aws:iam:::user/alice", false},
		{"dynamodb", "table", "arn:aws:dynamodb:us-east-1:123456789012:table/Books", true},
		{"dynamodb", "table", "arn:aws:dynamodb:us-east-1:123456789012:table/Books/index/ByAuthor", false},
		{"dynamodb", "index", "arn:aws:dynamodb:us-east-1:123456789012:table/Books/index/ByAuthor", true},
		{"dynamodb", "index", "arn:aws:dynamodb:us-east-1:123456789012:table/Books", false},
		{"lambda", "function", "arn:aws:lambda:us-east-1:123456789012:function:my-fn", true},
		{"lambda", "function", "arn:aws:lambda:us-east-1:123456789012:function:my-fn:prod", false},
		{"lambda", "function alias", "arn:aws:lambda:us-east-1:123456789012:function:my-fn:prod", true},
		{"sns", "topic", "arn:aws:sns:us-east-1:123456789012:alerts", true},
		{"ecr", "repository", "arn:aws:ecr:us-east-1:123456789012:repository/team/app", true},
		{"ssm", "parameter", "arn:aws:ssm:us-east-1:123456789012:parameter/app/prod/db", true},
		{"secretsmanager", "secret", "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf", true},
		{"logs", "log-group", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:log-stream:x", false},
		{"logs", "log-stream", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:log-stream:x", true},
		{"logs", "log-stream", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn:*", true},
		{"iam", "role", "arn:aws:iam::123456789012:role/service-role/my-role", true},
		{"iam", "assumed-role", "arn:aws:iam::123456789012:assumed-role/admin/alice", true},
		{"kms", "key", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", true},
		{"kms", "alias", "arn:aws:kms:us-east-1:123456789012:key/1234", false},
		{"logs", "log-group", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/fn", true},
		{"braket", "device", "arn:aws:braket:us-east-1:123456789012:device/qpu/ionq/Aria-1", true},
		{"braket", "device", "arn:aws:braket:::device/qpu/ionq/Aria-1", true},
		{"s3", "bucket", "not an arn", false},
		{"s3", "bucket", "", false},
	}
	for _, tt := range tests {
		if got := rt(tt.prefix, tt.rt).MatchARN(tt.arn); got != tt.want {
			t.Errorf("%s %q %v .MatchARN(%q) = %v, want %v", tt.prefix, tt.rt, rt(tt.prefix, tt.rt).ARNFormats, tt.arn, got, tt.want)
		}
	}
}

func TestResourceTypesMatching(t *testing.T) {
	c := Embedded()
	rtNames := func(rts []*ResourceType) []string {
		var out []string
		for _, r := range rts {
			out = append(out, r.Name)
		}
		slices.Sort(out)
		return out
	}
	if diff := cmp.Diff([]string{"object"}, rtNames(c.ResourceTypesMatching("arn:aws:s3:::bucket/key"))); diff != "" {
		t.Errorf("catalog-wide match of an object ARN (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"bucket"}, rtNames(c.ResourceTypesMatching("arn:aws:s3:::bucket"))); diff != "" {
		t.Errorf("catalog-wide match of a bucket ARN (-want +got):\n%s", diff)
	}
	if got := c.ResourceTypesMatching("arn:aws:nosuchservice:::x"); got != nil {
		t.Errorf("unknown service matched %v", rtNames(got))
	}
	get, _ := c.Action("s3:GetObject")
	if diff := cmp.Diff([]string{"object"}, rtNames(get.ResourceTypesMatching("arn:aws:s3:::b/k"))); diff != "" {
		t.Errorf("s3:GetObject types for an object ARN (-want +got):\n%s", diff)
	}
	if got := get.ResourceTypesMatching("arn:aws:s3:::b"); got != nil {
		t.Errorf("s3:GetObject accepts a bucket ARN: %v", rtNames(got))
	}
}

// TestEveryFormatMatchesItself: each ARN format, with its placeholders filled
// with a plain value, is matched by its own resource type. This guards the
// format compiler against the whole reference, not just hand-picked types.
func TestEveryFormatMatchesItself(t *testing.T) {
	c := Embedded()
	failed := 0
	for _, s := range c.Services() {
		for _, rt := range s.ResourceTypes {
			for _, f := range rt.ARNFormats {
				arn := fillPlaceholders(f)
				if !rt.MatchARN(arn) {
					failed++
					if failed <= 10 {
						t.Errorf("%s %q: format %q does not match %q", s.Prefix, rt.Name, f, arn)
					}
				}
			}
		}
	}
}

func fillPlaceholders(f string) string {
	out := []byte{}
	for i := 0; i < len(f); i++ {
		if f[i] == '$' && i+1 < len(f) && f[i+1] == '{' {
			j := i
			for j < len(f) && f[j] != '}' {
				j++
			}
			out = append(out, "x1"...)
			i = j
			continue
		}
		out = append(out, f[i])
	}
	return string(out)
}

// TestLongerSiblingIsNotShorterType: where one format of a service extends
// another (bucket → object, table → index, function → alias), an ARN of the
// longer form is not one of the shorter type.
func TestLongerSiblingIsNotShorterType(t *testing.T) {
	c := Embedded()
	checked, failed := 0, 0
	for _, s := range c.Services() {
		for _, short := range s.ResourceTypes {
			for _, f := range short.ARNFormats {
				for _, long := range s.ResourceTypes {
					for _, g := range long.ARNFormats {
						if len(g) <= len(f) || g[:len(f)] != f || (g[len(f)] != '/' && g[len(f)] != ':') {
							continue
						}
						if strings.Contains(f, "Path}") || strings.HasSuffix(f, "${ObjectName}") {
							continue // path placeholders hold "/" by design
						}
						checked++
						if arn := fillPlaceholders(g); short.MatchARN(arn) {
							failed++
							if failed <= 10 {
								t.Errorf("%s: %q (%s) matches the shorter type %q (%s)", s.Prefix, arn, long.Name, short.Name, f)
							}
						}
					}
				}
			}
		}
	}
	if checked < 50 {
		t.Errorf("only %d sibling pairs checked", checked)
	}
}
