package trail

import (
	"bytes"
	"strings"
	"time"
)

// Principal types seiri stores (usage.Key.PrincipalType).
const (
	PTIAMUser            = "IAMUser"
	PTAssumedRole        = "AssumedRole"
	PTIdentityCenter     = "IdentityCenter" // an AWSReservedSSO_* role session
	PTRoot               = "Root"
	PTAWSService         = "AWSService"
	PTFederatedUser      = "FederatedUser"
	PTAWSAccount         = "AWSAccount"
	PTSAMLUser           = "SAMLUser"
	PTWebIdentityUser    = "WebIdentityUser"
	PTIdentityCenterUser = "IdentityCenterUser"
	PTAnonymous          = "Anonymous" // an unsigned request (S3 public access)
	PTUnknown            = "Unknown"
)

// PrincipalAnonymous is the principal seiri records for unsigned requests.
// CloudTrail logs them with accountId "ANONYMOUS_PRINCIPAL" (Amazon S3 User
// Guide, "Logging Amazon S3 API calls using AWS CloudTrail").
const PrincipalAnonymous = "anonymous"

var (
	bAnonymous       = []byte("ANONYMOUS_PRINCIPAL")
	bAwsServiceEvent = []byte("AwsServiceEvent")
)

// principalOf is normalizePrincipal with what the rest of the record says:
// unsigned requests are "anonymous"; a SAML user is the SAML provider ARN
// AssumeRoleWithSAML names in requestParameters.principalArn (userIdentity's
// identityProvider is an opaque hash for SAML: CloudTrail User Guide,
// "Values for AWS STS APIs with SAML and web identity federation"); an
// identity without a type that an AWS service acted through (invokedBy, or
// an AwsServiceEvent) is that service.
func principalOf(dst []byte, r *Record, part string) (arn []byte, typ string, session []byte, out []byte) {
	id := &r.Identity
	switch {
	case bytes.Equal(id.AccountID, bAnonymous) || bytes.Equal(id.PrincipalID, bAnonymous):
		start := len(dst)
		dst = append(dst, PrincipalAnonymous...)
		return dst[start:], PTAnonymous, nil, dst
	case string(id.Type) == "SAMLUser" && bytes.HasPrefix(r.Req.PrincipalARN, bArn):
		return r.Req.PrincipalARN, PTSAMLUser, id.UserName, dst
	case len(id.Type) == 0 && len(id.ARN) == 0 && (len(id.InvokedBy) > 0 || bytes.Equal(r.EventType, bAwsServiceEvent)):
		if len(id.InvokedBy) > 0 {
			return id.InvokedBy, PTAWSService, nil, dst
		}
		if len(r.EventSource) > 0 {
			return r.EventSource, PTAWSService, nil, dst
		}
		return nil, PTAWSService, nil, dst
	}
	return normalizePrincipal(dst, id, part)
}

// knownEventVersion accepts the record versions seiri reads: every 1.x
// (CloudTrail record contents, eventVersion: currently 1.11; minor versions
// add fields) and a missing version, which exports and some public datasets
// drop and which says nothing against the record. A major version seiri
// does not know (2.0) is refused rather than misread.
func knownEventVersion(v []byte) bool {
	if len(v) == 0 {
		return true
	}
	rest, ok := bytes.CutPrefix(v, []byte("1."))
	return ok && len(rest) > 0 && len(rest) <= 3 && allDigits(string(rest))
}

// parseEventTime reads eventTime ("2026-11-02T10:04:05Z", always UTC in
// CloudTrail) as Unix seconds, quickly for the common form.
func parseEventTime(b []byte) (int64, bool) {
	if len(b) == 20 && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' && b[16] == ':' && b[19] == 'Z' {
		y, ok1 := atoi(b[0:4])
		mo, ok2 := atoi(b[5:7])
		d, ok3 := atoi(b[8:10])
		h, ok4 := atoi(b[11:13])
		mi, ok5 := atoi(b[14:16])
		s, ok6 := atoi(b[17:19])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s < 61 {
			return daysFromCivil(y, mo, d)*86400 + int64(h*3600+mi*60+s), true
		}
		return 0, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return 0, false
	}
	return t.Unix(), true
}

// atoi reads a run of decimal digits (no sign): false if any byte is not
// a digit. A string or a byte slice, without a conversion.
func atoi[T ~string | ~[]byte](b T) (int, bool) {
	n := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysFromCivil is Howard Hinnant's days_from_civil: days since 1970-01-01.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// IP classes (usage.Row.IPClasses).
const (
	IPAWSInternal = "aws-internal"
	IPPrivate     = "private"
	IPPublic      = "public"
	IPv6          = "ipv6"
	IPServicePfx  = "aws-service:"
)

// ipClass classifies sourceIPAddress. AWS services calling on a principal's
// behalf log their host name ("ec2.amazonaws.com"); some internal calls log
// "AWS Internal" (CloudTrail record contents, sourceIPAddress).
func ipClass(b []byte) (class string, service []byte) {
	if len(b) == 0 {
		return "", nil
	}
	if string(b) == "AWS Internal" {
		return IPAWSInternal, nil
	}
	if bytes.IndexByte(b, ':') >= 0 {
		return IPv6, nil
	}
	var oct [4]int
	n, cur, digits := 0, 0, 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			cur = cur*10 + int(c-'0')
			digits++
			if digits > 3 || cur > 255 {
				return IPServicePfx, b
			}
		case c == '.':
			if digits == 0 || n >= 3 {
				return IPServicePfx, b
			}
			oct[n] = cur
			n++
			cur, digits = 0, 0
		default:
			return IPServicePfx, b
		}
	}
	if n != 3 || digits == 0 {
		return IPServicePfx, b
	}
	oct[3] = cur
	switch {
	case oct[0] == 10, oct[0] == 172 && oct[1]&0xf0 == 16, oct[0] == 192 && oct[1] == 168,
		oct[0] == 100 && oct[1]&0xc0 == 64, oct[0] == 127, oct[0] == 169 && oct[1] == 254:
		return IPPrivate, nil
	}
	return IPPublic, nil
}

// lastSegment returns what follows the last '/'.
func lastSegment(b []byte) []byte {
	if i := bytes.LastIndexByte(b, '/'); i >= 0 {
		return b[i+1:]
	}
	return b
}

// partition returns the ARN partition of a region.
func partition(region []byte) string {
	switch {
	case bytes.HasPrefix(region, []byte("cn-")):
		return "aws-cn"
	case bytes.HasPrefix(region, []byte("us-gov-")):
		return "aws-us-gov"
	case bytes.HasPrefix(region, []byte("us-iso-")):
		return "aws-iso"
	case bytes.HasPrefix(region, []byte("us-isob-")):
		return "aws-iso-b"
	}
	return "aws"
}

// s3ObjectARN returns the resource seiri records for an S3 object: the
// bucket and the key's first path segment ("arn:aws:s3:::b/logs/*"), so the
// usage store grows with prefixes, not with every object ever touched, and the
// ARN is what a least-privilege policy would name.
func s3ObjectARN(dst []byte, part string, bucket, key []byte) []byte {
	dst = append(dst, "arn:"...)
	dst = append(dst, part...)
	dst = append(dst, ":s3:::"...)
	dst = append(dst, bucket...)
	dst = append(dst, '/')
	if i := bytes.IndexByte(key, '/'); i > 0 {
		dst = append(dst, key[:i+1]...)
	}
	return append(dst, '*')
}

// normS3ObjectARN rewrites a full S3 object ARN (from resources[]) the same way.
func normS3ObjectARN(dst []byte, arn []byte) []byte {
	// arn:PART:s3:::bucket/key
	i := bytes.Index(arn, []byte(":s3:::"))
	if i < 4 || !bytes.HasPrefix(arn, bArn) {
		return append(dst, arn...)
	}
	rest := arn[i+len(":s3:::"):]
	slash := bytes.IndexByte(rest, '/')
	if slash < 0 {
		return append(dst, arn...)
	}
	return s3ObjectARN(dst, string(arn[4:i]), rest[:slash], rest[slash+1:])
}

// buildARN appends arn:PART:SERVICE:REGION:ACCOUNT:RESOURCE.
func buildARN(dst []byte, part, service string, region, account []byte, resource ...[]byte) []byte {
	dst = append(dst, "arn:"...)
	dst = append(dst, part...)
	dst = append(dst, ':')
	dst = append(dst, service...)
	dst = append(dst, ':')
	dst = append(dst, region...)
	dst = append(dst, ':')
	dst = append(dst, account...)
	dst = append(dst, ':')
	for _, r := range resource {
		dst = append(dst, r...)
	}
	return dst
}

var (
	bArn       = []byte("arn:")
	bS3Object  = []byte("AWS::S3::Object")
	bAccessKey = []byte("AWS::IAM::AccessKey")
)

// primaryResource appends the ARN of the event's main resource to dst.
// resources[] wins when present (it is what CloudTrail itself names); else
// the ARN is built from requestParameters for the services seiri knows.
func primaryResource(dst []byte, prefix string, r *Record, account []byte) []byte {
	part := partition(r.AWSRegion)
	if len(r.Resources) > 0 {
		pick := -1
		for i := range r.Resources {
			t := r.Resources[i].Type
			if bytes.Equal(t, bAccessKey) {
				continue
			}
			if pick < 0 {
				pick = i
			}
			if prefix == "s3" && bytes.Equal(t, bS3Object) {
				pick = i
				break
			}
		}
		if pick >= 0 {
			ref := r.Resources[pick]
			if bytes.Equal(ref.Type, bS3Object) {
				return normS3ObjectARN(dst, ref.ARN)
			}
			return append(dst, ref.ARN...)
		}
	}
	q := &r.Req
	region := r.AWSRegion
	switch prefix {
	case "s3":
		if len(q.BucketName) == 0 {
			return dst
		}
		if len(q.Key) > 0 {
			return s3ObjectARN(dst, part, q.BucketName, q.Key)
		}
		dst = append(dst, "arn:"...)
		dst = append(dst, part...)
		dst = append(dst, ":s3:::"...)
		return append(dst, q.BucketName...)
	case "dynamodb":
		if t := q.TableName; len(t) > 0 {
			if bytes.HasPrefix(t, bArn) {
				return append(dst, t...)
			}
			return buildARN(dst, part, "dynamodb", region, account, []byte("table/"), t)
		}
		if t := partiQLTable(q.Statement); len(t) > 0 {
			return buildARN(dst, part, "dynamodb", region, account, []byte("table/"), t)
		}
	case "lambda":
		if f := q.FunctionName; len(f) > 0 {
			if bytes.HasPrefix(f, bArn) {
				return append(dst, f...)
			}
			// "123456789012:function:name" partial ARNs exist too.
			if i := bytes.Index(f, []byte(":function:")); i > 0 {
				return buildARN(dst, part, "lambda", region, f[:i], f[i+1:])
			}
			return buildARN(dst, part, "lambda", region, account, []byte("function:"), f)
		}
	case "sqs":
		// https://sqs.REGION.amazonaws.com/ACCOUNT/NAME
		if u := q.QueueURL; len(u) > 0 {
			parts := bytes.Split(bytes.TrimRight(u, "/"), []byte("/"))
			if len(parts) >= 2 {
				name, acct := parts[len(parts)-1], parts[len(parts)-2]
				return buildARN(dst, part, "sqs", region, acct, name)
			}
		}
	case "sns":
		if len(q.TopicARN) > 0 {
			return append(dst, q.TopicARN...)
		}
	case "kms":
		if k := q.KeyID; len(k) > 0 {
			return kmsKeyARN(dst, r, k, account)
		}
	case "secretsmanager":
		if id := q.SecretID; len(id) > 0 {
			return secretARN(dst, r, id, account)
		}
	case "ssm":
		if n := q.Name; len(n) > 0 && prefix == "ssm" {
			if bytes.HasPrefix(n, bArn) {
				return append(dst, n...)
			}
			return buildARN(dst, part, "ssm", region, account, []byte("parameter/"), bytes.TrimPrefix(n, []byte("/")))
		}
	case "iam":
		switch {
		case len(q.PolicyARN) > 0:
			return append(dst, q.PolicyARN...)
		case len(q.RoleName) > 0:
			return buildARN(dst, part, "iam", nil, account, []byte("role/"), q.RoleName)
		case len(q.UserName) > 0:
			return buildARN(dst, part, "iam", nil, account, []byte("user/"), q.UserName)
		}
	case "sts":
		if len(q.RoleARN) > 0 {
			return append(dst, q.RoleARN...)
		}
	case "ecr":
		if n := q.RepositoryName; len(n) > 0 {
			return buildARN(dst, part, "ecr", region, account, []byte("repository/"), n)
		}
	case "logs":
		if n := q.LogGroupName; len(n) > 0 {
			return buildARN(dst, part, "logs", region, account, []byte("log-group:"), n)
		}
	}
	return dst
}

// copySourceResource appends the S3 copy source ("bucket/key", possibly
// URL-encoded, possibly with ?versionId=) as an object ARN.
func copySourceResource(dst []byte, r *Record) []byte {
	src := r.Req.CopySource
	if i := bytes.IndexByte(src, '?'); i >= 0 {
		src = src[:i]
	}
	src = bytes.TrimPrefix(src, []byte("/"))
	if len(src) == 0 {
		return dst
	}
	if bytes.HasPrefix(src, bArn) {
		return append(dst, src...)
	}
	bucket, key, _ := bytes.Cut(src, []byte("/"))
	if k, err := urlUnescape(key); err == nil {
		key = k
	}
	return s3ObjectARN(dst, partition(r.AWSRegion), bucket, key)
}

func urlUnescape(b []byte) ([]byte, error) {
	if bytes.IndexByte(b, '%') < 0 {
		return b, nil
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '%' && i+2 < len(b) {
			h, ok := hex4([]byte{'0', '0', b[i+1], b[i+2]})
			if ok {
				out = append(out, byte(h))
				i += 2
				continue
			}
		}
		out = append(out, b[i])
	}
	return out, nil
}

// normalizePrincipal returns the principal seiri attributes an event to.
// CloudTrail userIdentity element: for AssumedRole the role is
// sessionContext.sessionIssuer.arn; for FederatedUser the issuer is the IAM
// user that called GetFederationToken.
func normalizePrincipal(dst []byte, id *Identity, part string) (arn []byte, typ string, session []byte, out []byte) {
	start := len(dst)
	switch string(id.Type) {
	case "IAMUser":
		typ = PTIAMUser
		if len(id.ARN) > 0 {
			return id.ARN, typ, nil, dst
		}
		if len(id.UserName) > 0 && len(id.AccountID) > 0 {
			dst = buildARN(dst, part, "iam", nil, id.AccountID, []byte("user/"), id.UserName)
			return dst[start:], typ, nil, dst
		}
	case "AssumedRole":
		typ = PTAssumedRole
		session = lastSegment(id.ARN)
		arn = id.IssuerARN
		if len(arn) == 0 && len(id.ARN) > 0 {
			// arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION → arn:aws:iam::ACCOUNT:role/NAME (path unknown)
			if i := bytes.Index(id.ARN, []byte(":assumed-role/")); i > 0 {
				rest := id.ARN[i+len(":assumed-role/"):]
				name, _, _ := bytes.Cut(rest, []byte("/"))
				dst = buildARN(dst, part, "iam", nil, id.AccountID, []byte("role/"), name)
				arn = dst[start:]
			}
		}
		if bytes.Contains(arn, []byte("/AWSReservedSSO_")) {
			typ = PTIdentityCenter
		}
		if len(arn) > 0 {
			return arn, typ, session, dst
		}
	case "Root":
		typ = PTRoot
		if len(id.ARN) > 0 {
			return id.ARN, typ, nil, dst
		}
		if len(id.AccountID) > 0 {
			dst = buildARN(dst, part, "iam", nil, id.AccountID, []byte("root"))
			return dst[start:], typ, nil, dst
		}
	case "AWSService":
		typ = PTAWSService
		if len(id.InvokedBy) > 0 {
			return id.InvokedBy, typ, nil, dst
		}
	case "FederatedUser":
		typ = PTFederatedUser
		session = lastSegment(id.ARN)
		if len(id.IssuerARN) > 0 {
			return id.IssuerARN, typ, session, dst
		}
		if len(id.ARN) > 0 {
			return id.ARN, typ, session, dst
		}
	case "AWSAccount":
		typ = PTAWSAccount
		if len(id.AccountID) > 0 {
			dst = buildARN(dst, part, "iam", nil, id.AccountID, []byte("root"))
			return dst[start:], typ, nil, dst
		}
	case "SAMLUser":
		typ = PTSAMLUser
		if len(id.IdentityProvider) > 0 {
			return id.IdentityProvider, typ, id.UserName, dst
		}
	case "WebIdentityUser":
		typ = PTWebIdentityUser
		if len(id.IdentityProvider) > 0 {
			return id.IdentityProvider, typ, id.UserName, dst
		}
	case "IdentityCenterUser":
		typ = PTIdentityCenterUser
		if len(id.OnBehalfOfUserID) > 0 {
			dst = append(dst, id.OnBehalfOfStore...)
			dst = append(dst, "/user/"...)
			dst = append(dst, id.OnBehalfOfUserID...)
			return dst[start:], typ, nil, dst
		}
	default:
		typ = string(id.Type)
		if typ == "" {
			typ = PTUnknown
		}
	}
	if typ == "" {
		typ = PTUnknown
	}
	switch {
	case len(id.ARN) > 0:
		return id.ARN, typ, session, dst
	case len(id.PrincipalID) > 0:
		return id.PrincipalID, typ, session, dst
	case len(id.InvokedBy) > 0:
		return id.InvokedBy, typ, session, dst
	}
	return nil, typ, session, dst
}

// deliveryTime reads the YYYYMMDDTHHMMZ field of a log file name.
func deliveryTime(name string) time.Time {
	// The last field (between underscores) of the form YYYYMMDDTHHMMZ that
	// is a valid time, read without allocating (the listing parses every
	// file's path).
	for end := len(name); end >= 0; {
		start := strings.LastIndexByte(name[:end], '_') + 1
		if v := name[start:end]; len(v) == 14 && v[8] == 'T' && v[13] == 'Z' && allDigits(v[:8]) && allDigits(v[9:13]) {
			if t, ok := deliveryStamp(v); ok {
				return t
			}
		}
		end = start - 1
	}
	return time.Time{}
}

// deliveryStamp reads YYYYMMDDTHHMMZ (digits checked by the caller) as
// time.Parse("20060102T1504Z") does: a month, day, hour or minute out of
// range is no time.
func deliveryStamp(v string) (time.Time, bool) {
	num := func(s string) int { n, _ := atoi(s); return n } // digits checked
	y, mo, d, h, mi := num(v[0:4]), num(v[4:6]), num(v[6:8]), num(v[9:11]), num(v[11:13])
	if mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, 0, 0, time.UTC)
	if t.Day() != d { // the 31st of a 30-day month, February 29th of a common year
		return time.Time{}, false
	}
	return t, true
}

// PathInfo is what a CloudTrail delivery path says about its file.
type PathInfo struct {
	OrgID   string
	Account string
	Region  string
	Date    time.Time // the day folder (UTC)
	// Delivered is the delivery time in the file name
	// (ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQUE.json.gz), zero if absent.
	Delivered time.Time
	Digest    bool // under CloudTrail-Digest/
	OK        bool // the path follows the delivery layout
}

// ParsePath reads AWSLogs/[o-xxx/]ACCOUNT/CloudTrail[-Digest]/REGION/YYYY/MM/DD/FILE
// anywhere in p (a key or a slash-separated relative path). CloudTrail User
// Guide, "Finding your CloudTrail log files".
func ParsePath(p string) PathInfo {
	var pi PathInfo
	i := strings.Index(p, "AWSLogs/")
	if i < 0 {
		return pi
	}
	// The path's folders after AWSLogs/, without allocating (the listing
	// parses every file's path): the first seven (an organization's ID
	// then six), how many there are, and the last.
	var seg [7]string
	n := 0
	last := ""
	for rest := p[i+len("AWSLogs/"):]; ; {
		s, after, more := strings.Cut(rest, "/")
		if n < len(seg) {
			seg[n] = s
		}
		last = s
		n++
		if !more {
			break
		}
		rest = after
	}
	parts := seg[:min(n, len(seg))]
	if strings.HasPrefix(parts[0], "o-") {
		pi.OrgID = parts[0]
		parts = parts[1:]
		n--
	}
	if n < 6 {
		if n >= 2 && parts[1] == "CloudTrail-Digest" {
			pi.Digest = true
		}
		if n >= 1 {
			pi.Account = parts[0]
		}
		return pi
	}
	pi.Account = parts[0]
	switch parts[1] {
	case "CloudTrail":
	case "CloudTrail-Digest":
		pi.Digest = true
	default:
		return pi
	}
	pi.Region = parts[2]
	y, ok1 := atoi(parts[3])
	m, ok2 := atoi(parts[4])
	d, ok3 := atoi(parts[5])
	// A year before 1970 is no delivery folder (and year 1's first day
	// would read as no date at all).
	if ok1 && ok2 && ok3 && y >= 1970 && m >= 1 && m <= 12 && d >= 1 && d <= 31 && len(parts[3]) == 4 && isAccountID(pi.Account) && pi.Region != "" {
		pi.Date = time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		pi.OK = true
		if n >= 7 {
			pi.Delivered = deliveryTime(last)
		}
	}
	return pi
}
