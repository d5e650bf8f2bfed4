package credreport

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// genReport builds a report of n users in AWS's format.
func genReport(n int) []byte {
	var b bytes.Buffer
	b.WriteString(strings.Join(Columns, ",") + "\n")
	b.WriteString("<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,2024-05-01T10:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "user%d,arn:aws:iam::123456789012:user/team/user%d,2021-02-03T04:05:06+00:00,true,2024-05-02T11:12:13+00:00,2023-01-01T00:00:00+00:00,N/A,true,true,2021-02-03T04:05:06+00:00,2024-05-03T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n", i, i)
	}
	return b.Bytes()
}

// BenchmarkParse measures parsing a 5,000-user report (the size of a large
// account).
func BenchmarkParse(b *testing.B) {
	data := genReport(5000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(data), "bench.csv"); err != nil {
			b.Fatal(err)
		}
	}
}
