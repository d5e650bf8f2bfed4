// Package awsclient builds aws-sdk-go-v2 configurations the way the AWS CLI
// does (profiles, region, endpoint overrides), with adaptive retry for
// throttling and assume-role into member accounts.
package awsclient

import (
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Options are the global AWS flags of every seiri command.
type Options struct {
	Profile     string // --profile
	Region      string // --region
	EndpointURL string // --endpoint-url (AWS_ENDPOINT_URL[_<SERVICE>] also honoured by the SDK)
	MaxAttempts int    // --max-attempts: SDK attempts per call, including throttling retries
	RoleName    string // --role-name: role assumed in member accounts
	ExternalID  string // --external-id

	// Credentials replaces the standard credential chain (tests use static
	// fake keys). Nil: the chain (env, shared files, SSO, IMDS, ...).
	Credentials aws.CredentialsProvider
	// MaxBackoff caps the retry backoff (0: the SDK's 20 s). Tests lower it
	// so that injected throttling does not slow them down.
	MaxBackoff time.Duration
	// RetryMode is adaptive (default: client-side rate limiting after
	// throttling, down to 0.5 requests/s per client) or standard (backoff
	// only; tests use it so that injected throttling stays fast).
	RetryMode aws.RetryMode

	// Logger receives one debug line per AWS call (service, operation,
	// account, duration, retries), the SDK's own log lines at debug level
	// (dropped unless debug is enabled), and the warning when an operation
	// is marked unavailable. Nil: discard. Give it a handler on stderr, never
	// on the command's output.
	Logger *slog.Logger
	// BreakerThreshold is how many calls in a row failing the same way
	// with a server error (before any success) mark an operation
	// unavailable in an account for the rest of the run (0: DefaultBreakerThreshold;
	// negative: never).
	BreakerThreshold int
}

// DefaultRoleName is the role Organizations creates in member accounts.
const DefaultRoleName = "OrganizationAccountAccessRole"

// DefaultRegion is used when neither --region, the profile nor the
// environment names one. IAM, STS (global endpoint) and Organizations are
// served from us-east-1.
const DefaultRegion = "us-east-1"
