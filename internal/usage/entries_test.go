package usage

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Ledger entries and path marks store delivery file names without the
// prefix their folder implies, digests in base64, and content entries
// without the digest their name is; all read back whole, and entries
// written whole (schema 6) still read.
func TestCompactEntries(t *testing.T) {
	const ledgerDir = "111111111111/us-east-1/2026/11/02"
	const markDir = "/logs/AWSLogs/o-abc/111111111111/CloudTrail/us-east-1/2026/11/02"
	names := []string{
		"111111111111_CloudTrail_us-east-1_20261102T0005Z_abc.json",
		"111111111111_CloudTrail_us-east-1_20261102T0010Z_d\"ef.json", // quoted, whole
		"~tilde.json",
		"=equals.json",
		"222222222222_CloudTrail_us-east-1_20261102T0005Z_x.json", // another account's name: whole
		"111111111111_CloudTrail_us-east-1_20261102",              // the prefix alone: whole
	}
	led := map[string]LedgerEntry{}
	marks := map[string]ObjectMark{}
	for i, n := range names {
		led[n] = LedgerEntry{Size: int64(i), Digest: "0123456789abcdef0123456789abcdef"}
		marks[n] = ObjectMark{Size: int64(i), ETag: "e", MTime: time.Unix(int64(i), 0).UTC()}
	}
	blob := encodeLedgerText(ledgerDir, led)
	if len(blob) >= len(encodeLedgerText("other", led)) {
		t.Errorf("compact ledger blob (%d bytes) not smaller than whole names", len(blob))
	}
	got := map[string]LedgerEntry{}
	if err := decodeLedger(ledgerDir, blob, got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(led, got); diff != "" {
		t.Errorf("ledger round trip (-want +got):\n%s", diff)
	}
	gotMarks := map[string]ObjectMark{}
	if err := decodeEntries(markDir, true, encodeEntriesText(markDir, marks), gotMarks); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(marks, gotMarks); diff != "" {
		t.Errorf("marks round trip (-want +got):\n%s", diff)
	}
	const d = "d0c0000000000000000000000000000a"
	content := map[string]LedgerEntry{d: {Size: 9, Digest: d}}
	cb := encodeLedgerText("sha256/d0", content)
	if want := "=0MAAAAAAAAAAAAAAAAAACg\t9\t\n"; string(cb) != want {
		t.Errorf("content entry %q, want %q (the digest in base64, not twice)", cb, want)
	}
	if e := encodeLedgerText(ledgerDir, map[string]LedgerEntry{names[0]: {Size: 1, Digest: d}}); string(e) != "~T0005Z_abc.json\t1\t=0MAAAAAAAAAAAAAAAAAACg\n" {
		t.Errorf("identity entry %q", e)
	}
	gotC := map[string]LedgerEntry{}
	if err := decodeLedger("sha256/d0", cb, gotC); err != nil || !cmp.Equal(content, gotC) {
		t.Errorf("content round trip %v %v", gotC, err)
	}
	// Schema 6 wrote names whole and content digests twice.
	old := names[0] + "\t5\t" + d + "\n" + "~x\t1\t" + d + "\n"
	gotOld := map[string]LedgerEntry{}
	if err := decodeLedger("sha256/d0", []byte(old), gotOld); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]LedgerEntry{names[0]: {Size: 5, Digest: d}, "~x": {Size: 1, Digest: d}}, gotOld); diff != "" {
		t.Errorf("schema 6 entries (-want +got):\n%s", diff)
	}
}

// Schema 8 folder rows are binary: delivery names packed (14 bytes for
// the ~57 of a CloudTrail file name), digests of each algorithm in 16
// bytes, hex MD5 etags in 16, times after the folder's day; every other
// name, etag or size reads back as written, and a damaged blob is an error
// naming what is wrong, never a panic.
func TestBinaryEntries(t *testing.T) {
	const ledgerDir = "111111111111/us-east-1/2026/11/02"
	const markDir = "/logs/AWSLogs/o-abc/111111111111/CloudTrail/us-east-1/2026/11/02"
	const own = "111111111111_CloudTrail_us-east-1_20261102T2359Z_KeOcKXjVATu9UDuz.json"
	led := map[string]LedgerEntry{
		own: {Size: 48213, Digest: "xxh3:00112233445566778899aabbccddeeff"},
		"111111111111_CloudTrail_us-east-1_20261102T0005Z_abc.json":              {Size: 1, Digest: "0123456789abcdef0123456789abcdef"}, // short unique: whole
		"111111111111_CloudTrail_us-east-1_20261102T2460Z_KeOcKXjVATu9UDuz.json": {Size: -1},                                            // no such minute: whole
		"111111111111_CloudTrail_us-east-1_20261102T0000Z_KeOcKXjVATu9UD-z.json": {Size: 0, Digest: "xxh3:ffffffffffffffffffffffffffffffff"},
		"flat name\twith tab": {Size: 7, Digest: "0123456789abcdef0123456789abcdef"},
	}
	blob := encodeLedger(ledgerDir, led)
	got := map[string]LedgerEntry{}
	if err := decodeLedger(ledgerDir, blob, got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(led, got); diff != "" {
		t.Errorf("ledger round trip (-want +got):\n%s", diff)
	}
	one := encodeLedger(ledgerDir, map[string]LedgerEntry{own: led[own]})
	if len(one) != 1+1+14+3+16 {
		t.Errorf("one packed entry is %d bytes, want %d: % x", len(one), 1+1+14+3+16, one)
	}
	marks := map[string]ObjectMark{
		own + ".gz":   {Size: 5012, MTime: time.Date(2026, 11, 2, 23, 59, 40, 0, time.UTC)},
		own:           {Size: 48213, ETag: "9b2cf535f27731c974343645a3985328", MTime: time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC)},
		own + ".gzip": {Size: 1, ETag: "9b2cf535f27731c974343645a3985328-2", MTime: time.Unix(5, 0).UTC()},
		"other.json":  {Size: 3, ETag: "\"quoted\"", MTime: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
	}
	mb := encodeEntries(markDir, marks)
	gotMarks := map[string]ObjectMark{}
	if err := decodeEntries(markDir, true, mb, gotMarks); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(marks, gotMarks); diff != "" {
		t.Errorf("marks round trip (-want +got):\n%s", diff)
	}
	byPath := map[string]ObjectMark{}
	if err := decodeEntries(markDir, false, mb, byPath); err != nil || len(byPath) != 4 || byPath[markDir+"/other.json"] != marks["other.json"] {
		t.Errorf("marks by path: %v %v", byPath, err)
	}
	m1 := encodeEntries(markDir, map[string]ObjectMark{own + ".gz": marks[own+".gz"]})
	if len(m1) != 1+1+14+2+3+1 {
		t.Errorf("one packed mark is %d bytes, want %d: % x", len(m1), 1+1+14+2+3+1, m1)
	}
	// Every truncation of a valid blob is an error, not a panic.
	for _, b := range [][]byte{blob, mb} {
		for n := 2; n < len(b); n++ {
			if err := decodeLedger(ledgerDir, b[:n], map[string]LedgerEntry{}); err == nil && bytes.Equal(b, blob) {
				// a cut between entries is a valid shorter blob: only
				// cuts inside an entry must fail, checked below
				continue
			}
			decodeEntries(markDir, true, b[:n], map[string]ObjectMark{})
		}
	}
	if err := decodeLedger(ledgerDir, one[:len(one)-1], map[string]LedgerEntry{}); err == nil {
		t.Error("a ledger entry without its last digest byte read without error")
	}
	if err := decodeEntries(markDir, true, m1[:len(m1)-1], map[string]ObjectMark{}); err == nil {
		t.Error("a mark without its etag read without error")
	}
}

// Schema 8 session keys lists: an ASIA key of 16 base32 characters in 10
// bytes after the seconds since the previous key's issue; any other key
// whole; schema 7's text lists still read; a cut list is an error.
func TestSessionKeysBinary(t *testing.T) {
	m := map[string]int64{
		"ASIAIOSFODNN7EXAMPLE": 100,
		"ASIAQWERTYUIOPASDFGH": 100,
		"ASIAZZZZZZZZZZZZZZZ2": 86399,
		"ASIAshort":            5,
		"AKIAIOSFODNN7EXAMPLE": 7,
		"ASIA0000000000000000": 9, // 0 is not base32: whole
		"ASIAIOSFODNN7EXAMPL1": 10,
	}
	b := encodeKeys(m)
	got := map[string]int64{}
	if err := decodeKeys(string(b), got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	three := encodeKeys(map[string]int64{"ASIAIOSFODNN7EXAMPLE": 100, "ASIAQWERTYUIOPASDFGH": 100, "ASIAZZZZZZZZZZZZZZZ2": 86399})
	if want := 1 + (2 + 10) + (1 + 10) + (3 + 10); len(three) != want {
		t.Errorf("three keys in %d bytes, want %d: % x", len(three), want, three)
	}
	if !bytes.Contains(three, storedKey("ASIAQWERTYUIOPASDFGH")) || bytes.Contains(three, storedKey("ASIAIOSFODNN7EXAMPLA")) {
		t.Error("storedKey does not find a listed key, or finds one not listed")
	}
	old := map[string]int64{}
	if err := decodeKeys(encodeKeysText(m), old); err != nil || !cmp.Equal(m, old) {
		t.Errorf("schema 7 list: %v %v", old, err)
	}
	for n := 2; n < len(three); n++ {
		if n == 13 || n == 24 {
			continue // between entries
		}
		if err := decodeKeys(string(three[:n]), map[string]int64{}); err == nil {
			t.Errorf("list cut at %d read without error", n)
		}
	}
}

// A key is found in a keys list of either encoding (a text list can only
// come from schema 7 and is rewritten by the upgrade; finding it anyway
// keeps a list written by any other path readable).
func TestSessionKeyLookupBothEncodings(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	k := SessionKey{SessionKey: "ASIAIOSFODNN7EXAMPLE", IssuerKey: "AKIA1", IssuerPrincipal: "arn:aws:iam::111111111111:user/u", Action: "sts:GetSessionToken", IssuedAt: t0.Add(90 * time.Second)}
	if err := s.Commit(ctx, Batch{SessionKeys: []SessionKey{k}}); err != nil {
		t.Fatal(err)
	}
	for _, enc := range []string{"binary", "text"} {
		if enc == "text" {
			if _, err := s.db.Exec(`UPDATE session_keys SET keys=?`, encodeKeysText(map[string]int64{k.SessionKey: 90})); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.SessionKeys(ctx, "", k.SessionKey)
		if err != nil || len(got) != 1 || !cmp.Equal(k, got[0]) {
			t.Errorf("%s list: %+v %v", enc, got, err)
		}
		if got, err := s.SessionKeys(ctx, "", "ASIAIOSFODNN7EXAMPLF"); err != nil || len(got) != 0 {
			t.Errorf("%s list: another key found: %+v %v", enc, got, err)
		}
	}
}
