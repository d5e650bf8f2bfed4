package dashboard

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"
)

// Bar is one bar of a chart: a label, its value, and an optional note
// (shown after the value).
type Bar struct {
	Label string
	Value int64
	Note  string
}

// barChart draws a horizontal bar chart as inline SVG. Every bar carries its
// label and its value as text and a <title> (tooltips, screen readers), so
// nothing is said by colour alone. id names the chart's <title> for
// aria-labelledby.
func barChart(id, title string, bars []Bar) template.HTML {
	const width, labelW, rowH, top = 660, 220, 22, 4
	var max int64
	for _, b := range bars {
		if b.Value > max {
			max = b.Value
		}
	}
	h := top + rowH*len(bars) + 4
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t" xmlns="http://www.w3.org/2000/svg">`, width, h, id)
	fmt.Fprintf(&sb, `<title id="%s-t">%s</title>`, id, esc(title))
	barW := float64(width - labelW - 140)
	for i, b := range bars {
		y := top + i*rowH
		w := 0.0
		if max > 0 {
			w = barW * float64(b.Value) / float64(max)
		}
		if b.Value > 0 && w < 2 {
			w = 2
		}
		val := thousands(b.Value)
		if b.Note != "" {
			val += " " + b.Note
		}
		fmt.Fprintf(&sb, `<g><title>%s: %s</title>`, esc(b.Label), esc(val))
		fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="end" class="cl">%s</text>`, labelW-6, y+15, esc(clip(b.Label, 28)))
		fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="%.1f" height="%d" class="cb"/>`, labelW, y+3, w, rowH-6)
		fmt.Fprintf(&sb, `<text x="%.1f" y="%d" class="cv">%s</text></g>`, float64(labelW)+w+6, y+15, esc(val))
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

// Span is one action of a principal's timeline: first and last seen.
type Span struct {
	Label       string
	First, Last time.Time
	Count       int64
}

// timeline draws each span as a bar from its first to its last recorded
// call over [from, to], with the dates as text.
func timeline(id, title string, spans []Span, from, to time.Time) template.HTML {
	const width, labelW, rowH, top = 660, 240, 20, 18
	h := top + rowH*len(spans) + 4
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t" xmlns="http://www.w3.org/2000/svg">`, width, h, id)
	fmt.Fprintf(&sb, `<title id="%s-t">%s</title>`, id, esc(title))
	fmt.Fprintf(&sb, `<text x="%d" y="12" class="cv">%s</text><text x="%d" y="12" text-anchor="end" class="cv">%s</text>`, labelW, day(from), width-4, day(to))
	span := to.Sub(from).Seconds()
	x := func(t time.Time) float64 {
		if span <= 0 {
			return labelW
		}
		f := t.Sub(from).Seconds() / span
		f = min(max(f, 0), 1)
		return labelW + f*float64(width-labelW-4)
	}
	for i, s := range spans {
		y := top + i*rowH
		x0, x1 := x(s.First), x(s.Last)
		if x1-x0 < 3 {
			x1 = x0 + 3
		}
		fmt.Fprintf(&sb, `<g><title>%s: %s calls, first %s, last %s</title>`, esc(s.Label), thousands(s.Count), day(s.First), day(s.Last))
		fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="end" class="cl">%s</text>`, labelW-6, y+14, esc(clip(s.Label, 30)))
		fmt.Fprintf(&sb, `<rect x="%.1f" y="%d" width="%.1f" height="%d" class="cb"/></g>`, x0, y+4, x1-x0, rowH-8)
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

func esc(s string) string { return html.EscapeString(s) }

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
