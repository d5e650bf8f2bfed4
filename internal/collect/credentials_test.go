package collect

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// TestCollectVirtualMFAAndServerCertificates collects the devices and
// certificates of the IAM API reference's examples (ListVirtualMFADevices:
// an unassigned device, one on the root user, one on ExampleUser;
// ListServerCertificates: ProdServerCert and BetaServerCert) through the
// real SDK against the fake, with pages of 2.
func TestCollectVirtualMFAAndServerCertificates(t *testing.T) {
	e := setup(t, 1, 1, nil)
	a := e.sc.Accounts[0]
	id := a.AccountID
	enabled := time.Date(2011, 10, 20, 20, 49, 3, 0, time.UTC)
	a.VirtualMFADevices = []snapshot.VirtualMFADevice{
		{SerialNumber: "arn:aws:iam::" + id + ":mfa/MFAdeviceName"},
		{SerialNumber: "arn:aws:iam::" + id + ":mfa/RootMFAdeviceName", User: "arn:aws:iam::" + id + ":root", EnableDate: enabled},
		{SerialNumber: "arn:aws:iam::" + id + ":mfa/ExampleUserMFAdeviceName", User: "arn:aws:iam::" + id + ":user/ExampleUser", EnableDate: enabled},
	}
	a.AccessAnalyzers = &snapshot.AccessAnalyzers{Regions: []snapshot.AnalyzerRegion{{Region: "us-west-2", Analyzers: []snapshot.Analyzer{
		{ARN: "arn:aws:access-analyzer:us-west-2:" + id + ":analyzer/my-analyzer", Name: "my-analyzer", Type: "ACCOUNT", Status: "ACTIVE"}}}}}
	a.ServerCertificates = []snapshot.ServerCertificate{
		{Name: "ProdServerCert", ID: "ASCACKCEVSQ6CEXAMPLE1", Path: "/company/servercerts/", ARN: "arn:aws:iam::" + id + ":server-certificate/company/servercerts/ProdServerCert",
			UploadDate: time.Date(2010, 5, 8, 1, 2, 3, 0, time.UTC), Expiration: time.Date(2012, 5, 8, 1, 2, 3, 0, time.UTC)},
		{Name: "BetaServerCert", ID: "ASCACKCEVSQ6CEXAMPLE2", Path: "/company/servercerts/", ARN: "arn:aws:iam::" + id + ":server-certificate/company/servercerts/BetaServerCert",
			UploadDate: time.Date(2010, 5, 8, 2, 3, 1, 0, time.UTC), Expiration: time.Date(2012, 5, 8, 2, 3, 1, 0, time.UTC)},
		{Name: "TestServerCert", ID: "ASCACKCEVSQ6CEXAMPLE3", Path: "/", ARN: "arn:aws:iam::" + id + ":server-certificate/TestServerCert",
			UploadDate: time.Date(2010, 5, 8, 3, 1, 2, 0, time.UTC), Expiration: time.Date(2012, 5, 8, 3, 1, 2, 0, time.UTC)},
	}
	res, err := Run(context.Background(), e.sess, e.ws, fastOpts(Options{NoAccessAdvisor: true, NoResourcePolicies: true, Regions: []string{"us-east-1", "us-west-2"}}))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := snapshot.Open(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	got := snap.Accounts[0]
	if !got.VirtualMFACollected || !got.ServerCertificatesCollected {
		t.Fatalf("collected flags: mfa %v, certs %v", got.VirtualMFACollected, got.ServerCertificatesCollected)
	}
	if d := cmp.Diff(a.VirtualMFADevices, got.VirtualMFADevices); d != "" {
		t.Errorf("virtual MFA devices (-want +got):\n%s", d)
	}
	if d := cmp.Diff(a.ServerCertificates, got.ServerCertificates); d != "" {
		t.Errorf("server certificates (-want +got):\n%s", d)
	}
	// Access Analyzer API reference, ListAnalyzers example: one ACCOUNT
	// analyzer in us-west-2, served over REST-JSON per region (none in us-east-1).
	wantAA := &snapshot.AccessAnalyzers{Regions: []snapshot.AnalyzerRegion{{Region: "us-east-1", Analyzers: []snapshot.Analyzer{}}, a.AccessAnalyzers.Regions[0]}}
	if d := cmp.Diff(wantAA, got.AccessAnalyzers); d != "" {
		t.Errorf("access analyzers (-want +got):\n%s", d)
	}
	if n := e.fake.Count("", "ListServerCertificates"); n != 2 {
		t.Errorf("ListServerCertificates calls = %d, want 2 (pages of 2)", n)
	}
}

// TestCollectCredentialsDenied: AccessDenied on the two lists leaves them
// not collected, with a warning naming the call.
func TestCollectCredentialsDenied(t *testing.T) {
	e := setup(t, 1, 1, nil)
	e.fake.FailOp("", "ListVirtualMFADevices", awsfake.AccessDenied("iam:ListVirtualMFADevices"), -1)
	e.fake.FailOp("", "ListServerCertificates", awsfake.AccessDenied("iam:ListServerCertificates"), -1)
	e.fake.FailOp("", "ListAnalyzers", &awsfake.Error{Status: 403, Code: "AccessDeniedException", Message: "not authorized"}, -1)
	res, err := Run(context.Background(), e.sess, e.ws, fastOpts(Options{NoAccessAdvisor: true, NoResourcePolicies: true}))
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := snapshot.Open(res.Dir)
	if got := snap.Accounts[0]; got.VirtualMFACollected || got.ServerCertificatesCollected {
		t.Errorf("denied lists marked collected")
	}
	warned := res.Manifest.Accounts[0].Warnings
	if aa := snap.Accounts[0].AccessAnalyzers; aa == nil || len(aa.Regions) != 1 || aa.Regions[0].Error == "" {
		t.Errorf("denied ListAnalyzers: %+v, want the region with its error", aa)
	}
	want := []string{"virtual MFA devices not collected (iam ListVirtualMFADevices: AccessDenied", "server certificates not collected (iam ListServerCertificates: AccessDenied",
		"IAM Access Analyzer analyzers in us-east-1 not collected (access-analyzer ListAnalyzers: AccessDeniedException"}
	for _, w := range want {
		found := false
		for _, g := range warned {
			found = found || len(g) >= len(w) && g[:len(w)] == w
		}
		if !found {
			t.Errorf("no warning %q in %q", w, warned)
		}
	}
}
