package org

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/usage"
)

const regionSCP = `{"Version":"2012-10-17","Statement":[{"Sid":"Regions","Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}}]}`

func TestReplay(t *testing.T) {
	d := demo.Generate(now, 1)
	before, err := FromSnapshot(d.Organization)
	if err != nil {
		t.Fatal(err)
	}
	mgmt := before.Management
	onRoot, _ := before.WithDraft("regions", SCP, regionSCP, RootTarget)
	onProd, _ := before.WithDraft("regions", SCP, regionSCP, OUTarget("Workloads/Prod"))
	denyS3 := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-other"}}}]}`
	rcp, _ := before.WithDraft("s3-org-only", RCP, denyS3, OUTarget("Workloads/Prod"))
	// Moving the prod account under the Suspended OU (deny-all there).
	moved := before.Clone()
	moved.Accounts["555555555555"].Parent = "Suspended"

	r := func(acct, principal, action, region, errc string, n int64) usage.Row {
		return usage.Row{Key: usage.Key{Account: acct, Principal: principal, PrincipalType: "IAMUser", Action: action, Region: region, ErrorCode: errc}, Count: n, Authz: true}
	}
	user := func(acct, name string) string { return "arn:aws:iam::" + acct + ":user/" + name }
	rows := []usage.Row{
		r("555555555555", user("555555555555", "ci"), "ec2:RunInstances", "eu-west-3", "", 412),
		r("555555555555", user("555555555555", "ci"), "ec2:RunInstances", "eu-west-1", "", 10),
		r("555555555555", user("555555555555", "ci"), "iam:GetRole", "us-east-1", "", 3),
		r("555555555555", user("555555555555", "ci"), "s3:GetObject", "eu-west-1", "", 8),
		r("555555555555", "arn:aws:iam::555555555555:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS", "ec2:RunInstances", "eu-west-3", "", 50),
		r("555555555555", "ecs.amazonaws.com", "ec2:RunInstances", "eu-west-3", "", 20), // AWS service principal
		r(mgmt, user(mgmt, "admin"), "ec2:RunInstances", "eu-west-3", "", 7),            // management account
		r("666666666666", user("666666666666", "dev"), "ec2:RunInstances", "ap-south-1", "", 5),
		r("666666666666", user("666666666666", "dev"), "ec2:RunInstances", "", "", 2),                                               // no region recorded
		{Key: usage.Key{Account: "666666666666", Principal: user("666666666666", "dev"), Action: "signin:ConsoleLogin"}, Count: 99}, // not authz
	}
	type sum struct {
		Affected          int
		Denied            int64
		Principals, Accts int
		NoRegion, Allowed int64
		Top               string
	}
	tests := []struct {
		name  string
		after *State
		want  sum
	}{
		{"nothing changes", before, sum{}},
		{"region SCP on root", onRoot, sum{Affected: 6, Denied: 419, Principals: 2, Accts: 2, NoRegion: 2, Top: "555555555555 ec2:RunInstances eu-west-3 412"}},
		{"region SCP on Prod only", onProd, sum{Affected: 1, Denied: 412, Principals: 1, Accts: 1, Top: "555555555555 ec2:RunInstances eu-west-3 412"}},
		{"RCP on Prod", rcp, sum{Affected: 1, Denied: 8, Principals: 1, Accts: 1, Top: "555555555555 s3:GetObject eu-west-1 8"}},
		{"move into Suspended", moved, sum{Affected: 1, Denied: 433, Principals: 1, Accts: 1, Top: "555555555555 ec2:RunInstances eu-west-3 412"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			im, err := Replay(before, tt.after, rows, ReplayOptions{OrgID: d.Organization.ID, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			got := sum{Affected: len(im.AffectedAccounts), Denied: im.NewlyDenied, Principals: im.DeniedPrincipals, Accts: im.DeniedAccounts, Allowed: im.NewlyAllowed}
			if im.NewlyDenied > 0 {
				got.NoRegion = im.NoRegion
				top := im.Top[0]
				got.Top = fmt.Sprintf("%s %s %s %d", top.Account, top.Action, top.Region, top.Calls)
			}
			if tt.want.NoRegion == 0 {
				got.NoRegion = 0
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s\n%s", diff, im.Summary())
			}
		})
	}
	// A failed call that the new chain no longer denies counts as newly allowed.
	jailed := before.Clone()
	for _, a := range jailed.Accounts {
		if a.ID == "666666666666" {
			a.Parent = "Suspended"
		}
	}
	unjailed := jailed.Clone()
	delete(unjailed.Attachments[OUTarget("Suspended")], PolicyKey(SCP, "suspended-deny-all"))
	im, err := Replay(jailed, unjailed, []usage.Row{r("666666666666", user("666666666666", "dev"), "ec2:RunInstances", "eu-west-1", "AccessDenied", 4)}, ReplayOptions{Now: now})
	if err != nil || im.NewlyAllowed != 4 {
		t.Errorf("newly allowed: %+v %v", im, err)
	}
}

func BenchmarkReplay(b *testing.B) {
	d := demo.Generate(now, 1)
	before, _ := FromSnapshot(d.Organization)
	after, _ := before.WithDraft("regions", SCP, regionSCP, RootTarget)
	var rows []usage.Row
	accts := before.AccountsUnder("")
	for i := 0; i < 100000; i++ {
		acct := accts[i%len(accts)]
		rows = append(rows, usage.Row{Key: usage.Key{Account: acct, Principal: fmt.Sprintf("arn:aws:iam::%s:role/r%d", acct, i%500),
			PrincipalType: "AssumedRole", Action: []string{"ec2:RunInstances", "s3:GetObject", "iam:GetRole", "dynamodb:Query"}[i%4],
			Region: []string{"eu-west-1", "eu-west-3", "us-east-1"}[i%3]}, Count: 3, Authz: true})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Replay(before, after, rows, ReplayOptions{Now: now}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
}
