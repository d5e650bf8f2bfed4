package source_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/trail/source"
)

const historyAccount = "111111111111"

// history is an event history to serve: one event every Every from
// From+Offset until To (excluded), made by the account's user ops with key.
type history struct {
	account, region, event, key string
	from, to                    time.Time
	offset, every               time.Duration
}

// serveHistory serves h on the CloudTrail fake and returns a client that
// records every LookupEvents call the source makes. The calls are counted
// at the client, not at the fake: the SDK retries a request whose answer
// was lost in transport (seen on a loaded machine), and a retry is not the
// source asking twice.
func serveHistory(t *testing.T, h history) *lookupCalls {
	t.Helper()
	var evs []awsfake.HistoryEvent
	for ts := h.from.Add(h.offset); ts.Before(h.to); ts = ts.Add(h.every) {
		rec := fmt.Sprintf(`{"eventVersion":"1.11","eventTime":%q,"eventSource":"iam.amazonaws.com","eventName":%q,"awsRegion":%q,`+
			`"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::%[4]s:user/ops","accountId":"%[4]s","accessKeyId":%[5]q},"recipientAccountId":"%[4]s","sourceIPAddress":"8.8.4.4"}`,
			ts.Format(time.RFC3339), h.event, h.region, h.account, h.key)
		evs = append(evs, awsfake.HistoryEvent{Account: h.account, Region: h.region, Time: ts, Record: rec})
	}
	fake := awsfake.New(awsfake.Scenario{Accounts: []*snapshot.Account{{AccountID: h.account}}, EventHistory: evs})
	t.Cleanup(fake.Close)
	return &lookupCalls{account: h.account, region: h.region,
		client: cloudtrail.New(cloudtrail.Options{Region: h.region, BaseEndpoint: aws.String(fake.URL), Credentials: fake.Credentials()})}
}

// lookupCalls is a CloudTrail client that records the LookupEvents calls
// made through it (source.LookupEventsAPI).
type lookupCalls struct {
	account, region string
	client          *cloudtrail.Client
	mu              sync.Mutex
	calls           []awsfake.LookupEventsRequest
}

func (c *lookupCalls) LookupEvents(ctx context.Context, in *cloudtrail.LookupEventsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error) {
	c.mu.Lock()
	c.calls = append(c.calls, awsfake.LookupEventsRequest{Account: c.account, Region: c.region,
		Start: aws.ToTime(in.StartTime).UTC(), End: aws.ToTime(in.EndTime).UTC(), NextToken: aws.ToString(in.NextToken)})
	c.mu.Unlock()
	return c.client.LookupEvents(ctx, in, opts...)
}

// LookupEventsRequests returns the calls made so far, in order.
func (c *lookupCalls) LookupEventsRequests() []awsfake.LookupEventsRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// historyFake serves an event history with one ListRoles event every
// `every`, from..to (to excluded), events on the hour included: LookupEvents
// returns an event at exactly EndTime, so a source that did not cut at the
// hour would count it twice.
func historyFake(t *testing.T, from, to time.Time, every time.Duration) (*lookupCalls, *lookupCalls) {
	t.Helper()
	c := serveHistory(t, history{account: historyAccount, region: "us-east-1", event: "ListRoles", key: "AKIAOPS", from: from, to: to, every: every})
	return c, c
}

// requested renders the time ranges of the LookupEvents requests, one per
// line ("start end [next]"), by range (the pages of a range in order).
func requested(reqs []awsfake.LookupEventsRequest) string {
	slices.SortStableFunc(reqs, func(a, b awsfake.LookupEventsRequest) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return a.End.Compare(b.End)
	})
	var b strings.Builder
	for _, r := range reqs {
		fmt.Fprintf(&b, "%s %s", r.Start.Format("01-02T15:04"), r.End.Format("01-02T15:04"))
		if r.NextToken != "" {
			b.WriteString(" next")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// scanStore scans src into the usage store at path (the store's marks and
// ledger, as seiri trail scan) and returns the events the store holds. One
// worker: the hours are opened in order, so the requests are the same on
// every run (with more workers a later hour may be opened first; the events
// are the same, TestLookupEventsParallel).
func scanStore(t *testing.T, path string, src trail.Source, f trail.Filter, now time.Time) int64 {
	t.Helper()
	_, n, err := scanWith(t, path, src, trail.Options{Filter: f, Parallel: 1}, now)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLookupEventsAsksOnlyForTheWindow: the source asks LookupEvents for the
// complete hours that meet the window and nothing else (one request per day
// and page, not one per hour), and an event is counted once whatever the
// window: on the hour, across a day boundary, and when the next day's scan
// meets the hours an earlier scan read.
func TestLookupEventsAsksOnlyForTheWindow(t *testing.T) {
	day := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, time.UTC) }
	cases := []struct {
		name         string
		now          time.Time
		since, until time.Time
		want         string // the requests
		events       int64  // what the store holds after the scan
	}{{
		// The defect: at 23:40 a one-hour scan asked for every hour of
		// the day (23 requests).
		name: "one hour late in the day", now: day(3, 23, 40), since: day(3, 22, 40),
		want: "11-03T22:00 11-03T23:00\n",
		// A window selects whole objects (docs/trail.md): the hour from
		// 22:00 is counted whole, 22:00 … 22:50; 23:00 is not complete.
		events: 6,
	}, {
		name: "one hour", now: day(3, 10, 20), since: day(3, 9, 20),
		want:   "11-03T09:00 11-03T10:00\n",
		events: 6, // 09:00 … 09:50: the whole hour
	}, {
		name: "across midnight", now: day(3, 10, 20), since: day(2, 22, 30),
		want:   "11-02T22:00 11-03T00:00\n11-03T00:00 11-03T10:00\n11-03T00:00 11-03T10:00 next\n", // 61 events: 10:00 too
		events: 12 + 60,                                                                            // from 22:00: the whole hour
	}, {
		name: "until in the past", now: day(3, 10, 20), since: day(1, 6, 0), until: day(1, 8, 30),
		want:   "11-01T06:00 11-01T09:00\n",
		events: 18, // 06:00 … 08:50: the hour from 08:00 whole
	}, {
		name: "whole days", now: day(3, 2, 20), since: day(1, 0, 0),
		want:   "11-01T00:00 11-02T00:00\n11-01T00:00 11-02T00:00 next\n11-01T00:00 11-02T00:00 next\n11-02T00:00 11-03T00:00\n11-02T00:00 11-03T00:00 next\n11-02T00:00 11-03T00:00 next\n11-03T00:00 11-03T02:00\n",
		events: 144 + 144 + 12,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake, client := historyFake(t, day(1, 0, 0), day(4, 0, 0), 10*time.Minute)
			src := &source.LookupEventsSource{Client: client, Region: "us-east-1", Now: func() time.Time { return c.now }, Interval: time.Millisecond}
			got := scanStore(t, filepath.Join(t.TempDir(), "usage.db"), src, trail.Filter{Since: c.since, Until: c.until}, c.now)
			if r := requested(fake.LookupEventsRequests()); r != c.want {
				t.Errorf("requests:\n%s\nwant:\n%s", r, c.want)
			}
			if got != c.events {
				t.Errorf("store holds %d events, want %d", got, c.events)
			}
		})
	}

	t.Run("rescans", func(t *testing.T) {
		fake, client := historyFake(t, day(1, 0, 0), day(4, 0, 0), 10*time.Minute)
		db := filepath.Join(t.TempDir(), "usage.db")
		since := day(2, 0, 0)
		scan := func(now time.Time) int64 {
			src := &source.LookupEventsSource{Client: client, Region: "us-east-1", Now: func() time.Time { return now }, Interval: time.Millisecond}
			return scanStore(t, db, src, trail.Filter{Since: since}, now)
		}
		if n := scan(day(2, 10, 20)); n != 60 {
			t.Fatalf("first scan: %d events, want 60", n)
		}
		// Two hours later: only the two new hours are asked for.
		before := len(fake.LookupEventsRequests())
		if n := scan(day(2, 12, 20)); n != 72 {
			t.Errorf("two hours later: %d events, want 72", n)
		}
		if r := requested(fake.LookupEventsRequests()[before:]); r != "11-02T10:00 11-02T12:00\n" {
			t.Errorf("two hours later, requests:\n%s", r)
		}
		// The next day, the day scanned hour by hour is not asked for (nor
		// counted) again: the rest of it and the new day's complete hours.
		before = len(fake.LookupEventsRequests())
		if n := scan(day(3, 1, 20)); n != 144+6 {
			t.Errorf("next day: %d events, want %d", n, 144+6)
		}
		if r := requested(fake.LookupEventsRequests()[before:]); r != "11-02T12:00 11-03T00:00\n11-02T12:00 11-03T00:00 next\n11-03T00:00 11-03T01:00\n" {
			t.Errorf("next day, requests:\n%s", r)
		}
	})
}

// TestLookupEventsParallel: with the scan's workers opening hours in any
// order, every event is counted once and no hour is asked for twice.
func TestLookupEventsParallel(t *testing.T) {
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	fake, client := historyFake(t, day(1, 0), day(4, 0), 10*time.Minute)
	now := day(3, 10).Add(20 * time.Minute)
	src := &source.LookupEventsSource{Client: client, Region: "us-east-1", Now: func() time.Time { return now }, Interval: time.Millisecond}
	res, err := trail.Scan(context.Background(), src, trail.Options{Filter: trail.Filter{Since: day(1, 5)}, Parallel: 8})
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(19*6 + 144 + 60); res.Summary.Records != want {
		t.Errorf("%d records, want %d", res.Summary.Records, want)
	}
	covered := map[time.Time]int{}
	for _, r := range fake.LookupEventsRequests() {
		if r.NextToken != "" {
			continue
		}
		for h := r.Start; h.Before(r.End); h = h.Add(time.Hour) {
			covered[h]++
		}
	}
	for h, n := range covered {
		if n != 1 {
			t.Errorf("hour %s asked for %d times", h.Format(time.RFC3339), n)
		}
	}
	if len(covered) != 19+24+10 {
		t.Errorf("%d hours asked for, want %d", len(covered), 19+24+10)
	}
}

// TestLookupEventsTwoAccounts: the event histories of two accounts scanned
// into one store are both counted: an hour of one account is not "already
// scanned" because the same hour of another account was.
func TestLookupEventsTwoAccounts(t *testing.T) {
	from := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	now := from.Add(10*time.Hour + 20*time.Minute)
	db := filepath.Join(t.TempDir(), "usage.db")
	_, clientA := historyFake(t, from, from.Add(24*time.Hour), 10*time.Minute)
	if n := scanStore(t, db, &source.LookupEventsSource{Client: clientA, Account: historyAccount, Region: "us-east-1",
		Now: func() time.Time { return now }, Interval: time.Millisecond}, trail.Filter{Since: from}, now); n != 60 {
		t.Fatalf("first account: %d events, want 60", n)
	}
	// The second account's history: the same times, other records.
	other := "222222222222"
	clientB := serveHistory(t, history{account: other, region: "us-east-1", event: "ListUsers", key: "AKIAOPS2", from: from, to: from.Add(24 * time.Hour), every: 10 * time.Minute})
	if n := scanStore(t, db, &source.LookupEventsSource{Client: clientB, Account: other, Region: "us-east-1",
		Now: func() time.Time { return now }, Interval: time.Millisecond}, trail.Filter{Since: from}, now); n != 120 {
		t.Errorf("both accounts: %d events, want 120", n)
	}
}
