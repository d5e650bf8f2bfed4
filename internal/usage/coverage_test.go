package usage

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLogCoverageOf(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	at := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 5, 0, 0, time.UTC) }
	obj := func(src, key string) Object { return Object{Source: src, Key: key, Size: 1, MTime: at(1, 0)} }
	objs := []Object{
		// Names as CloudTrail writes them (user guide, "Finding your CloudTrail log files").
		obj("s3://b/AWSLogs", "o-abc/111111110000/CloudTrail/us-east-1/2026/11/01/111111110000_CloudTrail_us-east-1_20261101T0105Z_x1.json.gz"),
		obj("s3://b/AWSLogs", "o-abc/111111110000/CloudTrail/us-east-1/2026/11/03/111111110000_CloudTrail_us-east-1_20261103T0905Z_x2.json.gz"),
		obj("/logs", "AWSLogs/111111110000/CloudTrail/eu-west-1/2026/11/02/111111110000_CloudTrail_eu-west-1_20261102T0505Z_x3.json.gz"),
		// Not log files: a digest and a stray object; counted as skipped.
		obj("s3://b/AWSLogs", "o-abc/111111110000/CloudTrail-Digest/us-east-1/2026/11/01/111111110000_CloudTrail-Digest_us-east-1_t_20261101T0105Z.json.gz"),
		obj("s3://b/AWSLogs", "o-abc/111111110000/CloudTrail/us-east-1/2026/11/01/notes.txt"),
	}
	if err := s.Commit(ctx, Batch{Objects: objs}); err != nil {
		t.Fatal(err)
	}
	got, skipped, err := s.LogCoverageOf(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []LogCoverage{
		{Account: "111111110000", Region: "eu-west-1", First: at(2, 5), Last: at(2, 5), Objects: 1},
		{Account: "111111110000", Region: "us-east-1", First: at(1, 1), Last: at(3, 9), Objects: 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if skipped != 2 {
		t.Errorf("skipped %d, want 2", skipped)
	}
}
