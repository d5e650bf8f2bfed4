package cmdtest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/awsfake"
)

// TrailLog is one CloudTrail record of a test's logs: an IAM user's call
// (User "" for an unattributed one), failed when ErrCode is set.
type TrailLog struct {
	At                            time.Time
	Acct, User, Key, Source, Name string
	IP, Agent, ErrCode            string
}

// PutTrailLog writes l as log file n of CloudTrail's delivery layout
// (AWSLogs/<account>/CloudTrail/us-east-1/<date>/…) into bucket of the
// fake's S3, creating the bucket when missing: the scans read it through
// the SDK as they read a real trail bucket.
func PutTrailLog(t testing.TB, fake *awsfake.Server, bucket string, n int, l TrailLog) {
	t.Helper()
	rel, body := trailLogFile(t, n, l)
	be := fake.S3Backend()
	if ok, _ := be.BucketExists(bucket); !ok {
		if err := be.CreateBucket(bucket); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := be.PutObject(bucket, rel, map[string]string{}, bytes.NewReader(body), int64(len(body)), nil); err != nil {
		t.Fatal(err)
	}
}

// WriteTrailLog writes l as log file n of CloudTrail's delivery layout
// under the local folder dir (as PutTrailLog does in a bucket), and
// returns its path.
func WriteTrailLog(t testing.TB, dir string, n int, l TrailLog) string {
	t.Helper()
	rel, body := trailLogFile(t, n, l)
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, body, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// trailLogFile is log file n holding l: its key in the delivery layout
// and its gzip-compressed content.
func trailLogFile(t testing.TB, n int, l TrailLog) (string, []byte) {
	t.Helper()
	id := map[string]any{"type": "Unknown", "accountId": l.Acct}
	if l.User != "" {
		id = map[string]any{"type": "IAMUser", "accountId": l.Acct, "arn": "arn:aws:iam::" + l.Acct + ":user/" + l.User,
			"principalId": "AIDA" + strings.ToUpper(l.User), "userName": l.User, "accessKeyId": l.Key}
	}
	rec := map[string]any{"eventVersion": "1.08", "eventTime": l.At.Format(time.RFC3339), "eventSource": l.Source,
		"eventName": l.Name, "awsRegion": "us-east-1", "sourceIPAddress": l.IP, "userAgent": l.Agent,
		"userIdentity": id, "recipientAccountId": l.Acct, "eventType": "AwsApiCall", "eventCategory": "Management",
		"eventID": fmt.Sprintf("ev-%d-%d", l.At.Unix(), n), "readOnly": true}
	if l.ErrCode != "" {
		rec["errorCode"], rec["errorMessage"] = l.ErrCode, "The security token included in the request is invalid."
	}
	b, err := json.Marshal(map[string]any{"Records": []any{rec}})
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rel := fmt.Sprintf("AWSLogs/%s/CloudTrail/us-east-1/%s/%s_CloudTrail_us-east-1_%s_%s_%d.json.gz", l.Acct,
		l.At.Format("2006/01/02"), l.Acct, l.At.Format("20060102T1504Z"), l.Name, n)
	return rel, gz.Bytes()
}
