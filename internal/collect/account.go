package collect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// accountRun collects one account. Sections whose failure would make the
// snapshot lie (authorization details, keys, MFA, login profiles) fail the
// account; the others add a warning and leave their field empty/unknown.
type accountRun struct {
	ctx   context.Context
	c     *awsclient.Clients
	opts  *Options
	acct  *snapshot.Account
	mu    sync.Mutex
	warns []string
}

func (r *accountRun) warn(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.warns = append(r.warns, fmt.Sprintf(format, args...))
}

func collectAccount(ctx context.Context, c *awsclient.Clients, opts *Options) (*snapshot.Account, []string, error) {
	r := &accountRun{ctx: ctx, c: c, opts: opts, acct: &snapshot.Account{AccountID: c.AccountID, CollectedAt: opts.Now().UTC()}}
	if err := r.authorizationDetails(); err != nil {
		return nil, r.warns, fmt.Errorf("iam GetAccountAuthorizationDetails: %s", awsclient.ErrorSummary(err))
	}
	if err := r.passwordLastUsed(); err != nil {
		return nil, r.warns, fmt.Errorf("iam ListUsers: %s", awsclient.ErrorSummary(err))
	}
	if err := r.perUser(); err != nil {
		return nil, r.warns, err
	}
	r.accountSettings()
	r.accountCredentials()
	r.credentialReport()
	if !opts.NoAccessAdvisor {
		r.accessAdvisor()
	}
	r.trails()
	r.accessAnalyzers() // analyzers.go
	if !opts.NoResourcePolicies {
		r.resourcePolicies() // resources.go
	}
	if err := ctx.Err(); err != nil {
		return nil, r.warns, err
	}
	return r.acct, r.warns, nil
}

// decodeDoc turns an IAM policy document, URL-encoded (RFC 3986) as
// GetAccountAuthorizationDetails returns it, into JSON.
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_PolicyVersion.html
func decodeDoc(s string) (json.RawMessage, error) {
	if s == "" {
		return nil, nil
	}
	dec := s
	if u, err := url.PathUnescape(s); err == nil {
		dec = u
	} else if !json.Valid([]byte(s)) {
		return nil, fmt.Errorf("not URL-encoded: %v", err)
	}
	b := bytes.TrimSpace([]byte(dec))
	if !json.Valid(b) {
		return nil, fmt.Errorf("not valid JSON: %q", trim(dec, 60))
	}
	return json.RawMessage(b), nil
}

func trim(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// doc decodes a document or records a warning naming the entity.
func (r *accountRun) doc(where, s string) json.RawMessage {
	d, err := decodeDoc(s)
	if err != nil {
		r.warn("%s: policy document skipped: %v", where, err)
		return nil
	}
	return d
}

func (r *accountRun) inline(owner string, ps []iamtypes.PolicyDetail) []snapshot.InlinePolicy {
	var out []snapshot.InlinePolicy
	for _, p := range ps {
		name := aws.ToString(p.PolicyName)
		d := r.doc(owner+" inline policy "+name, aws.ToString(p.PolicyDocument))
		if d == nil {
			continue
		}
		out = append(out, snapshot.InlinePolicy{PolicyName: name, Document: d})
	}
	return out
}

func attached(ps []iamtypes.AttachedPolicy) []snapshot.AttachedPolicy {
	var out []snapshot.AttachedPolicy
	for _, p := range ps {
		out = append(out, snapshot.AttachedPolicy{PolicyName: aws.ToString(p.PolicyName), PolicyARN: aws.ToString(p.PolicyArn)})
	}
	return out
}

func tags(ts []iamtypes.Tag) map[string]string {
	if len(ts) == 0 {
		return nil
	}
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func boundary(b *iamtypes.AttachedPermissionsBoundary) string {
	if b == nil {
		return ""
	}
	return aws.ToString(b.PermissionsBoundaryArn)
}

// authorizationDetails reads users, groups, roles and managed policies in
// one paginated call (instead of several calls per entity).
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
func (r *accountRun) authorizationDetails() error {
	a := r.acct
	p := iam.NewGetAccountAuthorizationDetailsPaginator(r.c.IAM, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(1000)})
	for p.HasMorePages() {
		out, err := p.NextPage(r.ctx)
		if err != nil {
			return err
		}
		for _, u := range out.UserDetailList {
			name := aws.ToString(u.UserName)
			a.Users = append(a.Users, snapshot.User{
				ARN: aws.ToString(u.Arn), UserName: name, UserID: aws.ToString(u.UserId), Path: aws.ToString(u.Path),
				CreateDate: aws.ToTime(u.CreateDate), Tags: tags(u.Tags), Groups: u.GroupList,
				AttachedPolicies: attached(u.AttachedManagedPolicies), InlinePolicies: r.inline("user "+name, u.UserPolicyList),
				PermissionsBoundary: boundary(u.PermissionsBoundary),
			})
		}
		for _, g := range out.GroupDetailList {
			name := aws.ToString(g.GroupName)
			a.Groups = append(a.Groups, snapshot.Group{
				ARN: aws.ToString(g.Arn), GroupName: name, GroupID: aws.ToString(g.GroupId), Path: aws.ToString(g.Path),
				CreateDate: aws.ToTime(g.CreateDate), AttachedPolicies: attached(g.AttachedManagedPolicies),
				InlinePolicies: r.inline("group "+name, g.GroupPolicyList),
			})
		}
		for _, ro := range out.RoleDetailList {
			name := aws.ToString(ro.RoleName)
			role := snapshot.Role{
				ARN: aws.ToString(ro.Arn), RoleName: name, RoleID: aws.ToString(ro.RoleId), Path: aws.ToString(ro.Path),
				CreateDate: aws.ToTime(ro.CreateDate), Tags: tags(ro.Tags),
				TrustPolicy:      r.doc("role "+name+" trust policy", aws.ToString(ro.AssumeRolePolicyDocument)),
				AttachedPolicies: attached(ro.AttachedManagedPolicies), InlinePolicies: r.inline("role "+name, ro.RolePolicyList),
				PermissionsBoundary: boundary(ro.PermissionsBoundary),
			}
			if lu := ro.RoleLastUsed; lu != nil && lu.LastUsedDate != nil {
				role.LastUsed = &snapshot.RoleLastUsed{Date: *lu.LastUsedDate, Region: aws.ToString(lu.Region)}
			}
			for _, ip := range ro.InstanceProfileList {
				role.InstanceProfiles = append(role.InstanceProfiles, aws.ToString(ip.Arn))
			}
			a.Roles = append(a.Roles, role)
		}
		for _, mp := range out.Policies {
			pol := snapshot.ManagedPolicy{
				ARN: aws.ToString(mp.Arn), PolicyName: aws.ToString(mp.PolicyName), PolicyID: aws.ToString(mp.PolicyId),
				Path: aws.ToString(mp.Path), DefaultVersionID: aws.ToString(mp.DefaultVersionId),
				AttachmentCount: aws.ToInt32(mp.AttachmentCount), BoundaryUsage: aws.ToInt32(mp.PermissionsBoundaryUsageCount),
				IsAttachable: mp.IsAttachable, CreateDate: aws.ToTime(mp.CreateDate), UpdateDate: aws.ToTime(mp.UpdateDate),
			}
			found := false
			for _, v := range mp.PolicyVersionList {
				if v.IsDefaultVersion {
					found = true
					pol.Document = r.doc("managed policy "+pol.ARN, aws.ToString(v.Document))
				}
			}
			if !found {
				r.warn("managed policy %s: no default version document returned", pol.ARN)
			}
			if pol.Document == nil {
				// json.RawMessage must hold JSON; null says "unknown".
				pol.Document = json.RawMessage("null")
			}
			a.Policies = append(a.Policies, pol)
		}
	}
	return nil
}

// passwordLastUsed fills User.PasswordLastUsed, which
// GetAccountAuthorizationDetails lacks, from ListUsers (one call per page of
// users, not per user).
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_User.html
func (r *accountRun) passwordLastUsed() error {
	if len(r.acct.Users) == 0 {
		return nil
	}
	idx := make(map[string]int, len(r.acct.Users))
	for i, u := range r.acct.Users {
		idx[u.UserName] = i
	}
	p := iam.NewListUsersPaginator(r.c.IAM, &iam.ListUsersInput{MaxItems: aws.Int32(1000)})
	for p.HasMorePages() {
		out, err := p.NextPage(r.ctx)
		if err != nil {
			return err
		}
		for _, u := range out.Users {
			if i, ok := idx[aws.ToString(u.UserName)]; ok && u.PasswordLastUsed != nil {
				t := *u.PasswordLastUsed
				r.acct.Users[i].PasswordLastUsed = &t
			}
		}
	}
	return nil
}

// each runs f(i) for i in [0,n) with PrincipalParallel workers and returns
// the first error (after all started calls ended).
func (r *accountRun) each(n int, f func(i int) error) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	failed := func() bool { mu.Lock(); defer mu.Unlock(); return first != nil }
	next := make(chan int)
	for w := 0; w < min(r.opts.PrincipalParallel, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		if failed() || r.ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = r.ctx.Err()
	}
	return first
}

// perUser reads, for every user, the calls that have no batch form: access
// keys (+ last used per key), MFA devices and the login profile.
func (r *accountRun) perUser() error {
	users := r.acct.Users
	return r.each(len(users), func(i int) error {
		u := &users[i]
		kp := iam.NewListAccessKeysPaginator(r.c.IAM, &iam.ListAccessKeysInput{UserName: aws.String(u.UserName)})
		for kp.HasMorePages() {
			out, err := kp.NextPage(r.ctx)
			if err != nil {
				return fmt.Errorf("iam ListAccessKeys %s: %s", u.UserName, awsclient.ErrorSummary(err))
			}
			for _, k := range out.AccessKeyMetadata {
				u.AccessKeys = append(u.AccessKeys, snapshot.AccessKey{
					AccessKeyID: aws.ToString(k.AccessKeyId), Status: string(k.Status), CreateDate: aws.ToTime(k.CreateDate)})
			}
		}
		for j := range u.AccessKeys {
			k := &u.AccessKeys[j]
			out, err := r.c.IAM.GetAccessKeyLastUsed(r.ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(k.AccessKeyID)})
			if err != nil {
				return fmt.Errorf("iam GetAccessKeyLastUsed %s: %s", k.AccessKeyID, awsclient.ErrorSummary(err))
			}
			// A never-used key has no date (service and region "N/A").
			if lu := out.AccessKeyLastUsed; lu != nil && lu.LastUsedDate != nil {
				k.LastUsed = &snapshot.KeyLastUsed{Date: *lu.LastUsedDate, ServiceName: aws.ToString(lu.ServiceName), Region: aws.ToString(lu.Region)}
			}
		}
		mp := iam.NewListMFADevicesPaginator(r.c.IAM, &iam.ListMFADevicesInput{UserName: aws.String(u.UserName)})
		for mp.HasMorePages() {
			out, err := mp.NextPage(r.ctx)
			if err != nil {
				return fmt.Errorf("iam ListMFADevices %s: %s", u.UserName, awsclient.ErrorSummary(err))
			}
			for _, d := range out.MFADevices {
				u.MFADevices = append(u.MFADevices, snapshot.MFADevice{SerialNumber: aws.ToString(d.SerialNumber), EnableDate: aws.ToTime(d.EnableDate)})
			}
		}
		lp, err := r.c.IAM.GetLoginProfile(r.ctx, &iam.GetLoginProfileInput{UserName: aws.String(u.UserName)})
		var nse *iamtypes.NoSuchEntityException
		switch {
		case errors.As(err, &nse):
			// No console password.
		case err != nil:
			return fmt.Errorf("iam GetLoginProfile %s: %s", u.UserName, awsclient.ErrorSummary(err))
		case lp.LoginProfile != nil:
			u.LoginProfile = &snapshot.LoginProfile{CreateDate: aws.ToTime(lp.LoginProfile.CreateDate), PasswordResetRequired: lp.LoginProfile.PasswordResetRequired}
		}
		return nil
	})
}

// accountSettings reads the password policy, account summary and alias.
func (r *accountRun) accountSettings() {
	pp, err := r.c.IAM.GetAccountPasswordPolicy(r.ctx, &iam.GetAccountPasswordPolicyInput{})
	var nse *iamtypes.NoSuchEntityException
	switch {
	case errors.As(err, &nse):
		// No password policy set: AWS defaults apply.
	case err != nil:
		r.warn("password policy not collected (iam GetAccountPasswordPolicy: %s)", awsclient.ErrorSummary(err))
	default:
		p := pp.PasswordPolicy
		r.acct.PasswordPolicy = &snapshot.PasswordPolicy{
			MinimumPasswordLength: aws.ToInt32(p.MinimumPasswordLength), RequireSymbols: p.RequireSymbols,
			RequireNumbers: p.RequireNumbers, RequireUppercaseCharacters: p.RequireUppercaseCharacters,
			RequireLowercaseCharacters: p.RequireLowercaseCharacters, AllowUsersToChangePassword: p.AllowUsersToChangePassword,
			ExpirePasswords: p.ExpirePasswords, MaxPasswordAge: aws.ToInt32(p.MaxPasswordAge),
			PasswordReusePrevention: aws.ToInt32(p.PasswordReusePrevention), HardExpiry: aws.ToBool(p.HardExpiry),
		}
	}
	sum, err := r.c.IAM.GetAccountSummary(r.ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		r.warn("account summary not collected (iam GetAccountSummary: %s)", awsclient.ErrorSummary(err))
	} else {
		r.acct.Summary = sum.SummaryMap
	}
	al, err := r.c.IAM.ListAccountAliases(r.ctx, &iam.ListAccountAliasesInput{})
	if err != nil {
		r.warn("account alias not collected (iam ListAccountAliases: %s)", awsclient.ErrorSummary(err))
	} else if len(al.AccountAliases) > 0 {
		// An account has at most one alias.
		r.acct.Alias = al.AccountAliases[0]
	}
}

// accountCredentials lists the virtual MFA devices (a virtual device
// assigned to root means root's MFA is not hardware or a passkey: CIS AWS
// Foundations 1.6) and the IAM server certificates (CIS 1.19). A failure
// leaves them not collected, said as a warning.
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListVirtualMFADevices.html
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListServerCertificates.html
func (r *accountRun) accountCredentials() {
	var ds []snapshot.VirtualMFADevice
	mp := iam.NewListVirtualMFADevicesPaginator(r.c.IAM, &iam.ListVirtualMFADevicesInput{})
	var err error
	for mp.HasMorePages() {
		var page *iam.ListVirtualMFADevicesOutput
		if page, err = mp.NextPage(r.ctx); err != nil {
			break
		}
		for _, d := range page.VirtualMFADevices {
			v := snapshot.VirtualMFADevice{SerialNumber: aws.ToString(d.SerialNumber), EnableDate: aws.ToTime(d.EnableDate).UTC()}
			if d.User != nil {
				v.User = aws.ToString(d.User.Arn)
			}
			ds = append(ds, v)
		}
	}
	if err != nil {
		r.warn("virtual MFA devices not collected (iam ListVirtualMFADevices: %s)", awsclient.ErrorSummary(err))
	} else {
		r.acct.VirtualMFADevices, r.acct.VirtualMFACollected = ds, true
	}
	var cs []snapshot.ServerCertificate
	cp := iam.NewListServerCertificatesPaginator(r.c.IAM, &iam.ListServerCertificatesInput{})
	err = nil
	for cp.HasMorePages() {
		var page *iam.ListServerCertificatesOutput
		if page, err = cp.NextPage(r.ctx); err != nil {
			break
		}
		for _, m := range page.ServerCertificateMetadataList {
			cs = append(cs, snapshot.ServerCertificate{Name: aws.ToString(m.ServerCertificateName), ID: aws.ToString(m.ServerCertificateId),
				ARN: aws.ToString(m.Arn), Path: aws.ToString(m.Path), UploadDate: aws.ToTime(m.UploadDate).UTC(), Expiration: aws.ToTime(m.Expiration).UTC()})
		}
	}
	if err != nil {
		r.warn("server certificates not collected (iam ListServerCertificates: %s)", awsclient.ErrorSummary(err))
	} else {
		r.acct.ServerCertificates, r.acct.ServerCertificatesCollected = cs, true
	}
}

// credentialReport generates the report (polling with backoff until
// COMPLETE; AWS regenerates it at most every 4 hours) and fetches it.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
func (r *accountRun) credentialReport() {
	err := poll(r.ctx, r.opts, "credential report", func() (bool, error) {
		out, err := r.c.IAM.GenerateCredentialReport(r.ctx, &iam.GenerateCredentialReportInput{})
		if err != nil {
			return false, fmt.Errorf("iam GenerateCredentialReport: %s", awsclient.ErrorSummary(err))
		}
		return out.State == iamtypes.ReportStateTypeComplete, nil
	})
	if err != nil {
		if r.ctx.Err() == nil {
			r.warn("credential report not collected: %v", err)
		}
		return
	}
	out, err := r.c.IAM.GetCredentialReport(r.ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		r.warn("credential report not collected (iam GetCredentialReport: %s)", awsclient.ErrorSummary(err))
		return
	}
	rep, err := r.opts.ParseCredentialReport(out.Content)
	if err != nil {
		r.warn("credential report not stored: %v", err)
		return
	}
	if rep.GeneratedTime.IsZero() && out.GeneratedTime != nil {
		rep.GeneratedTime = *out.GeneratedTime
	}
	r.acct.CredentialReport = rep
}

// accessAdvisor runs an ACTION_LEVEL service-last-accessed job for every
// user and role, PrincipalParallel at a time.
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GenerateServiceLastAccessedDetails.html
func (r *accountRun) accessAdvisor() {
	type target struct {
		arn string
		out *[]snapshot.ServiceAccess
	}
	var ts []target
	for i := range r.acct.Users {
		ts = append(ts, target{r.acct.Users[i].ARN, &r.acct.Users[i].AccessAdvisor})
	}
	for i := range r.acct.Roles {
		ts = append(ts, target{r.acct.Roles[i].ARN, &r.acct.Roles[i].AccessAdvisor})
	}
	var failed int
	var firstErr error
	var mu sync.Mutex
	r.each(len(ts), func(i int) error {
		sa, err := r.serviceLastAccessed(ts[i].arn)
		if err != nil {
			mu.Lock()
			failed++
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", ts[i].arn, err)
			}
			mu.Unlock()
			return nil
		}
		*ts[i].out = sa
		return nil
	})
	if r.ctx.Err() != nil {
		return
	}
	if failed > 0 {
		r.warn("Access Advisor not collected for %d of %d principals (first: %v)", failed, len(ts), firstErr)
		return
	}
	r.acct.AccessAdvisorCollected = true
}

func (r *accountRun) serviceLastAccessed(arn string) ([]snapshot.ServiceAccess, error) {
	job, err := r.c.IAM.GenerateServiceLastAccessedDetails(r.ctx, &iam.GenerateServiceLastAccessedDetailsInput{
		Arn: aws.String(arn), Granularity: iamtypes.AccessAdvisorUsageGranularityTypeActionLevel})
	if err != nil {
		return nil, fmt.Errorf("iam GenerateServiceLastAccessedDetails: %s", awsclient.ErrorSummary(err))
	}
	var out []snapshot.ServiceAccess
	in := &iam.GetServiceLastAccessedDetailsInput{JobId: job.JobId, MaxItems: aws.Int32(1000)}
	err = poll(r.ctx, r.opts, "Access Advisor job", func() (bool, error) {
		for {
			page, err := r.c.IAM.GetServiceLastAccessedDetails(r.ctx, in)
			if err != nil {
				return false, fmt.Errorf("iam GetServiceLastAccessedDetails: %s", awsclient.ErrorSummary(err))
			}
			switch page.JobStatus {
			case iamtypes.JobStatusTypeInProgress:
				return false, nil
			case iamtypes.JobStatusTypeFailed:
				msg := ""
				if page.Error != nil {
					msg = aws.ToString(page.Error.Message)
				}
				return false, fmt.Errorf("job failed: %s", msg)
			}
			for _, s := range page.ServicesLastAccessed {
				sa := snapshot.ServiceAccess{ServiceNamespace: aws.ToString(s.ServiceNamespace), ServiceName: aws.ToString(s.ServiceName),
					LastAuthenticated: s.LastAuthenticated, LastEntity: aws.ToString(s.LastAuthenticatedEntity), LastRegion: aws.ToString(s.LastAuthenticatedRegion)}
				for _, t := range s.TrackedActionsLastAccessed {
					sa.Actions = append(sa.Actions, snapshot.ActionAccess{ActionName: aws.ToString(t.ActionName), LastAccessed: t.LastAccessedTime,
						LastRegion: aws.ToString(t.LastAccessedRegion), LastEntity: aws.ToString(t.LastAccessedEntity)})
				}
				out = append(out, sa)
			}
			if !page.IsTruncated {
				return true, nil
			}
			in.Marker = page.Marker
		}
	})
	return out, err
}

// trails reads the trails visible in the client's region (shadow copies of
// organization and multi-region trails included) with their selectors and
// logging status.
func (r *accountRun) trails() {
	out, err := r.c.CloudTrail.DescribeTrails(r.ctx, &cloudtrail.DescribeTrailsInput{})
	if err != nil {
		r.warn("trails not collected (cloudtrail DescribeTrails: %s)", awsclient.ErrorSummary(err))
		return
	}
	for _, t := range out.TrailList {
		tr := snapshot.Trail{Name: aws.ToString(t.Name), ARN: aws.ToString(t.TrailARN), HomeRegion: aws.ToString(t.HomeRegion),
			S3BucketName: aws.ToString(t.S3BucketName), S3KeyPrefix: aws.ToString(t.S3KeyPrefix),
			IsMultiRegion: aws.ToBool(t.IsMultiRegionTrail), IsOrganizationTrail: aws.ToBool(t.IsOrganizationTrail),
			IncludeGlobalServiceEvents: aws.ToBool(t.IncludeGlobalServiceEvents)}
		ref := tr.ARN
		if ref == "" {
			ref = tr.Name
		}
		es, err := r.c.CloudTrail.GetEventSelectors(r.ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(ref)})
		if err != nil {
			r.warn("trail %s: event selectors not collected (cloudtrail GetEventSelectors: %s)", ref, awsclient.ErrorSummary(err))
		} else {
			if len(es.EventSelectors) > 0 {
				tr.EventSelectors, _ = json.Marshal(es.EventSelectors)
			}
			if len(es.AdvancedEventSelectors) > 0 {
				tr.AdvancedEventSelectors, _ = json.Marshal(es.AdvancedEventSelectors)
			}
		}
		st, err := r.c.CloudTrail.GetTrailStatus(r.ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(ref)})
		if err != nil {
			r.warn("trail %s: status not collected (cloudtrail GetTrailStatus: %s)", ref, awsclient.ErrorSummary(err))
		} else {
			tr.IsLogging = aws.ToBool(st.IsLogging)
			if st.StartLoggingTime != nil {
				t := st.StartLoggingTime.UTC()
				tr.StartLoggingTime = &t
			}
		}
		r.acct.Trails = append(r.acct.Trails, tr)
	}
}
