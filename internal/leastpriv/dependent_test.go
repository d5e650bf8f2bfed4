package leastpriv

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/policy"
)

// A principal seen calling only secretsmanager:BatchGetSecretValue (as the
// Athena engine recorded it before it mapped per item, or a store from an
// older seiri) gets a policy that also allows secretsmanager:GetSecretValue
// on its account's secrets: the call needs both (Secrets Manager API
// Reference, BatchGetSecretValue, "Required permissions"). The ListSecrets
// and kms:Decrypt dependencies hold only for some requests: noted, not added.
func TestGenerateAddsDependentActions(t *testing.T) {
	an := loadDemo(t).analysis(90)
	p := an.Model.Lookup("arn:aws:iam::555555555555:user/ci-deployer")
	if p == nil {
		t.Fatal("ci-deployer not in the demo")
	}
	an.Usage.By[p] = &Used{Calls: []Call{
		{Action: "secretsmanager:BatchGetSecretValue", Account: "555555555555", Count: 3},
		{Action: "kms:ReEncryptFrom", Resource: "arn:aws:kms:us-east-1:555555555555:key/1234abcd-12ab-34cd-56ef-1234567890ab", Account: "555555555555", Count: 1},
	}}
	g, err := an.Generate(p, GenerateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var pols []*policy.Policy
	for _, d := range g.Policies {
		b, _ := json.Marshal(d)
		pol, err := policy.Parse(b, policy.TypeIdentity)
		if err != nil {
			t.Fatal(err)
		}
		pols = append(pols, pol)
	}
	allows := func(action, resource string) bool {
		req := policy.Request{Principal: p.ARN, ResourceAccount: "555555555555", Action: action, Resource: resource}
		return policy.Evaluate(&req, &policy.Policies{Identity: pols, Resource: p.delegate}, nil).Decision == policy.AllowDecision
	}
	for _, c := range []struct {
		action, resource string
		want             bool
	}{
		{"secretsmanager:BatchGetSecretValue", "*", true},
		{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:eu-west-1:555555555555:secret:prod/db-AbCdEf", true},
		{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:eu-west-1:666666666666:secret:prod/db-AbCdEf", false}, // another account
		{"kms:ReEncryptTo", "arn:aws:kms:us-east-1:555555555555:key/0987dcba-09fe-87dc-65ba-ab0987654321", true},
		{"secretsmanager:ListSecrets", "*", false}, // only with filters: a review note
	} {
		if got := allows(c.action, c.resource); got != c.want {
			t.Errorf("%s on %s: allowed %v, want %v\n%s", c.action, c.resource, got, c.want, g.Policies[0].JSON())
		}
	}
	notes := strings.Join(g.Notes, "\n")
	for _, want := range []string{
		"secretsmanager:GetSecretValue (needed by secretsmanager:BatchGetSecretValue: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_BatchGetSecretValue.html)",
		"kms:ReEncryptTo (needed by kms:ReEncryptFrom: https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html)",
		"REVIEW: secretsmanager:BatchGetSecretValue also needs secretsmanager:ListSecrets when the call uses filters",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}
