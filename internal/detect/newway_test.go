package detect

import (
	"fmt"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/trail"
)

// testRanges stands for AWS's published ranges: 3.0.0.0/8 is "AWS".
type testRanges struct{ complete bool }

func (r testRanges) InAWS(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && netip.MustParsePrefix("3.0.0.0/8").Contains(a)
}
func (r testRanges) Complete() bool { return r.complete }

// cleanHistory is 14 days of ordinary use before testdata/newway.json:
// the deploy and builder keys from 203.0.113.0/24 through a Go SDK in
// us-east-1, the app-role's instance sessions from a private address and an
// AWS address in us-east-1 and us-west-2, and the old-batch key used on
// three days in August, then silent.
func cleanHistory() []Event {
	var evs []Event
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	goSDK := "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.2"
	boto := "Boto3/1.28.0 md/Botocore#1.31.0 ua/2.0 os/linux#6.1.0-amzn2023 md/arch#x86_64 lang/python#3.11.4 Botocore/1.31.0"
	user := func(t time.Time, name, key, ip string) Event {
		return Event{EventID: fmt.Sprintf("hist-%s-%d", name, t.Unix()), Time: t, Source: "s3.amazonaws.com", Name: "ListBuckets",
			Region: "us-east-1", SourceIP: ip, UserAgent: goSDK, Account: "111122223333", IdentityType: "IAMUser",
			ARN: "arn:aws:iam::111122223333:user/" + name, AccessKeyID: key, UserName: name}
	}
	for d := 0; d < 8; d += 3 {
		evs = append(evs, user(time.Date(2026, 8, 20+d, 3, 0, 0, 0, time.UTC), "old-batch", "AKIAI44QH8DHBEXAMPLE", "203.0.113.40"))
	}
	for t := start; t.Before(time.Date(2026, 11, 15, 9, 1, 0, 0, time.UTC)); t = t.Add(time.Hour) {
		evs = append(evs, user(t, "deploy", "AKIAIOSFODNN7EXAMPLE", fmt.Sprintf("203.0.113.%d", 1+t.Hour())))
		evs = append(evs, user(t.Add(time.Minute), "builder", "AKIAJBUILDERKEYEXAMP", "203.0.113.200"))
		for i, ip := range []string{"10.0.1.5", "3.80.1.9"} {
			region := "us-east-1"
			if t.Hour() == 12 && i == 1 {
				region = "us-west-2"
			}
			evs = append(evs, Event{EventID: fmt.Sprintf("hist-role-%d-%d", t.Unix(), i), Time: t.Add(2 * time.Minute), Source: "s3.amazonaws.com", Name: "ListBuckets",
				Region: region, SourceIP: ip, UserAgent: boto, Account: "111122223333", IdentityType: "AssumedRole",
				ARN: "arn:aws:sts::111122223333:assumed-role/app-role/i-0fedcba9876543210", AccessKeyID: fmt.Sprintf("ASIAHIST%d", t.Unix()/86400),
				IssuerARN: "arn:aws:iam::111122223333:role/app-role", EC2Role: true})
		}
	}
	return evs
}

// Every new-way rule fires on its step of testdata/newway.json (written
// after the credential-theft techniques described publicly: Stratus Red
// Team's "steal EC2 instance credentials", GuardDuty's
// InstanceCredentialExfiltration.OutsideAWS and PenTest:IAMUser findings;
// see testdata/README.md), and on nothing in the clean history or in the
// benign records at the file's end.
func TestNewWayRules(t *testing.T) {
	data, err := os.ReadFile("testdata/newway.json")
	if err != nil {
		t.Fatal(err)
	}
	hist := cleanHistory()
	d := New(Config{})
	d.UseBaseline(NewBaseline())
	d.UseRanges(testRanges{complete: true})
	for i := range hist {
		d.Observe(&hist[i])
	}
	if n := len(d.Findings()); n != 0 {
		for _, f := range d.Findings() {
			t.Logf("%s %s %v", f.RuleID, f.Resource, f.Evidence)
		}
		t.Fatalf("%d findings on the clean history", n)
	}
	evs := scan(t, data)
	for i := range evs {
		d.Observe(&evs[i])
	}
	type hit struct{ rule, event string }
	var got []hit
	for _, f := range d.Findings() {
		got = append(got, hit{f.RuleID, f.Support[len(f.Support)-1].EventID})
	}
	want := []hit{
		{"SEIRI-DETECT-NEW-NETWORK", "nw-0001-EXAMPLE"},
		{"SEIRI-DETECT-NEW-AGENT-CLASS", "nw-0001-EXAMPLE"},
		{"SEIRI-DETECT-IMPOSSIBLE-TRAVEL", "nw-0001-EXAMPLE"},
		{"SEIRI-DETECT-NEW-REGION-ACCOUNT", "nw-0002-EXAMPLE"},
		{"SEIRI-DETECT-WORKLOAD-CREDS-OUTSIDE", "nw-0003-EXAMPLE"},
		{"SEIRI-DETECT-NEW-NETWORK", "nw-0003-EXAMPLE"},
		{"SEIRI-DETECT-SILENT-KEY-USED", "nw-0004-EXAMPLE"},
		{"SEIRI-DETECT-NEW-REGION", "nw-0005-EXAMPLE"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings\n got %v\nwant %v", got, want)
	}
	for _, f := range d.Findings() {
		if f.RuleID == "SEIRI-DETECT-NEW-AGENT-CLASS" && f.Severity.String() != "high" {
			t.Errorf("a penetration-testing OS is %s, want high", f.Severity)
		}
		if f.RuleID == "SEIRI-DETECT-IMPOSSIBLE-TRAVEL" && (len(f.Support) != 2 || f.Support[0].SourceIP != "203.0.113.10") {
			t.Errorf("travel supporting events: %+v", f.Support)
		}
	}
	checkGolden(t, "newway.golden.json", d)

	// With only a sample of AWS's ranges, the workload rule cannot tell
	// outside from not-in-the-sample: undetermined, not a finding.
	d2 := New(Config{})
	d2.UseBaseline(NewBaseline())
	d2.UseRanges(testRanges{complete: false})
	for i := range hist {
		d2.Observe(&hist[i])
	}
	for i := range evs {
		d2.Observe(&evs[i])
	}
	if ids := ruleIDs(d2.Findings()); ids["SEIRI-DETECT-WORKLOAD-CREDS-OUTSIDE"] != 0 || d2.Stats().Undetermined["SEIRI-DETECT-WORKLOAD-CREDS-OUTSIDE"] != 1 {
		t.Errorf("partial ranges: findings %v, undetermined %v", ids, d2.Stats().Undetermined)
	}
}

// A credential younger than MinHistory is learned, not judged.
func TestNewWayLearning(t *testing.T) {
	d := New(Config{})
	d.UseBaseline(NewBaseline())
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i, ip := range []string{"203.0.113.1", "198.51.100.1", "192.0.2.1"} {
		e := Event{Time: t0.Add(time.Duration(i) * 24 * time.Hour), Source: "s3.amazonaws.com", Name: "ListBuckets", Region: "eu-west-1",
			SourceIP: ip, UserAgent: "aws-cli/2.15.0", Account: "111122223333", IdentityType: "IAMUser",
			ARN: "arn:aws:iam::111122223333:user/new", AccessKeyID: "AKIANEWKEYEXAMPLE000"}
		d.Observe(&e)
	}
	if len(d.Findings()) != 0 || d.Stats().Learning != 3 {
		t.Errorf("findings %v, learning %d", ruleIDs(d.Findings()), d.Stats().Learning)
	}
}

func TestAgentClass(t *testing.T) {
	for ua, want := range map[string]string{
		"aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9":       AgentCLI,
		"aws-cli/2.13.0 Python/3.11.4 Linux/6.3.0-kali1-amd64 exe/x86_64.kali.2023 prompt/off":            AgentPentest,
		"Boto3/1.34.131 md/Botocore#1.34.131 ua/2.0 os/linux#6.5.0-parrot1-amd64 lang/python#3.11":        AgentPentest,
		"Boto3/1.34.131 md/Botocore#1.34.131 ua/2.0 os/linux#6.1.94-99.176.amzn2023.x86_64":               AgentSDK,
		"aws-sdk-java/2.25.60 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/21.0.3+9-LTS":  AgentSDK,
		"monitoring-agent/7.52.0 aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5":                            AgentSDK,
		"APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io) terraform-provider-aws/5.17.0": AgentIaC,
		"AWS Internal":                 AgentService,
		"cloudformation.amazonaws.com": AgentService,
		"signin.amazonaws.com":         AgentService,
		"console.amazonaws.com":        AgentConsole,
		"Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0": AgentConsole,
		"python-requests/2.31.0": AgentHTTP,
		"curl/8.4.0":             AgentHTTP,
		"something-else/1.0":     AgentOther,
		"":                       "",
	} {
		if got := AgentClass(ua); got != want {
			t.Errorf("AgentClass(%q) = %q, want %q", ua, got, want)
		}
	}
}

// Any log the scanner accepts goes through FromRecord and every rule,
// baseline included, without a panic, and every event is counted.
func FuzzDetectLog(f *testing.F) {
	for _, p := range []string{"testdata/newway.json", "testdata/attacks.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"Records":[{"eventTime":"2026-11-01T00:00:00Z","eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","userIdentity":{"type":"IAMUser","accessKeyId":"AKIA"},"sourceIPAddress":"::1","responseElements":{"ConsoleLogin":7},"additionalEventData":{"MFAUsed":null}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := New(Config{})
		d.UseBaseline(NewBaseline())
		d.UseRanges(testRanges{complete: true})
		var rec trail.Record
		n := 0
		trail.ScanLog(data, &rec, func(r *trail.Record) {
			e := FromRecord(r)
			d.Observe(&e)
			n++
		}, nil)
		if d.Stats().Events != n {
			t.Fatalf("observed %d, fed %d", d.Stats().Events, n)
		}
	})
}
