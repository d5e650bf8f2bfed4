package usage

import (
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
	blob := encodeLedger(ledgerDir, led)
	if len(blob) >= len(encodeLedger("other", led)) {
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
	if err := decodeEntries(markDir, true, encodeEntries(markDir, marks), gotMarks); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(marks, gotMarks); diff != "" {
		t.Errorf("marks round trip (-want +got):\n%s", diff)
	}
	const d = "d0c0000000000000000000000000000a"
	content := map[string]LedgerEntry{d: {Size: 9, Digest: d}}
	cb := encodeLedger("sha256/d0", content)
	if want := "=0MAAAAAAAAAAAAAAAAAACg\t9\t\n"; string(cb) != want {
		t.Errorf("content entry %q, want %q (the digest in base64, not twice)", cb, want)
	}
	if e := encodeLedger(ledgerDir, map[string]LedgerEntry{names[0]: {Size: 1, Digest: d}}); string(e) != "~T0005Z_abc.json\t1\t=0MAAAAAAAAAAAAAAAAAACg\n" {
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
