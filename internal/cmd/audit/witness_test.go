package audit

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/usage"
)

// TestAuditCloudTrailWitness: a user whose key CloudTrail recorded 5 days
// ago (a scan in the usage store) is neither an inactive user nor an unused
// key, though GetAccessKeyLastUsed says "never"; the resource-policy
// coverage gap is said once on stderr.
func TestAuditCloudTrailWitness(t *testing.T) {
	ws, _ := writeSnapshot(t)
	ctx := context.Background()
	st, err := usage.Open(ctx, filepath.Join(ws, "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	seen := auditNow.AddDate(0, 0, -5)
	err = st.Commit(ctx, usage.Batch{
		Rows: []usage.Row{{Key: usage.Key{Account: "111111111111", Principal: "arn:aws:iam::111111111111:user/ci", PrincipalType: "IAMUser",
			AccessKeyID: "AKIACI", Action: "s3:ListBuckets", Region: "us-east-1"}, FirstSeen: seen, LastSeen: seen, Count: 3, Authz: true}},
		Run: &usage.Run{Engine: "local", StartedAt: auditNow, FinishedAt: auditNow, Since: auditNow.AddDate(0, 0, -90), Until: auditNow, Sources: []string{"test"}},
	})
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "--workspace", ws, "--output", "json", "audit")
	if code != cmdutil.ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r finding.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.RuleID+" "+f.Resource)
	}
	if diff := cmp.Diff([]string{"SEIRI-KEY-OLD arn:aws:iam::111111111111:user/ci"}, ids); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	// Issue 15: the report names the usage window it used (JSON and text).
	if want := "CloudTrail 2025-03-03 to 2025-06-01 (usage store, 1 accounts); unused permissions over the last 90 days"; r.Usage != want {
		t.Errorf("usage %q, want %q", r.Usage, want)
	}
	if _, text, _ := runCLI(t, "--workspace", ws, "audit"); !strings.Contains(text, "\nusage: "+r.Usage+"\n") {
		t.Errorf("the table does not name the usage window:\n%s", text)
	}
	const cov = "warning: resource policies (S3, KMS, SQS, SNS, Lambda, Secrets Manager, ECR) are not in this snapshot: external access to them is unknown (collect again)\n"
	if n := strings.Count(errOut, cov); n != 1 {
		t.Errorf("coverage warning %d times in stderr:\n%s", n, errOut)
	}
}
