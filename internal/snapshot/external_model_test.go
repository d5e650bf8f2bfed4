package snapshot

import (
	"encoding/json"
	"testing"
)

// An account written before resource policies were collected loads with
// them nil ("not collected"), which differs from an empty collected list
// ("none").
func TestResourcePoliciesBackwardCompatible(t *testing.T) {
	old := `{"accountId":"111122223333","collectedAt":"2025-01-01T00:00:00Z","users":[],"groups":[],"roles":[],"policies":[],"accessAdvisorCollected":false}`
	var a Account
	if err := json.Unmarshal([]byte(old), &a); err != nil {
		t.Fatal(err)
	}
	if a.ResourcePolicies != nil || a.IdentityProviders != nil || a.OrgMembership != nil {
		t.Fatalf("old account: %+v", a)
	}
	if a.ResourcePolicies.Collected(ResourceKMSKey, "us-east-1") {
		t.Error("nil resource policies report KMS as collected")
	}
	a.ResourcePolicies = &ResourcePolicies{Regions: []string{"us-east-1"},
		Scopes: []CollectScope{{Service: ResourceKMSKey, Region: "us-east-1"}, {Service: ResourceSQSQueue, Region: "us-east-1", Error: "AccessDenied"}, {Service: ResourceS3Bucket}}}
	a.ResourcePolicies.Sort()
	b, err := json.Marshal(&a)
	if err != nil {
		t.Fatal(err)
	}
	var back Account
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	rp := back.ResourcePolicies
	if rp == nil || rp.Items == nil || len(rp.Items) != 0 {
		t.Fatalf("collected, none: %s", b)
	}
	for _, c := range []struct {
		service, region string
		want            bool
	}{
		{ResourceKMSKey, "us-east-1", true},    // collected: none
		{ResourceKMSKey, "eu-west-1", false},   // region not collected
		{ResourceSQSQueue, "us-east-1", false}, // denied
		{ResourceS3Bucket, "ap-south-1", true}, // S3 is listed once for every region
		{ResourceSecret, "us-east-1", false},   // service absent
	} {
		if got := rp.Collected(c.service, c.region); got != c.want {
			t.Errorf("Collected(%s, %s) = %v, want %v", c.service, c.region, got, c.want)
		}
	}
}

func TestKMSKeyPolicyLookup(t *testing.T) {
	key := "arn:aws:kms:us-east-1:111122223333:key/k1"
	s := &Snapshot{Accounts: []*Account{{AccountID: "111122223333", ResourcePolicies: &ResourcePolicies{Items: []ResourcePolicy{
		{Type: ResourceKMSKey, ARN: key, Policy: json.RawMessage(`{"Statement":[]}`)},
		{Type: ResourceSQSQueue, ARN: "arn:aws:sqs:us-east-1:111122223333:q"}}}}}}
	if p, ok := s.KMSKeyPolicy(key); !ok || string(p) != `{"Statement":[]}` {
		t.Errorf("KMSKeyPolicy(key) = %s, %v", p, ok)
	}
	if _, ok := s.KMSKeyPolicy("arn:aws:sqs:us-east-1:111122223333:q"); ok {
		t.Error("a queue found as a key")
	}
}
