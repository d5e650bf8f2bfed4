package inflate

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// gzip member header flags (RFC 1952 section 2.3.1).
const (
	flagHCRC    = 1 << 1
	flagExtra   = 1 << 2
	flagName    = 1 << 3
	flagComment = 1 << 4
)

// maxHeaderString is the longest file name or comment accepted, with its
// terminating zero byte: Go's compress/gzip reads them into a 512-byte
// buffer and rejects longer ones, and this package accepts exactly what
// compress/gzip accepts.
const maxHeaderString = 512

// Gunzip decodes gzip data (RFC 1952: one or more members, each a header,
// a DEFLATE stream and a trailer with the CRC-32 and size of its data),
// appending the data to dst, and returns the extended slice. src must be
// whole: bytes after the last member that do not form another member are
// an error, as are a bad checksum or size.
//
// The output is allocated once at the size the last member's trailer
// announces (ISIZE, the size mod 2^32) unless dst has room already, and
// grown if that size was wrong.
func (d *Decoder) Gunzip(dst, src []byte) ([]byte, error) {
	if len(src) == 0 {
		return dst, errAt(ErrTruncated, 0, "empty input")
	}
	base := len(dst)
	limit := base + d.limit()
	out := dst[:cap(dst)]
	if len(src) >= 18 {
		// A hint only: capped by DEFLATE's best ratio (1032:1) and the limit.
		hint := int(binary.LittleEndian.Uint32(src[len(src)-4:]))
		hint = min(hint, 1032*len(src), limit-base)
		if len(out)-base < hint+slack {
			nb := make([]byte, base+hint+slack)
			copy(nb, dst)
			out = nb
		}
	}
	op := base
	p := 0
	for {
		q, err := member(src, p)
		if err != nil {
			return out[:op], err
		}
		start := op
		var end int
		out, op, end, err = d.inflate(out, op, src, q, limit)
		if err != nil {
			return out[:op], err
		}
		if end+8 > len(src) {
			return out[:op], errAt(ErrTruncated, len(src), "gzip trailer")
		}
		sum := binary.LittleEndian.Uint32(src[end:])
		size := binary.LittleEndian.Uint32(src[end+4:])
		if got := crc32.ChecksumIEEE(out[start:op]); got != sum {
			return out[:op], errAt(ErrChecksum, end, fmt.Sprintf("CRC-32 %08x, the trailer says %08x", got, sum))
		}
		if got := uint32(op - start); got != size {
			return out[:op], errAt(ErrChecksum, end+4, fmt.Sprintf("size %d mod 2^32 = %d, the trailer says %d", op-start, got, size))
		}
		p = end + 8
		if p == len(src) {
			return out[:op], nil
		}
	}
}

// member checks the gzip member header at src[p:] and returns where its
// DEFLATE data starts.
func member(src []byte, p int) (int, error) {
	h := p
	if len(src)-p < 10 {
		return 0, errAt(ErrTruncated, len(src), "gzip header")
	}
	if src[p] != 0x1f || src[p+1] != 0x8b {
		return 0, errAt(ErrHeader, p, fmt.Sprintf("magic bytes %02x %02x, not 1f 8b", src[p], src[p+1]))
	}
	if src[p+2] != 8 {
		return 0, errAt(ErrHeader, p+2, fmt.Sprintf("compression method %d, not 8 (deflate)", src[p+2]))
	}
	flg := src[p+3]
	p += 10
	if flg&flagExtra != 0 {
		if len(src)-p < 2 {
			return 0, errAt(ErrTruncated, len(src), "gzip extra field length")
		}
		n := int(binary.LittleEndian.Uint16(src[p:]))
		p += 2
		if len(src)-p < n {
			return 0, errAt(ErrTruncated, len(src), fmt.Sprintf("gzip extra field of %d bytes", n))
		}
		p += n
	}
	for _, f := range [2]struct {
		flag byte
		what string
	}{{flagName, "file name"}, {flagComment, "comment"}} {
		if flg&f.flag == 0 {
			continue
		}
		rest := src[p:min(len(src), p+maxHeaderString)]
		i := bytes.IndexByte(rest, 0)
		if i < 0 {
			if len(rest) == maxHeaderString {
				return 0, errAt(ErrHeader, p, fmt.Sprintf("gzip %s longer than %d bytes", f.what, maxHeaderString-1))
			}
			return 0, errAt(ErrTruncated, len(src), "gzip "+f.what)
		}
		p += i + 1
	}
	if flg&flagHCRC != 0 {
		if len(src)-p < 2 {
			return 0, errAt(ErrTruncated, len(src), "gzip header CRC")
		}
		want := binary.LittleEndian.Uint16(src[p:])
		if got := uint16(crc32.ChecksumIEEE(src[h:p])); got != want {
			return 0, errAt(ErrHeader, p, fmt.Sprintf("header CRC %04x, the header says %04x", got, want))
		}
		p += 2
	}
	return p, nil
}
