package trail

import (
	"slices"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/usage"
)

// rowSet is an aggregator's rows as a usage.RowSet: the store reads their
// keys, sorts them by its own ids and builds each row only when it
// inserts it, so a scan into the store never holds a []usage.Row of every
// row (a settled group's rows, Options.Settle). The aggregator must not
// change while the set is in use.
type rowSet struct {
	a    *aggregator
	keys []rowKey
	idx  []uint32 // row i is a.acc(idx[i])
}

// rowSet lists the rows in the order of usage.Key.Compare (by key
// strings, field by field); Rows builds them in this order too, so the
// store gives their strings the same ids either way: the same store, byte
// for byte.
func (a *aggregator) rowSet() *rowSet {
	type entry struct {
		k rowKey
		i uint32
	}
	strs := a.tab.strs
	es := make([]entry, 0, len(a.rows))
	for k, i := range a.rows {
		es = append(es, entry{k, i})
	}
	slices.SortFunc(es, func(x, y entry) int {
		for _, f := range [...][2]uint32{
			{x.k.account, y.k.account}, {x.k.principal, y.k.principal}, {x.k.ptype, y.k.ptype}, {x.k.akid, y.k.akid},
			{x.k.action, y.k.action}, {x.k.resource, y.k.resource}, {x.k.errc, y.k.errc}, {x.k.region, y.k.region},
		} {
			if f[0] != f[1] {
				return strings.Compare(strs[f[0]], strs[f[1]])
			}
		}
		return 0
	})
	s := &rowSet{a: a, keys: make([]rowKey, len(es)), idx: make([]uint32, len(es))}
	for j, e := range es {
		s.keys[j], s.idx[j] = e.k, e.i
	}
	return s
}

func (s *rowSet) Len() int { return len(s.keys) }

func (s *rowSet) Key(i int) usage.Key {
	k, strs := s.keys[i], s.a.tab.strs
	return usage.Key{Account: strs[k.account], Principal: strs[k.principal], PrincipalType: strs[k.ptype], AccessKeyID: strs[k.akid],
		Action: strs[k.action], Resource: strs[k.resource], ErrorCode: strs[k.errc], Region: strs[k.region]}
}

// Fill sets r to row i as Rows builds it (only reads the aggregator: safe
// from several goroutines, each with its own r).
func (s *rowSet) Fill(i int, r *usage.Row) {
	a := s.a
	v := a.acc(s.idx[i])
	r.FirstSeen, r.LastSeen = time.Unix(v.first, 0).UTC(), time.Unix(v.last, 0).UTC()
	r.Count, r.Authz = v.count, v.authz
	r.IPClasses = s.strings(r.IPClasses, a.sets[v.ipc])
	r.SourceIPs = s.strings(r.SourceIPs, v.ips.v[:v.ips.n])
	r.UserAgents = s.strings(r.UserAgents, v.uas.v[:v.uas.n])
	r.VPCEndpoints = s.strings(r.VPCEndpoints, v.vpce.v[:v.vpce.n])
	r.Sessions = s.strings(r.Sessions, v.sess.v[:v.sess.n])
	r.SourceIdentities = s.strings(r.SourceIdentities, v.sid.v[:v.sid.n])
}

// strings is the ids' strings in dst's room (nil when there are none, as
// aggregator.list).
func (s *rowSet) strings(dst []string, ids []uint32) []string {
	if len(ids) == 0 {
		return nil
	}
	dst = dst[:0]
	for _, id := range ids {
		dst = append(dst, s.a.tab.strs[id])
	}
	return dst
}
