// Package inflate decodes DEFLATE (RFC 1951) and gzip (RFC 1952) data that
// is held whole in memory, into one output buffer.
//
// It exists for the CloudTrail scan, which reads tens of thousands of small
// gzip files whole and decompresses each into one buffer. A streaming
// decoder (compress/flate, github.com/klauspost/compress/flate) keeps a
// 32 KB window, copies matches inside that ring and copies the window out
// to the caller, and reads its input a byte or a bufio buffer at a time.
// Here, with the whole input and the whole output at hand:
//
//   - the output is allocated once, at the size the gzip trailer announces
//     (grown if that size was wrong: it is the size mod 2^32 and may lie),
//     and back-references copy within it, 8 bytes at a time when the
//     distance is at least 8 (the output keeps 266 bytes of slack so a
//     match of up to 258 bytes needs no bounds logic);
//   - the input is read through a 64-bit bit buffer refilled a word at a
//     time (branch-free: load 8 bytes, keep as many whole bytes as fit);
//     near the end of the input it is refilled a byte at a time and zero
//     bytes past the end are counted, so reading past the end is detected;
//   - Huffman codes are decoded through tables: a primary table indexed by
//     the next 11 bits (8 for distances) whose entry gives the symbol, how
//     many bits it took, and for lengths and distances the base value and
//     how many extra bits follow, so a length or distance is decoded with
//     one lookup and one shift; longer codes go through sub-tables.
//
// Validity follows Go's compress/gzip exactly (its fuzz test checks this):
// the same inputs are accepted and give the same bytes; everything else is
// an *Error naming what is wrong and the byte offset (ErrCorrupt,
// ErrTruncated, ErrHeader, ErrChecksum, ErrTooLarge). Every gzip member's
// CRC-32 (hash/crc32, hardware accelerated) and size are verified;
// multi-member files are decoded whole. Decoder.MaxSize bounds the output
// against small inputs that expand enormously. No input panics.
//
// The design (table-driven decoding with extra bits folded into the table
// entry, word-at-a-time refill and match copy) follows the ideas described
// for zlib's inflate and libdeflate; the code is written from the RFCs.
package inflate
