package leastpriv

import (
	"iter"
	"strings"

	"github.com/seiri-dev/seiri/internal/usage"
)

// Slice adapts a slice of rows to Attribute (production reads the store:
// ReadUsage).
func Slice(rows []usage.Row) iter.Seq[*usage.Row] {
	return func(yield func(*usage.Row) bool) {
		for i := range rows {
			if !yield(&rows[i]) {
				return
			}
		}
	}
}

// Has reports whether the action (any case) is granted.
func (g *Grants) Has(action string) bool {
	_, ok := g.index()[strings.ToLower(action)]
	return ok
}
