package awsfake

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// Resource-based policies: each account's snapshot.ResourcePolicies items
// are served by their service's read APIs over the service's own wire
// protocol (one file per service: kms.go, sqs.go, sns.go, lambda.go,
// secretsmanager.go, ecr.go; S3 and S3 Control here). Regional services
// answer with the items of the region the request was signed for.
// Operations are counted under their IAM action names (s3:GetBucketPolicy,
// lambda:GetPolicy, ...), so that collect's permission list can be checked
// against what it called.

// resourceOps are the JSON and query handlers of the resource services,
// keyed by service (the SigV4 signing name) then operation.
var resourceOps = map[string]map[string]func(*call) (any, *Error){}

// jsonTargets maps X-Amz-Target prefixes to services.
var jsonTargets = map[string]string{}

func jsonServiceOf(target string) string {
	i := strings.LastIndexByte(target, '.')
	if i < 0 {
		return ""
	}
	return jsonTargets[target[:i]]
}

// items returns the caller account's resources of type typ in the request's
// region ("" region: every region, for S3).
func (c *call) items(typ string, regional bool) []*snapshot.ResourcePolicy {
	if c.acct == nil || c.acct.acct.ResourcePolicies == nil {
		return nil
	}
	var out []*snapshot.ResourcePolicy
	rp := c.acct.acct.ResourcePolicies
	for i := range rp.Items {
		it := &rp.Items[i]
		if it.Type == typ && (!regional || it.Region == c.region) {
			out = append(out, it)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}

// item finds a resource by name or ARN.
func (c *call) item(typ string, regional bool, ref string) *snapshot.ResourcePolicy {
	for _, it := range c.items(typ, regional) {
		if it.Name == ref || it.ARN == ref {
			return it
		}
	}
	return nil
}

// policyText is the policy document as the services return it (a JSON
// string), "" when none.
func policyText(it *snapshot.ResourcePolicy) string {
	if len(it.Policy) == 0 || string(it.Policy) == "null" {
		return ""
	}
	return string(it.Policy)
}

// --- S3 and S3 Control (REST-XML) ------------------------------------------

// serveS3Policies answers the S3 reads gofakes3 lacks — ListBuckets (from
// the scenario), GetBucketPolicy, GetBucketAcl, GetPublicAccessBlock and
// GetBucketLocation of scenario buckets, and S3 Control's account-level
// GetPublicAccessBlock — and reports whether it did.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
func (s *Server) serveS3Policies(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	q := r.URL.Query()
	path := strings.Trim(r.URL.Path, "/")
	c := &call{s: s, service: "s3", req: r}
	switch {
	case path == "v20180820/configuration/publicAccessBlock":
		c.op = "GetAccountPublicAccessBlock"
	case path == "":
		c.op = "ListAllMyBuckets"
	case strings.Contains(path, "/"):
		return false
	case q.Has("policy"):
		c.op = "GetBucketPolicy"
	case q.Has("acl"):
		c.op = "GetBucketAcl"
	case q.Has("publicAccessBlock"):
		c.op = "GetBucketPublicAccessBlock"
	case q.Has("location"):
		c.op = "GetBucketLocation"
	default:
		return false
	}
	if c.op != "ListAllMyBuckets" && c.op != "GetAccountPublicAccessBlock" && !s.scenarioBucket(path) {
		return false // a gofakes3 bucket
	}
	resp, aerr := s.dispatch(r, c)
	w.Header().Set("x-amz-request-id", "fake")
	if aerr != nil {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(aerr.Status)
		// S3 Control wraps its errors in <ErrorResponse>; S3 does not.
		wrapped := c.op == "GetAccountPublicAccessBlock"
		var x xmlBody
		if wrapped {
			x.open("ErrorResponse")
		}
		x.open("Error")
		x.el("Code", aerr.Code)
		x.el("Message", aerr.Message)
		x.close("Error")
		if wrapped {
			x.close("ErrorResponse")
		}
		w.Write([]byte(xml.Header + x.b.String()))
		return true
	}
	switch v := resp.(type) {
	case string: // a bucket policy: the document itself
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(v))
	case *xmlBody:
		w.Header().Set("Content-Type", "application/xml")
		w.Write([]byte(xml.Header + v.b.String()))
	}
	return true
}

func (s *Server) scenarioBucket(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.accounts {
		if rp := a.acct.ResourcePolicies; rp != nil {
			for _, it := range rp.Items {
				if it.Type == snapshot.ResourceS3Bucket && it.Name == name {
					return true
				}
			}
		}
	}
	return false
}

const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

func init() {
	resourceOps["s3"] = map[string]func(*call) (any, *Error){
		"ListAllMyBuckets":            s3ListBuckets,
		"GetBucketPolicy":             s3GetBucketPolicy,
		"GetBucketAcl":                s3GetBucketACL,
		"GetBucketPublicAccessBlock":  s3GetBucketPublicAccessBlock,
		"GetBucketLocation":           s3GetBucketLocation,
		"GetAccountPublicAccessBlock": s3GetAccountPublicAccessBlock,
	}
}

func (c *call) bucket() (*snapshot.ResourcePolicy, *Error) {
	name := strings.Trim(c.req.URL.Path, "/")
	if it := c.item(snapshot.ResourceS3Bucket, false, name); it != nil {
		return it, nil
	}
	// A bucket of another account: S3 answers AccessDenied to a caller
	// without rights on it.
	return nil, errf(403, "AccessDenied", "Access Denied")
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html
func s3ListBuckets(c *call) (any, *Error) {
	var x xmlBody
	x.b.WriteString(`<ListAllMyBucketsResult xmlns="` + s3NS + `">`)
	x.open("Owner")
	x.el("ID", ownerID(c.who.account))
	x.close("Owner")
	x.open("Buckets")
	for _, it := range c.items(snapshot.ResourceS3Bucket, false) {
		x.open("Bucket")
		x.el("Name", it.Name)
		x.el("CreationDate", "2025-01-01T00:00:00.000Z")
		x.opt("BucketRegion", it.Region)
		x.close("Bucket")
	}
	x.close("Buckets")
	x.close("ListAllMyBucketsResult")
	return &x, nil
}

// ownerID is a stable fake canonical user id of an account.
func ownerID(account string) string {
	return fmt.Sprintf("%064x", []byte(account))[:64]
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicy.html
func s3GetBucketPolicy(c *call) (any, *Error) {
	it, err := c.bucket()
	if err != nil {
		return nil, err
	}
	if p := policyText(it); p != "" {
		return p, nil
	}
	return nil, errf(404, "NoSuchBucketPolicy", "The bucket policy does not exist")
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketAcl.html
func s3GetBucketACL(c *call) (any, *Error) {
	it, err := c.bucket()
	if err != nil {
		return nil, err
	}
	var x xmlBody
	x.b.WriteString(`<AccessControlPolicy xmlns="` + s3NS + `">`)
	x.open("Owner")
	x.el("ID", ownerID(c.who.account))
	x.close("Owner")
	x.open("AccessControlList")
	for _, g := range it.ACLGrants {
		x.b.WriteString(`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="` + g.GranteeType + `">`)
		switch g.GranteeType {
		case "Group":
			x.el("URI", g.Grantee)
		case "AmazonCustomerByEmail":
			x.el("EmailAddress", g.Grantee)
		default:
			x.el("ID", g.Grantee)
		}
		x.close("Grantee")
		x.el("Permission", g.Permission)
		x.close("Grant")
	}
	x.close("AccessControlList")
	x.close("AccessControlPolicy")
	return &x, nil
}

func writePAB(p *snapshot.PublicAccessBlock) *xmlBody {
	var x xmlBody
	x.b.WriteString(`<PublicAccessBlockConfiguration xmlns="` + s3NS + `">`)
	x.bool("BlockPublicAcls", p.BlockPublicAcls)
	x.bool("IgnorePublicAcls", p.IgnorePublicAcls)
	x.bool("BlockPublicPolicy", p.BlockPublicPolicy)
	x.bool("RestrictPublicBuckets", p.RestrictPublicBuckets)
	x.close("PublicAccessBlockConfiguration")
	return &x
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetPublicAccessBlock.html
func s3GetBucketPublicAccessBlock(c *call) (any, *Error) {
	it, err := c.bucket()
	if err != nil {
		return nil, err
	}
	if it.BucketBlock == nil {
		return nil, errf(404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
	}
	return writePAB(it.BucketBlock), nil
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html
func s3GetBucketLocation(c *call) (any, *Error) {
	it, err := c.bucket()
	if err != nil {
		return nil, err
	}
	var x xmlBody
	loc := it.Region
	if loc == "us-east-1" {
		loc = "" // "Buckets in Region us-east-1 have a LocationConstraint of null."
	}
	x.b.WriteString(`<LocationConstraint xmlns="` + s3NS + `">`)
	xml.EscapeText(&x.b, []byte(loc))
	x.close("LocationConstraint")
	return &x, nil
}

// https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_GetPublicAccessBlock.html
func s3GetAccountPublicAccessBlock(c *call) (any, *Error) {
	if id := c.req.Header.Get("x-amz-account-id"); id != c.who.account {
		return nil, errf(403, "AccessDenied", "account id %q is not the caller's account", id)
	}
	if c.acct == nil || c.acct.acct.ResourcePolicies == nil || c.acct.acct.ResourcePolicies.S3AccountBlock == nil {
		return nil, errf(404, "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found")
	}
	return writePAB(c.acct.acct.ResourcePolicies.S3AccountBlock), nil
}
