package detect

import (
	"os"
	"strings"
	"testing"
	"time"
)

func loadDB(t *testing.T, name string, asn bool) *IPDB {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	db, err := ParseIPDBBytes(name, b, asn)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestIPDBLookupAndErrors(t *testing.T) {
	c := loadDB(t, "ip-country.csv", false)
	a := loadDB(t, "ip-asn.csv", true)
	for ip, want := range map[string]string{"203.0.113.7": "JP", "198.51.100.255": "NL", "192.0.2.128": "", "2001:db8::1": "DE", "8.8.8.8": "", "not-an-ip": ""} {
		if got := c.Lookup(ip); got != want {
			t.Errorf("country %s = %q, want %q", ip, got, want)
		}
	}
	if got := a.Lookup("198.51.100.1"); got != "AS64500 Example Hosting, Inc." {
		t.Errorf("asn = %q", got)
	}
	for _, bad := range []struct{ text, want string }{
		{"1.2.3.4,1.2.3.9\n", "x.csv:1: 2 columns, want 3"},
		{"1.2.3.4,1.2.3.9,JP\n1.2.3.9,1.2.3.4,JP\n", "x.csv:2: "},
		{"1.2.3.4,::1,JP\n", "x.csv:1: "},
		{"# only a comment\n", "x.csv: no ranges"},
	} {
		if _, err := ParseIPDBBytes("x.csv", []byte(bad.text), false); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: err = %v, want %q", bad.text, err, bad.want)
		}
	}
}

// A key used for ten days from its office (JP, AS64496) is then used from a
// hosting provider in another country: both geo rules fire once. A key
// whose geography began only with the database (an old credential) is
// learning, not judged.
func TestNewCountryAndASN(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	var evs []Event
	for day := 0; day < 10; day++ {
		evs = append(evs, Event{Time: t0.Add(time.Duration(day) * 24 * time.Hour), Source: "s3.amazonaws.com", Name: "ListBuckets",
			Region: "us-east-1", SourceIP: "203.0.113.8", UserAgent: "aws-cli/2.15.0", Account: "111122223333",
			IdentityType: "IAMUser", ARN: "arn:aws:iam::111122223333:user/dev", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", EventID: "h"})
	}
	attack := Event{Time: t0.Add(10*24*time.Hour + time.Hour), Source: "s3.amazonaws.com", Name: "ListBuckets",
		Region: "us-east-1", SourceIP: "198.51.100.9", UserAgent: "aws-cli/2.15.0", Account: "111122223333",
		IdentityType: "IAMUser", ARN: "arn:aws:iam::111122223333:user/dev", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", EventID: "evt-geo"}
	run := func(country, asn *IPDB, evs []Event) *Detector {
		d := New(Config{})
		d.UseBaseline(NewBaseline())
		d.UseIPDB(country, asn)
		for i := range evs {
			d.Observe(&evs[i])
		}
		return d
	}
	d := run(loadDB(t, "ip-country.csv", false), loadDB(t, "ip-asn.csv", true), append(evs[:10:10], attack))
	got := ruleIDs(d.Findings())
	if got["SEIRI-DETECT-NEW-COUNTRY"] != 1 || got["SEIRI-DETECT-NEW-ASN"] != 1 {
		t.Fatalf("findings %v, want one new country and one new ASN", got)
	}
	for _, f := range d.Findings() {
		if f.RuleID == "SEIRI-DETECT-NEW-COUNTRY" && f.Report().Evidence[3].Value != "NL (198.51.100.9)" {
			t.Errorf("evidence %v", f.Report().Evidence)
		}
	}
	// Without the databases, the geo rules are silent (the run says "not evaluated").
	if got := ruleIDs(run(nil, nil, append(evs[:10:10], attack)).Findings()); got["SEIRI-DETECT-NEW-COUNTRY"]+got["SEIRI-DETECT-NEW-ASN"] != 0 {
		t.Errorf("without a database: %v", got)
	}
	// A credential learned before the database: its geography starts now.
	b := NewBaseline()
	d = New(Config{})
	d.UseBaseline(b)
	for i := range evs {
		d.Observe(&evs[i])
	}
	d.UseIPDB(loadDB(t, "ip-country.csv", false), nil)
	d.Observe(&attack)
	if n := ruleIDs(d.Findings())["SEIRI-DETECT-NEW-COUNTRY"]; n != 0 {
		t.Errorf("a database configured today made %d countries new", n)
	}
}

// A role whose sessions run in a Lambda function (exec-env/AWS_Lambda_ in
// the SDK's user agent, from AWS's ranges) is a workload: its session used
// from outside AWS is the exfiltration finding, with no history needed.
func TestLambdaCredentialsOutsideAWS(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	sess := func(at time.Duration, ip, ua, id string) Event {
		return Event{Time: t0.Add(at), Source: "dynamodb.amazonaws.com", Name: "GetItem", Region: "us-east-1", SourceIP: ip, UserAgent: ua,
			Account: "111122223333", IdentityType: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/orders-fn-role/orders-fn",
			AccessKeyID: "ASIAORDERSEXAMPLE", IssuerARN: "arn:aws:iam::111122223333:role/orders-fn-role", EventID: id}
	}
	lambdaUA := "aws-sdk-java/2.21.0 Linux/5.10 OpenJDK_64-Bit_Server_VM/17 exec-env/AWS_Lambda_java17"
	evs := []Event{
		sess(0, "3.80.1.2", lambdaUA, "e1"),
		sess(time.Minute, "3.80.1.3", lambdaUA, "e2"),
		sess(time.Hour, "198.51.100.9", "aws-cli/2.15.0 Python/3.11", "evt-stolen"),
		sess(2*time.Hour, "3.80.1.4", lambdaUA, "e3"),
	}
	d := New(Config{})
	d.UseBaseline(NewBaseline())
	d.UseRanges(testRanges{complete: true})
	for i := range evs {
		d.Observe(&evs[i])
	}
	fs := d.Findings()
	if len(fs) != 1 || fs[0].RuleID != ruleWorkloadOutside.ID || fs[0].Support[0].EventID != "evt-stolen" {
		t.Fatalf("findings %v", ruleIDs(fs))
	}
	if v := fs[0].Evidence[1].Value; !strings.HasPrefix(v, "Lambda function credentials of arn:aws:iam::111122223333:role/orders-fn-role") {
		t.Errorf("evidence %q", v)
	}
}
