package audit

import (
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/credreport"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// withRootMFA is an account whose root has MFA (account summary) and whose
// virtual MFA devices are those of the IAM API reference's
// ListVirtualMFADevices example, minus the root one unless virtualRoot.
func withRootMFA(mfa, virtualRoot, collected bool) *snapshot.Account {
	a := account()
	a.Summary = map[string]int32{"AccountMFAEnabled": 0}
	if mfa {
		a.Summary["AccountMFAEnabled"] = 1
	}
	a.VirtualMFACollected = collected
	if !collected {
		return a
	}
	a.VirtualMFADevices = []snapshot.VirtualMFADevice{
		{SerialNumber: "arn:aws:iam::" + acct + ":mfa/MFAdeviceName"},
		{SerialNumber: "arn:aws:iam::" + acct + ":mfa/ExampleUserMFAdeviceName", User: "arn:aws:iam::" + acct + ":user/ExampleUser",
			EnableDate: time.Date(2011, 10, 20, 20, 49, 3, 0, time.UTC)},
	}
	if virtualRoot {
		// CIS 1.6 audit: the root user's virtual device has this serial.
		a.VirtualMFADevices = append(a.VirtualMFADevices, snapshot.VirtualMFADevice{
			SerialNumber: "arn:aws:iam::" + acct + ":mfa/root-account-mfa-device", User: "arn:aws:iam::" + acct + ":root",
			EnableDate: time.Date(2011, 10, 20, 20, 49, 3, 0, time.UTC)})
	}
	return a
}

func TestRootVirtualMFA(t *testing.T) {
	reportSaysNoMFA := withRootMFA(true, true, true)
	reportSaysNoMFA.CredentialReport = &credreport.Report{Rows: []credreport.Row{{User: "<root_account>", ARN: "arn:aws:iam::" + acct + ":root", MFAActive: false}}}
	runCases(t, RootVirtualMFA, []ruleCase{
		{name: "root MFA is the virtual device", a: withRootMFA(true, true, true), want: []string{"Root user's MFA is a virtual device"}},
		{name: "twin: root MFA, no virtual device on root (hardware or passkey)", a: withRootMFA(true, false, true)},
		{name: "twin: devices not collected", a: withRootMFA(true, true, false)},
		{name: "twin: root has no MFA (SEIRI-ROOT-NO-MFA's job)", a: withRootMFA(false, true, true)},
		{name: "twin: credential report says root has no MFA", a: reportSaysNoMFA},
	})
}

// serverCerts is an account with the certificates of the IAM API
// reference's ListServerCertificates example, at the given expirations.
func serverCerts(collected bool, exp ...time.Time) *snapshot.Account {
	a := account()
	a.ServerCertificatesCollected = collected
	names := []string{"ProdServerCert", "BetaServerCert", "TestServerCert"}
	for i, e := range exp {
		a.ServerCertificates = append(a.ServerCertificates, snapshot.ServerCertificate{
			Name: names[i], ID: "ASCACKCEVSQ6CEXAMPLE" + string(rune('1'+i)), Path: "/company/servercerts/",
			ARN:        "arn:aws:iam::" + acct + ":server-certificate/company/servercerts/" + names[i],
			UploadDate: time.Date(2010, 5, 8, 1, 2, 3, 0, time.UTC), Expiration: e})
	}
	return a
}

func TestServerCertificates(t *testing.T) {
	day := 24 * time.Hour
	expired := time.Date(2012, 5, 8, 1, 2, 3, 0, time.UTC) // the example's expiration
	runCases(t, ServerCertExpired, []ruleCase{
		{name: "expired (API reference example)", a: serverCerts(true, expired), want: []string{"Server certificate ProdServerCert expired 4771 days ago"}},
		{name: "twin: valid for a year", a: serverCerts(true, now.Add(365*day))},
		{name: "twin: not collected", a: serverCerts(false, expired)},
		{name: "expires exactly now", a: serverCerts(true, now), want: []string{"Server certificate ProdServerCert expired 0 days ago"}},
	})
	runCases(t, ServerCertExpiring, []ruleCase{
		{name: "expires in 10 days", a: serverCerts(true, now.Add(10*day+time.Hour)), want: []string{"Server certificate ProdServerCert expires in 10 days"}},
		{name: "twin: expires in 31 days", a: serverCerts(true, now.Add(31*day))},
		{name: "twin: already expired (the other rule)", a: serverCerts(true, expired)},
	})
}

// analyzers is an account whose ListAnalyzers in us-west-2 returned as,
// shaped like the Access Analyzer API reference's ListAnalyzers example.
func analyzers(id string, as ...snapshot.Analyzer) *snapshot.Account {
	a := &snapshot.Account{AccountID: id}
	a.AccessAnalyzers = &snapshot.AccessAnalyzers{Regions: []snapshot.AnalyzerRegion{{Region: "us-west-2", Analyzers: append([]snapshot.Analyzer{}, as...)}}}
	return a
}

func analyzer(id, typ, status string) snapshot.Analyzer {
	return snapshot.Analyzer{ARN: "arn:aws:access-analyzer:us-west-2:" + id + ":analyzer/my-analyzer", Name: "my-analyzer", Type: typ, Status: status}
}

func TestAccessAnalyzer(t *testing.T) {
	failed := analyzers(acct)
	failed.AccessAnalyzers.Regions[0].Error = "AccessDeniedException"
	runCases(t, AnalyzerMissing, []ruleCase{
		{name: "no analyzer", a: analyzers(acct), want: []string{"No IAM Access Analyzer in us-west-2 for 111111111111"}},
		{name: "twin: active account analyzer", a: analyzers(acct, analyzer(acct, "ACCOUNT", "ACTIVE"))},
		{name: "twin: active organization analyzer owned by the account", a: analyzers(acct, analyzer(acct, "ORGANIZATION", "ACTIVE"))},
		{name: "disabled analyzer", a: analyzers(acct, analyzer(acct, "ACCOUNT", "DISABLED")), want: []string{"No IAM Access Analyzer in us-west-2 for 111111111111"}},
		{name: "unused-access analyzer only", a: analyzers(acct, analyzer(acct, "ACCOUNT_UNUSED_ACCESS", "ACTIVE")), want: []string{"No IAM Access Analyzer in us-west-2 for 111111111111"}},
		{name: "twin: not collected", a: &snapshot.Account{AccountID: acct}},
		{name: "twin: region failed", a: failed},
	})
	runCases(t, AnalyzerNotCollected, []ruleCase{
		{name: "twin: snapshot without analyzers (older, import): nothing claimed", a: &snapshot.Account{AccountID: acct}},
		{name: "region failed", a: failed, want: []string{"IAM Access Analyzer analyzers of 111111111111 in us-west-2 not collected"}},
		{name: "twin: collected, none", a: analyzers(acct)},
	})
	// A member account is covered by the management account's organization
	// analyzer in the same region, not in another.
	mgmt := analyzers("999999999999", analyzer("999999999999", "ORGANIZATION", "ACTIVE"))
	rep := RunWith(snap(analyzers(acct), mgmt), cfg(), now, Options{Only: []string{AnalyzerMissing}})
	if len(rep.Findings) != 0 {
		t.Errorf("member covered by the organization analyzer: %+v", rep.Findings)
	}
	mgmt.AccessAnalyzers.Regions[0].Region = "eu-west-1"
	rep = RunWith(snap(analyzers(acct), mgmt), cfg(), now, Options{Only: []string{AnalyzerMissing}})
	if len(rep.Findings) != 1 || rep.Findings[0].Account != acct {
		t.Errorf("organization analyzer in another region: %+v, want the member's us-west-2 only", rep.Findings)
	}
}
