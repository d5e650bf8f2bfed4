package leastpriv

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/demo/demotest"
	"github.com/seiri-dev/seiri/internal/policy"
)

func TestMain(m *testing.M) { demotest.Main(m) }

func verdictOf(r *PrincipalResult, action string) (ActionVerdict, bool) {
	for _, v := range r.Actions {
		if strings.EqualFold(v.Action, action) {
			return v, true
		}
	}
	return ActionVerdict{}, false
}

func TestDemoUnused(t *testing.T) {
	f := loadDemo(t)
	an := f.analysis(90)
	m := an.Model
	tests := []struct {
		arn       string
		used      []string          // subset that must be used
		unused    map[string]string // action → confidence
		whyHas    map[string]string // action → substring of why
		minUnused int
	}{
		{arn: "arn:aws:iam::555555555555:user/payments-batch",
			used:   []string{"dynamodb:PutItem", "kms:Decrypt", "sqs:ReceiveMessage"},
			unused: map[string]string{"dynamodb:DeleteItem": ConfUnused}},
		{arn: "arn:aws:iam::111111111111:user/terraform",
			used:   []string{"iam:GetRole", "organizations:DescribeOrganization", "s3:GetObject"},
			unused: map[string]string{"iam:CreateUser": ConfUnused, "iam:PassRole": ConfUnknown, "lambda:InvokeFunction": ConfUnknown},
			whyHas: map[string]string{"iam:PassRole": "never logged", "lambda:InvokeFunction": "data events"}, minUnused: 10000},
		// Assumed-role sessions count for the role.
		{arn: "arn:aws:iam::555555555555:role/payments-api-task", used: []string{"dynamodb:GetItem", "s3:GetObject"}},
		// Identity Center sessions count for the permission set's role.
		{arn: "arn:aws:iam::555555555555:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_ReadOnly_fedcba9876543210",
			used: []string{"ec2:DescribeInstances"}, unused: map[string]string{"s3:GetObject": ConfUnused}},
	}
	for _, tc := range tests {
		t.Run(tc.arn, func(t *testing.T) {
			p := m.Lookup(tc.arn)
			if p == nil {
				t.Fatalf("principal not found")
			}
			r := an.Unused(p, true)
			for _, a := range tc.used {
				if !slices.Contains(r.UsedActions, a) {
					t.Errorf("%s not used; used = %v", a, r.UsedActions)
				}
			}
			for a, conf := range tc.unused {
				v, ok := verdictOf(r, a)
				if !ok {
					t.Errorf("%s not among unused actions", a)
					continue
				}
				if v.Confidence != conf {
					t.Errorf("%s: confidence %s (%s), want %s", a, v.Confidence, v.Why, conf)
				}
				if want := tc.whyHas[a]; want != "" && !strings.Contains(v.Why, want) {
					t.Errorf("%s: why %q, want it to mention %q", a, v.Why, want)
				}
			}
			if r.Unused < tc.minUnused {
				t.Errorf("unused = %d, want ≥ %d", r.Unused, tc.minUnused)
			}
			if !strings.Contains(r.Verdict, "90 days to 2026-11-01") {
				t.Errorf("verdict %q does not name the window", r.Verdict)
			}
			if r.Granted != r.Used+r.Unused {
				t.Errorf("granted %d ≠ used %d + unused %d", r.Granted, r.Used, r.Unused)
			}
			// Ranked by risk: access level ranks never increase.
			for i := 1; i < len(r.Actions); i++ {
				if r.Actions[i].Access.Rank() > r.Actions[i-1].Access.Rank() {
					t.Fatalf("not ranked by risk at %d: %v after %v", i, r.Actions[i], r.Actions[i-1])
				}
			}
		})
	}
	if n := an.Usage.Skipped[SkipServiceLinked]; n != 0 {
		t.Logf("service-linked rows skipped: %d", n)
	}
}

func TestDemoGenerateProves(t *testing.T) {
	f := loadDemo(t)
	an := f.analysis(90)
	cat := catalog.Default()
	n := 0
	for p, us := range an.Usage.By {
		if len(us.Calls) == 0 {
			continue
		}
		n++
		g, err := an.Generate(p, GenerateOptions{})
		if err != nil {
			t.Errorf("%s: %v", p.ARN, err)
			continue
		}
		// The demo collects no key policies: calls on KMS keys are
		// undetermined, every other call is covered.
		if len(g.Proof.Uncovered) > 0 || g.Proof.Covered+len(g.Proof.Undetermined) != g.Proof.Total || g.Proof.Total != len(us.Calls) {
			t.Errorf("%s: %s (calls %d); uncovered %v", p.ARN, g.Proof, len(us.Calls), g.Proof.Uncovered)
		}
		for _, c := range g.Proof.Undetermined {
			if !strings.HasPrefix(c.Action, "kms:") || !strings.Contains(c.Resource, ":key/") {
				t.Errorf("%s: %s on %s undetermined", p.ARN, c.Action, c.Resource)
			}
		}
		for i, d := range g.Policies {
			for _, is := range policy.Validate(d.JSON(), policy.TypeIdentity, cat) {
				if is.Severity == policy.SevError {
					t.Errorf("%s policy %d: %s %s", p.ARN, i+1, is.Code, is.Message)
				}
			}
			if g.Sizes[i] > ManagedPolicyMaxChars {
				t.Errorf("%s policy %d: %d characters", p.ARN, i+1, g.Sizes[i])
			}
		}
		for _, d := range g.Policies {
			for _, st := range d.Statement {
				if !slices.Contains(st.Resource, "*") {
					continue
				}
				for _, a := range st.Action {
					if ca, ok := cat.Action(a); ok && ca.SupportsResourceLevel() && !strings.Contains(strings.Join(g.Notes, " "), a) {
						t.Errorf("%s: %s on * though it supports resource-level permissions", p.ARN, a)
					}
				}
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d principals with usage in the demo", n)
	}
}

func TestDemoGeneratePassRoleAndRemoved(t *testing.T) {
	f := loadDemo(t)
	an := f.analysis(90)
	p := an.Model.Lookup("arn:aws:iam::555555555555:user/ci-deployer")
	g, err := an.Generate(p, GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, d := range g.Policies {
		for _, st := range d.Statement {
			actions = append(actions, st.Action...)
		}
	}
	slices.Sort(actions)
	if !slices.Contains(actions, "iam:PassRole") {
		t.Errorf("iam:PassRole dropped though ecs:UpdateService passes roles: %v", actions)
	}
	if !strings.Contains(strings.Join(g.Notes, "\n"), "REVIEW: iam:PassRole") {
		t.Errorf("PassRole not flagged for review: %v", g.Notes)
	}
	if len(g.Removed) == 0 || g.Kept == 0 || g.Kept > g.Granted {
		t.Errorf("removed %v, kept %d of %d", g.Removed, g.Kept, g.Granted)
	}
}

func TestGeneralize(t *testing.T) {
	var many []string
	for i := 0; i < 12; i++ {
		many = append(many, "arn:aws:dynamodb:eu-west-1:555555555555:table/orders-"+string(rune('a'+i)))
	}
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"few stay", []string{"arn:aws:s3:::b/x/*", "arn:aws:s3:::b/y/*"}, []string{"arn:aws:s3:::b/x/*", "arn:aws:s3:::b/y/*"}},
		{"star wins", []string{"*", "arn:aws:s3:::b"}, []string{"*"}},
		{"many collapse to prefix", many, []string{"arn:aws:dynamodb:eu-west-1:555555555555:table/orders-*"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, generalize(tc.in)); d != "" {
				t.Error(d)
			}
		})
	}
}
