package source_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/trail/gen"
	"github.com/seiri-dev/seiri/internal/trail/source"
)

// fakeS3 serves gofakes3 on loopback; deny marks list prefixes answered with
// AccessDenied, and the first throttle requests get 503 SlowDown.
type fakeS3 struct {
	srv      *httptest.Server
	client   *s3.Client
	deny     string
	throttle atomic.Int64
	lists    atomic.Int64
	listed   []string
}

func newFakeS3(t *testing.T) *fakeS3 {
	t.Helper()
	f := &fakeS3{}
	faker := gofakes3.New(s3mem.New())
	h := faker.Server()
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.throttle.Add(-1) >= 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`))
			return
		}
		if r.Method == http.MethodGet && r.URL.Query().Has("prefix") {
			f.lists.Add(1)
			p := r.URL.Query().Get("prefix")
			if f.deny != "" && strings.HasPrefix(p, f.deny) {
				w.WriteHeader(http.StatusForbidden)
				w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`))
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "not-a-secret", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 5
				o.MaxBackoff = 10 * time.Millisecond
			})
		},
	}
	f.client = s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(f.srv.URL)
		o.UsePathStyle = true
	})
	if _, err := f.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("trail")}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fakeS3) put(t testing.TB) gen.Sink {
	return func(key string, gz []byte) error {
		_, err := f.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("trail"), Key: aws.String(key), Body: bytes.NewReader(gz)})
		return err
	}
}

func TestS3SourceMatchesDirectory(t *testing.T) {
	ctx := context.Background()
	fs := newFakeS3(t)
	dir := t.TempDir()
	spec := gen.Sample(11, []string{"111111111111", "222222222222"}, t0, t0.Add(6*time.Hour), 1)
	spec.Parallel = 1
	if _, err := gen.Generate(spec, fs.put(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Generate(spec, gen.DirSink(dir)); err != nil {
		t.Fatal(err)
	}
	fromDir, err := trail.Scan(ctx, &trail.DirSource{Dir: dir}, trail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs.throttle.Store(3) // the first requests are throttled and retried
	src := &source.S3Source{Client: fs.client, Bucket: "trail", Prefix: "AWSLogs/"}
	fromS3, err := trail.Scan(ctx, src, trail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fromDir.Rows, fromS3.Rows); diff != "" {
		t.Errorf("S3 rows differ from directory rows (-dir +s3):\n%s", diff)
	}
	if fromS3.Summary.FilesRead != fromDir.Summary.FilesRead || len(fromS3.Objects) != len(fromDir.Objects) || fromS3.Objects[0].ETag == "" {
		t.Errorf("files %d vs %d, objects %d", fromS3.Summary.FilesRead, fromDir.Summary.FilesRead, len(fromS3.Objects))
	}
}

func TestS3SourceFiltersAndPrefixErrors(t *testing.T) {
	ctx := context.Background()
	fs := newFakeS3(t)
	spec := gen.Sample(12, []string{"111111111111", "222222222222", "333333333333"}, t0, t0.AddDate(0, 0, 3), 0.05)
	if _, err := gen.Generate(spec, fs.put(t)); err != nil {
		t.Fatal(err)
	}
	fs.deny = "AWSLogs/o-exampleorg1/333333333333/"
	src := &source.S3Source{Client: fs.client, Bucket: "trail"}
	flt := trail.Filter{Since: t0.AddDate(0, 0, 1), Until: t0.AddDate(0, 0, 2), Accounts: []string{"111111111111", "333333333333"}}
	res, err := trail.Scan(ctx, src, trail.Options{Filter: flt})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Summary.ListErrors) != 1 || !strings.Contains(res.Summary.ListErrors[0], "333333333333") || !strings.Contains(res.Summary.ListErrors[0], "AccessDenied") {
		t.Errorf("list errors: %v", res.Summary.ListErrors)
	}
	if len(res.Objects) == 0 {
		t.Fatal("nothing read")
	}
	for _, o := range res.Objects {
		pi := trail.ParsePath(o.Key)
		if pi.Account != "111111111111" || !pi.Delivered.Add(time.Minute).After(flt.Since) || !pi.Delivered.Add(-trail.DeliverySlack).Before(flt.Until) {
			t.Errorf("read %s outside the filter", o.Key)
		}
	}
	// "", AWSLogs/, o-…/, two allowed accounts (one denied), CloudTrail/,
	// region, year, month, the day and the next (files delivered within
	// DeliverySlack after --until): nothing else was listed.
	if n := fs.lists.Load(); n != 11 {
		t.Errorf("%d list calls; the walk left the filter", n)
	}
	if _, err := trail.Scan(ctx, src, trail.Options{Filter: flt, Strict: true}); err == nil {
		t.Error("--strict ignored a prefix error")
	}
}

func TestParseS3URL(t *testing.T) {
	for in, want := range map[string][2]string{
		"s3://b":                {"b", ""},
		"s3://b/":               {"b", ""},
		"s3://b/AWSLogs/o-1":    {"b", "AWSLogs/o-1/"},
		"s3://b/AWSLogs/o-1/x/": {"b", "AWSLogs/o-1/x/"},
	} {
		b, p, err := source.ParseS3URL(in)
		if err != nil || b != want[0] || p != want[1] {
			t.Errorf("ParseS3URL(%q) = %q %q %v", in, b, p, err)
		}
	}
	for _, bad := range []string{"s3:/b", "http://b/x", "s3:///x", "b/x"} {
		if _, _, err := source.ParseS3URL(bad); err == nil {
			t.Errorf("ParseS3URL(%q) accepted", bad)
		}
	}
}

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
