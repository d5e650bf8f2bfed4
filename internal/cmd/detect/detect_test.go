package detect_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/audit"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	detectcmd "github.com/seiri-dev/seiri/internal/cmd/detect"
)

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func tree(f *cmdutil.Factory) *cobra.Command {
	return cmdtest.Root(f, detectcmd.NewCmd, audit.NewCmd)
}

type result struct {
	Findings []struct {
		New     bool `json:"new"`
		Finding struct {
			ID       string `json:"id"`
			RuleID   string `json:"ruleId"`
			Severity string `json:"severity"`
			Support  []struct {
				EventID string `json:"eventId"`
			} `json:"support"`
		} `json:"finding"`
		Ack *struct{ Reason string } `json:"ack"`
	} `json:"findings"`
	Run *struct {
		Records, Objects, Skipped int
	} `json:"run"`
}

func decode(t *testing.T, out string) result {
	t.Helper()
	var r result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return r
}

// logs is a folder holding the sensitive-action attack records of
// internal/detect/testdata (see its README for their public sources).
func logs(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "detect", "testdata", "attacks.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "attacks.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A run judges the logs; the next judges nothing (incremental); --rejudge
// raises the same findings marked as seen before; an acknowledgement is
// kept, shown, and honoured by --fail-on; the open findings appear in
// seiri audit's SARIF beside the audit's own.
func TestDetectRunDuplicatesAcks(t *testing.T) {
	ws, _ := cmdtest.DemoWorkspace(t, now)
	src := logs(t)
	out, errOut, code := cmdtest.RunWS(t, tree, now, nil, ws, "detect", "--source", src, "-o", "json")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errOut)
	}
	r := decode(t, out)
	if r.Run.Records != 34 || r.Run.Objects != 1 || len(r.Findings) != 26 {
		t.Fatalf("first run: %d records, %d objects, %d findings\n%s", r.Run.Records, r.Run.Objects, len(r.Findings), errOut)
	}
	for _, f := range r.Findings {
		if !f.New || f.Finding.ID == "" || len(f.Finding.Support) == 0 || f.Finding.Support[0].EventID == "" {
			t.Errorf("finding %+v: want new, with an ID and a supporting eventID", f)
		}
	}
	for _, want := range []string{"sources: " + src, "baseline: ", "not evaluated SEIRI-DETECT-NEW-COUNTRY: no IP database configured (set detect.ip_country_db"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr does not say %q:\n%s", want, errOut)
		}
	}

	out, _, code = cmdtest.RunWS(t, tree, now, nil, ws, "detect", "--source", src, "-o", "json")
	if r := decode(t, out); code != 0 || r.Run.Records != 0 || r.Run.Skipped != 1 || len(r.Findings) != 0 {
		t.Errorf("second run judged again: code %d, %+v, %d findings", code, r.Run, len(r.Findings))
	}
	out, _, _ = cmdtest.RunWS(t, tree, now, nil, ws, "detect", "--source", src, "--rejudge", "-o", "json")
	r = decode(t, out)
	if len(r.Findings) != 26 {
		t.Fatalf("rejudge: %d findings", len(r.Findings))
	}
	var critical string
	for _, f := range r.Findings {
		if f.New {
			t.Errorf("rejudged finding %s %s is marked new", f.Finding.RuleID, f.Finding.ID)
		}
		if f.Finding.Severity == "critical" {
			critical = f.Finding.ID
		}
	}

	_, _, code = cmdtest.RunWS(t, tree, now, nil, ws, "detect", "findings", "--fail-on", "critical")
	if code != 1 {
		t.Errorf("findings --fail-on critical: code %d, want 1", code)
	}
	out, errOut, code = cmdtest.RunWS(t, tree, now, nil, ws, "detect", "ack", critical, "--reason", "test account, left on purpose")
	if code != 0 || !strings.Contains(out, "acknowledged "+critical) {
		t.Fatalf("ack: code %d\n%s%s", code, out, errOut)
	}
	_, _, code = cmdtest.RunWS(t, tree, now, nil, ws, "detect", "ack", "D-000000000000", "--reason", "x")
	if code != 2 {
		t.Errorf("ack of an unknown ID: code %d, want 2", code)
	}
	_, _, code = cmdtest.RunWS(t, tree, now, nil, ws, "detect", "ack", critical)
	if code != 2 {
		t.Errorf("ack without --reason: code %d, want 2", code)
	}
	out, errOut, code = cmdtest.RunWS(t, tree, now, nil, ws, "detect", "findings", "--fail-on", "critical", "-o", "json")
	if r := decode(t, out); code != 0 || len(r.Findings) != 25 || !strings.Contains(errOut, "1 acknowledged") {
		t.Errorf("after ack: code %d, %d open\n%s", code, len(r.Findings), errOut)
	}
	out, _, _ = cmdtest.RunWS(t, tree, now, nil, ws, "detect", "findings", "--all", "-o", "json")
	acked := 0
	for _, f := range decode(t, out).Findings {
		if f.Ack != nil && f.Ack.Reason == "test account, left on purpose" {
			acked++
		}
	}
	if acked != 1 {
		t.Errorf("--all shows %d acknowledged findings with the reason, want 1", acked)
	}

	// seiri audit: the open detection findings in SARIF, beside the audit's.
	out, errOut, code = cmdtest.RunWS(t, tree, now, nil, ws, "audit", "-o", "sarif")
	if code != 0 {
		t.Fatalf("audit: code %d\n%s", code, errOut)
	}
	var sarif struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct{ ID string } `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &sarif); err != nil || len(sarif.Runs) != 1 {
		t.Fatalf("audit sarif: %v", err)
	}
	det, other := 0, 0
	for _, x := range sarif.Runs[0].Results {
		if strings.HasPrefix(x.RuleID, "SEIRI-DETECT-") {
			det++
		} else {
			other++
		}
	}
	rules := 0
	for _, x := range sarif.Runs[0].Tool.Driver.Rules {
		if strings.HasPrefix(x.ID, "SEIRI-DETECT-") {
			rules++
		}
	}
	if det != 25 || other == 0 || rules == 0 || !strings.Contains(errOut, "detection: 25 open findings") {
		t.Errorf("audit sarif: %d detection results (want 25), %d audit results, %d detection rules\n%s", det, other, rules, errOut)
	}
}

// Every declared output renders.
func TestDetectOutputs(t *testing.T) {
	ws, _ := cmdtest.DemoWorkspace(t, now)
	src := logs(t)
	for _, o := range []string{"table", "csv", "sarif", "markdown", "html", "json"} {
		out, errOut, code := cmdtest.RunWS(t, tree, now, nil, ws, "detect", "--source", src, "--rejudge", "-o", o)
		if code != 0 || !strings.Contains(out, "SEIRI-DETECT-LEAVE-ORG") {
			t.Errorf("-o %s: code %d, no LEAVE-ORG finding\n%s", o, code, errOut)
		}
	}
	_, errOut, code := cmdtest.RunWS(t, tree, now, nil, ws, "detect")
	if code != 2 || !strings.Contains(errOut, "--source is required") {
		t.Errorf("no source: code %d %s", code, errOut)
	}
}

// detect rules lists every rule with its anchors.
func TestDetectRules(t *testing.T) {
	ws := t.TempDir()
	out, errOut, code := cmdtest.RunWS(t, tree, now, nil, ws, "detect", "rules", "-o", "json")
	var doc struct {
		Rules []struct {
			ID     string   `json:"id"`
			ATTACK []string `json:"attack"`
		} `json:"rules"`
	}
	err := json.Unmarshal([]byte(out), &doc)
	rules := doc.Rules
	if code != 0 || err != nil || len(rules) != 32 {
		t.Fatalf("code %d, %v, %d rules\n%s", code, err, len(rules), errOut)
	}
	out, _, _ = cmdtest.RunWS(t, tree, now, nil, ws, "detect", "rules")
	found, threshold := false, false
	for _, line := range strings.Split(out, "\n") {
		if fs := strings.Fields(line); len(fs) > 3 && fs[0] == "SEIRI-DETECT-IMPOSSIBLE-TRAVEL" {
			found = fs[1] == "high" && fs[2] == "T1078.004"
		}
		if strings.TrimSpace(line) == "SEIRI-DETECT-IMPOSSIBLE-TRAVEL: TravelWindow, NetworkPrefix" {
			threshold = true
		}
	}
	if !found || !threshold {
		t.Errorf("table lacks the travel rule with its severity, thresholds and ATT&CK id:\n%s", out)
	}
}

// seiri.yaml's detect.aws_ip_ranges, detect.ip_country_db and
// detect.ip_asn_db are read (the run no longer says those rules are not
// evaluated); a bad database is refused naming the key, file and line.
func TestDetectIPDatabases(t *testing.T) {
	ws := t.TempDir()
	src := logs(t)
	dir := t.TempDir()
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	ranges := filepath.Join(dir, "ip-ranges.json")
	if err := os.WriteFile(ranges, []byte(`{"syncToken":"1","createDate":"2026-11-01-00-00-00","prefixes":[{"ip_prefix":"3.0.0.0/8","region":"us-east-1","service":"AMAZON","network_border_group":"us-east-1"}],"ipv6_prefixes":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "seiri.yaml")
	yaml := "detect:\n  aws_ip_ranges: " + ranges + "\n  ip_country_db: " + abs("../../detect/testdata/ip-country.csv") +
		"\n  ip_asn_db: " + abs("../../detect/testdata/ip-asn.csv") + "\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := cmdtest.RunWS(t, tree, now, nil, ws, "--config", cfg, "detect", "--source", src, "-o", "json")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errOut)
	}
	for _, id := range []string{"SEIRI-DETECT-NEW-COUNTRY", "SEIRI-DETECT-NEW-ASN", "SEIRI-DETECT-WORKLOAD-CREDS-OUTSIDE"} {
		if strings.Contains(errOut, "not evaluated "+id) {
			t.Errorf("%s still not evaluated with the databases configured:\n%s", id, errOut)
		}
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("203.0.113.0,203.0.113.255,JP\n203.0.113.0,JP\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("detect:\n  ip_country_db: "+bad+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = cmdtest.RunWS(t, tree, now, nil, t.TempDir(), "--config", cfg, "detect", "--source", src)
	if code != 2 || !strings.Contains(errOut, "detect.ip_country_db: "+bad+":2: 2 columns, want 3") {
		t.Errorf("bad database: code %d\n%s", code, errOut)
	}
}

// The windowed rules' thresholds come from seiri.yaml: the brute force and
// the spray of testdata/windowed.json are two findings with the defaults,
// none with detect.failed_logins: 7; a trusted layer account drops the
// two Lambda findings about it.
func TestDetectWindowedThresholds(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "detect", "testdata", "windowed.json"))
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "windowed.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	count := func(yaml string) map[string]int {
		cfg := filepath.Join(t.TempDir(), "seiri.yaml")
		if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		out, errOut, code := cmdtest.RunWS(t, tree, now, nil, t.TempDir(), "--config", cfg, "detect", "--source", src, "-o", "json")
		if code != 0 {
			t.Fatalf("code %d: %s", code, errOut)
		}
		var r struct {
			Findings []struct {
				Finding struct {
					RuleID string `json:"ruleId"`
				} `json:"finding"`
			} `json:"findings"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		m := map[string]int{}
		for _, f := range r.Findings {
			m[f.Finding.RuleID]++
		}
		return m
	}
	if m := count(""); m["SEIRI-DETECT-FAILED-LOGINS"] != 2 || m["SEIRI-DETECT-LAMBDA-BACKDOOR"] != 4 || m["SEIRI-DETECT-NEW-ADMIN-USER"] != 3 || m["SEIRI-DETECT-SECRET-HARVEST"] != 2 {
		t.Errorf("defaults: %v", m)
	}
	if m := count("detect:\n  failed_logins: 7\n  lambda_trusted_layer_accounts: ['444455556666']\n"); m["SEIRI-DETECT-FAILED-LOGINS"] != 0 || m["SEIRI-DETECT-LAMBDA-BACKDOOR"] != 2 {
		t.Errorf("failed_logins 7, trusted layer account: %v", m)
	}
}
