package detect

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"

	"github.com/seiri-dev/seiri/internal/finding"
)

// IPDB is an offline IP database the user supplies: address ranges with a
// country or an autonomous system. The format is the CSV of the public
// ip-location-db project: "start,end,country" (a two-letter code) for
// country files and "start,end,asn,organization" for ASN files, one range
// per line, IPv4 or IPv6, no header. seiri reads it; it never downloads one.
type IPDB struct {
	Name   string // the file, for what a run says it used
	ranges []ipRange
}

type ipRange struct {
	start, end netip.Addr
	value      string // a country code, or "AS<n> <organization>"
}

// ParseIPDB reads a CSV of ranges. asn selects the ASN layout (at least
// four columns) over the country one (three). A bad line is an error
// naming the line; ranges may come in any order.
func ParseIPDB(name string, r io.Reader, asn bool) (*IPDB, error) {
	db := &IPDB{Name: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cols := strings.Split(text, ",")
		want := 3
		if asn {
			want = 4
		}
		if len(cols) < want {
			return nil, fmt.Errorf("%s:%d: %d columns, want %d (start,end,%s)", name, line, len(cols), want, map[bool]string{false: "country", true: "asn,organization"}[asn])
		}
		s, err1 := netip.ParseAddr(strings.TrimSpace(cols[0]))
		e, err2 := netip.ParseAddr(strings.TrimSpace(cols[1]))
		if err1 != nil || err2 != nil || s.Is4() != e.Is4() || e.Less(s) {
			return nil, fmt.Errorf("%s:%d: %q to %q is not an address range", name, line, cols[0], cols[1])
		}
		v := strings.TrimSpace(cols[2])
		if asn {
			org := strings.Trim(strings.TrimSpace(strings.Join(cols[3:], ",")), `"`)
			v = "AS" + strings.TrimPrefix(strings.ToUpper(v), "AS")
			if org != "" {
				v += " " + org
			}
		}
		if v == "" {
			return nil, fmt.Errorf("%s:%d: empty value", name, line)
		}
		db.ranges = append(db.ranges, ipRange{s.Unmap(), e.Unmap(), v})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(db.ranges) == 0 {
		return nil, fmt.Errorf("%s: no ranges", name)
	}
	slices.SortFunc(db.ranges, func(a, b ipRange) int { return a.start.Compare(b.start) })
	return db, nil
}

// ParseIPDBBytes is ParseIPDB over a file's bytes.
func ParseIPDBBytes(name string, b []byte, asn bool) (*IPDB, error) {
	return ParseIPDB(name, bytes.NewReader(b), asn)
}

// Lookup returns the value of the range holding ip ("" when none does).
func (db *IPDB) Lookup(ip string) string {
	if db == nil {
		return ""
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	a = a.Unmap()
	i, _ := slices.BinarySearchFunc(db.ranges, a, func(r ipRange, t netip.Addr) int { return r.start.Compare(t) })
	// i is the first range starting after a (or at it): check it and the one before.
	for _, j := range []int{i, i - 1} {
		if j >= 0 && j < len(db.ranges) {
			r := db.ranges[j]
			if !a.Less(r.start) && !r.end.Less(a) {
				return r.value
			}
		}
	}
	return ""
}

var (
	ruleNewCountry = rule("SEIRI-DETECT-NEW-COUNTRY", "Credential used from a country never seen for it", finding.Medium,
		"A credential was used from a country (by the offline IP database configured in detect.ip_country_db) it was never used from in its baseline.",
		"Confirm the travel or the new office with the credential's owner; if not explained, deactivate the credential and review what it did.",
		[]string{"UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B"}, []string{"T1078.004"})
	ruleNewASN = rule("SEIRI-DETECT-NEW-ASN", "Credential used from an autonomous system never seen for it", finding.Medium,
		"A credential was used from an autonomous system (by the offline IP database configured in detect.ip_asn_db) it was never used from in its baseline: a new provider, hosting company or VPN.",
		"Confirm the new provider with the credential's owner; a hosting or VPN provider on a person's key is what stolen keys look like.",
		nil, []string{"T1078.004"})
)

func init() {
	ruleNewCountry.Threshold = "MinHistory (detect.ip_country_db)"
	ruleNewASN.Threshold = "MinHistory (detect.ip_asn_db)"
	baselineRules = append(baselineRules, &ruleNewCountry, &ruleNewASN)
}

// UseIPDB gives the detector the offline country and ASN databases (either
// may be nil: its rule is then not evaluated).
func (d *Detector) UseIPDB(country, asn *IPDB) { d.country, d.asn = country, asn }

// geo judges a public address's country and ASN against the credential's
// profile, then learns them. The profile's geography is trusted only
// MinHistory after it began (GeoSince): a database configured today does
// not make every known credential's countries new.
func (d *Detector) geo(e *Event, p *Profile, public bool) {
	if !public || (d.country == nil && d.asn == nil) {
		return
	}
	if p.GeoSince.IsZero() || e.Time.Before(p.GeoSince) {
		p.GeoSince = e.Time
	}
	known := !p.GeoSince.After(e.Time.Add(-d.cfg.MinHistory))
	check := func(r *Rule, db *IPDB, set *map[string]bool, what string) {
		if db == nil || d.disabled[r.ID] {
			return
		}
		v := db.Lookup(e.SourceIP)
		if v == "" {
			d.stats.Undetermined[r.ID]++ // not in the database
			return
		}
		if *set == nil {
			*set = map[string]bool{}
		}
		if known && !(*set)[v] && len(*set) < maxNetworks {
			d.emitKey(r, e, credentialOf(e)+"|"+v, []finding.Evidence{
				{Name: "credential", Value: credentialOf(e)},
				{Name: "new " + what, Value: v + " (" + e.SourceIP + ")"},
				{Name: "known", Value: strings.Join(sortedKeys(*set), ", ")},
				{Name: "database", Value: db.Name}})
		}
		if len(*set) < maxNetworks {
			(*set)[v] = true
		}
	}
	check(&ruleNewCountry, d.country, &p.Countries, "country")
	check(&ruleNewASN, d.asn, &p.ASNs, "autonomous system")
}
