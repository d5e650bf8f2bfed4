package leastpriv

import (
	"os"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// TestMissingDocumentNotGrantsNothing: in the AWS CLI's documented example
// of get-account-authorization-details (one truncated page), user Alice's
// only permissions come from group Admins' AdministratorAccess, whose
// document is not in the file. seiri must say the document is missing, not
// that the user grants nothing.
func TestMissingDocumentNotGrantsNothing(t *testing.T) {
	data, err := os.ReadFile("../snapshot/testdata/authdetails-awscli-example.json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := snapshot.ParseAuthorizationDetails(data, "example.json", "")
	if err != nil {
		t.Fatal(err)
	}
	m := NewModel(&snapshot.Snapshot{Accounts: []*snapshot.Account{a}}, catalog.Default())
	var alice *Principal
	for _, p := range m.Principals {
		if strings.HasSuffix(p.ARN, ":user/Alice") {
			alice = p
		}
	}
	if alice == nil {
		t.Fatal("no principal Alice")
	}
	want := "document missing: managed policy arn:aws:iam::aws:policy/AdministratorAccess is attached but its document is not in the snapshot: what it grants is unknown"
	if len(alice.Problems) != 1 || alice.Problems[0] != want {
		t.Fatalf("problems %q", alice.Problems)
	}
	r := &PrincipalResult{Problems: alice.Problems}
	got := verdict(r, Window{})
	if strings.Contains(got, "grants nothing (") || !strings.HasPrefix(got, "document missing for 1 policy attached to it: what it grants is unknown") {
		t.Errorf("verdict %q", got)
	}
}
