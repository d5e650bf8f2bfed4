package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	smithy "github.com/aws/smithy-go"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// The resource-based policies that can let principals outside the account
// in (IAM Access Analyzer's supported resource types, the ones seiri
// collects): S3 buckets (policy, ACL, Block Public Access), KMS keys, SQS
// queues, SNS topics, Lambda functions, Secrets Manager secrets, ECR
// repositories, plus the account-level S3 Block Public Access, the SAML and
// OIDC providers and the account's organization (the zone of trust).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html
//
// Each (service, region) is one scope, read PrincipalParallel at a time: a
// scope that cannot be listed (AccessDenied, a region not enabled) is
// recorded with its error and the others go on; a resource whose policy
// cannot be read is counted as skipped and named in a warning.

// scopeResult is one scope's outcome.
type scopeResult struct {
	scope snapshot.CollectScope
	items []snapshot.ResourcePolicy
	first string // first per-resource error
}

type scopeFunc func(ctx context.Context, region string, res *scopeResult) error

func (r *accountRun) regions() []string {
	if len(r.opts.Regions) > 0 {
		return dedupe(r.opts.Regions)
	}
	return []string{r.c.Config.Region}
}

// resourcePolicies fills Account.ResourcePolicies, IdentityProviders and
// OrgMembership.
func (r *accountRun) resourcePolicies() {
	r.orgMembership()
	r.identityProviders()
	regions := r.regions()
	type job struct {
		service, region string
		f               scopeFunc
	}
	jobs := []job{{snapshot.ServiceS3Control, "", r.s3AccountBlock}, {snapshot.ResourceS3Bucket, "", r.s3Buckets}}
	for _, reg := range regions {
		jobs = append(jobs,
			job{snapshot.ResourceKMSKey, reg, r.kmsKeys},
			job{snapshot.ResourceSQSQueue, reg, r.sqsQueues},
			job{snapshot.ResourceSNSTopic, reg, r.snsTopics},
			job{snapshot.ResourceLambda, reg, r.lambdaFunctions},
			job{snapshot.ResourceSecret, reg, r.secrets},
			job{snapshot.ResourceECRRepo, reg, r.ecrRepositories})
	}
	results := make([]scopeResult, len(jobs))
	rp := &snapshot.ResourcePolicies{Regions: regions}
	var mu sync.Mutex
	r.each(len(jobs), func(i int) error {
		j := jobs[i]
		res := &results[i]
		res.scope = snapshot.CollectScope{Service: j.service, Region: j.region}
		if err := j.f(r.ctx, j.region, res); err != nil {
			res.scope.Error = awsclient.ErrorSummary(err)
			res.items = nil
		}
		if j.service == snapshot.ServiceS3Control && res.scope.Error == "" && len(res.items) == 1 {
			mu.Lock()
			rp.S3AccountBlock = res.items[0].BucketBlock
			mu.Unlock()
			res.items = nil
		}
		return nil
	})
	if r.ctx.Err() != nil {
		return
	}
	for _, res := range results {
		rp.Scopes = append(rp.Scopes, res.scope)
		rp.Items = append(rp.Items, res.items...)
		where := res.scope.Service
		if res.scope.Region != "" {
			where += " in " + res.scope.Region
		}
		if res.scope.Error != "" {
			r.warn("%s resource policies not collected: %s", where, res.scope.Error)
		} else if res.scope.Skipped > 0 {
			r.warn("%s: %d of %d resource policies not read (first: %s)", where, res.scope.Skipped, res.scope.Resources, res.first)
		}
	}
	rp.Sort()
	r.acct.ResourcePolicies = rp
}

// skip records a resource whose policy could not be read.
func (res *scopeResult) skip(what string, err error) {
	res.scope.Skipped++
	if res.first == "" {
		res.first = what + ": " + awsclient.ErrorSummary(err)
	}
}

// policyDoc checks a policy document returned as a JSON string; "" is no
// policy.
func policyDoc(s string) (json.RawMessage, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if !json.Valid([]byte(s)) {
		// Some services return the policy URL-encoded.
		if d, err := url.QueryUnescape(s); err == nil && json.Valid([]byte(d)) {
			return json.RawMessage(d), nil
		}
		return nil, fmt.Errorf("policy is not valid JSON: %q", trim(s, 60))
	}
	return json.RawMessage(s), nil
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// orgMembership reads the account's organization (any member may call
// DescribeOrganization).
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html
func (r *accountRun) orgMembership() {
	out, err := r.c.Organizations.DescribeOrganization(r.ctx, &organizations.DescribeOrganizationInput{})
	var notInUse *orgtypes.AWSOrganizationsNotInUseException
	switch {
	case errors.As(err, &notInUse):
		r.acct.OrgMembership = &snapshot.OrgMembership{}
	case err != nil:
		r.warn("organization membership not collected (organizations DescribeOrganization: %s)", awsclient.ErrorSummary(err))
	case out.Organization != nil:
		r.acct.OrgMembership = &snapshot.OrgMembership{ID: aws.ToString(out.Organization.Id), ManagementAccount: aws.ToString(out.Organization.MasterAccountId)}
	}
}

// identityProviders reads the SAML and OIDC providers.
func (r *accountRun) identityProviders() {
	ip := &snapshot.IdentityProviders{SAML: []snapshot.IdentityProvider{}, OIDC: []snapshot.IdentityProvider{}}
	saml, err := r.c.IAM.ListSAMLProviders(r.ctx, &iam.ListSAMLProvidersInput{})
	if err != nil {
		r.warn("identity providers not collected (iam ListSAMLProviders: %s)", awsclient.ErrorSummary(err))
		return
	}
	for _, p := range saml.SAMLProviderList {
		ip.SAML = append(ip.SAML, snapshot.IdentityProvider{ARN: aws.ToString(p.Arn), CreateDate: aws.ToTime(p.CreateDate)})
	}
	oidc, err := r.c.IAM.ListOpenIDConnectProviders(r.ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil {
		r.warn("identity providers not collected (iam ListOpenIDConnectProviders: %s)", awsclient.ErrorSummary(err))
		return
	}
	for _, p := range oidc.OpenIDConnectProviderList {
		arn := aws.ToString(p.Arn)
		out, err := r.c.IAM.GetOpenIDConnectProvider(r.ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: p.Arn})
		if err != nil {
			r.warn("identity providers not collected (iam GetOpenIDConnectProvider %s: %s)", arn, awsclient.ErrorSummary(err))
			return
		}
		ip.OIDC = append(ip.OIDC, snapshot.IdentityProvider{ARN: arn, URL: aws.ToString(out.Url), ClientIDs: out.ClientIDList, CreateDate: aws.ToTime(out.CreateDate)})
	}
	sort.Slice(ip.SAML, func(i, j int) bool { return ip.SAML[i].ARN < ip.SAML[j].ARN })
	sort.Slice(ip.OIDC, func(i, j int) bool { return ip.OIDC[i].ARN < ip.OIDC[j].ARN })
	r.acct.IdentityProviders = ip
}

// staticEndpoint resolves every S3 Control request to the configured
// endpoint as is: S3 Control prefixes the host with the account id, which a
// local endpoint (--endpoint-url) cannot serve.
type staticEndpoint struct{ u url.URL }

func (s staticEndpoint) ResolveEndpoint(context.Context, s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	return smithyendpoints.Endpoint{URI: s.u}, nil
}

// s3AccountBlock reads the account-level S3 Block Public Access.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_GetPublicAccessBlock.html
func (r *accountRun) s3AccountBlock(ctx context.Context, _ string, res *scopeResult) error {
	c := s3control.NewFromConfig(r.c.Config, func(o *s3control.Options) {
		if ep := r.c.Config.BaseEndpoint; ep != nil {
			if u, err := url.Parse(*ep); err == nil {
				o.EndpointResolverV2 = staticEndpoint{*u}
			}
		}
	})
	out, err := c.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(r.c.AccountID)})
	if errorCode(err) == "NoSuchPublicAccessBlockConfiguration" {
		return nil // none set
	}
	if err != nil {
		return fmt.Errorf("s3 GetAccountPublicAccessBlock: %w", err)
	}
	if p := out.PublicAccessBlockConfiguration; p != nil {
		res.items = []snapshot.ResourcePolicy{{BucketBlock: &snapshot.PublicAccessBlock{
			BlockPublicAcls: aws.ToBool(p.BlockPublicAcls), IgnorePublicAcls: aws.ToBool(p.IgnorePublicAcls),
			BlockPublicPolicy: aws.ToBool(p.BlockPublicPolicy), RestrictPublicBuckets: aws.ToBool(p.RestrictPublicBuckets)}}}
	}
	return nil
}

// s3Buckets lists the account's buckets (in every region) and reads each
// one's policy, ACL and Block Public Access in the bucket's region.
func (r *accountRun) s3Buckets(ctx context.Context, _ string, res *scopeResult) error {
	list := r.c.S3()
	p := s3.NewListBucketsPaginator(list, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1000)})
	var buckets []s3types.Bucket
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("s3 ListBuckets: %w", err)
		}
		buckets = append(buckets, out.Buckets...)
	}
	res.scope.Resources = len(buckets)
	clients := map[string]*s3.Client{}
	partition := "aws"
	for _, ro := range r.acct.Roles { // the account's partition, from its ARNs
		if p := strings.SplitN(ro.ARN, ":", 3); len(p) == 3 {
			partition = p[1]
			break
		}
	}
	for _, b := range buckets {
		name := aws.ToString(b.Name)
		region := aws.ToString(b.BucketRegion)
		if region == "" {
			loc, err := list.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: b.Name})
			if err != nil {
				res.skip("bucket "+name+" GetBucketLocation", err)
				continue
			}
			region = string(loc.LocationConstraint)
			if region == "" {
				region = "us-east-1" // a null LocationConstraint is us-east-1
			}
		}
		c := clients[region]
		if c == nil {
			c = r.c.S3(func(o *s3.Options) { o.Region = region })
			clients[region] = c
		}
		it := snapshot.ResourcePolicy{Type: snapshot.ResourceS3Bucket, ARN: "arn:" + partition + ":s3:::" + name, Name: name, Region: region}
		pol, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b.Name})
		switch {
		case errorCode(err) == "NoSuchBucketPolicy":
		case err != nil:
			res.skip("bucket "+name+" GetBucketPolicy", err)
			continue
		default:
			if it.Policy, err = policyDoc(aws.ToString(pol.Policy)); err != nil {
				res.skip("bucket "+name, err)
				continue
			}
		}
		acl, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b.Name})
		if err != nil {
			res.skip("bucket "+name+" GetBucketAcl", err)
			continue
		}
		for _, g := range acl.Grants {
			if g.Grantee == nil {
				continue
			}
			ag := snapshot.ACLGrant{GranteeType: string(g.Grantee.Type), Permission: string(g.Permission)}
			switch {
			case g.Grantee.URI != nil:
				ag.Grantee = aws.ToString(g.Grantee.URI)
			case g.Grantee.EmailAddress != nil:
				ag.Grantee = aws.ToString(g.Grantee.EmailAddress)
			default:
				ag.Grantee = aws.ToString(g.Grantee.ID)
			}
			it.ACLGrants = append(it.ACLGrants, ag)
		}
		bpa, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b.Name})
		switch {
		case errorCode(err) == "NoSuchPublicAccessBlockConfiguration":
		case err != nil:
			res.skip("bucket "+name+" GetPublicAccessBlock", err)
			continue
		case bpa.PublicAccessBlockConfiguration != nil:
			p := bpa.PublicAccessBlockConfiguration
			it.BucketBlock = &snapshot.PublicAccessBlock{BlockPublicAcls: aws.ToBool(p.BlockPublicAcls), IgnorePublicAcls: aws.ToBool(p.IgnorePublicAcls),
				BlockPublicPolicy: aws.ToBool(p.BlockPublicPolicy), RestrictPublicBuckets: aws.ToBool(p.RestrictPublicBuckets)}
		}
		res.items = append(res.items, it)
	}
	return nil
}

// kmsKeys reads every key's default key policy and key manager.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html
func (r *accountRun) kmsKeys(ctx context.Context, region string, res *scopeResult) error {
	c := kms.NewFromConfig(r.c.Config, func(o *kms.Options) { o.Region = region })
	p := kms.NewListKeysPaginator(c, &kms.ListKeysInput{Limit: aws.Int32(1000)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("kms ListKeys: %w", err)
		}
		for _, k := range out.Keys {
			res.scope.Resources++
			arn := aws.ToString(k.KeyArn)
			d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: k.KeyArn})
			if err != nil {
				res.skip("key "+arn+" DescribeKey", err)
				continue
			}
			pol, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: k.KeyArn, PolicyName: aws.String("default")})
			if err != nil {
				res.skip("key "+arn+" GetKeyPolicy", err)
				continue
			}
			doc, err := policyDoc(aws.ToString(pol.Policy))
			if err != nil {
				res.skip("key "+arn, err)
				continue
			}
			it := snapshot.ResourcePolicy{Type: snapshot.ResourceKMSKey, ARN: arn, Name: aws.ToString(k.KeyId), Region: region, Policy: doc}
			if d.KeyMetadata != nil {
				it.KeyManager = string(d.KeyMetadata.KeyManager)
			}
			res.items = append(res.items, it)
		}
	}
	return nil
}

// sqsQueues reads every queue's Policy attribute.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
func (r *accountRun) sqsQueues(ctx context.Context, region string, res *scopeResult) error {
	c := sqs.NewFromConfig(r.c.Config, func(o *sqs.Options) { o.Region = region })
	p := sqs.NewListQueuesPaginator(c, &sqs.ListQueuesInput{MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("sqs ListQueues: %w", err)
		}
		for _, u := range out.QueueUrls {
			res.scope.Resources++
			a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(u),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy, sqstypes.QueueAttributeNameQueueArn}})
			if err != nil {
				res.skip("queue "+u+" GetQueueAttributes", err)
				continue
			}
			doc, err := policyDoc(a.Attributes["Policy"])
			if err != nil {
				res.skip("queue "+u, err)
				continue
			}
			res.items = append(res.items, snapshot.ResourcePolicy{Type: snapshot.ResourceSQSQueue, ARN: a.Attributes["QueueArn"],
				Name: u[strings.LastIndexByte(u, '/')+1:], Region: region, Policy: doc})
		}
	}
	return nil
}

// snsTopics reads every topic's Policy attribute.
// https://docs.aws.amazon.com/sns/latest/api/API_GetTopicAttributes.html
func (r *accountRun) snsTopics(ctx context.Context, region string, res *scopeResult) error {
	c := sns.NewFromConfig(r.c.Config, func(o *sns.Options) { o.Region = region })
	p := sns.NewListTopicsPaginator(c, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("sns ListTopics: %w", err)
		}
		for _, t := range out.Topics {
			res.scope.Resources++
			arn := aws.ToString(t.TopicArn)
			a, err := c.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: t.TopicArn})
			if err != nil {
				res.skip("topic "+arn+" GetTopicAttributes", err)
				continue
			}
			doc, err := policyDoc(a.Attributes["Policy"])
			if err != nil {
				res.skip("topic "+arn, err)
				continue
			}
			res.items = append(res.items, snapshot.ResourcePolicy{Type: snapshot.ResourceSNSTopic, ARN: arn,
				Name: arn[strings.LastIndexByte(arn, ':')+1:], Region: region, Policy: doc})
		}
	}
	return nil
}

// lambdaFunctions reads every function's resource policy (unqualified).
// https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html
func (r *accountRun) lambdaFunctions(ctx context.Context, region string, res *scopeResult) error {
	c := lambda.NewFromConfig(r.c.Config, func(o *lambda.Options) { o.Region = region })
	p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{MaxItems: aws.Int32(50)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("lambda ListFunctions: %w", err)
		}
		for _, f := range out.Functions {
			res.scope.Resources++
			arn := aws.ToString(f.FunctionArn)
			it := snapshot.ResourcePolicy{Type: snapshot.ResourceLambda, ARN: arn, Name: aws.ToString(f.FunctionName), Region: region}
			pol, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: f.FunctionName})
			var nf *lambdatypes.ResourceNotFoundException
			switch {
			case errors.As(err, &nf): // no policy
			case err != nil:
				res.skip("function "+arn+" GetPolicy", err)
				continue
			default:
				if it.Policy, err = policyDoc(aws.ToString(pol.Policy)); err != nil {
					res.skip("function "+arn, err)
					continue
				}
			}
			res.items = append(res.items, it)
		}
	}
	return nil
}

// secrets reads every secret's resource policy (never its value).
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetResourcePolicy.html
func (r *accountRun) secrets(ctx context.Context, region string, res *scopeResult) error {
	c := secretsmanager.NewFromConfig(r.c.Config, func(o *secretsmanager.Options) { o.Region = region })
	p := secretsmanager.NewListSecretsPaginator(c, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("secretsmanager ListSecrets: %w", err)
		}
		for _, s := range out.SecretList {
			res.scope.Resources++
			arn := aws.ToString(s.ARN)
			pol, err := c.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: s.ARN})
			if err != nil {
				res.skip("secret "+arn+" GetResourcePolicy", err)
				continue
			}
			doc, err := policyDoc(aws.ToString(pol.ResourcePolicy))
			if err != nil {
				res.skip("secret "+arn, err)
				continue
			}
			res.items = append(res.items, snapshot.ResourcePolicy{Type: snapshot.ResourceSecret, ARN: arn, Name: aws.ToString(s.Name), Region: region, Policy: doc})
		}
	}
	return nil
}

// ecrRepositories reads every repository's policy.
// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetRepositoryPolicy.html
func (r *accountRun) ecrRepositories(ctx context.Context, region string, res *scopeResult) error {
	c := ecr.NewFromConfig(r.c.Config, func(o *ecr.Options) { o.Region = region })
	p := ecr.NewDescribeRepositoriesPaginator(c, &ecr.DescribeRepositoriesInput{MaxResults: aws.Int32(1000)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ecr DescribeRepositories: %w", err)
		}
		for _, repo := range out.Repositories {
			res.scope.Resources++
			arn := aws.ToString(repo.RepositoryArn)
			it := snapshot.ResourcePolicy{Type: snapshot.ResourceECRRepo, ARN: arn, Name: aws.ToString(repo.RepositoryName), Region: region}
			pol, err := c.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: repo.RepositoryName, RegistryId: repo.RegistryId})
			var nf *ecrtypes.RepositoryPolicyNotFoundException
			switch {
			case errors.As(err, &nf): // no policy
			case err != nil:
				res.skip("repository "+arn+" GetRepositoryPolicy", err)
				continue
			default:
				if it.Policy, err = policyDoc(aws.ToString(pol.PolicyText)); err != nil {
					res.skip("repository "+arn, err)
					continue
				}
			}
			res.items = append(res.items, it)
		}
	}
	return nil
}
