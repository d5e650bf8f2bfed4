package usage

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// schemaUsageV8 is the usage table of schemas 7 and 8: samples as text
// (encodeSamplesText).
var schemaUsageV8 = strings.Replace(usageTable("usage"), "samples BLOB NOT NULL", "samples TEXT NOT NULL", 1)

// writeV8Usage makes the usage table of the store at path the one schema
// 8 wrote (text samples, no sample_strs), with the same rows, and the
// store a schema 8 store.
func writeV8Usage(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+URIPath(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	vals := newTableNames(tx, "sample_strs")
	if err := vals.read(context.Background(), `SELECT id, s FROM sample_strs`); err != nil {
		t.Fatal(err)
	}
	type stored struct {
		k       ikey
		v       [4]int64
		samples string
	}
	var rows []stored
	rs, err := tx.Query(`SELECT ` + keyCols + `,` + valCols + ` FROM usage`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var x stored
		var blob []byte
		k := &x.k
		if err := rs.Scan(&k[0], &k[1], &k[2], &k[3], &k[4], &k[5], &k[6], &k[7], &x.v[0], &x.v[1], &x.v[2], &x.v[3], &blob); err != nil {
			t.Fatal(err)
		}
		ids, err := decodeSampleIDs(blob)
		if err != nil {
			t.Fatal(err)
		}
		var r Row
		if err := ids.fill(vals, &r); err != nil {
			t.Fatal(err)
		}
		x.samples = encodeSamplesText(&r)
		rows = append(rows, x)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{`DROP TABLE usage`, schemaUsageV8, `DROP TABLE sample_strs`, `UPDATE meta SET v='8' WHERE k='schema'`} {
		if _, err := tx.Exec(stmt); err != nil {
			t.Fatal(stmt, err)
		}
	}
	for _, x := range rows {
		k := x.k
		if _, err := tx.Exec(`INSERT INTO usage(`+keyCols+`,`+valCols+`) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], x.v[0], x.v[1], x.v[2], x.v[3], x.samples); err != nil {
			t.Fatal(err)
		}
	}
	if err := createIndexes(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// roundTrip stores r's samples in a fresh store's dictionary and reads
// them back.
func roundTrip(t *testing.T, tx *sql.Tx, d *dict, r *Row) (Row, []byte) {
	t.Helper()
	ctx := context.Background()
	b, err := encodeSamples(ctx, d.vals, r)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.vals.flush(ctx, tx); err != nil {
		t.Fatal(err)
	}
	ids, err := decodeSampleIDs(b)
	if err != nil {
		t.Fatalf("%x: %v", b, err)
	}
	n := newTableNames(tx, "sample_strs")
	ids.need(n)
	if err := n.load(ctx); err != nil {
		t.Fatal(err)
	}
	var got Row
	if err := ids.fill(n, &got); err != nil {
		t.Fatal(err)
	}
	return got, b
}

// Every set comes back as it went in, values and order, whichever sets are
// empty; values holding the separators of the text encoding (U+001E,
// U+001F) or not valid UTF-8 come back unchanged; no samples is an empty
// blob.
func TestSamplesRoundTrip(t *testing.T) {
	s := openTemp(t)
	tx, err := s.db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	d, err := newDict(context.Background(), tx)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	for name, r := range map[string]Row{
		"none":       {},
		"first only": {IPClasses: []string{"aws-internal", "public"}},
		"last only":  {SourceIdentities: []string{"alice"}},
		"gaps":       {SourceIPs: []string{"10.0.0.1"}, Sessions: []string{"s-1", "s-2"}},
		"all": {IPClasses: []string{"aws-service:lambda", "private"}, SourceIPs: []string{"1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"},
			UserAgents: []string{"aws-cli/2", "boto3"}, VPCEndpoints: []string{"vpce-1"}, Sessions: []string{"s-1"}, SourceIdentities: []string{"bob"}},
		"separators": {UserAgents: []string{"ua\x1ewith\x1fseparators", "\x1f"}, Sessions: []string{"\x1e"}},
		"bytes":      {UserAgents: []string{"\xff\xfe not UTF-8"}},
		"many ids":   {SourceIPs: manyValues(300)}, // ids past one byte
	} {
		got, b := roundTrip(t, tx, d, &r)
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("%s: (-stored +read):\n%s", name, diff)
		}
		if name == "none" && (b == nil || len(b) != 0) {
			t.Errorf("no samples stored as %#v, want an empty blob", b)
		}
	}
	// The same value is the same id in every set and row.
	var r1, r2 Row
	r1.UserAgents, r2.Sessions = []string{"x"}, []string{"x"}
	_, b1 := roundTrip(t, tx, d, &r1)
	_, b2 := roundTrip(t, tx, d, &r2)
	id1, _ := decodeSampleIDs(b1)
	id2, _ := decodeSampleIDs(b2)
	if id1[2][0] != id2[4][0] {
		t.Errorf("one value, two ids: %v %v", id1, id2)
	}
}

func manyValues(n int) []string {
	v := make([]string, n)
	for i := range v {
		v[i] = fmt.Sprintf("10.%d.%d.1", i/256, i%256)
	}
	slices.Sort(v)
	return v
}

// A damaged samples column is an error saying what is wrong and where.
func TestDecodeSampleIDsErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"truncated length", []byte{0x80}, "samples column: set 1: bad or truncated length at byte 0 of 1"},
		{"truncated id", []byte{2, 1}, "samples column: set 1 holds 2 values in 1 bytes"},
		{"id cut in its middle", []byte{1, 0x81}, "samples column: set 1: bad or truncated id at byte 1 of 2"},
		{"more values than bytes", []byte{5, 1, 2}, "samples column: set 1 holds 5 values in 2 bytes"},
		{"seven sets", []byte{0, 0, 0, 0, 0, 0, 1, 1}, "samples column: 2 bytes after the last of 6 sets"},
		{"id too large", binary.AppendUvarint([]byte{1}, 1<<63), "samples column: set 1: id 9223372036854775808 out of range"},
		{"overlong", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, "samples column: set 1: bad or truncated id at byte 1 of 12"},
	} {
		if _, err := decodeSampleIDs(c.b); err == nil || err.Error() != c.want {
			t.Errorf("%s: %x: %v, want %q", c.name, c.b, err, c.want)
		}
	}
}

// Whatever the bytes, decodeSampleIDs returns sets or an error, never
// panics; what it decodes encodes back to the same bytes.
func FuzzDecodeSampleIDs(f *testing.F) {
	for _, b := range [][]byte{{}, {0}, {1, 5}, {2, 1, 2, 0, 1, 0x80, 0x01}, {0x80}, {0, 0, 0, 0, 0, 0, 1}} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ids, err := decodeSampleIDs(b)
		if err != nil {
			return
		}
		n := 0
		for _, set := range ids {
			n += len(set)
		}
		if n > len(b) {
			t.Fatalf("%x: %d ids from %d bytes", b, n, len(b))
		}
		// Non-minimal uvarints and trailing empty sets decode too: the
		// re-encoding decodes to the same sets.
		again, err := decodeSampleIDs(ids.encode())
		if err != nil || !cmp.Equal(ids, again) {
			t.Fatalf("%x: %v, re-encoded %v (%v)", b, ids, again, err)
		}
	})
}

// A rescan's union keeps the MaxSamples smallest values by string, also
// when the store gave the values ids in another order than their strings
// (the largest first): the merge compares strings, not ids. The stored and
// incoming sets overlap, one side may be empty, and every set is merged,
// the IP classes without bound.
func TestSampleUnionByStringNotID(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	k := Key{Account: "111111111111", Principal: "arn:aws:iam::111111111111:user/u", PrincipalType: "IAMUser", Action: "s3:GetObject"}
	first := Row{Key: k, Count: 1, FirstSeen: t0, LastSeen: t0,
		IPClasses: []string{"public"},
		SourceIPs: []string{"9.9.9.9", "8.8.8.8", "7.7.7.7", "6.6.6.6", "5.5.5.5"}, // ids 9.9.9.9 < … < 5.5.5.5
		Sessions:  []string{"s-z"}}
	// Stored as given (the store keeps what a caller hands it, as schema 8
	// did); the union sorts.
	if err := s.Commit(ctx, Batch{Rows: []Row{first}}); err != nil {
		t.Fatal(err)
	}
	second := Row{Key: k, Count: 2, FirstSeen: t0, LastSeen: t0,
		IPClasses:  []string{"aws-internal", "private"},
		SourceIPs:  []string{"1.1.1.1", "6.6.6.6", "9.0.0.0"},
		UserAgents: []string{"aws-cli/2"},
		Sessions:   []string{"s-a", "s-b", "s-c", "s-d", "s-e"}}
	if err := s.Commit(ctx, Batch{Rows: []Row{second}}); err != nil {
		t.Fatal(err)
	}
	got := storedRows(t, s)
	want := first
	want.Merge(&second)
	if diff := cmp.Diff([]Row{want}, got); diff != "" {
		t.Fatalf("(-Row.Merge +stored):\n%s", diff)
	}
	if w := []string{"1.1.1.1", "5.5.5.5", "6.6.6.6", "7.7.7.7", "8.8.8.8"}; !slices.Equal(got[0].SourceIPs, w) {
		t.Errorf("source IPs %v, want %v", got[0].SourceIPs, w)
	}
	if w := []string{"aws-internal", "private", "public"}; !slices.Equal(got[0].IPClasses, w) {
		t.Errorf("IP classes %v, want %v", got[0].IPClasses, w)
	}

	// The same rows in the other order, into a store whose dictionary
	// holds the values in yet another order, through a scan's Writer: the
	// same row.
	other := openTemp(t)
	var pre []Row
	for i, v := range append(slices.Clone(first.SourceIPs), "s-e", "s-d", "s-c", "aws-cli/2", "1.1.1.1") {
		pre = append(pre, Row{Key: Key{Account: "222222222222", Principal: fmt.Sprint("p", i), Action: "a"}, Count: 1, FirstSeen: t0, LastSeen: t0, SourceIPs: []string{v}})
	}
	slices.Reverse(pre)
	if err := other.Commit(ctx, Batch{Rows: pre}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []Row{second, first} {
		w, err := other.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Add(ctx, Batch{Rows: []Row{r}}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Finish(ctx, Batch{}); err != nil {
			t.Fatal(err)
		}
	}
	got2, err := other.Usage(ctx, Query{Account: "111111111111"})
	if err != nil {
		t.Fatal(err)
	}
	want2 := second
	want2.Merge(&first)
	if diff := cmp.Diff([]Row{want2}, got2); diff != "" {
		t.Fatalf("other order: (-Row.Merge +stored):\n%s", diff)
	}
	if diff := cmp.Diff(got[0], got2[0]); diff != "" {
		t.Errorf("the two orders differ:\n%s", diff)
	}
}

// A schema 8 store (text samples, written by schema 8's encoder from rows
// a current store holds) opens as schema 9 with the same rows whatever
// query reads them, the same summary and totals; its sample values are in
// sample_strs, once each; a read-only open upgrades a writable store.
func TestMigrationFromSchema8(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(8, 9))
	in := randomSampledRows(rng, 600)
	// Schema 8 stored a value holding its separators with U+FFFD in their
	// place: that is the value the upgrade finds.
	in[0].UserAgents = []string{"ua\x1ewith separators\x1f"}
	path := filepath.Join(t.TempDir(), "usage.db")
	s0, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s0.Commit(ctx, Batch{Rows: in}); err != nil {
		t.Fatal(err)
	}
	var want [][]Row
	queries := []Query{{}, {Principal: "arn:aws:iam::111111111111:user/a"}, {Account: "222222222222"}, {Action: "s3:*"},
		{AccessKeyID: "AKIA1"}, {ErrorsOnly: true}, {Limit: 7}}
	for _, q := range queries {
		rows, err := s0.Usage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			for j, ua := range rows[i].UserAgents {
				rows[i].UserAgents[j] = cleanValue(ua)
			}
		}
		want = append(want, rows)
	}
	wantTotals, _ := s0.Totals(ctx)
	wantSummary := readSummary(t, s0.db, false)
	s0.Close()
	writeV8Usage(t, path)
	var typ string
	db, _ := sql.Open("sqlite", "file:"+URIPath(path))
	if err := db.QueryRow(`SELECT type FROM pragma_table_info('usage') WHERE name='samples'`).Scan(&typ); err != nil || typ != "TEXT" {
		t.Fatalf("schema 8 store: samples %s %v", typ, err)
	}
	db.Close()

	s, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v string
	if err := s.db.QueryRow(`SELECT v FROM meta WHERE k='schema'`).Scan(&v); err != nil || v != "9" {
		t.Fatalf("after opening: schema %s, %v", v, err)
	}
	for i, q := range queries {
		got, err := s.Usage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want[i], got); diff != "" {
			t.Errorf("%+v (-before +after upgrade):\n%s", q, diff)
		}
	}
	if tot, err := s.Totals(ctx); err != nil || !cmp.Equal(wantTotals, tot) {
		t.Errorf("totals %+v, want %+v (%v)", tot, wantTotals, err)
	}
	if diff := cmp.Diff(wantSummary, readSummary(t, s.db, false)); diff != "" {
		t.Errorf("summary (-before +after):\n%s", diff)
	}
	var blobs, dup int
	if err := s.db.QueryRow(`SELECT (SELECT count(*) FROM usage WHERE typeof(samples) <> 'blob'), (SELECT count(*) - count(DISTINCT s) FROM sample_strs)`).Scan(&blobs, &dup); err != nil || blobs != 0 || dup != 0 {
		t.Errorf("%d rows with samples not a blob, %d values twice in sample_strs (%v)", blobs, dup, err)
	}
	if err := s.db.QueryRow(`SELECT type FROM pragma_table_info('usage') WHERE name='samples'`).Scan(&typ); err != nil || typ != "BLOB" {
		t.Errorf("upgraded store: samples %s %v", typ, err)
	}
}

// The upgrade copies the usage table a part at a time: a table of several
// parts comes out whole, in order, with every index.
func TestMigrationFromSchema8Parts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "usage.db")
	s0, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var in []Row
	for i := range 45000 { // 20,000 rows a part
		in = append(in, Row{Key: Key{Account: "111111111111", Principal: fmt.Sprintf("p%05d", i%900), Action: fmt.Sprintf("a%d", i/900)},
			Count: 1, FirstSeen: t0, LastSeen: t0, SourceIPs: []string{fmt.Sprint("10.0.", i%300, ".1")}})
	}
	if err := s0.Commit(ctx, Batch{Rows: in}); err != nil {
		t.Fatal(err)
	}
	want := storedRows(t, s0)
	s0.Close()
	writeV8Usage(t, path)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if diff := cmp.Diff(want, storedRows(t, s)); diff != "" {
		t.Fatalf("(-before +after upgrade):\n%s", diff)
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type='index' AND tbl_name='usage' AND name LIKE 'usage_%'`).Scan(&n); err != nil || n != len(secondaryIndexes) {
		t.Errorf("%d secondary indexes, want %d (%v)", n, len(secondaryIndexes), err)
	}
}

// A read-only copy of a schema 8 store (folder 0500, store 0400) is
// refused with what to run; where permissions are not enforced (root),
// the file is writable and upgraded, as any older store is.
func TestOpenReadOnlySchema8(t *testing.T) {
	enforced := runtime.GOOS != "windows" && os.Getuid() != 0
	ctx := context.Background()
	_, path, want := readOnlyStore(t, []Row{row("arn:aws:iam::111111111111:user/u", "s3:GetObject", "", 0, 0, 1, "10.0.0.1")},
		func(path string) { writeV8Usage(t, path) })
	s, err := OpenReadOnly(ctx, path)
	if enforced {
		if err == nil || !strings.Contains(err.Error(), "schema version 8, this seiri reads version 9: run `seiri trail scan` on a writable copy") {
			t.Fatalf("read-only schema 8 store: %v", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Usage(ctx, Query{})
	if diff := cmp.Diff(want, got); diff != "" || err != nil {
		t.Errorf("upgraded: %v (-want +got):\n%s", err, diff)
	}
}

// encodeSamplesText writes the samples column of schemas 7 and 8 (see
// decodeSamplesText), as the stores these tests upgrade hold it.
func encodeSamplesText(r *Row) string {
	var sets [nsets]string
	for i, set := range sampleSets(r) {
		sets[i] = joinSet(*set)
	}
	n := len(sets)
	for n > 0 && sets[n-1] == "" {
		n--
	}
	return strings.Join(sets[:n], samplesSep)
}
