package demo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	trailcmd "github.com/seiri-dev/seiri/internal/cmd/trail"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/usage"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// TestDemoRefusesAStoreWithRealScans: a workspace whose usage store holds
// scans of other logs than the demo's is never reset: the demo refuses
// (exit 2), naming the store and the other source, and the store keeps its
// events.
func TestDemoRefusesAStoreWithRealScans(t *testing.T) {
	ctx := context.Background()
	ws, err := workspace.Open(filepath.Join(t.TempDir(), "ws"))
	if err != nil {
		t.Fatal(err)
	}
	// A real trail's log, scanned into the workspace.
	logs := filepath.Join(t.TempDir(), "logs")
	day := filepath.Join(logs, "AWSLogs", "111111111111", "CloudTrail", "us-east-1", "2026", "11", "28")
	if err := os.MkdirAll(day, 0o755); err != nil {
		t.Fatal(err)
	}
	rec := `{"Records":[{"eventVersion":"1.11","eventTime":"2026-11-28T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"ListRoles","awsRegion":"us-east-1",` +
		`"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111111111111:user/ops","accountId":"111111111111","accessKeyId":"AKIAOPS"},"recipientAccountId":"111111111111","sourceIPAddress":"8.8.4.4"}]}`
	if err := os.WriteFile(filepath.Join(day, "111111111111_CloudTrail_us-east-1_20261128T1005Z_abc.json"), []byte(rec), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	if _, err := trailcmd.ScanStore(ctx, ws, catalog.Embedded(), now, os.Stderr, &trail.DirSource{Dir: logs}, trail.Options{}); err != nil {
		t.Fatal(err)
	}
	events := func() int64 {
		st, err := usage.Open(ctx, ws.UsageDB())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		tot, err := st.Totals(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return tot.Events
	}
	if n := events(); n != 1 {
		t.Fatalf("scan: %d events, want 1", n)
	}
	err = resetDemoUsage(ctx, ws, filepath.Join(ws.Dir, "demo", "cloudtrail"))
	var ee *cmdutil.ExitError
	if !errors.As(err, &ee) || ee.Code != cmdutil.ExitUsage {
		t.Fatalf("err %v, want bad input (exit 2)", err)
	}
	abs, _ := filepath.Abs(logs)
	if want := "the usage store " + ws.UsageDB() + " also holds scans of " + abs + ": run the demo in a workspace of its own (--workspace DIR)"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want %q", err, want)
	}
	if n := events(); n != 1 {
		t.Errorf("the refused demo changed the store: %d events, want 1", n)
	}
}
