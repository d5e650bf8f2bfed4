package catalog

import (
	"testing"
)

// Benchmarks, run with (2 cores shared, keep them short):
//
//	go test -run XXX -bench . -benchtime 2000x ./internal/catalog
//
// Results with the machine are in docs/bench-catalog.md.

var expandPatterns = []string{"s3:Get*", "*:Describe*", "iam:*AccessKey*", "*", "ec2:*", "*:*Tag*", "s3:GetObject"}

// BenchmarkExpand is the steady state: patterns seen before come from the
// per-catalog cache.
func BenchmarkExpand(b *testing.B) {
	c := Embedded()
	for _, p := range expandPatterns {
		c.Expand(p)
	}
	for _, p := range expandPatterns {
		b.Run(p, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Expand(p)
			}
		})
	}
}

// BenchmarkExpandUncached is a pattern's first expansion across all ~22,000
// actions (the index and the literal-prefix binary search, no cache).
func BenchmarkExpandUncached(b *testing.B) {
	c := Embedded()
	for _, p := range expandPatterns {
		b.Run(p, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.expandUncached(lowerASCII(p))
			}
		})
	}
}

func BenchmarkAction(b *testing.B) {
	c := Embedded()
	b.ReportAllocs()
	for b.Loop() {
		c.Action("s3:GetObject")
	}
}

func BenchmarkMatchARN(b *testing.B) {
	s, _ := Embedded().Service("s3")
	obj, _ := s.ResourceType("object")
	for _, arn := range []string{"arn:aws:s3:::bucket/path/to/key.txt", "arn:aws:s3:::bucket/*"} {
		b.Run(arn, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				obj.MatchARN(arn)
			}
		})
	}
}

func BenchmarkSearch(b *testing.B) {
	c := Embedded()
	b.ReportAllocs()
	for b.Loop() {
		c.Search("access key")
	}
}

// BenchmarkDecodeEmbedded is the one-time cost of the first catalog use.
func BenchmarkDecodeEmbedded(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(embedded)))
	for b.Loop() {
		if _, err := decodeBytes(embedded); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeEmbeddedActionNames is what a scan pays for the catalog:
// the action names only.
func BenchmarkDecodeEmbeddedActionNames(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(embedded)))
	for b.Loop() {
		EmbeddedActionNames()
	}
}
