package trail

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/usage"
)

// Calls of one role through two sessions (two ASIA keys, two days) merge
// into one row without an access key; the keys are kept per day. A long-
// term key (AKIA) stays in the row's key.
func TestSessionKeysLeaveTheRowKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "AWSLogs", "111111111111", "CloudTrail", "us-east-1", "2026", "11", "01")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rec := func(at, key, typ, arn string) string {
		id := `"type":"` + typ + `","arn":"` + arn + `","accountId":"111111111111","accessKeyId":"` + key + `"`
		if typ == "AssumedRole" {
			id += `,"sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111111111111:role/app","userName":"app"}}`
		}
		return `{"eventVersion":"1.09","userIdentity":{` + id + `},"eventTime":"` + at + `","eventSource":"sqs.amazonaws.com","eventName":"ListQueues","awsRegion":"us-east-1","sourceIPAddress":"10.0.0.1","recipientAccountId":"111111111111"}`
	}
	body := `{"Records":[` +
		rec("2026-11-01T10:00:00Z", "ASIAFIRST", "AssumedRole", "arn:aws:sts::111111111111:assumed-role/app/s1") + "," +
		rec("2026-11-02T09:00:00Z", "ASIASECOND", "AssumedRole", "arn:aws:sts::111111111111:assumed-role/app/s2") + "," +
		rec("2026-11-02T09:30:00Z", "AKIALONGTERM", "IAMUser", "arn:aws:iam::111111111111:user/u") + `]}`
	if err := os.WriteFile(filepath.Join(dir, "111111111111_CloudTrail_us-east-1_20261101T1000Z_a.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Scan(context.Background(), &DirSource{Dir: filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(dir))))))}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range res.Rows {
		keys = append(keys, r.Principal+" "+r.AccessKeyID+" "+r.Action)
		if r.Principal == "arn:aws:iam::111111111111:role/app" && r.Count != 2 {
			t.Errorf("role row counts %d calls, want 2 (both sessions)", r.Count)
		}
	}
	if want := []string{"arn:aws:iam::111111111111:role/app  sqs:ListQueues", "arn:aws:iam::111111111111:user/u AKIALONGTERM sqs:ListQueues"}; !cmp.Equal(want, keys) {
		t.Errorf("rows %q, want %q", keys, want)
	}
	want := []usage.SessionUse{
		{SessionUseKey: usage.SessionUseKey{Account: "111111111111", Principal: "arn:aws:iam::111111111111:role/app", Day: "2026-11-01"}, Keys: []string{"ASIAFIRST"}},
		{SessionUseKey: usage.SessionUseKey{Account: "111111111111", Principal: "arn:aws:iam::111111111111:role/app", Day: "2026-11-02"}, Keys: []string{"ASIASECOND"}},
	}
	if diff := cmp.Diff(want, res.SessionUses); diff != "" {
		t.Errorf("session uses (-want +got):\n%s", diff)
	}
}
