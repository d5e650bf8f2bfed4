package detect

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/usage"
)

// DefaultReorder is how late a record may come after the end of the
// objects already read and still be judged in time order (Inputs.Reorder).
// CloudTrail delivers a log file within minutes of the calls it holds
// (CloudTrail User Guide, "How CloudTrail works"; 21 minutes at most
// measured on ctgen's corpus); an hour covers the slow deliveries.
const DefaultReorder = time.Hour

// pending is one log object to judge.
type pending struct {
	src, obj int // source and listing positions: the tie order of records
	o        trail.Object
	mark     string
	ends     time.Time // its records are older than this (zero: unknown)
}

// objectEnd is when the records of an object end: the delivery time in a
// CloudTrail key (ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQUE; the
// minute it was written, so one minute is added), or the end of a
// LookupEvents hour ("REGION/START/END", internal/trail/source). Zero when
// the key says nothing.
func objectEnd(key string) time.Time {
	if p := trail.ParsePath(key); !p.Delivered.IsZero() {
		return p.Delivered.Add(time.Minute)
	}
	if parts := strings.Split(key, "/"); len(parts) == 3 {
		if t, err := time.Parse("2006-01-02T15", parts[2]); err == nil {
			return t
		}
	}
	return time.Time{}
}

// seqEvent is a buffered event with its place in the order of a full sort.
type seqEvent struct {
	Event
	src, obj, rec int
}

// eventHeap is a min-heap by (time, source, object, record): events come
// out in the order a stable sort by time of all records (sources, objects
// and records in listing order) gives, so streaming judges exactly as
// sorting everything did.
type eventHeap []seqEvent

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	a, b := &h[i], &h[j]
	if c := a.Time.Compare(b.Time); c != 0 {
		return c < 0
	}
	if a.src != b.src {
		return a.src < b.src
	}
	if a.obj != b.obj {
		return a.obj < b.obj
	}
	return a.rec < b.rec
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(seqEvent)) }
func (h *eventHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = seqEvent{}
	*h = old[:len(old)-1]
	return x
}

// startDetector builds the detector before the first event is judged:
// the state's baseline, else one seeded from the usage store with the
// rows first seen before first (nil: no event; the filter's start is the
// cut), AWS's ranges, the IP databases, and what the run cannot evaluate.
func startDetector(ctx context.Context, in *Inputs, cfg Config, st *State, info *RunInfo, first *Event) (*Detector, error) {
	if st.Baseline == nil {
		switch {
		case in.Store != nil:
			before := in.Filter.Since
			if first != nil {
				before = first.Time
			}
			rows, err := in.Store.Usage(ctx, usage.Query{Until: before})
			if err != nil {
				return nil, fmt.Errorf("read the usage store for the baseline: %w", err)
			}
			st.Baseline = SeedBaseline(rows, before, cfg.NetworkPrefix)
		default:
			st.Baseline = NewBaseline()
			st.Baseline.Seed = "none: no usage store; learned from the judged logs only"
		}
	}
	info.Baseline = st.Baseline.Seed
	if !st.Baseline.Through.IsZero() {
		info.Baseline += "; learned through " + st.Baseline.Through.UTC().Format(time.RFC3339)
	}
	d := New(in.Config)
	d.UseBaseline(st.Baseline)
	switch {
	case in.Ranges == nil:
		info.NotEvaluated[ruleWorkloadOutside.ID] = "no AWS IP ranges given (set detect.aws_ip_ranges in seiri.yaml to an ip-ranges.json, or run seiri roles update-ip-ranges)"
	case !in.Ranges.Complete():
		info.NotEvaluated[ruleWorkloadOutside.ID] = "partly: only the built-in sample of AWS's IP ranges; a public address outside it is undetermined (set detect.aws_ip_ranges in seiri.yaml to AWS's ip-ranges.json, or run seiri roles update-ip-ranges)"
	}
	if in.Ranges != nil {
		d.UseRanges(in.Ranges)
	}
	d.UseIPDB(in.Country, in.ASN)
	if in.Country == nil {
		info.NotEvaluated[ruleNewCountry.ID] = "no IP database configured (set detect.ip_country_db in seiri.yaml to a start,end,country CSV)"
	}
	if in.ASN == nil {
		info.NotEvaluated[ruleNewASN.ID] = "no IP database configured (set detect.ip_asn_db in seiri.yaml to a start,end,asn,organization CSV)"
	}
	info.NotEvaluated[ruleTravel.ID] = "partly: compares networks (IPv4 /" + strconv.Itoa(cfg.NetworkPrefix) + ", IPv6 /32) and inside or outside AWS, not geographic distances"
	for _, id := range cfg.Disabled {
		info.NotEvaluated[id] = "disabled in seiri.yaml (detect.disabled_rules)"
	}
	return d, nil
}
