package catalog

import (
	"slices"
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

// The curated table is merged into every catalog New builds: the embedded
// one and one built from other data (as `seiri catalog update` builds it),
// so Action.Dependent lists the dependencies whatever the source.
func TestDependentsMergedIntoCatalogs(t *testing.T) {
	a, ok := Embedded().Action("kms:ReEncryptFrom")
	if !ok || !slices.Contains(a.Dependent, "kms:ReEncryptTo") {
		t.Fatalf("embedded kms:ReEncryptFrom.Dependent = %v, want kms:ReEncryptTo", a.Dependent)
	}
	// Every always-needed curated pair is in the embedded catalog's data;
	// a conditional one is not (listed bare it would read as always
	// needed), unless the reference's own column lists it.
	for _, d := range Dependents() {
		a, _ := Embedded().Action(d.Action)
		n, _ := Embedded().Action(d.Needs)
		_, column := factFor(d.Action, d.Needs, true)
		if got, want := slices.Contains(a.Dependent, n.FullName()), d.When == "" || column; got != want {
			t.Errorf("%s.Dependent = %v: has %s %v, want %v (when %q, in the column %v)", d.Action, a.Dependent, n.FullName(), got, want, d.When, column)
		}
	}
	// A catalog from other data: the table's entries for its actions, plus
	// a dependency only the data lists.
	fresh := New(Source{Name: "test"}, []*Service{
		{Prefix: "lambda", Actions: []*Action{{Name: "CreateFunction"}, {Name: "InvokeFunction"}}},
		{Prefix: "iam", Actions: []*Action{{Name: "PassRole"}}},
		{Prefix: "example", Actions: []*Action{{Name: "Run", Dependent: []string{"lambda:InvokeFunction"}}}},
	})
	lf, _ := fresh.Action("lambda:CreateFunction")
	if !slices.Equal(lf.Dependent, []string{"iam:PassRole"}) {
		t.Errorf("fresh lambda:CreateFunction.Dependent = %v, want [iam:PassRole]", lf.Dependent)
	}
	got := fresh.DependentsOf("EXAMPLE:run")
	if len(got) != 1 || got[0].Needs != "lambda:InvokeFunction" || got[0].Scope != OtherResource || !strings.Contains(got[0].Source, "catalog test") {
		t.Errorf("data-only dependents of example:Run = %+v", got)
	}
	// The table's own entries are not repeated from the data.
	if got := fresh.DependentsOf("lambda:CreateFunction"); len(got) != 1 || got[0].Source != docLambdaIdentity {
		t.Errorf("lambda:CreateFunction dependents = %+v, want the curated entry once, with its page", got)
	}
	// An entry no source read confirms says so in its Source; a confirmed
	// one does not.
	for _, d := range Dependents() {
		_, listed := unconfirmed[d.Action+" > "+d.Needs]
		for _, g := range Embedded().DependentsOf(d.Action) {
			if g.Needs == d.Needs && strings.HasSuffix(g.Source, Unconfirmed) != listed {
				t.Errorf("%s > %s: Source %q, want marked unconfirmed %v", d.Action, d.Needs, g.Source, listed)
			}
		}
	}
	if got := fresh.DependentsOf("kms:ReEncryptFrom"); len(got) != 1 || got[0].Source != docKMSReEncrypt {
		t.Errorf("kms:ReEncryptFrom dependents = %+v, want the confirmed curated entry with its page", got)
	}
}

// Entries are unique, and an entry without a condition (When) is one the
// documentation states for every call.
func TestDependentTableUnique(t *testing.T) {
	seen := map[string]bool{}
	always := 0
	for _, d := range Dependents() {
		k := strings.ToLower(d.Action + ">" + d.Needs)
		if seen[k] {
			t.Errorf("duplicate entry %s → %s", d.Action, d.Needs)
		}
		seen[k] = true
		if d.When == "" {
			always++
		}
	}
	if len(seen) < 60 || always < 20 {
		t.Errorf("table has %d entries, %d unconditional: expected the services of docs/catalog.md to be covered", len(seen), always)
	}
}
