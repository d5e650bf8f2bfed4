package policy

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/benchcpu"
)

// realisticPrincipal is a role session with 5 identity policies (40
// statements), a permissions boundary and 3 SCP levels.
func realisticPrincipal(b *testing.B) *Policies {
	b.Helper()
	services := []string{"s3", "dynamodb", "sqs", "kms", "ec2"}
	var ps Policies
	for i, svc := range services {
		var st []string
		for j := 0; j < 8; j++ {
			var s string
			switch j {
			case 0:
				s = fmt.Sprintf(`{"Sid":"Read%d","Effect":"Allow","Action":["%s:Get*","%s:List*","%s:Describe*"],"Resource":"*"}`, i, svc, svc, svc)
			case 1:
				s = fmt.Sprintf(`{"Effect":"Allow","Action":"%s:Put*","Resource":["arn:aws:%s:us-east-1:111122223333:res-%d/*","arn:aws:%s:*:111122223333:team/${aws:PrincipalTag/team}/*"]}`, svc, svc, j, svc)
			case 2:
				s = fmt.Sprintf(`{"Effect":"Allow","Action":"%s:Delete*","Resource":"arn:aws:%s:*:111122223333:*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}`, svc, svc)
			case 3:
				s = fmt.Sprintf(`{"Effect":"Deny","Action":"%s:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},"Bool":{"aws:ViaAWSService":"false"}}}`, svc)
			case 4:
				s = fmt.Sprintf(`{"Effect":"Allow","Action":"%s:Tag*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team","owner"]},"StringEqualsIfExists":{"aws:RequestTag/env":["dev","prod"]}}}`, svc)
			case 5:
				s = fmt.Sprintf(`{"Effect":"Deny","NotAction":["%s:Get*","%s:List*"],"Resource":"arn:aws:%s:*:999999999999:*"}`, svc, svc, svc)
			case 6:
				s = fmt.Sprintf(`{"Effect":"Allow","Action":"%s:Create*","Resource":"*","Condition":{"StringLike":{"aws:RequestTag/team":"${aws:PrincipalTag/team}"},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}`, svc)
			case 7:
				s = fmt.Sprintf(`{"Effect":"Allow","Action":"%s:Update*","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:*:*:111122223333:*"}}}`, svc)
			}
			st = append(st, s)
		}
		ps.Identity = append(ps.Identity, MustParse(pol(strings.Join(st, ",")), TypeIdentity))
	}
	ps.Boundary = MustParse(pol(`{"Effect":"Allow","Action":["s3:*","dynamodb:*","sqs:*","kms:*"],"Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"},{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}`), TypeBoundary)
	ps.SCPs = [][]*Policy{
		{MustParse(pol(fullAccess), TypeSCP)},
		{MustParse(pol(fullAccess), TypeSCP), MustParse(pol(`{"Sid":"RegionLock","Effect":"Deny","NotAction":["iam:*","sts:*","organizations:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}}`), TypeSCP)},
		{MustParse(pol(fullAccess), TypeSCP), MustParse(pol(`{"Effect":"Deny","Action":["organizations:LeaveOrganization","iam:CreateUser","s3:PutAccountPublicAccessBlock"],"Resource":"*"}`), TypeSCP)},
	}
	return &ps
}

func benchRequests() []Request {
	actions := []string{"s3:GetObject", "s3:PutObject", "dynamodb:DeleteItem", "sqs:SendMessage", "kms:Decrypt", "ec2:DescribeInstances", "ec2:RunInstances", "s3:TagResource", "dynamodb:CreateTable", "kms:UpdateAlias"}
	var reqs []Request
	for i := 0; i < 1024; i++ {
		a := actions[i%len(actions)]
		svc := a[:strings.IndexByte(a, ':')]
		ctx := NewContext()
		ctx.Set("aws:PrincipalTag/team", "blue")
		ctx.Set("aws:SourceIp", []string{"10.1.2.3", "203.0.113.9", "2001:db8::7"}[i%3])
		ctx.Set("aws:MultiFactorAuthPresent", []string{"true", "false"}[i%2])
		ctx.Set("aws:MultiFactorAuthAge", "120")
		ctx.Set("aws:ViaAWSService", "false")
		ctx.Set("aws:RequestedRegion", []string{"us-east-1", "eu-west-1", "ap-south-1"}[i%3])
		ctx.Set("aws:CurrentTime", "2025-01-15T00:00:00Z")
		ctx.Set("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:alerts")
		ctx.SetMulti("aws:TagKeys", []string{"env", "team"})
		ctx.Set("aws:RequestTag/team", "blue")
		reqs = append(reqs, Request{
			Principal: "arn:aws:sts::111122223333:assumed-role/dev/s1",
			Action:    a,
			Resource:  fmt.Sprintf("arn:aws:%s:us-east-1:111122223333:team/blue/obj-%d", svc, i),
			Context:   ctx,
		})
	}
	return reqs
}

// BenchmarkEvaluate measures one decision for a realistic principal
// against a stream of varied requests.
func BenchmarkEvaluate(b *testing.B) {
	ps := realisticPrincipal(b)
	reqs := benchRequests()
	counts := [3]int{}
	b.ReportAllocs()
	i := 0
	cpu0 := benchcpu.Used()
	for b.Loop() {
		r := Evaluate(&reqs[i&1023], ps, nil)
		counts[r.Decision]++
		i++
	}
	// On a shared machine wall time depends on the neighbours; CPU time
	// consumed by this process is what one core delivers.
	if cpu := benchcpu.Used() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "decisions/cpu-s")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
	if counts[AllowDecision] == 0 || counts[ImplicitDeny]+counts[ExplicitDeny] == 0 {
		b.Fatalf("degenerate benchmark: %v", counts)
	}
}

// genCases builds n case lines by cycling through the sample file with
// fresh ids.
func genCases(tb testing.TB, n int) []byte { return genCasesOpt(tb, n, false) }

// genCasesOpt with unique makes every policy document distinct (an "Id"
// per policy), so that no compiled policy can be reused.
func genCasesOpt(tb testing.TB, n int, unique bool) []byte {
	data, err := os.ReadFile("testdata/policy-cases-sample.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	var buf bytes.Buffer
	for i := 0; i < n; i++ {
		l := lines[i%len(lines)]
		// Replace the id value ("rand-7-N") with a unique one.
		end := bytes.IndexByte(l[7:], '"') + 7
		rest := l[end+1:]
		if unique {
			rest = bytes.ReplaceAll(rest, []byte(`"Version":"2012-10-17",`), []byte(fmt.Sprintf(`"Version":"2012-10-17","Id":"u%d",`, i)))
		}
		fmt.Fprintf(&buf, `{"id":"gen-%d"%s`+"\n", i, rest)
	}
	return buf.Bytes()
}

// BenchmarkSimulate100k streams 100,000 generated cases through the
// simulator (parse every policy, evaluate, in order).
func BenchmarkSimulate100k(b *testing.B) { benchSimulate(b, false) }

// BenchmarkSimulate100kUnique is the same with no policy text repeated.
func BenchmarkSimulate100kUnique(b *testing.B) { benchSimulate(b, true) }

func benchSimulate(b *testing.B, unique bool) {
	data := genCasesOpt(b, 100000, unique)
	b.SetBytes(int64(len(data)))
	cpu0 := benchcpu.Used()
	defer func() {
		b.ReportMetric((benchcpu.Used()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	}()
	for b.Loop() {
		n := 0
		err := Simulate(bytes.NewReader(data), nil, 0, func(cr CaseResult) error {
			if cr.Err != nil {
				return cr.Err
			}
			n++
			return nil
		})
		if err != nil || n != 100000 {
			b.Fatalf("n=%d err=%v", n, err)
		}
	}
}

func TestGenCasesAgreeWithSamples(t *testing.T) {
	data := genCases(t, 120)
	err := Simulate(bytes.NewReader(data), nil, 2, func(cr CaseResult) error {
		if cr.Err != nil || cr.Decision.String() != cr.Expected {
			t.Errorf("%v: %v %v want %s", cr.ID, cr.Decision, cr.Err, cr.Expected)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkCompileCases decodes and compiles the sample cases' policies
// cold (the compiled-policy cache emptied before every pass), one worker:
// the per-case cost on policies never seen before, which dominates the
// differential test's case file. Allocations per pass are the figure to
// watch (the decoder's arenas are reused case after case).
func BenchmarkCompileCases(b *testing.B) {
	data, err := os.ReadFile("testdata/policy-cases-sample.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	n := bytes.Count(data, []byte("\n"))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := benchcpu.Used()
	for i := 0; i < b.N; i++ {
		DropCachedPolicies()
		if err := Simulate(bytes.NewReader(data), nil, 1, func(CaseResult) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/(benchcpu.Used()-cpu0).Seconds(), "cases/cpu-s")
}
