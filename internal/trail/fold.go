package trail

import (
	"maps"
	"slices"
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
	return &Folder{all: newAggregator(m, f), one: newAggregator(m, f), skipped: map[string]int64{}}
}

// Add folds one group; it returns the record skip reason ("" when folded).
func (fo *Folder) Add(g *Group) string {
	one := fo.one
	clear(one.rows)
	clear(one.unmapped)
	clear(one.sessUse)
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
		for d := g.First.UTC().AddDate(0, 0, 1); d.Format(time.DateOnly) <= g.Last.UTC().Format(time.DateOnly); d = d.AddDate(0, 0, 1) {
			for k := range set {
				one.addSessionUse(uk.Account, uk.Principal, d.Unix(), k)
			}
		}
	}
	for _, v := range one.rows {
		v.count = g.Count
		v.first, v.last = first, last
		for _, ip := range g.IPClassReps {
			class, svc := ipClass([]byte(ip))
			if class == "" {
				continue
			}
			if svc != nil {
				class = IPServicePfx + string(svc)
			}
			if !slices.Contains(v.ipc, class) {
				v.ipc = append(v.ipc, class)
			}
		}
		slices.Sort(v.ipc)
		v.ips = sample(g.SourceIPs)
		v.uas = sample(g.UserAgents)
		v.vpce = sample(g.VPCEndpoints)
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
func sample(vals []string) []string {
	var out []string
	for _, s := range vals {
		if len(s) > 256 {
			s = s[:256]
		}
		if s == "" || slices.Contains(out, s) {
			continue
		}
		out = append(out, s)
	}
	slices.Sort(out)
	if len(out) > usage.MaxSamples {
		out = out[:usage.MaxSamples]
	}
	return out
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
