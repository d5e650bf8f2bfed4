package audit

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

func TestExternalRules(t *testing.T) {
	// Amazon S3 User Guide, "Examples of Amazon S3 bucket policies":
	// read-only permission to a public anonymous user.
	public := `{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]}`
	a := account()
	a.ResourcePolicies = &snapshot.ResourcePolicies{
		Scopes: []snapshot.CollectScope{{Service: snapshot.ResourceS3Bucket, Resources: 1}, {Service: snapshot.ResourceKMSKey, Region: "us-east-1", Error: "AccessDenied"}},
		Items:  []snapshot.ResourcePolicy{{Type: snapshot.ResourceS3Bucket, ARN: "arn:aws:s3:::amzn-s3-demo-bucket", Name: "amzn-s3-demo-bucket", Policy: json.RawMessage(public)}},
	}
	other := account()
	other.AccountID = "222222222222"
	rep := Run(snap(a, other), cfg(), now)
	var got []string
	var pub *finding.Finding
	for i, f := range rep.Findings {
		if f.RuleID == EvidenceMissing || f.RuleID == AnalyzerNotCollected {
			continue // the fixture has no credential report nor analyzers: not this test's subject
		}
		got = append(got, f.Severity.String()+" "+f.RuleID+" "+f.Account+" "+f.Resource)
		if f.RuleID == PublicResource {
			pub = &rep.Findings[i]
		}
	}
	want := []string{
		"critical SEIRI-PUBLIC-RESOURCE 111111111111 arn:aws:s3:::amzn-s3-demo-bucket",
		"info SEIRI-EXTERNAL-NOT-COLLECTED 111111111111 arn:aws:iam::111111111111:root",
		"info SEIRI-EXTERNAL-NOT-COLLECTED 222222222222 arn:aws:iam::222222222222:root",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("findings (-want +got):\n%s", diff)
	}
	wantEv := []finding.Evidence{
		{Name: "detail", Value: "anyone, without signing in, may s3:GetObject"},
		{Name: "principal", Value: "*"},
		{Name: "allowed", Value: "s3:GetObject"},
		{Name: "statement", Value: "PublicRead"},
		{Name: "zone of trust", Value: "the 2 collected accounts (no organization known)"},
	}
	if diff := cmp.Diff(wantEv, pub.Evidence); diff != "" {
		t.Errorf("evidence (-want +got):\n%s", diff)
	}
	if ExternalCoverage(snap(a, other)) == "" || ExternalCoverage(snap(a)) != "" {
		t.Errorf("ExternalCoverage: %q / %q", ExternalCoverage(snap(a, other)), ExternalCoverage(snap(a)))
	}
	// Disabled rules are honoured.
	c := cfg()
	c.Disabled = []string{PublicResource, ExternalNotCollected, EvidenceMissing, AnalyzerNotCollected}
	if rep := Run(snap(a, other), c, now); len(rep.Findings) != 0 {
		t.Errorf("disabled rules still report: %+v", rep.Findings)
	}
}
