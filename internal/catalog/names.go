package catalog

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"unsafe"
)

// ActionNames is the set of a catalog's action names and nothing else: what
// mapping CloudTrail events to actions asks of the catalog (does
// "service:Action" exist, trail.ActionChecker). A scan holds it for its
// whole length, so it keeps neither the descriptions, resource types and
// condition keys nor the indexes of a full Catalog: about 1 MB where the
// decoded catalog keeps 15–20 MB live, which the scan's collector target
// would multiply.
type ActionNames struct {
	source Source
	names  map[string]struct{} // lower-case "prefix:action"
}

// ActionExists reports whether "service:Action" exists, case-insensitively
// as IAM (and Catalog.ActionExists) does.
func (n *ActionNames) ActionExists(name string) bool {
	_, ok := n.names[lowerASCII(name)]
	return ok
}

// Len is the number of distinct actions.
func (n *ActionNames) Len() int { return len(n.names) }

// Source is where the catalog's facts come from, and their date.
func (n *ActionNames) Source() Source { return n.source }

// DecodeActionNames reads only the action names of a catalog written by
// Encode. It accepts and rejects exactly what Decode does, with the same
// errors, and knows the same actions.
func DecodeActionNames(r io.Reader) (*ActionNames, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("decode catalog: %w", err)
	}
	return actionNamesBytes(b)
}

// actionNamesBytes is DecodeActionNames of the compressed catalog held in b.
func actionNamesBytes(b []byte) (*ActionNames, error) {
	raw, err := inflateCatalog(b)
	if err != nil {
		return nil, err
	}
	return actionNamesRaw(raw)
}

// EmbeddedActionNames are the action names of the catalog built into the
// binary, read from the small file generated with it (ActionNamesFile) on
// each call (a few milliseconds; walking the inflated catalog for them
// took ~40 ms of CPU while a scan lists its source): the one caller, a
// scan, holds them, and nothing keeps them after it.
// TestEmbeddedActionNamesFile checks that the file and the catalog agree.
func EmbeddedActionNames() *ActionNames {
	names, err := decodeActionNamesFile(embeddedNames)
	if err != nil {
		// As in Embedded: generated and tested data, a build defect.
		panic("catalog: embedded " + ActionNamesFile + ": " + err.Error())
	}
	return &ActionNames{source: EmbeddedSource(), names: names}
}

// ActionNamesFile is where go generate writes the embedded catalog's action
// names beside data/catalog.bin.gz (see EncodeActionNames).
const ActionNamesFile = "action-names.gz"

//go:embed data/action-names.gz
var embeddedNames []byte

// EncodeActionNames writes c's action names as ActionNamesFile holds them:
// "prefix:action" in lower case (as ActionExists looks them up), sorted,
// one per line, compressed with gzip.
func EncodeActionNames(c *Catalog) ([]byte, error) {
	names := make([]string, 0, len(c.actions))
	for _, a := range c.actions {
		if a.lower == "" || strings.ContainsAny(a.lower, "\n\r") {
			return nil, fmt.Errorf("action name %q cannot be written one per line", a.full)
		}
		names = append(names, a.lower)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(zw, strings.Join(names, "\n")); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeActionNamesFile reads what EncodeActionNames wrote: the set's keys
// are cut from one copy of the inflated text.
func decodeActionNamesFile(b []byte) (map[string]struct{}, error) {
	raw, err := inflateCatalog(b)
	if err != nil {
		return nil, err
	}
	text := string(raw)
	if text == "" {
		return nil, fmt.Errorf("no action names")
	}
	names := make(map[string]struct{}, strings.Count(text, "\n")+1)
	for line := range strings.SplitSeq(text, "\n") {
		if line == "" {
			return nil, fmt.Errorf("empty line after %d names", len(names))
		}
		names[line] = struct{}{}
	}
	return names, nil
}

// SourceFile is where go generate writes the embedded catalog's Source
// (JSON), beside data/catalog.bin.gz.
const SourceFile = "source.json"

//go:embed data/source.json
var embeddedSource []byte

// EmbeddedSource is the Source of the catalog built into the binary, read
// from the small file generated with it, so that seiri version inflates
// nothing (TestEmbeddedSourceFile checks that both agree).
func EmbeddedSource() Source {
	var src Source
	if err := json.Unmarshal(embeddedSource, &src); err != nil {
		panic("catalog: embedded " + SourceFile + ": " + err.Error())
	}
	return src
}

// LoadActionNames is Load for ActionNames: the names of the catalog cached
// in cacheDir, else of the embedded one; a cached copy that cannot be read
// gives the embedded names together with an error wrapping ErrBadCache.
func LoadActionNames(cacheDir string) (*ActionNames, error) {
	return loadCached(cacheDir, actionNamesBytes, EmbeddedActionNames)
}

// actionNamesRaw walks the inflated format as decodeRaw does, keeping the
// action names only. Both must follow one layout (see the format at the
// top of codec.go); TestActionNamesMatchDecode and FuzzDecode hold them
// together.
func actionNamesRaw(raw []byte) (*ActionNames, error) {
	d, src, err := newDecoder(raw)
	if err != nil {
		return nil, err
	}
	skipList := func() {
		for n := d.count(); n > 0 && d.err == nil; n-- {
			d.str()
		}
	}
	var arena nameBuilder
	// Collected first, so that the set is allocated once at its size: a
	// growing map rehashes ~22,000 keys several times.
	var list []string
	ns := d.count()
	for si := 0; si < ns && d.err == nil; si++ {
		prefix := d.str()
		d.str() // name
		if flags := d.byte1(); flags&^serviceRCP != 0 {
			d.fail("unknown service flags %#x", flags)
		}
		nrt := d.count()
		for i := 0; i < nrt && d.err == nil; i++ {
			d.str() // name
			skipList()
			skipList()
		}
		nck := d.count()
		for i := 0; i < nck && d.err == nil; i++ {
			d.str()
			d.str()
		}
		na := d.count()
		for i := 0; i < na && d.err == nil; i++ {
			name := d.str()
			if access := AccessLevel(d.byte1()); access > Tagging {
				d.fail("access level %d out of range", access)
			}
			d.str() // description
			nr := d.count()
			for j := 0; j < nr && d.err == nil; j++ {
				if k := d.uint() >> 1; k >= nrt {
					d.fail("resource type %d out of range (%d types)", k, nrt)
					break
				}
				skipList()
			}
			skipList() // condition keys
			skipList() // dependent actions
			if d.err == nil {
				list = append(list, arena.lower(prefix, name))
			}
		}
		if d.err == nil && prefix == "" {
			d.fail("service %d has no prefix", si)
		}
	}
	ng := d.count()
	for i := 0; i < ng && d.err == nil; i++ {
		d.str()
		d.str()
	}
	if d.err != nil {
		return nil, d.err
	}
	if d.off != len(d.b) {
		return nil, errTrailing(len(d.b) - d.off)
	}
	names := make(map[string]struct{}, len(list))
	for _, n := range list {
		names[n] = struct{}{}
	}
	// The source's strings are cut from raw: copied, so that raw is not
	// kept alive for three short strings.
	src = Source{Name: strings.Clone(src.Name), Version: strings.Clone(src.Version), Date: strings.Clone(src.Date)}
	return &ActionNames{source: src, names: names}, nil
}

// nameBuilder makes "prefix:name" in lower case as New does for
// Action.lower, cut from shared buffers: the set's keys must not point into
// the inflated catalog, which is dropped once they are made.
type nameBuilder struct {
	buf []byte
}

func (b *nameBuilder) lower(prefix, name string) string {
	n := len(prefix) + 1 + len(name)
	for _, part := range [...]string{prefix, name} {
		for i := 0; i < len(part); i++ {
			if part[i] >= 0x80 {
				return strings.ToLower(prefix + ":" + name)
			}
		}
	}
	if len(b.buf)+n > cap(b.buf) {
		b.buf = make([]byte, 0, max(n, 16<<10))
	}
	start := len(b.buf)
	b.buf = append(b.buf, prefix...)
	b.buf = append(b.buf, ':')
	b.buf = append(b.buf, name...)
	for i := start; i < len(b.buf); i++ {
		if c := b.buf[i]; 'A' <= c && c <= 'Z' {
			b.buf[i] = c + 'a' - 'A'
		}
	}
	// Handed-out bytes are never written again: the string may share them.
	return unsafe.String(&b.buf[start], n)
}
