package awsfake_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/awsfake"
)

var now = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func config(s *awsfake.Server, creds aws.CredentialsProvider) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      creds,
		BaseEndpoint:     aws.String(s.URL),
		RetryMaxAttempts: 1,
	}
}

func newFake(t *testing.T, accounts, users int) (*awsfake.Server, aws.Config) {
	t.Helper()
	s := awsfake.New(awsfake.SampleScenario(now, accounts, users), awsfake.Options{PageSize: 2})
	t.Cleanup(s.Close)
	return s, config(s, s.Credentials())
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestIAMAuthorizationDetailsPagingAndDecoding(t *testing.T) {
	s, cfg := newFake(t, 1, 5)
	c := iam.NewFromConfig(cfg)
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c, &iam.GetAccountAuthorizationDetailsInput{})
	var users []iamtypes.UserDetail
	var roles []iamtypes.RoleDetail
	var groups []iamtypes.GroupDetail
	var pols []iamtypes.ManagedPolicyDetail
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		users = append(users, out.UserDetailList...)
		roles = append(roles, out.RoleDetailList...)
		groups = append(groups, out.GroupDetailList...)
		pols = append(pols, out.Policies...)
	}
	// 5 users + 2 groups + 3 roles + 2 policies = 12 items, 2 per page.
	if pages != 6 || len(users) != 5 || len(groups) != 2 || len(roles) != 3 || len(pols) != 2 {
		t.Fatalf("pages=%d users=%d groups=%d roles=%d policies=%d", pages, len(users), len(groups), len(roles), len(pols))
	}
	if got := s.Count("", "GetAccountAuthorizationDetails"); got != 6 {
		t.Errorf("fake counted %d calls, want 6", got)
	}
	u0 := users[0]
	if aws.ToString(u0.UserName) != "alice+admin@example.com" || !cmp.Equal(u0.GroupList, []string{"developers", "readers"}) {
		t.Errorf("user 0: %q groups %v", aws.ToString(u0.UserName), u0.GroupList)
	}
	// Documents come URL-encoded (RFC 3986) as from AWS.
	enc := aws.ToString(pols[0].PolicyVersionList[0].Document)
	if !strings.HasPrefix(enc, "%7B%22Version%22%3A") {
		t.Errorf("document not URL-encoded: %.40s", enc)
	}
	dec, err := url.PathUnescape(enc)
	if err != nil || !strings.Contains(dec, `"s3:prefix":["a b/+&=%"]`) {
		t.Errorf("decoded document %q (%v)", dec, err)
	}
	if r := roles[0]; r.RoleLastUsed == nil || r.RoleLastUsed.LastUsedDate == nil || !r.RoleLastUsed.LastUsedDate.Equal(now.Add(-72*time.Hour)) {
		t.Errorf("role last used: %+v", r.RoleLastUsed)
	}
	if r := roles[1]; r.PermissionsBoundary == nil || len(r.InstanceProfileList) != 1 || len(r.RolePolicyList) != 1 {
		t.Errorf("role 1: %+v", r)
	}
}

func TestIAMPerUserCalls(t *testing.T) {
	_, cfg := newFake(t, 1, 6)
	ctx := context.Background()
	c := iam.NewFromConfig(cfg)
	tests := []struct {
		user      string
		keys      int
		mfa       int
		login     bool
		neverUsed bool
	}{
		{"alice+admin@example.com", 0, 1, true, false},
		{"user-01", 1, 0, true, false},
		{"user-02", 2, 1, false, false},
		{"user-03", 0, 0, true, false},
		{"user-05", 2, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			var keys []iamtypes.AccessKeyMetadata
			p := iam.NewListAccessKeysPaginator(c, &iam.ListAccessKeysInput{UserName: aws.String(tt.user)})
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				keys = append(keys, out.AccessKeyMetadata...)
			}
			if len(keys) != tt.keys {
				t.Fatalf("keys %d, want %d", len(keys), tt.keys)
			}
			for _, k := range keys {
				lu, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId})
				if err != nil {
					t.Fatal(err)
				}
				if lu.AccessKeyLastUsed.LastUsedDate == nil && aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "N/A" {
					t.Errorf("never-used key: service %q", aws.ToString(lu.AccessKeyLastUsed.ServiceName))
				}
			}
			mfa, err := c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String(tt.user)})
			if err != nil || len(mfa.MFADevices) != tt.mfa {
				t.Fatalf("mfa %v %v", mfa, err)
			}
			lp, err := c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String(tt.user)})
			var nse *iamtypes.NoSuchEntityException
			switch {
			case tt.login && (err != nil || lp.LoginProfile.CreateDate == nil):
				t.Errorf("login profile: %v", err)
			case !tt.login && !errors.As(err, &nse):
				t.Errorf("want NoSuchEntity, got %v", err)
			}
		})
	}
}

func TestIAMAccountLevel(t *testing.T) {
	s, cfg := newFake(t, 2, 3)
	ctx := context.Background()
	c := iam.NewFromConfig(cfg)
	s.CredentialReportStarted(2)
	var states []iamtypes.ReportStateType
	if _, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{}); code(err) != "ReportNotPresent" {
		t.Errorf("report before generate: %v", err)
	}
	for i := 0; i < 4; i++ {
		out, err := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, out.State)
	}
	if want := []iamtypes.ReportStateType{"STARTED", "INPROGRESS", "COMPLETE", "COMPLETE"}; !cmp.Equal(states, want) {
		t.Errorf("states %v, want %v", states, want)
	}
	rep, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(rep.Content), "user,arn,user_creation_time,") || !strings.Contains(string(rep.Content), "<root_account>") {
		t.Errorf("report content %.80q", rep.Content)
	}
	if _, err := base64.StdEncoding.DecodeString(base64.StdEncoding.EncodeToString(rep.Content)); err != nil {
		t.Fatal(err)
	}
	pp, err := c.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	if err != nil || aws.ToInt32(pp.PasswordPolicy.MaxPasswordAge) != 90 || !pp.PasswordPolicy.RequireSymbols {
		t.Errorf("password policy %+v %v", pp, err)
	}
	sum, err := c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil || sum.SummaryMap["Users"] != 3 {
		t.Errorf("summary %v %v", sum, err)
	}
	al, err := c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})
	if err != nil || !cmp.Equal(al.AccountAliases, []string{"acme-0"}) {
		t.Errorf("aliases %v %v", al, err)
	}
	// Access Advisor, action level, paged.
	s.AccessAdvisorInProgress(1)
	job, err := c.GenerateServiceLastAccessedDetails(ctx, &iam.GenerateServiceLastAccessedDetailsInput{
		Arn: aws.String("arn:aws:iam::111111110000:user/user-01"), Granularity: iamtypes.AccessAdvisorUsageGranularityTypeActionLevel})
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.GetServiceLastAccessedDetails(ctx, &iam.GetServiceLastAccessedDetailsInput{JobId: job.JobId})
	if err != nil || first.JobStatus != iamtypes.JobStatusTypeInProgress {
		t.Fatalf("first poll %v %v", first, err)
	}
	var svcs []iamtypes.ServiceLastAccessed
	in := &iam.GetServiceLastAccessedDetailsInput{JobId: job.JobId}
	for {
		out, err := c.GetServiceLastAccessedDetails(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		svcs = append(svcs, out.ServicesLastAccessed...)
		if !out.IsTruncated {
			break
		}
		in.Marker = out.Marker
	}
	if len(svcs) != 4 || aws.ToString(svcs[0].ServiceNamespace) != "s3" || len(svcs[0].TrackedActionsLastAccessed) != 1 || svcs[1].LastAuthenticated != nil {
		t.Errorf("services %+v", svcs)
	}
}

func TestSTSAndAssumeRole(t *testing.T) {
	s, cfg := newFake(t, 3, 1)
	ctx := context.Background()
	c := sts.NewFromConfig(cfg)
	id, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != "111111110000" || aws.ToString(id.Arn) != "arn:aws:iam::111111110000:user/seiri-operator" {
		t.Fatalf("caller %+v %v", id, err)
	}
	s.DenyAssumeRole("111111110002")
	out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111110001:role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("seiri-collect-1")})
	if err != nil {
		t.Fatal(err)
	}
	if k := aws.ToString(out.Credentials.AccessKeyId); !strings.HasPrefix(k, "ASIA") {
		t.Errorf("temp key %q", k)
	}
	mcfg := cfg.Copy()
	mcfg.Credentials = credentials.NewStaticCredentialsProvider(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
	id2, err := sts.NewFromConfig(mcfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id2.Account) != "111111110001" || !strings.Contains(aws.ToString(id2.Arn), "assumed-role/OrganizationAccountAccessRole/seiri-collect-1") {
		t.Errorf("member caller %+v %v", id2, err)
	}
	al, err := iam.NewFromConfig(mcfg).ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})
	if err != nil || !cmp.Equal(al.AccountAliases, []string{"acme-1"}) {
		t.Errorf("member alias %v %v", al, err)
	}
	_, err = c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111110002:role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("x")})
	if code(err) != "AccessDenied" {
		t.Errorf("denied assume: %v", err)
	}
	bad := cfg.Copy()
	bad.Credentials = credentials.NewStaticCredentialsProvider("AKIAUNKNOWN", "x", "")
	if _, err := sts.NewFromConfig(bad).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); code(err) != "InvalidClientTokenId" {
		t.Errorf("unknown key: %v", err)
	}
}

func TestOrganizations(t *testing.T) {
	s, cfg := newFake(t, 5, 0)
	ctx := context.Background()
	c := organizations.NewFromConfig(cfg)
	o, err := c.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil || aws.ToString(o.Organization.Id) != "o-fake12345" || aws.ToString(o.Organization.MasterAccountId) != "111111110000" {
		t.Fatalf("org %+v %v", o, err)
	}
	var accts []orgtypes.Account
	p := organizations.NewListAccountsPaginator(c, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		accts = append(accts, out.Accounts...)
	}
	if len(accts) != 5 || accts[0].Status != orgtypes.AccountStatusActive || accts[0].JoinedTimestamp == nil || s.Count("", "ListAccounts") != 3 {
		t.Errorf("accounts %d %+v calls %d", len(accts), accts[0], s.Count("", "ListAccounts"))
	}
	roots, err := c.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil || len(roots.Roots) != 1 || len(roots.Roots[0].PolicyTypes) != 3 {
		t.Fatalf("roots %+v %v", roots, err)
	}
	ous, err := c.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String("r-ab12")})
	if err != nil || len(ous.OrganizationalUnits) != 2 {
		t.Errorf("ous %+v %v", ous, err)
	}
	par, err := c.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String("111111110001")})
	if err != nil || aws.ToString(par.Parents[0].Id) != "ou-ab12-prod0001" || par.Parents[0].Type != orgtypes.ParentTypeOrganizationalUnit {
		t.Errorf("parents %+v %v", par, err)
	}
	pols, err := c.ListPolicies(ctx, &organizations.ListPoliciesInput{Filter: orgtypes.PolicyTypeServiceControlPolicy})
	if err != nil || len(pols.Policies) != 2 || !pols.Policies[0].AwsManaged {
		t.Fatalf("policies %+v %v", pols, err)
	}
	dp, err := c.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String("p-denyleave01")})
	if err != nil || !strings.Contains(aws.ToString(dp.Policy.Content), "LeaveOrganization") {
		t.Errorf("describe policy %+v %v", dp, err)
	}
	tg, err := c.ListTargetsForPolicy(ctx, &organizations.ListTargetsForPolicyInput{PolicyId: aws.String("p-denyleave01")})
	if err != nil || len(tg.Targets) != 2 || tg.Targets[0].Type != orgtypes.TargetTypeOrganizationalUnit {
		t.Errorf("targets %+v %v", tg, err)
	}
	tags, err := c.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String("111111110002")})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "team-2" {
		t.Errorf("tags %+v %v", tags, err)
	}
	da, err := c.ListDelegatedAdministrators(ctx, &organizations.ListDelegatedAdministratorsInput{})
	if err != nil || len(da.DelegatedAdministrators) != 1 {
		t.Errorf("delegated %+v %v", da, err)
	}
	sa, err := c.ListAWSServiceAccessForOrganization(ctx, &organizations.ListAWSServiceAccessForOrganizationInput{})
	if err != nil || len(sa.EnabledServicePrincipals) != 2 {
		t.Errorf("service access %+v %v", sa, err)
	}
	if _, err := c.ListPolicies(ctx, &organizations.ListPoliciesInput{Filter: orgtypes.PolicyTypeBackupPolicy}); code(err) != "PolicyTypeNotEnabledException" {
		t.Errorf("disabled type: %v", err)
	}
	// Throttling surfaces as TooManyRequestsException (retries disabled here).
	s.Throttle("", "ListRoots", 1)
	if _, err := c.ListRoots(ctx, &organizations.ListRootsInput{}); code(err) != "TooManyRequestsException" {
		t.Errorf("throttle: %v", err)
	}
	if _, err := c.ListRoots(ctx, &organizations.ListRootsInput{}); err != nil {
		t.Errorf("after throttle: %v", err)
	}
}

func TestOrganizationsNotInUseAndMemberDenied(t *testing.T) {
	sc := awsfake.SampleScenario(now, 1, 0)
	sc.Organization = nil
	s := awsfake.New(sc)
	defer s.Close()
	c := organizations.NewFromConfig(config(s, s.Credentials()))
	if _, err := c.DescribeOrganization(context.Background(), &organizations.DescribeOrganizationInput{}); code(err) != "AWSOrganizationsNotInUseException" {
		t.Errorf("no org: %v", err)
	}
}

func TestCloudTrail(t *testing.T) {
	_, cfg := newFake(t, 1, 0)
	ctx := context.Background()
	c := cloudtrail.NewFromConfig(cfg)
	out, err := c.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	if err != nil || len(out.TrailList) != 2 {
		t.Fatalf("trails %+v %v", out, err)
	}
	for _, tr := range out.TrailList {
		es, err := c.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: tr.TrailARN})
		if err != nil {
			t.Fatal(err)
		}
		st, err := c.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: tr.TrailARN})
		if err != nil {
			t.Fatal(err)
		}
		switch aws.ToString(tr.Name) {
		case "org-trail":
			if len(es.AdvancedEventSelectors) != 1 || !aws.ToBool(st.IsLogging) || !aws.ToBool(tr.IsOrganizationTrail) {
				t.Errorf("org-trail: %+v %+v", es, st)
			}
		case "data-events":
			if len(es.EventSelectors) != 1 || es.EventSelectors[0].DataResources[0].Values[0] != "arn:aws:s3" || aws.ToBool(st.IsLogging) {
				t.Errorf("data-events: %+v %+v", es, st)
			}
		}
	}
}

func TestFaults(t *testing.T) {
	s, cfg := newFake(t, 1, 1)
	ctx := context.Background()
	c := iam.NewFromConfig(cfg)
	s.Throttle("111111110000", "GetAccountSummary", 2)
	for i, want := range []string{"Throttling", "Throttling", ""} {
		if _, err := c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}); code(err) != want {
			t.Errorf("call %d: %v, want %q", i, err, want)
		}
	}
	seen := 0
	s.OnCall(func(awsfake.Call) { seen++ })
	s.FailAfter(s.Total() + 1)
	if _, err := c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}); err != nil {
		t.Errorf("last allowed call: %v", err)
	}
	if _, err := c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}); code(err) != "InjectedFailure" {
		t.Errorf("after FailAfter: %v", err)
	}
	if seen != 2 {
		t.Errorf("OnCall saw %d calls", seen)
	}
	if got := s.Calls()[awsfake.Call{Account: "111111110000", Service: "iam", Operation: "GetAccountSummary"}]; got != 5 {
		t.Errorf("counter %d, want 5", got)
	}
}

func TestUpdate(t *testing.T) {
	s, cfg := newFake(t, 1, 1)
	s.Update(func(sc *awsfake.Scenario) { sc.Accounts[0].Alias = "renamed" })
	al, err := iam.NewFromConfig(cfg).ListAccountAliases(context.Background(), &iam.ListAccountAliasesInput{})
	if err != nil || !cmp.Equal(al.AccountAliases, []string{"renamed"}) {
		t.Errorf("aliases %v %v", al, err)
	}
}

func TestRawProtocolErrors(t *testing.T) {
	s, _ := newFake(t, 1, 0)
	auth := func(service string) string {
		return "AWS4-HMAC-SHA256 Credential=" + awsfake.AccessKeyID + "/20261101/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=00"
	}
	tests := []struct {
		name, body, target, auth string
		status                   int
		want                     string
	}{
		{"wrong scope", "Action=ListAccountAliases&Version=2010-05-08", "", auth("sts"), 403, "<Code>SignatureDoesNotMatch</Code>"},
		{"unknown action", "Action=CreateSAMLProvider&Version=2010-05-08&Name=x", "", auth("iam"), 400, "<Code>InvalidAction</Code>"},
		{"unknown version", "Action=ListUsers&Version=2099-01-01", "", auth("iam"), 400, "<Code>InvalidAction</Code>"},
		{"no credentials", "Action=ListUsers&Version=2010-05-08", "", "", 403, "<Code>InvalidClientTokenId</Code>"},
		{"xml envelope", "Action=ListAccountAliases&Version=2010-05-08", "", auth("iam"), 200,
			`<ListAccountAliasesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListAccountAliasesResult><AccountAliases><member>acme-0</member></AccountAliases><IsTruncated>false</IsTruncated></ListAccountAliasesResult><ResponseMetadata><RequestId>`},
		{"json unknown op", "{}", "AWSOrganizationsV20161128.CloseAccount", auth("organizations"), 400, `"__type":"UnknownOperationException"`},
		{"json bad body", "{", "AWSOrganizationsV20161128.ListRoots", auth("organizations"), 400, `"__type":"SerializationException"`},
		{"json bad token", `{"NextToken":"bogus"}`, "AWSOrganizationsV20161128.ListAccounts", auth("organizations"), 400, `"__type":"InvalidInputException"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", s.URL, strings.NewReader(tt.body))
			if tt.target != "" {
				req.Header.Set("X-Amz-Target", tt.target)
				req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			} else {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
				t.Errorf("status %d body %s; want %d containing %s", resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
}
