package trail

import (
	"maps"
	"time"

	"github.com/seiri-dev/seiri/internal/usage"
)

// Group is a set of identical records (identical in every field the
// mapping and the extraction read) that another engine — Athena — counted
// for us: Record is one representative (its EventTime and SourceIP,
// UserAgent, VPCEndpointID are ignored), the rest is what the group's
// members add to a usage row.
type Group struct {
	Record      Record
	PathAccount string // the account partition the group came from
	Count       int64
	First, Last time.Time
	// The smallest distinct values (up to usage.MaxSamples) of the group.
	SourceIPs, UserAgents, VPCEndpoints []string
	// IPClassReps holds, for every IP class present in the group, at least
	// one source address of that class (the Athena engine sends one
	// representative per IPv4 /16, one for IPv6, and every other value).
	IPClassReps []string
}

// Folder folds pre-aggregated groups into usage rows with the same mapping
// and extraction the local engine uses, so both engines produce the same
// rows for the same logs.
type Folder struct {
	all, one *aggregator
	skipped  map[string]int64 // records skipped, by reason
}

// NewFolder returns a Folder; f applies its record-level account/region
// filter (the time window is the caller's job).
func NewFolder(m *Mapper, f *Filter) *Folder {
	if m == nil {
		m = &Mapper{}
	}
	all, one := newAggregator(m, f), newAggregator(m, f)
	one.reset(all.tab) // one string table: merging one into all needs no translation
	return &Folder{all: all, one: one, skipped: map[string]int64{}}
}

// Add folds one group; it returns the record skip reason ("" when folded).
func (fo *Folder) Add(g *Group) string {
	one := fo.one
	one.clearRows()
	clear(one.unmapped)
	one.records, one.mapped, one.notAuthz, one.unmappedN, one.outside = 0, 0, 0, 0, 0
	r := g.Record
	r.EventTime = []byte(g.First.UTC().Format("2006-01-02T15:04:05Z"))
	r.SourceIP, r.UserAgent, r.VPCEndpointID = nil, nil, nil
	if why := one.add(&r, g.PathAccount); why != "" {
		fo.all.records += g.Count
		fo.skipped[why] += g.Count
		return why
	}
	first, last := g.First.Unix(), g.Last.Unix()
	// The group's session key was used on its first and last day; a
	// session lasts at most 36 hours (GetSessionToken's maximum, STS API
	// Reference), so the days between are days of use too.
	for uk, set := range one.sessUse {
		for d := dayOf(first) + 1; d <= dayOf(last); d++ {
			for k := range set {
				one.addSessionUse(uk.account, uk.principal, d*86400, k)
			}
		}
	}
	for i := range uint32(one.nacc) {
		v := one.acc(i)
		v.count = g.Count
		v.first, v.last = first, last
		for _, ip := range g.IPClassReps {
			class, svc := ipClass([]byte(ip))
			if class == "" {
				continue
			}
			v.ipc = one.addClass(v.ipc, one.classID(class, svc))
		}
		v.ips = one.sample(g.SourceIPs)
		v.uas = one.sample(g.UserAgents)
		v.vpce = one.sample(g.VPCEndpoints)
	}
	for _, u := range one.unmapped {
		u.count = g.Count
		u.first, u.last = first, last
	}
	one.records *= g.Count
	one.mapped *= g.Count
	one.notAuthz *= g.Count
	one.unmappedN *= g.Count
	one.outside *= g.Count
	// merge adopts one's values by pointer; the next Add clears one's maps
	// (not the values), so they stay valid in all.
	fo.all.merge(one)
	return ""
}

// sample is the local engine's sample of a value set: values cut to 256
// bytes, distinct, the smallest usage.MaxSamples.
func (a *aggregator) sample(vals []string) samples {
	var s samples
	for _, v := range vals {
		a.addSample(&s, []byte(v))
	}
	return s
}

// FoldCounts are the record counts of the folded groups.
type FoldCounts struct {
	Records, Mapped, NotAuthz, Unmapped, Outside int64
	Skipped                                      map[string]int64
}

// Counts returns the record counts so far.
func (fo *Folder) Counts() FoldCounts {
	a := fo.all
	return FoldCounts{Records: a.records, Mapped: a.mapped, NotAuthz: a.notAuthz, Unmapped: a.unmappedN,
		Outside: a.outside, Skipped: maps.Clone(fo.skipped)}
}

// Rows returns the usage rows, sorted by key.
func (fo *Folder) Rows() []usage.Row { return fo.all.Rows() }

// SessionUses returns the session keys used per principal and day.
func (fo *Folder) SessionUses() []usage.SessionUse { return fo.all.SessionUses() }

// Unmapped returns the unmapped pairs, most frequent first.
func (fo *Folder) Unmapped() []usage.UnmappedPair { return fo.all.Unmapped() }
