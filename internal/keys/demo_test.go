package keys

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

func TestDemoRetirement(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	org := demo.Generate(now, demo.Seed)
	dir, err := org.WriteSnapshot(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	snap, err := snapshot.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	res := DemoRetirement(&buf, snap, config.Default().Keys, now, nil, nil)
	out := buf.String()
	if len(res.Candidates) == 0 {
		t.Fatalf("the demo organization has no key to retire:\n%s", out)
	}
	for _, want := range []string{"Access keys seiri would retire", "GetAccessKeyLastUsed", "coverage", "candidate keys"} {
		if !strings.Contains(out, want) {
			t.Errorf("section lacks %q:\n%s", want, out)
		}
	}
	t.Log(out)
}
