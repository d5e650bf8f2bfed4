package collect

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// collectOrganization reads the Organization from the management (or a
// delegated administrator) account: roots, the OU tree, accounts with their
// parents and tags, every policy of an enabled type with its content and
// targets, delegated administrators and trusted services. The tree and the
// policies are required; delegated administrators and trusted access are
// warnings when denied (a delegated admin may not list them).
func collectOrganization(ctx context.Context, c *awsclient.Clients) (*snapshot.Organization, []string, error) {
	api := c.Organizations
	d, err := api.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		return nil, nil, fmt.Errorf("organizations DescribeOrganization: %s", awsclient.ErrorSummary(err))
	}
	o := d.Organization
	org := &snapshot.Organization{ID: aws.ToString(o.Id), ARN: aws.ToString(o.Arn), ManagementAccount: aws.ToString(o.MasterAccountId),
		ManagementEmail: aws.ToString(o.MasterAccountEmail), FeatureSet: string(o.FeatureSet)}
	wrap := func(op string, err error) error {
		return fmt.Errorf("organizations %s: %s", op, awsclient.ErrorSummary(err))
	}

	rp := organizations.NewListRootsPaginator(api, &organizations.ListRootsInput{})
	for rp.HasMorePages() {
		out, err := rp.NextPage(ctx)
		if err != nil {
			return nil, nil, wrap("ListRoots", err)
		}
		for _, r := range out.Roots {
			root := snapshot.Root{ID: aws.ToString(r.Id), ARN: aws.ToString(r.Arn), Name: aws.ToString(r.Name)}
			for _, pt := range r.PolicyTypes {
				if pt.Status == orgtypes.PolicyTypeStatusEnabled {
					root.PolicyTypes = append(root.PolicyTypes, string(pt.Type))
				}
			}
			org.Roots = append(org.Roots, root)
		}
	}

	// Walk the tree breadth-first: OUs and accounts of each container.
	var queue []string
	for _, r := range org.Roots {
		queue = append(queue, r.ID)
	}
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		op := organizations.NewListOrganizationalUnitsForParentPaginator(api, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)})
		for op.HasMorePages() {
			out, err := op.NextPage(ctx)
			if err != nil {
				return nil, nil, wrap("ListOrganizationalUnitsForParent "+parent, err)
			}
			for _, u := range out.OrganizationalUnits {
				org.OUs = append(org.OUs, snapshot.OU{ID: aws.ToString(u.Id), ARN: aws.ToString(u.Arn), Name: aws.ToString(u.Name), ParentID: parent})
				queue = append(queue, aws.ToString(u.Id))
			}
		}
		ap := organizations.NewListAccountsForParentPaginator(api, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
		for ap.HasMorePages() {
			out, err := ap.NextPage(ctx)
			if err != nil {
				return nil, nil, wrap("ListAccountsForParent "+parent, err)
			}
			for _, a := range out.Accounts {
				org.Accounts = append(org.Accounts, orgAccount(a, parent))
			}
		}
	}
	sort.Slice(org.Accounts, func(i, j int) bool { return org.Accounts[i].ID < org.Accounts[j].ID })

	for i := range org.Accounts {
		a := &org.Accounts[i]
		tp := organizations.NewListTagsForResourcePaginator(api, &organizations.ListTagsForResourceInput{ResourceId: aws.String(a.ID)})
		for tp.HasMorePages() {
			out, err := tp.NextPage(ctx)
			if err != nil {
				return nil, nil, wrap("ListTagsForResource "+a.ID, err)
			}
			for _, t := range out.Tags {
				if a.Tags == nil {
					a.Tags = map[string]string{}
				}
				a.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
		}
	}

	types := map[string]bool{}
	for _, r := range org.Roots {
		for _, t := range r.PolicyTypes {
			types[t] = true
		}
	}
	var typeList []string
	for t := range types {
		typeList = append(typeList, t)
	}
	sort.Strings(typeList)
	for _, t := range typeList {
		pp := organizations.NewListPoliciesPaginator(api, &organizations.ListPoliciesInput{Filter: orgtypes.PolicyType(t)})
		for pp.HasMorePages() {
			out, err := pp.NextPage(ctx)
			if err != nil {
				return nil, nil, wrap("ListPolicies "+t, err)
			}
			for _, s := range out.Policies {
				pol, err := orgPolicy(ctx, api, s)
				if err != nil {
					return nil, nil, err
				}
				org.Policies = append(org.Policies, pol)
			}
		}
	}

	var warns []string
	dp := organizations.NewListDelegatedAdministratorsPaginator(api, &organizations.ListDelegatedAdministratorsInput{})
	var das []snapshot.DelegatedAdmin
	var derr error
	for dp.HasMorePages() && derr == nil {
		out, err := dp.NextPage(ctx)
		if err != nil {
			derr = wrap("ListDelegatedAdministrators", err)
			break
		}
		for _, a := range out.DelegatedAdministrators {
			da := snapshot.DelegatedAdmin{AccountID: aws.ToString(a.Id)}
			sp := organizations.NewListDelegatedServicesForAccountPaginator(api, &organizations.ListDelegatedServicesForAccountInput{AccountId: a.Id})
			for sp.HasMorePages() {
				so, err := sp.NextPage(ctx)
				if err != nil {
					derr = wrap("ListDelegatedServicesForAccount "+da.AccountID, err)
					break
				}
				for _, s := range so.DelegatedServices {
					da.ServicePrincipals = append(da.ServicePrincipals, aws.ToString(s.ServicePrincipal))
				}
			}
			das = append(das, da)
		}
	}
	if derr != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		warns = append(warns, "delegated administrators not collected: "+derr.Error())
	} else {
		org.DelegatedAdmins = das
	}
	tp := organizations.NewListAWSServiceAccessForOrganizationPaginator(api, &organizations.ListAWSServiceAccessForOrganizationInput{})
	var trusted []string
	for tp.HasMorePages() {
		out, err := tp.NextPage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			warns = append(warns, "trusted services not collected: "+wrap("ListAWSServiceAccessForOrganization", err).Error())
			trusted = nil
			break
		}
		for _, s := range out.EnabledServicePrincipals {
			trusted = append(trusted, aws.ToString(s.ServicePrincipal))
		}
	}
	org.TrustedServices = trusted
	return org, warns, nil
}

func orgAccount(a orgtypes.Account, parent string) snapshot.OrgAccount {
	// State (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED, ...) supersedes the
	// deprecated Status; older endpoints send only Status.
	// https://docs.aws.amazon.com/organizations/latest/APIReference/API_Account.html
	status := string(a.State)
	if status == "" {
		status = string(a.Status)
	}
	return snapshot.OrgAccount{ID: aws.ToString(a.Id), ARN: aws.ToString(a.Arn), Name: aws.ToString(a.Name), Email: aws.ToString(a.Email),
		Status: status, ParentID: parent, JoinedMethod: string(a.JoinedMethod), JoinedAt: aws.ToTime(a.JoinedTimestamp)}
}

func orgPolicy(ctx context.Context, api *organizations.Client, s orgtypes.PolicySummary) (snapshot.OrgPolicy, error) {
	id := aws.ToString(s.Id)
	pol := snapshot.OrgPolicy{ID: id, ARN: aws.ToString(s.Arn), Name: aws.ToString(s.Name), Description: aws.ToString(s.Description),
		Type: string(s.Type), AWSManaged: s.AwsManaged, Targets: []string{}}
	d, err := api.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: s.Id})
	if err != nil {
		return pol, fmt.Errorf("organizations DescribePolicy %s: %s", id, awsclient.ErrorSummary(err))
	}
	if d.Policy != nil {
		pol.Content = aws.ToString(d.Policy.Content)
	}
	tp := organizations.NewListTargetsForPolicyPaginator(api, &organizations.ListTargetsForPolicyInput{PolicyId: s.Id})
	for tp.HasMorePages() {
		out, err := tp.NextPage(ctx)
		if err != nil {
			return pol, fmt.Errorf("organizations ListTargetsForPolicy %s: %s", id, awsclient.ErrorSummary(err))
		}
		for _, t := range out.Targets {
			pol.Targets = append(pol.Targets, aws.ToString(t.TargetId))
		}
	}
	return pol, nil
}

// orgReportParallel bounds the Organizations access report jobs in flight:
// IAM limits concurrent report generation per account.
const orgReportParallel = 4

// collectOrgAccessReports generates IAM's Organizations access report for
// every root and OU of org (from the management account), polls each with
// backoff until COMPLETED and pages its AccessDetails. A report that fails
// is a warning: scp suggest then falls back to CloudTrail for that target.
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GenerateOrganizationsAccessReport.html
func collectOrgAccessReports(ctx context.Context, api *iam.Client, callerAccount string, org *snapshot.Organization, opts *Options) ([]snapshot.OrgAccessReport, []string) {
	// Only the management account can generate these reports (a delegated
	// administrator cannot): say so once instead of failing per target.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed-view-data-orgs.html
	if mgmt := org.ManagementAccount; mgmt != "" && callerAccount != "" && callerAccount != mgmt {
		return nil, []string{fmt.Sprintf("organizations access reports not collected: only the management account (%s) can generate them, not %s", mgmt, callerAccount)}
	}
	type target struct{ id, path string }
	paths := map[string]string{}
	for _, r := range org.Roots {
		paths[r.ID] = org.ID + "/" + r.ID
	}
	parent := map[string]string{}
	for _, u := range org.OUs {
		parent[u.ID] = u.ParentID
	}
	var pathOf func(id string, depth int) string
	pathOf = func(id string, depth int) string {
		if p, ok := paths[id]; ok {
			return p
		}
		par, ok := parent[id]
		if !ok || depth > 10 { // Organizations nests OUs at most 5 deep
			return ""
		}
		if pp := pathOf(par, depth+1); pp != "" {
			paths[id] = pp + "/" + id
		}
		return paths[id]
	}
	var targets []target
	for _, r := range org.Roots {
		targets = append(targets, target{r.ID, paths[r.ID]})
	}
	for _, u := range org.OUs {
		if p := pathOf(u.ID, 0); p != "" {
			targets = append(targets, target{u.ID, p})
		}
	}
	reports := make([]*snapshot.OrgAccessReport, len(targets))
	errs := make([]error, len(targets))
	sem := make(chan struct{}, orgReportParallel)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			reports[i], errs[i] = orgAccessReport(ctx, api, t.id, t.path, opts)
		}()
	}
	wg.Wait()
	var out []snapshot.OrgAccessReport
	var warns []string
	for i, r := range reports {
		if errs[i] != nil {
			warns = append(warns, fmt.Sprintf("organizations access report for %s not collected: %v", targets[i].id, errs[i]))
			continue
		}
		out = append(out, *r)
	}
	if len(out) == 0 && len(warns) > 1 {
		// Every target failed (typically AccessDenied): one line, not one per OU.
		return nil, []string{fmt.Sprintf("organizations access reports not collected for any of the %d root(s) and OU(s): %v", len(targets), errs[0])}
	}
	return out, warns
}

func orgAccessReport(ctx context.Context, api *iam.Client, id, path string, opts *Options) (*snapshot.OrgAccessReport, error) {
	job, err := api.GenerateOrganizationsAccessReport(ctx, &iam.GenerateOrganizationsAccessReportInput{EntityPath: aws.String(path)})
	if err != nil {
		return nil, fmt.Errorf("iam GenerateOrganizationsAccessReport %s: %s", path, awsclient.ErrorSummary(err))
	}
	rep := &snapshot.OrgAccessReport{TargetID: id, EntityPath: path, Services: []snapshot.OrgServiceAccess{}}
	in := &iam.GetOrganizationsAccessReportInput{JobId: job.JobId}
	var first *iam.GetOrganizationsAccessReportOutput
	err = poll(ctx, opts, "organizations access report "+path, func() (bool, error) {
		out, err := api.GetOrganizationsAccessReport(ctx, in)
		if err != nil {
			return false, fmt.Errorf("iam GetOrganizationsAccessReport %s: %s", path, awsclient.ErrorSummary(err))
		}
		switch out.JobStatus {
		case iamtypes.JobStatusTypeCompleted:
			first = out
			return true, nil
		case iamtypes.JobStatusTypeFailed:
			msg := "job failed"
			if out.ErrorDetails != nil {
				msg += ": " + aws.ToString(out.ErrorDetails.Code) + " " + aws.ToString(out.ErrorDetails.Message)
			}
			return false, fmt.Errorf("iam GetOrganizationsAccessReport %s: %s", path, msg)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	rep.GeneratedAt = aws.ToTime(first.JobCompletionDate).UTC()
	if rep.GeneratedAt.IsZero() {
		rep.GeneratedAt = opts.Now().UTC()
	}
	out := first
	for {
		for _, d := range out.AccessDetails {
			s := snapshot.OrgServiceAccess{Namespace: aws.ToString(d.ServiceNamespace), Name: aws.ToString(d.ServiceName),
				LastEntityPath: aws.ToString(d.EntityPath), Region: aws.ToString(d.Region), Entities: int(aws.ToInt32(d.TotalAuthenticatedEntities))}
			if d.LastAuthenticatedTime != nil {
				t := d.LastAuthenticatedTime.UTC()
				s.LastAuthenticated = &t
			}
			rep.Services = append(rep.Services, s)
		}
		if !out.IsTruncated || aws.ToString(out.Marker) == "" {
			break
		}
		in.Marker = out.Marker
		out, err = api.GetOrganizationsAccessReport(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("iam GetOrganizationsAccessReport %s: %s", path, awsclient.ErrorSummary(err))
		}
	}
	sort.Slice(rep.Services, func(i, j int) bool { return rep.Services[i].Namespace < rep.Services[j].Namespace })
	return rep, nil
}
