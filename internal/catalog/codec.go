package catalog

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"unsafe"

	"github.com/seiri-dev/seiri/internal/inflate"
)

// The compact format, gzip-compressed:
//
//	"SEIRICAT" version(1 byte)
//	strings:  n, then n × (len, bytes)        — every text once, by frequency
//	source:   name, version, date              — string refs
//	services: n, then per service:
//	  prefix, name, flags byte (1 = supports RCPs)
//	  resource types: n × (name, nARN, arn…, nCK, ck…)
//	  condition keys: n × (name, type)
//	  actions: n × (name, access byte, description,
//	                nRes, (rtIndex<<1 | required, nCK, ck…)…, nCK, ck…, nDep, dep…)
//	global condition keys: n × (name, type)
//
// All numbers and string refs are uvarints. Strings are interned so the
// thousands of "aws:ResourceTag/${TagKey}" cost one varint each.

// Service flag bits.
const serviceRCP byte = 1

const (
	codecMagic   = "SEIRICAT"
	codecVersion = 1
	// maxDecoded bounds what Decode inflates (the embedded data is ~4 MiB).
	maxDecoded = 256 << 20
)

// Encode writes the catalog in seiri's compact, gzip-compressed format.
func (c *Catalog) Encode(w io.Writer) error {
	var e encoder
	e.intern(c.source.Name, c.source.Version, c.source.Date)
	for _, s := range c.services {
		e.intern(s.Prefix, s.Name)
		for _, rt := range s.ResourceTypes {
			e.intern(rt.Name)
			e.intern(rt.ARNFormats...)
			e.intern(rt.ConditionKeys...)
		}
		for _, k := range s.ConditionKeys {
			e.intern(k.Name, k.Type)
		}
		for _, a := range s.Actions {
			e.intern(a.Name, a.Description)
			e.intern(a.ConditionKeys...)
			e.intern(a.Dependent...)
			for _, r := range a.Resources {
				e.intern(r.ConditionKeys...)
			}
		}
	}
	for _, k := range c.globalKeys {
		e.intern(k.Name, k.Type)
	}
	e.sortStrings()

	e.buf.WriteString(codecMagic)
	e.buf.WriteByte(codecVersion)
	e.uint(len(e.strs))
	for _, s := range e.strs {
		e.uint(len(s))
		e.buf.WriteString(s)
	}
	e.str(c.source.Name)
	e.str(c.source.Version)
	e.str(c.source.Date)
	e.uint(len(c.services))
	for _, s := range c.services {
		e.str(s.Prefix)
		e.str(s.Name)
		var flags byte
		if s.SupportsRCP {
			flags |= serviceRCP
		}
		e.buf.WriteByte(flags)
		rtIndex := make(map[*ResourceType]int, len(s.ResourceTypes))
		e.uint(len(s.ResourceTypes))
		for i, rt := range s.ResourceTypes {
			rtIndex[rt] = i
			e.str(rt.Name)
			e.strList(rt.ARNFormats)
			e.strList(rt.ConditionKeys)
		}
		e.uint(len(s.ConditionKeys))
		for _, k := range s.ConditionKeys {
			e.str(k.Name)
			e.str(k.Type)
		}
		e.uint(len(s.Actions))
		for _, a := range s.Actions {
			e.str(a.Name)
			e.buf.WriteByte(byte(a.Access))
			e.str(a.Description)
			e.uint(len(a.Resources))
			for _, r := range a.Resources {
				i, ok := rtIndex[r.Type]
				if !ok {
					return fmt.Errorf("encode catalog: %s: resource type %q is not one of service %s's", a.full, r.Type.Name, s.Prefix)
				}
				v := i << 1
				if r.Required {
					v |= 1
				}
				e.uint(v)
				e.strList(r.ConditionKeys)
			}
			e.strList(a.ConditionKeys)
			e.strList(a.Dependent)
		}
	}
	e.uint(len(c.globalKeys))
	for _, k := range c.globalKeys {
		e.str(k.Name)
		e.str(k.Type)
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(e.buf.Bytes()); err != nil {
		return fmt.Errorf("encode catalog: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("encode catalog: %w", err)
	}
	return nil
}

type encoder struct {
	buf   bytes.Buffer
	count map[string]int
	strs  []string
	index map[string]int
	tmp   [binary.MaxVarintLen64]byte
}

func (e *encoder) intern(ss ...string) {
	if e.count == nil {
		e.count = map[string]int{}
	}
	for _, s := range ss {
		e.count[s]++
	}
}

// sortStrings orders the table by falling frequency, so common strings get
// one-byte refs.
func (e *encoder) sortStrings() {
	e.strs = make([]string, 0, len(e.count))
	for s := range e.count {
		e.strs = append(e.strs, s)
	}
	slices.SortFunc(e.strs, func(a, b string) int {
		if c := cmp.Compare(e.count[b], e.count[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	e.index = make(map[string]int, len(e.strs))
	for i, s := range e.strs {
		e.index[s] = i
	}
}

func (e *encoder) uint(v int) {
	n := binary.PutUvarint(e.tmp[:], uint64(v))
	e.buf.Write(e.tmp[:n])
}

func (e *encoder) str(s string) { e.uint(e.index[s]) }

func (e *encoder) strList(ss []string) {
	e.uint(len(ss))
	for _, s := range ss {
		e.str(s)
	}
}

// Decode reads a catalog written by Encode. Damaged or foreign input gives an
// error naming the byte offset, never a panic.
func Decode(r io.Reader) (*Catalog, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("decode catalog: %w", err)
	}
	return decodeBytes(b)
}

// decodeBytes is Decode of the compressed catalog held in b.
func decodeBytes(b []byte) (*Catalog, error) {
	raw, err := inflateCatalog(b)
	if err != nil {
		return nil, err
	}
	return decodeRaw(raw)
}

// inflateCatalog inflates the compressed catalog, at most maxDecoded bytes.
// The whole input is at hand (embedded, or a cache file read whole), so it
// goes through seiri's whole-buffer decoder, which accepts what
// compress/gzip accepts in less than half its time: the first catalog use
// of every command pays for it.
func inflateCatalog(b []byte) ([]byte, error) {
	d := inflate.Decoder{MaxSize: maxDecoded}
	raw, err := d.Gunzip(nil, b)
	if errors.Is(err, inflate.ErrTooLarge) {
		return nil, fmt.Errorf("decode catalog: larger than %d bytes", maxDecoded)
	}
	if err != nil {
		return nil, fmt.Errorf("decode catalog: %w", err)
	}
	return raw, nil
}

var errTruncated = errors.New("unexpected end of data")

func errTrailing(n int) error {
	return fmt.Errorf("decode catalog: %d unexpected bytes after the last service", n)
}

type decoder struct {
	b    []byte
	off  int
	all  string // b as one string: table entries are substrings of it
	strs []string
	err  error

	arena []string
	res   []ActionResource
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("decode catalog: offset %d: %s", d.off, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) uint() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("%v", errTruncated)
		return 0
	}
	d.off += n
	if v > 1<<31 {
		d.fail("number %d out of range", v)
		return 0
	}
	return int(v)
}

// count reads a list length and checks it against the bytes left (each
// element takes at least one byte), so damaged input cannot allocate much.
func (d *decoder) count() int {
	n := d.uint()
	if d.err == nil && n > len(d.b)-d.off {
		d.fail("list of %d elements exceeds the data", n)
		return 0
	}
	return n
}

func (d *decoder) str() string {
	i := d.uint()
	if d.err != nil {
		return ""
	}
	if i >= len(d.strs) {
		d.fail("string ref %d out of range (%d strings)", i, len(d.strs))
		return ""
	}
	return d.strs[i]
}

// strList reads a list of string refs. Lists are cut from one shared backing
// array (with capacity clipped, so appending to one never touches another):
// the catalog holds ~60,000 short lists, and one allocation each would
// dominate decoding.
func (d *decoder) strList() []string {
	n := d.count()
	if n == 0 || d.err != nil {
		return nil
	}
	if len(d.arena)+n > cap(d.arena) {
		d.arena = make([]string, 0, max(n, 8192))
	}
	start := len(d.arena)
	for range n {
		d.arena = append(d.arena, d.str())
	}
	return d.arena[start:len(d.arena):len(d.arena)]
}

func (d *decoder) byte1() byte {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.b) {
		d.fail("%v", errTruncated)
		return 0
	}
	c := d.b[d.off]
	d.off++
	return c
}

// newDecoder checks the format's magic and version and reads what precedes
// the services: the string table and the source. raw is owned by the
// decoder from here on and never written: the table's strings share its
// bytes instead of copying megabytes.
func newDecoder(raw []byte) (*decoder, Source, error) {
	if len(raw) < len(codecMagic)+1 || string(raw[:len(codecMagic)]) != codecMagic {
		return nil, Source{}, errors.New("decode catalog: not a seiri catalog (bad magic)")
	}
	if v := raw[len(codecMagic)]; v != codecVersion {
		return nil, Source{}, fmt.Errorf("decode catalog: format version %d, want %d", v, codecVersion)
	}
	d := &decoder{b: raw, off: len(codecMagic) + 1, all: unsafe.String(&raw[0], len(raw))}
	n := d.count()
	d.strs = make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		l := d.uint()
		if d.err == nil && l > len(d.b)-d.off {
			d.fail("string of %d bytes exceeds the data", l)
			break
		}
		d.strs = append(d.strs, d.all[d.off:d.off+l])
		d.off += l
	}
	src := Source{Name: d.str(), Version: d.str(), Date: d.str()}
	if d.err != nil {
		return nil, Source{}, d.err
	}
	return d, src, nil
}

// decodeRaw decodes the inflated format. The catalog shares raw's bytes:
// the caller must not modify raw afterwards.
func decodeRaw(raw []byte) (*Catalog, error) {
	d, src, err := newDecoder(raw)
	if err != nil {
		return nil, err
	}
	ns := d.count()
	services := make([]*Service, 0, ns)
	for si := 0; si < ns && d.err == nil; si++ {
		s := &Service{Prefix: d.str(), Name: d.str()}
		flags := d.byte1()
		if flags&^serviceRCP != 0 {
			d.fail("unknown service flags %#x", flags)
		}
		s.SupportsRCP = flags&serviceRCP != 0
		nrt := d.count()
		s.ResourceTypes = make([]*ResourceType, 0, nrt)
		for i := 0; i < nrt && d.err == nil; i++ {
			s.ResourceTypes = append(s.ResourceTypes, &ResourceType{Name: d.str(), ARNFormats: d.strList(), ConditionKeys: d.strList()})
		}
		nck := d.count()
		s.ConditionKeys = make([]ConditionKey, 0, nck)
		for i := 0; i < nck && d.err == nil; i++ {
			s.ConditionKeys = append(s.ConditionKeys, ConditionKey{Name: d.str(), Type: d.str()})
		}
		na := d.count()
		actions := make([]Action, na) // one allocation for the service's actions
		s.Actions = make([]*Action, 0, na)
		for i := 0; i < na && d.err == nil; i++ {
			a := &actions[i]
			a.Name = d.str()
			a.Access = AccessLevel(d.byte1())
			if a.Access > Tagging {
				d.fail("access level %d out of range", a.Access)
			}
			a.Description = d.str()
			nr := d.count()
			if nr > 0 {
				if len(d.res)+nr > cap(d.res) {
					d.res = make([]ActionResource, 0, max(nr, 4096))
				}
				a.Resources = d.res[len(d.res) : len(d.res) : len(d.res)+nr]
				d.res = d.res[:len(d.res)+nr]
			}
			for j := 0; j < nr && d.err == nil; j++ {
				v := d.uint()
				k := v >> 1
				if k >= len(s.ResourceTypes) {
					d.fail("resource type %d out of range (%d types)", k, len(s.ResourceTypes))
					break
				}
				a.Resources = append(a.Resources, ActionResource{Type: s.ResourceTypes[k], Required: v&1 == 1, ConditionKeys: d.strList()})
			}
			a.ConditionKeys = d.strList()
			a.Dependent = d.strList()
			s.Actions = append(s.Actions, a)
		}
		if d.err == nil && s.Prefix == "" {
			d.fail("service %d has no prefix", si)
		}
		services = append(services, s)
	}
	ng := d.count()
	var globals []ConditionKey
	for i := 0; i < ng && d.err == nil; i++ {
		globals = append(globals, ConditionKey{Name: d.str(), Type: d.str()})
	}
	if d.err != nil {
		return nil, d.err
	}
	if d.off != len(d.b) {
		return nil, errTrailing(len(d.b) - d.off)
	}
	return New(src, services, globals...), nil
}
