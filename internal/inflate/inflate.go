package inflate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Error kinds; a returned error is an *Error that wraps one of them
// (errors.Is).
var (
	// ErrCorrupt: the DEFLATE data is invalid (bad block type, bad code
	// lengths, a code that is not in the tree, a distance before the start
	// of the output, a stored block whose length check fails).
	ErrCorrupt = errors.New("corrupt deflate data")
	// ErrTruncated: the input ends before the data does.
	ErrTruncated = errors.New("unexpected end of input")
	// ErrHeader: a gzip member header is invalid, or bytes follow the last
	// member that do not start another.
	ErrHeader = errors.New("invalid gzip header")
	// ErrChecksum: a gzip member's CRC-32 or size (ISIZE) does not match
	// its data.
	ErrChecksum = errors.New("gzip checksum mismatch")
	// ErrTooLarge: the output would exceed Decoder.MaxSize.
	ErrTooLarge = errors.New("output larger than the limit")
)

// Error is a decoding error: what is wrong and the byte offset in the
// input where it was found.
type Error struct {
	Err    error  // one of the Err* kinds
	Detail string // what exactly, may be empty
	Offset int64  // byte offset in the input
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("inflate: %v at byte %d", e.Err, e.Offset)
	}
	return fmt.Sprintf("inflate: %v: %s at byte %d", e.Err, e.Detail, e.Offset)
}

func (e *Error) Unwrap() error { return e.Err }

func errAt(kind error, off int, detail string) *Error {
	return &Error{Err: kind, Detail: detail, Offset: int64(off)}
}

// slack is the room kept past the output's last byte so that one symbol
// (a match of up to 258 bytes copied 8 bytes at a time) needs no check.
const slack = 258 + 8

// Decoder decodes DEFLATE and gzip data held whole in memory. It holds the
// Huffman tables (~45 KB), so reuse one per goroutine; it is not safe for
// concurrent use. The zero value is ready.
type Decoder struct {
	// MaxSize caps the decompressed size in bytes (the whole output of a
	// call, all gzip members together): beyond it decoding stops with
	// ErrTooLarge. Zero or negative: no cap. A guard against a small
	// input that expands enormously.
	MaxSize int64

	lit  [litTableSize]uint32
	dist [distTableSize]uint32
	clen [1 << clenBits]uint32
	lens [286 + 30]uint8
}

func (d *Decoder) limit() int {
	if d.MaxSize <= 0 || d.MaxSize > math.MaxInt/2 {
		return math.MaxInt / 2
	}
	return int(d.MaxSize)
}

// Inflate decodes one raw DEFLATE stream (RFC 1951) from the start of src,
// appending it to dst. It returns the extended slice and how many bytes of
// src the stream took (bytes after it are left alone).
func (d *Decoder) Inflate(dst, src []byte) ([]byte, int, error) {
	base := len(dst)
	out := dst[:cap(dst)]
	out, op, end, err := d.inflate(out, base, src, 0, base+d.limit())
	return out[:op], end, err
}

// bitReader reads bits least significant first from src.
type bitReader struct {
	src  []byte
	pos  int    // next byte of src to load into bb
	bb   uint64 // bits, the next one lowest; bits at nb and above may hold the following bytes or zeros
	nb   uint   // valid bits in bb
	over int    // zero bytes loaded past the end of src
}

// refill makes nb at least 56.
func (r *bitReader) refill() {
	if r.pos <= len(r.src)-8 {
		r.bb |= binary.LittleEndian.Uint64(r.src[r.pos:]) << (r.nb & 63)
		r.pos += int((63 - r.nb) >> 3)
		r.nb |= 56
		return
	}
	for r.nb <= 56 {
		if r.pos < len(r.src) {
			r.bb |= uint64(r.src[r.pos]) << (r.nb & 63)
			r.pos++
		} else {
			r.over++
		}
		r.nb += 8
	}
}

// overrun reports whether bits past the end of src were consumed.
func (r *bitReader) overrun() bool { return int(r.nb) < 8*r.over }

// offset is the byte offset of the next unconsumed bit.
func (r *bitReader) offset() int {
	if r.overrun() {
		return len(r.src)
	}
	return r.pos - (int(r.nb)-8*r.over+7)/8
}

// align drops the bits up to the next byte boundary and returns the byte
// position there; the reader is empty afterwards.
func (r *bitReader) align() int {
	p := r.pos - (int(r.nb)-8*r.over)/8
	r.bb, r.nb, r.over = 0, 0, 0
	r.pos = p
	return p
}

func (r *bitReader) consume(n uint) {
	r.bb >>= n & 63
	r.nb -= n
}

// grow returns out with at least need+slack bytes of room after op, or
// false when the output would pass limit (an index into out: the end of the
// allowed output).
func grow(out []byte, op, need, limit int) ([]byte, bool) {
	if op+need > limit {
		return out, false
	}
	n := max(2*len(out), op+need+slack, 4096)
	if n > limit+slack {
		n = max(limit+slack, op+need+slack)
	}
	nb := make([]byte, n)
	copy(nb, out[:op])
	return nb, true
}

// inflate decodes the DEFLATE stream at src[pos:] into out from op on
// (out's length is the room to write in; it is replaced by a bigger one when
// needed). It returns the output, the end of the output, and the byte
// position after the stream.
func (d *Decoder) inflate(out []byte, op int, src []byte, pos int, limit int) ([]byte, int, int, error) {
	br := bitReader{src: src, pos: pos}
	start := op
	for {
		br.refill()
		if br.overrun() {
			return out, op, 0, errAt(ErrTruncated, len(src), "block header")
		}
		final := br.bb&1 != 0
		typ := (br.bb >> 1) & 3
		br.consume(3)
		var err error
		switch typ {
		case 0:
			out, op, err = d.stored(&br, out, op, limit)
		case 1:
			out, op, err = d.decode(&br, out, op, start, limit, &fixedLit, &fixedDist)
		case 2:
			if err = d.header(&br); err == nil {
				out, op, err = d.decode(&br, out, op, start, limit, &d.lit, &d.dist)
			}
		default:
			err = errAt(ErrCorrupt, br.offset(), "block type 3")
		}
		if err != nil {
			return out, op, 0, err
		}
		if final {
			break
		}
	}
	if br.overrun() {
		return out, op, 0, errAt(ErrTruncated, len(src), "")
	}
	if op > limit {
		return out, op, 0, errAt(ErrTooLarge, br.offset(), fmt.Sprintf("more than %d bytes", limit))
	}
	return out, op, br.align(), nil
}

// stored copies a stored block (RFC 1951 section 3.2.4).
func (d *Decoder) stored(br *bitReader, out []byte, op int, limit int) ([]byte, int, error) {
	if br.overrun() {
		return out, op, errAt(ErrTruncated, len(br.src), "stored block")
	}
	p := br.align()
	src := br.src
	if p+4 > len(src) {
		return out, op, errAt(ErrTruncated, len(src), "stored block length")
	}
	n := int(binary.LittleEndian.Uint16(src[p:]))
	nn := int(binary.LittleEndian.Uint16(src[p+2:]))
	if n != ^nn&0xffff {
		return out, op, errAt(ErrCorrupt, p, fmt.Sprintf("stored block length %d does not match its complement %d", n, nn))
	}
	p += 4
	if p+n > len(src) {
		return out, op, errAt(ErrTruncated, len(src), fmt.Sprintf("stored block of %d bytes", n))
	}
	if len(out)-op < n+slack {
		var ok bool
		if out, ok = grow(out, op, n, limit); !ok {
			return out, op, errAt(ErrTooLarge, p, "")
		}
	}
	copy(out[op:], src[p:p+n])
	br.pos = p + n
	return out, op + n, nil
}

// codeOrder is the order of the code length code lengths (RFC 1951
// section 3.2.7).
var codeOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// header reads a dynamic block's code definitions and builds d.lit and
// d.dist.
func (d *Decoder) header(br *bitReader) error {
	br.refill()
	hlit := int(br.bb&31) + 257
	hdist := int(br.bb>>5&31) + 1
	hclen := int(br.bb>>10&15) + 4
	at := br.offset()
	br.consume(14)
	if hlit > 286 {
		return errAt(ErrCorrupt, at, fmt.Sprintf("%d literal/length codes (at most 286)", hlit))
	}
	if hdist > 30 {
		return errAt(ErrCorrupt, at, fmt.Sprintf("%d distance codes (at most 30)", hdist))
	}
	var cl [19]uint8
	br.refill()
	for i := range hclen {
		if br.nb < 3 {
			br.refill()
		}
		cl[codeOrder[i]] = uint8(br.bb & 7)
		br.consume(3)
	}
	if br.overrun() {
		return errAt(ErrTruncated, len(br.src), "code length code")
	}
	if !build(d.clen[:], clenBits, cl[:], &clenEntry) {
		return errAt(ErrCorrupt, at, "invalid code length code")
	}
	lens := d.lens[:hlit+hdist]
	for i := 0; i < len(lens); {
		br.refill()
		if br.overrun() {
			return errAt(ErrTruncated, len(br.src), "code lengths")
		}
		e := d.clen[br.bb&(1<<clenBits-1)]
		if e&entSpecial != 0 {
			return errAt(ErrCorrupt, br.offset(), "code length symbol not in its code")
		}
		br.consume(uint(e & 0xff))
		sym := e >> 16
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var v uint8
		switch sym {
		case 16:
			if i == 0 {
				return errAt(ErrCorrupt, br.offset(), "repeat of the previous code length with none before")
			}
			v = lens[i-1]
			rep = 3 + int(br.bb&3)
			br.consume(2)
		case 17:
			rep = 3 + int(br.bb&7)
			br.consume(3)
		default: // 18
			rep = 11 + int(br.bb&127)
			br.consume(7)
		}
		if i+rep > len(lens) {
			return errAt(ErrCorrupt, br.offset(), "code lengths repeat past the last code")
		}
		for range rep {
			lens[i] = v
			i++
		}
	}
	if br.overrun() {
		return errAt(ErrTruncated, len(br.src), "code lengths")
	}
	if !build(d.lit[:], litPrimaryBits, lens[:hlit], &litEntry) {
		return errAt(ErrCorrupt, br.offset(), "invalid literal/length code")
	}
	if !build(d.dist[:], distPrimaryBits, lens[hlit:], &distEntry) {
		return errAt(ErrCorrupt, br.offset(), "invalid distance code")
	}
	return nil
}

// decode decodes one Huffman-coded block up to its end-of-block code.
//
// Every turn of the loop first refills the bit buffer to at least 56 bits:
// enough for a length code with its extra bits (15+5) and a distance code
// with its extra bits (15+13), or for three literals.
func (d *Decoder) decode(br *bitReader, out []byte, op, start, limit int, lt *[litTableSize]uint32, dt *[distTableSize]uint32) ([]byte, int, error) {
	src := br.src
	pos, bb, nb, over := br.pos, br.bb, br.nb, br.over
	for {
		if pos <= len(src)-8 {
			bb |= binary.LittleEndian.Uint64(src[pos:]) << (nb & 63)
			pos += int((63 - nb) >> 3)
			nb |= 56
		} else {
			if int(nb) < 8*over {
				br.pos, br.bb, br.nb, br.over = pos, bb, nb, over
				return out, op, errAt(ErrTruncated, len(src), "")
			}
			for nb <= 56 {
				if pos < len(src) {
					bb |= uint64(src[pos]) << (nb & 63)
					pos++
				} else {
					over++
				}
				nb += 8
			}
		}
		if op > len(out)-slack {
			var ok bool
			if out, ok = grow(out, op, 0, limit); !ok {
				br.pos, br.bb, br.nb, br.over = pos, bb, nb, over
				return out, op, errAt(ErrTooLarge, br.offset(), fmt.Sprintf("more than %d bytes", limit))
			}
		}
		e := lt[bb&(1<<litPrimaryBits-1)]
		if int32(e) < 0 {
			// A literal, then up to two more without a refill (3×15 bits),
			// written with one 4-byte store (the slack absorbs the extra).
			n := uint(e & 0xff)
			bb >>= n & 63
			nb -= n
			v := e >> 16 & 0xff
			k := 1
			e = lt[bb&(1<<litPrimaryBits-1)]
			if int32(e) < 0 {
				n = uint(e & 0xff)
				bb >>= n & 63
				nb -= n
				v |= e >> 8 & 0xff00
				k = 2
				e = lt[bb&(1<<litPrimaryBits-1)]
				if int32(e) < 0 {
					n = uint(e & 0xff)
					bb >>= n & 63
					nb -= n
					v |= e & 0xff0000
					k = 3
				}
			}
			binary.LittleEndian.PutUint32(out[op:], v)
			op += k
			continue
		}
		if e&entSpecial != 0 {
			if e&entSub != 0 {
				bb >>= litPrimaryBits
				nb -= litPrimaryBits
				e = lt[(e>>16+uint32(bb)&(1<<(e>>8&15)-1))%litTableSize]
				if int32(e) < 0 {
					n := uint(e & 0xff)
					bb >>= n & 63
					nb -= n
					out[op] = byte(e >> 16)
					op++
					continue
				}
			}
			if e&entSpecial != 0 {
				if e&entEOB != 0 {
					n := uint(e & 0xff)
					bb >>= n & 63
					nb -= n
					br.pos, br.bb, br.nb, br.over = pos, bb, nb, over
					if br.overrun() {
						return out, op, errAt(ErrTruncated, len(src), "")
					}
					return out, op, nil
				}
				br.pos, br.bb, br.nb, br.over = pos, bb, nb, over
				return out, op, errAt(ErrCorrupt, br.offset(), "literal/length code not in its code")
			}
		}
		// A length, its extra bits, then a distance.
		n := uint(e & 0xff)
		x := uint(e >> 8 & 15)
		length := int(e>>16) + int(bb>>(n&63)&(1<<x-1))
		bb >>= (n + x) & 63
		nb -= n + x

		e = dt[bb&(1<<distPrimaryBits-1)]
		if e&entSpecial != 0 {
			if e&entSub != 0 {
				bb >>= distPrimaryBits
				nb -= distPrimaryBits
				e = dt[(e>>16+uint32(bb)&(1<<(e>>8&15)-1))%distTableSize]
			}
			if e&entSpecial != 0 {
				br.pos, br.bb, br.nb, br.over = pos, bb, nb, over
				return out, op, errAt(ErrCorrupt, br.offset(), "distance code not in its code")
			}
		}
		n = uint(e & 0xff)
		x = uint(e >> 8 & 15)
		dist := int(e>>16) + int(bb>>(n&63)&(1<<x-1))
		bb >>= (n + x) & 63
		nb -= n + x
		if dist > op-start {
			br.pos, br.bb, br.nb, br.over = pos, bb, nb, over
			return out, op, errAt(ErrCorrupt, br.offset(), fmt.Sprintf("distance %d before the start of the output (%d bytes)", dist, op-start))
		}

		// Copy within the output. Up to 7 bytes past the match's end may be
		// written (slack), to be overwritten by what follows.
		s := op - dist
		switch {
		case dist >= 8:
			// Most matches are short: the first 16 bytes unconditionally.
			w := out[op : op+slack]
			r := out[s : s+slack]
			binary.LittleEndian.PutUint64(w, binary.LittleEndian.Uint64(r))
			if dist >= 16 {
				binary.LittleEndian.PutUint64(w[8:], binary.LittleEndian.Uint64(r[8:]))
			} else {
				binary.LittleEndian.PutUint64(w[8:], binary.LittleEndian.Uint64(out[s+8:]))
			}
			if length > 16 {
				if dist >= length {
					copy(w[16:length], r[16:length]) // no overlap: memmove
				} else {
					for i := 16; i < length; i += 8 {
						binary.LittleEndian.PutUint64(w[i:], binary.LittleEndian.Uint64(out[s+i:]))
					}
				}
			}
		case dist == 1:
			v := uint64(out[s]) * 0x0101010101010101
			for i := 0; i < length; i += 8 {
				binary.LittleEndian.PutUint64(out[op+i:], v)
			}
		default:
			for i := range length {
				out[op+i] = out[s+i]
			}
		}
		op += length
	}
}
