package audit

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/credreport"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// genSnapshot builds accounts × users users (half with keys, a third with
// console passwords, groups, a credential report and Access Advisor data)
// and as many roles as users / 2.
func genSnapshot(accounts, users int) *snapshot.Snapshot {
	s := &snapshot.Snapshot{}
	for a := 0; a < accounts; a++ {
		id := fmt.Sprintf("%012d", 100000000000+a)
		acc := &snapshot.Account{AccountID: id, AccessAdvisorCollected: true,
			CredentialReport: &credreport.Report{},
			Policies: []snapshot.ManagedPolicy{{ARN: "arn:aws:iam::" + id + ":policy/app", PolicyName: "app",
				Document: json.RawMessage(`{"Statement":[{"Effect":"Allow","Action":["s3:GetObject","sqs:*"],"Resource":"*"}]}`)}}}
		for g := 0; g < 20; g++ {
			acc.Groups = append(acc.Groups, snapshot.Group{ARN: fmt.Sprintf("arn:aws:iam::%s:group/g%d", id, g), GroupName: fmt.Sprintf("g%d", g),
				AttachedPolicies: []snapshot.AttachedPolicy{{PolicyName: "app", PolicyARN: "arn:aws:iam::" + id + ":policy/app"}}})
		}
		for i := 0; i < users; i++ {
			created := now.AddDate(0, 0, -(i % 700))
			u := snapshot.User{ARN: fmt.Sprintf("arn:aws:iam::%s:user/u%d", id, i), UserName: fmt.Sprintf("u%d", i), CreateDate: created,
				Groups:        []string{fmt.Sprintf("g%d", i%20), fmt.Sprintf("g%d", (i+1)%20)},
				AccessAdvisor: []snapshot.ServiceAccess{{ServiceNamespace: "s3", LastAuthenticated: ptr(now.AddDate(0, 0, -(i % 200)))}, {ServiceNamespace: "sqs"}}}
			row := credreport.Row{User: u.UserName, ARN: u.ARN, UserCreationTime: rt(created), PasswordLastUsed: na, PasswordLastChanged: na,
				AccessKeys: [2]credreport.KeySlot{{LastRotated: na, LastUsedDate: na}, {LastRotated: na, LastUsedDate: na}}}
			if i%2 == 0 {
				kc := created.Add(time.Hour)
				u.AccessKeys = []snapshot.AccessKey{{AccessKeyID: fmt.Sprintf("AKIA%012d", i), Status: "Active", CreateDate: kc,
					LastUsed: &snapshot.KeyLastUsed{Date: now.AddDate(0, 0, -(i % 300))}}}
				row.AccessKeys[0] = credreport.KeySlot{Active: true, LastRotated: rt(kc), LastUsedDate: rt(now.AddDate(0, 0, -(i % 300)))}
			}
			if i%3 == 0 {
				u.LoginProfile = &snapshot.LoginProfile{CreateDate: created}
				row.PasswordEnabled.Value = true
			}
			acc.Users = append(acc.Users, u)
			acc.CredentialReport.Rows = append(acc.CredentialReport.Rows, row)
		}
		for i := 0; i < users/2; i++ {
			acc.Roles = append(acc.Roles, snapshot.Role{ARN: fmt.Sprintf("arn:aws:iam::%s:role/r%d", id, i), RoleName: fmt.Sprintf("r%d", i),
				Path: "/", CreateDate: now.AddDate(0, 0, -(i % 500))})
		}
		s.Accounts = append(s.Accounts, acc)
	}
	return s
}

// BenchmarkRun audits 20 accounts × 1,000 users (+ 500 roles each).
func BenchmarkRun(b *testing.B) {
	s := genSnapshot(20, 1000)
	c := cfg()
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(Run(s, c, now).Findings)
	}
	b.ReportMetric(float64(n), "findings")
}
