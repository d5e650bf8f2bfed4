package detect

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/seiri-dev/seiri/internal/trail"
)

var update = flag.Bool("update", false, "rewrite golden files")

// scan reads a log file with the scanner, as production does.
func scan(t *testing.T, data []byte) []Event {
	t.Helper()
	var out []Event
	var rec trail.Record
	_, err := trail.ScanLog(data, &rec, func(r *trail.Record) { out = append(out, FromRecord(r)) },
		func(i int, why string) { t.Fatalf("element %d skipped: %s", i, why) })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// withExtras overwrites, in the scanner's events, the fields decoded from
// trail.Record's raw members (eventID, MFAUsed, ConsoleLogin,
// requestParameters) with encoding/json's reading of the same file: the
// reference the scanner path is compared with.
func withExtras(t *testing.T, data []byte, evs []Event) []Event {
	t.Helper()
	var log struct {
		Records []struct {
			EventID    string          `json:"eventID"`
			Request    json.RawMessage `json:"requestParameters"`
			Additional struct {
				MFAUsed string `json:"MFAUsed"`
			} `json:"additionalEventData"`
			Response struct {
				ConsoleLogin string `json:"ConsoleLogin"`
			} `json:"responseElements"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Records) != len(evs) {
		t.Fatalf("scanner read %d records, file has %d", len(evs), len(log.Records))
	}
	out := slices.Clone(evs)
	for i, r := range log.Records {
		out[i].EventID = r.EventID
		out[i].MFAUsed = r.Additional.MFAUsed
		out[i].LoginResult = r.Response.ConsoleLogin
		if len(r.Request) > 0 && string(r.Request) != "null" {
			out[i].Request = r.Request
		}
	}
	return out
}

func run(cfg Config, evs []Event) *Detector {
	d := New(cfg)
	for i := range evs {
		d.Observe(&evs[i])
	}
	return d
}

type golden struct {
	Findings []*Finding `json:"findings"`
	Stats    Stats      `json:"stats"`
}

func checkGolden(t *testing.T, name string, d *Detector) {
	t.Helper()
	got, err := json.MarshalIndent(golden{d.Findings(), d.Stats()}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (go test -update to accept):\n%s", p, got)
	}
}

func ruleIDs(fs []*Finding) map[string]int {
	m := map[string]int{}
	for _, f := range fs {
		m[f.RuleID]++
	}
	return m
}

// Every stateless rule fires on its attack record, and on nothing else in
// the file (the benign counterparts at its end).
func TestAttackRecords(t *testing.T) {
	data, err := os.ReadFile("testdata/attacks.json")
	if err != nil {
		t.Fatal(err)
	}
	d := run(Config{}, scan(t, data))
	got := ruleIDs(d.Findings())
	want := map[string]int{
		"SEIRI-DETECT-ROOT-USE":                     1,
		"SEIRI-DETECT-CONSOLE-NO-MFA":               1,
		"SEIRI-DETECT-TRAIL-LOGGING":                4,
		"SEIRI-DETECT-FLOWLOGS-DELETED":             1,
		"SEIRI-DETECT-GUARDDUTY-DISABLED":           2,
		"SEIRI-DETECT-SECURITYHUB-DISABLED":         1,
		"SEIRI-DETECT-CONFIG-STOPPED":               2,
		"SEIRI-DETECT-ACCESSANALYZER-DELETED":       1,
		"SEIRI-DETECT-LEAVE-ORG":                    1,
		"SEIRI-DETECT-KEY-FOR-OTHER-USER":           1,
		"SEIRI-DETECT-LOGIN-PROFILE-FOR-OTHER-USER": 2,
		"SEIRI-DETECT-TRUST-POLICY-CHANGED":         1,
		"SEIRI-DETECT-FEDERATION-TOKEN":             1,
		"SEIRI-DETECT-ROLESANYWHERE-ANCHOR":         1,
		"SEIRI-DETECT-SNAPSHOT-SHARED":              2,
		"SEIRI-DETECT-AMI-SHARED":                   1,
		"SEIRI-DETECT-BUCKET-PUBLIC":                2,
		"SEIRI-DETECT-SG-OPEN-WORLD":                1,
	}
	for _, r := range Rules() {
		if r.ID == discoveryRule.ID {
			continue
		}
		if got[r.ID] != want[r.ID] {
			t.Errorf("%s: %d findings, want %d", r.ID, got[r.ID], want[r.ID])
		}
	}
	if len(got) != len(want) {
		t.Errorf("rules fired: %v, want %v", got, want)
	}
	if d.Stats().Failed["SEIRI-DETECT-TRAIL-LOGGING"] != 1 {
		t.Errorf("the denied StopLogging is not counted as a failed attempt: %+v", d.Stats())
	}
	for _, f := range d.Findings() {
		if len(f.Support) != 1 || f.Support[0].EventID == "" || f.Support[0].SourceIP == "" || f.Support[0].UserAgent == "" || f.Support[0].Time.IsZero() {
			t.Errorf("%s: supporting event incomplete: %+v", f.RuleID, f.Support)
		}
	}
	checkGolden(t, "attacks.golden.json", d)
}

// The scanner's raw members give the rules what encoding/json's full
// decoding of the same records gives: same findings, same counts, nothing
// undetermined.
func TestScannerMatchesFullDecode(t *testing.T) {
	data, err := os.ReadFile("testdata/attacks.json")
	if err != nil {
		t.Fatal(err)
	}
	fast := run(Config{}, scan(t, data))
	full := run(Config{}, withExtras(t, data, scan(t, data)))
	a, _ := json.Marshal(golden{fast.Findings(), fast.Stats()})
	b, _ := json.Marshal(golden{full.Findings(), full.Stats()})
	if !bytes.Equal(a, b) {
		t.Errorf("scanner path differs from the full decode:\nscanner %s\nfull    %s", a, b)
	}
	if len(fast.Stats().Undetermined) != 0 {
		t.Errorf("undetermined on the scanner path: %v", fast.Stats().Undetermined)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestRulesAnchored(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] {
			t.Errorf("duplicate rule %s", r.ID)
		}
		seen[r.ID] = true
		if r.Title == "" || r.Description == "" || r.Recommendation == "" || len(r.ATTACK) == 0 {
			t.Errorf("%s: missing title, description, recommendation or ATT&CK anchor", r.ID)
		}
	}
}
