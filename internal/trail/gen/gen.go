// Package gen writes deterministic CloudTrail logs in the exact record
// schema: the demo uses it to give its organization a history, tests use it
// for known corpora, and benchmarks use it for gigabytes of realistic logs.
//
// A Spec lists principals and what they do (events on resources, at rates,
// from addresses and user agents, with error rates). Generate walks the time
// window in 5-minute slots per account and region — CloudTrail's delivery
// period (CloudTrail User Guide, "How CloudTrail works": log files are
// delivered about every 5 minutes) — and writes one gzip file per slot that
// has events, named and foldered like CloudTrail's S3 delivery.
package gen

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Principal types (userIdentity.type values, plus IdentityCenter for an
// AWSReservedSSO_* role session).
const (
	IAMUser            = "IAMUser"
	AssumedRole        = "AssumedRole"
	IdentityCenter     = "IdentityCenter"
	Root               = "Root"
	AWSService         = "AWSService"
	FederatedUser      = "FederatedUser"
	AWSAccount         = "AWSAccount"
	SAMLUser           = "SAMLUser"
	WebIdentityUser    = "WebIdentityUser"
	IdentityCenterUser = "IdentityCenterUser"
)

// Spec describes a corpus.
type Spec struct {
	Seed  uint64
	OrgID string // "o-…": organization trail layout AWSLogs/o-…/ACCOUNT/…; "" for an account trail
	Start time.Time
	End   time.Time
	// Principals and their activities.
	Principals []Principal
	// Parallel generators (0: GOMAXPROCS).
	Parallel int
	// GzipLevel (0: gzip.BestSpeed, fast enough for multi-GB benchmark corpora).
	GzipLevel int
}

// Principal is someone (or something) calling AWS.
type Principal struct {
	Type    string
	Account string // the principal's own account
	// Name: user name, role name, permission set name (IdentityCenter),
	// service host (AWSService, e.g. "ec2.amazonaws.com"), federated user
	// name, identity provider (SAMLUser/WebIdentityUser).
	Name   string
	Path   string // IAM path, "/" by default
	Issuer string // FederatedUser: the IAM user that called GetFederationToken
	// AccessKeyID: long-term key of an IAMUser (AKIA…). Sessions get ASIA
	// keys derived from the seed.
	AccessKeyID    string
	SessionName    string // role session name (default: derived)
	SourceIdentity string
	SourceIPs      []string // default: one public address
	UserAgents     []string // default: an AWS CLI user agent
	VPCEndpoint    string   // vpce-… for calls through an interface/gateway endpoint
	// Until ends the principal's activity before the spec's end (a key that
	// went quiet, a workload switched off); zero: active to the end.
	Until      time.Time
	Activities []Activity
}

// Activity is one kind of call a principal makes.
type Activity struct {
	EventSource string // "s3.amazonaws.com"
	EventName   string // "GetObject"
	Account     string // recipient account (default: the principal's): cross-account when different
	Region      string // default us-east-1
	// Resources the calls go to; one is picked per event. Their meaning
	// depends on the service: "bucket/key" for S3, a table name for
	// DynamoDB, a function name for Lambda, an ARN for others.
	Resources []string
	PerHour   float64 // mean events per hour
	// ErrorRate is the fraction of calls failing with ErrorCode (default
	// AccessDenied).
	ErrorRate float64
	ErrorCode string
	// EventType overrides the record's eventType (default AwsApiCall, or
	// AwsConsoleSignIn for sign-in events); "AwsServiceEvent" for events an
	// AWS service emits on its own (key rotation, scheduled actions).
	EventType string
}

// Stats counts what Generate wrote.
type Stats struct {
	Files             int64
	Records           int64
	Bytes             int64 // compressed
	UncompressedBytes int64
}

// Sink receives each finished log object: its key (AWSLogs/…/file.json.gz)
// and gzip content. DirSink writes files; an S3 test can PutObject instead.
type Sink func(key string, gz []byte) error

// DirSink writes objects under dir.
func DirSink(dir string) Sink {
	return func(key string, gz []byte) error {
		p := filepath.Join(dir, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, gz, 0o644)
	}
}

// stream is one (account, region) delivery stream.
type stream struct {
	account, region string
	acts            []boundActivity
}

type boundActivity struct {
	p *Principal
	a *Activity
	n int // index for deterministic ids
}

// Generate writes the corpus to sink.
func Generate(spec Spec, sink Sink) (Stats, error) {
	if !spec.End.After(spec.Start) {
		return Stats{}, fmt.Errorf("gen: end %s is not after start %s", spec.End, spec.Start)
	}
	streams := map[string]*stream{}
	var order []string
	for i := range spec.Principals {
		p := &spec.Principals[i]
		for j := range p.Activities {
			a := &p.Activities[j]
			acct := a.Account
			if acct == "" {
				acct = p.Account
			}
			region := a.Region
			if region == "" {
				region = "us-east-1"
			}
			k := acct + "/" + region
			s := streams[k]
			if s == nil {
				s = &stream{account: acct, region: region}
				streams[k] = s
				order = append(order, k)
			}
			s.acts = append(s.acts, boundActivity{p: p, a: a, n: i*1000 + j})
		}
	}
	slices.Sort(order)
	par := spec.Parallel
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	var (
		mu    sync.Mutex
		total Stats
		first error
		wg    sync.WaitGroup
	)
	jobs := make(chan *stream)
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range jobs {
				st, err := genStream(&spec, s, sink)
				mu.Lock()
				total.Files += st.Files
				total.Records += st.Records
				total.Bytes += st.Bytes
				total.UncompressedBytes += st.UncompressedBytes
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, k := range order {
		jobs <- streams[k]
	}
	close(jobs)
	wg.Wait()
	return total, first
}

func hash(parts ...string) uint64 {
	var h uint64 = 14695981039346656037
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h ^= uint64(p[i])
			h *= 1099511628211
		}
		h ^= 0xff
		h *= 1099511628211
	}
	return h
}

const slot = 5 * time.Minute

func genStream(spec *Spec, s *stream, sink Sink) (Stats, error) {
	var st Stats
	rng := rand.New(rand.NewPCG(spec.Seed, hash(s.account, s.region)))
	level := spec.GzipLevel
	if level == 0 {
		level = gzip.BestSpeed
	}
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, level)
	w := &writer{rng: rng}
	type ev struct {
		t  time.Time
		ba *boundActivity
	}
	var evs []ev
	for t0 := spec.Start.UTC().Truncate(slot); t0.Before(spec.End); t0 = t0.Add(slot) {
		evs = evs[:0]
		for i := range s.acts {
			ba := &s.acts[i]
			mean := ba.a.PerHour * slot.Hours()
			n := poisson(rng, mean)
			for k := 0; k < n; k++ {
				t := t0.Add(time.Duration(rng.Int64N(int64(slot))))
				if t.Before(spec.Start) || !t.Before(spec.End) || (!ba.p.Until.IsZero() && !t.Before(ba.p.Until)) {
					continue
				}
				evs = append(evs, ev{t.Truncate(time.Second), ba})
			}
		}
		if len(evs) == 0 {
			continue
		}
		slices.SortStableFunc(evs, func(a, b ev) int { return a.t.Compare(b.t) })
		w.b = w.b[:0]
		w.b = append(w.b, `{"Records":[`...)
		for i, e := range evs {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.record(e.t, s.account, s.region, e.ba)
		}
		w.b = append(w.b, "]}"...)
		st.Records += int64(len(evs))
		st.UncompressedBytes += int64(len(w.b))
		out.Reset()
		zw.Reset(&out)
		if _, err := zw.Write(w.b); err != nil {
			return st, err
		}
		if err := zw.Close(); err != nil {
			return st, err
		}
		deliver := t0.Add(slot)
		key := objectKey(spec.OrgID, s.account, s.region, deliver, rng)
		if err := sink(key, out.Bytes()); err != nil {
			return st, fmt.Errorf("gen: write %s: %w", key, err)
		}
		st.Files++
		st.Bytes += int64(out.Len())
	}
	return st, nil
}

// objectKey follows CloudTrail's S3 delivery naming: AWSLogs/[o-…/]ACCOUNT/
// CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQUE.json.gz
// (CloudTrail User Guide, "CloudTrail log file examples": file name format).
func objectKey(org, account, region string, t time.Time, rng *rand.Rand) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var uniq [16]byte
	for i := range uniq {
		uniq[i] = alnum[rng.IntN(len(alnum))]
	}
	prefix := "AWSLogs/"
	if org != "" {
		prefix += org + "/"
	}
	return fmt.Sprintf("%s%s/CloudTrail/%s/%04d/%02d/%02d/%s_CloudTrail_%s_%sZ_%s.json.gz",
		prefix, account, region, t.Year(), int(t.Month()), t.Day(), account, region, t.Format("20060102T1504"), uniq[:])
}

// poisson draws a Poisson variate (Knuth for small means, normal
// approximation for large ones).
func poisson(rng *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 50 {
		v := int(math.Round(mean + math.Sqrt(mean)*rng.NormFloat64()))
		return max(v, 0)
	}
	l := math.Exp(-mean)
	k, p := 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// ids derived from names, so the same spec gives the same ids.
func idOf(prefix string, parts ...string) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	h := hash(parts...)
	var b [16]byte
	for i := range b {
		b[i] = chars[h%32]
		h = h/32 ^ (h << 7) ^ uint64(i)*0x9E3779B97F4A7C15
	}
	return prefix + string(b[:])
}

// SessionKeyID is the ASIA key the generator gives a principal's sessions.
func SessionKeyID(p *Principal) string { return idOf("ASIA", "session", p.Account, p.Type, p.Name) }

func (p *Principal) path() string {
	if p.Path == "" {
		return "/"
	}
	return p.Path
}

// RoleARN is the ARN of an AssumedRole / IdentityCenter principal's role.
func (p *Principal) RoleARN() string {
	if p.Type == IdentityCenter {
		return fmt.Sprintf("arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/%s", p.Account, ssoRoleName(p))
	}
	return fmt.Sprintf("arn:aws:iam::%s:role%s%s", p.Account, p.path(), p.Name)
}

func ssoRoleName(p *Principal) string {
	return "AWSReservedSSO_" + p.Name + "_" + strings.ToLower(idOf("", "sso", p.Account, p.Name))[:16]
}

func (p *Principal) sessionName() string {
	if p.SessionName != "" {
		return p.SessionName
	}
	if p.Type == IdentityCenter {
		return strings.ToLower(p.Name) + "-user@example.com"
	}
	return "session-" + strings.ToLower(idOf("", "sess", p.Name))[:8]
}

// writer appends records as JSON.
type writer struct {
	b   []byte
	rng *rand.Rand
}

// str appends s as a JSON string.
func (w *writer) str(s string) {
	w.b = append(w.b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			w.b = append(w.b, '\\', c)
		case c < 0x20:
			w.b = append(w.b, fmt.Sprintf(`\u%04x`, c)...)
		default:
			w.b = append(w.b, c)
		}
	}
	w.b = append(w.b, '"')
}

func (w *writer) kv(k, v string) {
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, `":`...)
	w.str(v)
	w.b = append(w.b, ',')
}

func (w *writer) uuid() string {
	var u [16]byte
	a, b := w.rng.Uint64(), w.rng.Uint64()
	for i := 0; i < 8; i++ {
		u[i] = byte(a >> (8 * i))
		u[8+i] = byte(b >> (8 * i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

var versions = []string{"1.08", "1.09", "1.10", "1.11"}

func (w *writer) record(t time.Time, account, region string, ba *boundActivity) {
	p, a := ba.p, ba.a
	data := isDataEvent(a.EventSource, a.EventName)
	version := versions[w.rng.IntN(len(versions))]
	if data && version == "1.08" {
		version = "1.09"
	}
	w.b = append(w.b, '{')
	w.kv("eventVersion", version)
	w.identity(t, p, a.EventSource == "signin.amazonaws.com")
	w.kv("eventTime", t.UTC().Format("2006-01-02T15:04:05Z"))
	w.kv("eventSource", a.EventSource)
	w.kv("eventName", a.EventName)
	w.kv("awsRegion", region)
	ip := pick(w.rng, p.SourceIPs, "203.0.113.10")
	ua := pick(w.rng, p.UserAgents, "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#"+strings.ToLower(a.EventName))
	if p.Type == AWSService {
		ip, ua = p.Name, p.Name
	}
	w.kv("sourceIPAddress", ip)
	w.kv("userAgent", ua)
	failed := a.ErrorRate > 0 && w.rng.Float64() < a.ErrorRate
	res := pick(w.rng, a.Resources, "")
	if failed {
		code := a.ErrorCode
		if code == "" {
			code = "AccessDenied"
		}
		w.kv("errorCode", code)
		w.kv("errorMessage", fmt.Sprintf("User: %s is not authorized to perform: %s:%s on resource: %s because no identity-based policy allows the action",
			principalARN(p), prefixOf(a.EventSource), a.EventName, res))
	}
	w.b = append(w.b, `"requestParameters":`...)
	w.requestParameters(a, res, account, region, p)
	w.b = append(w.b, ',')
	w.b = append(w.b, `"responseElements":`...)
	if failed || data {
		w.b = append(w.b, "null"...)
	} else {
		w.responseElements(a, p, t)
	}
	w.b = append(w.b, ',')
	if a.EventSource == "s3.amazonaws.com" {
		fmt.Fprintf((*appender)(&w.b), `"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"%s","bytesTransferredOut":%d},`,
			idOf("", w.uuid())+idOf("", "x"), w.rng.IntN(1<<20))
	}
	w.kv("requestID", strings.ToUpper(strings.ReplaceAll(w.uuid(), "-", "")[:20]))
	w.kv("eventID", w.uuid())
	readOnly := strings.HasPrefix(a.EventName, "Get") || strings.HasPrefix(a.EventName, "List") || strings.HasPrefix(a.EventName, "Describe") || strings.HasPrefix(a.EventName, "Head")
	w.b = append(w.b, `"readOnly":`...)
	w.b = strconv.AppendBool(w.b, readOnly)
	w.b = append(w.b, ',')
	if r := resourcesOf(a, res, account, region); r != "" {
		w.b = append(w.b, `"resources":`...)
		w.b = append(w.b, r...)
		w.b = append(w.b, ',')
	}
	evType := "AwsApiCall"
	switch {
	case a.EventType != "":
		evType = a.EventType
	case a.EventSource == "signin.amazonaws.com":
		evType = "AwsConsoleSignIn"
	}
	w.kv("eventType", evType)
	w.b = append(w.b, `"managementEvent":`...)
	w.b = strconv.AppendBool(w.b, !data)
	w.b = append(w.b, ',')
	w.kv("recipientAccountId", account)
	if p.Account != "" && p.Account != account {
		w.kv("sharedEventID", w.uuid())
	}
	if p.VPCEndpoint != "" {
		w.kv("vpcEndpointId", p.VPCEndpoint)
		w.kv("vpcEndpointAccountId", account)
	}
	if data {
		w.kv("eventCategory", "Data")
	} else {
		w.kv("eventCategory", "Management")
	}
	if version >= "1.08" && p.Type != AWSService {
		fmt.Fprintf((*appender)(&w.b), `"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"%s"},`, hostOf(a.EventSource, region))
	}
	if version >= "1.11" && p.Type == IAMUser {
		w.b = append(w.b, `"sessionCredentialFromConsole":"false",`...)
	}
	w.b = w.b[:len(w.b)-1] // trailing comma
	w.b = append(w.b, '}')
}

type appender []byte

func (a *appender) Write(p []byte) (int, error) { *a = append(*a, p...); return len(p), nil }

func pick(rng *rand.Rand, list []string, def string) string {
	if len(list) == 0 {
		return def
	}
	return list[rng.IntN(len(list))]
}

func prefixOf(source string) string {
	h := strings.TrimSuffix(source, ".amazonaws.com")
	switch h {
	case "monitoring":
		return "cloudwatch"
	case "tagging":
		return "tag"
	}
	return h
}

func hostOf(source, region string) string {
	h := strings.TrimSuffix(source, ".amazonaws.com")
	switch h {
	case "iam", "sts", "organizations", "signin", "cloudfront":
		return source
	}
	return h + "." + region + ".amazonaws.com"
}

func isDataEvent(source, name string) bool {
	switch source {
	case "s3.amazonaws.com":
		switch name {
		case "GetObject", "PutObject", "DeleteObject", "HeadObject", "CopyObject", "DeleteObjects", "GetObjectTagging", "PutObjectTagging",
			"CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "ListParts", "GetObjectAcl", "RestoreObject", "SelectObjectContent":
			return true
		}
	case "lambda.amazonaws.com":
		return name == "Invoke"
	case "dynamodb.amazonaws.com":
		switch name {
		case "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem", "ExecuteStatement", "TransactWriteItems", "TransactGetItems":
			return true
		}
	}
	return false
}

func principalARN(p *Principal) string {
	switch p.Type {
	case IAMUser:
		return fmt.Sprintf("arn:aws:iam::%s:user%s%s", p.Account, p.path(), p.Name)
	case AssumedRole:
		return fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", p.Account, p.Name, p.sessionName())
	case IdentityCenter:
		return fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", p.Account, ssoRoleName(p), p.sessionName())
	case Root:
		return fmt.Sprintf("arn:aws:iam::%s:root", p.Account)
	case FederatedUser:
		return fmt.Sprintf("arn:aws:sts::%s:federated-user/%s", p.Account, p.Name)
	}
	return p.Name
}

func (w *writer) identity(t time.Time, p *Principal, console bool) {
	b := &w.b
	*b = append(*b, `"userIdentity":{`...)
	switch p.Type {
	case IAMUser:
		w.kv("type", "IAMUser")
		w.kv("principalId", idOf("AIDA", "user", p.Account, p.Name))
		w.kv("arn", principalARN(p))
		w.kv("accountId", p.Account)
		if !console {
			key := p.AccessKeyID
			if key == "" {
				key = idOf("AKIA", "key", p.Account, p.Name)
			}
			w.kv("accessKeyId", key)
		}
		w.kv("userName", p.Name)
	case AssumedRole, IdentityCenter:
		roleName := p.Name
		if p.Type == IdentityCenter {
			roleName = ssoRoleName(p)
		}
		roleID := idOf("AROA", "role", p.Account, roleName)
		w.kv("type", "AssumedRole")
		w.kv("principalId", roleID+":"+p.sessionName())
		w.kv("arn", principalARN(p))
		w.kv("accountId", p.Account)
		w.kv("accessKeyId", SessionKeyID(p))
		*b = append(*b, `"sessionContext":{"sessionIssuer":{`...)
		w.kv("type", "Role")
		w.kv("principalId", roleID)
		w.kv("arn", p.RoleARN())
		w.kv("accountId", p.Account)
		w.kv("userName", roleName)
		*b = (*b)[:len(*b)-1]
		*b = append(*b, `},"webIdFederationData":{},"attributes":{"creationDate":`...)
		w.str(t.Add(-17 * time.Minute).UTC().Format("2006-01-02T15:04:05Z"))
		*b = append(*b, `,"mfaAuthenticated":"false"}`...)
		if p.SourceIdentity != "" {
			*b = append(*b, `,"sourceIdentity":`...)
			w.str(p.SourceIdentity)
		}
		*b = append(*b, "},"...)
		if p.SourceIPs == nil && p.Type == AssumedRole && strings.Contains(p.Name, "ecs") {
			w.kv("invokedBy", "ecs-tasks.amazonaws.com")
		}
	case Root:
		w.kv("type", "Root")
		w.kv("principalId", p.Account)
		w.kv("arn", principalARN(p))
		w.kv("accountId", p.Account)
		w.kv("accessKeyId", SessionKeyID(p))
	case AWSService:
		w.kv("type", "AWSService")
		w.kv("invokedBy", p.Name)
	case FederatedUser:
		w.kv("type", "FederatedUser")
		w.kv("principalId", p.Account+":"+p.Name)
		w.kv("arn", principalARN(p))
		w.kv("accountId", p.Account)
		w.kv("accessKeyId", SessionKeyID(p))
		*b = append(*b, `"sessionContext":{"sessionIssuer":{`...)
		w.kv("type", "IAMUser")
		w.kv("principalId", idOf("AIDA", "user", p.Account, p.Issuer))
		w.kv("arn", fmt.Sprintf("arn:aws:iam::%s:user/%s", p.Account, p.Issuer))
		w.kv("accountId", p.Account)
		w.kv("userName", p.Issuer)
		*b = (*b)[:len(*b)-1]
		*b = append(*b, `},"webIdFederationData":{},"attributes":{"creationDate":"`...)
		*b = append(*b, t.Add(-3*time.Minute).UTC().Format("2006-01-02T15:04:05Z")...)
		*b = append(*b, `","mfaAuthenticated":"false"}},`...)
	case AWSAccount:
		w.kv("type", "AWSAccount")
		w.kv("principalId", idOf("AIDA", "xacct", p.Account, p.Name))
		w.kv("accountId", p.Account)
	case SAMLUser:
		w.kv("type", "SAMLUser")
		w.kv("principalId", "SAML:"+p.SessionName)
		w.kv("userName", p.SessionName)
		w.kv("identityProvider", p.Name)
	case WebIdentityUser:
		w.kv("type", "WebIdentityUser")
		w.kv("principalId", p.Name+":"+p.SessionName)
		w.kv("userName", p.SessionName)
		w.kv("identityProvider", p.Name)
	case IdentityCenterUser:
		w.kv("type", "IdentityCenterUser")
		w.kv("accountId", p.Account)
		*b = append(*b, `"onBehalfOf":{"userId":`...)
		w.str(strings.ToLower(idOf("", "icu", p.Name)))
		*b = append(*b, `,"identityStoreArn":`...)
		w.str("arn:aws:identitystore::" + p.Account + ":identitystore/d-9067" + strings.ToLower(idOf("", "ids", p.Account))[:6])
		*b = append(*b, "},"...)
		w.kv("credentialId", w.uuid())
	default:
		w.kv("type", p.Type)
		w.kv("principalId", p.Name)
	}
	if (*b)[len(*b)-1] == ',' {
		*b = (*b)[:len(*b)-1]
	}
	*b = append(*b, "},"...)
}

func (w *writer) requestParameters(a *Activity, res, account, region string, p *Principal) {
	b := &w.b
	bucket, key, _ := strings.Cut(res, "/")
	switch a.EventSource {
	case "s3.amazonaws.com":
		*b = append(*b, `{"bucketName":`...)
		w.str(bucket)
		*b = append(*b, `,"Host":`...)
		w.str(bucket + ".s3." + region + ".amazonaws.com")
		if key != "" {
			*b = append(*b, `,"key":`...)
			w.str(key)
		}
		switch a.EventName {
		case "ListObjects", "ListObjectsV2":
			*b = append(*b, `,"list-type":"2","prefix":"","delimiter":"/","encoding-type":"url","max-keys":"1000"`...)
		case "CopyObject":
			*b = append(*b, `,"x-amz-copy-source":`...)
			w.str(bucket + "/source/" + key)
		case "PutObject":
			*b = append(*b, `,"x-amz-server-side-encryption":"aws:kms","x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:`...)
			*b = append(*b, region+":"+account+":key/"+strings.ToLower(idOf("", "k", account))+`"`...)
		}
		*b = append(*b, '}')
	case "dynamodb.amazonaws.com":
		if a.EventName == "ExecuteStatement" {
			*b = append(*b, `{"statement":`...)
			w.str(`SELECT * FROM "` + res + `" WHERE pk = ?`)
			*b = append(*b, '}')
			return
		}
		*b = append(*b, `{"tableName":`...)
		w.str(res)
		fmt.Fprintf((*appender)(b), `,"key":{"pk":{"S":"HIDDEN_DUE_TO_SECURITY_REASONS"},"sk":{"S":"HIDDEN_DUE_TO_SECURITY_REASONS"}},"consistentRead":false,"returnConsumedCapacity":"TOTAL","projectionExpression":"#n0, #n1, #n2","expressionAttributeNames":{"#n0":"status","#n1":"updatedAt","#n2":"owner"}}`)
	case "lambda.amazonaws.com":
		*b = append(*b, `{"functionName":`...)
		if strings.HasPrefix(res, "arn:") {
			w.str(res)
		} else {
			w.str("arn:aws:lambda:" + region + ":" + account + ":function:" + res)
		}
		if a.EventName == "Invoke" {
			*b = append(*b, `,"invocationType":"RequestResponse","logType":"None"`...)
		}
		*b = append(*b, '}')
	case "sts.amazonaws.com":
		switch a.EventName {
		case "AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity":
			*b = append(*b, `{"roleArn":`...)
			w.str(res)
			*b = append(*b, `,"roleSessionName":`...)
			w.str(p.sessionName())
			*b = append(*b, `,"durationSeconds":3600}`...)
		default:
			*b = append(*b, "null"...)
		}
	case "kms.amazonaws.com":
		*b = append(*b, `{"keyId":`...)
		w.str(res)
		*b = append(*b, `,"encryptionAlgorithm":"SYMMETRIC_DEFAULT","encryptionContext":{"aws:s3:arn":"arn:aws:s3:::example-bucket/data/file.parquet"}}`...)
	case "secretsmanager.amazonaws.com":
		*b = append(*b, `{"secretId":`...)
		w.str(res)
		*b = append(*b, '}')
	case "ssm.amazonaws.com":
		*b = append(*b, `{"name":`...)
		w.str(res)
		*b = append(*b, `,"withDecryption":true}`...)
	case "sqs.amazonaws.com":
		*b = append(*b, `{"queueUrl":`...)
		w.str("https://sqs." + region + ".amazonaws.com/" + account + "/" + res)
		*b = append(*b, `,"maxNumberOfMessages":10,"waitTimeSeconds":20}`...)
	case "sns.amazonaws.com":
		*b = append(*b, `{"topicArn":`...)
		w.str("arn:aws:sns:" + region + ":" + account + ":" + res)
		*b = append(*b, `,"messageStructure":"string"}`...)
	case "iam.amazonaws.com":
		switch {
		case strings.Contains(a.EventName, "Role"):
			*b = append(*b, `{"roleName":`...)
		case strings.Contains(a.EventName, "Policy") && strings.HasPrefix(res, "arn:"):
			*b = append(*b, `{"policyArn":`...)
		default:
			*b = append(*b, `{"userName":`...)
		}
		w.str(res)
		*b = append(*b, '}')
	case "ecr.amazonaws.com":
		if a.EventName == "GetAuthorizationToken" {
			*b = append(*b, `{"registryIds":[]}`...)
			return
		}
		*b = append(*b, `{"repositoryName":`...)
		w.str(res)
		*b = append(*b, `,"imageIds":[{"imageTag":"latest"}],"acceptedMediaTypes":["application/vnd.docker.distribution.manifest.v2+json","application/vnd.oci.image.manifest.v1+json"]}`...)
	case "logs.amazonaws.com":
		*b = append(*b, `{"logGroupName":`...)
		w.str(res)
		*b = append(*b, '}')
	case "ec2.amazonaws.com":
		// Describe calls carry the nested, verbose parameter sets of the EC2 Query API.
		fmt.Fprintf((*appender)(b), `{"instancesSet":{"items":[{"instanceId":"i-%016x"}]},"filterSet":{"items":[{"name":"instance-state-name","valueSet":{"items":[{"value":"running"},{"value":"stopped"}]}},{"name":"tag:Environment","valueSet":{"items":[{"value":"prod"}]}}]},"maxResults":1000}`, w.rng.Uint64()>>1)
	case "signin.amazonaws.com":
		*b = append(*b, "null"...)
	default:
		if res == "" {
			*b = append(*b, "null"...)
			return
		}
		*b = append(*b, `{"resourceArn":`...)
		w.str(res)
		*b = append(*b, '}')
	}
}

func (w *writer) responseElements(a *Activity, p *Principal, t time.Time) {
	b := &w.b
	switch {
	case a.EventSource == "sts.amazonaws.com" && strings.HasPrefix(a.EventName, "Assume"):
		fmt.Fprintf((*appender)(b), `{"credentials":{"accessKeyId":"%s","sessionToken":"HIDDEN","expiration":"%s"},"assumedRoleUser":{"assumedRoleId":"AROA:%s","arn":"arn:aws:sts::assumed"}}`,
			idOf("ASIA", "issued", w.uuid()), t.Add(time.Hour).UTC().Format("Jan 2, 2006, 3:04:05 PM"), p.sessionName())
	case a.EventSource == "signin.amazonaws.com":
		*b = append(*b, `{"ConsoleLogin":"Success"}`...)
	default:
		*b = append(*b, "null"...)
	}
}

func resourcesOf(a *Activity, res, account, region string) string {
	if res == "" {
		return ""
	}
	switch a.EventSource {
	case "s3.amazonaws.com":
		bucket, key, _ := strings.Cut(res, "/")
		if key != "" {
			return fmt.Sprintf(`[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::%s/%s"},{"accountId":"%s","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::%s"}]`, bucket, key, account, bucket)
		}
		return fmt.Sprintf(`[{"accountId":"%s","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::%s"}]`, account, bucket)
	case "lambda.amazonaws.com":
		if a.EventName == "Invoke" {
			arn := res
			if !strings.HasPrefix(arn, "arn:") {
				arn = "arn:aws:lambda:" + region + ":" + account + ":function:" + res
			}
			return fmt.Sprintf(`[{"accountId":"%s","type":"AWS::Lambda::Function","ARN":"%s"}]`, account, arn)
		}
	case "dynamodb.amazonaws.com":
		if a.EventName != "ExecuteStatement" {
			return fmt.Sprintf(`[{"accountId":"%s","type":"AWS::DynamoDB::Table","ARN":"arn:aws:dynamodb:%s:%s:table/%s"}]`, account, region, account, res)
		}
	case "kms.amazonaws.com":
		return fmt.Sprintf(`[{"accountId":"%s","type":"AWS::KMS::Key","ARN":"%s"}]`, account, res)
	case "sts.amazonaws.com":
		return fmt.Sprintf(`[{"accountId":"%s","type":"AWS::IAM::Role","ARN":"%s"}]`, account, res)
	}
	return ""
}
