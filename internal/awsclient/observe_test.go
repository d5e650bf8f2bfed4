package awsclient_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/awsfake"
)

// syncBuffer is a log destination safe for the SDK's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func logger(level slog.Level) (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: level, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == "duration" {
			return slog.Attr{}
		}
		return a
	}})), buf
}

func fastSession(t *testing.T, f *awsfake.Server, log *slog.Logger) *awsclient.Session {
	t.Helper()
	s, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: f.URL, Credentials: f.Credentials(), MaxAttempts: 3,
		MaxBackoff: time.Millisecond, RetryMode: aws.RetryModeStandard, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A service that answers HTTP 500 to every try of its first calls is marked
// unavailable in that account: later calls fail at once, without being
// sent and retried, and one warning says so.
func TestBreakerMarksServiceUnavailable(t *testing.T) {
	isolate(t)
	f := newFake(t)
	log, buf := logger(slog.LevelWarn)
	s := fastSession(t, f, log)
	ctx := context.Background()
	f.FailOp("111111110000", "GetUser", &awsfake.Error{Status: 500, Code: "ServiceFailure", Message: "Internal error"}, -1)
	c := s.Base()
	var errs []error
	for i := 0; i < 6; i++ { // six principals
		_, err := c.IAM.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
		errs = append(errs, err)
	}
	for i, err := range errs {
		var ue *awsclient.UnavailableError
		if i < 3 {
			if awsclient.ErrorCode(err) != "ServiceFailure" || errors.As(err, &ue) {
				t.Errorf("call %d: %v", i+1, err)
			}
			continue
		}
		if !errors.As(err, &ue) || ue.Service != "IAM" || ue.Operation != "GetUser" || ue.Account != "111111110000" || ue.Failures != 3 {
			t.Errorf("call %d: %v", i+1, err)
		}
	}
	// 3 calls × 3 attempts were sent; the other 3 calls never left.
	if got := f.Count("111111110000", "GetUser"); got != 9 {
		t.Errorf("requests sent %d, want 9", got)
	}
	want := "level=WARN msg=\"IAM GetUser unavailable in 111111110000 for the rest of this run: its first 3 calls failed the same way (HTTP 500 ServiceFailure: Internal error); call not sent\"\n"
	if buf.String() != want {
		t.Errorf("log\n got %q\nwant %q", buf.String(), want)
	}
	if u := s.Unavailable(); len(u) != 1 || u[0].Service != "IAM" {
		t.Errorf("Unavailable %+v", u)
	}
	// Other operations and services, and IAM in other accounts, are not
	// affected.
	if _, err := c.IAM.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}); err != nil {
		t.Errorf("another IAM operation: %v", err)
	}
	if _, err := c.Organizations.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{}); err != nil {
		t.Errorf("Organizations: %v", err)
	}
	m, err := s.ForAccount(ctx, "111111110001")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.IAM.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}); err != nil {
		t.Errorf("IAM in a member account: %v", err)
	}
}

// A service that answered once is not marked: a later outage is seen per
// call; answers that are errors (AccessDenied, NoSuchEntity) are answers;
// different failures do not add up.
func TestBreakerStaysClosed(t *testing.T) {
	isolate(t)
	ctx := context.Background()
	fail500 := &awsfake.Error{Status: 500, Code: "ServiceFailure", Message: "Internal error"}
	t.Run("after a success", func(t *testing.T) {
		f := newFake(t)
		s := fastSession(t, f, nil)
		c := s.Base()
		if _, err := c.IAM.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}); err != nil {
			t.Fatal(err)
		}
		f.FailOp("", "GetAccountSummary", fail500, -1)
		for i := 0; i < 5; i++ {
			c.IAM.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
		}
		if got := f.Count("", "GetAccountSummary"); got != 1+5*3 {
			t.Errorf("requests %d, want 16", got)
		}
	})
	t.Run("access denied", func(t *testing.T) {
		f := newFake(t)
		s := fastSession(t, f, nil)
		f.FailOp("", "GetAccountSummary", awsfake.AccessDenied("iam:GetAccountSummary"), -1)
		for i := 0; i < 5; i++ {
			_, err := s.Base().IAM.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
			if awsclient.ErrorCode(err) != "AccessDenied" {
				t.Errorf("call %d: %v", i+1, err)
			}
		}
	})
	t.Run("different failures", func(t *testing.T) {
		f := newFake(t)
		s := fastSession(t, f, nil)
		for i := 0; i < 4; i++ {
			code := []string{"ServiceFailure", "InternalError"}[i%2]
			f.FailOp("", "GetAccountSummary", &awsfake.Error{Status: 500, Code: code, Message: "x"}, -1)
			var ue *awsclient.UnavailableError
			if _, err := s.Base().IAM.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}); errors.As(err, &ue) {
				t.Errorf("call %d marked unavailable: %v", i+1, err)
			}
		}
	})
}

func TestDebugLogOfCalls(t *testing.T) {
	isolate(t)
	f := newFake(t)
	ctx := context.Background()
	log, buf := logger(slog.LevelDebug)
	s := fastSession(t, f, log)
	f.Throttle("", "GetAccountSummary", 2)
	if _, err := s.Base().IAM.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if strings.Contains(l, `msg="aws call"`) {
			lines = append(lines, l)
		}
	}
	want := []string{
		`level=DEBUG msg="aws call" service=STS operation=GetCallerIdentity account="" attempts=1 retries=0`,
		`level=DEBUG msg="aws call" service=IAM operation=GetAccountSummary account=111111110000 attempts=3 retries=2`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("log lines\n got %s\nwant %s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(buf.String(), awsfake.SecretAccessKey) {
		t.Error("secret in the log")
	}

	// At info level nothing is logged.
	quiet, qbuf := logger(slog.LevelInfo)
	s = fastSession(t, f, quiet)
	s.Base().IAM.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if qbuf.String() != "" {
		t.Errorf("info level logged %q", qbuf.String())
	}
}

// captureStderr runs fn with os.Stderr redirected and returns what was
// written there (the SDK's default logger writes to os.Stderr).
func captureStderr(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	done := make(chan string)
	go func() { b, _ := io.ReadAll(r); done <- string(b) }()
	defer func() { os.Stderr = old }()
	fn()
	w.Close()
	os.Stderr = old
	return <-done
}

func TestCredentials(t *testing.T) {
	ctx := context.Background()
	t.Run("none", func(t *testing.T) {
		isolate(t)
		var err error
		out := captureStderr(t, func() { err = awsclient.CheckCredentials(ctx, awsclient.Options{}) })
		var ce *awsclient.CredentialsError
		if !errors.As(err, &ce) || ce.Kind != "missing" {
			t.Fatalf("%v", err)
		}
		if want := "no AWS credentials found: pass --profile NAME or set AWS_PROFILE (for IAM Identity Center, run `aws sso login --profile NAME` first), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"; err.Error() != want {
			t.Errorf("message\n got %s\nwant %s", err, want)
		}
		if out != "" {
			t.Errorf("SDK wrote to stderr: %q", out)
		}
		_, err = awsclient.New(ctx, awsclient.Options{EndpointURL: "http://127.0.0.1:1"})
		if !errors.As(err, &ce) || ce.Kind != "missing" {
			t.Errorf("New: %v", err)
		}
	})
	t.Run("unknown profile", func(t *testing.T) {
		isolate(t)
		err := awsclient.CheckCredentials(ctx, awsclient.Options{Profile: "prod"})
		if want := "AWS profile \"prod\" is not in the AWS config or credentials file: check --profile and AWS_PROFILE (`aws configure list-profiles` lists them)"; err == nil || err.Error() != want {
			t.Errorf("got %v", err)
		}
	})
	t.Run("profile with keys", func(t *testing.T) {
		dir := isolate(t)
		os.WriteFile(filepath.Join(dir, "credentials"), []byte("[audit]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = s3cr3t\n"), 0o600)
		if err := awsclient.CheckCredentials(ctx, awsclient.Options{Profile: "audit"}); err != nil {
			t.Error(err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		isolate(t)
		f := newFake(t)
		f.FailOp("", "GetCallerIdentity", &awsfake.Error{Status: 403, Code: "ExpiredToken", Message: "The security token included in the request is expired"}, -1)
		_, err := awsclient.New(ctx, awsclient.Options{EndpointURL: f.URL, Credentials: f.Credentials(), Profile: ""})
		want := "AWS credentials have expired (ExpiredToken): run `aws sso login --profile NAME` or get new credentials"
		if err == nil || err.Error() != want {
			t.Errorf("got %v\nwant %s", err, want)
		}
		if strings.Contains(err.Error(), awsfake.SecretAccessKey) {
			t.Error("secret in error")
		}
	})
	t.Run("rejected", func(t *testing.T) {
		isolate(t)
		f := newFake(t)
		f.FailOp("", "GetCallerIdentity", &awsfake.Error{Status: 403, Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}, -1)
		_, err := awsclient.New(ctx, awsclient.Options{EndpointURL: f.URL, Credentials: f.Credentials()})
		var ce *awsclient.CredentialsError
		if !errors.As(err, &ce) || ce.Kind != "rejected" {
			t.Errorf("got %v", err)
		}
	})
}

// Every S3 read from a server without checksums made the SDK print
// "Response has no supported checksum" on stderr: SDK lines go to the
// logger, at debug level only.
func TestSDKLogLinesOnlyAtDebug(t *testing.T) {
	isolate(t)
	f := newFake(t)
	ctx := context.Background()
	// Seeded behind the API: no checksum stored, as with objects that
	// CloudTrail wrote.
	f.S3Backend().CreateBucket("trail")
	if _, err := f.S3Backend().PutObject("trail", "k", map[string]string{}, strings.NewReader("{}"), 2, nil); err != nil {
		t.Fatal(err)
	}
	read := func(log *slog.Logger) string {
		var s *awsclient.Session
		return captureStderr(t, func() {
			s = fastSession(t, f, log)
			c := s.Base().S3(func(o *s3.Options) { o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenSupported })
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("trail"), Key: aws.String("k"), ChecksumMode: s3types.ChecksumModeEnabled})
			if err != nil {
				t.Fatal(err)
			}
			io.ReadAll(out.Body)
			out.Body.Close()
		})
	}
	if out := read(nil); out != "" {
		t.Errorf("stderr without a logger: %q", out)
	}
	quiet, qbuf := logger(slog.LevelInfo)
	if out := read(quiet); out != "" || qbuf.String() != "" {
		t.Errorf("info level: stderr %q log %q", out, qbuf.String())
	}
	debug, dbuf := logger(slog.LevelDebug)
	if out := read(debug); out != "" {
		t.Errorf("debug level wrote to stderr directly: %q", out)
	}
	if !strings.Contains(dbuf.String(), "source=aws-sdk") {
		t.Errorf("debug log has no SDK line:\n%s", dbuf.String())
	}
}
