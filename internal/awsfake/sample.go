package awsfake

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// SampleScenario builds a deterministic organization for tests and
// benchmarks: accounts accounts (the first is the management account) in
// two OUs, each with usersPerAccount users (keys, MFA, console passwords,
// Access Advisor data varied by index), two groups, three roles, a customer
// managed policy, a password policy, an alias and a trail; two SCPs, an RCP
// and a tag policy. Policy documents contain characters that IAM URL-encodes.
func SampleScenario(now time.Time, accounts, usersPerAccount int) Scenario {
	now = now.UTC().Truncate(time.Second)
	day := 24 * time.Hour
	org := &snapshot.Organization{
		ID: "o-fake12345", ManagementAccount: accountID(0), ManagementEmail: "aws-root@example.com",
		FeatureSet: "ALL",
		Roots:      []snapshot.Root{{ID: "r-ab12", Name: "Root", PolicyTypes: []string{"RESOURCE_CONTROL_POLICY", "SERVICE_CONTROL_POLICY", "TAG_POLICY"}}},
		OUs: []snapshot.OU{
			{ID: "ou-ab12-workload", Name: "Workloads", ParentID: "r-ab12"},
			{ID: "ou-ab12-prod0001", Name: "Prod", ParentID: "ou-ab12-workload"},
			{ID: "ou-ab12-security", Name: "Security", ParentID: "r-ab12"},
		},
		DelegatedAdmins: []snapshot.DelegatedAdmin{{AccountID: accountID(min(1, accounts-1)), ServicePrincipals: []string{"securityhub.amazonaws.com"}}},
		TrustedServices: []string{"cloudtrail.amazonaws.com", "securityhub.amazonaws.com"},
	}
	denyLeave := `{"Version":"2012-10-17","Statement":[{"Sid":"DenyLeave","Effect":"Deny","Action":"organizations:LeaveOrganization","Resource":"*"}]}`
	org.Policies = []snapshot.OrgPolicy{
		{ID: "p-FullAWSAccess", Name: "FullAWSAccess", Type: "SERVICE_CONTROL_POLICY", AWSManaged: true,
			Description: "Allows access to every operation",
			Content:     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
			Targets:     []string{"r-ab12"}},
		{ID: "p-denyleave01", Name: "deny-leave", Type: "SERVICE_CONTROL_POLICY", Content: denyLeave,
			Targets: []string{"ou-ab12-workload", "ou-ab12-security"}},
		{ID: "p-rcp0000001", Name: "rcp-confused-deputy", Type: "RESOURCE_CONTROL_POLICY",
			Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:SourceOrgID":"o-fake12345"}}}]}`,
			Targets: []string{"r-ab12"}},
		{ID: "p-tag0000001", Name: "cost-center", Type: "TAG_POLICY",
			Content: `{"tags":{"CostCenter":{"tag_key":{"@@assign":"CostCenter"}}}}`,
			Targets: []string{"ou-ab12-prod0001"}},
	}
	for i := range org.Policies {
		org.Policies[i].ARN = fmt.Sprintf("arn:aws:organizations::%s:policy/%s/%s", org.ManagementAccount, org.ID, org.Policies[i].ID)
	}
	sc := Scenario{Organization: org}
	for i := 0; i < accounts; i++ {
		id := accountID(i)
		parent := "r-ab12"
		switch i % 3 {
		case 1:
			parent = "ou-ab12-prod0001"
		case 2:
			parent = "ou-ab12-security"
		}
		status := "ACTIVE"
		org.Accounts = append(org.Accounts, snapshot.OrgAccount{
			ID: id, Name: fmt.Sprintf("account-%d", i), Email: fmt.Sprintf("aws+%d@example.com", i),
			Status: status, ParentID: parent, JoinedMethod: "CREATED", JoinedAt: now.Add(-400 * day),
			Tags: map[string]string{"team": fmt.Sprintf("team-%d", i%4)},
		})
		acct := sampleAccount(id, i, now, usersPerAccount)
		sampleExternal(acct, org) // sample_resources.go
		sc.Accounts = append(sc.Accounts, acct)
	}
	return sc
}

func accountID(i int) string { return fmt.Sprintf("1111%08d", 11110000+i)[:12] }

func doc(s string) json.RawMessage { return json.RawMessage(s) }

func sampleAccount(id string, idx int, now time.Time, users int) *snapshot.Account {
	day := 24 * time.Hour
	arn := func(kind, name string) string { return fmt.Sprintf("arn:aws:iam::%s:%s/%s", id, kind, name) }
	a := &snapshot.Account{
		AccountID: id, Alias: fmt.Sprintf("acme-%d", idx), CollectedAt: now,
		PasswordPolicy: &snapshot.PasswordPolicy{MinimumPasswordLength: 14, RequireSymbols: true,
			RequireNumbers: true, AllowUsersToChangePassword: true, ExpirePasswords: true, MaxPasswordAge: 90},
		Summary: map[string]int32{"Users": int32(users), "Groups": 2, "Roles": 3, "AccountMFAEnabled": 1},
		// No virtual MFA device, no server certificate: both lists are
		// served (empty), so a collect marks them collected.
		VirtualMFACollected: true, ServerCertificatesCollected: true,
		// The management account owns the organization's external access
		// analyzer in us-east-1 (the tests' default region).
		AccessAnalyzers: &snapshot.AccessAnalyzers{Regions: []snapshot.AnalyzerRegion{{Region: "us-east-1", Analyzers: []snapshot.Analyzer{}}}},
	}
	if idx == 0 {
		a.AccessAnalyzers.Regions[0].Analyzers = []snapshot.Analyzer{{ARN: "arn:aws:access-analyzer:us-east-1:" + id + ":analyzer/organization-analyzer",
			Name: "organization-analyzer", Type: "ORGANIZATION", Status: "ACTIVE"}}
	}
	if idx%2 == 1 {
		a.PasswordPolicy = nil
	}
	s3ro := "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
	custom := arn("policy", "deploy-app")
	a.Policies = []snapshot.ManagedPolicy{
		{ARN: custom, PolicyName: "deploy-app", PolicyID: "ANPAFAKEDEPLOY" + id, Path: "/", DefaultVersionID: "v2",
			AttachmentCount: 2, IsAttachable: true, CreateDate: now.Add(-300 * day), UpdateDate: now.Add(-30 * day),
			Document: doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","lambda:UpdateFunctionCode"],"Resource":"arn:aws:s3:::acme-deploy/*","Condition":{"StringLike":{"s3:prefix":["a b/+&=%"]}}}]}`)},
		{ARN: s3ro, PolicyName: "AmazonS3ReadOnlyAccess", PolicyID: "ANPAIZTJ4DXE7G6AGAE6M", Path: "/", DefaultVersionID: "v3",
			AttachmentCount: 1, IsAttachable: true, CreateDate: now.Add(-3000 * day), UpdateDate: now.Add(-900 * day),
			Document: doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}`)},
	}
	a.Groups = []snapshot.Group{
		{ARN: arn("group", "developers"), GroupName: "developers", GroupID: "AGPAFAKEDEV" + id, Path: "/", CreateDate: now.Add(-500 * day),
			AttachedPolicies: []snapshot.AttachedPolicy{{PolicyName: "deploy-app", PolicyARN: custom}}},
		{ARN: arn("group", "readers"), GroupName: "readers", GroupID: "AGPAFAKEREAD" + id, Path: "/", CreateDate: now.Add(-500 * day),
			InlinePolicies: []snapshot.InlinePolicy{{PolicyName: "read-logs", Document: doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:Get*","Resource":"*"}]}`)}}},
	}
	trust := doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
	used := now.Add(-3 * day)
	a.Roles = []snapshot.Role{
		{ARN: arn("role", "app-lambda"), RoleName: "app-lambda", RoleID: "AROAFAKEAPP" + id, Path: "/", CreateDate: now.Add(-200 * day),
			TrustPolicy: trust, AttachedPolicies: []snapshot.AttachedPolicy{{PolicyName: "deploy-app", PolicyARN: custom}},
			LastUsed: &snapshot.RoleLastUsed{Date: used, Region: "eu-west-1"}, Tags: map[string]string{"app": "shop"},
			AccessAdvisor: []snapshot.ServiceAccess{{ServiceNamespace: "s3", ServiceName: "Amazon S3", LastAuthenticated: &used, LastEntity: arn("role", "app-lambda"), LastRegion: "eu-west-1",
				Actions: []snapshot.ActionAccess{{ActionName: "PutObject", LastAccessed: &used, LastRegion: "eu-west-1", LastEntity: arn("role", "app-lambda")}, {ActionName: "GetObject"}}},
				{ServiceNamespace: "lambda", ServiceName: "AWS Lambda"}}},
		{ARN: arn("role", "ec2-old"), RoleName: "ec2-old", RoleID: "AROAFAKEEC2" + id, Path: "/legacy/", CreateDate: now.Add(-900 * day),
			TrustPolicy:         doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
			InstanceProfiles:    []string{arn("instance-profile", "ec2-old")},
			InlinePolicies:      []snapshot.InlinePolicy{{PolicyName: "s3", Document: doc(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`)}},
			PermissionsBoundary: custom},
		{ARN: arn("role", "aws-service-role/support.amazonaws.com/AWSServiceRoleForSupport"), RoleName: "AWSServiceRoleForSupport", RoleID: "AROAFAKESUP" + id,
			Path: "/aws-service-role/support.amazonaws.com/", CreateDate: now.Add(-1000 * day),
			TrustPolicy: doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"support.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)},
	}
	for u := 0; u < users; u++ {
		name := fmt.Sprintf("user-%02d", u)
		if u == 0 {
			name = "alice+admin@example.com"
		}
		usr := snapshot.User{ARN: arn("user", name), UserName: name, UserID: fmt.Sprintf("AIDAFAKE%s%04d", id, u), Path: "/",
			CreateDate: now.Add(-time.Duration(100+u*10) * day), Tags: map[string]string{"team": fmt.Sprintf("t%d", u%3)}}
		switch u % 4 {
		case 0:
			usr.Groups = []string{"developers", "readers"}
		case 1:
			usr.Groups = []string{"readers"}
			usr.AttachedPolicies = []snapshot.AttachedPolicy{{PolicyName: "AmazonS3ReadOnlyAccess", PolicyARN: s3ro}}
		case 2:
			usr.InlinePolicies = []snapshot.InlinePolicy{{PolicyName: "admin-ish", Document: doc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}}
		}
		if u%3 != 2 { // console users
			usr.LoginProfile = &snapshot.LoginProfile{CreateDate: usr.CreateDate.Add(day), PasswordResetRequired: u%5 == 0}
			if u%2 == 0 {
				t := now.Add(-time.Duration(u) * day)
				usr.PasswordLastUsed = &t
			}
		}
		if u%2 == 0 {
			usr.MFADevices = []snapshot.MFADevice{{SerialNumber: arn("mfa", name), EnableDate: usr.CreateDate.Add(2 * day)}}
		}
		nkeys := u % 3 // 0, 1 or 2 keys
		for k := 0; k < nkeys; k++ {
			key := snapshot.AccessKey{AccessKeyID: fmt.Sprintf("AKIAFAKE%s%02d%02d", id[8:], u%100, k), Status: "Active",
				CreateDate: usr.CreateDate.Add(time.Duration(k*30+5) * day)}
			if k == 1 {
				key.Status = "Inactive"
			}
			if u%4 != 3 {
				key.LastUsed = &snapshot.KeyLastUsed{Date: now.Add(-time.Duration(u+k) * day), ServiceName: "s3", Region: "us-east-1"}
			}
			usr.AccessKeys = append(usr.AccessKeys, key)
		}
		last := now.Add(-time.Duration(u) * day)
		usr.AccessAdvisor = []snapshot.ServiceAccess{
			{ServiceNamespace: "s3", ServiceName: "Amazon S3", LastAuthenticated: &last, LastEntity: usr.ARN, LastRegion: "us-east-1",
				Actions: []snapshot.ActionAccess{{ActionName: "GetObject", LastAccessed: &last, LastRegion: "us-east-1", LastEntity: usr.ARN}}},
			{ServiceNamespace: "iam", ServiceName: "AWS Identity and Access Management"},
			{ServiceNamespace: "ec2", ServiceName: "Amazon EC2"},
			{ServiceNamespace: "logs", ServiceName: "Amazon CloudWatch Logs"},
		}
		a.Users = append(a.Users, usr)
	}
	orgTrail := snapshot.Trail{Name: "org-trail", ARN: fmt.Sprintf("arn:aws:cloudtrail:us-east-1:%s:trail/org-trail", accountID(0)),
		HomeRegion: "us-east-1", S3BucketName: "acme-org-trail", IsMultiRegion: true, IsOrganizationTrail: true,
		IncludeGlobalServiceEvents: true, IsLogging: true,
		AdvancedEventSelectors: doc(`[{"Name":"Management events","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]`)}
	a.Trails = []snapshot.Trail{orgTrail}
	if idx == 0 {
		a.Trails = append(a.Trails, snapshot.Trail{Name: "data-events", ARN: fmt.Sprintf("arn:aws:cloudtrail:us-east-1:%s:trail/data-events", id),
			HomeRegion: "us-east-1", S3BucketName: "acme-data-events", S3KeyPrefix: "de", IncludeGlobalServiceEvents: false, IsLogging: false,
			EventSelectors: doc(`[{"ReadWriteType":"All","IncludeManagementEvents":false,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}],"ExcludeManagementEventSources":[]}]`)})
	}
	return a
}

// ScenarioFromSnapshot serves a loaded snapshot (the demo's, or one
// collected earlier) so that collect can be run against it.
func ScenarioFromSnapshot(s *snapshot.Snapshot) Scenario {
	return Scenario{Organization: s.Organization, Accounts: s.Accounts}
}
