package inflate

import "math/bits"

// Huffman decoding tables.
//
// A table is indexed by the next bits of the input (DEFLATE packs Huffman
// codes most significant bit first into a stream read least significant
// bit first, so the index is the bit-reversed codeword). The primary table
// has 1<<primaryBits entries; a codeword longer than primaryBits goes
// through a sub-table that the primary entry of its first primaryBits bits
// points to, indexed by the following bits.
//
// An entry is one uint32:
//
//	bits 0-7    n: bits to consume (codeword length; for a sub-table
//	            pointer, the primary bits; in a sub-table, the codeword
//	            length minus the primary bits)
//	bits 8-11   extra bits that follow the codeword (length and distance
//	            codes), or the index bits of the sub-table for a pointer
//	bit  12     sub-table pointer (with bit 15)
//	bit  14     end of block (with bit 15)
//	bit  15     special: end of block, pointer or invalid
//	bits 16-30  value: base length or distance, sub-table start, literal
//	bit  31     literal (the byte in bits 16-23)
//
// An invalid entry (a bit pattern no codeword starts, possible only in the
// degenerate one-code trees DEFLATE tolerates, or a code 286, 287, 30 or
// 31) is special with neither pointer nor end of block.

const (
	entLiteral = 1 << 31
	entSpecial = 1 << 15
	entEOB     = 1 << 14
	entSub     = 1 << 12

	entInvalid = entSpecial

	litPrimaryBits  = 11
	distPrimaryBits = 8
	clenBits        = 7

	maxCodeLen = 15

	// Sizes: the primary table plus at most one sub-table of at most
	// 1<<(maxCodeLen-primary) entries per symbol whose codeword is longer
	// than the primary bits.
	litTableSize  = 1<<litPrimaryBits + 288<<(maxCodeLen-litPrimaryBits)
	distTableSize = 1<<distPrimaryBits + 32<<(maxCodeLen-distPrimaryBits)
)

// RFC 1951 section 3.2.5: base lengths and extra bits of length codes
// 257-285, base distances and extra bits of distance codes 0-29.
var (
	lengthBase  = [29]uint32{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint32{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint32{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint32{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

// litEntry and distEntry are the entries of each symbol without n.
var litEntry, distEntry, clenEntry [288]uint32

func init() {
	for s := range 256 {
		litEntry[s] = entLiteral | uint32(s)<<16
	}
	litEntry[256] = entSpecial | entEOB
	for s := 257; s < 286; s++ {
		litEntry[s] = lengthBase[s-257]<<16 | lengthExtra[s-257]<<8
	}
	litEntry[286], litEntry[287] = entInvalid, entInvalid
	for s := range 288 {
		distEntry[s] = entInvalid
		clenEntry[s] = entInvalid
	}
	for s := range 30 {
		distEntry[s] = distBase[s]<<16 | distExtra[s]<<8
	}
	for s := range 19 {
		clenEntry[s] = uint32(s) << 16
	}
}

// build fills table (primary table of 1<<primary entries, then sub-tables)
// for the code lengths lens (0: symbol unused), with sym giving each
// symbol's entry. It reports false when the lengths do not form a valid
// code: over-subscribed, or incomplete other than a single code of length
// one (which zlib and Go's compress/flate accept). An empty code (all
// lengths zero) is accepted; every entry is then invalid, so using it
// fails.
func build(table []uint32, primary uint, lens []uint8, sym *[288]uint32) bool {
	var count [maxCodeLen + 1]uint16
	maxLen := uint(0)
	for _, l := range lens {
		count[l]++
		if uint(l) > maxLen {
			maxLen = uint(l)
		}
	}
	count[0] = 0
	if maxLen == 0 {
		fill(table[:1<<primary], entInvalid)
		return true
	}
	// Check that the code is complete: every bit string has a codeword as
	// prefix.
	left := 1
	for l := uint(1); l <= maxCodeLen; l++ {
		left = left<<1 - int(count[l])
		if left < 0 {
			return false // over-subscribed
		}
	}
	complete := left == 0
	if !complete {
		if !(maxLen == 1 && count[1] == 1) {
			return false
		}
		fill(table[:1<<primary], entInvalid)
	}
	// Symbols in canonical order: by code length, then by symbol (RFC 1951
	// section 3.2.2); their codes are consecutive numbers in that order.
	var offs [maxCodeLen + 2]uint16
	for l := 1; l <= maxCodeLen; l++ {
		offs[l+1] = offs[l] + count[l]
	}
	var sorted [288]uint16
	for s, l := range lens {
		if l != 0 {
			sorted[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	// The primary table is built by doubling: after length l, its first
	// 1<<l entries decode every code of at most l bits; copying them to
	// the next 1<<l entries extends it to l+1 bits, then the codes of
	// length l+1 are written at their own entries (memmove instead of a
	// strided store per entry).
	code := uint32(0)
	i := 0
	for l := uint(1); l <= primary; l++ {
		if l > 1 {
			copy(table[1<<(l-1):1<<l], table[:1<<(l-1)])
		}
		for range count[l] {
			table[reverse(code, l)] = sym[sorted[i]] | uint32(l)
			code++
			i++
		}
		code <<= 1
	}
	if maxLen <= primary {
		return true
	}
	// Longer codes: one sub-table per primary prefix, indexed by the next
	// subBits bits. The codes sharing a prefix are consecutive in canonical
	// order.
	subBits := maxLen - primary
	end := uint32(1) << primary // where the next sub-table goes
	last := ^uint32(0)
	start := uint32(0)
	for l := primary + 1; l <= maxLen; l++ {
		sl := l - primary
		for range count[l] {
			r := reverse(code, l)
			prefix := r & (1<<primary - 1)
			if prefix != last {
				last, start = prefix, end
				end += 1 << subBits
				table[prefix] = entSpecial | entSub | start<<16 | uint32(subBits)<<8 | uint32(primary)
			}
			e := sym[sorted[i]] | uint32(sl)
			for j := r >> primary; j < 1<<subBits; j += 1 << sl {
				table[start+j] = e
			}
			code++
			i++
		}
		code <<= 1
	}
	return true
}

func fill(t []uint32, v uint32) {
	for i := range t {
		t[i] = v
	}
}

// reverse returns the low n bits of c in reverse order.
func reverse(c uint32, n uint) uint32 {
	return uint32(bits.Reverse16(uint16(c))) >> (16 - n)
}

// The fixed codes of RFC 1951 section 3.2.6, built once.
var fixedLit [litTableSize]uint32
var fixedDist [distTableSize]uint32

func init() {
	var lens [288]uint8
	for i := range lens {
		switch {
		case i < 144:
			lens[i] = 8
		case i < 256:
			lens[i] = 9
		case i < 280:
			lens[i] = 7
		default:
			lens[i] = 8
		}
	}
	if !build(fixedLit[:], litPrimaryBits, lens[:], &litEntry) {
		panic("inflate: fixed literal/length code")
	}
	var dl [32]uint8
	for i := range dl {
		dl[i] = 5
	}
	if !build(fixedDist[:], distPrimaryBits, dl[:], &distEntry) {
		panic("inflate: fixed distance code")
	}
}
