package leastpriv

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

func generated(t *testing.T, arn string, opt GenerateOptions) *Generated {
	t.Helper()
	an := loadDemo(t).analysis(90)
	p := an.Model.Lookup(arn)
	if p == nil {
		t.Fatalf("%s not found", arn)
	}
	g, err := an.Generate(p, opt)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// decodeDoc normalizes a policy document for comparison.
func decodeDoc(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

func TestTerraformParsesAndHoldsThePolicy(t *testing.T) {
	for _, max := range []int{0, 200} { // 200: forces a split
		g := generated(t, "arn:aws:iam::555555555555:user/ci-deployer", GenerateOptions{MaxChars: max, Name: "ci-deployer ${x}"})
		var buf bytes.Buffer
		if err := WritePolicies(&buf, g, FormatTerraform); err != nil {
			t.Fatal(err)
		}
		f, diags := hclsyntax.ParseConfig(buf.Bytes(), "main.tf", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("terraform does not parse: %v\n%s", diags, buf.String())
		}
		body := f.Body.(*hclsyntax.Body)
		if len(body.Blocks) != len(g.Policies) {
			t.Fatalf("%d blocks for %d policies", len(body.Blocks), len(g.Policies))
		}
		for i, blk := range body.Blocks {
			if blk.Type != "resource" || blk.Labels[0] != "aws_iam_policy" {
				t.Fatalf("block %d: %s %v", i, blk.Type, blk.Labels)
			}
			name, diags := blk.Body.Attributes["name"].Expr.Value(nil)
			if diags.HasErrors() || name.AsString() != g.policyName(i) {
				t.Errorf("name %v (%v), want %q", name, diags, g.policyName(i))
			}
			call, ok := blk.Body.Attributes["policy"].Expr.(*hclsyntax.FunctionCallExpr)
			if !ok || call.Name != "jsonencode" || len(call.Args) != 1 {
				t.Fatalf("policy is not jsonencode(...)")
			}
			v, diags := call.Args[0].Value(nil)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			b, err := ctyjson.Marshal(v, v.Type())
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(decodeDoc(t, g.Policies[i].JSON()), decodeDoc(t, b)); d != "" {
				t.Errorf("policy %d differs (-generated +terraform):\n%s", i, d)
			}
		}
		if max > 0 && len(g.Policies) < 2 {
			t.Errorf("MaxChars %d did not split: sizes %v", max, g.Sizes)
		}
		if g.Proof.Covered != g.Proof.Total {
			t.Errorf("after split: %s", g.Proof)
		}
	}
}

func TestCloudFormationTemplate(t *testing.T) {
	g := generated(t, "arn:aws:iam::555555555555:user/payments-batch", GenerateOptions{})
	var buf bytes.Buffer
	if err := WritePolicies(&buf, g, FormatCloudFormation); err != nil {
		t.Fatal(err)
	}
	var tmpl struct {
		Resources map[string]struct {
			Type       string
			Properties struct {
				ManagedPolicyName string
				PolicyDocument    json.RawMessage
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &tmpl); err != nil {
		t.Fatal(err)
	}
	if len(tmpl.Resources) != 1 {
		t.Fatalf("resources: %v", tmpl.Resources)
	}
	for id, r := range tmpl.Resources {
		if r.Type != "AWS::IAM::ManagedPolicy" || r.Properties.ManagedPolicyName != g.Name || strings.ContainsAny(id, "-_ ") {
			t.Errorf("%s: %+v", id, r)
		}
		if d := cmp.Diff(decodeDoc(t, g.Policies[0].JSON()), decodeDoc(t, r.Properties.PolicyDocument)); d != "" {
			t.Error(d)
		}
	}
}

func TestDiffMarkdown(t *testing.T) {
	an := loadDemo(t).analysis(90)
	p := an.Model.Lookup("arn:aws:iam::555555555555:user/payments-batch")
	g, err := an.Generate(p, GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteDiff(&buf, g, an.Model.Granted(p)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"| Service | Access level | Granted today | Generated | Removed |", "| dynamodb | Write |", "covers ", "```json"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff lacks %q:\n%s", want, out)
		}
	}
}
