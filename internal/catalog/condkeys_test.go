package catalog

import "testing"

func TestConditionKey(t *testing.T) {
	c := Embedded()
	tests := []struct {
		in, want, typ string
	}{
		{"aws:SourceIp", "aws:SourceIp", "IPAddress"},
		{"AWS:SOURCEIP", "aws:SourceIp", "IPAddress"},
		{"aws:PrincipalTag/team", "aws:PrincipalTag/tag-key", "String"},
		{"aws:CurrentTime", "aws:CurrentTime", "Date"},
		{"aws:MultiFactorAuthPresent", "aws:MultiFactorAuthPresent", "Bool"},
		{"s3:prefix", "s3:prefix", "String"},
		{"s3:ExistingObjectTag/owner", "s3:ExistingObjectTag/<key>", "String"},
		{"iam:PermissionsBoundary", "iam:PermissionsBoundary", "ARN"},
		{"ec2:ResourceTag/Name", "ec2:ResourceTag/${TagKey}", "String"},
	}
	for _, tt := range tests {
		k, ok := c.ConditionKey(tt.in)
		if !ok || k.Name != tt.want || k.Type != tt.typ {
			t.Errorf("ConditionKey(%q) = %+v, %v; want %s (%s)", tt.in, k, ok, tt.want, tt.typ)
		}
	}
	for _, bad := range []string{"", "aws:NoSuchKey", "s3:NoSuchKey", "aws:PrincipalTag/", "nosuch:key", "SourceIp"} {
		if k, ok := c.ConditionKey(bad); ok {
			t.Errorf("ConditionKey(%q) = %+v, want not found", bad, k)
		}
	}
	if n := len(c.GlobalConditionKeys()); n < 40 {
		t.Errorf("%d global condition keys, want the documented list (> 40)", n)
	}
}

func TestSplitTemplate(t *testing.T) {
	tests := []struct{ in, pre, suf string }{
		{"aws:resourcetag/${tagkey}", "aws:resourcetag/", ""},
		{"aws:principaltag/tag-key", "aws:principaltag/", ""},
		{"s3:existingobjecttag/<key>", "s3:existingobjecttag/", ""},
		{"codebuild:environment.environmentvariables/${name}.value", "codebuild:environment.environmentvariables/", ".value"},
	}
	for _, tt := range tests {
		pre, suf, ok := splitTemplate(tt.in)
		if !ok || pre != tt.pre || suf != tt.suf {
			t.Errorf("splitTemplate(%q) = %q, %q, %v", tt.in, pre, suf, ok)
		}
	}
	if _, _, ok := splitTemplate("aws:sourceip"); ok {
		t.Error("aws:sourceip is not a template")
	}
}
