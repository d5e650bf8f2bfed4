package report

import (
	"fmt"
	"io"
	"testing"

	"github.com/seiri-dev/seiri/internal/finding"
)

// BenchmarkRender renders 20,000 findings in each format.
func BenchmarkRender(b *testing.B) {
	r := sample()
	base := r.Findings
	r.Findings = nil
	for i := 0; i < 5000; i++ {
		for _, f := range base {
			f.Resource = fmt.Sprintf("%s-%d", f.Resource, i)
			r.Findings = append(r.Findings, f)
		}
	}
	for _, format := range Formats {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Render(io.Discard, format, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	_ = finding.Info
}
