package detect

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/usage"
)

// writeLog writes events as a CloudTrail log file (the shape of the CloudTrail
// User Guide's record examples).
func writeLog(t *testing.T, path string, evs []Event) {
	t.Helper()
	type m = map[string]any
	recs := make([]m, 0, len(evs))
	for _, e := range evs {
		id := m{"type": e.IdentityType, "arn": e.ARN, "accountId": e.Account, "accessKeyId": e.AccessKeyID}
		if e.UserName != "" {
			id["userName"] = e.UserName
		}
		if e.IssuerARN != "" {
			sc := m{"sessionIssuer": m{"type": "Role", "arn": e.IssuerARN, "accountId": e.Account}}
			if e.EC2Role {
				sc["ec2RoleDelivery"] = "2.0"
			}
			id["sessionContext"] = sc
		}
		recs = append(recs, m{"eventVersion": "1.09", "eventID": e.EventID, "eventTime": e.Time.Format(time.RFC3339),
			"eventSource": e.Source, "eventName": e.Name, "awsRegion": e.Region, "sourceIPAddress": e.SourceIP,
			"userAgent": e.UserAgent, "recipientAccountId": e.Account, "eventType": "AwsApiCall", "userIdentity": id})
	}
	b, err := json.Marshal(m{"Records": recs})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Day one learns from the history the usage store already holds: the clean
// history scanned into a store (as `trail scan` does), then one detection
// run over the attack steps seeds its baseline from the store's rows and
// raises what learning from the events themselves raises. Where the store's
// bounded samples were full (the deploy key from 24 addresses in one row),
// the network rules say undetermined instead of guessing.
func TestRunSeedsFromUsageStore(t *testing.T) {
	ctx := context.Background()
	hist := cleanHistory()
	for i := range hist { // the deploy key from three addresses: rows' samples not full
		if hist[i].UserName == "deploy" {
			hist[i].SourceIP = fmt.Sprintf("203.0.113.%d", 1+hist[i].Time.Hour()%3)
		}
	}
	for _, tc := range []struct {
		name      string
		hist      []Event
		want      map[string]int
		wantUndet map[string]int
	}{
		{"samples complete", hist, map[string]int{
			"SEIRI-DETECT-NEW-NETWORK": 2, "SEIRI-DETECT-NEW-AGENT-CLASS": 1, "SEIRI-DETECT-IMPOSSIBLE-TRAVEL": 1,
			"SEIRI-DETECT-NEW-REGION-ACCOUNT": 1, "SEIRI-DETECT-WORKLOAD-CREDS-OUTSIDE": 1, "SEIRI-DETECT-SILENT-KEY-USED": 1,
			"SEIRI-DETECT-NEW-REGION": 1}, map[string]int{}},
		{"samples full", cleanHistory(), map[string]int{
			"SEIRI-DETECT-NEW-NETWORK": 1, "SEIRI-DETECT-NEW-AGENT-CLASS": 1,
			"SEIRI-DETECT-NEW-REGION-ACCOUNT": 1, "SEIRI-DETECT-WORKLOAD-CREDS-OUTSIDE": 1, "SEIRI-DETECT-SILENT-KEY-USED": 1,
			"SEIRI-DETECT-NEW-REGION": 1}, map[string]int{"SEIRI-DETECT-NEW-NETWORK": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeLog(t, filepath.Join(dir, "hist", "history.json"), tc.hist)
			store, err := usage.Open(ctx, filepath.Join(dir, "usage.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			if _, err := trail.ScanInto(ctx, store, &trail.DirSource{Dir: filepath.Join(dir, "hist")}, trail.Options{}, time.Date(2026, 11, 15, 9, 5, 0, 0, time.UTC)); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile("testdata/newway.json")
			if err != nil {
				t.Fatal(err)
			}
			logs := filepath.Join(dir, "new")
			if err := os.MkdirAll(logs, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(logs, "newway.json"), b, 0o600); err != nil {
				t.Fatal(err)
			}
			res, err := Run(ctx, Inputs{Sources: []trail.Source{&trail.DirSource{Dir: logs}}, Store: store,
				Ranges: testRanges{complete: true}, StateDir: filepath.Join(dir, "detect"), Now: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, l := range res.Findings {
				got[l.Finding.RuleID]++
			}
			if !mapsEqual(got, tc.want) || !mapsEqual(res.Run.Stats.Undetermined, tc.wantUndet) {
				t.Errorf("findings %v\n    want %v\nundetermined %v, want %v\nbaseline: %s", got, tc.want, res.Run.Stats.Undetermined, tc.wantUndet, res.Run.Baseline)
			}
			if res.Run.Records != 8 || res.Run.Stats.Learning != 0 {
				t.Errorf("records %d, learning %d: the seeded baseline should cover every credential", res.Run.Records, res.Run.Stats.Learning)
			}
		})
	}
}
