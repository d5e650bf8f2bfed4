package detect

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/trail"
)

// recordOf writes an event as a CloudTrail record (the members the
// scanner reads; CloudTrail record contents).
func recordOf(e Event) map[string]any {
	id := map[string]any{"type": e.IdentityType, "arn": e.ARN, "accessKeyId": e.AccessKeyID, "accountId": e.Account}
	if e.UserName != "" {
		id["userName"] = e.UserName
	}
	if e.IssuerARN != "" || e.EC2Role {
		sc := map[string]any{"sessionIssuer": map[string]any{"type": "Role", "arn": e.IssuerARN}}
		if e.EC2Role {
			sc["ec2RoleDelivery"] = "2.0"
		}
		id["sessionContext"] = sc
	}
	r := map[string]any{"eventVersion": "1.09", "userIdentity": id, "eventTime": e.Time.Format(time.RFC3339), "eventSource": e.Source,
		"eventName": e.Name, "awsRegion": e.Region, "sourceIPAddress": e.SourceIP, "userAgent": e.UserAgent, "eventID": e.EventID,
		"eventType": "AwsApiCall", "recipientAccountId": e.Account}
	if e.ErrorCode != "" {
		r["errorCode"] = e.ErrorCode
	}
	return r
}

// fixtureCorpus writes, under dir, the records of testdata's attacks,
// windowed and new-way files and the new-way rules' clean history as a
// CloudTrail delivery would: one file per account, region and 5 minutes,
// named with a delivery time 1 to 15 minutes after the file's last
// record, records in each file in a scrambled order. Key order is then
// not time order (accounts and regions interleave) and files overlap.
func fixtureCorpus(t *testing.T, dir string) int {
	t.Helper()
	var recs []map[string]any
	for _, f := range []string{"attacks.json", "windowed.json", "newway.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		var log struct{ Records []map[string]any }
		if err := json.Unmarshal(b, &log); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, log.Records...)
	}
	for _, e := range cleanHistory() {
		recs = append(recs, recordOf(e))
	}
	type fileKey struct {
		acct, region string
		slot         int64
	}
	files := map[fileKey][]map[string]any{}
	for _, r := range recs {
		tm, err := time.Parse(time.RFC3339, r["eventTime"].(string))
		if err != nil {
			t.Fatal(err)
		}
		acct, _ := r["recipientAccountId"].(string)
		region, _ := r["awsRegion"].(string)
		k := fileKey{acct, region, tm.Unix() / 300}
		files[k] = append(files[k], r)
	}
	for k, rs := range files {
		h := sha256.Sum256([]byte(fmt.Sprint(k)))
		lag := time.Duration(1+binary.BigEndian.Uint16(h[:2])%15) * time.Minute
		delivered := time.Unix((k.slot+1)*300, 0).UTC().Add(lag)
		slices.SortFunc(rs, func(a, b map[string]any) int { // scrambled, deterministically
			ha, hb := sha256.Sum256([]byte(fmt.Sprint(a["eventID"]))), sha256.Sum256([]byte(fmt.Sprint(b["eventID"])))
			return bytes.Compare(ha[:], hb[:])
		})
		name := fmt.Sprintf("%s_CloudTrail_%s_%sZ_%x.json.gz", k.acct, k.region, delivered.Format("20060102T1504"), h[2:6])
		p := filepath.Join(dir, "AWSLogs", k.acct, "CloudTrail", k.region, delivered.Format("2006/01/02"), name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if err := json.NewEncoder(zw).Encode(map[string]any{"Records": rs}); err != nil {
			t.Fatal(err)
		}
		zw.Close()
		if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return len(recs)
}

// The streamed run judges exactly as sorting every record first did: the
// same findings (IDs, evidence, supporting events) and the same counts on
// a corpus whose key order is not time order, while holding only a
// reorder window's records at once. Golden: stream.golden.json.
func TestStreamingMatchesFullSort(t *testing.T) {
	dir := t.TempDir()
	n := fixtureCorpus(t, dir)
	src := &trail.DirSource{Dir: dir}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ranges := testRanges{complete: true}

	res, err := Run(context.Background(), Inputs{Sources: []trail.Source{src}, Ranges: ranges, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if res.Run.Records != n || res.Run.Late != 0 || res.Run.Stats.OutOfOrder != 0 {
		t.Fatalf("records %d of %d, late %d, out of order %d", res.Run.Records, n, res.Run.Late, res.Run.Stats.OutOfOrder)
	}
	if res.Run.MaxBuffered >= n/2 {
		t.Errorf("held %d of %d records at once: not streaming", res.Run.MaxBuffered, n)
	}

	// The reference: every record of every object in listing order, one
	// stable sort by time, one detector.
	l, err := src.List(context.Background(), &trail.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var evs []Event
	var rec trail.Record
	for _, o := range l.Objects {
		data, err := readObject(context.Background(), src, o, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := trail.ScanLog(data, &rec, func(r *trail.Record) { evs = append(evs, FromRecord(r)) }, func(int, string) {}); err != nil {
			t.Fatal(err)
		}
	}
	slices.SortStableFunc(evs, func(a, b Event) int { return a.Time.Compare(b.Time) })
	d := New(Config{})
	d.UseBaseline(NewBaseline())
	d.UseRanges(ranges)
	for i := range evs {
		d.Observe(&evs[i])
	}
	var got []*Finding
	for _, l := range res.Findings {
		got = append(got, l.Finding)
	}
	want := slices.Clone(d.Findings())
	byID := func(a, b *Finding) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	}
	slices.SortFunc(got, byID)
	slices.SortFunc(want, byID)
	a, _ := json.MarshalIndent(got, "", " ")
	b, _ := json.MarshalIndent(want, "", " ")
	if !bytes.Equal(a, b) {
		t.Errorf("streamed findings differ from the full sort's:\nstreamed %s\nsorted   %s", a, b)
	}
	sa, _ := json.Marshal(res.Run.Stats)
	sb, _ := json.Marshal(d.Stats())
	if !bytes.Equal(sa, sb) {
		t.Errorf("stats differ:\nstreamed %s\nsorted   %s", sa, sb)
	}
	if len(got) < 30 {
		t.Errorf("%d findings: the fixture should exercise every rule family", len(got))
	}
	g := &Detector{findings: got, stats: res.Run.Stats}
	checkGolden(t, "stream.golden.json", g)

	// A reorder window shorter than the deliveries' lag: records come
	// after newer ones were judged; they are counted, not lost.
	res, err = Run(context.Background(), Inputs{Sources: []trail.Source{src}, Ranges: ranges, Now: now, Reorder: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Run.Late == 0 || res.Run.Records != n {
		t.Errorf("with a one-second window: %d late of %d records judged (want some late, all judged)", res.Run.Late, res.Run.Records)
	}
}
