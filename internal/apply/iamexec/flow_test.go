package iamexec

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/apply"
	"github.com/seiri-dev/seiri/internal/diag"
	"github.com/seiri-dev/seiri/internal/keys"
)

// keys disable through the one apply flow: a change that fails (the owner
// is guarded by another run) is exit 3 and names the key; once the other
// run is gone, the same command converges, and the guard is released.
func TestKeysThroughTheApplyFlow(t *testing.T) {
	e := newEnv(t)
	cl, _ := e.clients(context.Background(), e.member)
	other := keys.GuardValue("keys.disable-other", t0.Add(-time.Minute), "arn:aws:iam::111111110000:user/colleague")
	if _, err := cl.TagUser(context.Background(), tagInput("legacy-app", keys.GuardTag, other)); err != nil {
		t.Fatal(err)
	}
	p := e.disablePlan()
	run := func() (*apply.Outcome, string) {
		var out bytes.Buffer
		ex := e.executor(p)
		before, after := ex.FlowHooks(e.journal, p)
		o := apply.Run(context.Background(), apply.Flow{Plan: p, Executor: ex, Journal: e.journal, LockPath: filepath.Join(e.dir, "lock"),
			Operator: operator, Out: &out, Yes: true, Before: before, After: after})
		return o, out.String()
	}
	o, out := run()
	if o.ExitCode() != diag.ExitPartial || !strings.Contains(out, "failed   disable access key "+oldKey+" of legacy-app: another seiri run is changing this user") {
		t.Fatalf("guarded: exit %d\n%s", o.ExitCode(), out)
	}
	if _, err := cl.UntagUser(context.Background(), untagInput("legacy-app", keys.GuardTag)); err != nil {
		t.Fatal(err)
	}
	o, out = run()
	if o.ExitCode() != 0 || o.Result.Applied != 2 || !strings.Contains(out, "Applied 2, skipped 0 (already in effect), failed 0.") {
		t.Fatalf("second run: exit %d %v\n%s", o.ExitCode(), o.Diags, out)
	}
	if st := e.state(); st.Tags[keys.GuardTag] != "" || st.AccessKeys[0].Status != "Inactive" {
		t.Errorf("after: %v %v", st.Tags, st.AccessKeys)
	}
}
