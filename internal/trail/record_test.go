package trail

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// flat is a comparable view of a Record for tests.
type flat struct {
	Version, Time, Source, Name, Type, Region, IP, UA, Err, Recipient, VPCE, RespKey string
	IDType, IDArn, IDKey, IssuerARN, SourceIdentity, InvokedBy, OnBehalf             string
	Bucket, Key, Table, Statement, CopySource                                        string
	Resources                                                                        []string
	HasIdentity                                                                      bool
}

func flatten(r *Record) flat {
	f := flat{
		Version: string(r.EventVersion), Time: string(r.EventTime), Source: string(r.EventSource), Name: string(r.EventName),
		Type: string(r.EventType), Region: string(r.AWSRegion), IP: string(r.SourceIP), UA: string(r.UserAgent),
		Err: string(r.ErrorCode), Recipient: string(r.RecipientAccount), VPCE: string(r.VPCEndpointID), RespKey: string(r.RespAccessKeyID),
		IDType: string(r.Identity.Type), IDArn: string(r.Identity.ARN), IDKey: string(r.Identity.AccessKeyID),
		IssuerARN: string(r.Identity.IssuerARN), SourceIdentity: string(r.Identity.SourceIdentity), InvokedBy: string(r.Identity.InvokedBy),
		OnBehalf: string(r.Identity.OnBehalfOfUserID),
		Bucket:   string(r.Req.BucketName), Key: string(r.Req.Key), Table: string(r.Req.TableName), Statement: string(r.Req.Statement),
		CopySource: string(r.Req.CopySource), HasIdentity: r.HasIdentity,
	}
	for _, res := range r.Resources {
		f.Resources = append(f.Resources, string(res.Type)+"="+string(res.ARN))
	}
	return f
}

func scanAll(t testing.TB, data string) ([]flat, []string, error) {
	var got []flat
	var bad []string
	var rec Record
	_, err := ScanLog([]byte(data), &rec, func(r *Record) { got = append(got, flatten(r)) },
		func(i int, why string) { bad = append(bad, why) })
	return got, bad, err
}

func TestScanLogFields(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []flat
		bad  int
	}{
		{
			name: "assumed role data event with nested parameters",
			in: `{"Records":[{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAX:s","arn":"arn:aws:sts::111111111111:assumed-role/app/s",
				"accountId":"111111111111","accessKeyId":"ASIAX","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111111111111:role/app","userName":"app"},
				"attributes":{"creationDate":"2026-11-01T00:00:00Z","mfaAuthenticated":"false"},"sourceIdentity":"dev@x"}},
				"eventTime":"2026-11-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1",
				"sourceIPAddress":"10.1.2.3","userAgent":"[aws-sdk]","requestParameters":{"bucketName":"b","Host":"b.s3","key":"a/b.txt","nested":{"key":"WRONG","x":[1,2,{"bucketName":"WRONG"}]}},
				"responseElements":null,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::b/a/b.txt"},{"accountId":"1","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::b"}],
				"eventType":"AwsApiCall","recipientAccountId":"111111111111","vpcEndpointId":"vpce-1","eventCategory":"Data"}]}`,
			want: []flat{{Version: "1.09", Time: "2026-11-01T10:00:00Z", Source: "s3.amazonaws.com", Name: "GetObject", Type: "AwsApiCall", Region: "eu-west-1",
				IP: "10.1.2.3", UA: "[aws-sdk]", Recipient: "111111111111", VPCE: "vpce-1", IDType: "AssumedRole",
				IDArn: "arn:aws:sts::111111111111:assumed-role/app/s", IDKey: "ASIAX", IssuerARN: "arn:aws:iam::111111111111:role/app", SourceIdentity: "dev@x",
				Bucket: "b", Key: "a/b.txt", Resources: []string{"AWS::S3::Object=arn:aws:s3:::b/a/b.txt", "AWS::S3::Bucket=arn:aws:s3:::b"}, HasIdentity: true}},
		},
		{
			name: "escapes are decoded",
			in:   `{"Records":[{"eventName":"Get\"Obj\\ect\u00e9\ud83d\ude00","userAgent":"a\/b\tc","userIdentity":null}]}`,
			want: []flat{{Name: "Get\"Obj\\ect\u00e9\U0001F600", UA: "a/b\tc"}},
		},
		{
			name: "other top-level members and whitespace",
			in:   " \n{\"x\": [1, {\"Records\": 3}], \"Records\" : [ {\"eventName\" : \"A\" , \"errorCode\":\"AccessDenied\"} , {} ] , \"y\":true}\n",
			want: []flat{{Name: "A", Err: "AccessDenied"}, {}},
		},
		{
			name: "sts response key and identity center user",
			in: `{"Records":[{"userIdentity":{"type":"IdentityCenterUser","onBehalfOf":{"userId":"u-1","identityStoreArn":"arn:s"}},
				"responseElements":{"credentials":{"accessKeyId":"ASIANEW","sessionToken":"SECRET"},"assumedRoleUser":{}}}]}`,
			want: []flat{{IDType: "IdentityCenterUser", OnBehalf: "u-1", RespKey: "ASIANEW", HasIdentity: true}},
		},
		{
			name: "non-object records are reported",
			in:   `{"Records":[1,"x",null,{"eventName":"A"},[]]}`,
			want: []flat{{Name: "A"}},
			bad:  4,
		},
		{
			name: "non-string field values read as empty",
			in:   `{"Records":[{"eventName":{"a":"b"},"eventSource":42,"errorCode":null,"resources":{"ARN":"x"}}]}`,
			want: []flat{{}},
		},
		{
			name: "empty Records and null Records",
			in:   `{"Records":[]}`,
		},
		{
			name: "null Records",
			in:   `{"Records":null}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, bad, err := scanAll(t, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if len(bad) != tt.bad {
				t.Errorf("bad records %d, want %d: %v", len(bad), tt.bad, bad)
			}
		})
	}
}

func TestScanLogErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
		wantMsg string
		records int // delivered before the error
	}{
		{name: "empty", in: "", wantErr: ErrEmpty},
		{name: "only whitespace", in: " \n\t", wantErr: ErrEmpty},
		{name: "not JSON", in: "hello world", wantErr: ErrNotJSON, wantMsg: `starts with "hello world"`},
		{name: "JSON array of numbers", in: "[1,2]", wantErr: ErrNotCloudTrail, wantMsg: `first element is not an object: "1,2]"`},
		{name: "JSON array of other objects", in: `[{"a":1}]`, wantErr: ErrNotCloudTrail},
		{name: "JSON array truncated", in: `[{"eventName":"A"},{"eventName":"B"`, wantMsg: "record 1", records: 1},
		{name: "JSON array then garbage", in: `[{"eventName":"A"}] x`, wantMsg: "data after the top-level array", records: 1},
		{name: "JSON lines with a broken line", in: "{\"eventName\":\"A\"}\n{\"eventName\":\"B\",\n", wantMsg: "record 1", records: 1},
		{name: "JSON without Records", in: `{"foo":[1]}`, wantErr: ErrNotCloudTrail},
		{name: "Records not an array", in: `{"Records":{"a":1}}`, wantErr: ErrNotCloudTrail},
		{name: "truncated inside a record", in: `{"Records":[{"eventName":"A"},{"eventName":"B","userIdentity":{"type":"IAM`, wantMsg: "record 1", records: 1},
		{name: "truncated after a record", in: `{"Records":[{"eventName":"A"}`, wantMsg: "unexpected end of input in Records", records: 1},
		{name: "garbage between records", in: `{"Records":[{"eventName":"A"} x {"eventName":"B"}]}`, wantMsg: "malformed JSON", records: 1},
		{name: "unterminated string", in: `{"Records":[{"eventName":"A`, wantMsg: "unterminated string"},
		{name: "bad escape", in: `{"Records":[{"eventName":"A\q"}]}`, wantMsg: `bad escape \q`},
		{name: "missing colon", in: `{"Records" [1]}`, wantMsg: "expected ':'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := scanAll(t, tt.in)
			if err == nil {
				t.Fatalf("no error; records %v", got)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			if tt.wantMsg != "" && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
			if len(got) != tt.records {
				t.Errorf("%d records delivered, want %d", len(got), tt.records)
			}
		})
	}
}

// TestScanLogMatchesEncodingJSON checks the byte scanner against the standard
// library on the generator's records.
func TestScanLogMatchesEncodingJSON(t *testing.T) {
	in := `{"Records":[{"eventVersion":"1.11","eventTime":"2026-11-01T00:00:00Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt",` +
		`"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/\u0041lice","accessKeyId":"AKIA1"},"requestParameters":{"keyId":"k\\1",` +
		`"encryptionContext":{"a":"b\"}]"}},"sourceIPAddress":"1.2.3.4","errorCode":"X"}]}`
	var std struct {
		Records []struct {
			EventName    string `json:"eventName"`
			UserIdentity struct {
				ARN string `json:"arn"`
			} `json:"userIdentity"`
			RequestParameters struct {
				KeyID string `json:"keyId"`
			} `json:"requestParameters"`
			SourceIP string `json:"sourceIPAddress"`
		}
	}
	if err := json.Unmarshal([]byte(in), &std); err != nil {
		t.Fatal(err)
	}
	var rec Record
	var n int
	_, err := ScanLog([]byte(in), &rec, func(r *Record) {
		n++
		s := std.Records[0]
		got := []string{string(r.EventName), string(r.Identity.ARN), string(r.Req.KeyID), string(r.SourceIP)}
		want := []string{s.EventName, s.UserIdentity.ARN, s.RequestParameters.KeyID, s.SourceIP}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-encoding/json +scanner):\n%s", diff)
		}
	}, nil)
	if err != nil || n != 1 {
		t.Fatalf("err %v, records %d", err, n)
	}
}

func FuzzScanLog(f *testing.F) {
	seeds := []string{
		`{"Records":[{"eventVersion":"1.08","eventTime":"2026-11-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/r"}}},"requestParameters":{"bucketName":"b","key":"k/x"},"resources":[{"ARN":"arn:aws:s3:::b/k/x","type":"AWS::S3::Object"}]}]}`,
		`{"Records":[{"eventName":"\u00e9\ud800","userAgent":"\\\""}]}`,
		`{"Records":[1,null,[],{}]}`,
		`{"Records":[{"a":{"b":[{"c":"]}"}]}}]}`,
		`{"Records":`, `{`, `"`, `{"Records":[{"eventName":"A\`, ``, `[]`,
		`[{"eventName":"A","eventSource":"s3.amazonaws.com"},{"Records":[{"eventName":"B"}]},1]`,
		"{\"eventName\":\"A\"}\n{\"Records\":[{\"eventName\":\"B\"}]}\n{\"x\":1}\nnull\n",
		`{"eventVersion":"1.08","eventTime":"2021-03-03T23:24:48Z","eventSource":"dynamodb.amazonaws.com","eventName":"BatchExecuteStatement","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/u"},"requestParameters":{"requestItems":[{"statement":"UPDATE Music SET a = 1"},{"operation":"Put","tableName":"T"},{"put":{"tableName":"U"}}],"transactStatements":[{"statement":"DELETE FROM \"X\""}],"secretIdList":["s",1,null],"filters":[{}]}}`,
		`{"eventName":"BatchWriteItem","requestParameters":{"requestItems":{"t":[],"u":{}}}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	m := &Mapper{}
	f.Fuzz(func(t *testing.T, data []byte) {
		var rec Record
		agg := newAggregator(m, &Filter{})
		n, err := ScanLog(data, &rec, func(r *Record) { agg.add(r, "") }, func(int, string) {})
		if n < 0 {
			t.Fatal("negative count")
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error message")
		}
		// A scanner error must never claim success on invalid JSON that
		// encoding/json rejects as a non-object.
		if err == nil && !json.Valid(data) {
			// The scanner is lenient inside skipped values (it only counts
			// brackets), so only check the shape it promises: an object.
			if d := strings.TrimSpace(string(data)); len(d) == 0 || (d[0] != '{' && d[0] != '[') {
				t.Fatalf("accepted something that is neither an object, a stream of objects nor an array %q", data)
			}
		}
		_ = agg.Rows()
	})
}

// stringEndRef is the byte-by-byte reading of a JSON string's end that
// stringEnd does 8 bytes at a time.
func stringEndRef(d []byte, j int) (int, bool) {
	esc := false
	for ; j < len(d); j++ {
		switch d[j] {
		case '"':
			return j, esc
		case '\\':
			esc = true
			j++
		}
	}
	return -1, esc
}

// skipNestedRef is skipNested byte by byte.
func skipNestedRef(d []byte) int {
	depth := 0
	for i := 0; i < len(d); i++ {
		switch d[i] {
		case '"':
			j, _ := stringEndRef(d, i+1)
			if j < 0 {
				return -1
			}
			i = j
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

// FuzzStringEnd: the word-at-a-time scans find what a byte loop finds,
// wherever the quotes, escapes and brackets fall in a word.
func FuzzStringEnd(f *testing.F) {
	for _, s := range []string{
		`abc"`, `abcdefghijklmnop"`, `a\"b"`, `\\"`, `\\\"x"`, `01234567\"89"`, `0123456\\"`, `\`, `abcdefgh`,
		"\x80\xff\x7f\"", "\xa2\xdc\"", `é"`, `\u0022"`,
		`{"a":"}"}`, `[{"a":[1,2,{"b":"]"}]}]`, `{"k":"\\\"}"} x`, `{{{{{{{{}}}}}}}}`, `[[[[[[[[]]]]]]]`, `{"abcdefghijklmnopqrstuvwxyz":"ABCDEFGHIJKLMNOPQRSTUVWXYZ[]{}"}`,
		"{\"\xbb\xdb\xfb\x5b\":\"\x7d\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, d []byte) {
		for j := 0; j <= len(d) && j < 20; j++ {
			gotEnd, gotEsc := stringEnd(d, j)
			wantEnd, wantEsc := stringEndRef(d, j)
			if gotEnd != wantEnd || (wantEnd >= 0 && gotEsc != wantEsc) {
				t.Fatalf("stringEnd(%q, %d) = %d, %v; want %d, %v", d, j, gotEnd, gotEsc, wantEnd, wantEsc)
			}
		}
		if len(d) > 0 && (d[0] == '{' || d[0] == '[') {
			p := parser{d: d, rec: &Record{}, record: -1}
			err := p.skipNested()
			want := skipNestedRef(d)
			if want < 0 {
				if err == nil {
					t.Fatalf("skipNested(%q) ended at %d, want an error", d, p.i)
				}
			} else if err != nil || p.i != want {
				t.Fatalf("skipNested(%q) = %d, %v; want %d", d, p.i, err, want)
			}
		}
	})
}
