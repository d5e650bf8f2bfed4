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
	// Canonical codes (RFC 1951 section 3.2.2): the first code of each
	// length, then symbols in order within a length.
	var next [maxCodeLen + 2]uint32
	code := uint32(0)
	for l := 1; l <= maxCodeLen; l++ {
		code = (code + uint32(count[l-1])) << 1
		next[l] = code
	}
	subBits := uint(0)
	if maxLen > primary {
		subBits = maxLen - primary
	}
	end := uint32(1) << primary // where the next sub-table goes
	var subStart [1 << litPrimaryBits]uint32
	for s, l8 := range lens {
		if l8 == 0 {
			continue
		}
		l := uint(l8)
		c := next[l]
		next[l]++
		r := reverse(c, l)
		e := sym[s]
		if l <= primary {
			e |= uint32(l)
			for i := r; i < 1<<primary; i += 1 << l {
				table[i] = e
			}
			continue
		}
		prefix := r & (1<<primary - 1)
		start := subStart[prefix]
		if start == 0 {
			start = end
			subStart[prefix] = start
			end += 1 << subBits
			table[prefix] = entSpecial | entSub | start<<16 | uint32(subBits)<<8 | uint32(primary)
		}
		rest := r >> primary
		sl := l - primary
		e |= uint32(sl)
		for i := rest; i < 1<<subBits; i += 1 << sl {
			table[start+i] = e
		}
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
