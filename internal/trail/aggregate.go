package trail

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/usage"
)

// Skip reasons for records (Summary.SkippedRecords keys).
const (
	SkipNotObject      = "record is not an object"
	SkipMissingFields  = "record missing eventTime/eventSource/eventName"
	SkipBadTime        = "record has an unreadable eventTime"
	SkipVersion        = "unknown eventVersion"
	SkipNoIdentity     = "record has no userIdentity"
	SkipOutsideWindow  = "record outside --since/--until" // counted, not an error
	SkipOutsideFilters = "record outside --accounts/--regions"
)

// Filter limits what a scan reads. Zero fields do not filter.
type Filter struct {
	Since, Until time.Time // [Since, Until)
	Accounts     []string
	Regions      []string
}

func (f *Filter) account(a string) bool {
	return len(f.Accounts) == 0 || slices.Contains(f.Accounts, a)
}
func (f *Filter) region(r string) bool { return len(f.Regions) == 0 || slices.Contains(f.Regions, r) }

// DeliverySlack is how long after an event seiri assumes CloudTrail may
// deliver it. Folders and file names carry the delivery time, not the event
// time: a file delivered at 00:05 holds events of the day before. Files
// delivered up to this long after --until are still read (CloudTrail User
// Guide, "How CloudTrail works": events are delivered about every 5 minutes,
// usually within 15).
const DeliverySlack = time.Hour

// deliveredIn reports whether files delivered in [from, to) can hold events
// inside the window: every event of such a file happened before it was
// delivered (< to) and, within DeliverySlack, not long before from.
func (f *Filter) deliveredIn(from, to time.Time) bool {
	if !f.Since.IsZero() && !to.After(f.Since) {
		return false
	}
	if !f.Until.IsZero() && !from.Add(-DeliverySlack).Before(f.Until) {
		return false
	}
	return true
}

// day reports whether the delivery folder of UTC day d can hold events in the window.
func (f *Filter) day(d time.Time) bool { return f.deliveredIn(d, d.Add(24*time.Hour)) }

// PathAllowed reports whether a delivery path can hold records inside the
// filter. Paths outside the layout are allowed (they are read and filtered
// record by record).
func (f *Filter) PathAllowed(pi PathInfo) bool {
	if !pi.OK {
		return true
	}
	if !f.account(pi.Account) || !f.region(pi.Region) || !f.day(pi.Date) {
		return false
	}
	if !pi.Delivered.IsZero() {
		// The name's minute: the file holds events up to that minute's end.
		return f.deliveredIn(pi.Delivered, pi.Delivered.Add(time.Minute))
	}
	return true
}

type pairKey struct{ source, name string }

type cachedMapping struct {
	Mapping
	prefix string
}

type unmappedAcc struct{ count, first, last int64 }

type acc struct {
	first, last int64
	count       int64
	authz       bool
	ipc         []string
	ips         []string
	uas         []string
	vpce        []string
	sess        []string
	sid         []string
}

// aggregator folds records into usage rows. One per worker; merged at the end.
type aggregator struct {
	mapper   *Mapper
	filter   *Filter
	intern   map[string]string
	rows     map[usage.Key]*acc
	unmapped map[pairKey]*unmappedAcc
	sessions map[[2]string]*usage.SessionKey
	// sessUse: the temporary (ASIA) keys each principal used, per day; the
	// keys stay out of the usage rows' key (see usage.SessionUse).
	sessUse map[usage.SessionUseKey]map[string]struct{}
	maps    map[pairKey]cachedMapping
	buf     []byte
	uses    []RequestUse

	records, mapped, notAuthz, unmappedN int64
	outside                              int64
	decompressed                         int64
}

func newAggregator(m *Mapper, f *Filter) *aggregator {
	return &aggregator{
		mapper: m, filter: f,
		intern:   make(map[string]string, 1024),
		rows:     make(map[usage.Key]*acc, 1024),
		unmapped: make(map[pairKey]*unmappedAcc),
		sessions: make(map[[2]string]*usage.SessionKey),
		sessUse:  make(map[usage.SessionUseKey]map[string]struct{}),
		maps:     make(map[pairKey]cachedMapping),
	}
}

// str interns b: map lookups with string(b) do not allocate, so a value seen
// before costs no allocation.
func (a *aggregator) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := a.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	a.intern[s] = s
	return s
}

// addSample adds b to a sorted bounded set, keeping the smallest values so
// that the sample does not depend on the order records were read in.
func (a *aggregator) addSample(set []string, b []byte, max int) []string {
	if len(b) == 0 {
		return set
	}
	if len(b) > 256 {
		b = b[:256] // user agents can be long; the fingerprint needs the start
	}
	for _, s := range set {
		if s == string(b) {
			return set
		}
	}
	if max > 0 && len(set) >= max && string(b) > set[len(set)-1] {
		return set
	}
	s := a.str(b)
	i, _ := slices.BinarySearch(set, s)
	set = slices.Insert(set, i, s)
	if max > 0 && len(set) > max {
		set = set[:max]
	}
	return set
}

// add folds one record; it returns a skip reason or "".
func (a *aggregator) add(r *Record, pathAccount string) string {
	a.records++
	if len(r.EventTime) == 0 || len(r.EventSource) == 0 || len(r.EventName) == 0 {
		return SkipMissingFields
	}
	if !knownEventVersion(r.EventVersion) {
		return SkipVersion
	}
	t, ok := parseEventTime(r.EventTime)
	if !ok {
		return SkipBadTime
	}
	if !r.HasIdentity {
		return SkipNoIdentity
	}
	f := a.filter
	if f != nil {
		if (!f.Since.IsZero() && t < f.Since.Unix()) || (!f.Until.IsZero() && t >= f.Until.Unix()) {
			a.outside++
			return ""
		}
	}
	account := r.RecipientAccount
	if len(account) == 0 {
		if pathAccount != "" {
			account = []byte(pathAccount)
		} else {
			account = r.Identity.AccountID
		}
	}
	if f != nil && (len(f.Accounts) > 0 || len(f.Regions) > 0) {
		if !f.account(string(account)) || (len(r.AWSRegion) > 0 && !f.region(string(r.AWSRegion))) {
			a.outside++
			return ""
		}
	}

	pk := pairKey{a.str(r.EventSource), a.str(r.EventName)}
	// eventType changes the decision only for the not-authorization types;
	// the cache holds the mapping of the ordinary AwsApiCall.
	special := len(r.EventType) > 0 && string(r.EventType) != "AwsApiCall" && notAuthzTypes[string(r.EventType)]
	cm, ok := a.maps[pk]
	if !ok {
		cm = cachedMapping{Mapping: a.mapper.Map(pk.source, pk.name, ""), prefix: ServicePrefix(pk.source)}
		a.maps[pk] = cm
	}
	m, prefix := cm.Mapping, cm.prefix
	if special && m.Kind != NotAuthz {
		m = a.mapper.Map(pk.source, pk.name, string(r.EventType))
	}
	a.uses = a.uses[:0]
	if m.Dynamic {
		a.uses, a.buf = requestUses(a.uses, m.Request, prefix, r, account, a.buf[:0], a.str)
		if len(a.uses) == 0 {
			m = Mapping{Kind: Unmapped}
		}
	}
	if m.Kind == Unmapped {
		a.unmappedN++
		u := a.unmapped[pk]
		if u == nil {
			u = &unmappedAcc{first: t, last: t}
			a.unmapped[pk] = u
		}
		u.count++
		u.first = min(u.first, t)
		u.last = max(u.last, t)
		return ""
	}
	if m.Kind == NotAuthz {
		a.notAuthz++
	} else {
		a.mapped++
	}

	part := partition(r.AWSRegion)
	a.buf = a.buf[:0]
	pARN, ptype, session, buf := principalOf(a.buf, r, part)
	a.buf = buf
	principalS := a.str(pARN)
	if principalS == "" {
		principalS = "unknown"
	}
	accountS := a.str(account)
	akid := a.str(r.Identity.AccessKeyID)
	errc := a.str(r.ErrorCode)
	class, svc := ipClass(r.SourceIP)

	if len(r.RespAccessKeyID) > 0 && prefix == "sts" && len(r.ErrorCode) == 0 {
		a.addSessionKey(r, principalS, akid, t)
	}

	if !m.Dynamic {
		var primary string
		primaryDone := false
		for _, use := range m.Actions {
			var res string
			switch use.From {
			case ResPrimary, ResBucketObjects:
				if !primaryDone {
					start := len(a.buf)
					a.buf = primaryResource(a.buf, prefix, r, account)
					primary = a.str(a.buf[start:])
					primaryDone = true
				}
				res = primary
				if use.From == ResBucketObjects && res != "" && !strings.Contains(res[strings.Index(res, ":::")+1:], "/") {
					res = a.str(append(append(a.buf[len(a.buf):], res...), "/*"...))
				}
			case ResCopySource:
				start := len(a.buf)
				a.buf = copySourceResource(a.buf, r)
				res = a.str(a.buf[start:])
			case ResKMSSource, ResKMSDest:
				k := r.Req.SourceKeyID
				if use.From == ResKMSDest {
					k = r.Req.DestinationKeyID
				}
				start := len(a.buf)
				if len(k) > 0 {
					a.buf = kmsKeyARN(a.buf, r, k, account)
				} else {
					a.buf = primaryResource(a.buf, prefix, r, account)
				}
				res = a.str(a.buf[start:])
			}
			a.uses = append(a.uses, RequestUse{Action: use.Action, Resource: res})
		}
	}
	if usage.IsSessionKey(akid) {
		// A temporary key changes with every session: keyed by it, rows
		// would grow with time instead of merging (docs/bench-trail.md).
		// The principal's row holds the calls; the key is kept per day.
		a.addSessionUse(accountS, principalS, t, akid)
		akid = ""
	}
	for _, use := range a.uses {
		res := use.Resource
		k := usage.Key{Account: accountS, Principal: principalS, PrincipalType: ptype, AccessKeyID: akid,
			Action: use.Action, Resource: res, ErrorCode: errc, Region: a.str(r.AWSRegion)}
		v := a.rows[k]
		if v == nil {
			v = &acc{first: t, last: t}
			a.rows[k] = v
		}
		v.count++
		v.first = min(v.first, t)
		v.last = max(v.last, t)
		v.authz = m.Kind == Mapped
		if class != "" {
			cl := class
			if svc != nil {
				start := len(a.buf)
				a.buf = append(append(a.buf, IPServicePfx...), svc...)
				cl = a.str(a.buf[start:])
			}
			if !slices.Contains(v.ipc, cl) {
				v.ipc = append(v.ipc, cl)
				slices.Sort(v.ipc)
			}
		}
		v.ips = a.addSample(v.ips, r.SourceIP, usage.MaxSamples)
		v.uas = a.addSample(v.uas, r.UserAgent, usage.MaxSamples)
		v.vpce = a.addSample(v.vpce, r.VPCEndpointID, usage.MaxSamples)
		v.sess = a.addSample(v.sess, session, usage.MaxSamples)
		v.sid = a.addSample(v.sid, r.Identity.SourceIdentity, usage.MaxSamples)
	}
	return ""
}

// addSessionKey records the session key an STS call returned.
func (a *aggregator) addSessionKey(r *Record, principal, issuerKey string, t int64) {
	sk := string(r.RespAccessKeyID)
	k := [2]string{sk, issuerKey}
	if v := a.sessions[k]; v != nil {
		if t < v.IssuedAt.Unix() {
			v.IssuedAt = time.Unix(t, 0).UTC()
		}
		return
	}
	a.sessions[k] = &usage.SessionKey{SessionKey: sk, IssuerKey: issuerKey, IssuerPrincipal: principal,
		Action: "sts:" + string(r.EventName), Role: string(r.Req.RoleARN), IssuedAt: time.Unix(t, 0).UTC()}
}

// addSessionUse records that principal used session key k on t's day.
func (a *aggregator) addSessionUse(account, principal string, t int64, k string) {
	uk := usage.SessionUseKey{Account: account, Principal: principal, Day: time.Unix(t, 0).UTC().Format(time.DateOnly)}
	set := a.sessUse[uk]
	if set == nil {
		set = map[string]struct{}{}
		a.sessUse[uk] = set
	}
	set[k] = struct{}{}
}

// SessionUses returns the session keys used per principal and day, sorted.
func (a *aggregator) SessionUses() []usage.SessionUse {
	out := make([]usage.SessionUse, 0, len(a.sessUse))
	for k, set := range a.sessUse {
		keys := slices.Sorted(maps.Keys(set))
		out = append(out, usage.SessionUse{SessionUseKey: k, Keys: keys})
	}
	slices.SortFunc(out, func(x, y usage.SessionUse) int { return x.SessionUseKey.Compare(y.SessionUseKey) })
	return out
}

// SessionKeys returns the recorded session keys, sorted.
func (a *aggregator) SessionKeys() []usage.SessionKey {
	out := make([]usage.SessionKey, 0, len(a.sessions))
	for _, v := range a.sessions {
		out = append(out, *v)
	}
	slices.SortFunc(out, func(x, y usage.SessionKey) int {
		if c := strings.Compare(x.SessionKey, y.SessionKey); c != 0 {
			return c
		}
		return strings.Compare(x.IssuerKey, y.IssuerKey)
	})
	return out
}

// merge folds o into a (o is dropped afterwards).
func (a *aggregator) merge(o *aggregator) {
	for k, v := range o.rows {
		w := a.rows[k]
		if w == nil {
			a.rows[k] = v
			continue
		}
		w.count += v.count
		w.first = min(w.first, v.first)
		w.last = max(w.last, v.last)
		w.authz = w.authz || v.authz
		w.ipc = usage.MergeSet(w.ipc, v.ipc, 0)
		w.ips = usage.MergeSet(w.ips, v.ips, usage.MaxSamples)
		w.uas = usage.MergeSet(w.uas, v.uas, usage.MaxSamples)
		w.vpce = usage.MergeSet(w.vpce, v.vpce, usage.MaxSamples)
		w.sess = usage.MergeSet(w.sess, v.sess, usage.MaxSamples)
		w.sid = usage.MergeSet(w.sid, v.sid, usage.MaxSamples)
	}
	for k, v := range o.sessions {
		if w := a.sessions[k]; w == nil || v.IssuedAt.Before(w.IssuedAt) {
			a.sessions[k] = v
		}
	}
	for k, set := range o.sessUse {
		w := a.sessUse[k]
		if w == nil {
			a.sessUse[k] = set
			continue
		}
		for key := range set {
			w[key] = struct{}{}
		}
	}
	for k, v := range o.unmapped {
		w := a.unmapped[k]
		if w == nil {
			a.unmapped[k] = v
			continue
		}
		w.count += v.count
		w.first = min(w.first, v.first)
		w.last = max(w.last, v.last)
	}
	a.records += o.records
	a.mapped += o.mapped
	a.notAuthz += o.notAuthz
	a.unmappedN += o.unmappedN
	a.outside += o.outside
}

// entries is what the aggregation holds: rows, session keys, session uses.
func (a *aggregator) entries() int { return len(a.rows) + len(a.sessions) + len(a.sessUse) }

// take hands over the rows, session keys and session uses aggregated so far
// and starts afresh (the record counts stay: they are the scan's).
func (a *aggregator) take() Part {
	p := Part{Rows: a.Rows(), SessionKeys: a.SessionKeys(), SessionUses: a.SessionUses()}
	clear(a.rows)
	clear(a.sessions)
	clear(a.sessUse)
	clear(a.intern)
	return p
}

// Rows returns the aggregated rows, sorted by key.
func (a *aggregator) Rows() []usage.Row {
	out := make([]usage.Row, 0, len(a.rows))
	for k, v := range a.rows {
		out = append(out, usage.Row{
			Key:       k,
			FirstSeen: time.Unix(v.first, 0).UTC(), LastSeen: time.Unix(v.last, 0).UTC(),
			Count: v.count, Authz: v.authz,
			IPClasses: v.ipc, SourceIPs: v.ips, UserAgents: v.uas, VPCEndpoints: v.vpce,
			Sessions: v.sess, SourceIdentities: v.sid,
		})
	}
	slices.SortFunc(out, func(x, y usage.Row) int { return x.Key.Compare(y.Key) })
	return out
}

// Unmapped returns the unmapped pairs, most frequent first.
func (a *aggregator) Unmapped() []usage.UnmappedPair {
	out := make([]usage.UnmappedPair, 0, len(a.unmapped))
	for k, v := range a.unmapped {
		out = append(out, usage.UnmappedPair{EventSource: k.source, EventName: k.name, Count: v.count,
			FirstSeen: time.Unix(v.first, 0).UTC(), LastSeen: time.Unix(v.last, 0).UTC()})
	}
	slices.SortFunc(out, func(x, y usage.UnmappedPair) int {
		if c := cmp.Compare(y.Count, x.Count); c != 0 {
			return c
		}
		if c := strings.Compare(x.EventSource, y.EventSource); c != 0 {
			return c
		}
		return strings.Compare(x.EventName, y.EventName)
	})
	return out
}
