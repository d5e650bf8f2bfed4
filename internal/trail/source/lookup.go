package source

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
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
//
// Its objects are the complete UTC hours that meet the scan's window, keyed
// by region and hour, whatever the window: an hour read once is marked
// scanned and never asked for again, by a wider or a later scan either (a
// day read as hours today is not read again as a day tomorrow). Reading
// stays one request per day and page, not one per hour: the first hour of a
// day opened fetches the rest of that day's listed hours with it.
type LookupEventsSource struct {
	Client LookupEventsAPI
	// Account is the account the client reaches (STS's caller): the
	// event history is per account and region, and so are its marks.
	Account string
	Region  string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Interval between calls (default 500ms: 2 per second).
	Interval time.Duration

	once sync.Once
	tick chan struct{}

	mu      sync.Mutex
	lastEnd map[time.Time]time.Time // UTC day → end of its last listed hour
	fetches map[time.Time][]*fetch  // UTC day → the ranges fetched for it (disjoint)
}

// fetch is one LookupEvents range [from, to) of whole hours of one day,
// its events split by hour; done is closed once read.
type fetch struct {
	from, to time.Time
	done     chan struct{}
	err      error
	hours    map[time.Time][]string // hour → its events (CloudTrail records)
}

// lookupDelay is how far behind real time the event history may be: an
// object (an hour) is listed only once it is complete, so it can be marked
// scanned and never needs reading again. CloudTrail delivers events within
// about 15 minutes (CloudTrail FAQ).
const lookupDelay = 15 * time.Minute

// Name identifies the source in the store: "lookup-events:ACCOUNT:REGION"
// ("lookup-events:REGION" without an account).
func (s *LookupEventsSource) Name() string {
	if s.Account == "" {
		return "lookup-events:" + s.Region
	}
	return "lookup-events:" + s.Account + ":" + s.Region
}

func (s *LookupEventsSource) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// List returns one object per complete UTC hour that meets the window
// [Since, Until) (default: the last 90 days, the event history's reach) and
// ended lookupDelay ago. Records of an edge hour outside the window are
// filtered out by the scan.
func (s *LookupEventsSource) List(ctx context.Context, f *trail.Filter) (*trail.Listing, error) {
	now := s.now()
	ready := now.Add(-lookupDelay)
	since := f.Since.UTC()
	if oldest := now.AddDate(0, 0, -90); since.IsZero() || since.Before(oldest) {
		since = oldest
	}
	until := f.Until.UTC()
	if until.IsZero() || until.After(ready) {
		until = ready
	}
	l := &trail.Listing{}
	if len(f.Regions) > 0 && !f.RegionAllowed(s.Region) {
		l.Pruned++
		return l, nil
	}
	lastEnd := map[time.Time]time.Time{}
	for h := since.Truncate(time.Hour); h.Before(until) && !h.Add(time.Hour).After(ready); h = h.Add(time.Hour) {
		l.Objects = append(l.Objects, s.object(h, h.Add(time.Hour)))
		lastEnd[dayOf(h)] = h.Add(time.Hour)
	}
	s.mu.Lock()
	s.lastEnd, s.fetches = lastEnd, map[time.Time][]*fetch{}
	s.mu.Unlock()
	return l, nil
}

func dayOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func (s *LookupEventsSource) object(start, end time.Time) trail.Object {
	key := fmt.Sprintf("%s/%s/%s", s.Region, start.Format("2006-01-02T15"), end.Format("2006-01-02T15"))
	return trail.Object{Key: key, MTime: end, Size: 0}
}

// hourOf reads the start of the hour an object key REGION/START/END names.
func hourOf(key string) (time.Time, bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	start, err1 := time.Parse("2006-01-02T15", parts[1])
	end, err2 := time.Parse("2006-01-02T15", parts[2])
	if err1 != nil || err2 != nil || end.Sub(start) != time.Hour {
		return time.Time{}, false
	}
	return start, true
}

// Before the source knew the account (seiri before 2026-12), it was named
// "lookup-events:REGION" and listed each complete UTC day as one object
// (REGION/2024-03-04T00/2024-03-05T00) and the complete hours of the
// current day as hours (REGION/2024-03-05T07/2024-03-05T08), marked with
// size 0 and the end as mtime. Those marks count: an hour inside a day or
// equal to an hour marked under the former name is already scanned (its
// events are in the store; the bytes read now differ, so the content
// digest would not recognise them). The store is migrated hour by hour,
// as scans list them: an hour a former mark covers is marked under the
// new name.

// formerName is the source's name before it knew the account.
func (s *LookupEventsSource) formerName() string { return "lookup-events:" + s.Region }

// FormerNames is the name of the source before it knew the account.
func (s *LookupEventsSource) FormerNames() []string { return []string{s.formerName()} }

// FormerObjects are the day holding o's hour and the hour itself, as the
// source listed them before it knew the account.
func (s *LookupEventsSource) FormerObjects(o trail.Object) []trail.FormerObject {
	start, ok := hourOf(o.Key)
	if !ok {
		return nil
	}
	day := dayOf(start)
	return []trail.FormerObject{
		{Source: s.formerName(), Object: s.object(day, day.AddDate(0, 0, 1))},
		{Source: s.formerName(), Object: s.object(start, start.Add(time.Hour))},
	}
}

// AdoptFormer decides whose the marks of the former name are: they carry no
// account. They are taken as the scanning account's when the store holds
// lookup-events data of no other account, or when this account already
// holds hours of the region under its own name (its first scan of the
// region took them over); they are another account's when only another
// account holds hours of the region under its name (its first scan took
// them over: this account's hours are all read). Otherwise (another
// account's lookup-events data in the store and none of the region, or both
// accounts holding hours of the region) the scan is refused: skipping the
// hours could leave this account's events out, reading them could count
// events twice. Without an account the source's name is the former name:
// its marks are its own.
func (s *LookupEventsSource) AdoptFormer(marked []string) (bool, error) {
	if s.Account == "" {
		return true, nil
	}
	var mine bool
	var region, others []string // names of other accounts: of this region, of any
	for _, name := range marked {
		rest, ok := strings.CutPrefix(name, "lookup-events:")
		if !ok {
			continue
		}
		acct, reg, ok := strings.Cut(rest, ":")
		if !ok {
			continue // a former name (this region's, or another's: no account either)
		}
		switch {
		case acct == s.Account:
			mine = mine || reg == s.Region
		case reg == s.Region:
			region = append(region, name)
			others = append(others, name)
		default:
			others = append(others, name)
		}
	}
	switch {
	case len(region) > 0 && !mine:
		return false, nil
	case mine && len(region) == 0:
		return true, nil
	case len(others) == 0:
		return true, nil
	case mine:
		return false, fmt.Errorf("it holds marks written under %s by a seiri that did not record the account, "+
			"and hours of region %s marked under account %s and under other accounts (%s): it cannot tell whose those marks are "+
			"(reading their hours could count events twice, skipping them could leave events out); "+
			"move the usage store aside and scan again from scratch",
			s.formerName(), s.Region, s.Account, strings.Join(region, ", "))
	}
	return false, fmt.Errorf("it holds marks written under %s by a seiri that did not record the account, "+
		"and lookup-events data of other accounts (%s): it cannot tell whether those marks are account %s's "+
		"(reading their hours could count events twice, skipping them could leave events out). "+
		"If they were made with another account's credentials, scan region %s with that account first (its scan takes them over); "+
		"otherwise move the usage store aside and scan again from scratch",
		s.formerName(), strings.Join(others, ", "), s.Account, s.Region)
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

// Open returns the events of the object's hour as one CloudTrail log
// document. The first hour of a day opened pages through LookupEvents for
// it and the day's later listed hours; an hour before a range already
// fetched (opened late by another worker) is fetched up to that range,
// never overlapping it. Each event is kept in the hour of its eventTime
// only: LookupEvents' EndTime is inclusive, so an event on the hour comes
// back with the hour before too.
func (s *LookupEventsSource) Open(ctx context.Context, o trail.Object) (io.ReadCloser, error) {
	start, ok := hourOf(o.Key)
	if !ok {
		return nil, fmt.Errorf("bad lookup-events object %q", o.Key)
	}
	end := start.Add(time.Hour)
	day := dayOf(start)
	s.mu.Lock()
	if s.fetches == nil {
		s.fetches = map[time.Time][]*fetch{}
	}
	// The range holding the hour, else a new one from it up to the next
	// range of its day or the day's last listed hour: an hour opened
	// after a later one of its day (parallel workers) is fetched with the
	// hours up to that later one's range, and never asked for twice.
	var f *fetch
	mine := false
	to := s.lastEnd[day]
	if !to.After(start) {
		to = end
	}
	for _, g := range s.fetches[day] {
		if !start.Before(g.from) && start.Before(g.to) {
			f = g
			break
		}
		if g.from.After(start) && g.from.Before(to) {
			to = g.from
		}
	}
	if f == nil {
		f, mine = &fetch{from: start, to: to, done: make(chan struct{})}, true
		s.fetches[day] = append(s.fetches[day], f)
	}
	s.mu.Unlock()
	if mine {
		f.hours, f.err = s.fetch(ctx, f.from, f.to)
		close(f.done)
	} else {
		select {
		case <-f.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	s.mu.Lock()
	evs := f.hours[start]
	delete(f.hours, start)
	s.mu.Unlock()
	var buf bytes.Buffer
	buf.WriteString(`{"Records":[`)
	buf.WriteString(strings.Join(evs, ","))
	buf.WriteString(`]}`)
	return io.NopCloser(&buf), nil
}

// fetch pages through LookupEvents for [from, to) (the request's EndTime is
// inclusive: an event at exactly to is dropped, its own hour has it) and
// splits the events by the hour of their eventTime. An event whose
// eventTime cannot be read is kept in the first hour: the scan reports it.
func (s *LookupEventsSource) fetch(ctx context.Context, from, to time.Time) (map[time.Time][]string, error) {
	hours := map[time.Time][]string{}
	in := &cloudtrail.LookupEventsInput{StartTime: aws.Time(from), EndTime: aws.Time(to), MaxResults: aws.Int32(50)}
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
			h := from
			var rec struct {
				EventTime time.Time `json:"eventTime"`
			}
			if json.Unmarshal([]byte(ev), &rec) == nil && !rec.EventTime.IsZero() {
				if t := rec.EventTime.UTC(); t.Before(from) || !t.Before(to) {
					continue
				}
				h = rec.EventTime.UTC().Truncate(time.Hour)
			}
			hours[h] = append(hours[h], ev)
		}
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	// Most recent first from the API: oldest first in each hour.
	for _, evs := range hours {
		slices.Reverse(evs)
	}
	return hours, nil
}
