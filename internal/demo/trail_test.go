package demo

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/trail"
)

// The demo's logs, scanned by the real engine, tell the story the snapshot
// tells: active keys are in them, silent keys are not, one workload fails
// with AccessDenied, one writes to another region.
func TestDemoTrail(t *testing.T) {
	o := Generate(now, Seed)
	dir := t.TempDir()
	st, err := o.WriteTrail(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Files == 0 || st.Records < 1000 {
		t.Fatalf("generated %+v", st)
	}
	if _, err := os.Stat(filepath.Join(dir, "AWSLogs", OrgID, "555555555555", "CloudTrail", HomeRegion)); err != nil {
		t.Fatalf("not in the organization trail layout: %v", err)
	}
	res, err := trail.Scan(context.Background(), &trail.DirSource{Dir: dir}, trail.Options{Mapper: &trail.Mapper{}})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	denied, otherRegion := false, false
	for _, r := range res.Rows {
		keys[r.AccessKeyID] = true
		if r.ErrorCode == "AccessDenied" && strings.HasSuffix(r.Principal, "user/metrics-exporter") && r.Action == "cloudwatch:PutDashboard" {
			denied = true
		}
		if strings.HasSuffix(r.Principal, "user/backup-agent") && strings.Contains(r.Resource, "backups-dr") {
			otherRegion = true
		}
	}
	if !denied {
		t.Error("metrics-exporter's AccessDenied is not in the usage rows")
	}
	if !otherRegion {
		t.Error("backup-agent's DR copy is not in the usage rows")
	}
	for _, a := range o.Accounts {
		for _, u := range a.Users {
			for _, k := range u.AccessKeys {
				recent := k.LastUsed != nil && now.Sub(k.LastUsed.Date).Hours() < 24*TrailDays
				if keys[k.AccessKeyID] && !recent {
					t.Errorf("key %s of %s has events but its last use is %v", k.AccessKeyID, u.UserName, k.LastUsed)
				}
			}
		}
	}
	for _, name := range []string{"ci-deployer", "backup-agent", "payments-batch", "s3-uploader"} {
		found := false
		for _, r := range res.Rows {
			if strings.HasSuffix(r.Principal, "user/"+name) && r.AccessKeyID != "" {
				found = true
			}
		}
		if !found {
			t.Errorf("machine user %s has no usage", name)
		}
	}
}
