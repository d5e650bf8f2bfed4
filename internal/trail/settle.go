package trail

import (
	"cmp"
	"slices"

	"github.com/seiri-dev/seiri/internal/usage"
)

// scanGroup is a group of objects a scan settles together (see
// Options.Settle): the objects of one account and region, a range of the
// scan's objects.
type scanGroup struct {
	account, region string
	start, end      int // objs[start:end]
}

// groupPart is a worker's aggregation of files of group g, handed over
// when it moved on (a group's files are read by several workers, each
// maybe several times: a part for each stretch).
type groupPart struct {
	g     int32
	files int // the group's files it holds
	agg   *aggregator
}

// groupObjects orders todo for a settling scan, in place: by group (the
// path's account and region), the group with the most bytes first, each
// group's files biggest first (ties by key: the same objects always come
// in the same order). It returns the groups and each object's group.
func groupObjects(todo []Object) ([]scanGroup, []int32) {
	type gk struct{ account, region string }
	bytes := map[gk]int64{}
	for _, o := range todo {
		bytes[gk{o.Info.Account, o.Info.Region}] += o.Size
	}
	keys := make([]gk, 0, len(bytes))
	for k := range bytes {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b gk) int {
		return cmp.Or(cmp.Compare(bytes[b], bytes[a]), cmp.Compare(a.account, b.account), cmp.Compare(a.region, b.region))
	})
	rank := make(map[gk]int32, len(keys))
	for i, k := range keys {
		rank[k] = int32(i)
	}
	slices.SortStableFunc(todo, func(a, b Object) int {
		return cmp.Or(cmp.Compare(rank[gk{a.Info.Account, a.Info.Region}], rank[gk{b.Info.Account, b.Info.Region}]),
			cmp.Compare(b.Size, a.Size), compareStr(a.Key, b.Key))
	})
	groups := make([]scanGroup, len(keys))
	grp := make([]int32, len(todo))
	for i, o := range todo {
		g := rank[gk{o.Info.Account, o.Info.Region}]
		grp[i] = g
		if groups[g].end == 0 {
			groups[g] = scanGroup{account: o.Info.Account, region: o.Info.Region, start: i}
		}
		groups[g].end = i + 1
	}
	return groups, grp
}

// settler merges the parts of each group and hands the groups over in
// order, each once all its files are in.
type settler struct {
	groups  []scanGroup
	settle  func(Settled) error
	objs    []usage.Object
	kept    []bool
	pending [][]*aggregator
	got     []int // files in per group
	next    int   // the first group not yet settled
}

func (s *settler) add(p groupPart) error {
	if s.got == nil {
		s.got = make([]int, len(s.groups))
	}
	s.pending[p.g] = append(s.pending[p.g], p.agg)
	s.got[p.g] += p.files
	for s.next < len(s.groups) {
		g := &s.groups[s.next]
		if s.got[s.next] < g.end-g.start {
			return nil
		}
		parts := s.pending[s.next]
		s.pending[s.next] = nil
		s.next++
		if err := s.settle(settleGroup(g, parts, s.objs, s.kept)); err != nil {
			return err
		}
	}
	return nil
}

// settleGroup merges a group's parts into what Options.Settle is handed.
func settleGroup(g *scanGroup, parts []*aggregator, objs []usage.Object, kept []bool) Settled {
	out := Settled{Account: g.account, Region: g.region}
	total := parts[0]
	for i, p := range parts[1:] {
		total.absorb(p)
		parts[i+1] = nil
	}
	if len(total.rows) > 0 {
		out.Rows = total.rowSet()
	}
	out.SessionKeys = total.SessionKeys()
	out.SessionUses = total.SessionUses()
	for i := g.start; i < g.end; i++ {
		if kept[i] {
			out.Objects = append(out.Objects, objs[i])
		}
	}
	slices.SortFunc(out.Objects, func(a, b usage.Object) int { return compareStr(a.Key, b.Key) })
	return out
}
