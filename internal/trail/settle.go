package trail

import (
	"cmp"
	"slices"

	"github.com/seiri-dev/seiri/internal/usage"
)

// scanGroup is a group of objects a scan settles together (see
// Options.Settle): the objects of one or more whole account-region units,
// a range of the scan's objects.
type scanGroup struct {
	start, end int // objs[start:end]
}

// groupParts is about how many groups a scan's bytes are cut into: an
// account and region too small to be a group alone shares one with the
// next, so that what a group costs whatever its size (a worker's fresh
// tables, a batch of statements) is paid some 64 times per scan, not once
// per account and region (hundreds in an organization).
const groupParts = 64

// tailShare shrinks the last groups: a group is also cut once it holds
// 1/tailShare of the bytes left after it, so what is left shrinks by a
// third at each group at the end, and the last group holds the smallest
// units only. What the store's writer has left after the last file read
// is that group: the last 1/64 of the 300 MB corpus (its smallest
// accounts, the most rows per byte) took it 18–26 ms (docs/bench-trail.md,
// session 12). It costs a few more groups (47 instead of 38 there).
const tailShare = 2

// groupPart is a worker's aggregation of files of group g, handed over
// when it moved on (a group's files are read by several workers, each
// maybe several times: a part for each stretch).
type groupPart struct {
	g     int32
	files int // the group's files it holds
	agg   *aggregator
}

// groupObjects orders todo for a settling scan (perm: the index in todo
// of each object in the scan's order): by unit (the
// path's account and region), the unit with the most bytes first, each
// unit's files biggest first (ties by key: the same objects always come in
// the same order), and cuts it into groups of whole units, each group at
// least 1/groupParts of the bytes or 1/tailShare of the bytes after it,
// unless it is the last. It returns the
// groups (ranges of the scan's order) and each object's group, by its
// place in that order.
func groupObjects(todo []Object) (groups []scanGroup, grp []int32, perm []int32) {
	type unit struct{ account, region string }
	// A listing comes folder by folder: an object's unit is most often
	// the one before's, which saves hashing two strings per object.
	// unitOf numbers the units in the order met.
	ids := map[unit]int32{}
	var units []unit
	var bytes []int64
	unitOf := make([]int32, len(todo))
	var total int64
	last := int32(-1)
	for i, o := range todo {
		u := unit{o.Info.Account, o.Info.Region}
		if last < 0 || units[last] != u {
			id, ok := ids[u]
			if !ok {
				id = int32(len(units))
				ids[u] = id
				units, bytes = append(units, u), append(bytes, 0)
			}
			last = id
		}
		unitOf[i] = last
		bytes[last] += o.Size
		total += o.Size
	}
	byRank := make([]int32, len(units)) // the units, biggest first
	for i := range byRank {
		byRank[i] = int32(i)
	}
	slices.SortFunc(byRank, func(a, b int32) int {
		return cmp.Or(cmp.Compare(bytes[b], bytes[a]), cmp.Compare(units[a].account, units[b].account), cmp.Compare(units[a].region, units[b].region))
	})
	rank := make([]int32, len(units))  // unit → its rank
	group := make([]int32, len(units)) // unit rank → group
	var g int32
	var in int64  // bytes of group g so far
	rest := total // bytes of the units from this one on
	for i, u := range byRank {
		if in > 0 && (in*groupParts >= total || in*tailShare >= rest) {
			g, in = g+1, 0
		}
		rank[u], group[i] = int32(i), g
		in += bytes[u]
		rest -= bytes[u]
	}
	// Sorted through each object's unit rank (not looked up per
	// comparison); the objects themselves are not moved (the caller
	// takes them in order).
	order := make([]sortKey, len(todo))
	for i, o := range todo {
		order[i] = sortKey{rank: rank[unitOf[i]], size: o.Size, key: o.Key, i: int32(i)}
	}
	// Compared field by field, the keys last: cmp.Or would compare the
	// keys (long, with a long common prefix) every time.
	slices.SortFunc(order, func(a, b sortKey) int {
		switch {
		case a.rank != b.rank:
			return cmp.Compare(a.rank, b.rank)
		case a.size != b.size:
			return cmp.Compare(b.size, a.size)
		}
		if c := compareStr(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	if len(units) > 0 {
		groups = make([]scanGroup, g+1)
	}
	grp = make([]int32, len(todo))
	perm = make([]int32, len(todo))
	for i, k := range order {
		perm[i] = k.i
		gi := group[k.rank]
		grp[i] = gi
		if groups[gi].end == 0 {
			groups[gi].start = i
		}
		groups[gi].end = i + 1
	}
	return groups, grp, perm
}

// sortKey is what groupObjects orders an object by: its unit's rank, its
// size (biggest first), its key, its place in the listing (a stable sort).
type sortKey struct {
	rank int32
	size int64
	key  string
	i    int32
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
	rows    int   // rows handed over
}

func newSettler(groups []scanGroup, settle func(Settled) error, objs []usage.Object, kept []bool) *settler {
	return &settler{groups: groups, settle: settle, objs: objs, kept: kept,
		pending: make([][]*aggregator, len(groups)), got: make([]int, len(groups))}
}

func (s *settler) add(p groupPart) error {
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
		out := settleGroup(g, parts, s.objs, s.kept)
		if out.Rows != nil {
			s.rows += out.Rows.Len()
		}
		if err := s.settle(out); err != nil {
			return err
		}
	}
	return nil
}

// settleGroup merges a group's parts into what Options.Settle is handed.
func settleGroup(g *scanGroup, parts []*aggregator, objs []usage.Object, kept []bool) Settled {
	var out Settled
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
