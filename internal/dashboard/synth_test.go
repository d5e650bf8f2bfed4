package dashboard

import (
	"fmt"
	"time"

	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

var synthNow = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// synth builds a deterministic organization of n accounts with users users,
// roles roles and one key per user in each, findings, key candidates,
// unused-permission results and usage rows: the input of a report the size
// of a large organization, without the analyses' cost. name, when set,
// replaces every user's name (hostile-string tests).
func synth(n, users, roles int, name string) Input {
	s := &snapshot.Snapshot{Dir: "/ws/snapshots/20261130T120000Z", Manifest: snapshot.Manifest{Source: "synthetic", FinishedAt: synthNow, StartedAt: synthNow}}
	in := Input{Version: "test", Generated: synthNow, Now: synthNow, Snapshot: s,
		Audit: &finding.Report{Tool: "seiri", Rules: []finding.Rule{{ID: "SEIRI-KEY-UNUSED"}, {ID: "SEIRI-PRIVESC-ADMIN"}}},
		Keys:  &keys.Result{}, Unused: &leastpriv.OrgView{Window: "90 days to 2026-11-30"},
		Usage:        &Usage{Path: "/ws/usage.db", Window: "90 days to 2026-11-30", Totals: usage.Totals{FirstSeen: synthNow.AddDate(0, 0, -90), LastSeen: synthNow}},
		RiskPrefixes: []string{"SEIRI-PRIVESC-"}, Journal: []plan.Entry{}, Absent: map[string]string{}}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%012d", 100000000000+i)
		aname := fmt.Sprintf("acct-%d", i)
		s.Manifest.Accounts = append(s.Manifest.Accounts, snapshot.AccountStatus{AccountID: id, Name: aname})
		a := &snapshot.Account{AccountID: id, Name: aname, CollectedAt: synthNow}
		at := leastpriv.AccountTotals{Account: id}
		for u := 0; u < users; u++ {
			un := fmt.Sprintf("user-%d", u)
			if name != "" {
				un = name
			}
			arn := fmt.Sprintf("arn:aws:iam::%s:user/%s", id, un)
			kid := fmt.Sprintf("AKIA%016d", i*users+u)
			created := synthNow.AddDate(0, 0, -(u*37)%900)
			var lu *snapshot.KeyLastUsed
			if u%3 != 0 {
				lu = &snapshot.KeyLastUsed{Date: synthNow.AddDate(0, 0, -(u*13)%400), ServiceName: "s3", Region: "eu-west-1"}
			}
			a.Users = append(a.Users, snapshot.User{ARN: arn, UserName: un, CreateDate: created, Groups: []string{"dev"}, Tags: map[string]string{"team": un},
				AccessKeys: []snapshot.AccessKey{{AccessKeyID: kid, Status: "Active", CreateDate: created, LastUsed: lu}}})
			if u%3 == 0 {
				when := synthNow.AddDate(0, 0, -200)
				in.Keys.Candidates = append(in.Keys.Candidates, keys.Candidate{Account: id, User: un, UserARN: arn, AccessKeyID: kid, CreateDate: created,
					Evidence: []keys.Evidence{{Source: "GetAccessKeyLastUsed", Detail: "never used"}, {Source: "CloudTrail", LastUsed: &when, Detail: "ua " + un}},
					Coverage: keys.Coverage{Trail: true, DaysScanned: 90}})
			}
			in.Audit.Findings = append(in.Audit.Findings, finding.Finding{RuleID: "SEIRI-KEY-UNUSED", Severity: finding.Severity(u % 5), Account: id, Resource: arn,
				Title: "Access key of " + un + " unused", Evidence: []finding.Evidence{{Name: "user agent", Value: un}}})
			r := &leastpriv.PrincipalResult{Principal: arn, Account: id, Kind: "user", Granted: 400, Used: u % 7, Unused: 400 - u%7, UnusedCertain: 300, UnusedHighRisk: 40 + u, Verdict: "over-privileged"}
			in.Unused.Principals = append(in.Unused.Principals, r)
			at.Principals++
			at.Granted += r.Granted
			at.UnusedCertain += r.UnusedCertain
			at.UnusedHighRisk += r.UnusedHighRisk
			for k := 0; k < 3; k++ {
				in.Usage.Rows = append(in.Usage.Rows, usage.Row{Key: usage.Key{Account: id, Principal: arn, PrincipalType: "IAMUser", AccessKeyID: kid, Action: fmt.Sprintf("s3:GetObject%d", k)},
					FirstSeen: synthNow.AddDate(0, 0, -80+k), LastSeen: synthNow.AddDate(0, 0, -(u+k)%60), Count: int64(10 * (k + 1)), Authz: true, UserAgents: []string{un}})
			}
		}
		for r := 0; r < roles; r++ {
			rn := fmt.Sprintf("role-%d", r)
			a.Roles = append(a.Roles, snapshot.Role{ARN: fmt.Sprintf("arn:aws:iam::%s:role/%s", id, rn), RoleName: rn, Path: "/", CreateDate: synthNow.AddDate(-1, 0, 0),
				TrustPolicy: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
		}
		in.Unused.Accounts = append(in.Unused.Accounts, at)
		s.Accounts = append(s.Accounts, a)
	}
	if len(in.Keys.Candidates) > 0 {
		c := in.Keys.Candidates[0]
		in.Journal = append(in.Journal, plan.Entry{Time: synthNow.AddDate(0, 0, -3), Plan: "p1", Change: "c1", Phase: plan.Done, Kind: "iam:UpdateAccessKey",
			Account: c.Account, Target: c.AccessKeyID, Operator: "arn:aws:iam::100000000000:user/ops", Detail: "access key " + c.AccessKeyID + " status Inactive"})
	}
	return in
}
