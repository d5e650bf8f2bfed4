// Package roles suggests replacing long-term access keys with roles: an
// instance profile, ECS task role, EKS Pod Identity / IRSA or Lambda execution
// role for keys used from AWS compute, a cross-account monitoring role for
// metrics-only keys, OIDC federation for CI systems, IAM Identity Center for
// people — each with its evidence and ready, validated policy documents.
package roles

import (
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/seiri-dev/seiri/internal/workspace"
)

// DefaultIPRangesURL is where AWS publishes its address ranges (AWS General
// Reference, "AWS IP address ranges").
const DefaultIPRangesURL = "https://ip-ranges.amazonaws.com/ip-ranges.json"

// IPRangesCacheFile is where `seiri roles update-ip-ranges` stores the
// refreshed list, relative to the workspace cache folder.
const IPRangesCacheFile = "ip-ranges/ip-ranges.json.gz"

// embeddedRanges is a small representative subset of the published list (in
// its real format), NOT the full list: it makes the demo and tests work
// offline. `seiri roles update-ip-ranges` fetches the real one.
//
//go:embed data/ip-ranges.json.gz
var embeddedRanges []byte

// Ranges is AWS's published IP address ranges.
type Ranges struct {
	SyncToken  string
	CreateDate string
	Embedded   bool // the built-in subset
	entries    []rangeEntry
	// byPrefix indexes entries by their masked prefix; bits lists the prefix
	// lengths in use, so a lookup is one map probe per length (the published
	// list has thousands of prefixes but a few dozen lengths).
	byPrefix map[netip.Prefix][]int
	bits4    []int
	bits6    []int
}

func (r *Ranges) index() {
	r.byPrefix = map[netip.Prefix][]int{}
	seen := map[[2]int]bool{}
	for i, e := range r.entries {
		r.byPrefix[e.prefix] = append(r.byPrefix[e.prefix], i)
		v := 6
		if e.prefix.Addr().Is4() {
			v = 4
		}
		k := [2]int{v, e.prefix.Bits()}
		if !seen[k] {
			seen[k] = true
			if v == 4 {
				r.bits4 = append(r.bits4, e.prefix.Bits())
			} else {
				r.bits6 = append(r.bits6, e.prefix.Bits())
			}
		}
	}
}

type rangeEntry struct {
	prefix  netip.Prefix
	region  string
	service string
}

// ipRangesFile is the published format
// (https://docs.aws.amazon.com/vpc/latest/userguide/aws-ip-syntax.html).
type ipRangesFile struct {
	SyncToken  string `json:"syncToken"`
	CreateDate string `json:"createDate"`
	Prefixes   []struct {
		IPPrefix string `json:"ip_prefix"`
		Region   string `json:"region"`
		Service  string `json:"service"`
	} `json:"prefixes"`
	IPv6Prefixes []struct {
		IPv6Prefix string `json:"ipv6_prefix"`
		Region     string `json:"region"`
		Service    string `json:"service"`
	} `json:"ipv6_prefixes"`
}

// ParseIPRanges reads the published JSON (plain or gzip). name labels
// errors. A malformed prefix is an error naming its position and value.
func ParseIPRanges(data []byte, name string) (*Ranges, error) {
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		b, err := io.ReadAll(io.LimitReader(zr, 256<<20))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		data = b
	}
	var f ipRangesFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: not the ip-ranges.json format: %w", name, err)
	}
	if f.SyncToken == "" && len(f.Prefixes) == 0 && len(f.IPv6Prefixes) == 0 {
		return nil, fmt.Errorf("%s: no syncToken and no prefixes: not the ip-ranges.json format", name)
	}
	r := &Ranges{SyncToken: f.SyncToken, CreateDate: f.CreateDate}
	for i, p := range f.Prefixes {
		pf, err := netip.ParsePrefix(p.IPPrefix)
		if err != nil || !pf.Addr().Is4() {
			return nil, fmt.Errorf("%s: prefixes[%d].ip_prefix %q is not an IPv4 prefix", name, i, trim(p.IPPrefix))
		}
		r.entries = append(r.entries, rangeEntry{pf.Masked(), p.Region, p.Service})
	}
	for i, p := range f.IPv6Prefixes {
		pf, err := netip.ParsePrefix(p.IPv6Prefix)
		if err != nil || !pf.Addr().Is6() {
			return nil, fmt.Errorf("%s: ipv6_prefixes[%d].ipv6_prefix %q is not an IPv6 prefix", name, i, trim(p.IPv6Prefix))
		}
		r.entries = append(r.entries, rangeEntry{pf.Masked(), p.Region, p.Service})
	}
	r.index()
	return r, nil
}

func trim(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// Len is the number of prefixes.
func (r *Ranges) Len() int { return len(r.entries) }

// Match is the AWS services and region an address belongs to.
type Match struct {
	Services []string // sorted: AMAZON, EC2, CODEBUILD...
	Region   string
}

// Compute reports whether the address belongs to a compute service's range
// (EC2 covers instances, ECS and EKS on EC2, Fargate and Lambda egress
// through public addresses; CodeBuild has its own).
func (m Match) Compute() bool {
	for _, s := range m.Services {
		if s == "EC2" || s == "CODEBUILD" {
			return true
		}
	}
	return false
}

// Lookup returns what the published ranges say about ip (ok false: not an
// AWS address, or not a valid address).
func (r *Ranges) Lookup(ip string) (Match, bool) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return Match{}, false
	}
	a = a.Unmap()
	var m Match
	seen := map[string]bool{}
	bits := r.bits6
	if a.Is4() {
		bits = r.bits4
	}
	var hits []int
	for _, b := range bits {
		pf, err := a.Prefix(b)
		if err == nil {
			hits = append(hits, r.byPrefix[pf]...)
		}
	}
	sort.Ints(hits) // file order, as a linear scan would see them
	for _, i := range hits {
		e := r.entries[i]
		if !seen[e.service] {
			seen[e.service] = true
			m.Services = append(m.Services, e.service)
		}
		if m.Region == "" || e.region != "GLOBAL" {
			m.Region = e.region
		}
	}
	sort.Strings(m.Services)
	return m, len(m.Services) > 0
}

// EmbeddedRanges returns the built-in subset.
func EmbeddedRanges() *Ranges {
	r, err := ParseIPRanges(embeddedRanges, "embedded ip-ranges")
	if err != nil {
		panic(fmt.Sprintf("roles: embedded ip ranges: %v", err)) // a build defect
	}
	r.Embedded = true
	return r
}

// LoadRanges returns the cached list in cacheDir when present, else the
// embedded subset. A damaged cache returns the embedded subset and an error
// for a warning.
func LoadRanges(cacheDir string) (*Ranges, error) {
	if cacheDir == "" {
		return EmbeddedRanges(), nil
	}
	path := filepath.Join(cacheDir, filepath.FromSlash(IPRangesCacheFile))
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return EmbeddedRanges(), nil
	}
	if err != nil {
		return EmbeddedRanges(), err
	}
	r, err := ParseIPRanges(b, path)
	if err != nil {
		return EmbeddedRanges(), fmt.Errorf("%w (run `seiri roles update-ip-ranges` again)", err)
	}
	return r, nil
}

// UpdateRanges downloads the list from url, checks it parses, and stores it
// gzipped (0600) in cacheDir. It returns the new list and its path.
func UpdateRanges(ctx context.Context, client *http.Client, url, cacheDir string) (*Ranges, string, error) {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("download %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("download %s: HTTP %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, "", fmt.Errorf("download %s: %w", url, err)
	}
	r, err := ParseIPRanges(body, url)
	if err != nil {
		return nil, "", err
	}
	if !strings.HasPrefix(string(body[:min(2, len(body))]), "\x1f\x8b") {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		body = buf.Bytes()
	}
	path := filepath.Join(cacheDir, filepath.FromSlash(IPRangesCacheFile))
	if err := workspace.WriteFile(path, body); err != nil {
		return nil, "", err
	}
	return r, path, nil
}
