package athena_test

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/trail/athena"
)

// BenchmarkFoldGroups measures the Go half of the Athena engine: reading a
// result row and folding it through the mapping and extraction. The rows
// are the edge corpus's result, with the principal varied so that rows do
// not all merge into the same usage rows.
//
//	go test -run XXX -bench FoldGroups -benchtime 2s ./internal/trail/athena/
func BenchmarkFoldGroups(b *testing.B) {
	raw, err := os.ReadFile(edgeGolden)
	if err != nil {
		b.Fatal(err)
	}
	var res awsfake.AthenaResult
	if err := json.Unmarshal(raw, &res); err != nil {
		b.Fatal(err)
	}
	var rows []map[string]*string
	for i := 0; i < 50; i++ {
		for _, r := range res.Rows {
			m := map[string]*string{}
			for j, c := range res.Columns {
				m[c] = r[j]
			}
			arn := fmt.Sprintf("arn:aws:iam::111111111111:user/u%d", i)
			m[athena.ColIDARN] = &arn
			rows = append(rows, m)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var g trail.Group
	for b.Loop() {
		fo := trail.NewFolder(nil, nil)
		for _, r := range rows {
			if err := athena.ParseGroup(r, &g); err != nil {
				b.Fatal(err)
			}
			fo.Add(&g)
		}
		if len(fo.Rows()) == 0 {
			b.Fatal("no rows")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/group")
}
