package policy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// A small JSON decoder that keeps the byte offset of every value and object
// key, so that policy errors can name a line and column. encoding/json only
// reports offsets for syntax errors, not for the semantic errors (missing
// Effect, bad operator) that make up most policy mistakes.

// Kind is the JSON type of a Node.
type Kind uint8

const (
	KindNull Kind = iota
	KindBool
	KindNumber
	KindString
	KindArray
	KindObject
)

func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindBool:
		return "boolean"
	case KindNumber:
		return "number"
	case KindString:
		return "string"
	case KindArray:
		return "array"
	case KindObject:
		return "object"
	}
	return "unknown"
}

// Node is one decoded JSON value.
type Node struct {
	Kind Kind
	// Str holds the string value, the literal text of a number, or
	// "true"/"false" for booleans.
	Str     string
	Items   []*Node  // KindArray
	Members []Member // KindObject, in document order
	Offset  int      // byte offset of the value's first character
	End     int      // byte offset just past the value
	// Lazy marks an object that was checked but not built (see
	// decoder.lazy); decode it from data[Offset:End] when needed.
	Lazy bool
}

// Member is one key/value pair of an object.
type Member struct {
	Key       string
	KeyOffset int
	Value     *Node
}

// Get returns the first member with the exact key, or nil.
func (n *Node) Get(key string) *Node {
	for i := range n.Members {
		if n.Members[i].Key == key {
			return n.Members[i].Value
		}
	}
	return nil
}

// SyntaxError is a JSON syntax error with its position.
type SyntaxError struct {
	Msg    string
	Offset int
	Line   int
	Column int
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 200

type decoder struct {
	data  []byte
	pos   int
	depth int
	// noCopy lets strings share data's memory: only for buffers that are
	// never modified afterwards (the simulator's freshly read lines).
	noCopy bool
	// nodes, items and members are chunked arenas; a decoder that is
	// reset (the simulator's per-worker decoder) reuses them for the next
	// case instead of allocating. itemStack and memberStack gather an
	// array's items and an object's members before they are cut, exact
	// size, from the arenas.
	nodes       chunks[Node]
	items       chunks[*Node]
	members     chunks[Member]
	itemStack   []*Node
	memberStack []Member
	// carena holds the compiled uncached policies of the current case
	// (policyFrom); runCase resets it once the case is evaluated.
	carena compileArena
	// cs, ctxEnts and ctxVals are the simulator's case and the memory of
	// its request context, reused case after case (parseCase).
	cs      Case
	ctxEnts []ctxEnt
	ctxVals []string
	// lazy makes every object met become a Lazy stub, to be decoded later.
	lazy bool
	// lazyKeys are the members of the top-level object whose objects are
	// decoded lazily.
	lazyKeys map[string]bool
	// cacheScore follows the policy cache's recent hits (+1) and misses
	// (-1) for this decoder's cases: while misses dominate, policies are
	// decoded with their case instead of being skipped and decoded again
	// (decodeCase).
	cacheScore int
}

// chunks is an arena of T handed out in slices: one allocation per chunk
// instead of one per value. reset makes every chunk reusable; the caller
// guarantees that nothing handed out before is used afterwards.
type chunks[T any] struct {
	list [][]T
	i    int // index of the current chunk in list
}

// alloc returns a slice of n zero or overwritten values (the caller sets
// every element) whose capacity is exactly n.
func (c *chunks[T]) alloc(n, chunk int) []T {
	if len(c.list) > 0 {
		cur := c.list[c.i]
		if l := len(cur); l+n <= cap(cur) {
			c.list[c.i] = cur[:l+n]
			return cur[l : l+n : l+n]
		}
		c.i++
	}
	if c.i < len(c.list) && cap(c.list[c.i]) < n {
		c.list[c.i] = make([]T, 0, max(chunk, n)) // too small: replaced
	}
	if c.i == len(c.list) {
		c.list = append(c.list, make([]T, 0, max(chunk, n)))
	}
	cur := c.list[c.i] // empty: fresh or reset
	c.list[c.i] = cur[:n]
	return cur[:n:n]
}

func (c *chunks[T]) reset() {
	for i := range c.list {
		c.list[i] = c.list[i][:0]
	}
	c.i = 0
}

// reset prepares a decoder for another document, reusing its arenas: the
// nodes of the previous document must no longer be in use.
func (d *decoder) reset(data []byte) {
	d.data, d.pos, d.depth, d.lazy = data, 0, 0, false
	d.nodes.reset()
	d.items.reset()
	d.members.reset()
	d.itemStack, d.memberStack = d.itemStack[:0], d.memberStack[:0]
}

// newNode takes a node from the arena.
func (d *decoder) newNode(k Kind, off int) *Node {
	var n *Node
	if l := d.nodes.list; len(l) > 0 && len(l[d.nodes.i]) < cap(l[d.nodes.i]) {
		cur := l[d.nodes.i]
		l[d.nodes.i] = cur[:len(cur)+1]
		n = &cur[:len(cur)+1][len(cur)]
	} else {
		n = &d.nodes.alloc(1, 64)[0]
	}
	*n = Node{Kind: k, Offset: off}
	return n
}

// DecodeJSON parses data as exactly one JSON value.
func DecodeJSON(data []byte) (*Node, error) {
	return decodeJSON(data, false)
}

func decodeJSON(data []byte, noCopy bool) (*Node, error) {
	d := &decoder{data: data, noCopy: noCopy}
	d.skipWS()
	n, err := d.value()
	if err != nil {
		return nil, err
	}
	d.skipWS()
	if d.pos < len(d.data) {
		return nil, d.errf(d.pos, "unexpected %s after the top-level value", quoteByte(d.data[d.pos]))
	}
	return n, nil
}

// LineCol converts a byte offset into 1-based line and column (columns count
// runes, as editors do).
func LineCol(data []byte, offset int) (line, col int) {
	if offset > len(data) {
		offset = len(data)
	}
	line, col = 1, 1
	for i := 0; i < offset; {
		r, size := utf8.DecodeRune(data[i:])
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
		i += size
	}
	return line, col
}

func (d *decoder) errf(off int, format string, args ...any) *SyntaxError {
	l, c := LineCol(d.data, off)
	return &SyntaxError{Msg: fmt.Sprintf(format, args...), Offset: off, Line: l, Column: c}
}

func quoteByte(b byte) string {
	if b < 0x20 || b >= 0x7f {
		return fmt.Sprintf("byte 0x%02x", b)
	}
	return strconv.Quote(string(b))
}

func (d *decoder) skipWS() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) value() (*Node, error) {
	n, err := d.value1()
	if err == nil {
		n.End = d.pos
	}
	return n, err
}

func (d *decoder) value1() (*Node, error) {
	if d.pos >= len(d.data) {
		return nil, d.errf(d.pos, "unexpected end of JSON input")
	}
	start := d.pos
	switch c := d.data[d.pos]; {
	case c == '{':
		if d.lazy {
			// Find the end by brackets and strings only; the object is
			// decoded (and validated) later if its policy is not cached.
			if end := skipObject(d.data, start); end > 0 {
				d.pos = end
				stub := d.newNode(KindObject, start)
				stub.Lazy = true
				return stub, nil
			}
		}
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		n := d.newNode(KindString, start)
		n.Str = s
		return n, nil
	case c == 't':
		return d.literal("true", KindBool)
	case c == 'f':
		return d.literal("false", KindBool)
	case c == 'n':
		return d.literal("null", KindNull)
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	default:
		return nil, d.errf(start, "invalid character %s looking for the beginning of a value", quoteByte(c))
	}
}

func (d *decoder) literal(word string, k Kind) (*Node, error) {
	start := d.pos
	if len(d.data)-d.pos < len(word) || string(d.data[d.pos:d.pos+len(word)]) != word {
		return nil, d.errf(start, "invalid literal, expected %q", word)
	}
	d.pos += len(word)
	n := d.newNode(k, start)
	if k == KindBool {
		n.Str = word
	}
	return n, nil
}

func (d *decoder) number() (*Node, error) {
	start := d.pos
	if d.data[d.pos] == '-' {
		d.pos++
	}
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if d.pos < len(d.data) && d.data[d.pos] == '0' {
		d.pos++
	} else if digits() == 0 {
		return nil, d.errf(start, "invalid number")
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return nil, d.errf(start, "invalid number")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return nil, d.errf(start, "invalid number")
		}
	}
	n := d.newNode(KindNumber, start)
	n.Str = d.text(d.data[start:d.pos])
	return n, nil
}

// strSpecial marks the bytes the string fast path must look at: the
// closing quote, a backslash, control characters and non-ASCII bytes.
var strSpecial = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		if c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			t[c] = 1
		}
	}
	return t
}()

// swarSpecial returns a word whose lowest set bit is the high bit of the
// first byte of x (little-endian) that strSpecial marks, or 0 when no byte
// is special: '"', '\\', a control character (< 0x20) or non-ASCII
// (>= 0x80). Bits above the first special byte may be set spuriously.
func swarSpecial(x uint64) uint64 {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	q := x ^ (ones * '"')
	b := x ^ (ones * '\\')
	zq := (q - ones) &^ q
	zb := (b - ones) &^ b
	ctl := (x - ones*0x20) &^ x
	return (zq | zb | ctl | x) & high
}

func (d *decoder) str() (string, error) {
	start := d.pos
	d.pos++ // opening quote
	// Fast path: no escapes. Eight bytes at a time while none is special
	// (swarSpecial), then byte by byte.
	i := d.pos
	ascii := true
	for i+8 <= len(d.data) {
		m := swarSpecial(binary.LittleEndian.Uint64(d.data[i:]))
		if m == 0 {
			i += 8
			continue
		}
		i += bits.TrailingZeros64(m) / 8 // the first special byte
		break
	}
	for i < len(d.data) {
		c := d.data[i]
		if strSpecial[c] == 0 {
			i++
			continue
		}
		if c == '"' {
			s := d.data[d.pos:i]
			if ascii || utf8.Valid(s) {
				d.pos = i + 1
				return d.text(s), nil
			}
			break
		}
		if c == '\\' || c < 0x20 {
			break
		}
		ascii = false // c >= utf8.RuneSelf
		i++
	}
	buf := make([]byte, 0, i-d.pos+8)
	for {
		if d.pos >= len(d.data) {
			return "", d.errf(start, "unterminated string")
		}
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(buf), nil
		case c < 0x20:
			return "", d.errf(d.pos, "invalid control character %s in string", quoteByte(c))
		case c == '\\':
			if d.pos+1 >= len(d.data) {
				return "", d.errf(start, "unterminated string")
			}
			e := d.data[d.pos+1]
			d.pos += 2
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return "", d.errf(d.pos-2, "invalid \\u escape")
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
						save := d.pos
						d.pos += 2
						var ok2 bool
						r2, ok2 = d.hex4()
						if !ok2 {
							d.pos = save
							r2 = -1
						}
					}
					dec := utf16.DecodeRune(r, r2)
					if dec == utf8.RuneError && r2 != -1 {
						// Not a valid pair: keep the second escape as its own rune.
						buf = utf8.AppendRune(buf, utf8.RuneError)
						r = r2
					} else {
						r = dec
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				return "", d.errf(d.pos-2, "invalid escape %s in string", quoteByte(e))
			}
		default:
			r, size := utf8.DecodeRune(d.data[d.pos:])
			if r == utf8.RuneError && size == 1 {
				return "", d.errf(d.pos, "invalid UTF-8 in string")
			}
			buf = append(buf, d.data[d.pos:d.pos+size]...)
			d.pos += size
		}
	}
}

// text converts a slice of the input to a string, sharing memory when the
// input is immutable.
func (d *decoder) text(b []byte) string {
	if d.noCopy {
		return unsafe.String(unsafe.SliceData(b), len(b))
	}
	return string(b)
}

func (d *decoder) hex4() (rune, bool) {
	if len(d.data)-d.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.pos : d.pos+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	d.pos += 4
	return r, true
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > maxDepth {
		return d.errf(d.pos, "nesting deeper than %d levels", maxDepth)
	}
	return nil
}

func (d *decoder) array() (*Node, error) {
	n := d.newNode(KindArray, d.pos)
	if err := d.enter(); err != nil {
		return nil, err
	}
	// No defers: on error the decoder is abandoned (or reset), so depth
	// and the stacks are restored on the success paths only.
	d.pos++
	d.skipWS()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		n.Items = []*Node{}
		return n, nil
	}
	base := len(d.itemStack)
	for {
		d.skipWS()
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		d.itemStack = append(d.itemStack, v)
		d.skipWS()
		if d.pos >= len(d.data) {
			return nil, d.errf(d.pos, "unexpected end of JSON input in array")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			n.Items = d.items.alloc(len(d.itemStack)-base, 256)
			copy(n.Items, d.itemStack[base:])
			d.itemStack = d.itemStack[:base]
			d.depth--
			return n, nil
		default:
			return nil, d.errf(d.pos, "invalid character %s after array element, expected ',' or ']'", quoteByte(d.data[d.pos]))
		}
	}
}

func (d *decoder) object() (*Node, error) {
	n := d.newNode(KindObject, d.pos)
	if err := d.enter(); err != nil {
		return nil, err
	}
	d.pos++
	d.skipWS()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.depth--
		return n, nil
	}
	base := len(d.memberStack)
	for {
		d.skipWS()
		if d.pos >= len(d.data) {
			return nil, d.errf(d.pos, "unexpected end of JSON input in object")
		}
		if d.data[d.pos] != '"' {
			return nil, d.errf(d.pos, "invalid character %s looking for an object key", quoteByte(d.data[d.pos]))
		}
		koff := d.pos
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.skipWS()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.errf(d.pos, "expected ':' after object key %q", trim(k))
		}
		d.pos++
		d.skipWS()
		lazy := d.depth == 1 && d.lazyKeys != nil && d.lazyKeys[k]
		d.lazy = lazy
		v, err := d.value()
		d.lazy = false
		if err != nil {
			return nil, err
		}
		d.memberStack = append(d.memberStack, Member{Key: k, KeyOffset: koff, Value: v})
		d.skipWS()
		if d.pos >= len(d.data) {
			return nil, d.errf(d.pos, "unexpected end of JSON input in object")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			n.Members = d.members.alloc(len(d.memberStack)-base, 128)
			copy(n.Members, d.memberStack[base:])
			d.memberStack = d.memberStack[:base]
			d.depth--
			return n, nil
		default:
			return nil, d.errf(d.pos, "invalid character %s after object value, expected ',' or '}'", quoteByte(d.data[d.pos]))
		}
	}
}

// trim shortens a value for an error message.
func trim(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// skipObject returns the offset just past the object starting at data[i]
// ('{'), matching brackets outside strings, or -1 when it is unterminated.
// It does not validate: a lazily skipped object is decoded in full before
// use unless identical text was already decoded.
func skipObject(data []byte, i int) int {
	depth := 0
	for i < len(data) {
		switch data[i] {
		case '"':
			// The closing quote is the first one not escaped: find quotes
			// with IndexByte (vectorized), then count the backslashes
			// before each.
			j := i + 1
			for {
				k := bytes.IndexByte(data[j:], '"')
				if k < 0 {
					return -1
				}
				j += k
				bs := 0
				for p := j - 1; p > i && data[p] == '\\'; p-- {
					bs++
				}
				if bs%2 == 0 {
					break
				}
				j++
			}
			i = j + 1
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return -1
}
