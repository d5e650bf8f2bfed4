package risk

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// TestDemo runs the analysis on the demo organization and keeps its paths
// in a golden file: the realistic paths the demo holds (a CI user that can
// pass an administrator role to a new Lambda function, a user with iam:*,
// the platform developers' iam:PassRole on every role with ecs:RunTask)
// must be found, with the statements that allow each step.
func TestDemo(t *testing.T) {
	o := demo.Generate(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), demo.Seed)
	dir := t.TempDir()
	snapDir, err := o.WriteSnapshot(filepath.Join(dir, "snapshots"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := snapshot.Open(snapDir)
	if err != nil {
		t.Fatal(err)
	}
	an := Analyze(s, catalog.Default(), Options{Workers: 2})
	out := render(an.AdminPaths())
	if os.Getenv("SEIRI_PRINT") != "" {
		t.Log("\n" + out)
	}
	golden(t, "demo.golden", out)
}
