package gen

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"regexp"
	"sort"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

type memSink struct {
	mu   sync.Mutex
	objs map[string][]byte
}

func (m *memSink) sink(key string, gz []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.objs == nil {
		m.objs = map[string][]byte{}
	}
	m.objs[key] = append([]byte(nil), gz...)
	return nil
}

func generate(t *testing.T, spec Spec) *memSink {
	t.Helper()
	m := &memSink{}
	if _, err := Generate(spec, m.sink); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestGenerateIsDeterministic(t *testing.T) {
	spec := Sample(42, []string{"111111111111", "222222222222"}, t0, t0.Add(6*time.Hour), 1)
	a := generate(t, spec)
	spec.Parallel = 1
	b := generate(t, spec)
	if len(a.objs) == 0 || len(a.objs) != len(b.objs) {
		t.Fatalf("%d vs %d objects", len(a.objs), len(b.objs))
	}
	for k, v := range a.objs {
		if !bytes.Equal(unzip(t, v), unzip(t, b.objs[k])) {
			t.Fatalf("%s differs between runs", k)
		}
	}
}

func unzip(t *testing.T, b []byte) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var keyRE = regexp.MustCompile(`^AWSLogs/o-exampleorg1/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4})Z_[A-Za-z0-9]{16}\.json\.gz$`)

func TestGeneratedRecordsFollowTheSchema(t *testing.T) {
	m := generate(t, Sample(1, []string{"111111111111", "222222222222"}, t0, t0.Add(24*time.Hour), 1))
	types := map[string]int{}
	versions := map[string]int{}
	var errs, data, total int
	keys := make([]string, 0, len(m.objs))
	for k := range m.objs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sub := keyRE.FindStringSubmatch(k)
		if sub == nil || sub[1] != sub[6] || sub[2] != sub[7] || sub[8][:8] != sub[3]+sub[4]+sub[5] {
			t.Fatalf("object key %s does not follow CloudTrail's naming", k)
		}
		var doc struct {
			Records []map[string]any
		}
		if err := json.Unmarshal(unzip(t, m.objs[k]), &doc); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		for _, r := range doc.Records {
			total++
			for _, f := range []string{"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
				"userAgent", "requestParameters", "responseElements", "requestID", "eventID", "readOnly", "eventType", "managementEvent",
				"recipientAccountId", "eventCategory"} {
				if _, ok := r[f]; !ok {
					t.Fatalf("%s: record lacks %s: %v", k, f, r)
				}
			}
			if r["recipientAccountId"] != sub[1] {
				t.Fatalf("%s: recipient %v in account %s's folder", k, r["recipientAccountId"], sub[1])
			}
			types[r["userIdentity"].(map[string]any)["type"].(string)]++
			versions[r["eventVersion"].(string)]++
			if r["errorCode"] != nil {
				errs++
			}
			if r["eventCategory"] == "Data" {
				data++
			}
		}
	}
	for _, typ := range []string{"IAMUser", "AssumedRole", "AWSService", "Root", "FederatedUser", "AWSAccount", "SAMLUser", "WebIdentityUser", "IdentityCenterUser"} {
		if types[typ] == 0 && typ != "Root" { // root is rare by design (0.01/h)
			t.Errorf("no %s records: %v", typ, types)
		}
	}
	for _, v := range []string{"1.08", "1.09", "1.10", "1.11"} {
		if versions[v] == 0 {
			t.Errorf("no eventVersion %s: %v", v, versions)
		}
	}
	if errs == 0 || errs > total/10 || data < total/2 {
		t.Errorf("errors %d, data events %d of %d", errs, data, total)
	}
}

func TestGenerateRejectsEmptyWindow(t *testing.T) {
	if _, err := Generate(Spec{Start: t0, End: t0}, (&memSink{}).sink); err == nil {
		t.Error("no error for an empty window")
	}
}
