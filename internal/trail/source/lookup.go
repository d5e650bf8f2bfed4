package source

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/seiri-dev/seiri/internal/trail"
)

// LookupEventsAPI is the part of the CloudTrail client the source uses.
type LookupEventsAPI interface {
	LookupEvents(ctx context.Context, in *cloudtrail.LookupEventsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error)
}

// LookupEventsSource reads the event history of one account and region
// through LookupEvents, for accounts without a trail. CloudTrail User Guide,
// "Viewing events with CloudTrail Event history": management events only,
// the last 90 days; the API allows 2 requests per second per account and
// region, and returns at most 50 events per page.
type LookupEventsSource struct {
	Client LookupEventsAPI
	Region string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Interval between calls (default 500ms: 2 per second).
	Interval time.Duration

	once sync.Once
	tick chan struct{}
}

// lookupDelay is how far behind real time the event history may be: an
// object (a time slice) is listed only once it is complete, so it can be
// marked scanned and never needs reading again. CloudTrail delivers events
// within about 15 minutes (CloudTrail FAQ).
const lookupDelay = 15 * time.Minute

// Name identifies the source in the store.
func (s *LookupEventsSource) Name() string { return "lookup-events:" + s.Region }

func (s *LookupEventsSource) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// List returns one object per complete UTC day of the window (default: the
// last 90 days), and one per complete hour of the current day.
func (s *LookupEventsSource) List(ctx context.Context, f *trail.Filter) (*trail.Listing, error) {
	now := s.now()
	ready := now.Add(-lookupDelay)
	since := f.Since
	if oldest := now.AddDate(0, 0, -90); since.IsZero() || since.Before(oldest) {
		since = oldest.Truncate(time.Hour)
	}
	until := f.Until
	if until.IsZero() || until.After(ready) {
		until = ready
	}
	l := &trail.Listing{}
	if len(f.Regions) > 0 && !f.RegionAllowed(s.Region) {
		l.Pruned++
		return l, nil
	}
	day := time.Date(since.Year(), since.Month(), since.Day(), 0, 0, 0, 0, time.UTC)
	for ; day.Before(until); day = day.AddDate(0, 0, 1) {
		end := day.AddDate(0, 0, 1)
		if !end.After(ready) {
			l.Objects = append(l.Objects, s.object(day, end))
			continue
		}
		for h := day; h.Add(time.Hour).Before(ready) || h.Add(time.Hour).Equal(ready); h = h.Add(time.Hour) {
			l.Objects = append(l.Objects, s.object(h, h.Add(time.Hour)))
		}
	}
	return l, nil
}

func (s *LookupEventsSource) object(start, end time.Time) trail.Object {
	key := fmt.Sprintf("%s/%s/%s", s.Region, start.Format("2006-01-02T15"), end.Format("2006-01-02T15"))
	return trail.Object{Key: key, MTime: end, Size: 0}
}

func (s *LookupEventsSource) wait(ctx context.Context) error {
	s.once.Do(func() {
		iv := s.Interval
		if iv <= 0 {
			iv = 500 * time.Millisecond
		}
		s.tick = make(chan struct{}, 1)
		s.tick <- struct{}{}
		go func() {
			t := time.NewTicker(iv)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					select {
					case s.tick <- struct{}{}:
					default:
					}
				case <-ctx.Done():
					return
				}
			}
		}()
	})
	select {
	case <-s.tick:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Open pages through LookupEvents for the object's time slice and returns
// the events as one CloudTrail log document. The scan filters records by the
// window again, so slices that overlap its edges are safe.
func (s *LookupEventsSource) Open(ctx context.Context, o trail.Object) (io.ReadCloser, error) {
	parts := strings.Split(o.Key, "/")
	if len(parts) != 3 {
		return nil, fmt.Errorf("bad lookup-events object %q", o.Key)
	}
	start, err1 := time.Parse("2006-01-02T15", parts[1])
	end, err2 := time.Parse("2006-01-02T15", parts[2])
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("bad lookup-events object %q", o.Key)
	}
	var buf bytes.Buffer
	buf.WriteString(`{"Records":[`)
	first := true
	in := &cloudtrail.LookupEventsInput{StartTime: aws.Time(start), EndTime: aws.Time(end), MaxResults: aws.Int32(50)}
	for {
		if err := s.wait(ctx); err != nil {
			return nil, err
		}
		out, err := s.Client.LookupEvents(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, e := range out.Events {
			ev := aws.ToString(e.CloudTrailEvent)
			if ev == "" {
				continue
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			buf.WriteString(ev)
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	buf.WriteString(`]}`)
	return io.NopCloser(&buf), nil
}
