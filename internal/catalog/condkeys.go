package catalog

import "strings"

// Condition key lookup. IAM compares condition key names case-insensitively
// (IAM User Guide, "IAM JSON policy elements: Condition"). Some keys are
// templates: "aws:ResourceTag/${TagKey}", "s3:ExistingObjectTag/<key>",
// "aws:PrincipalTag/tag-key" (the global keys' spelling) stand for one key per
// tag; the template part matches any non-empty text.

type keyMatcher struct {
	key      ConditionKey
	pre, suf string // lower-case text around the template
}

type keyIndex struct {
	exact     map[string]ConditionKey // lower-case name → key
	templated []keyMatcher
}

func newKeyIndex(keys []ConditionKey) keyIndex {
	x := keyIndex{exact: make(map[string]ConditionKey, len(keys))}
	for _, k := range keys {
		lk := strings.ToLower(k.Name)
		if pre, suf, ok := splitTemplate(lk); ok {
			x.templated = append(x.templated, keyMatcher{key: k, pre: pre, suf: suf})
			continue
		}
		if _, dup := x.exact[lk]; !dup {
			x.exact[lk] = k
		}
	}
	return x
}

// splitTemplate cuts a lower-case key around its template part, if any.
func splitTemplate(k string) (pre, suf string, ok bool) {
	if strings.HasSuffix(k, "/tag-key") {
		return k[:len(k)-len("tag-key")], "", true
	}
	for _, delim := range [...][2]string{{"${", "}"}, {"<", ">"}} {
		if i := strings.Index(k, delim[0]); i >= 0 {
			if j := strings.Index(k[i:], delim[1]); j > 0 {
				return k[:i], k[i+j+1:], true
			}
		}
	}
	return "", "", false
}

func (x *keyIndex) find(lower string) (ConditionKey, bool) {
	if k, ok := x.exact[lower]; ok {
		return k, true
	}
	for _, m := range x.templated {
		if len(lower) > len(m.pre)+len(m.suf) && strings.HasPrefix(lower, m.pre) && strings.HasSuffix(lower, m.suf) {
			return m.key, true
		}
	}
	return ConditionKey{}, false
}

// GlobalConditionKeys are the keys every service may support ("aws:SourceIp",
// "aws:PrincipalTag/tag-key", ...; IAM User Guide, "AWS global condition
// context keys"), with their types.
func (c *Catalog) GlobalConditionKeys() []ConditionKey { return c.globalKeys }

// ConditionKey looks a condition key up by name, case-insensitively: among
// the keys of the service its prefix names, then among the global keys.
// Templated keys match concrete names: "aws:ResourceTag/team" finds
// "aws:ResourceTag/${TagKey}".
func (c *Catalog) ConditionKey(name string) (ConditionKey, bool) {
	lower := strings.ToLower(name)
	if prefix, _, ok := strings.Cut(lower, ":"); ok {
		if s, ok := c.byPrefix[prefix]; ok {
			if k, ok := s.keys.find(lower); ok {
				return k, true
			}
		}
	}
	return c.globals.find(lower)
}
