package catalog

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// MatchWildcard reports whether s matches the IAM wildcard pattern: "*"
// matches any run of characters (also none), "?" exactly one character;
// everything else matches itself. IAM uses these two wildcards in the Action,
// NotAction, Resource and NotResource elements (IAM User Guide, "IAM JSON
// policy elements: Action"). The match is exact; lower-case both sides for
// action names. It runs in O(len(s)·len(pattern)) at worst without
// allocating.
func MatchWildcard(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case star >= 0:
			// Let the last star swallow one more character and retry.
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

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

type expandCache struct {
	m sync.Map // lower-case pattern → []*Action
	n atomic.Int64
}

// Expand returns the actions that the IAM action pattern matches, with IAM's
// wildcards "*" and "?" and case-insensitively: "s3:Get*", "*:Describe*",
// "iam:*AccessKey*", "*". A pattern without wildcards returns the one action
// it names (or nothing). Results are sorted like Actions() and cached by
// pattern; the returned slice is shared and must not be modified.
func (c *Catalog) Expand(pattern string) []*Action {
	p := lowerASCII(pattern)
	if v, ok := c.expand.m.Load(p); ok {
		return v.([]*Action)
	}
	res := c.expandUncached(p)
	if len(res) == 0 {
		res = nil
	} else {
		res = res[:len(res):len(res)] // appends by callers copy, never overwrite
	}
	if c.expand.n.Load() < expandCacheLimit {
		if _, loaded := c.expand.m.LoadOrStore(p, res); !loaded {
			c.expand.n.Add(1)
		}
	}
	return res
}

// ExpandCount is len(Expand(pattern)) without caching the result.
func (c *Catalog) ExpandCount(pattern string) int {
	p := lowerASCII(pattern)
	if v, ok := c.expand.m.Load(p); ok {
		return len(v.([]*Action))
	}
	return len(c.expandUncached(p))
}

func (c *Catalog) expandUncached(p string) []*Action {
	if p == "*" {
		return c.actions
	}
	colon := strings.IndexByte(p, ':')
	if colon < 0 {
		// No colon: the wildcards themselves must span "prefix:action", so
		// match full names. A pattern with neither colon nor wildcard names
		// no action.
		if !strings.ContainsAny(p, "*?") {
			return nil
		}
		var out []*Action
		for _, a := range c.actions {
			if MatchWildcard(p, a.lower) {
				out = append(out, a)
			}
		}
		return out
	}
	if strings.IndexByte(p[colon+1:], ':') >= 0 {
		// Full names hold exactly one colon (prefixes and action names never
		// contain one), so a pattern with two literal colons matches nothing.
		return nil
	}
	svcPat, actPat := p[:colon], p[colon+1:]
	// The pattern's only colon must meet the name's only colon, so the two
	// halves match independently.
	if !strings.ContainsAny(svcPat, "*?") {
		s, ok := c.byPrefix[svcPat]
		if !ok {
			return nil
		}
		return s.match(actPat, nil)
	}
	var out []*Action
	for _, s := range c.services {
		if MatchWildcard(svcPat, strings.ToLower(s.Prefix)) {
			out = s.match(actPat, out)
		}
	}
	return out
}

// match appends the service's actions whose lower-case name matches the
// lower-case pattern. The literal prefix narrows the search by binary search
// over the sorted names, so "Describe*" touches only the Describe actions.
func (s *Service) match(pat string, out []*Action) []*Action {
	if pat == "*" {
		return append(out, s.Actions...)
	}
	lit := literalPrefix(pat)
	if len(lit) == len(pat) {
		i := sort.SearchStrings(s.lowerActions, pat)
		if i < len(s.lowerActions) && s.lowerActions[i] == pat {
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
		if MatchWildcard(pat, name) {
			out = append(out, s.Actions[i])
		}
	}
	return out
}
