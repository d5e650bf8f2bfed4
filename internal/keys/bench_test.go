package keys

import (
	"fmt"
	"testing"

	"github.com/seiri-dev/seiri/internal/credreport"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// benchInput is an organization of accounts × users, each user with two
// keys (one unused), a credential report row, a group policy, and usage rows
// for the used keys.
func benchInput(accounts, users int) Input {
	in := Input{Snapshot: &snapshot.Snapshot{}, Now: now, Runs: fullRuns(), KeyUsage: map[string][]usage.Row{}}
	for a := 0; a < accounts; a++ {
		acct := &snapshot.Account{AccountID: fmt.Sprintf("%012d", a), Trails: multiRegion, CredentialReport: &credreport.Report{},
			Groups: []snapshot.Group{{GroupName: "devs", InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "p",
				Document: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","lambda:InvokeFunction"],"Resource":["arn:aws:s3:::data/*","*"]}]}`)}}}}}
		for u := 0; u < users; u++ {
			used, unused := fmt.Sprintf("AKIAU%07d%08d", a, u), fmt.Sprintf("AKIAN%07d%08d", a, u)
			last := d(-u % 200)
			usr := snapshot.User{UserName: fmt.Sprintf("u%d", u), ARN: fmt.Sprintf("arn:aws:iam::%012d:user/u%d", a, u), Groups: []string{"devs"},
				AccessKeys: []snapshot.AccessKey{
					{AccessKeyID: used, Status: "Active", CreateDate: d(-400), LastUsed: &snapshot.KeyLastUsed{Date: last}},
					{AccessKeyID: unused, Status: "Active", CreateDate: d(-300)}}}
			acct.Users = append(acct.Users, usr)
			acct.CredentialReport.Rows = append(acct.CredentialReport.Rows, credreport.Row{User: usr.UserName, AccessKeys: [2]credreport.KeySlot{
				{Active: true, LastRotated: ct(d(-400)), LastUsedDate: ct(last)}, {Active: true, LastRotated: ct(d(-300))}}})
			in.KeyUsage[used] = []usage.Row{{Key: usage.Key{AccessKeyID: used}, FirstSeen: last, LastSeen: last, Count: 3}}
		}
		in.Snapshot.Accounts = append(in.Snapshot.Accounts, acct)
	}
	return in
}

func BenchmarkCandidates(b *testing.B) {
	for _, size := range []struct{ accounts, users int }{{10, 100}, {100, 100}} {
		in := benchInput(size.accounts, size.users)
		b.Run(fmt.Sprintf("%dx%d", size.accounts, size.users), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res := Candidates(in, Options{UnusedDays: 90, IncludeNeverUsed: true})
				if len(res.Candidates) == 0 {
					b.Fatal("no candidates")
				}
			}
			b.ReportMetric(float64(size.accounts*size.users*2), "keys/op")
		})
	}
}
