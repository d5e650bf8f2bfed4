package awsclient_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/awsfake"
)

func isolate(t *testing.T) string {
	dir := t.TempDir()
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return dir
}

func TestLoadConfigRegionAndProfile(t *testing.T) {
	dir := isolate(t)
	os.WriteFile(filepath.Join(dir, "config"), []byte("[profile audit]\nregion = eu-central-1\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "credentials"), []byte("[audit]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = s3cr3t\n"), 0o600)
	tests := []struct {
		name       string
		opts       awsclient.Options
		env        map[string]string
		wantRegion string
		wantKey    string
	}{
		{"nothing configured", awsclient.Options{}, nil, "us-east-1", ""},
		{"--region", awsclient.Options{Region: "ap-south-1"}, nil, "ap-south-1", ""},
		{"AWS_REGION", awsclient.Options{}, map[string]string{"AWS_REGION": "sa-east-1"}, "sa-east-1", ""},
		{"--profile", awsclient.Options{Profile: "audit"}, nil, "eu-central-1", "AKIAPROFILE"},
		{"--region beats profile", awsclient.Options{Profile: "audit", Region: "us-west-2"}, nil, "us-west-2", "AKIAPROFILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := awsclient.LoadConfig(context.Background(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != tt.wantRegion {
				t.Errorf("region %q, want %q", cfg.Region, tt.wantRegion)
			}
			if tt.wantKey != "" {
				c, err := cfg.Credentials.Retrieve(context.Background())
				if err != nil || c.AccessKeyID != tt.wantKey {
					t.Errorf("credentials %q %v", c.AccessKeyID, err)
				}
			}
		})
	}
	if _, err := awsclient.LoadConfig(context.Background(), awsclient.Options{Profile: "missing"}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing profile: %v", err)
	}
}

func newFake(t *testing.T) *awsfake.Server {
	f := awsfake.New(awsfake.SampleScenario(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), 3, 1))
	t.Cleanup(f.Close)
	return f
}

func TestSessionEndpointAssumeRoleAndCounters(t *testing.T) {
	isolate(t)
	f := newFake(t)
	f.DenyAssumeRole("111111110002")
	ctx := context.Background()
	s, err := awsclient.New(ctx, awsclient.Options{EndpointURL: f.URL, Credentials: f.Credentials(), ExternalID: "ext-1"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Caller().Account != "111111110000" || s.Caller().ARN != "arn:aws:iam::111111110000:user/seiri-operator" {
		t.Errorf("caller %+v", s.Caller())
	}
	own, err := s.ForAccount(ctx, "111111110000")
	if err != nil || own != s.Base() {
		t.Fatalf("own account must use the base clients: %v", err)
	}
	m1, err := s.ForAccount(ctx, "111111110001")
	if err != nil {
		t.Fatal(err)
	}
	m1again, _ := s.ForAccount(ctx, "111111110001")
	if m1 != m1again || f.Count("", "AssumeRole") != 1 {
		t.Errorf("clients not cached: AssumeRole calls %d", f.Count("", "AssumeRole"))
	}
	creds, _ := m1.Config.Credentials.Retrieve(ctx)
	if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || creds.SessionToken == "" {
		t.Errorf("member credentials %q", creds.AccessKeyID)
	}
	al, err := m1.IAM.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})
	if err != nil || al.AccountAliases[0] != "acme-1" {
		t.Errorf("member call %v %v", al, err)
	}
	if m1.Calls.Calls() != 1 || s.Calls().Calls() < 3 {
		t.Errorf("counters: account %d session %d", m1.Calls.Calls(), s.Calls().Calls())
	}
	_, err = s.ForAccount(ctx, "111111110002")
	if err == nil || !strings.Contains(err.Error(), "assume role arn:aws:iam::111111110002:role/OrganizationAccountAccessRole: AccessDenied") {
		t.Errorf("denied: %v", err)
	}
	if strings.Contains(err.Error(), awsfake.SecretAccessKey) {
		t.Error("secret in error")
	}
	if got := s.RoleARN("123456789012"); got != "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole" {
		t.Errorf("role arn %s", got)
	}
}

func TestEndpointFromEnvironment(t *testing.T) {
	isolate(t)
	f := newFake(t)
	t.Setenv("AWS_ENDPOINT_URL", f.URL)
	s, err := awsclient.New(context.Background(), awsclient.Options{Credentials: f.Credentials()})
	if err != nil {
		t.Fatal(err)
	}
	if s.Caller().Account != "111111110000" {
		t.Errorf("caller %+v", s.Caller())
	}
}

func TestThrottlingRetriedAndCounted(t *testing.T) {
	isolate(t)
	f := newFake(t)
	f.Throttle("", "GetAccountSummary", 2)
	ctx := context.Background()
	s, err := awsclient.New(ctx, awsclient.Options{EndpointURL: f.URL, Credentials: f.Credentials(), MaxAttempts: 3,
		MaxBackoff: time.Millisecond, RetryMode: aws.RetryModeStandard})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Base()
	before := c.Calls.Attempts()
	if _, err := c.IAM.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}); err != nil {
		t.Fatal(err)
	}
	if got := c.Calls.Attempts() - before; got != 3 {
		t.Errorf("attempts %d, want 3", got)
	}
	f.Throttle("", "GetAccountSummary", 5)
	_, err = c.IAM.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if awsclient.ErrorCode(err) != "Throttling" || !strings.HasPrefix(awsclient.ErrorSummary(err), "Throttling: Rate exceeded") {
		t.Errorf("exhausted: %v", err)
	}
	if _, err := c.IAM.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("nobody")}); awsclient.ErrorCode(err) != "NoSuchEntity" {
		t.Errorf("GetLoginProfile: %v", err)
	}
	if c.Calls.Errors() != 1 {
		t.Errorf("errors %d", c.Calls.Errors())
	}
}
