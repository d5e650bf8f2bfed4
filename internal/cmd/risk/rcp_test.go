package risk

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
)

// Issue 11 §5 / issue 12 §1: risk external takes the services RCPs govern
// from the catalog in force. An RCP denies SNS to callers outside the
// organization; the embedded catalog does not list SNS, so the public topic
// is a finding; after a catalog refresh that lists SNS, it is not.
func TestExternalUsesRefreshedCatalogForRCPs(t *testing.T) {
	ws := filepath.Join(t.TempDir(), "ws")
	cmdtest.RCPSnapshot(t, ws, demoNow)
	out, errOut, code := cmdtest.RunWS(t, testRoot, demoNow, nil, ws, "risk", "external", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, cmdtest.RCPTopicARN) {
		t.Fatalf("with the embedded catalog the topic is public; output:\n%s", out)
	}
	cmdtest.CatalogWithRCP(t, ws, "sns")
	out, errOut, code = cmdtest.RunWS(t, testRoot, demoNow, nil, ws, "risk", "external", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out, cmdtest.RCPTopicARN) {
		t.Errorf("the refreshed catalog lists SNS under RCPs: the RCP closes the topic; output:\n%s", out)
	}
}
