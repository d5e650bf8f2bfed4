package audit

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/finding"
)

// TestAuditHighValuePrincipals: audit.high_value_principals reaches the
// privilege-escalation rules: on the demo, the platform developers can hand
// the cfn-deploy-admin role to a new CloudFormation stack, so naming that
// role gives SEIRI-PRIVESC-TARGET findings; without the key, none.
func TestAuditHighValuePrincipals(t *testing.T) {
	ws, _ := cmdtest.DemoWorkspace(t, auditNow)
	targets := func(cfgBody string) []string {
		t.Helper()
		args := []string{"--workspace", ws, "audit", "--rule", "SEIRI-PRIVESC-TARGET", "-o", "json"}
		if cfgBody != "" {
			cfg := filepath.Join(t.TempDir(), "seiri.yaml")
			if err := os.WriteFile(cfg, []byte(cfgBody), 0o600); err != nil {
				t.Fatal(err)
			}
			args = append(args, "--config", cfg)
		}
		code, out, errOut := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var rep finding.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		var rs []string
		for _, f := range rep.Findings {
			if f.RuleID == "SEIRI-PRIVESC-TARGET" {
				rs = append(rs, f.Resource)
			}
		}
		return rs
	}
	if got := targets(""); len(got) != 0 {
		t.Errorf("no high-value principals configured, got target findings %v", got)
	}
	got := targets("audit:\n  high_value_principals: [arn:aws:iam::555555555555:role/cfn-deploy-admin]\n")
	if !slices.Contains(got, "arn:aws:iam::555555555555:user/omar.haddad") {
		t.Errorf("SEIRI-PRIVESC-TARGET findings %v lack the platform developer omar.haddad", got)
	}
}
