package trail

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizePrincipal(t *testing.T) {
	tests := []struct {
		name             string
		id               Identity
		arn, typ, sessio string
	}{
		{"iam user", Identity{Type: b("IAMUser"), ARN: b("arn:aws:iam::1:user/a")}, "arn:aws:iam::1:user/a", PTIAMUser, ""},
		{"iam user without arn", Identity{Type: b("IAMUser"), UserName: b("a"), AccountID: b("111111111111")}, "arn:aws:iam::111111111111:user/a", PTIAMUser, ""},
		{"assumed role", Identity{Type: b("AssumedRole"), ARN: b("arn:aws:sts::1:assumed-role/app/i-123"), IssuerARN: b("arn:aws:iam::1:role/path/app")},
			"arn:aws:iam::1:role/path/app", PTAssumedRole, "i-123"},
		{"assumed role without issuer", Identity{Type: b("AssumedRole"), ARN: b("arn:aws:sts::111111111111:assumed-role/app/s"), AccountID: b("111111111111")},
			"arn:aws:iam::111111111111:role/app", PTAssumedRole, "s"},
		{"identity center", Identity{Type: b("AssumedRole"), ARN: b("arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_abc/bob@x"),
			IssuerARN: b("arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_abc")},
			"arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_abc", PTIdentityCenter, "bob@x"},
		{"root", Identity{Type: b("Root"), ARN: b("arn:aws:iam::1:root")}, "arn:aws:iam::1:root", PTRoot, ""},
		{"service", Identity{Type: b("AWSService"), InvokedBy: b("ec2.amazonaws.com")}, "ec2.amazonaws.com", PTAWSService, ""},
		{"federated", Identity{Type: b("FederatedUser"), ARN: b("arn:aws:sts::1:federated-user/bob"), IssuerARN: b("arn:aws:iam::1:user/broker")},
			"arn:aws:iam::1:user/broker", PTFederatedUser, "bob"},
		{"cross-account account", Identity{Type: b("AWSAccount"), AccountID: b("222222222222"), PrincipalID: b("AIDAX")}, "arn:aws:iam::222222222222:root", PTAWSAccount, ""},
		{"saml", Identity{Type: b("SAMLUser"), IdentityProvider: b("arn:aws:iam::1:saml-provider/Okta"), UserName: b("c@x")}, "arn:aws:iam::1:saml-provider/Okta", PTSAMLUser, "c@x"},
		{"web identity", Identity{Type: b("WebIdentityUser"), IdentityProvider: b("accounts.google.com"), UserName: b("sub")}, "accounts.google.com", PTWebIdentityUser, "sub"},
		{"identity center user", Identity{Type: b("IdentityCenterUser"), OnBehalfOfUserID: b("u1"), OnBehalfOfStore: b("arn:aws:identitystore::1:identitystore/d-1")},
			"arn:aws:identitystore::1:identitystore/d-1/user/u1", PTIdentityCenterUser, ""},
		{"unknown type", Identity{Type: b("Directory"), PrincipalID: b("p")}, "p", "Directory", ""},
		{"empty", Identity{}, "", PTUnknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arn, typ, sess, _ := normalizePrincipal(nil, &tt.id, "aws")
			got := []string{string(arn), typ, string(sess)}
			if diff := cmp.Diff([]string{tt.arn, tt.typ, tt.sessio}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func b(s string) []byte { return []byte(s) }

func TestPrimaryResource(t *testing.T) {
	acct := b("111111111111")
	tests := []struct {
		name, prefix string
		rec          Record
		want         string
	}{
		{"s3 object from resources is cut to its first prefix", "s3", Record{Resources: []ResourceRef{{Type: b("AWS::S3::Bucket"), ARN: b("arn:aws:s3:::b")}, {Type: b("AWS::S3::Object"), ARN: b("arn:aws:s3:::b/logs/2026/x")}}}, "arn:aws:s3:::b/logs/*"},
		{"s3 object at the root", "s3", Record{Req: RequestParams{BucketName: b("b"), Key: b("x.txt")}}, "arn:aws:s3:::b/*"},
		{"s3 bucket", "s3", Record{Req: RequestParams{BucketName: b("b")}}, "arn:aws:s3:::b"},
		{"access key resource ignored", "sts", Record{Resources: []ResourceRef{{Type: b("AWS::IAM::AccessKey"), ARN: b("arn:aws:iam::1:accesskey/ASIA")}, {Type: b("AWS::IAM::Role"), ARN: b("arn:aws:iam::1:role/r")}}}, "arn:aws:iam::1:role/r"},
		{"dynamodb table", "dynamodb", Record{AWSRegion: b("eu-west-1"), Req: RequestParams{TableName: b("t")}}, "arn:aws:dynamodb:eu-west-1:111111111111:table/t"},
		{"dynamodb partiql", "dynamodb", Record{AWSRegion: b("eu-west-1"), Req: RequestParams{Statement: b(`SELECT * FROM "t2"`)}}, "arn:aws:dynamodb:eu-west-1:111111111111:table/t2"},
		{"lambda name", "lambda", Record{AWSRegion: b("us-east-1"), Req: RequestParams{FunctionName: b("f")}}, "arn:aws:lambda:us-east-1:111111111111:function:f"},
		{"lambda partial arn", "lambda", Record{AWSRegion: b("us-east-1"), Req: RequestParams{FunctionName: b("222222222222:function:f")}}, "arn:aws:lambda:us-east-1:222222222222:function:f"},
		{"sqs url", "sqs", Record{AWSRegion: b("us-east-1"), Req: RequestParams{QueueURL: b("https://sqs.us-east-1.amazonaws.com/222222222222/q")}}, "arn:aws:sqs:us-east-1:222222222222:q"},
		{"sns", "sns", Record{Req: RequestParams{TopicARN: b("arn:aws:sns:us-east-1:1:t")}}, "arn:aws:sns:us-east-1:1:t"},
		{"kms id", "kms", Record{AWSRegion: b("us-east-1"), Req: RequestParams{KeyID: b("1234")}}, "arn:aws:kms:us-east-1:111111111111:key/1234"},
		{"kms alias", "kms", Record{AWSRegion: b("us-east-1"), Req: RequestParams{KeyID: b("alias/a")}}, "arn:aws:kms:us-east-1:111111111111:alias/a"},
		{"secret name", "secretsmanager", Record{AWSRegion: b("us-east-1"), Req: RequestParams{SecretID: b("prod/db")}}, "arn:aws:secretsmanager:us-east-1:111111111111:secret:prod/db"},
		{"ssm parameter", "ssm", Record{AWSRegion: b("us-east-1"), Req: RequestParams{Name: b("/app/x")}}, "arn:aws:ssm:us-east-1:111111111111:parameter/app/x"},
		{"iam role", "iam", Record{Req: RequestParams{RoleName: b("r")}}, "arn:aws:iam::111111111111:role/r"},
		{"iam user", "iam", Record{Req: RequestParams{UserName: b("u")}}, "arn:aws:iam::111111111111:user/u"},
		{"iam policy", "iam", Record{Req: RequestParams{PolicyARN: b("arn:aws:iam::aws:policy/ReadOnlyAccess"), UserName: b("u")}}, "arn:aws:iam::aws:policy/ReadOnlyAccess"},
		{"sts role", "sts", Record{Req: RequestParams{RoleARN: b("arn:aws:iam::1:role/r")}}, "arn:aws:iam::1:role/r"},
		{"ecr", "ecr", Record{AWSRegion: b("us-east-1"), Req: RequestParams{RepositoryName: b("app")}}, "arn:aws:ecr:us-east-1:111111111111:repository/app"},
		{"logs", "logs", Record{AWSRegion: b("us-east-1"), Req: RequestParams{LogGroupName: b("/aws/lambda/f")}}, "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/f"},
		{"china partition", "dynamodb", Record{AWSRegion: b("cn-north-1"), Req: RequestParams{TableName: b("t")}}, "arn:aws-cn:dynamodb:cn-north-1:111111111111:table/t"},
		{"nothing", "ec2", Record{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(primaryResource(nil, tt.prefix, &tt.rec, acct)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	r := Record{Req: RequestParams{CopySource: b("src-bucket/dir%2Fa/b.txt?versionId=1")}}
	if got := string(copySourceResource(nil, &r)); got != "arn:aws:s3:::src-bucket/dir/*" {
		t.Errorf("copy source: %q", got)
	}
}

func TestIPClass(t *testing.T) {
	tests := []struct{ in, class string }{
		{"10.1.2.3", IPPrivate}, {"172.16.0.1", IPPrivate}, {"172.32.0.1", IPPublic}, {"192.168.1.1", IPPrivate},
		{"100.64.0.1", IPPrivate}, {"8.8.8.8", IPPublic}, {"2001:db8::1", IPv6}, {"AWS Internal", IPAWSInternal},
		{"ec2.amazonaws.com", IPServicePfx}, {"1.2.3", IPServicePfx}, {"256.1.1.1", IPServicePfx}, {"", ""},
	}
	for _, tt := range tests {
		if got, _ := ipClass([]byte(tt.in)); got != tt.class {
			t.Errorf("ipClass(%q) = %q, want %q", tt.in, got, tt.class)
		}
	}
}

func TestParseEventTime(t *testing.T) {
	for _, s := range []string{"2026-11-01T10:04:05Z", "1999-12-31T23:59:59Z", "2024-02-29T00:00:00Z", "2026-11-01T10:04:05.123Z", "2026-11-01T12:04:05+02:00"} {
		got, ok := parseEventTime([]byte(s))
		want, err := time.Parse(time.RFC3339Nano, s)
		if !ok || err != nil || got != want.Unix() {
			t.Errorf("parseEventTime(%q) = %d %v, want %d", s, got, ok, want.Unix())
		}
	}
	for _, s := range []string{"", "2026-13-01T00:00:00Z", "yesterday", "2026-11-01T25:00:00Z"} {
		if _, ok := parseEventTime([]byte(s)); ok {
			t.Errorf("parseEventTime(%q) accepted", s)
		}
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		in   string
		want PathInfo
	}{
		{"AWSLogs/o-abc/111111111111/CloudTrail/eu-west-1/2026/11/02/f.json.gz",
			PathInfo{OrgID: "o-abc", Account: "111111111111", Region: "eu-west-1", Date: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), OK: true}},
		{"AWSLogs/111111111111/CloudTrail/eu-west-1/2026/11/02/111111111111_CloudTrail_eu-west-1_20261102T2355Z_AbC.json.gz",
			PathInfo{Account: "111111111111", Region: "eu-west-1", Date: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC),
				Delivered: time.Date(2026, 11, 2, 23, 55, 0, 0, time.UTC), OK: true}},
		{"prefix/AWSLogs/111111111111/CloudTrail/us-east-1/2026/01/31/f.json",
			PathInfo{Account: "111111111111", Region: "us-east-1", Date: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), OK: true}},
		{"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/01/31/f.json.gz",
			PathInfo{Account: "111111111111", Region: "us-east-1", Date: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), Digest: true, OK: true}},
		{"logs/f.json", PathInfo{}},
		{"AWSLogs/111111111111/Config/us-east-1/2026/01/31/f.json", PathInfo{Account: "111111111111"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, ParsePath(tt.in)); diff != "" {
			t.Errorf("ParsePath(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestFilterDirAllowed(t *testing.T) {
	f := &Filter{Since: time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC),
		Accounts: []string{"111111111111"}, Regions: []string{"eu-west-1"}}
	tests := []struct {
		dir  string
		want bool
	}{
		{"AWSLogs", true},
		{"AWSLogs/o-abc", true},
		{"AWSLogs/o-abc/111111111111", true},
		{"AWSLogs/o-abc/222222222222", false},
		{"AWSLogs/111111111111/CloudTrail/us-east-1", false},
		{"AWSLogs/111111111111/CloudTrail/eu-west-1/2025", false},
		{"AWSLogs/111111111111/CloudTrail/eu-west-1/2026", true},
		{"AWSLogs/111111111111/CloudTrail/eu-west-1/2026/10", false},
		{"AWSLogs/111111111111/CloudTrail/eu-west-1/2026/11/01", false},
		{"AWSLogs/111111111111/CloudTrail/eu-west-1/2026/11/02", true},
		{"AWSLogs/111111111111/CloudTrail/eu-west-1/2026/11/03", true},
		{"AWSLogs/111111111111/CloudTrail/eu-west-1/2026/11/04", true}, // delivered up to DeliverySlack after --until
		{"AWSLogs/111111111111/CloudTrail/eu-west-1/2026/11/05", false},
		{"other/dir", true},
	}
	for _, tt := range tests {
		if got := f.dirAllowed(tt.dir); got != tt.want {
			t.Errorf("dirAllowed(%q) = %v, want %v", tt.dir, got, tt.want)
		}
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"AWSLogs/o-abc/111111111111/CloudTrail/eu-west-1/2026/11/02/f.json.gz", "AWSLogs/1/CloudTrail-Digest/x", "AWSLogs/", "a/AWSLogs/111111111111/CloudTrail/r/9999/99/99",
		"AWSLogs/111111111111/CloudTrail/eu-west-1/2024/02/29/a_20240229T2359Z_b.json.gz", "AWSLogs/111111111111/CloudTrail/eu-west-1/2023/02/28/a_20230229T0000Z_20230228T0000Z"} {
		f.Add(s)
	}
	flt := &Filter{Since: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC), Accounts: []string{"111111111111"}, Regions: []string{"eu-west-1"}}
	f.Fuzz(func(t *testing.T, p string) {
		pi := ParsePath(p)
		if diff := cmp.Diff(parsePathSplit(p), pi); diff != "" {
			t.Fatalf("ParsePath(%q) (-reference +got):\n%s", p, diff)
		}
		if got, want := deliveryTime(p), deliveryTimeSplit(p); !got.Equal(want) {
			t.Fatalf("deliveryTime(%q) = %v, reference %v", p, got, want)
		}
		if pi.OK && (pi.Date.IsZero() || pi.Account == "") {
			t.Fatalf("OK path without date/account: %+v", pi)
		}
		flt.PathAllowed(pi)
		flt.dirAllowed(p)
	})
}
