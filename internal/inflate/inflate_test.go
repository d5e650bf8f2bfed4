package inflate

import (
	"bytes"
	stdflate "compress/flate"
	stdgzip "compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	kpflate "github.com/klauspost/compress/flate"
	kpgzip "github.com/klauspost/compress/gzip"
)

// stdGunzip is the reference: Go's compress/gzip, multi-member, reading
// at most limit bytes (more is reported as too large).
func stdGunzip(src []byte, limit int64) ([]byte, error) {
	zr, err := stdgzip.NewReader(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return out, err
	}
	if int64(len(out)) > limit {
		return out, ErrTooLarge
	}
	return out, nil
}

// same checks that Gunzip agrees with compress/gzip on src: the same bytes
// when it succeeds, an error when it fails. It returns whether the input
// was valid.
func same(t testing.TB, d *Decoder, src []byte) bool {
	t.Helper()
	limit := d.MaxSize
	if limit <= 0 {
		limit = 1 << 40
	}
	want, werr := stdGunzip(src, limit)
	got, err := d.Gunzip(nil, src)
	switch {
	case werr == nil && err != nil:
		t.Fatalf("compress/gzip decodes %d bytes (%x...), Gunzip fails: %v", len(src), head(src), err)
	case werr != nil && err == nil:
		t.Fatalf("compress/gzip fails (%v) on %d bytes (%x...), Gunzip returns %d bytes", werr, len(src), head(src), len(got))
	case werr == nil && !bytes.Equal(got, want):
		t.Fatalf("Gunzip differs from compress/gzip on %d bytes (%x...): %d bytes, want %d; first difference at %d", len(src), head(src), len(got), len(want), firstDiff(got, want))
	case err != nil:
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v (%T) is not an *inflate.Error", err, err)
		}
		if e.Offset < 0 || e.Offset > int64(len(src)) {
			t.Fatalf("error offset %d outside the input (%d bytes): %v", e.Offset, len(src), err)
		}
	}
	return werr == nil
}

func head(b []byte) []byte { return b[:min(len(b), 16)] }

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// inputs are data of the shapes a compressor meets: empty, tiny, random
// (stored blocks), runs (distance 1), short periods (distances 2-7),
// text-like and JSON-like data (all code lengths, long and far matches).
func inputs() map[string][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	m := map[string][]byte{
		"empty": {},
		"one":   {'x'},
		"two":   []byte("ab"),
		"zeros": make([]byte, 300000),
	}
	rnd := make([]byte, 200000)
	for i := range rnd {
		rnd[i] = byte(r.Uint32())
	}
	m["random"] = rnd
	for p := 2; p <= 9; p++ {
		b := make([]byte, 5000+p)
		for i := range b {
			b[i] = byte('a' + i%p)
		}
		m[fmt.Sprintf("period%d", p)] = b
	}
	words := strings.Fields("the quick brown fox jumps over lazy dog eventName AssumeRole userIdentity arn:aws:iam::123456789012:role/Admin sourceIPAddress 10.0.0.1 us-east-1 eu-west-1 requestParameters null true false { } [ ] \" , :")
	var sb strings.Builder
	for sb.Len() < 400000 {
		sb.WriteString(words[r.IntN(len(words))])
		if r.IntN(7) == 0 {
			fmt.Fprintf(&sb, "%d", r.Uint64())
		}
		sb.WriteByte(" \n,:"[r.IntN(4)])
	}
	m["text"] = []byte(sb.String())
	var js strings.Builder
	js.WriteString(`{"Records":[`)
	for i := range 3000 {
		if i > 0 {
			js.WriteByte(',')
		}
		fmt.Fprintf(&js, `{"eventVersion":"1.08","eventTime":"2024-03-04T%02d:%02d:%02dZ","eventName":"%s","awsRegion":"%s","requestID":"%016x","sourceIPAddress":"10.%d.%d.%d"}`,
			r.IntN(24), r.IntN(60), r.IntN(60), words[r.IntN(len(words))], words[10+r.IntN(2)], r.Uint64(), r.IntN(256), r.IntN(256), r.IntN(256))
	}
	js.WriteString(`]}`)
	m["json"] = []byte(js.String())
	// Skewed bytes: long codes (up to 15 bits) and sub-tables.
	sk := make([]byte, 300000)
	for i := range sk {
		v := r.ExpFloat64() * 6
		sk[i] = byte(min(v, 255))
	}
	m["skewed"] = sk
	return m
}

func stdCompress(t testing.TB, data []byte, level int) []byte {
	return compress(t, data, func(w io.Writer) (io.WriteCloser, error) { return stdgzip.NewWriterLevel(w, level) })
}

func kpCompress(t testing.TB, data []byte, level int) []byte {
	return compress(t, data, func(w io.Writer) (io.WriteCloser, error) { return kpgzip.NewWriterLevel(w, level) })
}

// compress gzips data with the writer newW makes.
func compress(t testing.TB, data []byte, newW func(io.Writer) (io.WriteCloser, error)) []byte {
	var b bytes.Buffer
	w, err := newW(&b)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGunzipStdlibLevels: data compressed by compress/gzip at every level
// (Huffman only, default, 0-9) decodes to the same bytes as compress/gzip.
func TestGunzipStdlibLevels(t *testing.T) {
	var d Decoder
	for name, data := range inputs() {
		for level := stdgzip.HuffmanOnly; level <= stdgzip.BestCompression; level++ {
			src := stdCompress(t, data, level)
			if !same(t, &d, src) {
				t.Fatalf("%s level %d: compress/gzip rejects its own output", name, level)
			}
			got, _ := d.Gunzip(nil, src)
			if !bytes.Equal(got, data) {
				t.Fatalf("%s level %d: round trip differs", name, level)
			}
		}
	}
}

// TestGunzipKlauspostLevels: the same with klauspost/compress's encoders,
// whose block splitting and code choices differ.
func TestGunzipKlauspostLevels(t *testing.T) {
	var d Decoder
	for name, data := range inputs() {
		for _, level := range []int{kpgzip.StatelessCompression, kpgzip.HuffmanOnly, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9} {
			src := kpCompress(t, data, level)
			if !same(t, &d, src) {
				t.Fatalf("%s level %d: compress/gzip rejects klauspost's output", name, level)
			}
		}
	}
}

// TestInflateRaw: raw DEFLATE streams (compress/flate, every level, and
// flushes that make empty stored blocks) decode to the data, and the
// consumed count points just past the stream.
func TestInflateRaw(t *testing.T) {
	var d Decoder
	for name, data := range inputs() {
		for level := stdflate.HuffmanOnly; level <= stdflate.BestCompression; level++ {
			var b bytes.Buffer
			w, _ := stdflate.NewWriter(&b, level)
			half := len(data) / 2
			w.Write(data[:half])
			w.Flush() // an empty stored block mid-stream
			w.Write(data[half:])
			w.Close()
			n := b.Len()
			b.WriteString("trailing bytes")
			got, used, err := d.Inflate([]byte("prefix:"), b.Bytes())
			if err != nil {
				t.Fatalf("%s level %d: %v", name, level, err)
			}
			if !bytes.Equal(got, append([]byte("prefix:"), data...)) {
				t.Fatalf("%s level %d: output differs at %d", name, level, firstDiff(got[7:], data))
			}
			if used != n {
				t.Fatalf("%s level %d: consumed %d bytes, the stream is %d", name, level, used, n)
			}
		}
		var b bytes.Buffer
		w, _ := kpflate.NewWriter(&b, 5)
		w.Write(data)
		w.Close()
		got, _, err := d.Inflate(nil, b.Bytes())
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s klauspost level 5: %v, equal %v", name, err, bytes.Equal(got, data))
		}
	}
}

func corpusFiles(t testing.TB) map[string][]byte {
	paths, err := filepath.Glob("testdata/*.json.gz")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no testdata/*.json.gz: %v", err)
	}
	m := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m[filepath.Base(p)] = b
	}
	return m
}

// TestGunzipCorpusFiles: CloudTrail log files of the benchmark corpus
// (ctgen, written by Go's gzip) decode as compress/gzip decodes them, and
// so do every truncation and single-byte corruption of the smallest one.
func TestGunzipCorpusFiles(t *testing.T) {
	var d Decoder
	var smallest []byte
	for name, src := range corpusFiles(t) {
		if !same(t, &d, src) {
			t.Fatalf("%s: not valid gzip", name)
		}
		if smallest == nil || len(src) < len(smallest) {
			smallest = src
		}
	}
	for n := range len(smallest) {
		if same(t, &d, smallest[:n]) {
			t.Fatalf("truncated to %d of %d bytes: accepted", n, len(smallest))
		}
	}
	c := bytes.Clone(smallest)
	for i := range c {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			c[i] ^= x
			same(t, &d, c)
			c[i] ^= x
		}
	}
}

// TestGunzipTruncatedCorrupt: every prefix and random corruptions of
// compressed data of several shapes agree with compress/gzip.
func TestGunzipTruncatedCorrupt(t *testing.T) {
	var d Decoder
	r := rand.New(rand.NewPCG(3, 4))
	in := inputs()
	for _, name := range []string{"json", "period3", "random", "skewed"} {
		data := in[name][:min(len(in[name]), 20000)]
		for _, level := range []int{stdgzip.NoCompression, stdgzip.HuffmanOnly, 1, 9} {
			src := stdCompress(t, data, level)
			for n := 0; n < len(src); n += 1 + n/64 {
				same(t, &d, src[:n])
			}
			for range 300 {
				c := bytes.Clone(src)
				for range 1 + r.IntN(3) {
					c[r.IntN(len(c))] ^= byte(1 << r.IntN(8))
				}
				same(t, &d, c)
			}
		}
	}
}

// member builds a gzip member by hand with the given flags.
func handMember(t testing.TB, data []byte, flg byte, extra []byte, name, comment string, hcrc bool) []byte {
	var b bytes.Buffer
	b.Write([]byte{0x1f, 0x8b, 8, flg, 1, 2, 3, 4, 0, 3})
	if flg&flagExtra != 0 {
		binary.Write(&b, binary.LittleEndian, uint16(len(extra)))
		b.Write(extra)
	}
	if flg&flagName != 0 {
		b.WriteString(name)
		b.WriteByte(0)
	}
	if flg&flagComment != 0 {
		b.WriteString(comment)
		b.WriteByte(0)
	}
	if hcrc {
		binary.Write(&b, binary.LittleEndian, uint16(crc32.ChecksumIEEE(b.Bytes())))
	}
	w, _ := stdflate.NewWriter(&b, 6)
	w.Write(data)
	w.Close()
	binary.Write(&b, binary.LittleEndian, crc32.ChecksumIEEE(data))
	binary.Write(&b, binary.LittleEndian, uint32(len(data)))
	return b.Bytes()
}

// TestGunzipHeaders: FEXTRA, FNAME, FCOMMENT and FHCRC, reserved flags,
// the 511-byte name limit of compress/gzip, a bad header CRC, and
// multi-member files (with an empty member and trailing garbage).
func TestGunzipHeaders(t *testing.T) {
	var d Decoder
	data := []byte(`{"Records":[{"eventName":"GetObject"}]}`)
	all := byte(flagExtra | flagName | flagComment | flagHCRC)
	valid := map[string][]byte{
		"plain":           handMember(t, data, 0, nil, "", "", false),
		"all flags":       handMember(t, data, all, []byte("AB\x04\x00xyzw"), "file.json", "a comment", true),
		"reserved flags":  handMember(t, data, 0xe0|flagName, nil, "n", "", false),
		"name 511 bytes":  handMember(t, data, flagName, nil, strings.Repeat("n", 511), "", false),
		"latin-1 comment": handMember(t, data, flagComment, nil, "", "caf\xe9", false),
		"two members":     append(handMember(t, data, 0, nil, "", "", false), handMember(t, []byte("second"), flagName, nil, "b", "", false)...),
		"empty member":    append(handMember(t, nil, 0, nil, "", "", false), handMember(t, data, 0, nil, "", "", false)...),
	}
	for name, src := range valid {
		if !same(t, &d, src) {
			t.Errorf("%s: compress/gzip rejects it", name)
		}
	}
	badCRC := handMember(t, data, all, []byte("x"), "f", "c", true)
	badCRC[bytes.IndexByte(badCRC[10:], 'c')+10] = 'd'
	invalid := map[string]struct {
		src  []byte
		kind error
		off  int64
	}{
		"name 512 bytes":   {handMember(t, data, flagName, nil, strings.Repeat("n", 512), "", false), ErrHeader, 10},
		"bad header CRC":   {badCRC, ErrHeader, -1},
		"bad magic":        {append([]byte{0x1f, 0x8c}, valid["plain"][2:]...), ErrHeader, 0},
		"method 7":         {append([]byte{0x1f, 0x8b, 7}, valid["plain"][3:]...), ErrHeader, 2},
		"trailing garbage": {append(bytes.Clone(valid["plain"]), 0, 0, 0), ErrTruncated, -1},
		"trailing member start": {append(bytes.Clone(valid["plain"]), 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0),
			ErrTruncated, -1},
		"bad crc":    {flip(valid["plain"], len(valid["plain"])-8), ErrChecksum, int64(len(valid["plain"]) - 8)},
		"bad size":   {flip(valid["plain"], len(valid["plain"])-4), ErrChecksum, int64(len(valid["plain"]) - 4)},
		"empty":      {nil, ErrTruncated, 0},
		"not gzip":   {[]byte(`{"Records":[]}` + strings.Repeat(" ", 20)), ErrHeader, 0},
		"header cut": {valid["all flags"][:15], ErrTruncated, 15},
	}
	for name, c := range invalid {
		if same(t, &d, c.src) {
			t.Errorf("%s: compress/gzip accepts it", name)
			continue
		}
		_, err := d.Gunzip(nil, c.src)
		var e *Error
		if !errors.Is(err, c.kind) || !errors.As(err, &e) {
			t.Errorf("%s: error %v, want %v", name, err, c.kind)
			continue
		}
		if c.off >= 0 && e.Offset != c.off {
			t.Errorf("%s: error at byte %d, want %d (%v)", name, e.Offset, c.off, err)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x55
	return c
}

// bits writes a hand-made DEFLATE stream least significant bit first.
type bitWriter struct {
	b   []byte
	acc uint64
	n   uint
}

func (w *bitWriter) put(v uint64, n uint) {
	w.acc |= v << w.n
	w.n += n
	for w.n >= 8 {
		w.b = append(w.b, byte(w.acc))
		w.acc >>= 8
		w.n -= 8
	}
}

// code writes a Huffman code of n bits (most significant bit first).
func (w *bitWriter) code(c uint64, n uint) { w.put(uint64(reverse(uint32(c), n)), n) }

func (w *bitWriter) bytes() []byte {
	if w.n > 0 {
		return append(w.b, byte(w.acc))
	}
	return w.b
}

// fixed codes: literal 0-143 are 8 bits from 0x30; 256-279 7 bits from 0;
// 280-287 8 bits from 0xc0. Distances: 5 bits.
func (w *bitWriter) lit(c byte) {
	if c < 144 {
		w.code(0x30+uint64(c), 8)
	} else {
		w.code(0x190+uint64(c-144), 9)
	}
}

// TestInflateHandMade: streams no compressor writes, decoded as
// compress/flate decodes them: a distance reaching before the output, the
// reserved block type, codes 286/287 and distance codes 30/31, a dynamic
// block with a one-code distance tree, and a match with distance 1..8.
func TestInflateHandMade(t *testing.T) {
	var d Decoder
	check := func(name string, src []byte, wantKind error) {
		t.Helper()
		want, werr := io.ReadAll(stdflate.NewReader(bytes.NewReader(src)))
		got, _, err := d.Inflate(nil, src)
		switch {
		case werr == nil && err == nil:
			if !bytes.Equal(got, want) {
				t.Errorf("%s: %q, compress/flate %q", name, got, want)
			}
		case (werr == nil) != (err == nil):
			t.Errorf("%s: error %v, compress/flate %v", name, err, werr)
		}
		if wantKind != nil && !errors.Is(err, wantKind) {
			t.Errorf("%s: error %v, want %v", name, err, wantKind)
		}
		if wantKind == nil && err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, dist := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 100, 4097} {
		var w bitWriter
		w.put(1, 1) // final
		w.put(1, 2) // fixed
		for i := range 5000 {
			w.lit(byte('a' + i%23))
		}
		w.code(279-256, 7) // length code 279: base 99, 4 extra bits
		w.put(7, 4)        // 106
		c := 0
		for c+1 < len(distBase) && int(distBase[c+1]) <= dist {
			c++
		}
		w.code(uint64(c), 5)
		w.put(uint64(dist-int(distBase[c])), uint(distExtra[c]))
		w.code(0, 7) // end of block
		check(fmt.Sprintf("distance %d", dist), w.bytes(), nil)
	}
	{
		var w bitWriter
		w.put(1, 1)
		w.put(1, 2)
		w.lit('a')
		w.code(257-256, 7) // length 3
		w.code(1, 5)       // distance 2: one byte of output only
		w.code(0, 7)
		check("distance too far", w.bytes(), ErrCorrupt)
	}
	check("block type 3", []byte{0x07, 0, 0}, ErrCorrupt)
	for _, c := range []uint64{286, 287} {
		var w bitWriter
		w.put(1, 1)
		w.put(1, 2)
		w.code(0xc0+c-280, 8)
		w.code(0, 7)
		check(fmt.Sprintf("literal/length code %d", c), w.bytes(), ErrCorrupt)
	}
	for _, c := range []uint64{30, 31} {
		var w bitWriter
		w.put(1, 1)
		w.put(1, 2)
		w.lit('a')
		w.code(1, 7)
		w.code(c, 5)
		w.code(0, 7)
		check(fmt.Sprintf("distance code %d", c), w.bytes(), ErrCorrupt)
	}
	check("stored, bad complement", []byte{0x01, 3, 0, 0xfc, 0xfe, 'a', 'b', 'c'}, ErrCorrupt)
	check("stored", []byte{0x01, 3, 0, 0xfc, 0xff, 'a', 'b', 'c'}, nil)
	check("stored, cut", []byte{0x01, 3, 0, 0xfc, 0xff, 'a', 'b'}, ErrTruncated)
	check("empty", nil, ErrTruncated)
	check("no final block", []byte{0x00, 0, 0, 0xff, 0xff}, ErrTruncated)

	// A dynamic block whose distance tree has one code of length 1 (zlib
	// writes these), then the same with that code's unused bit pattern.
	for _, useBad := range []bool{false, true} {
		var w bitWriter
		w.put(1, 1)
		w.put(2, 2)
		w.put(1, 5)  // 258 literal/length codes
		w.put(0, 5)  // 1 distance code
		w.put(14, 4) // 18 code length code lengths
		// Code length code: symbols 1, 2 (lengths of our codes) and 18
		// (runs of zeros), 0 and 17 unused... give 1, 2, 18 lengths 2, 2, 1.
		cl := map[int]uint64{18: 1, 1: 2, 2: 2}
		order := codeOrder
		for i := range 18 {
			w.put(cl[int(order[i])], 3)
		}
		// Canonical code length code: 18 -> "0", 1 -> "10", 2 -> "11".
		sym := func(s int) {
			switch s {
			case 18:
				w.code(0, 1)
			case 1:
				w.code(2, 2)
			case 2:
				w.code(3, 2)
			}
		}
		// Literal/length lengths: 'a' (97) = 1, 256 = 2, 257 = 2.
		sym(18)
		w.put(97-11, 7) // 97 zeros
		sym(1)          // 'a': 1 bit
		sym(18)
		w.put(138-11, 7) // zeros 98-235
		sym(18)
		w.put(20-11, 7) // zeros 236-255
		sym(2)          // 256: 2 bits
		sym(2)          // 257: 2 bits
		sym(1)          // distance code 0: 1 bit (the only one)
		w.code(0, 1)    // 'a'
		w.code(3, 2)    // 257: length 3
		if useBad {
			w.code(1, 1) // not a distance code
		} else {
			w.code(0, 1) // distance 1
		}
		w.code(2, 2) // end of block
		want := error(nil)
		if useBad {
			want = ErrCorrupt
		}
		check(fmt.Sprintf("one-code distance tree, bad=%v", useBad), w.bytes(), want)
	}
}

// TestMaxSize: the output limit stops a bomb (a megabyte of zeros from a
// kilobyte) with ErrTooLarge, and an output at the limit passes.
func TestMaxSize(t *testing.T) {
	data := make([]byte, 1<<20)
	src := stdCompress(t, data, 9)
	d := Decoder{MaxSize: 1 << 20}
	if got, err := d.Gunzip(nil, src); err != nil || len(got) != 1<<20 {
		t.Fatalf("at the limit: %d bytes, %v", len(got), err)
	}
	d.MaxSize = 1<<20 - 1
	if _, err := d.Gunzip(nil, src); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("one byte over: %v, want ErrTooLarge", err)
	}
	stored := stdCompress(t, data[:100000], 0)
	d.MaxSize = 99999
	if _, err := d.Gunzip(nil, stored); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("stored, one byte over: %v, want ErrTooLarge", err)
	}
	// Two members: the limit is on the whole output.
	two := append(stdCompress(t, data[:600000], 6), stdCompress(t, data[:600000], 6)...)
	d.MaxSize = 1 << 20
	if _, err := d.Gunzip(nil, two); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("two members over the limit: %v, want ErrTooLarge", err)
	}
}

// TestSizeHint: a wrong ISIZE hint (the last member's size, so any
// multi-member file with a small last member) only costs a regrowth, and
// dst's prefix and spare capacity are used.
func TestSizeHint(t *testing.T) {
	var d Decoder
	in := inputs()
	src := append(stdCompress(t, in["json"], 6), stdCompress(t, []byte("tail"), 6)...)
	got, err := d.Gunzip([]byte("keep:"), src)
	if err != nil || !bytes.Equal(got, append(append([]byte("keep:"), in["json"]...), "tail"...)) {
		t.Fatalf("small last member: %v", err)
	}
	buf := make([]byte, 0, len(in["text"])+slack)
	got, err = d.Gunzip(buf, stdCompress(t, in["text"], 6))
	if err != nil || !bytes.Equal(got, in["text"]) || &got[0] != &buf[:1][0] {
		t.Fatalf("dst with room: %v, reused %v", err, err == nil && &got[0] == &buf[:1][0])
	}
}

// FuzzInflate: on any input, Gunzip succeeds exactly when compress/gzip
// does, with the same bytes, never panics, and as raw DEFLATE agrees with
// compress/flate's output whenever that succeeds.
func FuzzInflate(f *testing.F) {
	for _, src := range corpusFiles(f) {
		if len(src) < 5000 {
			f.Add(src)
		}
	}
	for _, name := range []string{"one", "two", "period3", "period8", "json"} {
		data := inputs()[name]
		data = data[:min(len(data), 3000)]
		for _, level := range []int{-2, 0, 1, 6, 9} {
			f.Add(stdCompress(f, data, level))
		}
		f.Add(kpCompress(f, data, 5))
	}
	f.Add(handMember(f, []byte("abc"), flagExtra|flagName|flagComment|flagHCRC, []byte("x"), "n", "c", true))
	f.Fuzz(func(t *testing.T, src []byte) {
		d := Decoder{MaxSize: 1 << 22}
		same(t, &d, src)
		want, werr := io.ReadAll(io.LimitReader(stdflate.NewReader(bytes.NewReader(src)), 1<<22+1))
		got, _, err := d.Inflate(nil, src)
		if werr == nil && len(want) <= 1<<22 {
			if err != nil {
				t.Fatalf("compress/flate decodes %d bytes, Inflate fails: %v", len(want), err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Inflate differs from compress/flate at %d", firstDiff(got, want))
			}
		}
		if werr != nil && err == nil {
			t.Fatalf("compress/flate fails (%v), Inflate returns %d bytes", werr, len(got))
		}
	})
}
