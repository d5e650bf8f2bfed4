package awsfake

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// xmlBody builds the inside of an <OpResult> element.
type xmlBody struct{ b strings.Builder }

func (x *xmlBody) open(name string)  { x.b.WriteString("<" + name + ">") }
func (x *xmlBody) close(name string) { x.b.WriteString("</" + name + ">") }

// el writes <name>escaped value</name>.
func (x *xmlBody) el(name, v string) {
	x.open(name)
	xml.EscapeText(&x.b, []byte(v))
	x.close(name)
}

// opt writes el only for a non-empty value.
func (x *xmlBody) opt(name, v string) {
	if v != "" {
		x.el(name, v)
	}
}

func (x *xmlBody) bool(name string, v bool) { x.el(name, fmt.Sprint(v)) }
func (x *xmlBody) int(name string, v int64) { x.el(name, fmt.Sprint(v)) }

// time writes an ISO 8601 timestamp, the query protocol's date-time format.
func (x *xmlBody) time(name string, t time.Time) {
	if !t.IsZero() {
		x.el(name, t.UTC().Format(time.RFC3339))
	}
}

// list writes <name><member>...</member>...</name>.
func (x *xmlBody) list(name string, n int, item func(i int)) {
	x.open(name)
	for i := 0; i < n; i++ {
		x.open("member")
		item(i)
		x.close("member")
	}
	x.close(name)
}

// truncated writes IsTruncated and Marker.
func (x *xmlBody) truncated(marker string) {
	x.bool("IsTruncated", marker != "")
	x.opt("Marker", marker)
}

var xmlns = map[string]string{
	"iam": "https://iam.amazonaws.com/doc/2010-05-08/",
	"sts": "https://sts.amazonaws.com/doc/2011-06-15/",
	"sns": "http://sns.amazonaws.com/doc/2010-03-31/",
}

func writeXML(w http.ResponseWriter, op, service string, body *xmlBody, rid string) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-RequestId", rid)
	var b strings.Builder
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, op, xmlns[service])
	fmt.Fprintf(&b, "<%sResult>%s</%sResult>", op, body.b.String(), op)
	fmt.Fprintf(&b, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", rid, op)
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(b.String()))
}

func writeXMLError(w http.ResponseWriter, e *Error, rid string) {
	typ := "Sender"
	if !e.Sender {
		typ = "Receiver"
	}
	var b xmlBody
	b.open("ErrorResponse")
	b.open("Error")
	b.el("Type", typ)
	b.el("Code", e.Code)
	b.el("Message", e.Message)
	b.close("Error")
	b.el("RequestId", rid)
	b.close("ErrorResponse")
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-RequestId", rid)
	w.WriteHeader(e.Status)
	w.Write([]byte(b.b.String()))
}

// policyEncode URL-encodes a policy document the way IAM returns documents
// (RFC 3986; GetAccountAuthorizationDetails "PolicyDocument" and
// "AssumeRolePolicyDocument"): everything but unreserved characters escaped.
func policyEncode(doc []byte) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for _, c := range doc {
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
