package trail

import (
	"cmp"
	"encoding/binary"
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

// cachedMapping is the mapping of one (eventSource, eventName) for an
// ordinary AwsApiCall, with the ids of its actions.
type cachedMapping struct {
	Mapping
	prefix       string
	source, name string
	actions      []uint32 // ids of Mapping.Actions' actions (static mappings)
}

type unmappedAcc struct{ count, first, last int64 }

// strTab interns strings: every distinct value gets an id, "" is 0. The
// aggregation keys and samples are ids, so a record whose values were seen
// before allocates nothing, a key is 32 bytes to hash, and a row holds no
// pointers for the collector to follow.
type strTab struct {
	ids  map[string]uint32
	strs []string
}

func newStrTab() *strTab { return &strTab{ids: make(map[string]uint32, 1024), strs: []string{""}} }

// id interns b (map lookups with string(b) do not allocate).
func (t *strTab) id(b []byte) uint32 {
	if len(b) == 0 {
		return 0
	}
	if id, ok := t.ids[string(b)]; ok {
		return id
	}
	return t.add(string(b))
}

// idOf interns s.
func (t *strTab) idOf(s string) uint32 {
	if s == "" {
		return 0
	}
	if id, ok := t.ids[s]; ok {
		return id
	}
	return t.add(s)
}

func (t *strTab) add(s string) uint32 {
	id := uint32(len(t.strs))
	t.strs = append(t.strs, s)
	t.ids[s] = id
	return id
}

// str interns b and returns the kept string.
func (t *strTab) str(b []byte) string { return t.strs[t.id(b)] }

// memo remembers the last value of one field and its id: consecutive
// records of a file mostly share their account, region, principal and key,
// and comparing bytes is cheaper than hashing them into the table.
type memo struct {
	s  string
	id uint32
}

// memoID interns b through m.
func (t *strTab) memoID(m *memo, b []byte) uint32 {
	if len(b) == 0 {
		return 0
	}
	if string(b) == m.s {
		return m.id
	}
	id := t.id(b)
	m.s, m.id = t.strs[id], id
	return id
}

// rowKey is usage.Key in ids of the aggregator's strTab.
type rowKey struct {
	account, principal, ptype, akid, action, resource, errc, region uint32
}

// samples is a bounded sorted sample set (usage.MaxSamples smallest values,
// by their strings), in ids.
type samples struct {
	v [usage.MaxSamples]uint32
	n uint8
}

// acc is one usage row being aggregated. It holds no pointers.
type acc struct {
	first, last, count int64
	authz              bool
	ipc                uint32 // the set of IP classes: an id of aggregator.sets
	ips, uas, vpce     samples
	sess, sid          samples
}

// accChunk rows are kept in chunks: growing never copies (nor doubles) them.
const accChunk = 4096

type sessKey struct{ key, issuer uint32 }

type sessAcc struct {
	issued                  int64
	principal, action, role uint32
}

// sessUseKey is usage.SessionUseKey in ids, the day as days since 1970.
type sessUseKey struct {
	account, principal uint32
	day                int64
}

// aggregator folds records into usage rows. One per worker; merged at the end.
type aggregator struct {
	mapper   *Mapper
	filter   *Filter
	tab      *strTab
	rows     map[rowKey]uint32 // → index in accs
	accs     [][]acc
	nacc     int
	unmapped map[pairKey]*unmappedAcc
	sessions map[sessKey]sessAcc
	// sessUse: the temporary (ASIA) keys each principal used, per day; the
	// keys stay out of the usage rows' key (see usage.SessionUse).
	sessUse map[sessUseKey]map[uint32]struct{}
	maps    map[string]*cachedMapping // eventSource + "\x00" + eventName
	// sets are the IP class sets rows hold (0: the empty set), each sorted
	// by its strings; setIDs finds a set by its ids, setAdd caches set + class.
	sets    [][]uint32
	setIDs  map[string]uint32
	setAdd  map[[2]uint32]uint32
	cls     [4]uint32 // ids of IPAWSInternal, IPPrivate, IPPublic, IPv6
	unknown uint32    // id of "unknown"
	// The last values of the fields that repeat from record to record (see
	// memo), the last row and the last session use.
	mAccount, mRegion, mPrincipal, mKey, mType memo
	lastKey                                    rowKey
	lastRow                                    uint32
	hasLast                                    bool
	lastUse                                    sessUseKey
	lastUseKey                                 uint32
	buf                                        []byte
	uses                                       []RequestUse
	ids                                        []rowUse

	records, mapped, notAuthz, unmappedN int64
	outside                              int64
	// edge are records outside the filter counted with their file (see
	// fileReader.scan); fileIn and fileOut the records of the file being
	// read inside and outside the filter. With invert, add folds only the
	// records outside the filter (the second reading of such a file).
	edge            int64
	fileIn, fileOut int64
	invert          bool
	decompressed    int64
}

type rowUse struct{ action, resource uint32 }

func newAggregator(m *Mapper, f *Filter) *aggregator {
	a := &aggregator{
		mapper: m, filter: f,
		unmapped: make(map[pairKey]*unmappedAcc),
		maps:     make(map[string]*cachedMapping),
	}
	a.reset(newStrTab())
	return a
}

// reset empties the rows, session keys and uses, with tab as the string
// table (the record counts and unmapped pairs stay).
func (a *aggregator) reset(tab *strTab) {
	a.tab = tab
	a.rows = make(map[rowKey]uint32, 1024)
	a.accs, a.nacc = nil, 0
	a.sessions = make(map[sessKey]sessAcc)
	a.sessUse = make(map[sessUseKey]map[uint32]struct{})
	a.sets = [][]uint32{nil}
	a.setIDs = map[string]uint32{"": 0}
	a.setAdd = make(map[[2]uint32]uint32)
	a.cls = [4]uint32{tab.idOf(IPAWSInternal), tab.idOf(IPPrivate), tab.idOf(IPPublic), tab.idOf(IPv6)}
	a.unknown = tab.idOf("unknown")
	// The cached mappings keep their actions, as ids of the new table
	// (mapping an event again costs more than interning a few strings).
	for _, cm := range a.maps {
		for j, u := range cm.Actions {
			cm.actions[j] = tab.idOf(u.Action)
		}
	}
	a.mAccount, a.mRegion, a.mPrincipal, a.mKey, a.mType = memo{}, memo{}, memo{}, memo{}, memo{}
	a.hasLast, a.lastUseKey = false, 0
}

// clearRows empties the rows, session keys and uses, keeping the string
// table and the rows' memory for reuse.
func (a *aggregator) clearRows() {
	clear(a.rows)
	a.nacc = 0
	clear(a.sessions)
	clear(a.sessUse)
	a.hasLast, a.lastUseKey = false, 0
}

// acc returns row i.
func (a *aggregator) acc(i uint32) *acc { return &a.accs[i/accChunk][i%accChunk] }

// newAcc appends a row.
func (a *aggregator) newAcc(t int64) uint32 {
	i := a.nacc
	if i/accChunk == len(a.accs) {
		a.accs = append(a.accs, make([]acc, accChunk))
	}
	a.nacc++
	a.accs[i/accChunk][i%accChunk] = acc{first: t, last: t}
	return uint32(i)
}

// mapping returns the cached mapping of (source, name).
func (a *aggregator) mapping(source, name []byte) *cachedMapping {
	k := append(append(append(a.buf[:0], source...), 0), name...)
	a.buf = k
	if cm, ok := a.maps[string(k)]; ok {
		return cm
	}
	src, nm := string(source), string(name)
	cm := &cachedMapping{Mapping: a.mapper.Map(src, nm, ""), prefix: ServicePrefix(src), source: src, name: nm}
	for _, u := range cm.Actions {
		cm.actions = append(cm.actions, a.tab.idOf(u.Action))
	}
	a.maps[string(k)] = cm
	return cm
}

// addSample adds b to a sorted bounded set, keeping the smallest values so
// that the sample does not depend on the order records were read in.
func (a *aggregator) addSample(s *samples, b []byte) {
	if len(b) == 0 {
		return
	}
	if len(b) > 256 {
		b = b[:256] // user agents can be long; the fingerprint needs the start
	}
	strs := a.tab.strs
	n := int(s.n)
	if n == usage.MaxSamples && string(b) > strs[s.v[n-1]] {
		return // beyond the kept values (and so none of them)
	}
	for _, id := range s.v[:n] {
		if strs[id] == string(b) {
			return
		}
	}
	a.insertSample(s, a.tab.id(b))
}

// insertSample inserts id (not in s) in order, dropping the largest value
// beyond the bound.
func (a *aggregator) insertSample(s *samples, id uint32) {
	strs := a.tab.strs
	v := strs[id]
	n := int(s.n)
	i := 0
	for i < n && strs[s.v[i]] < v {
		i++
	}
	if i == usage.MaxSamples {
		return
	}
	if n < usage.MaxSamples {
		n++
	}
	copy(s.v[i+1:n], s.v[i:n-1])
	s.v[i] = id
	s.n = uint8(n)
}

// mergeSamples adds o's values (ids of a's table once translated by tr).
func (a *aggregator) mergeSamples(s *samples, o samples, tr []uint32) {
	for _, id := range o.v[:o.n] {
		if tr != nil {
			id = tr[id]
		}
		if !slices.Contains(s.v[:s.n], id) {
			a.insertSample(s, id)
		}
	}
}

// list returns the samples' strings (nil when empty) in out's spare room.
func (a *aggregator) list(out *[]string, ids []uint32) []string {
	if len(ids) == 0 {
		return nil
	}
	start := len(*out)
	for _, id := range ids {
		*out = append(*out, a.tab.strs[id])
	}
	return (*out)[start:len(*out):len(*out)]
}

// addClass returns set with class c added.
func (a *aggregator) addClass(set, c uint32) uint32 {
	if slices.Contains(a.sets[set], c) {
		return set
	}
	k := [2]uint32{set, c}
	if to, ok := a.setAdd[k]; ok {
		return to
	}
	strs := a.tab.strs
	old := a.sets[set]
	i := 0
	for i < len(old) && strs[old[i]] < strs[c] {
		i++
	}
	ns := slices.Insert(slices.Clone(old), i, c)
	key := make([]byte, 0, 4*len(ns))
	for _, id := range ns {
		key = binary.LittleEndian.AppendUint32(key, id)
	}
	to, ok := a.setIDs[string(key)]
	if !ok {
		to = uint32(len(a.sets))
		a.sets = append(a.sets, ns)
		a.setIDs[string(key)] = to
	}
	a.setAdd[k] = to
	return to
}

// classID is the id of an IP class (see ipClass).
func (a *aggregator) classID(class string, svc []byte) uint32 {
	switch class {
	case IPAWSInternal:
		return a.cls[0]
	case IPPrivate:
		return a.cls[1]
	case IPPublic:
		return a.cls[2]
	case IPv6:
		return a.cls[3]
	}
	start := len(a.buf)
	a.buf = append(append(a.buf, class...), svc...)
	return a.tab.id(a.buf[start:])
}

// add folds one record; it returns a skip reason or "".
func (a *aggregator) add(r *Record, pathAccount string) string {
	if !a.invert {
		a.records++
	}
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
	account := r.RecipientAccount
	if len(account) == 0 {
		if pathAccount != "" {
			account = []byte(pathAccount)
		} else {
			account = r.Identity.AccountID
		}
	}
	if f := a.filter; f != nil {
		out := (!f.Since.IsZero() && t < f.Since.Unix()) || (!f.Until.IsZero() && t >= f.Until.Unix()) ||
			(len(f.Accounts) > 0 || len(f.Regions) > 0) && (!f.account(string(account)) || (len(r.AWSRegion) > 0 && !f.region(string(r.AWSRegion))))
		switch {
		case a.invert && !out:
			return "" // counted by the first reading
		case a.invert:
		case out:
			a.outside++
			a.fileOut++
			return ""
		default:
			a.fileIn++
		}
	} else if a.invert {
		return ""
	}

	cm := a.mapping(r.EventSource, r.EventName)
	// eventType changes the decision only for the not-authorization types;
	// the cache holds the mapping of the ordinary AwsApiCall.
	special := len(r.EventType) > 0 && string(r.EventType) != "AwsApiCall" && notAuthzTypes[string(r.EventType)]
	m, prefix := cm.Mapping, cm.prefix
	cached := true
	if special && m.Kind != NotAuthz {
		m = a.mapper.Map(cm.source, cm.name, string(r.EventType))
		cached = false
	}
	a.uses = a.uses[:0]
	if m.Dynamic {
		a.uses, a.buf = requestUses(a.uses, m.Request, prefix, r, account, a.buf[:0], a.tab.str)
		if len(a.uses) == 0 {
			m = Mapping{Kind: Unmapped}
		}
	}
	if m.Kind == Unmapped {
		a.unmappedN++
		pk := pairKey{cm.source, cm.name}
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

	tab := a.tab
	part := partition(r.AWSRegion)
	a.buf = a.buf[:0]
	pARN, ptype, session, buf := principalOf(a.buf, r, part)
	a.buf = buf
	principal := tab.memoID(&a.mPrincipal, pARN)
	if principal == 0 {
		principal = a.unknown
	}
	accountID := tab.memoID(&a.mAccount, account)
	akid := tab.memoID(&a.mKey, r.Identity.AccessKeyID)
	errc := tab.id(r.ErrorCode)
	region := tab.memoID(&a.mRegion, r.AWSRegion)
	ptypeID := a.typeID(ptype)
	class, svc := ipClass(r.SourceIP)
	var cls uint32
	if class != "" {
		cls = a.classID(class, svc)
	}

	if len(r.RespAccessKeyID) > 0 && prefix == "sts" && len(r.ErrorCode) == 0 {
		a.addSessionKey(r, principal, akid, t)
	}

	ids := a.ids[:0]
	if m.Dynamic {
		for _, u := range a.uses {
			ids = append(ids, rowUse{tab.idOf(u.Action), tab.idOf(u.Resource)})
		}
	} else {
		var primary uint32
		primaryDone := false
		for i, use := range m.Actions {
			var res uint32
			switch use.From {
			case ResPrimary, ResBucketObjects:
				if !primaryDone {
					start := len(a.buf)
					a.buf = primaryResource(a.buf, prefix, r, account)
					primary = tab.id(a.buf[start:])
					primaryDone = true
				}
				res = primary
				if use.From == ResBucketObjects && res != 0 {
					if rs := tab.strs[res]; !strings.Contains(rs[strings.Index(rs, ":::")+1:], "/") {
						res = tab.id(append(append(a.buf[len(a.buf):], rs...), "/*"...))
					}
				}
			case ResCopySource:
				start := len(a.buf)
				a.buf = copySourceResource(a.buf, r)
				res = tab.id(a.buf[start:])
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
				res = tab.id(a.buf[start:])
			}
			act := uint32(0)
			if cached {
				act = cm.actions[i]
			} else {
				act = tab.idOf(use.Action)
			}
			ids = append(ids, rowUse{act, res})
		}
	}
	a.ids = ids
	if usage.IsSessionKey(tab.strs[akid]) {
		// A temporary key changes with every session: keyed by it, rows
		// would grow with time instead of merging (docs/bench-trail.md).
		// The principal's row holds the calls; the key is kept per day.
		a.addSessionUse(accountID, principal, t, akid)
		akid = 0
	}
	for _, use := range ids {
		k := rowKey{account: accountID, principal: principal, ptype: ptypeID, akid: akid,
			action: use.action, resource: use.resource, errc: errc, region: region}
		i := a.lastRow
		if !a.hasLast || k != a.lastKey {
			var ok bool
			if i, ok = a.rows[k]; !ok {
				i = a.newAcc(t)
				a.rows[k] = i
			}
			a.lastKey, a.lastRow, a.hasLast = k, i, true
		}
		v := a.acc(i)
		v.count++
		v.first = min(v.first, t)
		v.last = max(v.last, t)
		v.authz = v.authz || m.Kind == Mapped
		if cls != 0 {
			v.ipc = a.addClass(v.ipc, cls)
		}
		a.addSample(&v.ips, r.SourceIP)
		a.addSample(&v.uas, r.UserAgent)
		a.addSample(&v.vpce, r.VPCEndpointID)
		a.addSample(&v.sess, session)
		a.addSample(&v.sid, r.Identity.SourceIdentity)
	}
	return ""
}

// addSessionKey records the session key an STS call returned.
func (a *aggregator) addSessionKey(r *Record, principal, issuerKey uint32, t int64) {
	k := sessKey{a.tab.id(r.RespAccessKeyID), issuerKey}
	if v, ok := a.sessions[k]; ok {
		if t < v.issued {
			v.issued = t
			a.sessions[k] = v
		}
		return
	}
	start := len(a.buf)
	a.buf = append(append(a.buf, "sts:"...), r.EventName...)
	action := a.tab.id(a.buf[start:])
	a.sessions[k] = sessAcc{issued: t, principal: principal, action: action, role: a.tab.id(r.Req.RoleARN)}
}

// dayOf is the UTC day of Unix time t, in days since 1970-01-01.
func dayOf(t int64) int64 {
	d := t / 86400
	if t%86400 < 0 {
		d--
	}
	return d
}

// typeID is the id of a principal type.
func (a *aggregator) typeID(ptype string) uint32 {
	if ptype == a.mType.s && ptype != "" {
		return a.mType.id
	}
	id := a.tab.idOf(ptype)
	a.mType = memo{ptype, id}
	return id
}

// addSessionUse records that principal used session key k on t's day.
func (a *aggregator) addSessionUse(account, principal uint32, t int64, k uint32) {
	uk := sessUseKey{account: account, principal: principal, day: dayOf(t)}
	if k == a.lastUseKey && uk == a.lastUse {
		return
	}
	a.lastUse, a.lastUseKey = uk, k
	set := a.sessUse[uk]
	if set == nil {
		set = map[uint32]struct{}{}
		a.sessUse[uk] = set
	}
	set[k] = struct{}{}
}

// SessionUses returns the session keys used per principal and day, sorted.
func (a *aggregator) SessionUses() []usage.SessionUse {
	out := make([]usage.SessionUse, 0, len(a.sessUse))
	strs := a.tab.strs
	for k, set := range a.sessUse {
		keys := make([]string, 0, len(set))
		for id := range set {
			keys = append(keys, strs[id])
		}
		slices.Sort(keys)
		out = append(out, usage.SessionUse{SessionUseKey: usage.SessionUseKey{Account: strs[k.account], Principal: strs[k.principal],
			Day: time.Unix(k.day*86400, 0).UTC().Format(time.DateOnly)}, Keys: keys})
	}
	slices.SortFunc(out, func(x, y usage.SessionUse) int { return x.SessionUseKey.Compare(y.SessionUseKey) })
	return out
}

// SessionKeys returns the recorded session keys, sorted.
func (a *aggregator) SessionKeys() []usage.SessionKey {
	out := make([]usage.SessionKey, 0, len(a.sessions))
	strs := a.tab.strs
	for k, v := range a.sessions {
		out = append(out, usage.SessionKey{SessionKey: strs[k.key], IssuerKey: strs[k.issuer], IssuerPrincipal: strs[v.principal],
			Action: strs[v.action], Role: strs[v.role], IssuedAt: time.Unix(v.issued, 0).UTC()})
	}
	slices.SortFunc(out, func(x, y usage.SessionKey) int {
		if c := strings.Compare(x.SessionKey, y.SessionKey); c != 0 {
			return c
		}
		return strings.Compare(x.IssuerKey, y.IssuerKey)
	})
	return out
}

// merge folds o into a; o's values may be adopted (Folder reuses o).
func (a *aggregator) merge(o *aggregator) { a.mergeFrom(o, false) }

// absorb folds o into a and lets each of o's tables go once folded in (a
// grows while o shrinks): o is not used again.
func (a *aggregator) absorb(o *aggregator) { a.mergeFrom(o, true) }

func (a *aggregator) mergeFrom(o *aggregator, drop bool) {
	// o's ids in a's table (nil: the same table).
	var tr []uint32
	if o.tab != a.tab {
		tr = make([]uint32, len(o.tab.strs))
		for i, s := range o.tab.strs {
			tr[i] = a.tab.idOf(s)
		}
	}
	id := func(i uint32) uint32 {
		if tr == nil {
			return i
		}
		return tr[i]
	}
	// o's IP class sets in a's (each aggregator numbers its own sets).
	set := func(s uint32) uint32 {
		to := uint32(0)
		for _, c := range o.sets[s] {
			to = a.addClass(to, id(c))
		}
		return to
	}
	if drop {
		o.tab = nil // o's strings are a's through tr from here on
	}
	for k, oi := range o.rows {
		k = rowKey{id(k.account), id(k.principal), id(k.ptype), id(k.akid), id(k.action), id(k.resource), id(k.errc), id(k.region)}
		v := o.acc(oi)
		ai, ok := a.rows[k]
		if !ok {
			ai = a.newAcc(v.first)
			a.rows[k] = ai
		}
		w := a.acc(ai)
		if !ok {
			w.count, w.first, w.last, w.authz = v.count, v.first, v.last, v.authz
			w.ipc = set(v.ipc)
		} else {
			w.count += v.count
			w.first = min(w.first, v.first)
			w.last = max(w.last, v.last)
			w.authz = w.authz || v.authz
			for _, c := range o.sets[v.ipc] {
				w.ipc = a.addClass(w.ipc, id(c))
			}
		}
		a.mergeSamples(&w.ips, v.ips, tr)
		a.mergeSamples(&w.uas, v.uas, tr)
		a.mergeSamples(&w.vpce, v.vpce, tr)
		a.mergeSamples(&w.sess, v.sess, tr)
		a.mergeSamples(&w.sid, v.sid, tr)
	}
	if drop {
		o.rows, o.accs, o.sets, o.setIDs, o.setAdd = nil, nil, nil, nil, nil
	}
	for k, v := range o.sessions {
		k = sessKey{id(k.key), id(k.issuer)}
		if w, ok := a.sessions[k]; !ok || v.issued < w.issued {
			a.sessions[k] = sessAcc{issued: v.issued, principal: id(v.principal), action: id(v.action), role: id(v.role)}
		}
	}
	if drop {
		o.sessions = nil
	}
	for k, set := range o.sessUse {
		k = sessUseKey{id(k.account), id(k.principal), k.day}
		w := a.sessUse[k]
		if w == nil && tr == nil {
			a.sessUse[k] = set
			continue
		}
		if w == nil {
			w = make(map[uint32]struct{}, len(set))
			a.sessUse[k] = w
		}
		for key := range set {
			w[id(key)] = struct{}{}
		}
	}
	if drop {
		o.sessUse = nil
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
	a.edge += o.edge
}

// dropRows lets the rows go once Rows built them (the string table,
// session keys and uses stay).
func (a *aggregator) dropRows() {
	a.rows, a.accs, a.nacc, a.hasLast = nil, nil, 0, false
}

// handOff returns the rows, session keys and session uses aggregated so
// far as an aggregator of their own (with their string table: it is
// merged, never read on) and starts afresh; the record counts and the
// unmapped pairs stay, they are the scan's.
func (a *aggregator) handOff() *aggregator {
	p := &aggregator{mapper: a.mapper, filter: a.filter, tab: a.tab, rows: a.rows, accs: a.accs, nacc: a.nacc,
		unmapped: map[pairKey]*unmappedAcc{}, sessions: a.sessions, sessUse: a.sessUse,
		sets: a.sets, setIDs: a.setIDs, setAdd: a.setAdd, cls: a.cls, unknown: a.unknown}
	a.reset(newStrTab())
	return p
}

// Rows returns the aggregated rows, sorted by key (the order of rowSet).
func (a *aggregator) Rows() []usage.Row {
	set := a.rowSet()
	nsamples := 0
	for _, i := range set.idx {
		v := a.acc(i)
		nsamples += len(a.sets[v.ipc]) + int(v.ips.n) + int(v.uas.n) + int(v.vpce.n) + int(v.sess.n) + int(v.sid.n)
	}
	// Every row's samples share one array (cut to their length: an append
	// to one copies it).
	all := make([]string, 0, nsamples)
	out := make([]usage.Row, set.Len())
	for j := range out {
		v := a.acc(set.idx[j])
		out[j] = usage.Row{
			Key:       set.Key(j),
			FirstSeen: time.Unix(v.first, 0).UTC(), LastSeen: time.Unix(v.last, 0).UTC(),
			Count: v.count, Authz: v.authz,
			IPClasses: a.list(&all, a.sets[v.ipc]), SourceIPs: a.list(&all, v.ips.v[:v.ips.n]), UserAgents: a.list(&all, v.uas.v[:v.uas.n]),
			VPCEndpoints: a.list(&all, v.vpce.v[:v.vpce.n]), Sessions: a.list(&all, v.sess.v[:v.sess.n]),
			SourceIdentities: a.list(&all, v.sid.v[:v.sid.n]),
		}
	}
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
