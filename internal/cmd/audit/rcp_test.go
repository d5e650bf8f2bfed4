package audit

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
)

// Issue 11 §5 / issue 12 §1: audit's external access rules take the
// services RCPs govern from the catalog in force (see
// cmdtest.RCPSnapshot): the public SNS topic is a finding with the embedded
// catalog and not after a refresh that puts SNS under RCPs.
func TestAuditUsesRefreshedCatalogForRCPs(t *testing.T) {
	ws := filepath.Join(t.TempDir(), "ws")
	cmdtest.RCPSnapshot(t, ws, auditNow)
	args := []string{"--workspace", ws, "-o", "json", "audit", "--rule", "SEIRI-PUBLIC-RESOURCE"}
	code, out, errOut := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, cmdtest.RCPTopicARN) {
		t.Fatalf("with the embedded catalog the topic is public; output:\n%s", out)
	}
	cmdtest.CatalogWithRCP(t, ws, "sns")
	code, out, errOut = runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out, cmdtest.RCPTopicARN) {
		t.Errorf("the refreshed catalog lists SNS under RCPs: the RCP closes the topic; output:\n%s", out)
	}
}
