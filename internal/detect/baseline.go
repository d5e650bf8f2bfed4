package detect

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/usage"
)

// Baseline is what is known of every credential before the events judged:
// the networks, user-agent classes, regions and address kinds it was used
// from, and when it was first and last used. It is seeded from the usage
// store (SeedBaseline: the per-row samples the store keeps, so a new
// installation learns from the history it already scanned) and then learns
// from every event the detector judges, after judging it.
type Baseline struct {
	// Through is the newest event time the baseline learned from.
	Through time.Time `json:"through"`
	// Creds are keyed by credential (credentialOf).
	Creds map[string]*Profile `json:"creds"`
	// AccountRegions are the regions each account was used in.
	AccountRegions map[string]map[string]bool `json:"accountRegions"`
	// Seed says where the baseline came from ("" when it was not seeded).
	Seed string `json:"seed,omitempty"`
}

// Profile is one credential's fingerprint.
type Profile struct {
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// LastUncertain: seeded from a usage row that spans the seed's cut, so
	// the last use before it is not known (the silence rule then counts
	// the event as undetermined).
	LastUncertain bool  `json:"lastUncertain,omitempty"`
	Events        int64 `json:"events"`
	// Networks are the public networks (IPv4 /NetworkPrefix, IPv6 /32).
	Networks map[string]bool `json:"networks,omitempty"`
	// NetworksPartial: seeded from bounded samples (usage.MaxSamples per
	// row) that were full, so a network not in the set may have been seen.
	NetworksPartial bool `json:"networksPartial,omitempty"`
	// NetworksMany: more than maxNetworks networks; the credential roams,
	// a new network says nothing.
	NetworksMany  bool            `json:"networksMany,omitempty"`
	Agents        map[string]bool `json:"agents,omitempty"` // user-agent classes
	AgentsPartial bool            `json:"agentsPartial,omitempty"`
	Regions       map[string]bool `json:"regions,omitempty"`
	// Kinds are the address kinds seen: public, private, aws-internal,
	// aws-service, ipv6.
	Kinds map[string]bool `json:"kinds,omitempty"`

	// Countries and ASNs seen (with the offline IP databases configured),
	// and when that learning began (GeoSince).
	Countries map[string]bool `json:"countries,omitempty"`
	ASNs      map[string]bool `json:"asns,omitempty"`
	GeoSince  time.Time       `json:"geoSince,omitempty"`
	// Workload is set for a role whose sessions were seen running in a
	// Lambda function or an ECS task (the SDKs' exec-env user-agent mark):
	// its credentials belong inside AWS.
	Workload string `json:"workload,omitempty"`

	// The last public network of each access key (impossible travel);
	// session keys are short-lived, so only the newest few are kept.
	Travel map[string]Sighting `json:"travel,omitempty"`
}

// Sighting is where and when an access key was last seen from a public network.
type Sighting struct {
	Network string    `json:"network"`
	IP      string    `json:"ip"`
	Time    time.Time `json:"time"`
	EventID string    `json:"eventId,omitempty"`
	Agent   string    `json:"agent,omitempty"`
}

const (
	maxNetworks = 64
	maxTravel   = 8
)

// NewBaseline returns an empty baseline.
func NewBaseline() *Baseline {
	return &Baseline{Creds: map[string]*Profile{}, AccountRegions: map[string]map[string]bool{}}
}

func (b *Baseline) profile(id string) *Profile {
	p := b.Creds[id]
	if p == nil {
		p = &Profile{Networks: map[string]bool{}, Agents: map[string]bool{}, Regions: map[string]bool{}, Kinds: map[string]bool{}}
		b.Creds[id] = p
	}
	if p.Networks == nil {
		p.Networks = map[string]bool{}
	}
	if p.Agents == nil {
		p.Agents = map[string]bool{}
	}
	if p.Regions == nil {
		p.Regions = map[string]bool{}
	}
	if p.Kinds == nil {
		p.Kinds = map[string]bool{}
	}
	return p
}

func (b *Baseline) accountRegion(account, region string) {
	if account == "" || region == "" {
		return
	}
	m := b.AccountRegions[account]
	if m == nil {
		m = map[string]bool{}
		b.AccountRegions[account] = m
	}
	m[region] = true
}

// credentialOf is the credential a baseline is kept for: a long-term access
// key (AKIA…) by its id; any other caller by its principal (a role's
// sessions share the role's baseline, as the usage store groups them).
// "" for AWS services and service-invoked calls.
func credentialOf(e *Event) string {
	if e.IdentityType == "AWSService" || e.InvokedBy != "" {
		return ""
	}
	if strings.HasPrefix(e.AccessKeyID, "AKIA") {
		return e.AccessKeyID
	}
	if e.IssuerARN != "" {
		return e.IssuerARN
	}
	return e.ARN
}

// credentialOfRow is credentialOf for a usage row (its principal is already
// normalized: a role session's row names the role).
func credentialOfRow(r *usage.Row) string {
	if r.PrincipalType == "AWSService" {
		return ""
	}
	if strings.HasPrefix(r.AccessKeyID, "AKIA") {
		return r.AccessKeyID
	}
	return r.Principal
}

// Address kinds (the usage store's IPClasses use the same names).
const (
	kindPublic   = "public"
	kindPrivate  = "private"
	kindInternal = "aws-internal"
	kindService  = "aws-service"
	kindIPv6     = "ipv6"
)

// addrKind classifies sourceIPAddress and returns its network (IPv4 /bits,
// IPv6 /32) for public addresses. CloudTrail record contents,
// sourceIPAddress: an address, "AWS Internal", or a service's host name
// when a service called on the principal's behalf.
func addrKind(ip string, bits int) (kind, network string) {
	if ip == "" {
		return "", ""
	}
	if ip == "AWS Internal" {
		return kindInternal, ""
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return kindService, ""
	}
	a = a.Unmap()
	if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || isCGNAT(a) {
		return kindPrivate, ""
	}
	if a.Is6() {
		p, _ := a.Prefix(32)
		return kindIPv6, p.String()
	}
	p, _ := a.Prefix(bits)
	return kindPublic, p.String()
}

// isCGNAT: 100.64.0.0/10 (RFC 6598), shared address space.
func isCGNAT(a netip.Addr) bool {
	if !a.Is4() {
		return false
	}
	b := a.As4()
	return b[0] == 100 && b[1]&0xc0 == 64
}

// SeedBaseline builds a baseline from usage rows, using what they say
// about the time before `before` (the first event to be judged): a row
// first seen at or after it is left out. A row that spans the cut may hold
// samples seen after it: that can hide a novelty (a missed finding), never
// invent one. bits is the IPv4 network prefix length.
func SeedBaseline(rows []usage.Row, before time.Time, bits int) *Baseline {
	b := NewBaseline()
	n := 0
	for i := range rows {
		r := &rows[i]
		if !before.IsZero() && !r.FirstSeen.Before(before) {
			continue
		}
		n++
		b.accountRegion(r.Account, r.Region)
		id := credentialOfRow(r)
		if id == "" {
			continue
		}
		p := b.profile(id)
		if p.First.IsZero() || r.FirstSeen.Before(p.First) {
			p.First = r.FirstSeen
		}
		last := r.LastSeen
		if !before.IsZero() && !last.Before(before) {
			last = r.FirstSeen
			p.LastUncertain = true
		}
		if last.After(p.Last) {
			p.Last = last
		}
		p.Events += r.Count
		if r.Region != "" {
			p.Regions[r.Region] = true
		}
		for _, c := range r.IPClasses {
			if strings.HasPrefix(c, kindService) {
				c = kindService
			}
			p.Kinds[c] = true
		}
		one := "" // the row's one public network, when its samples show one
		for _, ip := range r.SourceIPs {
			if k, nw := addrKind(ip, bits); nw != "" && (k == kindPublic || k == kindIPv6) {
				p.addNetwork(nw)
				if one == "" {
					one = nw
				} else if one != nw {
					one = "-"
				}
			}
		}
		// The travel rule's last sighting of the key: a row whose complete
		// samples hold one network was last seen from it.
		if one != "" && one != "-" && len(r.SourceIPs) < usage.MaxSamples && r.AccessKeyID != "" && r.LastSeen.Before(before) {
			if p.Travel == nil {
				p.Travel = map[string]Sighting{}
			}
			if s, ok := p.Travel[r.AccessKeyID]; !ok || r.LastSeen.After(s.Time) {
				p.Travel[r.AccessKeyID] = Sighting{Network: one, Time: r.LastSeen}
			}
		}
		if len(r.SourceIPs) >= usage.MaxSamples {
			p.NetworksPartial = true
		}
		for _, ua := range r.UserAgents {
			if c := AgentClass(ua); c != "" {
				p.Agents[c] = true
			}
		}
		if len(r.UserAgents) >= usage.MaxSamples {
			p.AgentsPartial = true
		}
		if p.Last.After(b.Through) {
			b.Through = p.Last
		}
	}
	for _, p := range b.Creds {
		p.trimTravel()
	}
	b.Seed = "usage store: " + itoa(n) + " rows first seen before " + before.UTC().Format(time.RFC3339)
	return b
}

func (p *Profile) addNetwork(nw string) {
	if p.NetworksMany || p.Networks[nw] {
		return
	}
	if len(p.Networks) >= maxNetworks {
		p.NetworksMany = true
		return
	}
	p.Networks[nw] = true
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// trimTravel keeps the newest maxTravel sightings.
func (p *Profile) trimTravel() {
	for len(p.Travel) > maxTravel {
		var oldest string
		for k, s := range p.Travel {
			if oldest == "" || s.Time.Before(p.Travel[oldest].Time) || s.Time.Equal(p.Travel[oldest].Time) && k < oldest {
				oldest = k
			}
		}
		delete(p.Travel, oldest)
	}
}
