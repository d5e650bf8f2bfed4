package demo

import (
	"hash/fnv"
	"time"

	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// fingerprint is how calls from one runtime look in CloudTrail: source
// addresses, user agents, VPC endpoints. The addresses of "ec2", "ecs" and
// "lambda" fall inside EC2 ranges of the published AWS IP ranges (and of the
// embedded subset in internal/roles); the others use documentation ranges
// (RFC 5737), which are not AWS's.
type fingerprint struct {
	ips  []string
	uas  []string
	vpce []string
}

var fingerprints = map[string]fingerprint{
	"laptop": {ips: []string{"203.0.113.24"}, uas: []string{"aws-cli/2.17.0 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off"}},
	"ec2":    {ips: []string{"3.250.17.42"}, uas: []string{"aws-sdk-go-v2/1.30.3 ua/2.0 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/s3#1.58.2 m/E"}},
	"ecs": {ips: []string{"52.210.4.19"}, vpce: []string{"vpce-0a1b2c3d4e5f60718"},
		uas: []string{"aws-sdk-java/2.25.60 Linux/5.10 OpenJDK_64-Bit_Server_VM/21.0.3+9-LTS Java/21.0.3 vendor/Amazon.com_Inc. exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/legacy"}},
	"lambda":    {ips: []string{"34.243.7.80"}, uas: []string{"Boto3/1.34.131 md/Botocore#1.34.131 ua/2.0 os/linux#5.10.219 md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12"}},
	"ci-github": {ips: []string{"192.0.2.77"}, uas: []string{"aws-cli/2.17.0 md/awscrt#0.20.11 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.11.8 md/installer#exe md/prompt#off md/ci#github-actions"}},
	"on-prem":   {ips: []string{"198.51.100.23"}, uas: []string{"aws-sdk-java/1.12.500 Linux/4.18.0 OpenJDK_64-Bit_Server_VM/11.0.20+8 java/11.0.20 vendor/Red_Hat"}},
	"saas":      {ips: []string{"192.0.2.10"}, uas: []string{"Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#5.15.0 lang/python#3.11.4 vendor-integration/3.2"}},
}

// UsageWindow is how far back the demo's usage goes.
const UsageWindow = 90 * 24 * time.Hour

// Usage returns the usage rows the demo's CloudTrail would produce over the
// last UsageWindow: every persona active in the window makes its Uses with
// its most recently used active key (a console session when it has none),
// from the addresses and with the user agents of its runtime.
func (o *Org) Usage() []usage.Row {
	var out []usage.Row
	for _, p := range o.Personas {
		if p.LastActive == nil || o.Now.Sub(*p.LastActive) > UsageWindow || len(p.Uses) == 0 {
			continue
		}
		acct := o.account(p.Account)
		var arn, key string
		var keyUsed time.Time
		for _, u := range acct.Users {
			if u.UserName != p.UserName {
				continue
			}
			arn = u.ARN
			for _, k := range u.AccessKeys {
				if k.Active() && k.LastUsed != nil && k.LastUsed.Date.After(keyUsed) {
					key, keyUsed = k.AccessKeyID, k.LastUsed.Date
				}
			}
		}
		fp := fingerprints[p.Runtime]
		if fp.ips == nil {
			fp = fingerprints["laptop"]
		}
		class := "public"
		for _, use := range p.Uses {
			res := use.Resource
			if res == "*" {
				res = ""
			}
			h := fnv.New32a()
			h.Write([]byte(p.UserName + use.Action))
			r := usage.Row{
				Key:       usage.Key{Account: p.Account, Principal: arn, PrincipalType: "IAMUser", AccessKeyID: key, Action: use.Action, Resource: res},
				FirstSeen: p.LastActive.Add(-30 * 24 * time.Hour), LastSeen: *p.LastActive,
				Count: int64(5 + h.Sum32()%500), Authz: true,
				IPClasses: []string{class}, SourceIPs: fp.ips, UserAgents: fp.uas, VPCEndpoints: fp.vpce,
			}
			if r.FirstSeen.Before(o.Now.Add(-UsageWindow)) {
				r.FirstSeen = o.Now.Add(-UsageWindow)
			}
			out = append(out, r)
		}
	}
	return out
}

func (o *Org) account(id string) *snapshot.Account {
	for _, a := range o.Accounts {
		if a.AccountID == id {
			return a
		}
	}
	return &snapshot.Account{}
}
