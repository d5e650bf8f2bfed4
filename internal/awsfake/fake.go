// Package awsfake is test support: one local HTTP server on loopback that
// speaks the real AWS wire protocols of the services seiri uses, so tests
// drive the real aws-sdk-go-v2 clients against it (BaseEndpoint override):
//
//   - IAM and STS: the query protocol (form-encoded Action=...&Version=...,
//     XML <XResponse><XResult>...</XResult><ResponseMetadata>, XML
//     <ErrorResponse> errors).
//   - Organizations and CloudTrail: JSON 1.1 (X-Amz-Target
//     AWSOrganizationsV20161128.Op / CloudTrail_20131101.Op, JSON errors with
//     __type).
//
// State is seeded from a Scenario built on the snapshot model, so the demo
// organization can seed it. The account a request acts in is chosen by its
// credentials (the access key id in the SigV4 Authorization header): the
// static keys from Credentials map to the management account; AssumeRole
// issues temporary keys (ASIA...) tied to the target account. Signatures are
// not verified.
//
// Faults: Throttle (the service's throttling error for the next N calls of
// an operation), FailOp (any error), DenyAssumeRole, CredentialReportStarted,
// AccessAdvisorInProgress, Latency, FailAfter (every call after the Nth) and
// OnCall (a hook per request). Calls counts requests per (account, service,
// operation); Update gives tests the state under the server's lock.
//
// Adding an operation: write a handler func(*call) (any, error) and register
// it in iamOps/stsOps (query; return an *xmlBody) or orgOps/trailOps (JSON;
// return any JSON-marshalable value). Errors are *Error values. Write
// operations (UpdateAccessKey, TagUser, ...) change the seeded snapshot
// structures under s.mu.
package awsfake

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// Static credentials of the scenario's operator (management account).
const (
	AccessKeyID     = "AKIAFAKEOPERATOR0001"
	SecretAccessKey = "fakeSecretKeyDoNotLeak+0000000000000000"
	OperatorUser    = "seiri-operator"
)

// Scenario is the state the fake serves.
type Scenario struct {
	// Organization, when set, is served by the Organizations API; nil makes
	// every Organizations call fail with AWSOrganizationsNotInUseException.
	Organization *snapshot.Organization
	// Accounts are the IAM contents of each account (pointers are kept:
	// later write operations change them).
	Accounts []*snapshot.Account
	// Caller is the account the static credentials belong to (default: the
	// organization's management account, else the first account).
	Caller string
	// CredentialReportCSV overrides the generated credential report of an
	// account (raw CSV, as AWS returns it base64-decoded).
	CredentialReportCSV map[string][]byte
	// EventHistory is what CloudTrail's LookupEvents serves (cloudtrail.go).
	EventHistory []HistoryEvent
}

// Options tune the fake.
type Options struct {
	// PageSize is the largest page any list operation returns (default 3),
	// smaller than the caller's MaxItems so that paging is exercised.
	PageSize int
}

// Call identifies what a counter counts.
type Call struct {
	Account   string // "" when the credentials were not recognised
	Service   string // iam, sts, organizations, cloudtrail
	Operation string
}

// Server is the fake. Its exported methods are safe for concurrent use.
type Server struct {
	URL    string
	srv    *httptest.Server
	s3fake s3Fake // S3 requests (see s3.go)

	mu        sync.Mutex
	pageSize  int
	scenario  Scenario
	accounts  map[string]*accountState
	keys      map[string]credIdentity // access key id → identity
	nextKey   int
	calls     map[Call]int
	total     int
	faults    faults
	jobSeq    int
	requestID int
	athena    athenaState           // athena.go
	lookups   []LookupEventsRequest // cloudtrail.go
}

type credIdentity struct {
	account string
	arn     string
	userID  string
}

type accountState struct {
	acct *snapshot.Account
	// credential report: generated is true once COMPLETE was reached.
	reportGenerated bool
	reportPolls     int
	jobs            map[string]*aaJob
}

type aaJob struct {
	arn       string
	actions   bool
	created   time.Time
	pollsLeft int
}

type faults struct {
	throttle      map[[2]string]int // (account or "", op) → next N calls throttled in each account
	throttled     map[[3]string]int // (rule account, op, actual account) → throttles served
	denyAssume    map[string]bool
	fail          map[[2]string]failRule // (account or "", op) → injected error
	failed        map[[3]string]int
	reportStarted int
	aaInProgress  int
	latency       time.Duration
	failAfter     int // 0: off
	onCall        func(Call)
}

// New starts the fake on loopback. Close it when done.
func New(sc Scenario, opts ...Options) *Server {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.PageSize <= 0 {
		o.PageSize = 3
	}
	s := &Server{
		pageSize: o.PageSize,
		scenario: sc,
		accounts: map[string]*accountState{},
		keys:     map[string]credIdentity{},
		calls:    map[Call]int{},
		faults: faults{throttle: map[[2]string]int{}, throttled: map[[3]string]int{}, denyAssume: map[string]bool{},
			fail: map[[2]string]failRule{}, failed: map[[3]string]int{}},
	}
	for _, a := range sc.Accounts {
		s.accounts[a.AccountID] = &accountState{acct: a, jobs: map[string]*aaJob{}}
	}
	caller := sc.Caller
	if caller == "" && sc.Organization != nil {
		caller = sc.Organization.ManagementAccount
	}
	if caller == "" && len(sc.Accounts) > 0 {
		caller = sc.Accounts[0].AccountID
	}
	s.scenario.Caller = caller
	s.keys[AccessKeyID] = credIdentity{
		account: caller,
		arn:     fmt.Sprintf("arn:aws:iam::%s:user/%s", caller, OperatorUser),
		userID:  "AIDAFAKEOPERATOR0001",
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Credentials are the static operator credentials (management account).
func (s *Server) Credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")
}

// CallerAccount is the account of the static credentials.
func (s *Server) CallerAccount() string { return s.scenario.Caller }

// Throttle makes the first n calls of operation op (e.g. "ListAccessKeys")
// in account (or every account when account is "") fail with the service's
// throttling error (Throttling / TooManyRequestsException / ThrottlingException).
func (s *Server) Throttle(account, op string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.throttle[[2]string{account, op}] = n
	for k := range s.faults.throttled {
		if k[0] == account && k[1] == op {
			delete(s.faults.throttled, k)
		}
	}
}

type failRule struct {
	err *Error
	n   int // < 0: every call
}

// FailOp makes the next n calls of op in account (every account when "")
// fail with err; n < 0 fails every call. E.g.
// FailOp("", "GenerateServiceLastAccessedDetails", &Error{Status: 403, Code: "AccessDenied", Message: "..."}, -1).
func (s *Server) FailOp(account, op string, err *Error, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.fail[[2]string{account, op}] = failRule{err: err, n: n}
	for k := range s.faults.failed {
		if k[0] == account && k[1] == op {
			delete(s.faults.failed, k)
		}
	}
}

// AccessDenied is an AccessDenied error for FailOp.
func AccessDenied(action string) *Error {
	return errf(403, "AccessDenied", "User is not authorized to perform: %s", action)
}

// DenyAssumeRole makes AssumeRole into account fail with AccessDenied.
func (s *Server) DenyAssumeRole(account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.denyAssume[account] = true
}

// CredentialReportStarted keeps each account's credential report in STARTED
// (then INPROGRESS) for n GenerateCredentialReport polls before COMPLETE.
func (s *Server) CredentialReportStarted(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.reportStarted = n
}

// AccessAdvisorInProgress keeps each Access Advisor job IN_PROGRESS for n
// GetServiceLastAccessedDetails polls.
func (s *Server) AccessAdvisorInProgress(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.aaInProgress = n
}

// Latency adds d to every call (a slow endpoint).
func (s *Server) Latency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.latency = d
}

// FailAfter makes every call after the first n fail with a non-retryable
// InjectedFailure error (0 turns it off). Crash tests use it.
func (s *Server) FailAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failAfter = n
}

// OnCall registers a hook run (outside the lock) for every request before it
// is answered, e.g. to cancel a context mid-way.
func (s *Server) OnCall(f func(Call)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.onCall = f
}

// Calls returns a copy of the request counters (every request, retries and
// failed ones included).
func (s *Server) Calls() map[Call]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[Call]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// Count returns the requests seen for (account, operation); account "" sums
// every account.
func (s *Server) Count(account, op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, v := range s.calls {
		if k.Operation == op && (account == "" || k.Account == account) {
			n += v
		}
	}
	return n
}

// Total is the number of requests served.
func (s *Server) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Actions returns the IAM actions ("iam:ListAccessKeys", ...) of every
// operation the fake saw, sorted.
func (s *Server) Actions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := map[string]bool{}
	for k := range s.calls {
		set[k.Service+":"+k.Operation] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Error is an AWS error answer.
type Error struct {
	Status  int
	Code    string
	Message string
	Sender  bool
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...), Sender: status < 500}
}

// call is one request being served.
type call struct {
	s       *Server
	service string
	op      string
	form    url.Values     // query protocol parameters
	body    map[string]any // JSON protocol input
	who     credIdentity
	acct    *accountState // nil when the account has no IAM data in the scenario
	region  string        // the SigV4 credential scope's region
	req     *http.Request // REST protocols (S3 policies, Lambda): path and query
}

var credRE = regexp.MustCompile(`Credential=([A-Z0-9]+)/[0-9]{8}/([^/]*)/([^/]+)/aws4_request`)

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	m := credRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m != nil && m[3] == "s3" && s.serveS3Policies(w, r) {
		return
	}
	if m != nil && m[3] == "lambda" {
		s.serveLambda(w, r)
		return
	}
	if m != nil && m[3] == "access-analyzer" {
		s.serveAccessAnalyzer(w, r)
		return
	}
	if m != nil && m[3] == "s3" {
		s.mu.Lock()
		who := s.keys[m[1]]
		s.mu.Unlock()
		s.serveS3(w, r, who.account)
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c := &call{s: s}
	target := r.Header.Get("X-Amz-Target")
	jsonProto := target != ""
	switch {
	case strings.HasPrefix(target, "AWSOrganizationsV20161128."):
		c.service, c.op = "organizations", strings.TrimPrefix(target, "AWSOrganizationsV20161128.")
	case strings.Contains(target, "CloudTrail_20131101."):
		c.service, c.op = "cloudtrail", target[strings.LastIndex(target, ".")+1:]
	case strings.HasPrefix(target, "AmazonAthena."):
		c.service, c.op = "athena", strings.TrimPrefix(target, "AmazonAthena.")
	case jsonServiceOf(target) != "":
		c.service, c.op = jsonServiceOf(target), target[strings.LastIndexByte(target, '.')+1:]
	case jsonProto:
		writeJSONError(w, errf(400, "UnknownOperationException", "unknown target %q", target))
		return
	default:
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			writeXMLError(w, errf(400, "MalformedQueryString", "%v", err), "0")
			return
		}
		c.form = form
		c.op = form.Get("Action")
		switch form.Get("Version") {
		case "2010-05-08":
			c.service = "iam"
		case "2011-06-15":
			c.service = "sts"
		case "2010-03-31":
			c.service = "sns"
		default:
			writeXMLError(w, errf(400, "InvalidAction", "unknown Version %q for Action %q", form.Get("Version"), c.op), "0")
			return
		}
	}
	if jsonProto {
		c.body = map[string]any{}
		if len(bytes.TrimSpace(raw)) > 0 {
			if err := jsonUnmarshal(raw, &c.body); err != nil {
				writeJSONError(w, errf(400, "SerializationException", "%v", err))
				return
			}
		}
	}

	resp, aerr := s.dispatch(r, c)
	if jsonProto {
		if aerr != nil {
			writeJSONError(w, aerr)
			return
		}
		writeJSON(w, resp)
		return
	}
	s.mu.Lock()
	s.requestID++
	rid := fmt.Sprintf("fake-%08d", s.requestID)
	s.mu.Unlock()
	if aerr != nil {
		writeXMLError(w, aerr, rid)
		return
	}
	writeXML(w, c.op, c.service, resp.(*xmlBody), rid)
}

// dispatch authenticates, counts, applies faults and runs the handler.
func (s *Server) dispatch(r *http.Request, c *call) (any, *Error) {
	akid, scope := "", ""
	if m := credRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		akid, c.region, scope = m[1], m[2], m[3]
	}
	s.mu.Lock()
	who, known := s.keys[akid]
	key := Call{Account: who.account, Service: c.service, Operation: c.op}
	s.calls[key]++
	s.total++
	n := s.total
	f := s.faults
	var throttled bool
	var injected *Error
	if known {
		for _, rule := range []string{who.account, ""} {
			r, ok := s.faults.fail[[2]string{rule, c.op}]
			k := [3]string{rule, c.op, who.account}
			if ok && injected == nil && (r.n < 0 || s.faults.failed[k] < r.n) {
				s.faults.failed[k]++
				injected = r.err
			}
		}
		c.who = who
		c.acct = s.accounts[who.account]
		for _, rule := range []string{who.account, ""} {
			k := [3]string{rule, c.op, who.account}
			if !throttled && s.faults.throttled[k] < f.throttle[[2]string{rule, c.op}] {
				s.faults.throttled[k]++
				throttled = true
			}
		}
	}
	s.mu.Unlock()

	if f.onCall != nil {
		f.onCall(key)
	}
	if f.latency > 0 {
		select {
		case <-time.After(f.latency):
		case <-r.Context().Done():
		}
	}
	if !known {
		return nil, errf(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	// The SigV4 credential scope names the service the client signed for: a
	// client pointed at the wrong service would be refused by AWS too.
	if scope != c.service {
		return nil, errf(403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: '%s', not '%s'.", c.service, scope)
	}
	if f.failAfter > 0 && n > f.failAfter {
		return nil, errf(400, "InjectedFailure", "awsfake: failing every call after %d", f.failAfter)
	}
	if injected != nil {
		return nil, injected
	}
	if throttled {
		switch c.service {
		case "organizations":
			return nil, errf(400, "TooManyRequestsException", "AWS Organizations can't complete your request because another request is already in progress. Try again later.")
		case "cloudtrail":
			return nil, errf(400, "ThrottlingException", "Rate exceeded")
		default:
			return nil, errf(400, "Throttling", "Rate exceeded")
		}
	}
	var h func(*call) (any, *Error)
	switch c.service {
	case "iam":
		h = iamOps[c.op]
	case "sts":
		h = stsOps[c.op]
	case "organizations":
		h = orgOps[c.op]
	case "cloudtrail":
		h = trailOps[c.op]
	case "athena":
		h = athenaOps[c.op]
	default:
		h = resourceOps[c.service][c.op]
	}
	if h == nil {
		if c.service == "iam" || c.service == "sts" || c.service == "sns" {
			return nil, errf(400, "InvalidAction", "awsfake does not implement %s:%s", c.service, c.op)
		}
		return nil, errf(400, "UnknownOperationException", "awsfake does not implement %s:%s", c.service, c.op)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return h(c)
}

// --- request helpers -------------------------------------------------------

func (c *call) str(name string) string {
	if c.form != nil {
		return c.form.Get(name)
	}
	if v, ok := c.body[name].(string); ok {
		return v
	}
	return ""
}

func (c *call) num(name string) int {
	if c.form != nil {
		n, _ := strconv.Atoi(c.form.Get(name))
		return n
	}
	switch v := c.body[name].(type) {
	case float64:
		return int(v)
	}
	return 0
}

// account returns the IAM state of the caller's account.
func (c *call) account() (*snapshot.Account, *Error) {
	if c.acct == nil {
		return nil, errf(403, "AccessDenied", "awsfake: account %s has no IAM data in the scenario", c.who.account)
	}
	return c.acct.acct, nil
}

// page cuts n items at the marker: it returns [start,end) and the next
// marker ("" when done). Markers are opaque: "<op>:<offset>" base64.
func (c *call) page(n int, limitParam, markerParam string) (int, int, string, *Error) {
	start := 0
	if m := c.str(markerParam); m != "" {
		dec, err := base64.RawURLEncoding.DecodeString(m)
		prefix := c.op + ":"
		if err != nil || !strings.HasPrefix(string(dec), prefix) {
			return 0, 0, "", c.badMarker(m)
		}
		v, err := strconv.Atoi(strings.TrimPrefix(string(dec), prefix))
		if err != nil || v < 0 || v > n {
			return 0, 0, "", c.badMarker(m)
		}
		start = v
	}
	size := c.s.pageSize
	if l := c.num(limitParam); l > 0 && l < size {
		size = l
	}
	end := start + size
	if end >= n {
		return start, n, "", nil
	}
	return start, end, base64.RawURLEncoding.EncodeToString([]byte(c.op + ":" + strconv.Itoa(end))), nil
}

func (c *call) badMarker(m string) *Error {
	if c.form != nil {
		return errf(400, "InvalidInput", "Invalid Marker %q", m)
	}
	return errf(400, "InvalidInputException", "Invalid NextToken %q", m)
}

// Update runs f on the served scenario under the server's lock, so tests
// can inspect or change state between calls (and check what a write
// operation did). f must not call other Server methods.
func (s *Server) Update(f func(sc *Scenario)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.scenario)
}
