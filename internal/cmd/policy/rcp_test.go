package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
)

// Issue 11 §5 / issue 12 §1: policy simulate decides which services RCPs
// govern from the catalog in force. An RCP denying sns:Publish does not
// apply with the embedded catalog (SNS is not listed) and does after a
// catalog refresh that lists SNS.
func TestPolicySimulateUsesRefreshedCatalogForRCPs(t *testing.T) {
	dir := t.TempDir()
	ws := filepath.Join(dir, "ws")
	cases := filepath.Join(dir, "cases.jsonl")
	c := `{"id":"publish","request":{"principal":"arn:aws:iam::111111111111:user/amy","action":"sns:Publish","resource":"arn:aws:sns:us-east-1:111111111111:alerts"},` +
		`"identityPolicies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"*"}]}],` +
		`"scps":[[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}]],` +
		`"rcps":[[{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sns:Publish","Resource":"*"}]}]]}` + "\n"
	if err := os.WriteFile(cases, []byte(c), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	run := func() string {
		out, errOut, code := cmdtest.RunWS(t, testRoot, now, nil, ws, "policy", "simulate", "--cases", cases)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		return out
	}
	if out := run(); !strings.Contains(out, `"decision":"Allow"`) {
		t.Fatalf("embedded catalog: SNS is not under RCPs, want Allow: %s", out)
	}
	cmdtest.CatalogWithRCP(t, ws, "sns")
	if out := run(); !strings.Contains(out, `"decision":"ExplicitDeny"`) && !strings.Contains(out, `"decision":"Deny"`) {
		t.Errorf("refreshed catalog lists SNS under RCPs: want the RCP's deny: %s", out)
	}
}
