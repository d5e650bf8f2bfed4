package risk

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/seiri-dev/seiri/internal/benchcpu"
	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// benchAccount generates one account with roles roles and policies customer
// managed policies (two per role), shaped like a large real account: most
// roles are service roles of one team (S3, DynamoDB, SQS, logs on the
// team's resources), a tenth trust the account and can assume their team's
// roles, one in fifty deploys (iam:PassRole on the team's roles with
// lambda:CreateFunction and InvokeFunction, or cloudformation:CreateStack),
// one in a hundred is an administrator; users are in team groups.
func benchAccount(roles, policies, users int) *snapshot.Snapshot {
	const id = "210987654321"
	services := []string{"lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "ec2.amazonaws.com", "glue.amazonaws.com", "cloudformation.amazonaws.com"}
	a := &snapshot.Account{AccountID: id, CollectedAt: t0}
	a.Policies = append(a.Policies, snapshot.ManagedPolicy{ARN: "arn:aws:iam::aws:policy/AdministratorAccess", PolicyName: "AdministratorAccess", Document: json.RawMessage(adminDoc)})
	for i := 0; i < policies; i++ {
		team := fmt.Sprintf("team%02d", i%40)
		var stmts []string
		switch {
		case i%100 == 7:
			stmts = append(stmts, allowStmt("Deploy", "arn:aws:iam::"+id+":role/*", "iam:PassRole"),
				allowStmt("Functions", "*", "lambda:CreateFunction", "lambda:InvokeFunction"))
		case i%100 == 8:
			stmts = append(stmts, allowStmt("Stacks", "arn:aws:iam::"+id+":role/"+team+"-*", "iam:PassRole"),
				allowStmt("Cfn", "*", "cloudformation:CreateStack", "cloudformation:DescribeStacks"))
		case i%20 == 9:
			stmts = append(stmts, allowStmt("Hop", "arn:aws:iam::"+id+":role/"+team+"-*", "sts:AssumeRole"))
		}
		stmts = append(stmts,
			allowStmt("Data", fmt.Sprintf("arn:aws:s3:::%s-%d/*", team, i), "s3:GetObject", "s3:PutObject"),
			allowStmt("Table", fmt.Sprintf("arn:aws:dynamodb:eu-west-1:%s:table/%s-%d", id, team, i), "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"),
			allowStmt("Queue", fmt.Sprintf("arn:aws:sqs:eu-west-1:%s:%s-*", id, team), "sqs:SendMessage", "sqs:ReceiveMessage"),
			allowStmt("Logs", "*", "logs:CreateLogStream", "logs:PutLogEvents"),
			`{"Sid":"NoDelete","Effect":"Deny","Action":["s3:DeleteBucket","dynamodb:DeleteTable"],"Resource":"*"}`)
		a.Policies = append(a.Policies, snapshot.ManagedPolicy{ARN: fmt.Sprintf("arn:aws:iam::%s:policy/%s-p%d", id, team, i), PolicyName: fmt.Sprintf("%s-p%d", team, i),
			Path: "/", AttachmentCount: 1, IsAttachable: true, Document: policyDoc(stmts...)})
	}
	for i := 0; i < roles; i++ {
		team := fmt.Sprintf("team%02d", (2*i)%40)
		name := fmt.Sprintf("%s-role%d", team, i)
		trust := `{"Service":"` + services[i%len(services)] + `"}`
		if i%10 == 3 {
			trust = `{"AWS":"arn:aws:iam::` + id + `:root"}`
		}
		r := snapshot.Role{ARN: "arn:aws:iam::" + id + ":role/" + name, RoleName: name, Path: "/", TrustPolicy: trustDoc(trust)}
		if i%100 == 40 {
			r.AttachedPolicies = append(r.AttachedPolicies, snapshot.AttachedPolicy{PolicyName: "AdministratorAccess", PolicyARN: "arn:aws:iam::aws:policy/AdministratorAccess"})
		}
		for _, k := range []int{(2 * i) % policies, (2*i + 1) % policies} {
			r.AttachedPolicies = append(r.AttachedPolicies, snapshot.AttachedPolicy{PolicyName: a.Policies[k+1].PolicyName, PolicyARN: a.Policies[k+1].ARN})
		}
		if i%len(services) == 2 {
			r.InstanceProfiles = []string{"arn:aws:iam::" + id + ":instance-profile/" + name}
		}
		a.Roles = append(a.Roles, r)
	}
	for t := 0; t < 40; t++ {
		team := fmt.Sprintf("team%02d", t)
		a.Groups = append(a.Groups, snapshot.Group{ARN: "arn:aws:iam::" + id + ":group/" + team, GroupName: team, Path: "/",
			AttachedPolicies: []snapshot.AttachedPolicy{{PolicyName: a.Policies[t+1].PolicyName, PolicyARN: a.Policies[t+1].ARN}}})
	}
	for u := 0; u < users; u++ {
		name := fmt.Sprintf("user%d", u)
		a.Users = append(a.Users, snapshot.User{ARN: "arn:aws:iam::" + id + ":user/" + name, UserName: name, Path: "/", CreateDate: t0,
			Groups: []string{fmt.Sprintf("team%02d", u%40)}})
	}
	return &snapshot.Snapshot{Accounts: []*snapshot.Account{a}}
}

// TestBenchAccount checks the generated account's analysis finds the
// planted paths (so the benchmark measures real work).
func TestBenchAccount(t *testing.T) {
	an := Analyze(benchAccount(200, 400, 40), catalog.Default(), Options{Workers: 2})
	if n := len(an.AdminPaths()); n == 0 {
		t.Fatal("no path in the generated account")
	}
}

// BenchmarkAnalyze: 1,000 roles, 2,000 policies, 200 users in one account.
//
//	go test ./internal/risk -run XXX -bench Analyze -benchtime 1x -benchmem
func BenchmarkAnalyze(b *testing.B) {
	s := benchAccount(1000, 2000, 200)
	cat := catalog.Default()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		m := leastpriv.NewModel(s, cat)
		b.StartTimer()
		cpu := benchcpu.Used()
		an := AnalyzeModel(m, Options{})
		if i == 0 {
			// CPU seconds, next to the wall time: the benchmark machine is shared.
			b.ReportMetric((benchcpu.Used() - cpu).Seconds(), "cpu-s")
			edges := 0
			for _, n := range an.Nodes {
				edges += len(n.Out)
			}
			b.ReportMetric(float64(len(an.Nodes)), "principals")
			b.ReportMetric(float64(edges), "edges")
			b.ReportMetric(float64(len(an.AdminPaths())), "paths")
		}
	}
}

// BenchmarkModelAndAnalyze includes building the model (parsing policies).
func BenchmarkModelAndAnalyze(b *testing.B) {
	s := benchAccount(1000, 2000, 200)
	cat := catalog.Default()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Analyze(s, cat, Options{})
	}
}
