package catalog

import (
	"strings"
	"testing"
)

// Every curated dependent action names actions the catalog knows and an AWS
// documentation page.
func TestDependentTableNamesKnownActions(t *testing.T) {
	c := Embedded()
	if len(Dependents()) == 0 {
		t.Fatal("empty table")
	}
	for _, d := range Dependents() {
		for _, a := range []string{d.Action, d.Needs} {
			if _, ok := c.Action(a); !ok {
				t.Errorf("%s → %s: %s is no catalog action", d.Action, d.Needs, a)
			}
		}
		if !strings.HasPrefix(d.Source, "https://docs.aws.amazon.com/") {
			t.Errorf("%s → %s: source %q is no AWS documentation page", d.Action, d.Needs, d.Source)
		}
	}
	if got := DependentsOf("SecretsManager:batchGetSecretValue"); len(got) != 3 || got[0].Needs != "secretsmanager:GetSecretValue" {
		t.Errorf("DependentsOf is case-insensitive and ordered: %+v", got)
	}
}
