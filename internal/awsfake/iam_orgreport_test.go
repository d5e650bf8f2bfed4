package awsfake_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/awsfake"
)

// TestOrganizationsAccessReport drives Generate/GetOrganizationsAccessReport
// through the real SDK: polling, paging of AccessDetails, the aggregation
// over the accounts below the path, and the errors.
func TestOrganizationsAccessReport(t *testing.T) {
	sc := awsfake.SampleScenario(now, 3, 2)
	s := awsfake.New(sc, awsfake.Options{PageSize: 2})
	t.Cleanup(s.Close)
	cfg := config(s, s.Credentials())
	c := iam.NewFromConfig(cfg)
	ctx := context.Background()
	o := sc.Organization
	rootPath := o.ID + "/" + o.Roots[0].ID

	// Every service with access advisor data anywhere in the organization.
	all := map[string]bool{}
	used := map[string]bool{}
	for _, a := range sc.Accounts {
		for _, u := range a.Users {
			for _, sa := range u.AccessAdvisor {
				all[sa.ServiceNamespace] = true
				used[sa.ServiceNamespace] = used[sa.ServiceNamespace] || sa.LastAuthenticated != nil
			}
		}
		for _, r := range a.Roles {
			for _, sa := range r.AccessAdvisor {
				all[sa.ServiceNamespace] = true
				used[sa.ServiceNamespace] = used[sa.ServiceNamespace] || sa.LastAuthenticated != nil
			}
		}
	}

	s.AccessAdvisorInProgress(1)
	job, err := c.GenerateOrganizationsAccessReport(ctx, &iam.GenerateOrganizationsAccessReportInput{EntityPath: aws.String(rootPath)})
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.GetOrganizationsAccessReport(ctx, &iam.GetOrganizationsAccessReportInput{JobId: job.JobId})
	if err != nil || first.JobStatus != iamtypes.JobStatusTypeInProgress {
		t.Fatalf("first poll %+v %v", first, err)
	}
	in := &iam.GetOrganizationsAccessReportInput{JobId: job.JobId}
	got := map[string]bool{}
	gotUsed := map[string]bool{}
	pages := 0
	for {
		out, err := c.GetOrganizationsAccessReport(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if out.JobStatus != iamtypes.JobStatusTypeCompleted || out.JobCompletionDate == nil {
			t.Fatalf("status %s", out.JobStatus)
		}
		for _, d := range out.AccessDetails {
			ns := aws.ToString(d.ServiceNamespace)
			got[ns] = true
			if d.LastAuthenticatedTime != nil {
				gotUsed[ns] = true
				if aws.ToInt32(d.TotalAuthenticatedEntities) < 1 || len(aws.ToString(d.EntityPath)) <= len(rootPath) {
					t.Errorf("%s: entities %d, path %q", ns, aws.ToInt32(d.TotalAuthenticatedEntities), aws.ToString(d.EntityPath))
				}
			} else if aws.ToInt32(d.TotalAuthenticatedEntities) != 0 || d.EntityPath != nil {
				t.Errorf("%s unused but entities %d, path %q", ns, aws.ToInt32(d.TotalAuthenticatedEntities), aws.ToString(d.EntityPath))
			}
		}
		if !out.IsTruncated {
			break
		}
		in.Marker = out.Marker
	}
	for ns, u := range used {
		if !u {
			delete(used, ns)
		}
	}
	if diff := cmp.Diff(all, got); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(used, gotUsed); diff != "" {
		t.Errorf("used services (-want +got):\n%s", diff)
	}
	if len(all) > 2 && pages < 2 {
		t.Errorf("%d services in %d page(s): paging not exercised", len(all), pages)
	}

	// Errors: an unknown path, an unknown job, a member account caller.
	if _, err := c.GenerateOrganizationsAccessReport(ctx, &iam.GenerateOrganizationsAccessReportInput{EntityPath: aws.String(o.ID + "/r-nope")}); code(err) != "InvalidInput" {
		t.Errorf("bad path: %v", err)
	}
	if _, err := c.GetOrganizationsAccessReport(ctx, &iam.GetOrganizationsAccessReportInput{JobId: aws.String("nope")}); code(err) != "NoSuchEntity" {
		t.Errorf("bad job: %v", err)
	}
	ar, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111110001:role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("x")})
	if err != nil {
		t.Fatal(err)
	}
	mcfg := cfg.Copy()
	mcfg.Credentials = credentials.NewStaticCredentialsProvider(*ar.Credentials.AccessKeyId, *ar.Credentials.SecretAccessKey, *ar.Credentials.SessionToken)
	if _, err := iam.NewFromConfig(mcfg).GenerateOrganizationsAccessReport(ctx, &iam.GenerateOrganizationsAccessReportInput{EntityPath: aws.String(rootPath)}); code(err) != "AccessDenied" {
		t.Errorf("member account: %v", err)
	}
}
