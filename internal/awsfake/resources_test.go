package awsfake_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// resourceFake serves one account with three resources of each regional
// type in us-east-1 (one without a policy) and one in eu-west-1, so that
// paging (page size 2), region filtering and "no policy" are exercised.
func resourceFake(t *testing.T) (*awsfake.Server, aws.Config, string) {
	t.Helper()
	sc := awsfake.SampleScenario(now, 1, 1)
	a := sc.Accounts[0]
	id := a.AccountID
	pol := func(arn string) []byte {
		return []byte(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"*","Resource":%q}]}`, arn))
	}
	add := func(typ, region, arn, name string, withPolicy bool) {
		it := snapshot.ResourcePolicy{Type: typ, ARN: arn, Name: name, Region: region}
		if withPolicy {
			it.Policy = pol(arn)
		}
		a.ResourcePolicies.Items = append(a.ResourcePolicies.Items, it)
	}
	for _, reg := range []string{"us-east-1", "eu-west-1"} {
		n := 3
		if reg == "eu-west-1" {
			n = 1
		}
		for i := 0; i < n; i++ {
			withPolicy := i != 1
			add(snapshot.ResourceKMSKey, reg, fmt.Sprintf("arn:aws:kms:%s:%s:key/k%d", reg, id, i), fmt.Sprintf("k%d", i), true)
			add(snapshot.ResourceSQSQueue, reg, fmt.Sprintf("arn:aws:sqs:%s:%s:q%d", reg, id, i), fmt.Sprintf("q%d", i), withPolicy)
			add(snapshot.ResourceSNSTopic, reg, fmt.Sprintf("arn:aws:sns:%s:%s:t%d", reg, id, i), fmt.Sprintf("t%d", i), withPolicy)
			add(snapshot.ResourceLambda, reg, fmt.Sprintf("arn:aws:lambda:%s:%s:function:f%d", reg, id, i), fmt.Sprintf("f%d", i), withPolicy)
			add(snapshot.ResourceSecret, reg, fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:s%d-AbCdEf", reg, id, i), fmt.Sprintf("s%d", i), withPolicy)
			add(snapshot.ResourceECRRepo, reg, fmt.Sprintf("arn:aws:ecr:%s:%s:repository/r%d", reg, id, i), fmt.Sprintf("r%d", i), withPolicy)
		}
	}
	awsfake.SeedExternalAccess(a, "999988887777")
	s := awsfake.New(sc, awsfake.Options{PageSize: 2})
	t.Cleanup(s.Close)
	return s, config(s, s.Credentials()), id
}

func TestKMSSQSSNSSecretsECRLambda(t *testing.T) {
	s, cfg, id := resourceFake(t)
	ctx := context.Background()
	for _, reg := range []string{"us-east-1", "eu-west-1"} {
		want := 3
		if reg == "eu-west-1" {
			want = 1
		}
		t.Run(reg, func(t *testing.T) {
			// KMS (JSON 1.1)
			kc := kms.NewFromConfig(cfg, func(o *kms.Options) { o.Region = reg })
			var keys []string
			for p := kms.NewListKeysPaginator(kc, &kms.ListKeysInput{}); p.HasMorePages(); {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range out.Keys {
					keys = append(keys, aws.ToString(k.KeyArn))
				}
			}
			// the seeded account-0 key of SeedExternalAccess is in us-east-1
			if reg == "us-east-1" {
				want++
			}
			if len(keys) != want {
				t.Fatalf("kms keys in %s: %v", reg, keys)
			}
			kp, err := kc.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(keys[0]), PolicyName: aws.String("default")})
			if err != nil || aws.ToString(kp.Policy) == "" {
				t.Fatalf("GetKeyPolicy: %v %v", kp, err)
			}
			if dk, err := kc.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keys[0])}); err != nil || dk.KeyMetadata.KeyManager != "CUSTOMER" {
				t.Fatalf("DescribeKey: %v", err)
			}
			if reg == "us-east-1" {
				want--
			}

			// SQS (JSON 1.0)
			qc := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.Region = reg })
			var urls []string
			for p := sqs.NewListQueuesPaginator(qc, &sqs.ListQueuesInput{}); p.HasMorePages(); {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				urls = append(urls, out.QueueUrls...)
			}
			if reg == "us-east-1" {
				want++ // orders
			}
			if len(urls) != want {
				t.Fatalf("queues: %v", urls)
			}
			if reg == "us-east-1" {
				want--
			}
			qa, err := qc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/q0", reg, id)),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy}})
			if err != nil || qa.Attributes["Policy"] == "" || qa.Attributes["QueueArn"] != fmt.Sprintf("arn:aws:sqs:%s:%s:q0", reg, id) {
				t.Fatalf("GetQueueAttributes: %v %v", qa, err)
			}

			// SNS (query)
			nc := sns.NewFromConfig(cfg, func(o *sns.Options) { o.Region = reg })
			var topics []string
			for p := sns.NewListTopicsPaginator(nc, &sns.ListTopicsInput{}); p.HasMorePages(); {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, tp := range out.Topics {
					topics = append(topics, aws.ToString(tp.TopicArn))
				}
			}
			if reg == "us-east-1" && len(topics) != 4 || reg == "eu-west-1" && len(topics) != 1 {
				t.Fatalf("topics: %v", topics)
			}
			ta, err := nc.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(fmt.Sprintf("arn:aws:sns:%s:%s:t0", reg, id))})
			if err != nil || ta.Attributes["Policy"] == "" {
				t.Fatalf("GetTopicAttributes: %v %v", ta, err)
			}

			// Lambda (REST-JSON)
			lc := lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.Region = reg })
			var fns []string
			for p := lambda.NewListFunctionsPaginator(lc, &lambda.ListFunctionsInput{}); p.HasMorePages(); {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range out.Functions {
					fns = append(fns, aws.ToString(f.FunctionName))
				}
			}
			if reg == "us-east-1" && len(fns) != 4 || reg == "eu-west-1" && len(fns) != 1 {
				t.Fatalf("functions: %v", fns)
			}
			if lp, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("f0")}); err != nil || aws.ToString(lp.Policy) == "" {
				t.Fatalf("GetPolicy: %v", err)
			}

			// Secrets Manager (JSON 1.1)
			sm := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.Region = reg })
			var secrets []string
			for p := secretsmanager.NewListSecretsPaginator(sm, &secretsmanager.ListSecretsInput{}); p.HasMorePages(); {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, x := range out.SecretList {
					secrets = append(secrets, aws.ToString(x.Name))
				}
			}
			if reg == "us-east-1" && len(secrets) != 4 || reg == "eu-west-1" && len(secrets) != 1 {
				t.Fatalf("secrets: %v", secrets)
			}
			if rp, err := sm.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("s0")}); err != nil || aws.ToString(rp.ResourcePolicy) == "" {
				t.Fatalf("GetResourcePolicy: %v", err)
			}

			// ECR (JSON 1.1)
			ec := ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.Region = reg })
			var repos []string
			for p := ecr.NewDescribeRepositoriesPaginator(ec, &ecr.DescribeRepositoriesInput{}); p.HasMorePages(); {
				out, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range out.Repositories {
					repos = append(repos, aws.ToString(r.RepositoryName))
				}
			}
			if reg == "us-east-1" && len(repos) != 4 || reg == "eu-west-1" && len(repos) != 1 {
				t.Fatalf("repositories: %v", repos)
			}
			if rp, err := ec.GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String("r0")}); err != nil || aws.ToString(rp.PolicyText) == "" {
				t.Fatalf("GetRepositoryPolicy: %v", err)
			}
		})
	}

	// Resources without a policy answer each service's "not found" error.
	if _, err := lambda.NewFromConfig(cfg).GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("f1")}); code(err) != "ResourceNotFoundException" {
		t.Errorf("lambda GetPolicy without policy: %v", err)
	}
	if _, err := ecr.NewFromConfig(cfg).GetRepositoryPolicy(ctx, &ecr.GetRepositoryPolicyInput{RepositoryName: aws.String("r1")}); code(err) != "RepositoryPolicyNotFoundException" {
		t.Errorf("ecr GetRepositoryPolicy without policy: %v", err)
	}
	if rp, err := secretsmanager.NewFromConfig(cfg).GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("s1")}); err != nil || rp.ResourcePolicy != nil {
		t.Errorf("secret without policy: %v %v", rp, err)
	}
	// Calls are counted under their IAM action names.
	for _, op := range []string{"ListKeys", "GetKeyPolicy", "ListQueues", "ListTopics", "GetTopicAttributes", "ListFunctions", "GetPolicy", "ListSecrets", "DescribeRepositories"} {
		if s.Count(id, op) == 0 {
			t.Errorf("%s not counted", op)
		}
	}
	// AccessDenied on one operation, as collect's gap test needs.
	s.FailOp(id, "ListQueues", awsfake.AccessDenied("sqs:ListQueues"), -1)
	if _, err := sqs.NewFromConfig(cfg).ListQueues(ctx, &sqs.ListQueuesInput{}); code(err) != "AccessDenied" {
		t.Errorf("denied ListQueues: %v", err)
	}
}

type staticResolver struct{ u url.URL }

func (r staticResolver) ResolveEndpoint(context.Context, s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	return smithyendpoints.Endpoint{URI: r.u}, nil
}

func TestS3PoliciesACLAndBlockPublicAccess(t *testing.T) {
	s, cfg, id := resourceFake(t)
	ctx := context.Background()
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	lb, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]string
	for _, b := range lb.Buckets {
		got = append(got, [2]string{aws.ToString(b.Name), aws.ToString(b.BucketRegion)})
	}
	want := [][2]string{{"acme-acl-" + id, "eu-west-1"}, {"acme-public-" + id, "us-east-1"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("buckets (-want +got):\n%s", diff)
	}
	pub := aws.String("acme-public-" + id)
	acl := aws.String("acme-acl-" + id)
	if p, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: pub}); err != nil || aws.ToString(p.Policy) == "" {
		t.Errorf("GetBucketPolicy: %v", err)
	}
	if _, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: acl}); code(err) != "NoSuchBucketPolicy" {
		t.Errorf("GetBucketPolicy without policy: %v", err)
	}
	a, err := c.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: acl})
	if err != nil || len(a.Grants) != 2 || aws.ToString(a.Grants[1].Grantee.URI) != "http://acs.amazonaws.com/groups/global/AllUsers" || a.Grants[1].Permission != "READ" {
		t.Errorf("GetBucketAcl: %+v %v", a, err)
	}
	if b, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: acl}); err != nil || !aws.ToBool(b.PublicAccessBlockConfiguration.IgnorePublicAcls) {
		t.Errorf("GetPublicAccessBlock: %v", err)
	}
	if _, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: pub}); code(err) != "NoSuchPublicAccessBlockConfiguration" {
		t.Errorf("GetPublicAccessBlock without configuration: %v", err)
	}
	if loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: acl}); err != nil || loc.LocationConstraint != "eu-west-1" {
		t.Errorf("GetBucketLocation: %v %v", loc, err)
	}
	// S3 Control: SeedExternalAccess removed the account-level block.
	u, _ := url.Parse(s.URL)
	sc := s3control.NewFromConfig(cfg, func(o *s3control.Options) { o.EndpointResolverV2 = staticResolver{*u} })
	if _, err := sc.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(id)}); code(err) != "NoSuchPublicAccessBlockConfiguration" {
		t.Errorf("account GetPublicAccessBlock: %v", err)
	}
	for _, op := range []string{"ListAllMyBuckets", "GetBucketPolicy", "GetBucketAcl", "GetBucketPublicAccessBlock", "GetAccountPublicAccessBlock"} {
		if s.Count(id, op) == 0 {
			t.Errorf("s3 %s not counted", op)
		}
	}
	// IAM identity providers (query).
	ic := iam.NewFromConfig(cfg)
	op, err := ic.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(op.OpenIDConnectProviderList) != 1 {
		t.Fatalf("ListOpenIDConnectProviders: %v", err)
	}
	g, err := ic.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: op.OpenIDConnectProviderList[0].Arn})
	if err != nil || aws.ToString(g.Url) != "token.actions.githubusercontent.com" || len(g.ClientIDList) != 1 {
		t.Errorf("GetOpenIDConnectProvider: %+v %v", g, err)
	}
	if sp, err := ic.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{}); err != nil || len(sp.SAMLProviderList) != 1 {
		t.Errorf("ListSAMLProviders: %v", err)
	}
}
