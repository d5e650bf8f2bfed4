package demo

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/trail/gen"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// HomeRegion is where the demo's workloads run.
const HomeRegion = "eu-west-1"

// TrailDays is how much CloudTrail history the demo generates.
const TrailDays = 90

// runtimeNetwork is where calls of each kind of runtime come from: source
// addresses, user agents and VPC endpoints are the fingerprint seiri later
// uses to watch disabled keys and to suggest roles instead of keys.
type runtimeNetwork struct {
	ips        []string
	userAgents []string
	vpce       string
	perHour    float64 // calls per hour per kind of use
}

var runtimes = map[string]runtimeNetwork{
	// Offices and homes (documentation ranges: not AWS).
	"laptop": {ips: []string{"203.0.113.10", "203.0.113.24", "198.51.100.77"}, perHour: 0.02,
		userAgents: []string{"aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#s3.cp",
			"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"}},
	// An EC2 instance: an address in AWS's eu-west-1 EC2 range.
	"ec2": {ips: []string{"54.216.12.34"}, perHour: 0.2,
		userAgents: []string{"Boto3/1.34.131 md/Botocore#1.34.131 ua/2.0 os/linux#6.1.94-99.176.amzn2023.x86_64 md/arch#x86_64 lang/python#3.9.19 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.131"}},
	// ECS tasks on EC2, through the S3/DynamoDB gateway endpoint.
	"ecs": {ips: []string{"10.20.3.17", "10.20.4.41"}, vpce: "vpce-0a1b2c3d4e5f60718", perHour: 0.4,
		userAgents: []string{"aws-sdk-java/2.25.60 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/21.0.3+9-LTS Java/21.0.3 vendor/Amazon.com_Inc. exec-env/AWS_ECS_EC2 io/sync http/Apache cfg/retry-mode/legacy"}},
	"lambda": {ips: []string{"3.250.44.12"}, perHour: 0.1,
		userAgents: []string{"Boto3/1.34.131 md/Botocore#1.34.131 ua/2.0 os/linux#5.10.219 md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12"}},
	// GitHub-hosted runners (Azure addresses) with the official action.
	"ci-github": {ips: []string{"20.42.73.9", "4.175.114.51"}, perHour: 0.1,
		userAgents: []string{"aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython exec-env/GitHubActions cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off md/command#ecs.update-service"}},
	"on-prem": {ips: []string{"198.51.100.200"}, perHour: 0.08,
		userAgents: []string{"aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/cloudwatch#1.40.3"}},
	// A monitoring SaaS polling from its own (non-AWS) network.
	"saas": {ips: []string{"185.199.108.14"}, perHour: 0.4,
		userAgents: []string{"monitoring-agent/7.52.0 aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5"}},
}

// eventOf turns an IAM action of a demo use into the CloudTrail event that
// exercises it (the inverse of the trail mapping, for the few actions the
// demo uses whose event differs: CloudTrail names API operations).
func eventOf(action string) (source, name string, ok bool) {
	svc, op, found := strings.Cut(action, ":")
	if !found {
		return "", "", false
	}
	switch action {
	case "iam:PassRole":
		return "", "", false // a permission checked inside other calls: never an event
	case "s3:ListBucket":
		return "s3.amazonaws.com", "ListObjectsV2", true
	case "cloudfront:CreateInvalidation":
		return "cloudfront.amazonaws.com", "CreateInvalidation2020_05_31", true
	}
	host := map[string]string{"cloudwatch": "monitoring", "ecr": "ecr"}[svc]
	if host == "" {
		host = svc
	}
	return host + ".amazonaws.com", op, true
}

// genResource writes a resource in the form the generator takes (what the
// API call names): bucket/key for S3, the name of a DynamoDB table, Lambda
// function, SQS queue, SNS topic, ECR repository, SSM parameter, log group,
// IAM role or user, CloudWatch dashboard; else the ARN (KMS keys, secrets).
func genResource(arn string) []string {
	if arn == "" || arn == "*" {
		return nil
	}
	if strings.HasPrefix(arn, "arn:aws:s3:::") {
		return []string{strings.TrimPrefix(arn, "arn:aws:s3:::")}
	}
	p := strings.SplitN(arn, ":", 6)
	if len(p) < 6 {
		return []string{arn}
	}
	svc, rest := p[2], p[5]
	afterSlash := func() string { return rest[strings.Index(rest, "/")+1:] }
	switch {
	case svc == "dynamodb" && strings.HasPrefix(rest, "table/"),
		svc == "ecr" && strings.HasPrefix(rest, "repository/"),
		svc == "cloudwatch" && strings.HasPrefix(rest, "dashboard/"),
		svc == "iam" && (strings.HasPrefix(rest, "role/") || strings.HasPrefix(rest, "user/")):
		return []string{afterSlash()}
	case svc == "lambda" && strings.HasPrefix(rest, "function:"):
		return []string{strings.TrimPrefix(rest, "function:")}
	case svc == "sqs", svc == "sns":
		return []string{rest}
	case svc == "ssm" && strings.HasPrefix(rest, "parameter"):
		return []string{strings.TrimPrefix(rest, "parameter")}
	case svc == "logs" && strings.HasPrefix(rest, "log-group:"):
		return []string{strings.TrimSuffix(strings.TrimPrefix(rest, "log-group:"), ":*")}
	}
	return []string{arn}
}

func activities(uses []Use, perHour float64) []gen.Activity {
	var out []gen.Activity
	for _, u := range uses {
		src, name, ok := eventOf(u.Action)
		if !ok {
			continue
		}
		a := gen.Activity{EventSource: src, EventName: name, Region: UseRegion(u), Resources: genResource(u.Resource), PerHour: perHour, ErrorRate: u.ErrorRate}
		if u.ErrorRate > 0 {
			a.ErrorCode = "AccessDenied"
		}
		out = append(out, a)
	}
	return out
}

// lastKey returns the user's active key used most recently.
func lastKey(u *snapshot.User) string {
	var best *snapshot.AccessKey
	for i := range u.AccessKeys {
		k := &u.AccessKeys[i]
		if !k.Active() || k.LastUsed == nil {
			continue
		}
		if best == nil || k.LastUsed.Date.After(best.LastUsed.Date) {
			best = k
		}
	}
	if best == nil {
		return ""
	}
	return best.AccessKeyID
}

// roleActivity is what the demo's roles do (their uses follow their policies).
func roleActivity(acct string) map[string]struct {
	kind    string
	runtime string
	uses    []Use
} {
	type ra = struct {
		kind    string
		runtime string
		uses    []Use
	}
	b := func(n string) string { return "arn:aws:s3:::acme-" + n + "-" + acct }
	return map[string]ra{
		"payments-api-task": {gen.AssumedRole, "ecs", []Use{
			{Action: "dynamodb:GetItem", Resource: "arn:aws:dynamodb:eu-west-1:" + acct + ":table/payments"},
			{Action: "dynamodb:PutItem", Resource: "arn:aws:dynamodb:eu-west-1:" + acct + ":table/payments-ledger"},
			{Action: "s3:GetObject", Resource: b("payments") + "/config/app.json"},
			{Action: "sqs:SendMessage", Resource: "arn:aws:sqs:eu-west-1:" + acct + ":payments-settlement"},
			{Action: "kms:Decrypt", Resource: "arn:aws:kms:eu-west-1:" + acct + ":key/1f0c2e4a-5b6d-4e7f-8a9b-0c1d2e3f4a5b"}}},
		"data-pipeline": {gen.AssumedRole, "lambda", []Use{
			{Action: "glue:GetTable", Resource: "*"},
			{Action: "s3:GetObject", Resource: b("datalake") + "/raw/events.parquet"},
			{Action: "s3:PutObject", Resource: b("datalake") + "/curated/events.parquet"}}},
		"github-actions-web": {gen.AssumedRole, "ci-github", []Use{
			{Action: "s3:PutObject", Resource: b("web-assets") + "/index.html"},
			{Action: "cloudfront:CreateInvalidation", Resource: "*"}}},
		"dev-ec2-instance": {gen.AssumedRole, "ec2", []Use{
			{Action: "cloudwatch:PutMetricData", Resource: "*"},
			{Action: "s3:GetObject", Resource: "arn:aws:s3:::acme-dev-config-" + acct + "/agent.json"}}},
		"AWSReservedSSO_AdministratorAccess_0123456789abcdef": {gen.IdentityCenter, "laptop", []Use{
			{Action: "cloudtrail:LookupEvents", Resource: "*"},
			{Action: "ec2:DescribeInstances", Resource: "*"}}},
		"AWSReservedSSO_ReadOnly_fedcba9876543210": {gen.IdentityCenter, "laptop", []Use{
			{Action: "ec2:DescribeInstances", Resource: "*"},
			{Action: "logs:FilterLogEvents", Resource: "*"}}},
	}
}

// TrailSpec describes the demo's CloudTrail history: the last TrailDays days
// of every persona and role that was active then, each until its last use
// (so a key's last use in the snapshot matches its last event), delivered by
// an organization trail.
func (o *Org) TrailSpec() gen.Spec {
	start := o.Now.AddDate(0, 0, -TrailDays)
	spec := gen.Spec{Seed: Seed, OrgID: OrgID, Start: start, End: o.Now}
	users := map[string]*snapshot.User{}
	for _, a := range o.Accounts {
		for i := range a.Users {
			users[a.AccountID+"/"+a.Users[i].UserName] = &a.Users[i]
		}
	}
	until := func(last *time.Time) (time.Time, bool) {
		if last == nil || last.Before(start) {
			return time.Time{}, false
		}
		if o.Now.Sub(*last) < 36*time.Hour {
			return time.Time{}, true // active to the end
		}
		return last.Add(time.Hour), true
	}
	for _, p := range o.Personas {
		u := users[p.Account+"/"+p.UserName]
		end, active := until(p.LastActive)
		if !active || u == nil || len(p.Uses) == 0 {
			continue
		}
		net := runtimes[p.Runtime]
		key := lastKey(u)
		if key == "" && p.Runtime != "laptop" {
			continue // a machine without a used key makes no calls
		}
		spec.Principals = append(spec.Principals, gen.Principal{
			Type: gen.IAMUser, Account: p.Account, Name: p.UserName, Path: u.Path, AccessKeyID: key,
			SourceIPs: net.ips, UserAgents: net.userAgents, VPCEndpoint: net.vpce, Until: end,
			Activities: activities(p.Uses, net.perHour),
		})
	}
	for _, a := range o.Accounts {
		acts := roleActivity(a.AccountID)
		for _, r := range a.Roles {
			ra, ok := acts[r.RoleName]
			if !ok || r.LastUsed == nil {
				continue
			}
			end, active := until(&r.LastUsed.Date)
			if !active {
				continue
			}
			net := runtimes[ra.runtime]
			name := r.RoleName
			p := gen.Principal{Type: ra.kind, Account: a.AccountID, Name: name, Path: r.Path, SourceIPs: net.ips,
				UserAgents: net.userAgents, VPCEndpoint: net.vpce, Until: end, Activities: activities(ra.uses, net.perHour*2)}
			if ra.kind == gen.IdentityCenter {
				// The permission set's name, as Identity Center names its roles.
				p.Name = strings.Split(strings.TrimPrefix(name, "AWSReservedSSO_"), "_")[0]
				p.SessionName = "maria.schneider@acme.example"
			}
			spec.Principals = append(spec.Principals, p)
		}
	}
	sort.SliceStable(spec.Principals, func(i, j int) bool {
		return spec.Principals[i].Account+spec.Principals[i].Name < spec.Principals[j].Account+spec.Principals[j].Name
	})
	return spec
}

// WriteTrail writes the demo's CloudTrail logs under dir in the S3 delivery
// layout (AWSLogs/o-…/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/…json.gz).
// Like a real trail's copy, the logs name principals, keys and source
// addresses: folders are 0700 and files 0600, as in the rest of the
// workspace (also when an older run left them more open).
func (o *Org) WriteTrail(dir string) (gen.Stats, error) {
	_, err := os.Lstat(dir)
	older := err == nil
	st, err := gen.Generate(o.TrailSpec(), func(key string, gz []byte) error {
		p := filepath.Join(dir, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), workspace.DirMode); err != nil {
			return err
		}
		return os.WriteFile(p, gz, workspace.FileMode)
	})
	if err != nil || !older {
		return st, err
	}
	return st, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		if d.IsDir() {
			return os.Chmod(p, workspace.DirMode)
		}
		return os.Chmod(p, workspace.FileMode)
	})
}
