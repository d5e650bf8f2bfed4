package awsclient

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
)

// CredentialsError is a missing, expired or rejected AWS credential,
// detected once (CheckCredentials, or New's first call) and said in one
// line with what to set. The command layer maps it to exit 2 (bad input).
// It never holds a secret: only the profile name and the AWS error code.
type CredentialsError struct {
	Kind    string // "missing", "expired", "rejected", "profile"
	Profile string // the profile in use ("" for the default chain)
	Code    string // AWS error code, if any
	Err     error  // the SDK's error chain (for --log-level debug)
}

func (e *CredentialsError) Error() string {
	prof := "--profile NAME"
	if e.Profile != "" {
		prof = "--profile " + e.Profile
	}
	switch e.Kind {
	case "profile":
		return fmt.Sprintf("AWS profile %q is not in the AWS config or credentials file: check --profile and AWS_PROFILE (`aws configure list-profiles` lists them)", e.Profile)
	case "expired":
		return fmt.Sprintf("AWS credentials%s have expired (%s): run `aws sso login %s` or get new credentials", e.of(), e.Code, prof)
	case "rejected":
		return fmt.Sprintf("AWS rejected the credentials%s (%s): check AWS_ACCESS_KEY_ID and the profile's keys, or pass another --profile", e.of(), e.Code)
	}
	return "no AWS credentials found: pass --profile NAME or set AWS_PROFILE (for IAM Identity Center, run `aws sso login --profile NAME` first), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
}

func (e *CredentialsError) of() string {
	if e.Profile != "" {
		return fmt.Sprintf(" of profile %q", e.Profile)
	}
	return ""
}

func (e *CredentialsError) Unwrap() error { return e.Err }

// CheckCredentials loads the AWS configuration and retrieves the
// credentials once, without calling any service: a missing profile, no
// credentials at all, or an expired SSO session is a *CredentialsError.
// Commands that need AWS call it (or New, which does the same) before any
// work, so that a missing credential fails fast with one line instead of a
// retried call per item.
func CheckCredentials(ctx context.Context, opts Options) error {
	cfg, err := LoadConfig(ctx, opts)
	if err != nil {
		if ce := credentialsError(opts, err); ce != nil {
			return ce
		}
		return err
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		if ce := credentialsError(opts, err); ce != nil {
			return ce
		}
		return &CredentialsError{Kind: "missing", Profile: profileName(opts), Err: err}
	}
	return nil
}

func profileName(opts Options) string { return opts.Profile }

// expiredCodes and rejectedCodes are the AWS error codes of a bad
// credential (AWS STS API reference, "Common Errors").
var (
	expiredCodes  = map[string]bool{"ExpiredToken": true, "ExpiredTokenException": true, "TokenRefreshRequired": true}
	rejectedCodes = map[string]bool{"InvalidClientTokenId": true, "UnrecognizedClientException": true, "SignatureDoesNotMatch": true, "InvalidAccessKeyId": true, "AuthFailure": true}
)

// credentialsError classifies err as a credentials problem, or returns nil.
func credentialsError(opts Options, err error) *CredentialsError {
	var pe config.SharedConfigProfileNotExistError
	if errors.As(err, &pe) {
		return &CredentialsError{Kind: "profile", Profile: pe.Profile, Err: err}
	}
	code := ErrorCode(err)
	switch {
	case expiredCodes[code]:
		return &CredentialsError{Kind: "expired", Profile: profileName(opts), Code: code, Err: err}
	case rejectedCodes[code]:
		return &CredentialsError{Kind: "rejected", Profile: profileName(opts), Code: code, Err: err}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "failed to refresh cached credentials") && (strings.Contains(msg, "SSO") || strings.Contains(msg, "sso")) && strings.Contains(msg, "expired"),
		strings.Contains(msg, "the SSO session has expired"), strings.Contains(msg, "token expired"):
		return &CredentialsError{Kind: "expired", Profile: profileName(opts), Code: "SSO session expired", Err: err}
	case strings.Contains(msg, "get credentials") || strings.Contains(msg, "failed to refresh cached credentials") ||
		strings.Contains(msg, "no EC2 IMDS role found") || strings.Contains(msg, "failed to retrieve credentials") ||
		strings.Contains(msg, "anonymous credentials"):
		return &CredentialsError{Kind: "missing", Profile: profileName(opts), Err: err}
	}
	return nil
}
