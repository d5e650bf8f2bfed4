package usage

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Schema 8 writes the ledger's and the path marks' folder rows in a binary
// encoding (docs/bench-trail.md, "Session 6: ledger"): a folder blob is the
// byte binFormat, then one entry per name in name order. Blobs of the
// earlier text encoding (schemas 4 to 7) begin with a printable byte and
// still read; every write is binary.
//
// Ledger entry: flags, name, size (zigzag varint), digest (16 bytes, when
// flags say it has one).
// Mark entry: flags, name, size (zigzag varint), mtime (zigzag varint, the
// seconds after the folder's day for a delivery folder), etag (16 bytes
// for a lowercase hex MD5, else a length and its bytes).
//
// Names: a delivery file name of its folder
// (ACCOUNT_CloudTrail_REGION_YYYYMMDD THHmmZ_UNIQUE16.json, CloudTrail
// User Guide, "CloudTrail log file name format") is packed: the minute of
// the day (uvarint) and the 16 letters or digits of UNIQUE at 6 bits each
// (12 bytes), 14 bytes instead of ~57; any other name is a length and its
// bytes.
const binFormat = 0x01

// Entry flags.
const (
	flagAlgMask  = 0x03 // digest algorithm: algNone, algSHA256, algXXH3
	flagPacked   = 0x04 // packed delivery name
	flagExtShift = 4    // marks: 0 no suffix, 1 ".gz", 2 ".gzip" (packed names only)
	flagExtMask  = 0x30
	flagETagMD5  = 0x40 // marks: the etag is a hex MD5, stored as 16 bytes
)

// Digest algorithms of ledger entries.
const (
	algNone   = 0 // unknown (carried over from schema 3)
	algSHA256 = 1 // SHA-256, first 128 bits: schemas 4 to 7
	algXXH3   = 2 // XXH3-128: schema 8
)

var exts = [...]string{"", ".gz", ".gzip"}

const uniqAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

var uniqIndex = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(uniqAlphabet); i++ {
		t[uniqAlphabet[i]] = int8(i)
	}
	return t
}()

// packName packs the rest of a delivery file name after its folder's
// prefix: "THHmmZ_" + 16 letters or digits + ".json".
func packName(b []byte, prefix, name string) ([]byte, bool) {
	if prefix == "" || !strings.HasPrefix(name, prefix) {
		return b, false
	}
	r := name[len(prefix):]
	if len(r) != 28 || r[0] != 'T' || r[5] != 'Z' || r[6] != '_' || r[23:] != ".json" || !digits(r[1:5], 4) {
		return b, false
	}
	hh, mm := int(r[1]-'0')*10+int(r[2]-'0'), int(r[3]-'0')*10+int(r[4]-'0')
	if hh > 23 || mm > 59 {
		return b, false
	}
	var bits uint64
	var out [12]byte
	n := 0
	for i := 0; i < 16; i++ {
		v := uniqIndex[r[7+i]]
		if v < 0 {
			return b, false
		}
		bits = bits<<6 | uint64(v)
		if i%4 == 3 { // 24 bits → 3 bytes
			out[n], out[n+1], out[n+2] = byte(bits>>16), byte(bits>>8), byte(bits)
			n += 3
			bits = 0
		}
	}
	b = binary.AppendUvarint(b, uint64(hh*60+mm))
	return append(b, out[:]...), true
}

func unpackName(prefix string, b []byte) (string, []byte, error) {
	var buf [64]byte
	out, rest, err := unpackInto(append(buf[:0], prefix...), b)
	if err != nil {
		return "", nil, err
	}
	return string(out), rest, nil
}

// unpackInto appends the rest of a packed name (see packName) to dst.
func unpackInto(dst, b []byte) ([]byte, []byte, error) {
	minute, n := binary.Uvarint(b)
	if n <= 0 || minute >= 1440 || len(b) < n+12 {
		return nil, nil, errTruncated
	}
	b = b[n:]
	hh, mm := minute/60, minute%60
	dst = append(dst, 'T', byte('0'+hh/10), byte('0'+hh%10), byte('0'+mm/10), byte('0'+mm%10), 'Z', '_')
	for i := 0; i < 4; i++ {
		bits := uint32(b[3*i])<<16 | uint32(b[3*i+1])<<8 | uint32(b[3*i+2])
		var c [4]byte
		for j := 3; j >= 0; j-- {
			v := bits & 63
			if v >= uint32(len(uniqAlphabet)) {
				return nil, nil, fmt.Errorf("bad packed name")
			}
			c[j] = uniqAlphabet[v]
			bits >>= 6
		}
		dst = append(dst, c[:]...)
	}
	return append(dst, ".json"...), b[12:], nil
}

// foldedMarks reads the marks folded into the ledger folder row ldir into
// out, keyed by path (dir/name): what ScannedObjects loads at a scan's
// start, one allocation per mark.
func foldedMarks(dir, ldir string, blob []byte, out map[string]ObjectMark) error {
	if len(blob) == 0 || blob[0] != binFormat {
		return nil // text rows (schema 7) hold no marks
	}
	prefix, base := deliveryPrefix(ldir), dayBase(ldir)
	key := make([]byte, 0, len(dir)+1+len(prefix)+40)
	key = append(append(key, dir...), '/')
	stem := len(key)
	b := blob[1:]
	for len(b) > 0 {
		flags := b[0]
		b = b[1:]
		k := append(key[:stem], prefix...)
		var err error
		if flags&flagPacked != 0 {
			k, b, err = unpackInto(k, b)
		} else {
			var raw string
			raw, b, err = readRaw(b)
			k = append(key[:stem], raw...)
		}
		if err != nil {
			return err
		}
		if _, n := binary.Varint(b); n > 0 {
			b = b[n:]
		} else {
			return errTruncated
		}
		switch flags & flagAlgMask {
		case algNone:
		case algSHA256, algXXH3:
			if len(b) < 16 {
				return errTruncated
			}
			b = b[16:]
		default:
			return fmt.Errorf("bad entry flags %#x", flags)
		}
		if flags&flagMarked == 0 {
			key = k
			continue
		}
		x := (flags & flagExtMask) >> flagExtShift
		if int(x) >= len(exts) {
			return fmt.Errorf("bad entry flags %#x", flags)
		}
		k = append(k, exts[x]...)
		var m ObjectMark
		if m, b, err = readMark(b, flags, base); err != nil {
			return err
		}
		out[string(k)] = m
		key = k
	}
	return nil
}

var errTruncated = errors.New("truncated entry")

func appendRawName(b []byte, name string) []byte {
	b = binary.AppendUvarint(b, uint64(len(name)))
	return append(b, name...)
}

func readRaw(b []byte) (string, []byte, error) {
	l, n := binary.Uvarint(b)
	if n <= 0 || uint64(len(b)-n) < l {
		return "", nil, errTruncated
	}
	return string(b[n : n+int(l)]), b[n+int(l):], nil
}

func readVarint(b []byte) (int64, []byte, error) {
	v, n := binary.Varint(b)
	if n <= 0 {
		return 0, nil, errTruncated
	}
	return v, b[n:], nil
}

func sortedNames[E any](m map[string]E) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// digestBytes reads a digest string (see Digest, LegacyDigest).
func digestBytes(d string) (alg byte, raw [16]byte, ok bool) {
	alg, h := byte(algSHA256), d
	if rest, isX := strings.CutPrefix(d, xxh3Prefix); isX {
		alg, h = algXXH3, rest
	}
	if len(h) != 32 {
		return 0, raw, false
	}
	if _, err := hex.Decode(raw[:], []byte(h)); err != nil || hex.EncodeToString(raw[:]) != h {
		return 0, raw, false
	}
	return alg, raw, true
}

func digestString(alg byte, raw []byte) string {
	h := hex.EncodeToString(raw)
	if alg == algXXH3 {
		return xxh3Prefix + h
	}
	return h
}

// folderEntry is an entry of a ledger folder row: the counted object and,
// when the path marks of the row's owner (see markObjects) are folded in,
// the mark of the file it was read from (its name is the entry's name and
// the suffix exts[Ext]).
type folderEntry struct {
	LedgerEntry
	Marked bool
	Ext    uint8
	Mark   ObjectMark
}

const flagMarked = 0x08 // ledger entry: a folded mark follows the digest

// encodeLedgerBin writes the ledger entries of folder dir (schema 8).
func encodeLedgerBin(dir string, m map[string]LedgerEntry) []byte {
	f := make(map[string]folderEntry, len(m))
	for n, e := range m {
		f[n] = folderEntry{LedgerEntry: e}
	}
	return encodeFolder(dir, f)
}

// encodeFolder writes a ledger folder row's entries with their folded marks.
func encodeFolder(dir string, m map[string]folderEntry) []byte {
	prefix, base := deliveryPrefix(dir), dayBase(dir)
	b := make([]byte, 1, 1+len(m)*42)
	b[0] = binFormat
	for _, name := range sortedNames(m) {
		e := m[name]
		alg, raw, ok := digestBytes(e.Digest)
		if !ok {
			alg = algNone // "" (schema 3) or, never written by seiri, a digest of another form
		}
		at := len(b)
		b = append(b, alg)
		var packed bool
		if b, packed = packName(b, prefix, name); packed {
			b[at] |= flagPacked
		} else {
			b = appendRawName(b, name)
		}
		b = binary.AppendVarint(b, e.Size)
		if alg != algNone {
			b = append(b, raw[:]...)
		}
		if e.Marked {
			b[at] |= flagMarked | e.Ext<<flagExtShift
			b = appendMark(b, at, base, e.Mark)
		}
	}
	return b
}

// appendMark appends a mark to the entry whose flags are b[at].
func appendMark(b []byte, at int, base int64, m ObjectMark) []byte {
	b = binary.AppendVarint(b, m.Size)
	b = binary.AppendVarint(b, m.MTime.Unix()-base)
	if isHexMD5(m.ETag) {
		b[at] |= flagETagMD5
		var raw [16]byte
		hex.Decode(raw[:], []byte(m.ETag))
		return append(b, raw[:]...)
	}
	return appendRawName(b, m.ETag)
}

func readMark(b []byte, flags byte, base int64) (ObjectMark, []byte, error) {
	var m ObjectMark
	var mt int64
	var err error
	if m.Size, b, err = readVarint(b); err == nil {
		mt, b, err = readVarint(b)
	}
	if err != nil {
		return m, nil, err
	}
	m.MTime = time.Unix(mt+base, 0).UTC()
	if flags&flagETagMD5 != 0 {
		if len(b) < 16 {
			return m, nil, errTruncated
		}
		m.ETag = hex.EncodeToString(b[:16])
		return m, b[16:], nil
	}
	m.ETag, b, err = readRaw(b)
	return m, b, err
}

func decodeLedgerBin(dir string, blob []byte, into map[string]LedgerEntry) error {
	return decodeFolder(dir, blob, func(name string, e folderEntry) { into[name] = e.LedgerEntry })
}

// decodeFolder reads a ledger folder row (binary, or the text of schemas 4
// to 7, which has no marks), calling f per entry.
func decodeFolder(dir string, blob []byte, f func(name string, e folderEntry)) error {
	if len(blob) == 0 || blob[0] != binFormat {
		m := map[string]LedgerEntry{}
		if err := decodeLedger(dir, blob, m); err != nil {
			return err
		}
		for n, e := range m {
			f(n, folderEntry{LedgerEntry: e})
		}
		return nil
	}
	prefix, base := deliveryPrefix(dir), dayBase(dir)
	b := blob[1:]
	for len(b) > 0 {
		flags := b[0]
		b = b[1:]
		var name string
		var err error
		if flags&flagPacked != 0 {
			name, b, err = unpackName(prefix, b)
		} else {
			name, b, err = readRaw(b)
		}
		if err != nil {
			return err
		}
		var e folderEntry
		if e.Size, b, err = readVarint(b); err != nil {
			return fmt.Errorf("%w for %q", err, trim(name))
		}
		switch alg := flags & flagAlgMask; alg {
		case algNone:
		case algSHA256, algXXH3:
			if len(b) < 16 {
				return fmt.Errorf("%w for %q", errTruncated, trim(name))
			}
			e.Digest = digestString(alg, b[:16])
			b = b[16:]
		default:
			return fmt.Errorf("bad entry flags %#x for %q", flags, trim(name))
		}
		if flags&flagMarked != 0 {
			e.Marked, e.Ext = true, (flags&flagExtMask)>>flagExtShift
			if int(e.Ext) >= len(exts) {
				return fmt.Errorf("bad entry flags %#x for %q", flags, trim(name))
			}
			if e.Mark, b, err = readMark(b, flags, base); err != nil {
				return fmt.Errorf("%w for %q", err, trim(name))
			}
		}
		f(name, e)
	}
	return nil
}

// dayBase is the first second of the day of a delivery folder (the base of
// its marks' times), or 0.
func dayBase(dir string) int64 {
	if deliveryPrefix(dir) == "" {
		return 0
	}
	p := dir[len(dir)-len("YYYY/MM/DD"):]
	t, err := time.Parse("2006/01/02", p)
	if err != nil {
		return 0
	}
	return t.Unix()
}

func isHexMD5(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// encodeMarksBin writes the marks of scanned folder dir (schema 8), keyed
// by file name.
func encodeMarksBin(dir string, m map[string]ObjectMark) []byte {
	prefix, base := deliveryPrefix(dir), dayBase(dir)
	b := make([]byte, 1, 1+len(m)*24)
	b[0] = binFormat
	for _, name := range sortedNames(m) {
		e := m[name]
		at := len(b)
		b = append(b, 0)
		packed := false
		for x := len(exts) - 1; x >= 0 && !packed; x-- {
			if stem, ok := strings.CutSuffix(name, exts[x]); ok {
				if b, packed = packName(b, prefix, stem); packed {
					b[at] |= flagPacked | byte(x)<<flagExtShift
				}
			}
		}
		if !packed {
			b = appendRawName(b, name)
		}
		b = appendMark(b, at, base, e)
	}
	return b
}

// decodeMarksBin reads the marks of folder dir into into, keyed by path
// (dir/name) or, with names, by name.
func decodeMarksBin(dir string, names bool, blob []byte, into map[string]ObjectMark) error {
	prefix, base := deliveryPrefix(dir), dayBase(dir)
	b := blob[1:]
	for len(b) > 0 {
		flags := b[0]
		b = b[1:]
		var name string
		var err error
		if flags&flagPacked != 0 {
			x := (flags & flagExtMask) >> flagExtShift
			if int(x) >= len(exts) {
				return fmt.Errorf("bad entry flags %#x", flags)
			}
			name, b, err = unpackName(prefix, b)
			name += exts[x]
		} else {
			name, b, err = readRaw(b)
		}
		if err != nil {
			return err
		}
		var m ObjectMark
		if m, b, err = readMark(b, flags, base); err != nil {
			return fmt.Errorf("%w for %q", err, trim(name))
		}
		if !names {
			name = joinKey(dir, name)
		}
		into[name] = m
	}
	return nil
}
