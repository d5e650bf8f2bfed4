package trail_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/trail"
)

// streamSource hides DirSource's in-memory files behind a plain
// io.ReadCloser, so the scan reads them through the streaming gzip reader
// instead of internal/inflate.
type streamSource struct{ *trail.DirSource }

func (s streamSource) Open(ctx context.Context, o trail.Object) (io.ReadCloser, error) {
	rc, err := s.DirSource.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	return struct{ io.ReadCloser }{rc}, nil
}

// TestScanGzipWholeVsStream: gzip files read whole (decoded by
// internal/inflate) and the same files streamed (klauspost's reader) give
// the same rows and the same skips: a multi-member file, a file whose
// decompressed size (3.5 MiB) is well past MaxFileBytes (2 MiB: the
// streaming reader checks the limit only when its buffer is full, and the
// buffer grows past the limit by up to a quarter; internal/inflate stops
// at the limit exactly), a bad CRC, trailing garbage, a lying ISIZE.
func TestScanGzipWholeVsStream(t *testing.T) {
	dir := t.TempDir()
	day := "AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/01/"
	rec2 := strings.Replace(goodRecord, `"ListBuckets"`, `"GetObject"`, 1)
	writeFile(t, dir, day+"multi.json.gz", append(gz(t, `{"Records":[`+goodRecord+`,`), gz(t, rec2+`]}`)...))
	big := `{"Records":[` + strings.Repeat(goodRecord+",", 11000) + goodRecord + `]}` // 3.5 MiB
	writeFile(t, dir, day+"big.json.gz", gz(t, big))
	badCRC := gz(t, `{"Records":[`+goodRecord+`]}`)
	badCRC[len(badCRC)-8] ^= 1
	writeFile(t, dir, day+"badcrc.json.gz", badCRC)
	writeFile(t, dir, day+"garbage.json.gz", append(gz(t, `{"Records":[`+goodRecord+`]}`), "junk"...))
	lying := gz(t, `{"Records":[`+rec2+`]}`)
	writeFile(t, dir, day+"isize.json.gz", append(gz(t, strings.Repeat(" ", 100000)), lying...)) // the last member's ISIZE is small

	scan := func(src trail.Source) *trail.Result {
		// One worker: the skip examples are kept in the order files are
		// read, which two workers make vary from run to run.
		res, err := trail.Scan(context.Background(), src, trail.Options{MaxFileBytes: 2 << 20, Parallel: 1})
		if err != nil {
			t.Fatal(err)
		}
		res.Summary.Duration = 0
		// What was decompressed of the file over the limit before the
		// read stopped differs (the streaming reader stops at a buffer
		// size class past the limit).
		res.Summary.BytesDecompressed = 0
		return res
	}
	whole := scan(&trail.DirSource{Dir: dir})
	stream := scan(streamSource{&trail.DirSource{Dir: dir}})

	got := map[string]int64{}
	for reason, sk := range whole.Summary.SkippedFiles {
		got[reason] = sk.Count
	}
	want := map[string]int64{trail.SkipFileGzip: 2, trail.SkipFileTooLarge: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("skipped files, whole (-want +got):\n%s", diff)
	}
	var calls []string
	for _, r := range whole.Rows {
		calls = append(calls, r.Action)
	}
	var n int64
	for _, r := range whole.Rows {
		n += r.Count
	}
	if n != 3 {
		t.Errorf("records counted %d, want 3 (multi-member 2, isize 1): %v", n, calls)
	}
	if diff := cmp.Diff(stream.Summary, whole.Summary); diff != "" {
		t.Errorf("summary, stream vs whole (-stream +whole):\n%s", diff)
	}
	if diff := cmp.Diff(stream.Rows, whole.Rows); diff != "" {
		t.Errorf("rows, stream vs whole (-stream +whole):\n%s", diff)
	}
	var wb, sb bytes.Buffer
	for _, o := range whole.Objects {
		wb.WriteString(o.Key + " " + o.Digest + "\n")
	}
	for _, o := range stream.Objects {
		sb.WriteString(o.Key + " " + o.Digest + "\n")
	}
	if wb.String() != sb.String() {
		t.Errorf("objects, stream:\n%s\nwhole:\n%s", sb.String(), wb.String())
	}
}
