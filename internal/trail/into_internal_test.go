package trail

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/usage"
)

// listRows is a RowSet over a slice.
type listRows []usage.Row

func (l listRows) Len() int                 { return len(l) }
func (l listRows) Key(i int) usage.Key      { return l[i].Key }
func (l listRows) Fill(i int, r *usage.Row) { r.Count, r.Authz = l[i].Count, l[i].Authz }

// TestRowSetsConcatenate: the groups written as one batch are their rows
// one after the other, each row once.
func TestRowSetsConcatenate(t *testing.T) {
	var want []string
	r := &rowSets{}
	n := 0
	for g, size := range []int{3, 1, 5, 2} {
		var l listRows
		for i := range size {
			row := usage.Row{Key: usage.Key{Account: fmt.Sprint(g), Action: fmt.Sprint("a", i)}, Count: int64(10*g + i)}
			l = append(l, row)
			want = append(want, fmt.Sprintf("%s/%s %d", row.Account, row.Action, row.Count))
		}
		n += size
		r.sets, r.ends = append(r.sets, l), append(r.ends, n)
	}
	var got []string
	for i := range r.Len() {
		k := r.Key(i)
		var row usage.Row
		r.Fill(i, &row)
		got = append(got, fmt.Sprintf("%s/%s %d", k.Account, k.Action, row.Count))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows of the batch (-want +got):\n%s", diff)
	}
	if (&rowSets{}).Len() != 0 {
		t.Error("an empty batch has rows")
	}
}
