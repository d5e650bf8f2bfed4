package trail

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"unicode/utf8"
)

// Record holds the fields seiri reads from one CloudTrail record. The byte
// slices point into the file's buffer (or into the record's scratch space
// for strings that had JSON escapes) and are valid only until the next
// record: the scanner never builds the full record, only these fields.
// CloudTrail record contents: AWS CloudTrail User Guide, "CloudTrail record contents".
type Record struct {
	EventVersion     []byte
	EventTime        []byte
	EventSource      []byte
	EventName        []byte
	EventType        []byte
	AWSRegion        []byte
	SourceIP         []byte
	UserAgent        []byte
	ErrorCode        []byte
	RecipientAccount []byte
	VPCEndpointID    []byte
	// RespAccessKeyID is responseElements.credentials.accessKeyId: the
	// session key an STS call issued (links ASIA keys to their caller).
	RespAccessKeyID []byte
	// EventID is eventID, the record's unique identifier.
	EventID []byte
	// RequestRaw, ResponseRaw and AdditionalRaw are the raw JSON of
	// requestParameters, responseElements and additionalEventData (nil when
	// absent or null). The scanner records where they lie while it reads
	// them anyway, so the cost is a slice header: readers that need a
	// member the scanner does not extract (the detection rules: a bucket
	// policy, ConsoleLogin's outcome, MFAUsed) decode these on demand.
	RequestRaw    []byte
	ResponseRaw   []byte
	AdditionalRaw []byte

	HasIdentity bool
	Identity    Identity
	Req         RequestParams
	Resources   []ResourceRef

	scratch []byte
}

// Identity is userIdentity. CloudTrail User Guide, "CloudTrail userIdentity element".
type Identity struct {
	Type             []byte
	PrincipalID      []byte
	ARN              []byte
	AccountID        []byte
	AccessKeyID      []byte
	UserName         []byte
	InvokedBy        []byte
	IdentityProvider []byte
	IssuerType       []byte // sessionContext.sessionIssuer.type
	IssuerARN        []byte // sessionContext.sessionIssuer.arn
	IssuerUserName   []byte // sessionContext.sessionIssuer.userName
	SourceIdentity   []byte // sessionContext.sourceIdentity
	OnBehalfOfUserID []byte // onBehalfOf.userId (Identity Center users)
	OnBehalfOfStore  []byte // onBehalfOf.identityStoreArn
	// EC2RoleDelivery is sessionContext.ec2RoleDelivery: set ("1.0",
	// "2.0") only on credentials an EC2 instance got from its metadata
	// service (CloudTrail userIdentity element).
	EC2RoleDelivery []byte
}

// RequestParams are the requestParameters seiri turns into resource ARNs.
type RequestParams struct {
	BucketName       []byte
	Key              []byte
	CopySource       []byte // S3 x-amz-copy-source "bucket/key"
	TableName        []byte
	FunctionName     []byte
	QueueURL         []byte
	TopicARN         []byte
	KeyID            []byte
	SecretID         []byte
	Name             []byte // SSM parameter name
	UserName         []byte
	RoleName         []byte
	PolicyARN        []byte
	RoleARN          []byte
	RepositoryName   []byte
	LogGroupName     []byte
	Statement        []byte // DynamoDB PartiQL statement
	SourceKeyID      []byte // KMS ReEncrypt sourceKeyId
	DestinationKeyID []byte // KMS ReEncrypt destinationKeyId
	// PrincipalARN is AssumeRoleWithSAML's principalArn: the SAML provider.
	PrincipalARN []byte
	// Items are the per-item operations of a DynamoDB multi-item request:
	// TransactWriteItems/TransactGetItems and BatchExecuteStatement log
	// requestItems[], ExecuteTransaction transactStatements[], BatchGetItem
	// and BatchWriteItem an object keyed by table name (DynamoDB Developer
	// Guide, "Understanding DynamoDB log file entries").
	Items []ReqItem
	// SecretIDs are Secrets Manager BatchGetSecretValue's secretIdList.
	SecretIDs [][]byte
	// HasFilters is set when the request carried a non-empty filters list
	// (BatchGetSecretValue with filters also needs ListSecrets).
	HasFilters bool
	// ItemsDropped counts items beyond MaxRequestItems (not kept).
	ItemsDropped int
}

// MaxRequestItems bounds the items kept per record (DynamoDB transactions
// take at most 100 items, BatchGetSecretValue 20 secrets).
const MaxRequestItems = 256

// ReqItem is one item of a multi-item request.
type ReqItem struct {
	Op        []byte // "Put", "Update", "Delete", "ConditionCheck", "Get" ("" for a batch entry)
	Table     []byte // table name or ARN
	Statement []byte // PartiQL statement
}

// ResourceRef is one element of resources[].
type ResourceRef struct {
	ARN  []byte
	Type []byte
}

func (r *Record) reset() {
	res := r.Resources[:0]
	scratch := r.scratch[:0]
	items := r.Req.Items[:0]
	secrets := r.Req.SecretIDs[:0]
	*r = Record{}
	r.Resources = res
	r.scratch = scratch
	r.Req.Items = items
	r.Req.SecretIDs = secrets
}

// Errors of a whole log file.
var (
	ErrEmpty         = errors.New("empty file")
	ErrNotJSON       = errors.New("not JSON")
	ErrNotCloudTrail = errors.New(`JSON without a "Records" array: not a CloudTrail log`)
)

// SyntaxError is malformed JSON at an offset of the decompressed file.
type SyntaxError struct {
	Offset int
	Record int // index in Records, -1 outside it
	Msg    string
	Near   string
}

func (e *SyntaxError) Error() string {
	where := fmt.Sprintf("offset %d", e.Offset)
	if e.Record >= 0 {
		where = fmt.Sprintf("record %d, offset %d", e.Record, e.Offset)
	}
	if e.Near == "" {
		return fmt.Sprintf("malformed JSON at %s: %s", where, e.Msg)
	}
	return fmt.Sprintf("malformed JSON at %s: %s near %q", where, e.Msg, e.Near)
}

// ScanLog walks a CloudTrail log file and calls fn for every record (rec is
// reused between calls). It reads the layout CloudTrail delivers,
// {"Records":[...]}, and the layouts exports and public datasets use: a JSON
// array of records (or of such log objects), and a stream of objects, one
// per line or concatenated (JSON lines), each a record or a log object. An
// element that is not an object is reported to bad and skipped. It returns
// the number of elements seen. A syntax error stops the file (JSON has no
// resynchronization point) after the records before it were delivered.
func ScanLog(data []byte, rec *Record, fn func(*Record), bad func(index int, why string)) (int, error) {
	p := parser{d: data, rec: rec, record: -1}
	p.ws()
	if p.i >= len(p.d) {
		return 0, ErrEmpty
	}
	n := 0
	switch p.d[p.i] {
	case '[':
		// A JSON array of records, or of log objects. Its first element
		// decides whether it is CloudTrail at all.
		q := p
		q.i++
		q.ws()
		if q.i < len(q.d) && q.d[q.i] != ']' {
			if q.d[q.i] != '{' {
				return 0, fmt.Errorf("%w: a JSON array whose first element is not an object: %q", ErrNotCloudTrail, trimNear(q.d[q.i:]))
			}
			kind, err := q.peekObject()
			if err != nil {
				return 0, err
			}
			if kind == objOther {
				return 0, fmt.Errorf("%w: a JSON array whose first element is neither a record nor a log: %q", ErrNotCloudTrail, trimNear(q.d[q.i:]))
			}
		}
		err := p.elements(&n, true, fn, bad)
		if err != nil {
			return n, err
		}
		return n, p.trailing()
	case '{':
	default:
		return 0, fmt.Errorf("%w: starts with %q", ErrNotJSON, trimNear(p.d[p.i:]))
	}
	// One log object, or a stream of objects (JSON lines).
	first := true
	for {
		p.ws()
		if p.i >= len(p.d) {
			return n, nil
		}
		if p.d[p.i] != '{' {
			if first {
				return n, fmt.Errorf("%w: starts with %q", ErrNotJSON, trimNear(p.d[p.i:]))
			}
			start := p.i
			p.record = n
			if err := p.skip(); err != nil {
				return n, err
			}
			if bad != nil {
				bad(n, fmt.Sprintf("record is not an object: %q", trimNear(p.d[start:p.i])))
			}
			n++
			p.record = -1
			continue
		}
		p.record = n
		kind, err := p.peekObject()
		if err != nil {
			return n, err
		}
		p.record = -1
		switch kind {
		case objLog:
			if err := p.logObject(&n, fn, bad); err != nil {
				return n, err
			}
		case objRecord:
			p.record = n
			rec.reset()
			if err := p.record1(); err != nil {
				return n, err
			}
			fn(rec)
			n++
			p.record = -1
		default:
			if first {
				return n, ErrNotCloudTrail
			}
			// An object in a stream that is neither: count it as a bad record.
			start := p.i
			if err := p.skip(); err != nil {
				return n, err
			}
			if bad != nil {
				bad(n, fmt.Sprintf("object is neither a CloudTrail record nor a log: %q", trimNear(p.d[start:p.i])))
			}
			n++
		}
		first = false
	}
}

// trailing reports data after the top-level value.
func (p *parser) trailing() error {
	p.ws()
	if p.i < len(p.d) {
		return p.errf("data after the top-level array")
	}
	return nil
}

type objKind uint8

const (
	objOther  objKind = iota
	objLog            // {"Records": ...}
	objRecord         // a CloudTrail record
)

// peekObject looks at the member names of the object at p.i without moving:
// a "Records" member makes it a log; eventTime, eventName, eventSource or
// eventVersion a record.
func (p *parser) peekObject() (objKind, error) {
	q := *p
	kind := objOther
	q.i++
	for members := 0; ; members++ {
		q.ws()
		if q.i >= len(q.d) {
			return kind, q.errf("unexpected end of input")
		}
		if q.d[q.i] == '}' {
			return kind, nil
		}
		if members > 0 {
			if q.d[q.i] != ',' {
				return kind, q.errf("expected ',' or '}'")
			}
			q.i++
			q.ws()
		}
		key, err := q.key()
		if err != nil {
			return kind, err
		}
		switch string(key) {
		case "Records":
			return objLog, nil
		case "eventTime", "eventName", "eventSource", "eventVersion":
			kind = objRecord
		}
		if err := q.skip(); err != nil {
			return kind, err
		}
	}
}

// logObject reads {"Records":[...], ...} at p.i.
func (p *parser) logObject(n *int, fn func(*Record), bad func(int, string)) error {
	p.i++
	members := 0
	for {
		p.ws()
		if p.i >= len(p.d) {
			return p.errf("unexpected end of input")
		}
		if p.d[p.i] == '}' {
			p.i++
			return nil
		}
		if members > 0 {
			if p.d[p.i] != ',' {
				return p.errf("expected ',' or '}'")
			}
			p.i++
			p.ws()
		}
		members++
		key, err := p.key()
		if err != nil {
			return err
		}
		if string(key) != "Records" {
			if err := p.skip(); err != nil {
				return err
			}
			continue
		}
		p.ws()
		if p.i >= len(p.d) || p.d[p.i] != '[' {
			if p.i < len(p.d) && p.d[p.i] == 'n' { // "Records": null
				if err := p.skip(); err != nil {
					return err
				}
				continue
			}
			return ErrNotCloudTrail
		}
		if err := p.elements(n, false, fn, bad); err != nil {
			return err
		}
	}
}

// elements reads an array of records at p.i. With nested, an element that is
// itself a log object ({"Records":[...]}) is read as one.
func (p *parser) elements(n *int, nested bool, fn func(*Record), bad func(int, string)) error {
	rec := p.rec
	p.i++
	elems := 0
	defer func() { p.record = -1 }()
	for {
		p.ws()
		if p.i >= len(p.d) {
			return p.errf("unexpected end of input in Records")
		}
		c := p.d[p.i]
		if c == ']' {
			p.i++
			return nil
		}
		if elems > 0 {
			if c != ',' {
				return p.errf("expected ',' or ']' between records")
			}
			p.i++
			p.ws()
			if p.i >= len(p.d) {
				return p.errf("unexpected end of input in Records")
			}
			c = p.d[p.i]
		}
		elems++
		p.record = *n
		if c != '{' {
			start := p.i
			if err := p.skip(); err != nil {
				return err
			}
			if bad != nil {
				bad(*n, fmt.Sprintf("record is not an object: %q", trimNear(p.d[start:p.i])))
			}
			*n++
			continue
		}
		if nested {
			kind, err := p.peekObject()
			if err != nil {
				return err
			}
			if kind == objLog {
				p.record = -1
				if err := p.logObject(n, fn, bad); err != nil {
					return err
				}
				continue
			}
		}
		rec.reset()
		if err := p.record1(); err != nil {
			return err
		}
		fn(rec)
		*n++
	}
}

type parser struct {
	d      []byte
	i      int
	rec    *Record
	record int
}

func (p *parser) errf(format string, args ...any) error {
	i := min(p.i, len(p.d))
	return &SyntaxError{Offset: i, Record: p.record, Msg: fmt.Sprintf(format, args...), Near: trimNear(p.d[i:])}
}

func trimNear(b []byte) string {
	const max = 40
	if len(b) > max {
		b = b[:max]
	}
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1]
	}
	return string(b)
}

func (p *parser) ws() {
	for p.i < len(p.d) {
		switch p.d[p.i] {
		case ' ', '\n', '\r', '\t':
			p.i++
		default:
			return
		}
	}
}

// SWAR constants: a byte broadcast to the 8 bytes of a word.
const (
	swarLo    = 0x0101010101010101
	swarHi    = 0x8080808080808080
	swarQuote = '"' * swarLo
	swarSlash = '\\' * swarLo
	swarOpen  = '{' * swarLo // '[' | 0x20 is '{'
	swarClose = '}' * swarLo // ']' | 0x20 is '}'
	swarCase  = 0x20 * swarLo
)

// swarZero has the high bit set in the lowest byte of x that is zero (and
// maybe in bytes above it, never below: only the lowest one counts).
func swarZero(x uint64) uint64 { return (x - swarLo) &^ x & swarHi }

// stringEnd returns the index of the '"' that closes the string whose
// content starts at j, and whether the content holds escapes; -1 if the
// string does not end. It reads 8 bytes at a time (a word holds a '"' or a
// '\\' when swarZero of its XOR with either is not zero), so the scan of
// a long value costs a fraction of a byte-by-byte loop.
func stringEnd(d []byte, j int) (int, bool) {
	esc := false
	for {
		for j+8 <= len(d) {
			x := binary.LittleEndian.Uint64(d[j:])
			if m := swarZero(x^swarQuote) | swarZero(x^swarSlash); m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
			j += 8
		}
		for j < len(d) && d[j] != '"' && d[j] != '\\' {
			j++
		}
		if j >= len(d) {
			return -1, esc
		}
		if d[j] == '"' {
			return j, esc
		}
		esc = true
		j += 2 // the escaped byte, whatever it is, does not end the string
	}
}

// rawString reads a JSON string at p.i (a '"') and returns its raw bytes
// (escapes not decoded) and whether it holds escapes.
func (p *parser) rawString() ([]byte, bool, error) {
	start := p.i + 1
	j, esc := stringEnd(p.d, start)
	if j < 0 {
		p.i = len(p.d)
		return nil, esc, p.errf("unterminated string")
	}
	p.i = j + 1
	return p.d[start:j], esc, nil
}

// key reads `"name":`.
func (p *parser) key() ([]byte, error) {
	if p.i >= len(p.d) || p.d[p.i] != '"' {
		return nil, p.errf("expected a member name")
	}
	k, _, err := p.rawString()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i >= len(p.d) || p.d[p.i] != ':' {
		return nil, p.errf("expected ':'")
	}
	p.i++
	p.ws()
	return k, nil
}

// str reads a string value (decoding escapes); null and non-string values
// read as empty.
func (p *parser) str() ([]byte, error) {
	if p.i >= len(p.d) {
		return nil, p.errf("unexpected end of input")
	}
	if p.d[p.i] != '"' {
		return nil, p.skip()
	}
	raw, esc, err := p.rawString()
	if err != nil || !esc {
		return raw, err
	}
	return p.unescape(raw)
}

func (p *parser) unescape(raw []byte) ([]byte, error) {
	r := p.rec
	if cap(r.scratch)-len(r.scratch) < len(raw) {
		// A new array: slices handed out earlier keep pointing at the old one.
		r.scratch = make([]byte, 0, max(2*cap(r.scratch), len(raw)+256))
	}
	start := len(r.scratch)
	out := r.scratch
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(raw) {
			return nil, p.errf("bad escape")
		}
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			ru, ok := hex4(raw[i+1:])
			if !ok {
				return nil, p.errf("bad \\u escape")
			}
			i += 4
			if utf16IsSurrogate(ru) {
				if i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					if lo, ok := hex4(raw[i+3:]); ok && lo >= 0xDC00 && lo < 0xE000 && ru < 0xDC00 {
						ru = (ru-0xD800)<<10 + (lo - 0xDC00) + 0x10000
						i += 6
					} else {
						ru = utf8.RuneError
					}
				} else {
					ru = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, ru)
		default:
			return nil, p.errf("bad escape \\%c", raw[i])
		}
	}
	r.scratch = out
	return out[start:len(out):len(out)], nil
}

func utf16IsSurrogate(r rune) bool { return r >= 0xD800 && r < 0xE000 }

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// structural marks the bytes skipNested must look at.
var structural = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true}

// literalEnd marks the bytes that end a number or literal.
var literalEnd = [256]bool{',': true, '}': true, ']': true, ' ': true, '\n': true, '\r': true, '\t': true, ':': true, '"': true, '{': true, '[': true}

// skip moves past one JSON value without decoding it.
func (p *parser) skip() error {
	if p.i >= len(p.d) {
		return p.errf("unexpected end of input")
	}
	switch p.d[p.i] {
	case '"':
		_, _, err := p.rawString()
		return err
	case '{', '[':
		return p.skipNested()
	case ',', ':', '}', ']':
		return p.errf("expected a value")
	default:
		j := p.i
		for j < len(p.d) && !literalEnd[p.d[j]] {
			j++
		}
		p.i = j
		return nil
	}
}

// skipNested skips an object or array by counting brackets outside strings.
// It does not check that the brackets pair up by kind: seiri only needs to
// find where the value ends, and a mismatch there is reported by the caller's
// next read.
func (p *parser) skipNested() error {
	d := p.d
	i := p.i
	depth := 0
	for i < len(d) {
		// 8 bytes at a time to the next '"', bracket or brace.
		for i+8 <= len(d) {
			x := binary.LittleEndian.Uint64(d[i:])
			y := x | swarCase
			if m := swarZero(x^swarQuote) | swarZero(y^swarOpen) | swarZero(y^swarClose); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < len(d) && !structural[d[i]] {
			i++
		}
		if i >= len(d) {
			break
		}
		switch d[i] {
		case '"':
			j, _ := stringEnd(d, i+1)
			if j < 0 {
				p.i = len(d)
				return p.errf("unterminated string")
			}
			i = j + 1
			continue
		case '{', '[':
			depth++
		default:
			depth--
			if depth == 0 {
				p.i = i + 1
				return nil
			}
		}
		i++
	}
	p.i = len(d)
	return p.errf("unexpected end of input in a nested value")
}

// object iterates the members of the object at p.i, calling member for each
// (positioned at the value, which member must consume). null is an empty object.
func (p *parser) object(member func(key []byte) error) error {
	if p.i >= len(p.d) {
		return p.errf("unexpected end of input")
	}
	if p.d[p.i] != '{' {
		return p.skip() // null, or a value of another type: nothing to read
	}
	p.i++
	first := true
	for {
		p.ws()
		if p.i >= len(p.d) {
			return p.errf("unexpected end of input in an object")
		}
		if p.d[p.i] == '}' {
			p.i++
			return nil
		}
		if !first {
			if p.d[p.i] != ',' {
				return p.errf("expected ',' or '}'")
			}
			p.i++
			p.ws()
		}
		first = false
		k, err := p.key()
		if err != nil {
			return err
		}
		if err := member(k); err != nil {
			return err
		}
	}
}

// array iterates the elements of the array at p.i; elem must consume each.
func (p *parser) array(elem func() error) error {
	if p.i >= len(p.d) {
		return p.errf("unexpected end of input")
	}
	if p.d[p.i] != '[' {
		return p.skip()
	}
	p.i++
	first := true
	for {
		p.ws()
		if p.i >= len(p.d) {
			return p.errf("unexpected end of input in an array")
		}
		if p.d[p.i] == ']' {
			p.i++
			return nil
		}
		if !first {
			if p.d[p.i] != ',' {
				return p.errf("expected ',' or ']'")
			}
			p.i++
			p.ws()
		}
		first = false
		if err := elem(); err != nil {
			return err
		}
	}
}

func (p *parser) strInto(dst *[]byte) error {
	v, err := p.str()
	*dst = v
	return err
}

// record1 reads one record object at p.i.
func (p *parser) record1() error {
	r := p.rec
	return p.object(func(k []byte) error {
		switch string(k) {
		case "eventVersion":
			return p.strInto(&r.EventVersion)
		case "eventTime":
			return p.strInto(&r.EventTime)
		case "eventSource":
			return p.strInto(&r.EventSource)
		case "eventName":
			return p.strInto(&r.EventName)
		case "eventType":
			return p.strInto(&r.EventType)
		case "awsRegion":
			return p.strInto(&r.AWSRegion)
		case "sourceIPAddress":
			return p.strInto(&r.SourceIP)
		case "userAgent":
			return p.strInto(&r.UserAgent)
		case "errorCode":
			return p.strInto(&r.ErrorCode)
		case "recipientAccountId":
			return p.strInto(&r.RecipientAccount)
		case "vpcEndpointId":
			return p.strInto(&r.VPCEndpointID)
		case "userIdentity":
			if p.i < len(p.d) && p.d[p.i] == '{' {
				r.HasIdentity = true
			}
			return p.identity()
		case "eventID":
			return p.strInto(&r.EventID)
		case "requestParameters":
			start := p.i
			err := p.requestParameters()
			r.RequestRaw = p.span(start)
			return err
		case "resources":
			return p.resources()
		case "responseElements":
			start := p.i
			err := p.object(func(k []byte) error {
				if string(k) != "credentials" {
					return p.skip()
				}
				return p.object(func(k []byte) error {
					if string(k) == "accessKeyId" {
						return p.strInto(&r.RespAccessKeyID)
					}
					return p.skip()
				})
			})
			r.ResponseRaw = p.span(start)
			return err
		case "additionalEventData":
			start := p.i
			err := p.skip()
			r.AdditionalRaw = p.span(start)
			return err
		default:
			return p.skip()
		}
	})
}

// span returns the raw value read since start: nil for null or a value
// that was not an object (a malformed record's member stays absent).
func (p *parser) span(start int) []byte {
	if start >= p.i || start >= len(p.d) || p.d[start] != '{' {
		return nil
	}
	return p.d[start:p.i:p.i]
}

func (p *parser) identity() error {
	id := &p.rec.Identity
	return p.object(func(k []byte) error {
		switch string(k) {
		case "type":
			return p.strInto(&id.Type)
		case "principalId":
			return p.strInto(&id.PrincipalID)
		case "arn":
			return p.strInto(&id.ARN)
		case "accountId":
			return p.strInto(&id.AccountID)
		case "accessKeyId":
			return p.strInto(&id.AccessKeyID)
		case "userName":
			return p.strInto(&id.UserName)
		case "invokedBy":
			return p.strInto(&id.InvokedBy)
		case "identityProvider":
			return p.strInto(&id.IdentityProvider)
		case "onBehalfOf":
			return p.object(func(k []byte) error {
				switch string(k) {
				case "userId":
					return p.strInto(&id.OnBehalfOfUserID)
				case "identityStoreArn":
					return p.strInto(&id.OnBehalfOfStore)
				}
				return p.skip()
			})
		case "sessionContext":
			return p.object(func(k []byte) error {
				switch string(k) {
				case "sourceIdentity":
					return p.strInto(&id.SourceIdentity)
				case "ec2RoleDelivery":
					return p.strInto(&id.EC2RoleDelivery)
				case "sessionIssuer":
					return p.object(func(k []byte) error {
						switch string(k) {
						case "type":
							return p.strInto(&id.IssuerType)
						case "arn":
							return p.strInto(&id.IssuerARN)
						case "userName":
							return p.strInto(&id.IssuerUserName)
						}
						return p.skip()
					})
				}
				return p.skip()
			})
		}
		return p.skip()
	})
}

func (p *parser) requestParameters() error {
	q := &p.rec.Req
	return p.object(func(k []byte) error {
		switch string(k) {
		case "bucketName":
			return p.strInto(&q.BucketName)
		case "key":
			return p.strInto(&q.Key)
		case "x-amz-copy-source", "copySource":
			return p.strInto(&q.CopySource)
		case "tableName", "TableName":
			return p.strInto(&q.TableName)
		case "functionName":
			return p.strInto(&q.FunctionName)
		case "queueUrl", "QueueUrl":
			return p.strInto(&q.QueueURL)
		case "topicArn", "TopicArn":
			return p.strInto(&q.TopicARN)
		case "keyId", "KeyId":
			return p.strInto(&q.KeyID)
		case "secretId", "SecretId":
			return p.strInto(&q.SecretID)
		case "name", "Name":
			return p.strInto(&q.Name)
		case "userName":
			return p.strInto(&q.UserName)
		case "roleName":
			return p.strInto(&q.RoleName)
		case "policyArn":
			return p.strInto(&q.PolicyARN)
		case "roleArn", "RoleArn":
			return p.strInto(&q.RoleARN)
		case "repositoryName":
			return p.strInto(&q.RepositoryName)
		case "logGroupName":
			return p.strInto(&q.LogGroupName)
		case "statement", "Statement":
			return p.strInto(&q.Statement)
		case "sourceKeyId", "SourceKeyId":
			return p.strInto(&q.SourceKeyID)
		case "destinationKeyId", "DestinationKeyId":
			return p.strInto(&q.DestinationKeyID)
		case "principalArn", "PrincipalArn":
			return p.strInto(&q.PrincipalARN)
		case "requestItems", "RequestItems", "transactItems", "TransactItems", "transactStatements", "TransactStatements":
			return p.requestItems()
		case "secretIdList", "SecretIdList":
			return p.array(func() error {
				var v []byte
				if err := p.strInto(&v); err != nil {
					return err
				}
				if len(v) == 0 {
					return nil
				}
				if len(q.SecretIDs) >= MaxRequestItems {
					q.ItemsDropped++
					return nil
				}
				q.SecretIDs = append(q.SecretIDs, v)
				return nil
			})
		case "filters", "Filters":
			if p.i < len(p.d) && p.d[p.i] == '[' {
				start := p.i
				if err := p.skip(); err != nil {
					return err
				}
				q.HasFilters = len(bytes.TrimSpace(p.d[start+1:p.i-1])) > 0
				return nil
			}
			return p.skip()
		}
		return p.skip()
	})
}

// requestItems reads the items of a multi-item request: an array of
// objects (each an item, possibly wrapping its operation in a member named
// after it, as the API's own shape does) or an object keyed by table name.
func (p *parser) requestItems() error {
	q := &p.rec.Req
	add := func(it ReqItem) {
		if len(it.Op) == 0 && len(it.Table) == 0 && len(it.Statement) == 0 {
			return
		}
		if len(q.Items) >= MaxRequestItems {
			q.ItemsDropped++
			return
		}
		q.Items = append(q.Items, it)
	}
	if p.i < len(p.d) && p.d[p.i] == '{' {
		// BatchGetItem / BatchWriteItem: {"table": ...}.
		return p.object(func(k []byte) error {
			add(ReqItem{Table: k})
			return p.skip()
		})
	}
	return p.array(func() error {
		var it ReqItem
		err := p.object(func(k []byte) error {
			switch string(k) {
			case "operation", "Operation":
				return p.strInto(&it.Op)
			case "tableName", "TableName":
				return p.strInto(&it.Table)
			case "statement", "Statement":
				return p.strInto(&it.Statement)
			case "put", "Put", "update", "Update", "delete", "Delete", "conditionCheck", "ConditionCheck", "get", "Get":
				it.Op = k
				return p.object(func(k []byte) error {
					if string(k) == "tableName" || string(k) == "TableName" {
						return p.strInto(&it.Table)
					}
					return p.skip()
				})
			}
			return p.skip()
		})
		if err != nil {
			return err
		}
		add(it)
		return nil
	})
}

func (p *parser) resources() error {
	r := p.rec
	return p.array(func() error {
		var ref ResourceRef
		err := p.object(func(k []byte) error {
			switch string(k) {
			case "ARN", "arn":
				return p.strInto(&ref.ARN)
			case "type":
				return p.strInto(&ref.Type)
			}
			return p.skip()
		})
		if len(ref.ARN) > 0 && len(r.Resources) < 16 {
			r.Resources = append(r.Resources, ref)
		}
		return err
	})
}
