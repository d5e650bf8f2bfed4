package demo

import (
	"encoding/json"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// The demo's resource policies (what collect reads from S3, KMS, SQS, SNS,
// Lambda, Secrets Manager and ECR), so that `seiri risk external` and the
// audit's external-access rules have something to show:
//
//   - acme-prod's partner-exchange bucket lets an outside account (a
//     partner, 999988887777) read and write objects: an external resource;
//   - acme-dev's webhook-intake queue lets anyone send messages (Principal
//     "*", no condition): public;
//   - every account's application key has the default key policy, which
//     delegates to IAM ("Enable IAM User Permissions"), so the engine knows
//     IAM policies decide who uses it;
//   - every account has account-level S3 Block Public Access except
//     acme-dev (Prowler's s3_account_level_public_access_blocks);
//   - the security tooling account (the delegated administrator) owns the
//     organization's IAM Access Analyzer in eu-west-1, the demo's region.
//
// Every service is read in the home region (and S3 globally), so nothing
// is "not collected". Built without the generator's random source: adding
// it changes no other part of the demo.

// PartnerAccount is the outside account the demo trusts with a bucket.
const PartnerAccount = "999988887777"

func resourcePolicies(a *snapshot.Account) *snapshot.ResourcePolicies {
	const region = "eu-west-1"
	rp := &snapshot.ResourcePolicies{Regions: []string{region}}
	for _, svc := range []string{snapshot.ResourceKMSKey, snapshot.ResourceSQSQueue, snapshot.ResourceSNSTopic, snapshot.ResourceLambda, snapshot.ResourceSecret, snapshot.ResourceECRRepo} {
		rp.Scopes = append(rp.Scopes, snapshot.CollectScope{Service: svc, Region: region})
	}
	rp.Scopes = append(rp.Scopes, snapshot.CollectScope{Service: snapshot.ResourceS3Bucket}, snapshot.CollectScope{Service: snapshot.ServiceS3Control})
	if a.AccountID != "666666666666" {
		rp.S3AccountBlock = &snapshot.PublicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
	}
	add := func(typ, arn, name, reg string, doc any) {
		b, err := json.Marshal(doc)
		if err != nil {
			panic(err) // static documents below
		}
		rp.Items = append(rp.Items, snapshot.ResourcePolicy{Type: typ, ARN: arn, Name: name, Region: reg, Policy: b})
		for i := range rp.Scopes {
			if rp.Scopes[i].Service == typ {
				rp.Scopes[i].Resources++
			}
		}
	}
	// KMS Developer Guide, "Default key policy": allows the account's IAM
	// policies to grant use of the key.
	keyID := "1234abcd-12ab-34cd-56ef-" + a.AccountID
	add(snapshot.ResourceKMSKey, "arn:aws:kms:"+region+":"+a.AccountID+":key/"+keyID, keyID, region, map[string]any{
		"Version": "2012-10-17", "Id": "key-default-1",
		"Statement": []any{map[string]any{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
			"Principal": map[string]any{"AWS": "arn:aws:iam::" + a.AccountID + ":root"}, "Action": "kms:*", "Resource": "*"}},
	})
	rp.Items[len(rp.Items)-1].KeyManager = "CUSTOMER"
	switch a.AccountID {
	case "555555555555":
		// S3 User Guide, "Granting cross-account permissions to upload
		// objects": a bucket policy naming another account.
		add(snapshot.ResourceS3Bucket, "arn:aws:s3:::acme-prod-partner-exchange", "acme-prod-partner-exchange", region, map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{"Sid": "PartnerExchange", "Effect": "Allow",
				"Principal": map[string]any{"AWS": "arn:aws:iam::" + PartnerAccount + ":root"},
				"Action":    []string{"s3:GetObject", "s3:PutObject"}, "Resource": "arn:aws:s3:::acme-prod-partner-exchange/*"}},
		})
	case "666666666666":
		// SQS Developer Guide, "Basic examples of Amazon SQS policies":
		// grant all users permission to send to a queue.
		q := "arn:aws:sqs:" + region + ":" + a.AccountID + ":webhook-intake"
		add(snapshot.ResourceSQSQueue, q, "webhook-intake", region, map[string]any{
			"Version": "2012-10-17", "Id": "webhook-intake-policy",
			"Statement": []any{map[string]any{"Sid": "AnyoneMaySend", "Effect": "Allow", "Principal": "*",
				"Action": "sqs:SendMessage", "Resource": q}},
		})
	}
	rp.Sort()
	return rp
}

// accessAnalyzers are the analyzers each demo account lists in eu-west-1.
func accessAnalyzers(a *snapshot.Account) *snapshot.AccessAnalyzers {
	reg := snapshot.AnalyzerRegion{Region: "eu-west-1", Analyzers: []snapshot.Analyzer{}}
	if a.AccountID == "222222222222" {
		reg.Analyzers = append(reg.Analyzers, snapshot.Analyzer{ARN: "arn:aws:access-analyzer:eu-west-1:222222222222:analyzer/acme-organization",
			Name: "acme-organization", Type: "ORGANIZATION", Status: "ACTIVE"})
	}
	return &snapshot.AccessAnalyzers{Regions: []snapshot.AnalyzerRegion{reg}}
}
