package trail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// trail scan --detect judges the records the scan just read, and only
// those: a second scan reads nothing new and judges nothing.
func TestTrailScanDetect(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "detect", "testdata", "attacks.json"))
	if err != nil {
		t.Fatal(err)
	}
	logs := t.TempDir()
	if err := os.WriteFile(filepath.Join(logs, "attacks.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	ws := filepath.Join(t.TempDir(), "ws")
	_, errOut, code := runTrail(t, "--workspace", ws, "trail", "scan", "--source", logs, "--detect")
	if code != 0 {
		t.Fatalf("code %d\n%s", code, errOut)
	}
	for _, want := range []string{"Detection: 34 records of 1 newly scanned objects judged; 26 findings (26 new)", "SEIRI-DETECT-LEAVE-ORG"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	_, errOut, code = runTrail(t, "--workspace", ws, "trail", "scan", "--source", logs, "--detect")
	if code != 0 || !strings.Contains(errOut, "Detection: 0 records of 0 newly scanned objects judged; 0 findings (0 new); 26 open") {
		t.Errorf("second scan: code %d\n%s", code, errOut)
	}
}
