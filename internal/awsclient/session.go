package awsclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// Identity is the caller as STS GetCallerIdentity sees it.
type Identity struct {
	Account string
	ARN     string
	UserID  string
}

// Session is the base AWS configuration of one seiri run plus the clients of
// every account it reached. It is safe for concurrent use.
type Session struct {
	opts   Options
	base   aws.Config
	caller Identity
	total  *Counter
	log    *slog.Logger
	// breaker marks services unavailable per account (observe.go).
	breaker *breaker

	mu       sync.Mutex
	accounts map[string]*accountEntry
}

type accountEntry struct {
	once    sync.Once
	clients *Clients
	err     error
}

// Clients are the service clients of one account, all sharing the account's
// credentials and API-call counter.
type Clients struct {
	AccountID     string
	Config        aws.Config
	IAM           *iam.Client
	STS           *sts.Client
	Organizations *organizations.Client
	CloudTrail    *cloudtrail.Client
	// Calls counts the API calls made with these clients (and adds them to
	// the session's total).
	Calls *Counter
}

// S3 returns an S3 client for the account (path-style addressing when an
// endpoint override is set, as local S3 servers need).
func (c *Clients) S3(optFns ...func(*s3.Options)) *s3.Client {
	pathStyle := c.Config.BaseEndpoint != nil
	return s3.NewFromConfig(c.Config, append([]func(*s3.Options){func(o *s3.Options) {
		o.UsePathStyle = pathStyle
	}}, optFns...)...)
}

// Athena returns an Athena client for the account.
func (c *Clients) Athena(optFns ...func(*athena.Options)) *athena.Client {
	return athena.NewFromConfig(c.Config, optFns...)
}

// New loads the AWS configuration (standard credential chain, --profile,
// --region, --endpoint-url, adaptive retry) and asks STS who the caller is.
func New(ctx context.Context, opts Options) (*Session, error) {
	cfg, err := LoadConfig(ctx, opts)
	if err != nil {
		return nil, err
	}
	log := loggerOrDiscard(opts.Logger)
	s := &Session{opts: opts, base: cfg, total: &Counter{}, accounts: map[string]*accountEntry{},
		log: log, breaker: newBreaker(opts.BreakerThreshold, log)}
	base := s.clients("", cfg)
	out, err := base.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		if ce := credentialsError(opts, err); ce != nil {
			return nil, ce
		}
		return nil, fmt.Errorf("who am I (sts GetCallerIdentity): %w", err)
	}
	s.caller = Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn), UserID: aws.ToString(out.UserId)}
	base.AccountID = s.caller.Account
	e := &accountEntry{clients: base}
	e.once.Do(func() {})
	s.accounts[s.caller.Account] = e
	return s, nil
}

// LoadConfig builds the aws.Config New uses, without calling AWS.
func LoadConfig(ctx context.Context, opts Options) (aws.Config, error) {
	maxAttempts := opts.MaxAttempts
	if maxAttempts < 1 {
		maxAttempts = 10
	}
	var lo []func(*config.LoadOptions) error
	if opts.Profile != "" {
		lo = append(lo, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Region != "" {
		lo = append(lo, config.WithRegion(opts.Region))
	}
	if opts.Credentials != nil {
		lo = append(lo, config.WithCredentialsProvider(opts.Credentials))
	}
	standard := func(so *retry.StandardOptions) {
		so.MaxAttempts = maxAttempts
		so.RateLimiter = ratelimit.None
		if opts.MaxBackoff > 0 {
			so.MaxBackoff = opts.MaxBackoff
			so.Backoff = retry.NewExponentialJitterBackoff(opts.MaxBackoff)
		}
	}
	lo = append(lo, config.WithRetryer(func() aws.Retryer {
		if opts.RetryMode == aws.RetryModeStandard {
			return retry.NewStandard(standard)
		}
		// Adaptive mode adds client-side rate limiting when AWS throttles
		// (IAM's APIs throttle per account at low rates). The retry quota is
		// disabled: a long collect must not give up on an account because
		// other calls were throttled earlier.
		return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
			o.StandardOptions = append(o.StandardOptions, standard)
		})
	}))
	// One HTTP client for every account and service: connections to the
	// global IAM endpoint are reused across accounts. The SDK keeps only 10
	// idle connections per host, fewer than collect's concurrent calls
	// (--parallel × per-account workers), which would churn connections.
	lo = append(lo, config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConnsPerHost = 128
	})))
	// The SDK logs to stderr by default (IMDS fallbacks, "Response has no
	// supported checksum" on every S3 read): only with --log-level debug,
	// via slog. Set at load time so that the credential providers get it.
	lo = append(lo, config.WithLogger(sdkLoggerFor(opts.Logger)))
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}

	if opts.EndpointURL != "" {
		// BaseEndpoint applies to every service client built from cfg;
		// AWS_ENDPOINT_URL[_<SERVICE>] is read by LoadDefaultConfig itself.
		cfg.BaseEndpoint = aws.String(opts.EndpointURL)
	}
	return cfg, nil
}

// Caller is the identity New found.
func (s *Session) Caller() Identity { return s.caller }

// Config is the base configuration (the caller's credentials).
func (s *Session) Config() aws.Config { return s.base }

// Calls is the session-wide API call counter.
func (s *Session) Calls() *Counter { return s.total }

// Base returns the clients of the caller's own account.
func (s *Session) Base() *Clients {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accounts[s.caller.Account].clients
}

// RoleARN is the role assumed in accountID.
func (s *Session) RoleARN(accountID string) string {
	name := s.opts.RoleName
	if name == "" {
		name = DefaultRoleName
	}
	partition := "aws"
	if p := strings.Split(s.caller.ARN, ":"); len(p) > 2 && p[0] == "arn" {
		partition = p[1]
	}
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, accountID, name)
}

// ForAccount returns the clients of accountID: the base credentials for the
// caller's own account, otherwise credentials from assuming --role-name
// there (cached and refreshed before they expire). The role is assumed
// eagerly so that a denied AssumeRole fails here, with the role named.
func (s *Session) ForAccount(ctx context.Context, accountID string) (*Clients, error) {
	s.mu.Lock()
	e, ok := s.accounts[accountID]
	if !ok {
		e = &accountEntry{}
		s.accounts[accountID] = e
	}
	s.mu.Unlock()
	e.once.Do(func() {
		e.clients, e.err = s.assume(ctx, accountID)
	})
	if e.err != nil {
		// Let a later call retry (e.g. after a cancelled context).
		s.mu.Lock()
		if s.accounts[accountID] == e {
			delete(s.accounts, accountID)
		}
		s.mu.Unlock()
	}
	return e.clients, e.err
}

func (s *Session) assume(ctx context.Context, accountID string) (*Clients, error) {
	roleARN := s.RoleARN(accountID)
	stsClient := sts.NewFromConfig(s.base, func(o *sts.Options) {
		o.APIOptions = append(o.APIOptions, s.total.middleware(nil), s.observe(func() string { return s.caller.Account }))
	})
	prov := stscreds.NewAssumeRoleProvider(stsClient, roleARN, func(o *stscreds.AssumeRoleOptions) {
		// The session name shows up in the member account's CloudTrail.
		o.RoleSessionName = fmt.Sprintf("seiri-collect-%d", time.Now().Unix())
		if s.opts.ExternalID != "" {
			o.ExternalID = aws.String(s.opts.ExternalID)
		}
	})
	// Refresh a minute before expiry (AssumeRole credentials last 15 min by
	// default) so that a long account never signs with expiring keys.
	cache := aws.NewCredentialsCache(prov, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = time.Minute })
	if _, err := cache.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("assume role %s: %s", roleARN, ErrorSummary(err))
	}
	cfg := s.base.Copy()
	cfg.Credentials = cache
	c := s.clients(accountID, cfg)
	return c, nil
}

func (s *Session) clients(accountID string, cfg aws.Config) *Clients {
	c := &Clients{AccountID: accountID, Config: cfg, Calls: &Counter{parent: s.total}}
	cfg.APIOptions = append(append([]func(*middleware.Stack) error{}, cfg.APIOptions...), c.Calls.middleware(nil),
		s.observe(func() string { return c.AccountID }))
	c.Config = cfg
	c.IAM = iam.NewFromConfig(cfg)
	c.STS = sts.NewFromConfig(cfg)
	c.Organizations = organizations.NewFromConfig(cfg)
	c.CloudTrail = cloudtrail.NewFromConfig(cfg)
	return c
}

// ErrorSummary renders an AWS error as "Code: message" without the SDK's
// long operation/request-id wrapping. It never contains credentials: AWS
// error messages carry ARNs and ids only.
func ErrorSummary(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if msg := ae.ErrorMessage(); msg != "" {
			return ae.ErrorCode() + ": " + msg
		}
		return ae.ErrorCode()
	}
	return err.Error()
}

// ErrorCode is the AWS error code of err, or "".
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Counter counts API operations (one per SDK call, retries included in
// Attempts) and failed calls. Counters chain to a parent (account → session).
type Counter struct {
	parent   *Counter
	calls    atomic.Int64
	attempts atomic.Int64
	errors   atomic.Int64
}

// Calls is the number of SDK operations started.
func (c *Counter) Calls() int64 { return c.calls.Load() }

// Attempts is the number of HTTP requests sent (calls plus retries).
func (c *Counter) Attempts() int64 { return c.attempts.Load() }

// Errors is the number of operations that failed after all retries
// (NoSuchEntity answers excluded).
func (c *Counter) Errors() int64 { return c.errors.Load() }

func (c *Counter) each(f func(*Counter)) {
	for x := c; x != nil; x = x.parent {
		f(x)
	}
}

// middleware counts operations at Initialize (once per call) and attempts
// after the retry middleware in Finalize (once per HTTP request).
func (c *Counter) middleware(_ any) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		err := st.Initialize.Add(middleware.InitializeMiddlewareFunc("seiriCallCounter",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				c.each(func(x *Counter) { x.calls.Add(1) })
				out, md, err := next.HandleInitialize(ctx, in)
				// NoSuchEntity is an answer, not a failure (no login
				// profile, no password policy).
				if err != nil && ErrorCode(err) != "NoSuchEntity" {
					c.each(func(x *Counter) { x.errors.Add(1) })
				}
				return out, md, err
			}), middleware.Before)
		if err != nil {
			return err
		}
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("seiriAttemptCounter",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				c.each(func(x *Counter) { x.attempts.Add(1) })
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
}
