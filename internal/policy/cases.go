package policy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/seiri-dev/seiri/internal/textenc"
)

// The case format is documented in shared/formats/policy-cases.md: one JSON
// object per line holding a request and every policy that applies to it.

// Case is one parsed simulation case.
type Case struct {
	ID       any // string or number as written, nil when absent
	Line     int
	Request  Request
	Policies Policies
	Expected string
}

// CaseResult is the outcome of one case.
type CaseResult struct {
	ID       any
	Line     int
	Decision Decision
	Result   Result
	Err      error
	Expected string
}

// parseCase decodes a case; with noCopy the decoded strings share data's
// memory, which the caller must then never modify (Simulate's freshly read
// lines). dec, when not nil, is a decoder to reuse (its arenas): nothing
// of the decoded tree outlives the case (compiled policies keep strings,
// never nodes).
//
// With a decoder to reuse, the Case itself is the decoder's (valid until
// the next case) and its context's memory is reused too.
func parseCase(dec *decoder, data []byte, line int, noCopy bool) (*Case, error) {
	reuse := dec != nil
	root, dec, err := decodeCase(dec, data, noCopy)
	if err != nil {
		if se, ok := err.(*SyntaxError); ok {
			return &Case{Line: line, ID: salvageID(data)}, fmt.Errorf("line %d, column %d: invalid JSON: %s", line, se.Column, se.Msg)
		}
		return &Case{Line: line, ID: salvageID(data)}, fmt.Errorf("line %d: invalid JSON: %w", line, err)
	}
	var c *Case
	if reuse {
		c = &dec.cs
		*c = Case{Line: line}
	} else {
		c = &Case{Line: line}
	}
	if root.Kind != KindObject {
		return c, fmt.Errorf("line %d: a case must be a JSON object, found %s", line, root.Kind)
	}
	for _, m := range root.Members {
		if !caseFields[m.Key] {
			return c, fmt.Errorf("line %d: unknown case field %q (known: %s)", line, trim(m.Key), caseFieldList)
		}
	}
	if idN := root.Get("id"); idN != nil {
		switch idN.Kind {
		case KindString:
			c.ID = idN.Str
		case KindNumber:
			c.ID = json.Number(idN.Str)
		}
	}
	if e := root.Get("expected"); e != nil && e.Kind != KindNull {
		if e.Kind != KindString || !validExpected(e.Str) {
			return c, fmt.Errorf("line %d: \"expected\" must be \"Allow\", \"ImplicitDeny\" or \"ExplicitDeny\", found %s", line, trim(nodeText(e)))
		}
		c.Expected = expectedValues[e.Str] // a constant: never the line's memory
	}
	rq := root.Get("request")
	if rq == nil || rq.Kind != KindObject {
		return c, fmt.Errorf("line %d: the case has no request object", line)
	}
	if err := c.request(rq, dec, reuse); err != nil {
		return c, fmt.Errorf("line %d: request: %w", line, err)
	}
	if err := c.policies(dec, root); err != nil {
		return c, fmt.Errorf("line %d: %w", line, err)
	}
	if c.Policies.Session != nil {
		// Only role sessions and federated users have a session policy
		// (IAM User Guide, "Session policies").
		switch k := ParsePrincipal(c.Request.Principal).Kind; k {
		case PrincipalUser, PrincipalRoot, PrincipalAnonymous, PrincipalService:
			return c, fmt.Errorf("line %d: sessionPolicy: a %s request has no session policy (only role sessions and federated users have one)", line, k)
		}
	}
	return c, nil
}

// caseFields are the top-level fields of a case
// (docs/policy-cases.md); any other field is an error, never ignored.
var caseFields = map[string]bool{
	"id": true, "request": true, "identityPolicies": true, "resourcePolicy": true,
	"permissionBoundary": true, "sessionPolicy": true, "scps": true, "rcps": true,
	"vpcEndpointPolicies": true, "expected": true, "tags": true,
}

const caseFieldList = "id, request, identityPolicies, resourcePolicy, permissionBoundary, sessionPolicy, scps, rcps, vpcEndpointPolicies, expected, tags"

var requestFields = map[string]bool{"principal": true, "action": true, "resource": true, "resourceAccount": true, "context": true}

func validExpected(s string) bool {
	_, ok := expectedValues[s]
	return ok
}

var expectedValues = map[string]string{"Allow": "Allow", "ImplicitDeny": "ImplicitDeny", "ExplicitDeny": "ExplicitDeny"}

// nodeText is a short rendering of a scalar node for messages.
func nodeText(n *Node) string {
	switch n.Kind {
	case KindString:
		return strconv.Quote(n.Str)
	case KindNumber, KindBool:
		return n.Str
	}
	return n.Kind.String()
}

func reqString(n *Node, field string, required bool) (string, error) {
	v := n.Get(field)
	if v == nil || v.Kind == KindNull {
		if required {
			return "", fmt.Errorf("missing %q", field)
		}
		return "", nil
	}
	if v.Kind != KindString {
		return "", fmt.Errorf("%q must be a string, found %s", field, v.Kind)
	}
	if required && v.Str == "" {
		return "", fmt.Errorf("%q is empty", field)
	}
	return v.Str, nil
}

// request decodes the request object; with reuse, the context's entries
// and values are cut from dec's scratch slices (valid until the next case).
func (c *Case) request(rq *Node, dec *decoder, reuse bool) error {
	var err error
	r := &c.Request
	for _, m := range rq.Members {
		if !requestFields[m.Key] {
			return fmt.Errorf("unknown field %q (known: principal, action, resource, resourceAccount, context)", trim(m.Key))
		}
	}
	if r.Principal, err = reqString(rq, "principal", true); err != nil {
		return err
	}
	if r.Action, err = reqString(rq, "action", true); err != nil {
		return err
	}
	if r.Resource, err = reqString(rq, "resource", true); err != nil {
		return err
	}
	if r.ResourceAccount, err = reqString(rq, "resourceAccount", false); err != nil {
		return err
	}
	ctx := rq.Get("context")
	if ctx == nil || ctx.Kind == KindNull {
		return nil
	}
	if ctx.Kind != KindObject {
		return fmt.Errorf("\"context\" must be an object, found %s", ctx.Kind)
	}
	// One allocation for the entries and one for the single values (none
	// when the decoder's scratch slices are large enough). Neither grows:
	// there are at most as many entries and single values as members.
	var singles []string
	if n := len(ctx.Members); reuse {
		if cap(dec.ctxEnts) < n {
			dec.ctxEnts = make([]ctxEnt, 0, max(n, 16))
			dec.ctxVals = make([]string, 0, max(n, 16))
		}
		r.Context.ents, singles = dec.ctxEnts[:0], dec.ctxVals[:0]
	} else {
		r.Context.ents = make([]ctxEnt, 0, n)
		singles = make([]string, 0, n)
	}
	for _, m := range ctx.Members {
		switch m.Value.Kind {
		case KindString, KindNumber, KindBool:
			singles = append(singles, m.Value.Str)
			r.Context.put(m.Key, ctxEnt{vals: singles[len(singles)-1 : len(singles) : len(singles)]})
		case KindNull:
			// null: the key is absent from the request.
		case KindArray:
			vals := make([]string, 0, len(m.Value.Items))
			for _, it := range m.Value.Items {
				switch it.Kind {
				case KindString, KindNumber, KindBool:
					vals = append(vals, it.Str)
				default:
					return fmt.Errorf("context key %q: values must be strings, found %s", trim(m.Key), it.Kind)
				}
			}
			r.Context.SetMulti(m.Key, vals)
		default:
			return fmt.Errorf("context key %q: value must be a string or an array of strings, found %s", trim(m.Key), m.Value.Kind)
		}
	}
	return nil
}

// policyFrom parses one policy document of a case. A JSON string holding a
// policy is accepted too (as IAM APIs return them).
func policyFrom(dec *decoder, n *Node, t Type, where string) (*Policy, error) {
	data := dec.data
	if n.Kind == KindString {
		inner := []byte(n.Str)
		p, err := Parse(inner, t)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		return p, nil
	}
	raw := data[n.Offset:n.End]
	h, cacheable := policyHash(raw, t)
	p, seen := lookupPolicy(raw, t, h, cacheable)
	if p != nil {
		dec.cacheScore = min(dec.cacheScore+1, 64)
		return p, nil
	}
	dec.cacheScore = max(dec.cacheScore-1, -64)
	if dec.noCopy && seen {
		// About to be cached: the policy's strings must not share the
		// line's memory, which Simulate reuses. Compile it from its own
		// copy of the text (on an error, from the line below, so that the
		// message has the line's columns).
		own := bytes.Clone(raw)
		d := &decoder{data: own, noCopy: true}
		if full, err := d.value(); err == nil {
			if p, err := parseNode(own, full, t, nil); err == nil {
				cachePolicy(raw, t, h, p, true)
				return p, nil
			}
		}
	}
	if n.Lazy {
		// Reuse the line's decoder, and so its node arena.
		dec.pos, dec.depth, dec.lazyKeys, dec.lazy = n.Offset, 0, nil, false
		full, err := dec.value()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		n = full
	}
	// A document seen before is about to be cached: compile it on its own
	// memory. Others (most of them, once) are compiled in the worker's
	// arena, whose memory the next case reuses: such a policy is never
	// cached (if another worker saw the document meanwhile, it is only
	// marked seen again).
	var arena *compileArena
	if !seen {
		arena = &dec.carena
	}
	p, err := parseNode(data, n, t, arena)
	if err == nil && cacheable {
		cachePolicy(raw, t, h, p, arena == nil)
	}
	if err != nil {
		// Positions are within the case line: name the column only.
		if pe, ok := err.(*Error); ok && len(pe.Issues) > 0 {
			is := pe.Issues[0]
			more := ""
			if len(pe.Issues) > 1 {
				more = fmt.Sprintf(" (and %d more errors)", len(pe.Issues)-1)
			}
			return nil, fmt.Errorf("%s: column %d: %s: %s%s", where, is.Column, is.Path, is.Message, more)
		}
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	return p, nil
}

// Compiled policies are cached by their exact text and type: the same
// documents (FullAWSAccess, shared managed policies, data-perimeter RCPs)
// recur across cases. Policies are immutable, so sharing is safe. The cache
// is bounded; once full it stops growing.
const (
	policyCacheMax     = 4096
	policyCacheMaxSize = 16 << 10
)

var policyCache = struct {
	sync.RWMutex
	m map[uint64]cachedDoc // by policyHash
	n atomic.Int32         // len(m), read without the lock
}{m: map[uint64]cachedDoc{}}

// policySeen records the hashes of documents seen once, for admission on
// the second sighting: a direct-mapped table read and written without a
// lock (a document whose slot another one took is simply seen anew).
// A slot holds the hash xor seenEpoch, so that DropCachedPolicies forgets
// every sighting by changing the epoch.
var (
	policySeen [1 << 16]atomic.Uint64
	seenEpoch  atomic.Uint64
)

func seenSlot(h uint64) *atomic.Uint64 { return &policySeen[h&(uint64(len(policySeen))-1)] }

// cachedDoc is a cached policy with its text and type, compared on every
// hit (a hash collision is a miss).
type cachedDoc struct {
	raw string
	t   Type
	p   *Policy
}

var policySeed = maphash.MakeSeed()

// policyHash is the key of a document in the cache; cacheable is false
// for documents the cache never holds (too long).
func policyHash(raw []byte, t Type) (h uint64, cacheable bool) {
	if len(raw) > policyCacheMaxSize {
		return 0, false
	}
	return maphash.Bytes(policySeed, raw) ^ uint64(t), true
}

// lookupPolicy returns the cached policy of the document, or whether the
// document was seen once before (so that the next cachePolicy admits it).
func lookupPolicy(raw []byte, t Type, h uint64, cacheable bool) (p *Policy, seen bool) {
	if !cacheable {
		return nil, false
	}
	if policyCache.n.Load() > 0 {
		policyCache.RLock()
		e, ok := policyCache.m[h]
		policyCache.RUnlock()
		if ok && e.t == t && e.raw == string(raw) {
			return e.p, false
		}
	}
	return nil, seenSlot(h).Load() == h^seenEpoch.Load()
}

// cachePolicy records a sighting of the document (of hash h) and admits p
// on the second one; with admit false (p lives in reused memory) it only
// records.
func cachePolicy(raw []byte, t Type, h uint64, p *Policy, admit bool) {
	// Admit a document on its second sighting only, so that a stream of
	// unique policies does not fill the cache.
	slot, key := seenSlot(h), h^seenEpoch.Load()
	if !admit || slot.Load() != key {
		slot.Store(key)
		return
	}
	policyCache.Lock()
	defer policyCache.Unlock()
	if len(policyCache.m) < policyCacheMax {
		if _, ok := policyCache.m[h]; !ok {
			// string(raw) copies: raw may share memory with a line buffer.
			policyCache.m[h] = cachedDoc{raw: string(raw), t: t, p: p}
			policyCache.n.Store(int32(len(policyCache.m)))
		}
	}
}

// DropCachedPolicies empties the compiled-policy cache, so that the next
// Simulate starts cold (the benchmarks measure a case file read once, as
// a fresh process reads it).
func DropCachedPolicies() {
	policyCache.Lock()
	defer policyCache.Unlock()
	clear(policyCache.m)
	policyCache.n.Store(0)
	seenEpoch.Add(0x9e3779b97f4a7c15)
}

func optionalPolicy(dec *decoder, root *Node, field string, t Type) (*Policy, error) {
	n := root.Get(field)
	if n == nil || n.Kind == KindNull {
		return nil, nil
	}
	return policyFrom(dec, n, t, field)
}

func policyList(dec *decoder, n *Node, t Type, where string) ([]*Policy, error) {
	if n == nil || n.Kind == KindNull {
		return nil, nil
	}
	if n.Kind != KindArray {
		return nil, fmt.Errorf("%s must be an array of policies, found %s", where, n.Kind)
	}
	out := carve(&dec.carena.lists, len(n.Items), 64) // dies with the case, as the arena's policies
	for i, it := range n.Items {
		p, err := policyFrom(dec, it, t, "")
		if err != nil {
			// The element's name is built only for the message.
			return nil, fmt.Errorf("%s[%d]%w", where, i, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func policyLevels(dec *decoder, n *Node, t Type, where string) ([][]*Policy, error) {
	if n == nil || n.Kind == KindNull {
		return nil, nil
	}
	if n.Kind != KindArray {
		return nil, fmt.Errorf("%s must be an array of levels (arrays of policies), found %s", where, n.Kind)
	}
	out := carve(&dec.carena.levels, len(n.Items), 16)
	for i, it := range n.Items {
		ps, err := policyList(dec, it, t, "")
		if err != nil {
			return nil, fmt.Errorf("%s[%d]%w", where, i, err)
		}
		if ps == nil {
			ps = []*Policy{}
		}
		out = append(out, ps)
	}
	return out, nil
}

func (c *Case) policies(dec *decoder, root *Node) error {
	var err error
	p := &c.Policies
	if p.Identity, err = policyList(dec, root.Get("identityPolicies"), TypeIdentity, "identityPolicies"); err != nil {
		return err
	}
	if p.Resource, err = optionalPolicy(dec, root, "resourcePolicy", TypeResource); err != nil {
		return err
	}
	if p.Boundary, err = optionalPolicy(dec, root, "permissionBoundary", TypeBoundary); err != nil {
		return err
	}
	if p.Session, err = optionalPolicy(dec, root, "sessionPolicy", TypeSession); err != nil {
		return err
	}
	if p.SCPs, err = policyLevels(dec, root.Get("scps"), TypeSCP, "scps"); err != nil {
		return err
	}
	if p.RCPs, err = policyLevels(dec, root.Get("rcps"), TypeRCP, "rcps"); err != nil {
		return err
	}
	if p.VPCEndpoint, err = policyList(dec, root.Get("vpcEndpointPolicies"), TypeEndpoint, "vpcEndpointPolicies"); err != nil {
		return err
	}
	return nil
}

// RunCase parses and evaluates one line.
func RunCase(data []byte, line int, opt *Options) CaseResult {
	return runCase(nil, data, line, opt, false)
}

func runCase(dec *decoder, data []byte, line int, opt *Options, noCopy bool) CaseResult {
	if bytes.Equal(data, errLineTooLong) {
		return CaseResult{Line: line, Err: fmt.Errorf("line %d: longer than %d bytes", line, MaxCaseLine)}
	}
	c, err := parseCase(dec, data, line, noCopy)
	out := CaseResult{ID: c.ID, Line: line, Expected: c.Expected}
	if noCopy {
		// The line's memory is reused once the result is emitted (see
		// Simulate): the result's strings get their own.
		if id, ok := out.ID.(string); ok {
			out.ID = strings.Clone(id)
		}
	}
	if err != nil {
		out.Err = err
		return out
	}
	out.Result = Evaluate(&c.Request, &c.Policies, opt)
	out.Decision = out.Result.Decision
	if noCopy {
		out.Result.Sid = strings.Clone(out.Result.Sid)
	}
	if dec != nil {
		// The case's uncached policies are done with: the result keeps
		// none of them.
		dec.carena.reset()
	}
	return out
}

// MaxCaseLine bounds one case line; a longer line becomes an error result
// for that line (and is skipped without being held in memory).
var MaxCaseLine = 64 << 20

// errLineTooLong marks an over-long line; runCase reports it.
var errLineTooLong = []byte("\x00line-too-long")

// readLine reads up to and including '\n' into lb and returns it. A line
// longer than limit is consumed and returned as errLineTooLong.
func readLine(br *bufio.Reader, limit int, lb *lineBuf) ([]byte, error) {
	start := len(lb.cur)
	tooLong := false
	for {
		frag, err := br.ReadSlice('\n')
		if !tooLong {
			if len(lb.cur)-start+len(frag) > limit {
				tooLong, lb.cur = true, lb.cur[:start]
			} else {
				if len(lb.cur)+len(frag) > cap(lb.cur) {
					// Move the line so far to a new block: a line is
					// never split.
					part := lb.cur[start:]
					lb.cur = lb.cur[:start]
					lb.next(len(part) + len(frag))
					lb.cur = append(lb.cur, part...)
					start = 0
				}
				lb.cur = append(lb.cur, frag...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if tooLong {
			return errLineTooLong, err
		}
		return lb.cur[start:len(lb.cur):len(lb.cur)], err
	}
}

// lineBuf holds the lines of one batch in blocks of lineBlock bytes (one
// allocation per block, not per line), which Simulate reuses once the
// batch's results are emitted.
type lineBuf struct {
	cur    []byte   // the block being filled
	blocks [][]byte // filled blocks
	free   chan []byte
}

// lineBlock is the size of a line block; a longer line gets a block of
// its own (not reused).
const lineBlock = 64 << 10

// next retires the current block and starts one with room for n bytes.
func (lb *lineBuf) next(n int) {
	if cap(lb.cur) > 0 {
		lb.blocks = append(lb.blocks, lb.cur)
	}
	if n > lineBlock {
		lb.cur = make([]byte, 0, n)
		return
	}
	select {
	case lb.cur = <-lb.free:
	default:
		lb.cur = make([]byte, 0, lineBlock)
	}
}

// done returns the batch's blocks.
func (lb *lineBuf) done() [][]byte {
	if cap(lb.cur) > 0 {
		lb.blocks = append(lb.blocks, lb.cur)
	}
	return lb.blocks
}

// Simulate streams cases from r and calls emit for each result, in input
// order. Lines are decoded and evaluated by parallel workers; blank lines
// are skipped. Only a read error stops it: bad cases become results with
// Err set.
func Simulate(r io.Reader, opt *Options, workers int, emit func(CaseResult) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type job struct {
		lines [][]byte
		nums  []int
		out   chan []CaseResult
		// blocks hold the lines: reusable once the results are emitted
		// unless one of them may hold a line's memory (an error: see
		// runCase).
		blocks   [][]byte
		reusable bool
	}
	// Line blocks of emitted batches, for the reader to fill again.
	free := make(chan []byte, 128)
	const batch = 256
	jobs := make(chan *job, workers*2)
	order := make(chan *job, workers*4)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dec := &decoder{} // reused case after case: no arena allocation per case
			for j := range jobs {
				res := make([]CaseResult, len(j.lines))
				j.reusable = true
				for k, l := range j.lines {
					res[k] = runCase(dec, l, j.nums[k], opt, true)
					if res[k].Err != nil {
						j.reusable = false
					}
				}
				j.out <- res
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(jobs)
		br := bufio.NewReaderSize(textenc.NewReader(r), 64<<10) // a UTF-8 BOM is dropped; UTF-16 is refused; longer lines are assembled by readLine
		newJob := func() *job {
			return &job{out: make(chan []CaseResult, 1), lines: make([][]byte, 0, batch), nums: make([]int, 0, batch)}
		}
		cur := newJob()
		lb := &lineBuf{free: free}
		line := 0
		for {
			b, err := readLine(br, MaxCaseLine, lb)
			if len(b) > 0 {
				line++
				t := bytes.TrimSpace(b)
				if len(t) > 0 {
					cur.lines = append(cur.lines, t)
					cur.nums = append(cur.nums, line)
					if len(cur.lines) == batch {
						cur.blocks = lb.done()
						order <- cur
						jobs <- cur
						cur = newJob()
						lb = &lineBuf{free: free}
					}
				}
			}
			if err != nil {
				if len(cur.lines) > 0 {
					cur.blocks = lb.done()
					order <- cur
					jobs <- cur
				}
				if err != io.EOF {
					readErr <- err
				}
				close(readErr)
				return
			}
		}
	}()
	var emitErr error
	for j := range order {
		res := <-j.out
		if emitErr == nil {
			for _, cr := range res {
				if err := emit(cr); err != nil {
					emitErr = err
					break
				}
			}
		}
		if j.reusable {
			for _, b := range j.blocks {
				if cap(b) != lineBlock {
					continue
				}
				select {
				case free <- b[:0]:
				default:
				}
			}
		}
	}
	wg.Wait()
	if emitErr != nil {
		return emitErr
	}
	if err, ok := <-readErr; ok && err != nil {
		return fmt.Errorf("reading cases: %w", err)
	}
	return nil
}

// policyFields hold policy documents: their objects are only validated
// while the line is decoded, and built later unless the compiled policy is
// already cached.
var policyFields = map[string]bool{
	"identityPolicies": true, "resourcePolicy": true, "permissionBoundary": true,
	"sessionPolicy": true, "scps": true, "rcps": true, "vpcEndpointPolicies": true,
}

func decodeCase(d *decoder, data []byte, noCopy bool) (*Node, *decoder, error) {
	if d == nil {
		d = &decoder{}
	}
	if d.cacheScore < 0 {
		// Recent policies were not in the cache: decode them now rather
		// than skip them and decode them again. On any error, decode as
		// below, so that messages are the same either way.
		d.reset(data)
		d.noCopy, d.lazyKeys = noCopy, nil
		d.skipWS()
		if n, err := d.value(); err == nil {
			if d.skipWS(); d.pos == len(d.data) {
				return n, d, nil
			}
		}
	}
	d.reset(data)
	d.noCopy, d.lazyKeys = noCopy, policyFields
	d.skipWS()
	n, err := d.value()
	if err == nil {
		d.skipWS()
		if d.pos < len(d.data) {
			err = d.errf(d.pos, "unexpected %s after the top-level value", quoteByte(d.data[d.pos]))
		}
	}
	if err != nil {
		// A lazily skipped policy may hide the real position: decode it
		// all to report the first error where it is.
		d.reset(data)
		d.lazyKeys = nil
		d.skipWS()
		n, err = d.value()
		if err == nil {
			d.skipWS()
			if d.pos < len(d.data) {
				err = d.errf(d.pos, "unexpected %s after the top-level value", quoteByte(d.data[d.pos]))
			}
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return n, d, nil
}

// salvageID finds the "id" of a line that is not valid JSON, so that its
// error can still be matched to the case: the first "id" key followed by a
// string value. It returns nil when there is none.
func salvageID(data []byte) any {
	i := bytes.Index(data, []byte(`"id"`))
	if i < 0 {
		return nil
	}
	d := &decoder{data: data, pos: i + 4}
	d.skipWS()
	if d.pos >= len(data) || data[d.pos] != ':' {
		return nil
	}
	d.pos++
	d.skipWS()
	if d.pos >= len(data) || data[d.pos] != '"' {
		return nil
	}
	s, err := d.str()
	if err != nil {
		return nil
	}
	return s
}
