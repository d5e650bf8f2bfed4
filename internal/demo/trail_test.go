package demo

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
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
	os.Chmod(dir, 0o755) // as an older seiri left it: modes are fixed
	st, err := o.WriteTrail(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkPrivateModes(t, dir)
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

func TestGenResource(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:s3:::b/k/x.csv":                            "b/k/x.csv",
		"arn:aws:dynamodb:eu-west-1:1:table/payments":       "payments",
		"arn:aws:sqs:eu-west-1:1:payments-settlement":       "payments-settlement",
		"arn:aws:ecr:eu-west-1:1:repository/payments-api":   "payments-api",
		"arn:aws:lambda:eu-west-1:1:function:web-x":         "web-x",
		"arn:aws:cloudwatch::1:dashboard/exporter":          "exporter",
		"arn:aws:kms:eu-west-1:1:key/1f0c":                  "arn:aws:kms:eu-west-1:1:key/1f0c",
		"arn:aws:iam::1:role/OrganizationAccountAccessRole": "OrganizationAccountAccessRole",
		"arn:aws:ssm:eu-west-1:1:parameter/app/flags":       "/app/flags",
		"arn:aws:ecs:eu-west-1:1:service/prod/payments-api": "arn:aws:ecs:eu-west-1:1:service/prod/payments-api",
	} {
		got := genResource(in)
		if len(got) != 1 || got[0] != want {
			t.Errorf("genResource(%q) = %q, want %q", in, got, want)
		}
	}
	if genResource("*") != nil {
		t.Error(`genResource("*") is not nil`)
	}
}

// checkPrivateModes: the demo's CloudTrail copy is private like the rest of
// the workspace, 0700 folders and 0600 files.
func checkPrivateModes(t *testing.T, dir string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return // no mode bits
	}
	var files, dirs int
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := d.Info()
		want := os.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
			dirs++
		} else {
			files++
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %04o, want %04o", p, fi.Mode().Perm(), want)
		}
		return nil
	})
	if files == 0 || dirs < 2 {
		t.Errorf("walked %d files, %d folders", files, dirs)
	}
}
