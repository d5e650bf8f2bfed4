package catalog

import (
	"sort"
	"strings"
	"sync"

	"github.com/seiri-dev/seiri/internal/policy/wildcard"
)

// literalPrefix is the part of pattern before its first wildcard.
func literalPrefix(pattern string) string {
	if i := strings.IndexAny(pattern, "*?"); i >= 0 {
		return pattern[:i]
	}
	return pattern
}

// expandCacheLimit bounds the per-catalog cache of expanded patterns: a
// long-running scan over attacker-written policies must not grow it forever.
const expandCacheLimit = 8192

// expandCache maps lower-case patterns to their expansion. A plain map under
// a read-write lock: unlike sync.Map it looks strings up without boxing them,
// so a cache hit does not allocate.
type expandCache struct {
	mu sync.RWMutex
	m  map[string][]*Action
}

func (e *expandCache) get(p string) ([]*Action, bool) {
	e.mu.RLock()
	v, ok := e.m[p]
	e.mu.RUnlock()
	return v, ok
}

func (e *expandCache) put(p string, v []*Action) {
	e.mu.Lock()
	if e.m == nil {
		e.m = make(map[string][]*Action)
	}
	if len(e.m) < expandCacheLimit {
		e.m[p] = v
	}
	e.mu.Unlock()
}

// Expand returns the actions that the IAM action pattern matches, with IAM's
// wildcards "*" and "?" and case-insensitively: "s3:Get*", "*:Describe*",
// "iam:*AccessKey*", "*". A pattern without wildcards returns the one action
// it names (or nothing). Results are sorted like Actions() and cached by
// pattern; the returned slice is shared and must not be modified.
func (c *Catalog) Expand(pattern string) []*Action {
	// Policies repeat the same spelling, so the cache is keyed by the
	// pattern as written too: a hit then costs no lower-casing.
	if v, ok := c.expand.get(pattern); ok {
		return v
	}
	p := lowerASCII(pattern)
	if p != pattern {
		if v, ok := c.expand.get(p); ok {
			c.expand.put(pattern, v)
			return v
		}
	}
	res := c.expandUncached(p)
	if len(res) == 0 {
		res = nil
	} else {
		res = res[:len(res):len(res)] // appends by callers copy, never overwrite
	}
	c.expand.put(p, res)
	if p != pattern {
		c.expand.put(pattern, res)
	}
	return res
}

// ExpandCount is len(Expand(pattern)) without caching the result.
func (c *Catalog) ExpandCount(pattern string) int {
	p := lowerASCII(pattern)
	if v, ok := c.expand.get(p); ok {
		return len(v)
	}
	return len(c.expandUncached(p))
}

func (c *Catalog) expandUncached(p string) []*Action {
	if p == "*" {
		return c.actions
	}
	colon := strings.IndexByte(p, ':')
	if colon >= 0 && strings.IndexByte(p[colon+1:], ':') >= 0 {
		// Full names hold exactly one colon (prefixes and action names never
		// contain one), so a pattern with two literal colons matches nothing.
		return nil
	}
	if colon >= 0 && !strings.ContainsAny(p[:colon], "*?") {
		// The pattern's only colon must meet the name's only colon, so the
		// halves match independently: look the service up, then its actions.
		s, ok := c.byPrefix[p[:colon]]
		if !ok {
			return nil
		}
		return s.match(compileGlob(p[colon+1:]), nil)
	}
	if colon < 0 && !strings.ContainsAny(p, "*?") {
		return nil // neither colon nor wildcard: not an action name
	}
	g := compileGlob(p)
	// Otherwise, with a literal start of the action name ("*:De*") a binary
	// search per service is cheapest; else search all names at once for the
	// pattern's longest literal ("*:*s3*").
	// A literal of three bytes or more goes through the trigram index.
	lit := longestLiteral(p)
	if len(lit) >= 3 {
		return c.scanTrigrams(g, lit)
	}
	perService := colon >= 0 && literalPrefix(p[colon+1:]) != ""
	if !perService && len(lit) == 2 {
		return c.scanBlob(g, lit)
	}
	var out []*Action
	if colon >= 0 {
		sg, ag := compileGlob(p[:colon]), compileGlob(p[colon+1:])
		for _, s := range c.services {
			if sg.match(s.lowerPrefix) {
				out = s.match(ag, out)
			}
		}
		return out
	}
	for _, a := range c.actions {
		if g.match(a.lower) {
			out = append(out, a)
		}
	}
	return out
}

// scanBlob finds the actions whose lower-case full name matches g by
// searching for g's longest literal in all names at once (one string, names
// separated by newlines), so only names holding the literal are checked.
func (c *Catalog) scanBlob(g glob, lit string) []*Action {
	var out []*Action
	pos := 0
	for pos < len(c.blob) {
		i := strings.Index(c.blob[pos:], lit)
		if i < 0 {
			break
		}
		at := pos + i
		// The name holding byte at: the last one starting at or before it.
		k := sort.Search(len(c.starts), func(j int) bool { return c.starts[j] > at }) - 1
		a := c.actions[k]
		if g.match(a.lower) {
			out = append(out, a)
		}
		pos = c.starts[k] + len(a.lower) + 1
	}
	return out
}

// match appends the service's actions whose lower-case name matches g. The
// literal prefix narrows the search by binary search over the sorted names,
// so "describe*" touches only the Describe actions.
func (s *Service) match(g glob, out []*Action) []*Action {
	if g.raw == "*" {
		return append(out, s.Actions...)
	}
	lit := literalPrefix(g.raw)
	if len(lit) == len(g.raw) {
		i := sort.SearchStrings(s.lowerActions, lit)
		if i < len(s.lowerActions) && s.lowerActions[i] == lit {
			out = append(out, s.Actions[i])
		}
		return out
	}
	start := sort.SearchStrings(s.lowerActions, lit)
	for i := start; i < len(s.lowerActions); i++ {
		name := s.lowerActions[i]
		if !strings.HasPrefix(name, lit) {
			break
		}
		if g.match(name) {
			out = append(out, s.Actions[i])
		}
	}
	return out
}

// glob is a compiled wildcard pattern. Patterns with only "*" match by
// literal segments (prefix, suffix, then each middle segment found with
// strings.Index, leftmost first, which is exact for "*"); patterns with "?"
// use wildcard.Match, the policy engine's matcher.
type glob struct {
	raw  string
	segs []string
	q    bool
	star bool
}

func compileGlob(p string) glob {
	g := glob{raw: p, q: strings.IndexByte(p, '?') >= 0, star: strings.IndexByte(p, '*') >= 0}
	if !g.q && g.star {
		g.segs = strings.Split(p, "*")
	}
	return g
}

func (g *glob) match(s string) bool {
	if g.q {
		return wildcard.Match(g.raw, s)
	}
	if !g.star {
		return s == g.raw
	}
	first, last := g.segs[0], g.segs[len(g.segs)-1]
	if len(s) < len(first)+len(last) || !strings.HasPrefix(s, first) || !strings.HasSuffix(s, last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	for _, seg := range g.segs[1 : len(g.segs)-1] {
		if seg == "" {
			continue
		}
		i := strings.Index(s, seg)
		if i < 0 {
			return false
		}
		s = s[i+len(seg):]
	}
	return true
}

// longestLiteral is the longest run of pattern without wildcards.
func longestLiteral(p string) string {
	best := ""
	for _, part := range strings.FieldsFunc(p, func(r rune) bool { return r == '*' || r == '?' }) {
		if len(part) > len(best) {
			best = part
		}
	}
	return best
}
