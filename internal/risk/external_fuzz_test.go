package risk

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// FuzzExternal: any policy text, as a bucket policy, a queue policy and a
// trust policy, is either evaluated or reported as a problem naming the
// resource; never a panic.
func FuzzExternal(f *testing.F) {
	for _, s := range []string{s3PublicRead, s3OrgOnly, sqsFromTopic, kmsExternal, trustExternalID, ghAnyRepo, ghAnyRepoDenied, sqsAnyIP,
		`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"x"}}}}`,
		`{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"1"},"NotAction":"s3:Get*","NotResource":"arn:aws:s3:::b/*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},"Null":{"x:y":"false"},"ForAnyValue:StringLike":{"a:b":"*"}}}]}`,
		`{`, `null`, `[]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		a := extAccount(res(snapshot.ResourceS3Bucket, bucket, doc), res(snapshot.ResourceSQSQueue, queueARN, doc))
		a.Roles = []snapshot.Role{role("R", doc)}
		rep := External(&snapshot.Snapshot{Organization: org(), Accounts: []*snapshot.Account{a}}, ExternalOptions{})
		if !json.Valid([]byte(doc)) && len(rep.Problems) == 0 && len(doc) > 0 {
			t.Fatalf("invalid JSON %q not reported", doc)
		}
		want := 3
		if doc == "null" { // a resource without a policy
			want = 1
		}
		if rep.Evaluated+len(rep.Problems) != want && len(doc) > 0 {
			t.Fatalf("evaluated %d + problems %d != %d policies (%q)", rep.Evaluated, len(rep.Problems), want, doc)
		}
	})
}

// BenchmarkExternal: one account with 1,000 roles (a quarter trusting an
// outside account, a tenth GitHub) and 500 resource policies.
//
//	go test ./internal/risk -run '^$' -bench External -benchtime 5x
func BenchmarkExternal(b *testing.B) {
	a := extAccount()
	for i := 0; i < 1000; i++ {
		trust := trustService
		switch {
		case i%4 == 0:
			trust = trustExternalID
		case i%10 == 1:
			trust = ghAnyRepo
		case i%10 == 3:
			trust = trustAnyoneInOrg
		}
		a.Roles = append(a.Roles, role(fmt.Sprintf("role-%04d", i), trust))
	}
	docs := []struct{ typ, arn, doc string }{
		{snapshot.ResourceS3Bucket, bucket, s3PublicDenyOutside}, {snapshot.ResourceSQSQueue, queueARN, sqsFromTopic},
		{snapshot.ResourceKMSKey, keyARN, kmsExternal}, {snapshot.ResourceSQSQueue, queueARN, sqsIPRange}, {snapshot.ResourceS3Bucket, bucket, s3CrossAccount},
	}
	for i := 0; i < 500; i++ {
		d := docs[i%len(docs)]
		a.ResourcePolicies.Items = append(a.ResourcePolicies.Items, res(d.typ, d.arn, d.doc))
	}
	s := &snapshot.Snapshot{Organization: org(), Accounts: []*snapshot.Account{a}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep := External(s, ExternalOptions{})
		if rep.Evaluated != 1500 {
			b.Fatalf("evaluated %d", rep.Evaluated)
		}
	}
}
