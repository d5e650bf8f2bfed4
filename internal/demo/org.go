// Package demo generates a deterministic, realistic demo organization — six
// accounts in a few OUs, 100+ IAM users across teams with groups, roles,
// inline and managed policies, keys of varied ages and use, a credential
// report, Access Advisor data and SCPs — so seiri's whole flow runs with no
// AWS account. Everything the demo produces (snapshot, CloudTrail logs, ...)
// is generated here, from one seed and one clock, so later analyses can extend
// it in one place.
package demo

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/credreport"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// Seed is the default seed: the same seed and clock give the same organization.
const Seed = 20261129

// OrgID and the management account of the demo organization.
const (
	OrgID             = "o-a1b2c3d4e5"
	ManagementAccount = "111111111111"
)

// Org is the generated organization: the snapshot data and, for every IAM
// user, how it behaves (what the CloudTrail generator turns into logs).
type Org struct {
	Now          time.Time
	Organization *snapshot.Organization
	Accounts     []*snapshot.Account
	Personas     []*Persona
}

// Persona is the behaviour behind one IAM user of the demo.
type Persona struct {
	Account  string
	UserName string
	Team     string
	Machine  bool   // a workload, not a person
	Runtime  string // laptop, ec2, ecs, lambda, ci-github, on-prem, saas
	// LastActive is when the persona last used any credential (nil: never).
	LastActive *time.Time
	// Uses lists the IAM actions on resources the persona performs when active.
	Uses []Use
}

// Use is one kind of call a persona makes.
type Use struct {
	Action   string
	Resource string
	// Region of the call (default: the demo's home region, eu-west-1).
	Region string
	// ErrorRate is the share of these calls that fail with AccessDenied.
	ErrorRate float64
}

type accountSpec struct {
	ID, Name, Email, OU string
	Humans              int
	Teams               []string
}

var accountSpecs = []accountSpec{
	{ID: ManagementAccount, Name: "acme-management", Email: "aws-management@acme.example", OU: "", Humans: 34, Teams: []string{"platform", "finance", "security", "support"}},
	{ID: "222222222222", Name: "acme-security-tooling", Email: "aws-security@acme.example", OU: "Security", Humans: 6, Teams: []string{"security"}},
	{ID: "333333333333", Name: "acme-log-archive", Email: "aws-logs@acme.example", OU: "Security", Humans: 0},
	{ID: "444444444444", Name: "acme-shared-network", Email: "aws-network@acme.example", OU: "Infrastructure", Humans: 4, Teams: []string{"platform"}},
	{ID: "555555555555", Name: "acme-prod", Email: "aws-prod@acme.example", OU: "Prod", Humans: 36, Teams: []string{"payments", "data", "web", "mobile", "platform", "support"}},
	{ID: "666666666666", Name: "acme-dev", Email: "aws-dev@acme.example", OU: "SDLC", Humans: 30, Teams: []string{"payments", "data", "web", "mobile", "platform"}},
}

var firstNames = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yuki", "zoe", "aiko", "bruno", "chen", "dmitri", "elena", "fatima", "goran", "hana", "igor", "jamal", "kenji", "lena", "mateo", "nadia", "omar", "priya", "quentin", "rosa", "sven", "tariq", "uma", "vera", "wei", "ximena", "yusuf", "zara", "amara", "bilal", "camila"}
var lastNames = []string{"nguyen", "smith", "garcia", "kim", "müller", "rossi", "tanaka", "silva", "kowalski", "okafor", "johansson", "dubois", "novak", "haddad", "ivanova", "patel", "oconnor", "yilmaz", "schmidt", "lopez"}

var teamPolicy = map[string]string{
	"payments": "payments-app-access",
	"data":     "data-lake-access",
	"web":      "web-deploy",
	"mobile":   "web-deploy",
	"platform": "ci-deploy",
	"support":  "support-tools",
	"security": "SecurityAudit",
	"finance":  "Billing",
}

// wildcardServices stands for "every service" in Access Advisor data.
var wildcardServices = []string{"ec2", "s3", "iam", "lambda", "dynamodb", "cloudwatch", "logs", "sts", "kms", "rds", "sqs", "sns", "cloudformation", "organizations"}

type generator struct {
	r        *rand.Rand
	now      time.Time
	names    map[string]bool
	policies map[string]map[string]policyTemplate // account → name → template
}

// Generate builds the demo organization as of now (truncated to the minute).
func Generate(now time.Time, seed uint64) *Org {
	now = now.UTC().Truncate(time.Minute)
	g := &generator{r: rand.New(rand.NewPCG(seed, seed^0x5e1e1)), now: now, names: map[string]bool{}, policies: map[string]map[string]policyTemplate{}}
	o := &Org{Now: now}
	for _, spec := range accountSpecs {
		o.Accounts = append(o.Accounts, g.account(spec, o))
		a := o.Accounts[len(o.Accounts)-1]
		a.ResourcePolicies, a.AccessAnalyzers = resourcePolicies(a), accessAnalyzers(a) // resources.go
	}
	o.Organization = g.organization()
	return o
}

func (g *generator) daysAgo(d int) time.Time {
	return g.now.Add(-time.Duration(d)*24*time.Hour - time.Duration(g.r.IntN(86400))*time.Second).Truncate(time.Second)
}

func (g *generator) between(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

func (g *generator) pct(p int) bool { return g.r.IntN(100) < p }

func (g *generator) name() string {
	for {
		n := firstNames[g.r.IntN(len(firstNames))] + "." + lastNames[g.r.IntN(len(lastNames))]
		if !g.names[n] {
			g.names[n] = true
			return n
		}
	}
}

func (g *generator) id(prefix string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var b strings.Builder
	b.WriteString(prefix)
	for b.Len() < 20 {
		b.WriteByte(alphabet[g.r.IntN(len(alphabet))])
	}
	return b.String()
}

func ptr[T any](v T) *T { return &v }

// accountBuilder accumulates one account's principals.
type accountBuilder struct {
	g        *generator
	acct     *snapshot.Account
	used     map[string]bool // policy names in use
	groups   map[string]*snapshot.Group
	personas []*Persona
	// pwdChanged is when each console user last changed the password.
	pwdChanged map[string]time.Time
}

func (b *accountBuilder) arn(kind, path, name string) string {
	if path == "" {
		path = "/"
	}
	return fmt.Sprintf("arn:aws:iam::%s:%s%s%s", b.acct.AccountID, kind, path, name)
}

func (b *accountBuilder) policyARN(name string) string {
	for _, p := range awsManaged {
		if p.Name == name {
			path := p.Path
			if path == "" {
				path = "/"
			}
			return "arn:aws:iam::aws:policy" + path + name
		}
	}
	return b.arn("policy", "/", name)
}

func (b *accountBuilder) template(name string) policyTemplate {
	for _, p := range awsManaged {
		if p.Name == name {
			return p
		}
	}
	for _, p := range customerPolicies(b.acct.AccountID) {
		if p.Name == name {
			return p
		}
	}
	panic("demo: unknown policy " + name)
}

func (b *accountBuilder) attach(names ...string) []snapshot.AttachedPolicy {
	var out []snapshot.AttachedPolicy
	for _, n := range names {
		b.used[n] = true
		out = append(out, snapshot.AttachedPolicy{PolicyName: n, PolicyARN: b.policyARN(n)})
	}
	return out
}

func (b *accountBuilder) group(name string, policies ...string) *snapshot.Group {
	if gr, ok := b.groups[name]; ok {
		return gr
	}
	gr := &snapshot.Group{
		ARN: b.arn("group", "/", name), GroupName: name, GroupID: b.g.id("AGPA"), Path: "/",
		CreateDate: b.g.daysAgo(b.g.between(400, 1500)), AttachedPolicies: b.attach(policies...),
	}
	b.groups[name] = gr
	return gr
}

// userOpts describe one user to create.
type userOpts struct {
	name, team string
	machine    bool
	runtime    string
	created    int  // days ago
	console    bool // has a login profile
	pwdUsed    int  // days ago; -1 never
	mfa        bool
	keys       []keyOpts
	groups     []string
	direct     []string // directly attached managed policies
	inline     []string // inline policy kinds
	uses       []Use
}

type keyOpts struct {
	created int // days ago
	used    int // days ago; -1 never
	active  bool
	service string
}

func (b *accountBuilder) user(o userOpts) *snapshot.User {
	g := b.g
	u := snapshot.User{
		ARN: b.arn("user", "/", o.name), UserName: o.name, UserID: g.id("AIDA"), Path: "/",
		CreateDate: g.daysAgo(o.created),
		Tags:       map[string]string{"team": o.team},
	}
	if o.machine {
		u.Tags["kind"] = "service"
	}
	var last *time.Time
	seen := func(t time.Time) {
		if last == nil || t.After(*last) {
			last = ptr(t)
		}
	}
	if o.console {
		u.LoginProfile = &snapshot.LoginProfile{CreateDate: u.CreateDate.Add(time.Hour)}
		// People who sign in change their password now and then (the
		// management account's policy expires them after 90 days); the
		// others kept their first one.
		changed := u.LoginProfile.CreateDate
		if o.pwdUsed >= 0 && o.pwdUsed < 60 {
			if t := g.daysAgo(g.between(3, 130)); t.After(changed) {
				changed = t
			}
		}
		b.pwdChanged[o.name] = changed
		if o.pwdUsed >= 0 {
			t := g.daysAgo(min(o.pwdUsed, o.created-1))
			u.PasswordLastUsed = &t
			seen(t)
		}
	}
	if o.mfa {
		u.MFADevices = []snapshot.MFADevice{{SerialNumber: b.arn("mfa", "/", o.name), EnableDate: u.CreateDate.Add(2 * time.Hour)}}
	}
	for _, k := range o.keys {
		created := g.daysAgo(min(k.created, o.created))
		if created.Before(u.CreateDate) {
			created = u.CreateDate.Add(time.Duration(g.between(1, 3600)) * time.Second)
		}
		key := snapshot.AccessKey{AccessKeyID: g.id("AKIA"), Status: "Inactive", CreateDate: created}
		if k.active {
			key.Status = "Active"
		}
		if k.used >= 0 {
			used := g.daysAgo(min(k.used, k.created))
			if used.Before(created) {
				used = created.Add(time.Hour)
			}
			svc := k.service
			if svc == "" {
				svc = "s3"
			}
			key.LastUsed = &snapshot.KeyLastUsed{Date: used, ServiceName: svc, Region: "eu-west-1"}
			seen(used)
		}
		u.AccessKeys = append(u.AccessKeys, key)
	}
	for _, gn := range o.groups {
		u.Groups = append(u.Groups, gn)
	}
	u.AttachedPolicies = b.attach(o.direct...)
	for i, kind := range o.inline {
		d, _ := inlineDoc(b.acct.AccountID, kind, o.name)
		u.InlinePolicies = append(u.InlinePolicies, snapshot.InlinePolicy{PolicyName: fmt.Sprintf("%s-%s-%d", o.name, kind, i+1), Document: json.RawMessage(d)})
	}
	b.acct.Users = append(b.acct.Users, u)
	b.personas = append(b.personas, &Persona{Account: b.acct.AccountID, UserName: o.name, Team: o.team, Machine: o.machine, Runtime: o.runtime, LastActive: last, Uses: o.uses})
	return &b.acct.Users[len(b.acct.Users)-1]
}

func (g *generator) account(spec accountSpec, o *Org) *snapshot.Account {
	a := &snapshot.Account{AccountID: spec.ID, Name: spec.Name, Alias: spec.Name, CollectedAt: g.now, AccessAdvisorCollected: true}
	b := &accountBuilder{g: g, acct: a, used: map[string]bool{}, groups: map[string]*snapshot.Group{}, pwdChanged: map[string]time.Time{}}

	// Groups every account with people has.
	if spec.Humans > 0 {
		for _, t := range spec.Teams {
			b.group(t+"-developers", teamPolicy[t])
			b.group(t+"-admins", "PowerUserAccess")
		}
		b.group("readonly", "ReadOnlyAccess")
		b.group("oncall", "support-tools")
		b.group("billing", "Billing")
		b.group("self-service", "IAMUserChangePassword")
		b.group("contractors", "AmazonS3ReadOnlyAccess")
		b.group("legacy-admins", "AdministratorAccess") // nobody left in it
		b.group("new-hires")                            // members, no policies
	}

	for i := 0; i < spec.Humans; i++ {
		team := spec.Teams[i%len(spec.Teams)]
		o := userOpts{name: g.name(), team: team, runtime: "laptop", groups: []string{team + "-developers", "self-service"}, uses: humanUses(team, spec.ID)}
		switch roll := g.r.IntN(100); {
		case roll < 58: // active engineer
			o.created, o.console, o.pwdUsed, o.mfa = g.between(120, 1500), true, g.between(0, 20), g.pct(88)
			if g.pct(40) {
				o.keys = []keyOpts{{created: g.between(20, 500), used: g.between(0, 25), active: true}}
			}
		case roll < 72: // left the company, never cleaned up
			o.created, o.console, o.pwdUsed, o.mfa = g.between(400, 1500), true, g.between(100, 500), g.pct(70)
			if g.pct(50) {
				k := g.between(300, 800)
				o.keys = []keyOpts{{created: k, used: g.between(100, 300), active: true}}
			}
		case roll < 82: // invited, never logged in
			o.created, o.console, o.pwdUsed = g.between(95, 400), true, -1
			if g.pct(40) {
				o.keys = []keyOpts{{created: g.between(95, 400), used: -1, active: true}}
			}
			o.groups = append(o.groups, "new-hires")
		case roll < 93: // CLI-only engineer
			o.created, o.console = g.between(100, 900), false
			o.keys = []keyOpts{{created: g.between(10, 700), used: g.between(0, 5), active: true}}
		default: // contractor
			o.created, o.console, o.pwdUsed, o.mfa = g.between(200, 700), true, g.between(150, 300), false
			o.groups = append(o.groups, "contractors")
			o.team = "contractors"
		}
		if g.pct(15) {
			o.groups = append(o.groups, team+"-admins")
		}
		if g.pct(30) {
			o.groups = append(o.groups, "readonly")
		}
		if g.pct(15) {
			o.groups = append(o.groups, "oncall")
		}
		if g.pct(8) {
			o.direct = []string{"AmazonS3FullAccess"}
		}
		if g.pct(5) {
			o.inline = []string{"bucket"}
		}
		b.user(o)
	}
	b.specials(spec)
	b.roles(spec)
	b.finish()
	b.escalationRoles() // privesc.go
	o.Personas = append(o.Personas, b.personas...)
	return a
}

func humanUses(team, acct string) []Use {
	switch team {
	case "payments":
		return []Use{{Action: "s3:GetObject", Resource: "arn:aws:s3:::acme-payments-" + acct + "/reports/daily.csv"}, {Action: "dynamodb:Query", Resource: "arn:aws:dynamodb:eu-west-1:" + acct + ":table/payments"}}
	case "data":
		return []Use{{Action: "athena:StartQueryExecution", Resource: "*"}, {Action: "s3:GetObject", Resource: "arn:aws:s3:::acme-datalake-" + acct + "/raw/events.parquet"}, {Action: "glue:GetTable", Resource: "*"}}
	case "web", "mobile":
		return []Use{{Action: "s3:PutObject", Resource: "arn:aws:s3:::acme-web-assets-" + acct + "/index.html"}, {Action: "cloudfront:CreateInvalidation", Resource: "*"}}
	case "platform":
		return []Use{{Action: "ec2:DescribeInstances", Resource: "*"}, {Action: "ecs:DescribeServices", Resource: "*"}, {Action: "cloudformation:DescribeStacks", Resource: "*"}}
	case "security":
		return []Use{{Action: "iam:GenerateCredentialReport", Resource: "*"}, {Action: "cloudtrail:LookupEvents", Resource: "*"}, {Action: "guardduty:ListFindings", Resource: "*"}}
	case "finance":
		return []Use{{Action: "ce:GetCostAndUsage", Resource: "*"}, {Action: "budgets:ViewBudget", Resource: "*"}}
	default:
		return []Use{{Action: "logs:FilterLogEvents", Resource: "*"}, {Action: "support:DescribeCases", Resource: "*"}}
	}
}

// specials adds the machine users and the people every demo needs to show a
// rule: near the group limit, admin machine users, two active keys, ...
func (b *accountBuilder) specials(spec accountSpec) {
	g := b.g
	acct := spec.ID
	bucket := func(n string) string { return "arn:aws:s3:::acme-" + n + "-" + acct }
	switch acct {
	case ManagementAccount:
		b.user(userOpts{name: "maria.schneider", team: "platform", runtime: "laptop", created: 1400, console: true, pwdUsed: 2, mfa: true,
			groups: []string{"platform-developers", "platform-admins", "finance-developers", "finance-admins", "security-developers", "support-developers", "readonly", "oncall", "billing"},
			uses:   humanUses("platform", acct)})
		b.user(userOpts{name: "terraform", team: "platform", machine: true, runtime: "ci-github", created: 1300,
			keys:   []keyOpts{{created: 700, used: 0, active: true, service: "iam"}},
			direct: []string{"AdministratorAccess"},
			uses:   []Use{{Action: "iam:GetRole", Resource: "arn:aws:iam::" + acct + ":role/OrganizationAccountAccessRole"}, {Action: "organizations:DescribeOrganization", Resource: "*"}, {Action: "s3:GetObject", Resource: bucket("tfstate") + "/org.tfstate"}}})
		b.user(userOpts{name: "legacy-billing-export", team: "finance", machine: true, runtime: "on-prem", created: 900,
			keys: []keyOpts{{created: 900, used: -1, active: true}}, direct: []string{"Billing"}})
	case "222222222222":
		b.user(userOpts{name: "security-scanner", team: "security", machine: true, runtime: "saas", created: 600,
			keys:   []keyOpts{{created: 60, used: 0, active: true, service: "iam"}},
			direct: []string{"SecurityAudit"},
			uses:   []Use{{Action: "iam:GetAccountAuthorizationDetails", Resource: "*"}, {Action: "s3:GetBucketPolicy", Resource: "arn:aws:s3:::acme-security-findings"}, {Action: "ec2:DescribeSecurityGroups", Resource: "*"}}})
	case "444444444444":
		b.user(userOpts{name: "netops-automation", team: "platform", machine: true, runtime: "on-prem", created: 800,
			keys: []keyOpts{{created: 500, used: 150, active: true, service: "ec2"}}, direct: []string{"AmazonEC2FullAccess"}})
	case "555555555555":
		b.user(userOpts{name: "ci-deployer", team: "platform", machine: true, runtime: "ci-github", created: 1000,
			keys: []keyOpts{{created: 400, used: 0, active: true, service: "ecs"}}, groups: []string{"platform-developers"},
			uses: []Use{{Action: "ecs:UpdateService", Resource: "arn:aws:ecs:eu-west-1:" + acct + ":service/prod/payments-api"}, {Action: "ecr:PutImage", Resource: "arn:aws:ecr:eu-west-1:" + acct + ":repository/payments-api"}, {Action: "ecs:RegisterTaskDefinition", Resource: "*"}, {Action: "iam:PassRole", Resource: "arn:aws:iam::" + acct + ":role/payments-api-task"}}})
		b.user(userOpts{name: "backup-agent", team: "platform", machine: true, runtime: "ec2", created: 800,
			keys: []keyOpts{{created: 800, used: 0, active: true, service: "s3"}}, direct: []string{"backup-writer"},
			uses: []Use{{Action: "s3:PutObject", Resource: bucket("backups") + "/db/nightly.dump"}, {Action: "rds:CreateDBSnapshot", Resource: "arn:aws:rds:eu-west-1:" + acct + ":db:payments"},
				// The disaster-recovery copy goes to us-east-1: a region
				// restriction to the EU would break this workload.
				{Action: "s3:PutObject", Resource: bucket("backups-dr") + "/db/nightly.dump", Region: "us-east-1"}}})
		b.user(userOpts{name: "metrics-exporter", team: "platform", machine: true, runtime: "saas", created: 700,
			keys: []keyOpts{{created: 300, used: 0, active: true, service: "monitoring"}}, direct: []string{"metrics-publisher", "AmazonS3ReadOnlyAccess"},
			// Its agent also tries to publish a dashboard it was never granted:
			// AccessDenied in the logs.
			uses: []Use{{Action: "cloudwatch:PutMetricData", Resource: "*"}, {Action: "cloudwatch:PutDashboard", Resource: "arn:aws:cloudwatch::" + acct + ":dashboard/exporter", ErrorRate: 1}}})
		b.user(userOpts{name: "payments-batch", team: "payments", machine: true, runtime: "ecs", created: 900,
			keys:   []keyOpts{{created: 600, used: 200, active: true, service: "dynamodb"}, {created: 30, used: 0, active: true, service: "dynamodb"}},
			groups: []string{"payments-developers"},
			uses:   []Use{{Action: "dynamodb:PutItem", Resource: "arn:aws:dynamodb:eu-west-1:" + acct + ":table/payments-ledger"}, {Action: "sqs:ReceiveMessage", Resource: "arn:aws:sqs:eu-west-1:" + acct + ":payments-settlement"}, {Action: "kms:Decrypt", Resource: "arn:aws:kms:eu-west-1:" + acct + ":key/1f0c2e4a-5b6d-4e7f-8a9b-0c1d2e3f4a5b"}}})
		b.user(userOpts{name: "old-etl", team: "data", machine: true, runtime: "ec2", created: 1200,
			keys: []keyOpts{{created: 1100, used: 300, active: true, service: "s3"}}, direct: []string{"data-lake-access"}})
		b.user(userOpts{name: "admin-bot", team: "platform", machine: true, runtime: "lambda", created: 500,
			keys: []keyOpts{{created: 500, used: 3, active: true, service: "iam"}}, inline: []string{"admin-inline"},
			uses: []Use{{Action: "iam:ListUsers", Resource: "*"}, {Action: "iam:ListAccessKeys", Resource: "arn:aws:iam::" + acct + ":user/*"}}})
		b.user(userOpts{name: "reporting-readonly", team: "finance", machine: true, runtime: "on-prem", created: 400,
			keys: []keyOpts{{created: 400, used: 45, active: false}}, groups: []string{"readonly"}})
	case "666666666666":
		b.user(userOpts{name: "ci-dev", team: "platform", machine: true, runtime: "ci-github", created: 700,
			keys: []keyOpts{{created: 100, used: 0, active: true, service: "ecs"}}, groups: []string{"platform-developers"},
			uses: []Use{{Action: "ecs:UpdateService", Resource: "arn:aws:ecs:eu-west-1:" + acct + ":service/dev/payments-api"}, {Action: "ecr:PutImage", Resource: "arn:aws:ecr:eu-west-1:" + acct + ":repository/payments-api"}}})
		b.user(userOpts{name: "test-runner", team: "platform", machine: true, runtime: "ci-github", created: 300,
			keys: []keyOpts{{created: 300, used: -1, active: true}}, groups: []string{"readonly"}})
		b.user(userOpts{name: "s3-uploader", team: "data", machine: true, runtime: "laptop", created: 1300,
			keys: []keyOpts{{created: 1300, used: 10, active: true, service: "s3"}}, direct: []string{"legacy-full-s3-and-iam"}, inline: []string{"self-keys"},
			uses: []Use{{Action: "s3:PutObject", Resource: bucket("datalake") + "/uploads/batch.csv"}, {Action: "s3:ListBucket", Resource: bucket("datalake")}}})
	}
	_ = g
}

func (b *accountBuilder) roles(spec accountSpec) {
	g := b.g
	acct := spec.ID
	trust := func(principal map[string]any) json.RawMessage {
		d, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}}})
		return d
	}
	role := func(name, path string, tr json.RawMessage, lastUsed int, created int, policies ...string) *snapshot.Role {
		r := snapshot.Role{ARN: b.arn("role", path, name), RoleName: name, RoleID: g.id("AROA"), Path: path,
			CreateDate: g.daysAgo(created), TrustPolicy: tr, MaxSessionDuration: 3600, AttachedPolicies: b.attach(policies...)}
		if lastUsed >= 0 {
			r.LastUsed = &snapshot.RoleLastUsed{Date: g.daysAgo(min(lastUsed, created)), Region: "eu-west-1"}
		}
		b.acct.Roles = append(b.acct.Roles, r)
		return &b.acct.Roles[len(b.acct.Roles)-1]
	}
	if acct != ManagementAccount {
		role("OrganizationAccountAccessRole", "/", trust(map[string]any{"AWS": "arn:aws:iam::" + ManagementAccount + ":root"}), g.between(0, 10), 1500, "AdministratorAccess")
	}
	role("AWSServiceRoleForSupport", "/aws-service-role/support.amazonaws.com/", trust(map[string]any{"Service": "support.amazonaws.com"}), -1, 1500)
	sso := "/aws-reserved/sso.amazonaws.com/eu-west-1/"
	samlTrust, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"Federated": "arn:aws:iam::" + acct + ":saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE"}, "Action": []string{"sts:AssumeRoleWithSAML", "sts:TagSession"}, "Condition": map[string]any{"StringEquals": map[string]any{"SAML:aud": "https://signin.aws.amazon.com/saml"}}}}})
	role("AWSReservedSSO_AdministratorAccess_0123456789abcdef", sso, samlTrust, g.between(0, 3), 700, "AdministratorAccess")
	role("AWSReservedSSO_ReadOnly_fedcba9876543210", sso, samlTrust, g.between(0, 30), 700, "ReadOnlyAccess")
	ecs := trust(map[string]any{"Service": "ecs-tasks.amazonaws.com"})
	ec2 := trust(map[string]any{"Service": "ec2.amazonaws.com"})
	lambda := trust(map[string]any{"Service": "lambda.amazonaws.com"})
	switch acct {
	case "555555555555":
		role("payments-api-task", "/", ecs, 0, 600, "payments-app-access")
		role("data-pipeline", "/", trust(map[string]any{"Service": "glue.amazonaws.com"}), 2, 500, "data-lake-access")
		role("old-migration-role", "/", ec2, 300, 900, "AmazonS3FullAccess", "AmazonDynamoDBFullAccess")
		role("unused-lambda-role", "/", lambda, -1, 200, "AWSLambda_FullAccess")
		b.acct.Roles[len(b.acct.Roles)-1].InlinePolicies = []snapshot.InlinePolicy{{PolicyName: "extra-secrets", Document: json.RawMessage(must(inlineDoc(acct, "secrets", "payments")))}}
	case "666666666666":
		r := role("dev-ec2-instance", "/", ec2, 0, 400, "CloudWatchAgentServerPolicy", "AmazonS3ReadOnlyAccess")
		r.InstanceProfiles = []string{"arn:aws:iam::" + acct + ":instance-profile/dev-ec2-instance"}
		oidc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow",
			"Principal": map[string]any{"Federated": "arn:aws:iam::" + acct + ":oidc-provider/token.actions.githubusercontent.com"},
			"Action":    "sts:AssumeRoleWithWebIdentity",
			"Condition": map[string]any{"StringEquals": map[string]any{"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}, "StringLike": map[string]any{"token.actions.githubusercontent.com:sub": "repo:acme/web:*"}}}}})
		role("github-actions-web", "/", oidc, 1, 150, "web-deploy")
	case "333333333333":
		role("log-archive-reader", "/", trust(map[string]any{"AWS": "arn:aws:iam::222222222222:root"}), 5, 800, "AmazonS3ReadOnlyAccess")
	case ManagementAccount:
		role("billing-reports", "/", lambda, 130, 1000, "Billing")
	}
}

func must(s string, _ []string) string { return s }

// finish adds the managed policies in use, the credential report, the
// password policy, Access Advisor data and the summary.
func (b *accountBuilder) finish() {
	g := b.g
	a := b.acct
	for _, gr := range sortedGroups(b.groups) {
		a.Groups = append(a.Groups, *gr)
	}
	// Managed policies: customer ones always exist; AWS ones when attached.
	counts := map[string]int32{}
	for _, u := range a.Users {
		for _, p := range u.AttachedPolicies {
			counts[p.PolicyName]++
		}
	}
	for _, gr := range a.Groups {
		for _, p := range gr.AttachedPolicies {
			counts[p.PolicyName]++
		}
	}
	for _, r := range a.Roles {
		for _, p := range r.AttachedPolicies {
			counts[p.PolicyName]++
		}
	}
	add := func(t policyTemplate) {
		path := t.Path
		if path == "" {
			path = "/"
		}
		p := snapshot.ManagedPolicy{ARN: b.policyARN(t.Name), PolicyName: t.Name, PolicyID: g.id("ANPA"), Path: path, DefaultVersionID: "v1",
			AttachmentCount: counts[t.Name], IsAttachable: true, CreateDate: g.daysAgo(g.between(500, 2000)), Document: json.RawMessage(t.Doc)}
		p.UpdateDate = p.CreateDate
		a.Policies = append(a.Policies, p)
	}
	for _, t := range awsManaged {
		if b.used[t.Name] {
			add(t)
		}
	}
	if len(a.Users) > 0 {
		for _, t := range customerPolicies(a.AccountID) {
			add(t)
		}
	}

	// Password policy: strict in management, lax in prod, none elsewhere.
	switch a.AccountID {
	case ManagementAccount:
		a.PasswordPolicy = &snapshot.PasswordPolicy{MinimumPasswordLength: 14, RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true, RequireLowercaseCharacters: true, AllowUsersToChangePassword: true, ExpirePasswords: true, MaxPasswordAge: 90, PasswordReusePrevention: 24}
	case "555555555555":
		a.PasswordPolicy = &snapshot.PasswordPolicy{MinimumPasswordLength: 8, AllowUsersToChangePassword: true}
	}

	// Access Advisor from each principal's policies and activity.
	for i := range a.Users {
		u := &a.Users[i]
		var last *time.Time
		for _, p := range b.personas {
			if p.UserName == u.UserName {
				last = p.LastActive
			}
		}
		u.AccessAdvisor = b.advisor(b.userServices(u), last, u.ARN)
	}
	for i := range a.Roles {
		r := &a.Roles[i]
		var last *time.Time
		if r.LastUsed != nil {
			last = &r.LastUsed.Date
		}
		var svcs []string
		for _, p := range r.AttachedPolicies {
			svcs = append(svcs, b.template(p.PolicyName).Services...)
		}
		r.AccessAdvisor = b.advisor(svcs, last, r.ARN)
	}
	a.CredentialReport = b.credentialReport()
	if a.AccountID == ManagementAccount {
		a.Trails = []snapshot.Trail{organizationTrail()}
	}
	a.Summary = map[string]int32{
		"Users": int32(len(a.Users)), "Groups": int32(len(a.Groups)), "Roles": int32(len(a.Roles)),
		"Policies": int32(len(customerPolicies(a.AccountID))), "UsersQuota": 5000, "GroupsPerUserQuota": 10,
		"AttachedPoliciesPerUserQuota": 10, "AccountMFAEnabled": boolInt(a.AccountID != "555555555555"),
	}
}

func boolInt(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

func sortedGroups(m map[string]*snapshot.Group) []*snapshot.Group {
	out := make([]*snapshot.Group, 0, len(m))
	for _, g := range m {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GroupName < out[j].GroupName })
	return out
}

func (b *accountBuilder) userServices(u *snapshot.User) []string {
	var svcs []string
	for _, p := range u.AttachedPolicies {
		svcs = append(svcs, b.template(p.PolicyName).Services...)
	}
	for _, gn := range u.Groups {
		if gr := b.groups[gn]; gr != nil {
			for _, p := range gr.AttachedPolicies {
				svcs = append(svcs, b.template(p.PolicyName).Services...)
			}
		}
	}
	for _, ip := range u.InlinePolicies {
		for _, kind := range []string{"self-keys", "bucket", "secrets", "admin-inline"} {
			if strings.Contains(ip.PolicyName, kind) {
				_, s := inlineDoc(b.acct.AccountID, kind, u.UserName)
				svcs = append(svcs, s...)
			}
		}
	}
	return svcs
}

var serviceNames = map[string]string{
	"ec2": "Amazon EC2", "s3": "Amazon S3", "iam": "AWS Identity and Access Management", "lambda": "AWS Lambda",
	"dynamodb": "Amazon DynamoDB", "cloudwatch": "Amazon CloudWatch", "logs": "Amazon CloudWatch Logs", "sts": "AWS Security Token Service",
	"kms": "AWS Key Management Service", "rds": "Amazon RDS", "sqs": "Amazon SQS", "sns": "Amazon SNS",
	"cloudformation": "AWS CloudFormation", "organizations": "AWS Organizations", "glue": "AWS Glue", "athena": "Amazon Athena",
	"ecs": "Amazon Elastic Container Service", "ecr": "Amazon Elastic Container Registry", "cloudfront": "Amazon CloudFront",
	"support": "AWS Support", "aws-portal": "AWS Billing", "budgets": "AWS Budgets", "ce": "AWS Cost Explorer", "cur": "AWS Cost and Usage Report",
	"secretsmanager": "AWS Secrets Manager", "ssm": "AWS Systems Manager", "elasticloadbalancing": "Elastic Load Balancing",
	"autoscaling": "Amazon EC2 Auto Scaling", "application-autoscaling": "Application Auto Scaling", "cloudtrail": "AWS CloudTrail",
	"config": "AWS Config", "guardduty": "Amazon GuardDuty", "securityhub": "AWS Security Hub", "access-analyzer": "IAM Access Analyzer",
	"s3-object-lambda": "Amazon S3 Object Lambda",
}

// advisor makes Access Advisor records: the principal's main services were
// accessed around its last activity; the rest never (or long ago).
func (b *accountBuilder) advisor(services []string, last *time.Time, entity string) []snapshot.ServiceAccess {
	g := b.g
	set := map[string]bool{}
	for _, s := range services {
		if s == "*" {
			for _, w := range wildcardServices {
				set[w] = true
			}
			continue
		}
		set[s] = true
	}
	names := make([]string, 0, len(set))
	for s := range set {
		names = append(names, s)
	}
	sort.Strings(names)
	out := make([]snapshot.ServiceAccess, 0, len(names))
	for i, s := range names {
		sa := snapshot.ServiceAccess{ServiceNamespace: s, ServiceName: serviceNames[s]}
		if sa.ServiceName == "" {
			sa.ServiceName = s
		}
		// About a third of the granted services are used by an active principal.
		if last != nil && (i%3 == 0 || g.pct(20)) {
			t := last.Add(-time.Duration(g.between(0, 72)) * time.Hour)
			sa.LastAuthenticated = &t
			sa.LastEntity = entity
			sa.LastRegion = "eu-west-1"
		}
		out = append(out, sa)
	}
	return out
}

func (b *accountBuilder) credentialReport() *credreport.Report {
	g := b.g
	a := b.acct
	ct := func(t *time.Time) credreport.Time {
		if t == nil {
			return credreport.Time{Missing: credreport.NA}
		}
		return credreport.Time{Time: t.UTC()}
	}
	rep := &credreport.Report{GeneratedTime: g.now.Add(-90 * time.Minute)}
	// Root: the prod account's root still has an access key and no MFA; the
	// management root was used recently.
	root := credreport.Row{User: credreport.RootUser, ARN: "arn:aws:iam::" + a.AccountID + ":root",
		UserCreationTime: credreport.Time{Time: g.daysAgo(2000)}, PasswordEnabled: credreport.Bool{Missing: credreport.NotSupported},
		PasswordLastUsed: credreport.Time{Missing: credreport.NA}, PasswordLastChanged: credreport.Time{Missing: credreport.NotSupported},
		PasswordNextRotation: credreport.Time{Missing: credreport.NotSupported}, MFAActive: true}
	for i := range root.AccessKeys {
		root.AccessKeys[i] = credreport.KeySlot{LastRotated: credreport.Time{Missing: credreport.NA}, LastUsedDate: credreport.Time{Missing: credreport.NA}}
		root.Certs[i] = credreport.CertSlot{LastRotated: credreport.Time{Missing: credreport.NA}}
	}
	switch a.AccountID {
	case ManagementAccount:
		root.PasswordLastUsed = credreport.Time{Time: g.daysAgo(9)}
	case "555555555555":
		root.MFAActive = false
		root.PasswordLastUsed = credreport.Time{Time: g.daysAgo(400)}
		created := g.daysAgo(1800)
		used := g.daysAgo(210)
		root.AccessKeys[0] = credreport.KeySlot{Active: true, LastRotated: credreport.Time{Time: created}, LastUsedDate: credreport.Time{Time: used}, LastUsedRegion: "us-east-1", LastUsedService: "s3"}
	}
	rep.Rows = append(rep.Rows, root)
	for _, u := range a.Users {
		row := credreport.Row{User: u.UserName, ARN: u.ARN, UserCreationTime: credreport.Time{Time: u.CreateDate},
			PasswordEnabled: credreport.Bool{Value: u.LoginProfile != nil}, PasswordLastUsed: ct(u.PasswordLastUsed),
			PasswordLastChanged: credreport.Time{Missing: credreport.NA}, PasswordNextRotation: credreport.Time{Missing: credreport.NA},
			MFAActive: len(u.MFADevices) > 0}
		if u.LoginProfile != nil {
			changed := b.pwdChanged[u.UserName]
			row.PasswordLastChanged = credreport.Time{Time: changed}
			if a.PasswordPolicy != nil && a.PasswordPolicy.MaxPasswordAge > 0 {
				row.PasswordNextRotation = credreport.Time{Time: changed.AddDate(0, 0, int(a.PasswordPolicy.MaxPasswordAge))}
			}
		} else if u.PasswordLastUsed == nil {
			row.PasswordLastUsed = credreport.Time{Missing: credreport.NA}
		}
		for i := range row.AccessKeys {
			row.AccessKeys[i] = credreport.KeySlot{LastRotated: credreport.Time{Missing: credreport.NA}, LastUsedDate: credreport.Time{Missing: credreport.NA}}
			row.Certs[i] = credreport.CertSlot{LastRotated: credreport.Time{Missing: credreport.NA}}
		}
		// Slots in creation order, as IAM fills them.
		keys := append([]snapshot.AccessKey(nil), u.AccessKeys...)
		sort.Slice(keys, func(i, j int) bool { return keys[i].CreateDate.Before(keys[j].CreateDate) })
		for i, k := range keys {
			if i > 1 {
				break
			}
			s := credreport.KeySlot{Active: k.Active(), LastRotated: credreport.Time{Time: k.CreateDate}, LastUsedDate: credreport.Time{Missing: credreport.NA}}
			if k.LastUsed != nil {
				s.LastUsedDate = credreport.Time{Time: k.LastUsed.Date}
				s.LastUsedRegion, s.LastUsedService = k.LastUsed.Region, k.LastUsed.ServiceName
			}
			row.AccessKeys[i] = s
		}
		rep.Rows = append(rep.Rows, row)
	}
	return rep
}

// organizationTrail is the demo's one trail: an organization trail in the
// management account, logging management events in every region and the
// data events of S3 objects and DynamoDB tables (not Lambda invocations)
// into the log archive account's bucket — the logs the demo generates.
func organizationTrail() snapshot.Trail {
	return snapshot.Trail{
		Name: "acme-org-trail", ARN: "arn:aws:cloudtrail:" + HomeRegion + ":" + ManagementAccount + ":trail/acme-org-trail",
		HomeRegion: HomeRegion, S3BucketName: "acme-cloudtrail-333333333333", IsMultiRegion: true, IsOrganizationTrail: true,
		IncludeGlobalServiceEvents: true, IsLogging: true,
		AdvancedEventSelectors: json.RawMessage(`[{"Name":"Management events","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},` +
			`{"Name":"S3 object data events","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]}]},` +
			`{"Name":"DynamoDB data events","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::DynamoDB::Table"]}]}]`),
	}
}
