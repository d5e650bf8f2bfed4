package source_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/trail/source"
)

// fakeLookupEvents speaks CloudTrail's JSON 1.1 protocol for LookupEvents:
// one event every 10 minutes, 50 per page. calls counts the LookupEvents
// calls the source makes, at the client: an SDK retry of a request (a
// loopback connection the server closed while idle, under load) is not a
// second call.
func fakeLookupEvents(t *testing.T, calls *atomic.Int64) source.LookupEventsAPI {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".LookupEvents") {
			http.Error(w, "unexpected target", 400)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var in struct {
			StartTime, EndTime float64
			NextToken          string
		}
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		start := time.Unix(int64(math.Ceil(in.StartTime/600))*600, 0).UTC()
		end := time.Unix(int64(in.EndTime), 0).UTC()
		var times []time.Time
		for ts := start; ts.Before(end); ts = ts.Add(10 * time.Minute) {
			times = append(times, ts)
		}
		off := 0
		fmt.Sscan(in.NextToken, &off)
		type event struct{ EventId, CloudTrailEvent string }
		var out struct {
			Events    []event
			NextToken string `json:",omitempty"`
		}
		for i := off; i < len(times) && i < off+50; i++ {
			rec := fmt.Sprintf(`{"eventVersion":"1.11","eventTime":%q,"eventSource":"iam.amazonaws.com","eventName":"ListRoles","awsRegion":"us-east-1",`+
				`"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111111111111:user/ops","accountId":"111111111111","accessKeyId":"AKIAOPS"},"recipientAccountId":"111111111111","sourceIPAddress":"8.8.4.4"}`,
				times[i].Format("2006-01-02T15:04:05Z"))
			out.Events = append(out.Events, event{EventId: fmt.Sprint(i), CloudTrailEvent: rec})
		}
		if off+50 < len(times) {
			out.NextToken = fmt.Sprint(off + 50)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return countedLookups{calls: calls, client: cloudtrail.New(cloudtrail.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "not-a-secret", "")})}
}

// countedLookups counts the LookupEvents calls made through it.
type countedLookups struct {
	calls  *atomic.Int64
	client *cloudtrail.Client
}

func (c countedLookups) LookupEvents(ctx context.Context, in *cloudtrail.LookupEventsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error) {
	c.calls.Add(1)
	return c.client.LookupEvents(ctx, in, opts...)
}

func TestLookupEventsSource(t *testing.T) {
	var calls atomic.Int64
	now := time.Date(2026, 11, 3, 10, 20, 0, 0, time.UTC)
	src := &source.LookupEventsSource{Client: fakeLookupEvents(t, &calls), Region: "us-east-1", Now: func() time.Time { return now }, Interval: time.Millisecond}
	flt := trail.Filter{Since: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
	res, err := trail.Scan(context.Background(), src, trail.Options{Filter: flt, Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	// 2026-11-02 whole day (144 events, 3 pages) + 2026-11-03 00:00–10:00 in
	// complete hours (60 events, 2 pages), nothing from the incomplete 10:00
	// hour.
	if res.Summary.Records != 144+60 || len(res.Rows) != 1 || res.Rows[0].Count != 204 {
		t.Fatalf("records %d rows %+v", res.Summary.Records, res.Rows)
	}
	// One object per complete hour; one request per day and page.
	if got := len(res.Objects); got != 24+10 {
		t.Errorf("%d objects, want 34", got)
	}
	if calls.Load() != 3+2 {
		t.Errorf("%d calls, want 5", calls.Load())
	}
}
