package roles_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/demo/demotest"
	"github.com/seiri-dev/seiri/internal/roles"
)

// bigRanges builds a list the size of the published one (~8,000 IPv4
// prefixes of mixed lengths).
func bigRanges(b *testing.B) *roles.Ranges {
	var buf bytes.Buffer
	buf.WriteString(`{"syncToken":"1","prefixes":[`)
	n := 0
	for a := 1; a < 250 && n < 8000; a++ {
		for c := 0; c < 32 && n < 8000; c++ {
			if n > 0 {
				buf.WriteByte(',')
			}
			fmt.Fprintf(&buf, `{"ip_prefix":"%d.%d.0.0/%d","region":"eu-west-1","service":"EC2"}`, a, c*8, 13+c%12)
			n++
		}
	}
	buf.WriteString(`],"ipv6_prefixes":[]}`)
	r, err := roles.ParseIPRanges(buf.Bytes(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func BenchmarkLookup(b *testing.B) {
	r := bigRanges(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.Lookup(fmt.Sprintf("%d.%d.7.9", 1+i%249, i%256))
	}
}

func BenchmarkSuggestDemo(b *testing.B) {
	f := demotest.Scanned(b, demoNow)
	org, rows := f.Org, f.Rows
	rg := roles.EmbeddedRanges()
	cat := catalog.Embedded()
	b.ReportAllocs()
	for b.Loop() {
		for _, a := range org.Accounts {
			if _, err := roles.Suggest(roles.Input{Account: a, Usage: rows, Ranges: rg, Catalog: cat}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
