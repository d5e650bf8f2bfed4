package org

import (
	"bytes"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/demo"
)

func TestDemoPlanBreaksOneWorkload(t *testing.T) {
	d := demo.Generate(now, 1)
	p, im, err := DemoPlan(d, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := describe(p.Changes); len(got) != 2 || !strings.HasPrefix(got[0], `create SCP "workloads-eu-west-1-only"`) || got[1] != `attach SCP "workloads-eu-west-1-only" to OU Workloads` {
		t.Errorf("plan: %v", got)
	}
	if im.DeniedPrincipals != 1 || im.DeniedAccounts != 1 || len(im.Top) != 1 || im.Rows < 20 {
		t.Fatalf("impact: %s\n%+v", im.Summary(), im.Denied)
	}
	for _, d := range im.Top {
		if d.Account != demo.DRAccount || !strings.HasSuffix(d.Principal, "/"+demo.DRPersona) || d.Region != demo.DRRegion {
			t.Errorf("denied: %+v", d)
		}
	}
	var b bytes.Buffer
	im.Write(&b, "")
	t.Log("\n" + b.String())
	if !strings.Contains(b.String(), "would newly deny") || !strings.Contains(b.String(), "backup-agent s3:PutObject in us-east-1") || !strings.Contains(b.String(), `SCP "workloads-eu-west-1-only"`) {
		t.Errorf("impact text:\n%s", b.String())
	}
}
