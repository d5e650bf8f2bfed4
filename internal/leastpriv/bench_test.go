package leastpriv

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// benchOrg builds an organization of accounts × perAccount principals: a
// mix of admins, power users, read-only users and service roles with
// team policies, an SCP at the root and one per OU.
func benchOrg(accounts, perAccount int) *snapshot.Snapshot {
	pol := func(name, doc string) snapshot.ManagedPolicy {
		return snapshot.ManagedPolicy{ARN: "arn:aws:iam::aws:policy/" + name, PolicyName: name, Document: json.RawMessage(doc)}
	}
	managed := []snapshot.ManagedPolicy{
		pol("AdministratorAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
		pol("PowerUserAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}]}`),
		pol("ReadOnlyAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","s3:Get*","s3:List*","iam:Get*","iam:List*","dynamodb:Describe*","lambda:Get*","lambda:List*","logs:Get*","cloudwatch:Get*"],"Resource":"*"}]}`),
	}
	teams := []string{"s3", "dynamodb", "lambda", "sqs", "sns", "kms", "ecs", "ecr", "logs", "ssm"}
	for i, svc := range teams {
		managed = append(managed, pol(fmt.Sprintf("team-%d", i),
			fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["%s:*"],"Resource":"*"},{"Effect":"Deny","Action":"%s:Delete*","Resource":"*"}]}`, svc, svc)))
	}
	org := &snapshot.Organization{ID: "o-bench", ManagementAccount: "100000000000",
		Roots: []snapshot.Root{{ID: "r-root"}},
		OUs:   []snapshot.OU{{ID: "ou-a", ParentID: "r-root"}, {ID: "ou-b", ParentID: "r-root"}},
		Policies: []snapshot.OrgPolicy{
			{ID: "p-full", Type: "SERVICE_CONTROL_POLICY", Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, Targets: []string{"r-root", "ou-a", "ou-b"}},
			{ID: "p-leave", Type: "SERVICE_CONTROL_POLICY", Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["organizations:LeaveOrganization","account:CloseAccount"],"Resource":"*"}]}`, Targets: []string{"r-root"}},
			{ID: "p-regions", Type: "SERVICE_CONTROL_POLICY", Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1"]}}}]}`, Targets: []string{"ou-b"}},
		}}
	s := &snapshot.Snapshot{Organization: org}
	for a := 0; a < accounts; a++ {
		id := fmt.Sprintf("%012d", 100000000000+a)
		parent := "ou-a"
		if a%2 == 1 {
			parent = "ou-b"
		}
		org.Accounts = append(org.Accounts, snapshot.OrgAccount{ID: id, ParentID: parent})
		acct := &snapshot.Account{AccountID: id, Policies: managed, AccessAdvisorCollected: true,
			Trails: []snapshot.Trail{{Name: "org", ARN: "arn:aws:cloudtrail:eu-west-1:100000000000:trail/org", HomeRegion: "eu-west-1", IsOrganizationTrail: true, IsMultiRegion: true, IsLogging: true}}}
		for i := 0; i < perAccount; i++ {
			var att []snapshot.AttachedPolicy
			switch i % 20 {
			case 0:
				att = []snapshot.AttachedPolicy{{PolicyARN: managed[0].ARN}}
			case 1, 2:
				att = []snapshot.AttachedPolicy{{PolicyARN: managed[1].ARN}}
			case 3, 4, 5, 6:
				att = []snapshot.AttachedPolicy{{PolicyARN: managed[2].ARN}}
			default:
				att = []snapshot.AttachedPolicy{{PolicyARN: managed[3+i%10].ARN}, {PolicyARN: managed[3+(i/10)%10].ARN}}
			}
			if i%2 == 0 {
				acct.Users = append(acct.Users, snapshot.User{ARN: fmt.Sprintf("arn:aws:iam::%s:user/u%d", id, i), UserName: fmt.Sprintf("u%d", i), AttachedPolicies: att})
			} else {
				acct.Roles = append(acct.Roles, snapshot.Role{ARN: fmt.Sprintf("arn:aws:iam::%s:role/r%d", id, i), RoleName: fmt.Sprintf("r%d", i), Path: "/", AttachedPolicies: att})
			}
		}
		s.Accounts = append(s.Accounts, acct)
	}
	return s
}

// benchRows yields n usage rows spread evenly over the principals of s, in
// principal order (as the store lists them), on real catalog actions.
func benchRows(s *snapshot.Snapshot, cat *catalog.Catalog, n int, end time.Time) iter.Seq[*usage.Row] {
	var principals []string
	var types []string
	for _, a := range s.Accounts {
		for _, u := range a.Users {
			principals, types = append(principals, u.ARN), append(types, "IAMUser")
		}
		for _, r := range a.Roles {
			principals, types = append(principals, r.ARN), append(types, "AssumedRole")
		}
	}
	var actions []string
	for _, pat := range []string{"s3:*", "dynamodb:*", "ec2:Describe*", "lambda:*", "sqs:*", "kms:*", "ecs:*", "logs:*"} {
		for _, a := range cat.Expand(pat) {
			actions = append(actions, a.FullName())
		}
	}
	resources := make([]string, 997)
	for i := range resources {
		resources[i] = fmt.Sprintf("arn:aws:s3:::bucket-%d/prefix-%d/*", i%37, i)
	}
	per := n / len(principals)
	return func(yield func(*usage.Row) bool) {
		var r usage.Row
		r.Authz = true
		r.FirstSeen, r.LastSeen, r.Count = end.AddDate(0, 0, -30), end.AddDate(0, 0, -1), 3
		k := 0
		for i, p := range principals {
			r.Principal, r.PrincipalType, r.Account = p, types[i], usage.AccountOfARN(p)
			for j := 0; j < per; j++ {
				k++
				r.Action = actions[(i*31+j/40)%len(actions)] // ~50 actions per principal, many resources each
				r.Resource = resources[k%len(resources)]
				if !yield(&r) {
					return
				}
			}
		}
	}
}

// BenchmarkUnusedAll is `seiri unused --all` minus reading the store: 50
// accounts, 5,000 principals, 10 million usage rows (set by -benchtime=1x;
// the sizes are fixed).
func BenchmarkUnusedAll(b *testing.B) {
	cat := catalog.Default()
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s := benchOrg(50, 100)
	const rows = 10_000_000
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		m := NewModel(s, cat)
		m.Now = end
		tModel := time.Since(t0)
		u := m.Attribute(benchRows(s, cat, rows, end), NewWindow(end, 90, end.AddDate(-1, 0, 0), end), false)
		tAttr := time.Since(t0) - tModel
		an := NewAnalysis(m, u)
		ps := m.Select("", "")
		m.GrantedAll(ps, runtime.GOMAXPROCS(0))
		tGrant := time.Since(t0) - tModel - tAttr
		v := an.Organization(ps, runtime.GOMAXPROCS(0))
		total := time.Since(t0)
		if len(v.Principals) != 5000 || u.Rows != rows {
			b.Fatalf("%d principals, %d rows", len(v.Principals), u.Rows)
		}
		b.ReportMetric(tModel.Seconds(), "model-s")
		b.ReportMetric(tAttr.Seconds(), "attribute-s")
		b.ReportMetric(tGrant.Seconds(), "grants-s")
		b.ReportMetric((total - tModel - tAttr - tGrant).Seconds(), "analyse-s")
		b.ReportMetric(float64(len(m.granted)), "policy-sets")
	}
}

// BenchmarkGrantsAdmin is the worst single policy set: "*" over the whole
// catalog, uncached.
func BenchmarkGrantsAdmin(b *testing.B) {
	cat := catalog.Default()
	s := benchOrg(1, 1)
	for i := 0; i < b.N; i++ {
		m := NewModel(s, cat)
		g := m.Granted(m.Principals[0])
		if len(g.List) < 10000 {
			b.Fatal(len(g.List))
		}
	}
}

// BenchmarkStoreRead measures reading usage rows back from the SQLite
// usage store (what the CLI does before Attribute), per row.
func BenchmarkStoreRead(b *testing.B) {
	const n = 200_000
	cat := catalog.Default()
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s := benchOrg(5, 100)
	ctx := context.Background()
	st, err := usage.Open(ctx, filepath.Join(b.TempDir(), "usage.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rows := make([]usage.Row, 0, n)
	seen := map[usage.Key]bool{}
	for r := range benchRows(s, cat, n, end) {
		if !seen[r.Key] {
			seen[r.Key] = true
			rows = append(rows, *r)
		}
	}
	if err := st.Upsert(ctx, rows); err != nil {
		b.Fatal(err)
	}
	for _, byAction := range []bool{false, true} {
		b.Run(fmt.Sprintf("byAction=%t", byAction), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				seq, errf := ReadUsage(ctx, st.Path(), StoreQuery{Since: end.AddDate(0, 0, -90), ByAction: byAction})
				got := 0
				for range seq {
					got++
				}
				if err := errf(); err != nil || got == 0 || !byAction && got != len(rows) {
					b.Fatalf("%d rows, %v", got, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(rows)), "ns/stored-row")
		})
	}
}
