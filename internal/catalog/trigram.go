package catalog

// A trigram index over the lower-case full action names, built on first need
// (about a millisecond): for a pattern such as "*:*tag*" it names the few
// thousand actions that can match, instead of testing all ~22,000.
//
// Bytes are folded into 40 classes (letters, digits, ':', '-', and one class
// for everything else), so a trigram is a number below 40³ and the index is
// two flat arrays (CSR layout) rather than a map. Folding only merges
// classes, so a name holding a literal always holds its folded trigrams: the
// index never misses, and candidates are then checked exactly.

const trigramClasses = 40

type trigramIndex struct {
	start []int32 // start[t]..start[t+1] is trigram t's slice of ids
	ids   []int32 // action indexes, ascending within each trigram
}

func byteClass(c byte) int {
	switch {
	case c >= 'a' && c <= 'z':
		return int(c - 'a')
	case c >= '0' && c <= '9':
		return 26 + int(c-'0')
	case c == ':':
		return 36
	case c == '-':
		return 37
	case c == '_':
		return 38
	}
	return 39
}

func trigramOf(s string, i int) int {
	return (byteClass(s[i])*trigramClasses+byteClass(s[i+1]))*trigramClasses + byteClass(s[i+2])
}

func buildTrigramIndex(actions []*Action) *trigramIndex {
	const n = trigramClasses * trigramClasses * trigramClasses
	count := make([]int32, n+1)
	last := make([]int32, n)
	for i := range last {
		last[i] = -1
	}
	for ai, a := range actions {
		for i := 0; i+3 <= len(a.lower); i++ {
			t := trigramOf(a.lower, i)
			if last[t] != int32(ai) {
				last[t] = int32(ai)
				count[t+1]++
			}
		}
	}
	for t := 1; t <= n; t++ {
		count[t] += count[t-1]
	}
	idx := &trigramIndex{start: count, ids: make([]int32, count[n])}
	fill := make([]int32, n)
	copy(fill, count[:n])
	for i := range last {
		last[i] = -1
	}
	for ai, a := range actions {
		for i := 0; i+3 <= len(a.lower); i++ {
			t := trigramOf(a.lower, i)
			if last[t] != int32(ai) {
				last[t] = int32(ai)
				idx.ids[fill[t]] = int32(ai)
				fill[t]++
			}
		}
	}
	return idx
}

// candidates returns the ids of actions whose name may contain lit (at
// least 3 bytes): the shortest posting list among lit's trigrams.
func (x *trigramIndex) candidates(lit string) []int32 {
	var best []int32
	for i := 0; i+3 <= len(lit); i++ {
		t := trigramOf(lit, i)
		ids := x.ids[x.start[t]:x.start[t+1]]
		if best == nil || len(ids) < len(best) {
			best = ids
			if len(best) == 0 {
				break
			}
		}
	}
	return best
}

// scanTrigrams returns the actions matching g, checking only those whose
// names hold lit's rarest trigram.
func (c *Catalog) scanTrigrams(g glob, lit string) []*Action {
	c.trigramOnce.Do(func() { c.trigrams = buildTrigramIndex(c.actions) })
	var out []*Action
	for _, id := range c.trigrams.candidates(lit) {
		if a := c.actions[id]; g.match(a.lower) {
			out = append(out, a)
		}
	}
	return out
}
