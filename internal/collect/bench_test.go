package collect

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/awsfake"
)

var (
	benchAccounts = flag.Int("org.accounts", 20, "BenchmarkCollectOrg: accounts in the organization")
	benchUsers    = flag.Int("org.users", 10, "BenchmarkCollectOrg: users per account")
	benchLatency  = flag.Duration("org.latency", 20*time.Millisecond, "BenchmarkCollectOrg: latency added to every fake call")
)

// expectedCalls is the number of API calls collect makes for one account
// (the caller's own, one page per list, Access Advisor jobs and the
// credential report ready at the first poll):
//
//	8 + 2·trails + 3·users + keys + 2·(users + roles)   (users > 0)
//
// 8 fixed: GetAccountAuthorizationDetails, ListUsers (skipped without
// users), GenerateCredentialReport, GetCredentialReport,
// GetAccountPasswordPolicy, GetAccountSummary, ListAccountAliases,
// DescribeTrails. Per trail: GetEventSelectors, GetTrailStatus. Per user,
// the calls without a batch form: ListAccessKeys, ListMFADevices,
// GetLoginProfile. Per key: GetAccessKeyLastUsed. Per user and role (unless
// --no-access-advisor): GenerateServiceLastAccessedDetails and
// GetServiceLastAccessedDetails. Paging adds one call per extra page.
//
// The resource-policy pass (resources.go) adds, for an account without
// resources or identity providers, 5 + 6·regions: DescribeOrganization,
// ListSAMLProviders, ListOpenIDConnectProviders, S3 Control
// GetPublicAccessBlock, ListBuckets, and one list call per regional service
// (KMS, SQS, SNS, Lambda, Secrets Manager, ECR). Each resource then costs:
// bucket 3 (policy, ACL, Block Public Access), key 2 (DescribeKey,
// GetKeyPolicy), others 1; each OIDC provider 1.
func expectedCalls(users, keys, roles, trails int, accessAdvisor bool) int {
	const regions = 1
	n := 10 + 2*trails + regions + 3*users + keys + 5 + 6*regions
	if users == 0 {
		n--
	}
	if accessAdvisor {
		n += 2 * (users + roles)
	}
	return n
}

func TestCallsPerAccountFormula(t *testing.T) {
	for _, users := range []int{0, 1, 10, 40} {
		for _, aa := range []bool{true, false} {
			t.Run(fmt.Sprintf("users=%d,aa=%v", users, aa), func(t *testing.T) {
				isolate(t)
				sc := awsfake.SampleScenario(now, 1, users)
				f := awsfake.New(sc, awsfake.Options{PageSize: 1000})
				defer f.Close()
				sess, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: f.URL, Credentials: f.Credentials()})
				if err != nil {
					t.Fatal(err)
				}
				before, sent := f.Total(), sess.Calls().Attempts()
				res, err := Run(context.Background(), sess, filepath.Join(t.TempDir(), "s"), fastOpts(Options{NoAccessAdvisor: !aa}))
				if err != nil {
					t.Fatal(err)
				}
				sent = sess.Calls().Attempts() - sent
				a := sc.Accounts[0]
				keys := 0
				for _, u := range a.Users {
					keys += len(u.AccessKeys)
				}
				want := expectedCalls(len(a.Users), keys, len(a.Roles), len(a.Trails), aa)
				// The fake sees every call once, and a retried one (an SDK
				// retry of a loopback connection closed while idle, under
				// load) once more if the first request reached it: never
				// fewer than the calls, never more than the requests sent.
				if got := f.Total() - before; got < want || int64(got) > sent {
					t.Errorf("fake saw %d requests; the formula says %d calls, the client sent %d requests", got, want, sent)
				}
				if got := res.Manifest.Accounts[0].APICalls; got != want {
					t.Errorf("manifest apiCalls %d, want %d", got, want)
				}
			})
		}
	}
}

// BenchmarkCallsPerAccount reports API calls per account for growing users.
//
//	go test ./internal/collect -run '^$' -bench CallsPerAccount -benchtime 1x
func BenchmarkCallsPerAccount(b *testing.B) {
	for _, users := range []int{10, 50, 200} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			isolate(b)
			sc := awsfake.SampleScenario(now, 1, users)
			f := awsfake.New(sc, awsfake.Options{PageSize: 1000})
			defer f.Close()
			sess, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: f.URL, Credentials: f.Credentials()})
			if err != nil {
				b.Fatal(err)
			}
			keys := 0
			for _, u := range sc.Accounts[0].Users {
				keys += len(u.AccessKeys)
			}
			b.ResetTimer()
			before := f.Total()
			for i := 0; i < b.N; i++ {
				if _, err := Run(context.Background(), sess, filepath.Join(b.TempDir(), "s"), fastOpts(Options{})); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(f.Total()-before)/float64(b.N), "calls/account")
			b.ReportMetric(float64(keys), "keys")
		})
	}
}

// BenchmarkCollectOrg collects a whole organization against the fake with
// latency added to every call, --parallel 1 vs 8. Sizes come from flags:
//
//	go test ./internal/collect -run '^$' -bench CollectOrg -benchtime 1x \
//	    -org.accounts 200 -org.users 50 -org.latency 20ms
func BenchmarkCollectOrg(b *testing.B) {
	for _, par := range []int{1, 8} {
		b.Run(fmt.Sprintf("accounts=%d,users=%d,parallel=%d", *benchAccounts, *benchUsers, par), func(b *testing.B) {
			isolate(b)
			f := awsfake.New(awsfake.SampleScenario(now, *benchAccounts, *benchUsers), awsfake.Options{PageSize: 100})
			defer f.Close()
			f.Latency(*benchLatency)
			sess, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: f.URL, Credentials: f.Credentials(), RetryMode: aws.RetryModeStandard})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			before := f.Total()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				res, err := Run(context.Background(), sess, filepath.Join(b.TempDir(), "s"), fastOpts(Options{Org: true, Parallel: par}))
				if err != nil || len(res.FailedAccounts()) > 0 {
					b.Fatalf("%v %+v", err, res.FailedAccounts())
				}
			}
			b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/collect")
			b.ReportMetric(float64(f.Total()-before)/float64(b.N), "calls/collect")
		})
	}
}
