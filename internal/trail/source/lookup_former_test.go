package source_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/trail/source"
	"github.com/seiri-dev/seiri/internal/usage"
)

// formerLookupSource is the lookup-events source as seiri had it before it
// knew the account (main before 2026-12-02,
// internal/trail/source/lookup.go): named "lookup-events:REGION", one
// object per complete UTC day of the window and one per complete hour of
// the current day, each read with one LookupEvents range. It fills a store
// the way that seiri did (through the real ScanInto: marks, ledger, rows).
type formerLookupSource struct {
	client source.LookupEventsAPI
	region string
	now    time.Time
}

func (s *formerLookupSource) Name() string { return "lookup-events:" + s.region }

func (s *formerLookupSource) object(start, end time.Time) trail.Object {
	key := fmt.Sprintf("%s/%s/%s", s.region, start.Format("2006-01-02T15"), end.Format("2006-01-02T15"))
	return trail.Object{Key: key, MTime: end, Size: 0}
}

func (s *formerLookupSource) List(ctx context.Context, f *trail.Filter) (*trail.Listing, error) {
	ready := s.now.Add(-15 * time.Minute)
	since := f.Since
	if oldest := s.now.AddDate(0, 0, -90); since.IsZero() || since.Before(oldest) {
		since = oldest.Truncate(time.Hour)
	}
	until := f.Until
	if until.IsZero() || until.After(ready) {
		until = ready
	}
	l := &trail.Listing{}
	day := time.Date(since.Year(), since.Month(), since.Day(), 0, 0, 0, 0, time.UTC)
	for ; day.Before(until); day = day.AddDate(0, 0, 1) {
		end := day.AddDate(0, 0, 1)
		if !end.After(ready) {
			l.Objects = append(l.Objects, s.object(day, end))
			continue
		}
		for h := day; !h.Add(time.Hour).After(ready); h = h.Add(time.Hour) {
			l.Objects = append(l.Objects, s.object(h, h.Add(time.Hour)))
		}
	}
	return l, nil
}

func (s *formerLookupSource) Open(ctx context.Context, o trail.Object) (io.ReadCloser, error) {
	parts := strings.Split(o.Key, "/")
	start, _ := time.Parse("2006-01-02T15", parts[1])
	end, _ := time.Parse("2006-01-02T15", parts[2])
	var evs []string
	in := &cloudtrail.LookupEventsInput{StartTime: aws.Time(start), EndTime: aws.Time(end), MaxResults: aws.Int32(50)}
	for {
		out, err := s.client.LookupEvents(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, e := range out.Events {
			evs = append(evs, aws.ToString(e.CloudTrailEvent))
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	return io.NopCloser(bytes.NewBufferString(`{"Records":[` + strings.Join(evs, ",") + `]}`)), nil
}

// accountHistory serves account's event history in region: one event every
// 10 minutes at 5, 15 … 55 past the hour, from..to. No event is on the
// hour: the former source's ranges ended inclusively, so it counted an
// event on the hour in two objects (a defect of its own, see the report);
// here every event belongs to one former object.
func accountHistory(t *testing.T, account, region string, from, to time.Time) *lookupCalls {
	t.Helper()
	return serveHistory(t, history{account: account, region: region, event: "ListRoles", key: "AKIAOPS", from: from, to: to, offset: 5 * time.Minute, every: 10 * time.Minute})
}

// scanInto scans src into the store at path from since and returns the
// scan's result (nil and the error if it failed) and the events the store
// then holds.
func scanInto(t *testing.T, path string, src trail.Source, since, now time.Time) (*trail.Result, int64, error) {
	t.Helper()
	return scanWith(t, path, src, trail.Options{Filter: trail.Filter{Since: since}, Parallel: 2}, now)
}

// scanWith scans src into the usage store at path with opts (the store's
// marks and ledger, as seiri trail scan) and returns the scan's result (nil
// and the error if it failed) and the events the store then holds.
func scanWith(t *testing.T, path string, src trail.Source, opts trail.Options, now time.Time) (*trail.Result, int64, error) {
	t.Helper()
	ctx := context.Background()
	st, err := usage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, scanErr := trail.ScanInto(ctx, st, src, opts, now)
	tot, err := st.Totals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return res, tot.Events, scanErr
}

// TestLookupEventsFormerMarks: a store the former source filled (days and
// hours under "lookup-events:REGION") is not counted again by the source
// named by account: an hour inside a former day or equal to a former hour
// is already scanned, the rest is read. The former marks are taken over by
// the first account that scans the region; another account's hours are all
// read; and with another account's lookup-events data in the store and no
// owner of the region, the scan is refused.
func TestLookupEventsFormerMarks(t *testing.T) {
	day := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, time.UTC) }
	const a, b = "111111111111", "222222222222"
	since := day(1, 0, 0)
	before := day(3, 10, 20) // the former seiri's scan: days 1 and 2, hours 00…09 of day 3
	now := day(4, 2, 20)     // the scan after the upgrade: up to hour 01 of day 4
	clientA := accountHistory(t, a, "us-east-1", day(1, 0, 0), day(5, 0, 0))
	clientB := accountHistory(t, b, "us-east-1", day(1, 0, 0), day(5, 0, 0))
	newSource := func(c source.LookupEventsAPI, acct, region string) *source.LookupEventsSource {
		return &source.LookupEventsSource{Client: c, Account: acct, Region: region, Now: func() time.Time { return now }, Interval: time.Millisecond}
	}

	t.Run("taken over", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "usage.db")
		res, n, err := scanInto(t, db, &formerLookupSource{client: clientA, region: "us-east-1", now: before}, since, before)
		if err != nil {
			t.Fatal(err)
		}
		if res.Summary.FilesRead != 2+10 || n != 144+144+60 {
			t.Fatalf("former scan: %d objects read, store holds %d events; want 12 and %d", res.Summary.FilesRead, n, 144+144+60)
		}
		// Days 1 and 2 (48 hours) and hours 00…09 of day 3 are already
		// scanned; hours 10…23 of day 3 and 00…01 of day 4 are read.
		res, n, err = scanInto(t, db, newSource(clientA, a, "us-east-1"), since, now)
		if err != nil {
			t.Fatal(err)
		}
		s := res.Summary
		if s.FilesListed != 74 || s.FilesAlreadyScanned != 58 || res.FormerlyScanned != 58 || s.FilesRead != 16 || s.Records != 16*6 {
			t.Errorf("after the upgrade: listed %d, already scanned %d (former marks %d), read %d, records %d; want 74, 58 (58), 16, 96",
				s.FilesListed, s.FilesAlreadyScanned, res.FormerlyScanned, s.FilesRead, s.Records)
		}
		if want := int64(144 + 144 + 60 + 16*6); n != want {
			t.Errorf("after the upgrade the store holds %d events, want %d (every event once)", n, want)
		}
		// Again: every hour is marked under the new name now.
		res, n2, err := scanInto(t, db, newSource(clientA, a, "us-east-1"), since, now)
		if err != nil {
			t.Fatal(err)
		}
		if res.Summary.FilesAlreadyScanned != 74 || res.FormerlyScanned != 0 || res.Summary.FilesRead != 0 || n2 != n {
			t.Errorf("rescan: already scanned %d (former marks %d), read %d, events %d → %d; want 74 (0), 0, unchanged",
				res.Summary.FilesAlreadyScanned, res.FormerlyScanned, res.Summary.FilesRead, n, n2)
		}
		// Another account: the former marks are account a's now, its
		// history is read whole.
		res, n3, err := scanInto(t, db, newSource(clientB, b, "us-east-1"), since, now)
		if err != nil {
			t.Fatal(err)
		}
		if res.Summary.FilesAlreadyScanned != 0 || res.Summary.FilesRead != 74 || n3-n != 74*6 {
			t.Errorf("account b: already scanned %d, read %d, events added %d; want 0, 74, %d", res.Summary.FilesAlreadyScanned, res.Summary.FilesRead, n3-n, 74*6)
		}
	})

	t.Run("refused", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "usage.db")
		if _, _, err := scanInto(t, db, &formerLookupSource{client: clientA, region: "us-east-1", now: before}, since, before); err != nil {
			t.Fatal(err)
		}
		// Account b's history of another region, scanned after the upgrade.
		clientBWest := accountHistory(t, b, "eu-west-1", day(1, 0, 0), day(5, 0, 0))
		_, n, err := scanInto(t, db, newSource(clientBWest, b, "eu-west-1"), since, now)
		if err != nil {
			t.Fatal(err)
		}
		// Whose are the former marks of us-east-1? Not to be guessed.
		res, n2, err := scanInto(t, db, newSource(clientA, a, "us-east-1"), since, now)
		var refused *trail.RefusedError
		if !errors.As(err, &refused) || res != nil {
			t.Fatalf("scan of a store with former marks and another account's data: %v, want a refusal", err)
		}
		for _, want := range []string{"lookup-events:111111111111:us-east-1", "written under lookup-events:us-east-1",
			"lookup-events:222222222222:eu-west-1", "scan region us-east-1 with that account first", "move the usage store aside"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("refusal %q does not say %q", err, want)
			}
		}
		if n2 != n {
			t.Errorf("refused scan changed the store: %d events, was %d", n2, n)
		}
	})
}
