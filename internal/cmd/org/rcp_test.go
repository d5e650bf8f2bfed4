package org

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/usage"
)

// Issue 11 §5 / issue 12 §1: org plan's impact replay decides which
// services RCPs govern from the catalog in force. A new RCP on the root
// denies sns:Publish; recorded sns:Publish calls are newly denied only once
// a refreshed catalog lists SNS under RCPs (the embedded one does not).
func TestOrgPlanReplayUsesRefreshedCatalogForRCPs(t *testing.T) {
	dir := orgDir(t)
	if _, errOut, code := runOrg(t, dir, "org", "import"); code != 0 {
		t.Fatalf("import: %d %s", code, errOut)
	}
	var acct string
	editSpec(t, dir, func(sp *org.Spec) {
		sp.Policies = append(sp.Policies, org.Policy{Name: "no-sns-publish", Type: "rcp",
			Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sns:Publish","Resource":"*"}]}`})
		sp.Root.Policies = append(sp.Root.Policies, "no-sns-publish")
		for _, ou := range sp.Root.OUs {
			if len(ou.Accounts) > 0 && acct == "" {
				acct = ou.Accounts[0].ID
			}
		}
	})
	if acct == "" {
		t.Fatal("the demo organization has no account in an OU")
	}
	ws := filepath.Join(dir, ".seiri")
	ctx := context.Background()
	st, err := usage.Open(ctx, filepath.Join(ws, "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	seen := now.AddDate(0, 0, -2)
	err = st.Commit(ctx, usage.Batch{
		Rows: []usage.Row{{Key: usage.Key{Account: acct, Principal: "arn:aws:iam::" + acct + ":role/alerts", PrincipalType: "AssumedRole",
			Action: "sns:Publish", Resource: "arn:aws:sns:us-east-1:" + acct + ":alerts", Region: "us-east-1"}, FirstSeen: seen, LastSeen: seen, Count: 7, Authz: true}},
		Run: &usage.Run{Engine: "local", StartedAt: now, FinishedAt: now, Since: now.AddDate(0, 0, -30), Until: now, Sources: []string{"test"}},
	})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	denied := "✗ " + acct + " alerts sns:Publish us-east-1 ×7"
	out, errOut, code := runOrg(t, dir, "org", "plan")
	if code != 0 {
		t.Fatalf("plan: %d %s", code, errOut)
	}
	if strings.Contains(out, denied) {
		t.Fatalf("embedded catalog: SNS is not under RCPs, no call is denied:\n%s", out)
	}
	cmdtest.CatalogWithRCP(t, ws, "sns")
	out, errOut, code = runOrg(t, dir, "org", "plan")
	if code != 0 {
		t.Fatalf("plan: %d %s", code, errOut)
	}
	if !strings.Contains(out, denied) {
		t.Errorf("refreshed catalog lists SNS under RCPs: want %q in\n%s", denied, out)
	}
	// Issue 15: the impact names the usage window it replayed.
	if !strings.Contains(out, "; usage of the last 30 days (since 2026-10-29)\n") {
		t.Errorf("the impact does not name its usage window:\n%s", out)
	}
}
