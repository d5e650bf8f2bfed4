package awsfake

import (
	"fmt"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// Amazon ECR over JSON 1.1 (X-Amz-Target
// AmazonEC2ContainerRegistry_V20150921.Op): repositories and their policies.
// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_Operations.html
func init() {
	jsonTargets["AmazonEC2ContainerRegistry_V20150921"] = "ecr"
	resourceOps["ecr"] = map[string]func(*call) (any, *Error){
		"DescribeRepositories": ecrDescribeRepositories,
		"GetRepositoryPolicy":  ecrGetRepositoryPolicy,
	}
}

// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeRepositories.html
func ecrDescribeRepositories(c *call) (any, *Error) {
	rs := c.items(snapshot.ResourceECRRepo, true)
	start, end, next, err := c.page(len(rs), "maxResults", "nextToken")
	if err != nil {
		return nil, err
	}
	list := []map[string]any{}
	for _, r := range rs[start:end] {
		list = append(list, map[string]any{"repositoryArn": r.ARN, "repositoryName": r.Name, "registryId": c.who.account,
			"repositoryUri": fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", c.who.account, c.region, r.Name)})
	}
	out := map[string]any{"repositories": list}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetRepositoryPolicy.html
func ecrGetRepositoryPolicy(c *call) (any, *Error) {
	r := c.item(snapshot.ResourceECRRepo, true, c.str("repositoryName"))
	if r == nil {
		return nil, errf(400, "RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", c.str("repositoryName"), c.who.account)
	}
	p := policyText(r)
	if p == "" {
		return nil, errf(400, "RepositoryPolicyNotFoundException", "Repository policy does not exist for the repository with name '%s' in the registry with id '%s'", r.Name, c.who.account)
	}
	return map[string]any{"registryId": c.who.account, "repositoryName": r.Name, "policyText": p}, nil
}
