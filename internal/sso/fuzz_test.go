package sso_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/sso"
)

// FuzzBuild feeds arbitrary group names and inline policies (both come from
// AWS and are attacker-influenced) through Build and the Terraform writer:
// no panic, and whatever Build accepts must be valid HCL whose strings
// decode back to the input.
func FuzzBuild(f *testing.F) {
	f.Add("devs", []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`))
	f.Add("a\"b${x}%{y}\\", []byte(`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"}}`))
	f.Add("ünï/cødé", []byte(`{"Statement":[]}`))
	f.Add("x", []byte(`not json`))
	f.Fuzz(func(t *testing.T, group string, doc []byte) {
		a := &snapshot.Account{AccountID: "123456789012",
			Groups: []snapshot.Group{{GroupName: group, InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "p", Document: json.RawMessage(doc)}}}},
			Users:  []snapshot.User{{UserName: "u", Groups: []string{group}, LoginProfile: &snapshot.LoginProfile{}}},
		}
		p, err := sso.Build([]*snapshot.Account{a})
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := p.WriteTerraform(&buf); err != nil {
			t.Fatal(err)
		}
		file, diags := hclsyntax.ParseConfig(buf.Bytes(), "f.tf", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("invalid HCL for group %q: %s\n%s", group, diags.Error(), buf.String())
		}
		for _, b := range file.Body.(*hclsyntax.Body).Blocks {
			if b.Type == "data" {
				inner := b.Body.Blocks[0].Body.Blocks[0]
				v, d := inner.Body.Attributes["attribute_value"].Expr.Value(nil)
				if d.HasErrors() || v.AsString() != group {
					t.Fatalf("group name %q came back as %q (%v)", group, v.GoString(), d)
				}
			}
		}
	})
}
