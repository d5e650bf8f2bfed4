package cmdtest

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// CatalogWithRCP writes into the workspace at wsDir the catalog cache
// `seiri catalog update` writes: the embedded catalog, except that the
// services of prefixes are marked as governed by RCPs (as AWS adds services
// to the list). Commands must then use it (issue 11 §5, issue 12 §1).
func CatalogWithRCP(t *testing.T, wsDir string, prefixes ...string) {
	t.Helper()
	var buf bytes.Buffer
	if err := catalog.Embedded().Encode(&buf); err != nil {
		t.Fatal(err)
	}
	c, err := catalog.Decode(&buf) // a copy: the embedded catalog stays as it is
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range prefixes {
		s, ok := c.Service(p)
		if !ok {
			t.Fatalf("no service %q in the catalog", p)
		}
		if s.SupportsRCP {
			t.Fatalf("service %q already supports RCPs: the test would prove nothing", p)
		}
		s.SupportsRCP = true
	}
	if _, err := catalog.WriteCache(cmdutil.CatalogCacheDir(wsDir), c); err != nil {
		t.Fatal(err)
	}
}

// RCP fixture: an organization whose RCP on the root denies SNS calls from
// outside the organization (AWS Organizations User Guide, "Resource control
// policy examples", the data perimeter), and an account with an SNS topic
// anyone may publish to. SNS is not among the embedded catalog's RCP
// services: with it, the topic is public; with a catalog that lists SNS
// (CatalogWithRCP(t, ws, "sns")), the RCP closes it.
const (
	RCPOrgID    = "o-rcptest0001"
	RCPAccount  = "111111111111"
	RCPTopicARN = "arn:aws:sns:us-east-1:111111111111:alerts"
)

// RCPSnapshot writes the RCP fixture as a snapshot of the workspace at
// wsDir, collected at now.
func RCPSnapshot(t *testing.T, wsDir string, now time.Time) {
	t.Helper()
	w, err := snapshot.Create(filepath.Join(wsDir, "snapshots"), now)
	if err != nil {
		t.Fatal(err)
	}
	o := &snapshot.Organization{ID: RCPOrgID, ManagementAccount: "999999999999", Roots: []snapshot.Root{{ID: "r-root"}},
		Accounts: []snapshot.OrgAccount{{ID: RCPAccount, ParentID: "r-root", Status: "ACTIVE"}, {ID: "999999999999", ParentID: "r-root", Status: "ACTIVE"}},
		Policies: []snapshot.OrgPolicy{{ID: "p-rcp1", Name: "perimeter", Type: "RESOURCE_CONTROL_POLICY", Targets: []string{"r-root"},
			Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sns:*","Resource":"*",` +
				`"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"` + RCPOrgID + `"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}`}}}
	if err := w.WriteOrganization(o); err != nil {
		t.Fatal(err)
	}
	topic := `{"Version":"2012-10-17","Statement":[{"Sid":"Anyone","Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"` + RCPTopicARN + `"}]}`
	a := &snapshot.Account{AccountID: RCPAccount, CollectedAt: now, OrgMembership: &snapshot.OrgMembership{ID: RCPOrgID},
		ResourcePolicies: &snapshot.ResourcePolicies{Regions: []string{"us-east-1"}, Scopes: []snapshot.CollectScope{{Service: snapshot.ServiceS3Control}},
			S3AccountBlock: &snapshot.PublicAccessBlock{},
			Items:          []snapshot.ResourcePolicy{{Type: snapshot.ResourceSNSTopic, ARN: RCPTopicARN, Name: "alerts", Region: "us-east-1", Policy: json.RawMessage(topic)}}}}
	file, err := w.WriteAccount(a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(&snapshot.Manifest{Source: "test", StartedAt: now, FinishedAt: now,
		Accounts: []snapshot.AccountStatus{{AccountID: RCPAccount, File: file}}}); err != nil {
		t.Fatal(err)
	}
}
