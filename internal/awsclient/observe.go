package awsclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
)

// DefaultBreakerThreshold is how many calls in a row must fail the same
// way (HTTP 5xx, after the SDK's retries) before any call of an operation in
// an account succeeded, for the operation to be marked unavailable there.
const DefaultBreakerThreshold = 3

// UnavailableError is returned, without sending the call, for an operation
// of a service marked unavailable in an account for the rest of the run:
// its first calls all failed the same way with a server error, so further
// calls (each retried up to --max-attempts times) would only make the run
// slow. The breaker is per operation, not per service: a service whose
// other operations answer (a server or emulator that lacks one operation,
// e.g. Access Advisor) still has that one operation fail on every call;
// when a whole service is down, each operation is marked after its own
// first failures.
type UnavailableError struct {
	Service   string // as the SDK names it: IAM, STS, Organizations, S3, ...
	Operation string // GenerateServiceLastAccessedDetails, ...
	Account   string
	Failures  int    // calls that failed before the service was marked
	Cause     string // "InternalError: ..." (HTTP 500) of the last of them
}

func (e *UnavailableError) Error() string {
	acct := e.Account
	if acct == "" {
		acct = "the caller's account"
	}
	return fmt.Sprintf("%s %s unavailable in %s for the rest of this run: its first %d calls failed the same way (%s); call not sent",
		e.Service, e.Operation, acct, e.Failures, e.Cause)
}

type breakerKey struct{ service, operation, account string }

type breakerState struct {
	succeeded bool
	same      int    // consecutive failures with the same signature
	sig       string // "status code" of the last failure
	open      *UnavailableError
}

// breaker marks an operation unavailable in an account (see
// UnavailableError). It only opens before the first success: an operation
// that worked and then fails is an incident the callers see per call, not a
// dead endpoint.
type breaker struct {
	threshold int
	log       *slog.Logger
	mu        sync.Mutex
	state     map[breakerKey]*breakerState
}

func newBreaker(threshold int, log *slog.Logger) *breaker {
	if threshold == 0 {
		threshold = DefaultBreakerThreshold
	}
	return &breaker{threshold: threshold, log: log, state: map[breakerKey]*breakerState{}}
}

func (b *breaker) check(k breakerKey) error {
	if b.threshold < 0 {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if st := b.state[k]; st != nil && st.open != nil {
		return st.open
	}
	return nil
}

func (b *breaker) record(k breakerKey, err error) {
	if b.threshold < 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.state[k]
	if st == nil {
		st = &breakerState{}
		b.state[k] = st
	}
	if st.succeeded || st.open != nil {
		return
	}
	status := httpStatus(err)
	switch {
	case err == nil || status > 0 && status < 500:
		// An answer, even an error answer (AccessDenied, NoSuchEntity):
		// the service is there.
		st.succeeded = true
		return
	case status == 0:
		// Cancelled, a credentials failure, a network error: not the
		// service's answer; neither counts nor resets.
		return
	}
	sig := fmt.Sprintf("%d %s", status, ErrorCode(err))
	if sig != st.sig {
		st.sig, st.same = sig, 0
	}
	st.same++
	if st.same >= b.threshold {
		st.open = &UnavailableError{Service: k.service, Operation: k.operation, Account: k.account, Failures: st.same,
			Cause: fmt.Sprintf("HTTP %d %s", status, ErrorSummary(err))}
		b.log.Warn(st.open.Error())
	}
}

// Unavailable lists the services marked unavailable so far.
func (b *breaker) unavailable() []UnavailableError {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []UnavailableError
	for _, st := range b.state {
		if st.open != nil {
			out = append(out, *st.open)
		}
	}
	return out
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

type attemptsKey struct{}

// observe is the middleware every client of the session carries: the
// circuit breaker, and one debug log line per call (service, operation,
// account, duration, retries, error) — never request or response bodies.
func (s *Session) observe(account func() string) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		err := st.Initialize.Add(middleware.InitializeMiddlewareFunc("seiriObserve",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				k := breakerKey{service: middleware.GetServiceID(ctx), operation: middleware.GetOperationName(ctx), account: account()}
				if err := s.breaker.check(k); err != nil {
					s.log.Debug("aws call not sent", "service", k.service, "operation", k.operation, "account", k.account, "reason", "unavailable for this run")
					return middleware.InitializeOutput{}, middleware.Metadata{}, err
				}
				attempts := new(atomic.Int32)
				start := time.Now()
				out, md, err := next.HandleInitialize(context.WithValue(ctx, attemptsKey{}, attempts), in)
				s.breaker.record(k, err)
				if s.log.Enabled(ctx, slog.LevelDebug) {
					n := int(attempts.Load())
					attrs := []any{"service", k.service, "operation", k.operation, "account", k.account,
						"duration", time.Since(start).Round(time.Millisecond), "attempts", n, "retries", max(n-1, 0)}
					if err != nil {
						attrs = append(attrs, "error", ErrorSummary(err))
						if st := httpStatus(err); st > 0 {
							attrs = append(attrs, "status", st)
						}
					}
					s.log.Debug("aws call", attrs...)
				}
				return out, md, err
			}), middleware.After)
		if err != nil {
			return err
		}
		return st.Finalize.Add(middleware.FinalizeMiddlewareFunc("seiriObserveAttempt",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if n, ok := ctx.Value(attemptsKey{}).(*atomic.Int32); ok {
					n.Add(1)
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
}

// Unavailable lists the operations marked unavailable (per account) so far
// in this session, for the command's summary. Each was also logged once at
// warn level when it was marked.
func (s *Session) Unavailable() []UnavailableError { return s.breaker.unavailable() }

// sdkLogger sends the SDK's own log lines (e.g. "Response has no supported
// checksum") to slog at debug level: they are noise for a user and are shown
// only with --log-level debug.
type sdkLogger struct{ l *slog.Logger }

func (s sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	s.l.Debug(fmt.Sprintf(format, v...), "source", "aws-sdk", "class", string(c))
}

func sdkLoggerFor(l *slog.Logger) logging.Logger {
	if l == nil || !l.Enabled(context.Background(), slog.LevelDebug) {
		return logging.Nop{}
	}
	return sdkLogger{l: l}
}

func loggerOrDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
