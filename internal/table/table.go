// Package table lays out seiri's terminal output so that it fits a terminal
// of Width columns: Writer aligns tab-separated cells as text/tabwriter does
// and elides the widest cells with "…" when a table would be wider (the full
// values are in the JSON output); Wrap breaks long prose lines at spaces.
// Widths are counted in runes, as text/tabwriter counts them.
package table

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"
)

// Width is the number of columns every table and line of seiri's terminal
// output fits in.
const Width = 120

// AlignRight right-aligns the cells of a column (text/tabwriter.AlignRight).
const AlignRight uint = 1 << 2

// Writer is a drop-in for text/tabwriter.Writer that fits Width: write
// lines of tab-terminated cells, then Flush.
type Writer struct {
	out      io.Writer
	buf      bytes.Buffer
	minwidth int
	padding  int
	padchar  byte
	right    bool
	width    int
	keep     map[int]bool // column indexes elided last (Keep)
}

// NewWriter takes text/tabwriter.NewWriter's arguments (tabwidth is unused:
// cells are always padded with padchar).
func NewWriter(out io.Writer, minwidth, tabwidth, padding int, padchar byte, flags uint) *Writer {
	return &Writer{out: out, minwidth: minwidth, padding: padding, padchar: padchar, right: flags&AlignRight != 0, width: Width}
}

// Keep marks columns (0-based) that identify a row, such as an ARN or a
// principal: when the table is too wide the other columns are cut down
// first, and these keep their whole values while the others can still show
// at least a few characters. Returns w.
func (w *Writer) Keep(cols ...int) *Writer {
	if w.keep == nil {
		w.keep = map[int]bool{}
	}
	for _, c := range cols {
		w.keep[c] = true
	}
	return w
}

// Write buffers text until Flush.
func (w *Writer) Write(p []byte) (int, error) { return w.buf.Write(p) }

// Flush lays out what was written and writes it.
func (w *Writer) Flush() error {
	text := w.buf.String()
	w.buf.Reset()
	if text == "" {
		return nil
	}
	trailingNL := strings.HasSuffix(text, "\n")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	var out strings.Builder
	for i := 0; i < len(lines); {
		if !strings.Contains(lines[i], "\t") {
			for _, l := range WrapLine(lines[i], w.width) {
				out.WriteString(l)
				out.WriteByte('\n')
			}
			i++
			continue
		}
		j := i
		for j < len(lines) && strings.Contains(lines[j], "\t") {
			j++
		}
		w.segment(&out, lines[i:j])
		i = j
	}
	s := out.String()
	if !trailingNL {
		s = strings.TrimSuffix(s, "\n")
	}
	_, err := io.WriteString(w.out, s)
	return err
}

// segment lays out consecutive lines that hold cells.
func (w *Writer) segment(out *strings.Builder, lines []string) {
	cells := make([][]string, len(lines))
	for i, l := range lines {
		cells[i] = strings.Split(l, "\t")
	}
	widths := w.layout(cells)
	if over(cells, widths, w.padding) > w.width {
		orig := make([][]string, len(cells))
		for i, row := range cells {
			orig[i] = append([]string(nil), row...)
		}
		// First the last cells wrap (prose); when one cannot wrap cleanly
		// (a word longer than its room, like an ARN), every column is cut
		// down to a common level instead.
		fit := func(wrapLast bool) {
			caps := w.caps(orig, wrapLast)
			for i, row := range orig {
				for c := range row {
					if c < len(row)-1 || !wrapLast {
						cells[i][c] = Elide(row[c], caps[c])
					} else {
						cells[i][c] = row[c]
					}
				}
			}
			widths = w.layout(cells)
		}
		fit(true)
		if !w.wrapsCleanly(cells, widths) {
			fit(false)
		}
	}
	pad := string(w.padchar)
	for i, row := range cells {
		var b strings.Builder
		for c, cell := range row {
			if c == len(row)-1 {
				b.WriteString(w.trailing(cell, widths[i]))
				break
			}
			fill := widths[i][c] - utf8.RuneCountInString(cell)
			if w.right {
				b.WriteString(strings.Repeat(pad, max(fill, 0)))
				b.WriteString(cell)
			} else {
				b.WriteString(cell)
				b.WriteString(strings.Repeat(pad, max(fill, 0)))
			}
		}
		out.WriteString(b.String())
		out.WriteByte('\n')
	}
}

// trailingWrap is the narrowest room a line's last cell is wrapped in;
// with less room it is elided.
const trailingWrap = 24

// trailing fits a line's last cell (free text: a reason, a description) in
// what the columns before it leave: wrapped onto indented continuation
// lines, or elided when the room is too narrow to read.
func (w *Writer) trailing(cell string, widths []int) string {
	prefix := 0
	for _, cw := range widths {
		prefix += cw
	}
	room := w.width - prefix
	if utf8.RuneCountInString(cell) <= room {
		return cell
	}
	if room < trailingWrap {
		return Elide(cell, max(room, 1))
	}
	parts := WrapLine(cell, room)
	for k := 1; k < len(parts); k++ {
		// WrapLine indents continuations by two spaces: keep them under the cell.
		parts[k] = strings.Repeat(" ", prefix) + strings.TrimPrefix(parts[k], "  ")
		if utf8.RuneCountInString(parts[k]) > w.width {
			parts[k] = Elide(parts[k], w.width)
		}
	}
	return strings.Join(parts, "\n")
}

// wrapsCleanly reports whether every last cell fits its room, or wraps in
// it at spaces in at most 4 lines.
func (w *Writer) wrapsCleanly(cells [][]string, widths [][]int) bool {
	for i, row := range cells {
		prefix := 0
		for _, cw := range widths[i] {
			prefix += cw
		}
		room := w.width - prefix
		cell := row[len(row)-1]
		if utf8.RuneCountInString(cell) <= room {
			continue
		}
		if room < trailingWrap || utf8.RuneCountInString(cell) > 4*(room-2) {
			return false
		}
		for _, word := range strings.Fields(cell) {
			if utf8.RuneCountInString(word) > room-2 {
				return false
			}
		}
	}
	return true
}

// layout returns each line's column widths (padding included) the way
// text/tabwriter computes them: a column block is a run of consecutive
// lines that have a tab-terminated cell in that column.
func (w *Writer) layout(cells [][]string) [][]int {
	widths := make([][]int, len(cells))
	for i, row := range cells {
		widths[i] = make([]int, max(len(row)-1, 0))
	}
	var format func(line0, line1, col int)
	format = func(line0, line1, col int) {
		for this := line0; this < line1; this++ {
			if col >= len(cells[this])-1 {
				continue
			}
			start := this
			width := w.minwidth
			for ; this < line1 && col < len(cells[this])-1; this++ {
				if cw := utf8.RuneCountInString(cells[this][col]) + w.padding; cw > width {
					width = cw
				}
			}
			for k := start; k < this; k++ {
				widths[k][col] = width
			}
			format(start, this, col+1)
			this--
		}
	}
	format(0, len(cells), 0)
	return widths
}

// over is the widest laid-out line.
func over(cells [][]string, widths [][]int, padding int) int {
	most := 0
	for i, row := range cells {
		n := utf8.RuneCountInString(row[len(row)-1])
		for _, cw := range widths[i] {
			n += cw
		}
		most = max(most, n)
	}
	return most
}

// caps are the widest each column index may be (cell text, without
// padding) so that every line fits: the widest columns are cut down to a
// common level first.
func (w *Writer) caps(cells [][]string, wrapLast bool) []int {
	var natural []int
	for _, row := range cells {
		for c, cell := range row {
			if c >= len(natural) {
				natural = append(natural, 0)
			}
			n := utf8.RuneCountInString(cell)
			if wrapLast && c == len(row)-1 {
				n = min(n, trailingWrap) // the last cell wraps
			}
			natural[c] = max(natural[c], n)
		}
	}
	budget := w.width - w.padding*(len(natural)-1)
	caps := make([]int, len(natural))
	// Kept columns take their natural width when the others can still show
	// keepFloor characters each; otherwise the others are cut to keepFloor
	// and the kept columns share what is left. With Keep, short columns (an
	// account id, a region) are kept too: cutting a character or two off
	// them saves little and loses the value.
	keep := func(c int) bool { return w.keep[c] || natural[c] <= shortColumn }
	kept := 0
	for c, n := range natural {
		if keep(c) {
			kept += n
		}
	}
	if len(w.keep) > 0 {
		var rest, keptLong []int
		shorts := 0
		for c, n := range natural {
			switch {
			case !keep(c):
				rest = append(rest, n)
			case w.keep[c] && n > shortColumn:
				keptLong = append(keptLong, n)
			default:
				shorts += n
			}
		}
		restFloor := 0
		for _, n := range rest {
			restFloor += min(n, keepFloor)
		}
		if kept+restFloor <= budget {
			// The kept columns whole; the others share what is left.
			level := levelFor(rest, budget-kept)
			for c, n := range natural {
				if keep(c) {
					caps[c] = n
				} else {
					caps[c] = min(n, level)
				}
			}
			return caps
		}
		if shorts+restFloor < budget {
			// The others down to keepFloor; the kept columns share the rest.
			level := levelFor(keptLong, budget-shorts-restFloor)
			for c, n := range natural {
				switch {
				case !keep(c):
					caps[c] = min(n, keepFloor)
				case w.keep[c] && n > shortColumn:
					caps[c] = min(n, level)
				default:
					caps[c] = n
				}
			}
			return caps
		}
	}
	level := levelFor(natural, budget)
	for c, n := range natural {
		caps[c] = min(n, level)
	}
	return caps
}

// keepFloor is the fewest characters a column keeps when Keep columns take
// their whole width.
const keepFloor = 8

// shortColumn is the widest column Keep also keeps whole (a 12-digit
// account id).
const shortColumn = 12

func maxOf(ns []int) int {
	m := 0
	for _, n := range ns {
		m = max(m, n)
	}
	return m
}

// levelFor is the highest common cap (at least 2) at which the widths sum to
// at most budget.
func levelFor(natural []int, budget int) int {
	level := maxOf(natural)
	sum := func(l int) int {
		t := 0
		for _, n := range natural {
			t += min(n, l)
		}
		return t
	}
	for level > 2 && sum(level) > budget {
		level--
	}
	return level
}

// Elide shortens s to at most n runes with "…": ARNs keep their end (the
// account and the resource), other identifiers (paths) both ends, text
// its start.
func Elide(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	if strings.HasPrefix(s, "arn:") && !strings.Contains(s, " ") {
		// The end of an ARN names the account and the resource.
		return "…" + string(r[len(r)-(n-1):])
	}
	if strings.ContainsAny(s, ":/") && !strings.Contains(s, " ") && n >= 9 {
		head := (n - 1) / 2
		tail := n - 1 - head
		return string(r[:head]) + "…" + string(r[len(r)-tail:])
	}
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

// WrapLine breaks a line longer than width at spaces; continuation lines
// keep the line's indentation plus two spaces. A word longer than a line is
// cut.
func WrapLine(line string, width int) []string {
	if utf8.RuneCountInString(line) <= width {
		return []string{line}
	}
	indent := line[:len(line)-len(strings.TrimLeft(line, " "))]
	if utf8.RuneCountInString(indent)+2 > width/2 {
		indent = ""
	}
	cont := indent + "  "
	var out []string
	cur := []rune(line)
	prefixLen := 0
	for len(cur)+prefixLen > width {
		limit := width - prefixLen
		cut := -1
		for k := limit; k > len([]rune(indent)); k-- {
			if cur[k] == ' ' {
				cut = k
				break
			}
		}
		var head, rest []rune
		if cut < 0 {
			head, rest = cur[:limit], cur[limit:]
		} else {
			head, rest = cur[:cut], []rune(strings.TrimLeft(string(cur[cut:]), " "))
		}
		if prefixLen > 0 {
			out = append(out, cont+strings.TrimRight(string(head), " "))
		} else {
			out = append(out, strings.TrimRight(string(head), " "))
		}
		cur, prefixLen = rest, len([]rune(cont))
		if len(cur) == 0 {
			return out
		}
	}
	if prefixLen > 0 {
		return append(out, cont+string(cur))
	}
	return append(out, string(cur))
}

// Wrap is an io.Writer that passes text through, wrapping every line
// longer than Width (WrapLine). Close (or Flush) writes a last line that
// has no newline.
type Wrap struct {
	out     io.Writer
	pending []byte
}

// NewWrap wraps out.
func NewWrap(out io.Writer) *Wrap { return &Wrap{out: out} }

// Write writes the complete lines of p, wrapped.
func (w *Wrap) Write(p []byte) (int, error) {
	w.pending = append(w.pending, p...)
	for {
		i := bytes.IndexByte(w.pending, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(w.pending[:i])
		w.pending = w.pending[i+1:]
		if err := w.emit(line, true); err != nil {
			return len(p), err
		}
	}
}

func (w *Wrap) emit(line string, nl bool) error {
	parts := WrapLine(line, Width)
	s := strings.Join(parts, "\n")
	if nl {
		s += "\n"
	}
	_, err := io.WriteString(w.out, s)
	return err
}

// Flush writes what is left of an unfinished line.
func (w *Wrap) Flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	line := string(w.pending)
	w.pending = nil
	return w.emit(line, false)
}

// Unwrap is the writer Wrap writes to.
func (w *Wrap) Unwrap() io.Writer { return w.out }
