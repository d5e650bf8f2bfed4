package roles_test

import (
	"iter"

	"github.com/seiri-dev/seiri/internal/usage"
)

// rowSeq adapts a slice of rows to leastpriv's Attribute (production reads
// the store).
func rowSeq(rows []usage.Row) iter.Seq[*usage.Row] {
	return func(yield func(*usage.Row) bool) {
		for i := range rows {
			if !yield(&rows[i]) {
				return
			}
		}
	}
}
